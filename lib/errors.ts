// Typed errors of the dashboard and the one table that maps them to HTTP statuses and to words a user
// understands. Route handlers and pages throw `AppError`; `toAppError` turns whatever else was thrown
// (a ledger refusal, a program error in a failed transaction, an unreachable chain) into one.
import { httpStatusOf, ledgerErrorOf } from "../ledger/client";
import { programErrorOf } from "../sdk/src/errors";

export const ErrorStatus = {
  /** No session, or it expired. */
  unauthorized: 401,
  /** The vault cannot pay (the program said InsufficientFunds, or the wallet lacks USDC). */
  payment_required: 402,
  /** Signed in, but the role does not allow it. */
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  expired: 410,
  invalid_argument: 422,
  /** The transaction reached the program and it refused (named in `detail`). */
  transaction_refused: 422,
  rate_limited: 429,
  internal: 500,
  ledger_unavailable: 503,
  chain_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ErrorStatus;

/** What a user reads for each code when nothing more specific is known. */
const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  unauthorized: "Please sign in with your wallet to continue.",
  payment_required: "There is not enough USDC for this.",
  forbidden: "Your role in this team does not allow this.",
  not_found: "We could not find that.",
  conflict: "This was already done, or something changed meanwhile. Reload and try again.",
  expired: "This link or request has expired.",
  invalid_argument: "Some of the values entered are not valid.",
  transaction_refused: "The billing program refused the transaction.",
  rate_limited: "Too many requests. Wait a moment and try again.",
  internal: "Something went wrong on our side. Try again in a moment.",
  ledger_unavailable: "The billing ledger is not answering right now. Try again in a moment.",
  chain_unavailable: "The Solana network is not answering right now. Try again in a moment.",
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Machine-readable detail, e.g. the program error's name. */
  readonly detail: string | undefined;
  constructor(code: ErrorCode, message?: string, detail?: string) {
    super(message ?? DEFAULT_MESSAGES[code]);
    this.name = "AppError";
    this.code = code;
    this.status = ErrorStatus[code];
    this.detail = detail;
  }
}

/** The program's refusals in words (program-interface.md, Errors). */
const PROGRAM_MESSAGES: Record<string, { code: ErrorCode; message: string }> = {
  Unauthorized: { code: "forbidden", message: "This wallet is not allowed to do that on chain (only the team owner can)." },
  Paused: { code: "transaction_refused", message: "Billing is paused by the operator: deposits are not accepted right now." },
  InvalidMint: { code: "transaction_refused", message: "That token is not the USDC this deployment uses." },
  InvalidVault: { code: "transaction_refused", message: "The vault account does not belong to this team." },
  InvalidTier: { code: "invalid_argument", message: "That tier does not exist." },
  InvalidAmount: { code: "invalid_argument", message: "The amount must be greater than zero." },
  MathOverflow: { code: "invalid_argument", message: "The amount is too large." },
  InsufficientFunds: { code: "payment_required", message: "The vault does not hold enough USDC for this." },
  WithdrawalNotReady: { code: "conflict", message: "The withdrawal notice period has not ended yet." },
  NoPendingWithdrawal: { code: "conflict", message: "There is no withdrawal request to execute." },
  OutstandingDebt: { code: "payment_required", message: "The team has unpaid debt: deposit first." },
  TeamNotEmpty: { code: "conflict", message: "The vault still holds funds." },
  BatchAlreadySettled: { code: "conflict", message: "This usage batch is already settled." },
};

const TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";

function logsOf(error: unknown): string[] {
  if (typeof error !== "object" || error === null) return [];
  const logs = (error as { logs?: unknown }).logs;
  return Array.isArray(logs) ? logs.filter((l): l is string => typeof l === "string") : [];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : typeof error === "string" ? error : "";
}

/** Failures of a submitted transaction that are not the billing program's own errors. */
function transactionFailure(error: unknown): AppError | null {
  const text = [messageOf(error), ...logsOf(error)].join("\n");
  // SPL Token's error 1 is InsufficientFunds: the depositor's token account holds less than the amount.
  if (new RegExp(`Program ${TOKEN_PROGRAM} failed: (custom program error: 0x1|insufficient funds)`).test(text)) {
    return new AppError("payment_required", "Your wallet does not hold enough USDC for this deposit.", "TokenInsufficientFunds");
  }
  if (/found no record of a prior credit|insufficient lamports|InsufficientFundsForFee/i.test(text)) {
    return new AppError("payment_required", "Your wallet needs a little SOL to pay the network fee.", "InsufficientFundsForFee");
  }
  if (/Blockhash not found|block height exceeded|BlockhashNotFound/i.test(text)) {
    return new AppError("expired", "The transaction took too long to be signed. Please try again.", "BlockhashExpired");
  }
  if (/signature verification fail|Signature verification failed|missing required signature/i.test(text)) {
    return new AppError("invalid_argument", "The transaction was not signed by the expected wallet.", "SignatureVerificationFailed");
  }
  return null;
}

/** Network-level failure (connection refused, DNS, reset, timeout) of a call to another service. */
export function isUnreachable(error: unknown): boolean {
  const codes = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && codes.has(code)) return true;
    const message = messageOf(current);
    if (/fetch failed|ECONNREFUSED|socket hang up|network error|Failed to fetch/i.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Any thrown value as an AppError. `source` says which service was being called, so an unreachable one is
 * named ("ledger" or "chain").
 */
export function toAppError(error: unknown, source?: "ledger" | "chain"): AppError {
  if (error instanceof AppError) return error;
  const ledger = ledgerErrorOf(error);
  if (ledger) {
    // The ledger refuses the dashboard's own server secret: a deployment problem, not the user's.
    if (ledger.code === "unauthorized") {
      return new AppError("internal", "The dashboard is not configured to reach the billing ledger.", "ledger_unauthorized");
    }
    const status = httpStatusOf[ledger.code];
    const code = (Object.keys(ErrorStatus) as ErrorCode[]).find((c) => c === ledger.code) ?? (status === 422 ? "invalid_argument" : "internal");
    // The ledger's messages are written for people ("the member role may not viewUsage" is not): keep
    // the ledger's text for bad input and conflicts, use ours for access refusals.
    const message = code === "forbidden" || code === "unauthorized" ? undefined : capitalise(ledger.message);
    return new AppError(code, message, ledger.code);
  }
  const program = programErrorOf(error);
  if (program?.name && PROGRAM_MESSAGES[program.name]) {
    const known = PROGRAM_MESSAGES[program.name];
    return new AppError(known.code, known.message, program.name);
  }
  const failure = transactionFailure(error);
  if (failure) return failure;
  if (program) return new AppError("transaction_refused", undefined, program.name ?? `Custom(${program.code})`);
  // Convex checks argument shapes before a function runs (e.g. an id of the wrong table).
  if (/Validator error/.test(messageOf(error))) return new AppError("invalid_argument", undefined, "validator");
  if (isUnreachable(error)) return new AppError(source === "ledger" ? "ledger_unavailable" : "chain_unavailable");
  return new AppError("internal");
}

function capitalise(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const sentence = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** The JSON body every failing route answers with. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; detail?: string };
}

export function errorBody(error: AppError): ErrorBody {
  return { error: { code: error.code, message: error.message, ...(error.detail ? { detail: error.detail } : {}) } };
}
