// Errors: the SDK's own typed errors for the pricing mirror, and recognition of the program's errors in
// whatever shape a failed transaction surfaces them (AnchorError, ProgramError, SendTransactionError logs,
// or a raw "custom program error: 0x…" message).
import { ERROR_CODES, ERROR_NAMES, type ProgramErrorName } from "./constants";

/**
 * An error the pricing mirror raises where the program would fail with the same code. `code` is the
 * program's error name and `errorNumber` its number, so callers can treat both sources alike.
 */
export class BillingMathError extends Error {
  readonly code: ProgramErrorName;
  readonly errorNumber: number;
  constructor(code: ProgramErrorName, message: string) {
    super(`${code}: ${message}`);
    this.name = new.target.name;
    this.code = code;
    this.errorNumber = ERROR_CODES[code];
  }
}

/** A u64 or i64 bound was crossed: the program returns MathOverflow (6006) for the same inputs. */
export class MathOverflowError extends BillingMathError {
  constructor(what: string) {
    super("MathOverflow", `${what} does not fit the on-chain integer`);
  }
}

/** The program returns InvalidAmount (6005), e.g. for a usage batch of 0 requests. */
export class InvalidAmountError extends BillingMathError {
  constructor(message: string) {
    super("InvalidAmount", message);
  }
}

/** The program returns InvalidConfig (6015), e.g. for basis points above 10_000 or a non-positive period. */
export class InvalidConfigError extends BillingMathError {
  constructor(message: string) {
    super("InvalidConfig", message);
  }
}

/** The program returns InvalidTier (6004). */
export class InvalidTierError extends BillingMathError {
  constructor(message: string) {
    super("InvalidTier", message);
  }
}

/** The program returns PeriodNotEnded (6012): a roll with nothing to do. */
export class PeriodNotEndedError extends BillingMathError {
  constructor(message: string) {
    super("PeriodNotEnded", message);
  }
}

/** A program error recognised in a failed transaction. */
export interface ProgramErrorInfo {
  code: number;
  /** The name from the IDL, or undefined for codes outside it (Anchor framework or other programs). */
  name: ProgramErrorName | undefined;
}

const ANCHOR_LOG_RE = /Error Code: (\w+)\. Error Number: (\d+)\./;
const CUSTOM_HEX_RE = /custom program error: 0x([0-9a-fA-F]+)/;

function fromCode(code: number): ProgramErrorInfo {
  return { code, name: ERROR_NAMES.get(code) };
}

function fromLogs(logs: readonly string[]): ProgramErrorInfo | null {
  for (const line of logs) {
    const anchor = ANCHOR_LOG_RE.exec(line);
    if (anchor) return fromCode(Number(anchor[2]));
  }
  for (const line of logs) {
    const custom = CUSTOM_HEX_RE.exec(line);
    if (custom) return fromCode(parseInt(custom[1], 16));
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * The program error carried by `err`, or null when it carries none. Understands anchor's AnchorError
 * (`error.errorCode.number`) and ProgramError (`code`), web3.js SendTransactionError (`logs`), and plain
 * errors whose message holds "custom program error: 0x…".
 */
export function programErrorOf(err: unknown): ProgramErrorInfo | null {
  if (!isRecord(err)) return null;
  const anchorError = err.error;
  if (isRecord(anchorError) && isRecord(anchorError.errorCode) && typeof anchorError.errorCode.number === "number") {
    return fromCode(anchorError.errorCode.number);
  }
  if (typeof err.code === "number" && typeof err.msg === "string") return fromCode(err.code);
  const logs = err.logs;
  if (Array.isArray(logs) && logs.every((l) => typeof l === "string")) {
    const found = fromLogs(logs as string[]);
    if (found) return found;
  }
  if (typeof err.message === "string") return fromLogs([err.message]);
  return null;
}

/** True when `err` is the program error `name` (e.g. `isProgramError(e, "BatchAlreadySettled")`). */
export function isProgramError(err: unknown, name: ProgramErrorName): boolean {
  return programErrorOf(err)?.code === ERROR_CODES[name];
}
