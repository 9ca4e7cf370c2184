// The ledger's error vocabulary. Every refusal a function makes is a `ConvexError` whose data is
// `{ code, message }` with `code` from `ErrorCode`; servers (the ledger client, the dashboard's routes)
// map codes to HTTP statuses with `httpStatusOf`, so one table decides what a caller sees.
import { ConvexError } from "convex/values";

export const ErrorCode = {
  /** Missing or wrong server secret. */
  unauthorized: "unauthorized",
  /** The acting wallet is not allowed to do this (not a member, or its role is refused). */
  forbidden: "forbidden",
  /** The team, key, invitation, batch, invoice … does not exist (or is not visible to this actor). */
  not_found: "not_found",
  /** An argument is malformed or out of range. */
  invalid_argument: "invalid_argument",
  /** The request contradicts stored state (duplicate with different content, wrong state transition). */
  conflict: "conflict",
  /** The invitation (or another time-limited grant) has expired. */
  expired: "expired",
  /** A checked arithmetic operation would leave the u64 range. */
  overflow: "overflow",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export type LedgerErrorData = { code: ErrorCode; message: string };

/** HTTP status a server route should answer for each code. */
export const httpStatusOf: Record<ErrorCode, number> = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  invalid_argument: 422,
  conflict: 409,
  expired: 410,
  overflow: 422,
};

export function ledgerError(code: ErrorCode, message: string): ConvexError<LedgerErrorData> {
  return new ConvexError({ code, message });
}

/** Narrows an unknown thrown value to the ledger's error data, if it is one. */
export function ledgerErrorData(error: unknown): LedgerErrorData | null {
  if (!(error instanceof ConvexError)) return null;
  const data: unknown = error.data;
  if (typeof data !== "object" || data === null) return null;
  const code = (data as { code?: unknown }).code;
  const message = (data as { message?: unknown }).message;
  if (typeof code !== "string" || !(code in ErrorCode) || typeof message !== "string") return null;
  return { code: code as ErrorCode, message };
}
