// Checks and conversions of the plain values the ledger accepts: wallets, e-mails, names, hex digests,
// UTC days and months, and u64 amounts. Pure functions, no database access.
import { ledgerError } from "./errors";

const BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BASE58_INDEX: Record<string, number> = Object.fromEntries(
  [...BASE58_ALPHABET].map((c, i) => [c, i]),
);

/** Decodes base58 (Bitcoin alphabet); returns null when a character is outside the alphabet. */
export function base58Decode(text: string): Uint8Array | null {
  const bytes: number[] = [];
  for (const char of text) {
    const value = BASE58_INDEX[char];
    if (value === undefined) return null;
    let carry = value;
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i] * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  for (const char of text) {
    if (char !== "1") break;
    bytes.push(0);
  }
  return Uint8Array.from(bytes.reverse());
}

/** A Solana address: base58 of exactly 32 bytes. */
export function isSolanaAddress(text: string): boolean {
  if (text.length < 32 || text.length > 44) return false;
  const bytes = base58Decode(text);
  return bytes !== null && bytes.length === 32;
}

export function requireAddress(text: string, what: string): string {
  if (!isSolanaAddress(text)) throw ledgerError("invalid_argument", `${what} is not a Solana address`);
  return text;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Lower-cases and checks an e-mail address (RFC 5321 caps the length at 254). */
export function normalizeEmail(text: string, what = "email"): string {
  const email = text.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw ledgerError("invalid_argument", `${what} is not an e-mail address`);
  return email;
}

/** A display name or label: trimmed, 1..max characters. */
export function requireName(text: string, what: string, max = 100): string {
  const name = text.trim();
  if (name.length === 0 || name.length > max) {
    throw ledgerError("invalid_argument", `${what} must be 1 to ${max} characters`);
  }
  return name;
}

/** An identifier used in usage records (X-User-ID, endpoint, request id): 1..64 printable characters. */
export function requireKeyString(text: string, what: string): string {
  if (text.length === 0 || text.length > 64 || !/^[\x21-\x7e]+$/.test(text)) {
    throw ledgerError("invalid_argument", `${what} must be 1 to 64 printable ASCII characters without spaces`);
  }
  return text;
}

/**
 * Usage the gateway cannot attribute (no `X-User-ID`) is recorded under this user id, so no member may
 * take it, nor any id of the same reserved shape.
 */
export const UNATTRIBUTED_USER_ID = "(unattributed)";

/** A member's user id: a usage identifier that is not reserved (reserved ids start with "("). */
export function requireMemberUserId(text: string): string {
  const userId = requireKeyString(text, "userId");
  if (userId.startsWith("(")) {
    throw ledgerError("invalid_argument", `userId must not start with "(": ids such as ${UNATTRIBUTED_USER_ID} are reserved`);
  }
  return userId;
}

/** A sha256 digest (or Merkle root) as 64 lower-case hex characters. */
export function requireHex32(text: string, what: string): string {
  if (!/^[0-9a-f]{64}$/.test(text)) throw ledgerError("invalid_argument", `${what} must be 64 lower-case hex characters`);
  return text;
}

export const U64_MAX = (1n << 64n) - 1n;

/** An amount or count that must fit the chain's u64. */
export function requireU64(value: bigint, what: string): bigint {
  if (value < 0n || value > U64_MAX) throw ledgerError("invalid_argument", `${what} must be between 0 and 2^64-1`);
  return value;
}

/** u64 addition that refuses to leave the range instead of wrapping. */
export function addU64(a: bigint, b: bigint): bigint {
  const sum = a + b;
  if (a < 0n || b < 0n || sum > U64_MAX) throw ledgerError("overflow", "amount exceeds the u64 range");
  return sum;
}

export function requireInteger(value: number, what: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw ledgerError("invalid_argument", `${what} must be an integer between ${min} and ${max}`);
  }
  return value;
}

const DAY_MS = 86_400_000;

/** UTC calendar day of a unix time in milliseconds, as "YYYY-MM-DD" (sorts like the time). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The `count` UTC days ending with the day of `nowMs`, oldest first. */
export function lastDays(nowMs: number, count: number): string[] {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const days: string[] = [];
  for (let i = count - 1; i >= 0; i--) days.push(utcDay(today - i * DAY_MS));
  return days;
}

/** UTC calendar month of a unix time in milliseconds, as "YYYY-MM". */
export function utcMonth(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export function requireMonth(text: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(text)) throw ledgerError("invalid_argument", "month must be YYYY-MM");
  return text;
}

/** Start and end (exclusive) of a "YYYY-MM" month in unix milliseconds. */
export function monthWindowMs(month: string): { startMs: number; endMs: number } {
  const year = Number(month.slice(0, 4));
  const index = Number(month.slice(5, 7)) - 1;
  return { startMs: Date.UTC(year, index, 1), endMs: Date.UTC(year, index + 1, 1) };
}

/** The month before the month of `nowMs`. */
export function previousMonth(nowMs: number): string {
  const now = new Date(nowMs);
  return utcMonth(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
}

/** The `count` months ending with the month of `nowMs`, oldest first. */
export function lastMonths(nowMs: number, count: number): string[] {
  const now = new Date(nowMs);
  const months: string[] = [];
  for (let i = count - 1; i >= 0; i--) months.push(utcMonth(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1)));
  return months;
}
