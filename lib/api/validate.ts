// Small validators for JSON bodies: each returns the typed value or throws AppError 422 in words.
import { parseUsdc } from "../../sdk/src/format";
import { U64_MAX } from "../../sdk/src/constants";
import { AppError } from "../errors";

export function requireString(value: unknown, what: string, max = 200): string {
  if (typeof value !== "string" || value.trim() === "") throw new AppError("invalid_argument", `Enter ${what}.`);
  const text = value.trim();
  if (text.length > max) throw new AppError("invalid_argument", `${capital(what)} must be at most ${max} characters.`);
  return text;
}

export function optionalString(value: unknown, what: string, max = 200): string | undefined {
  if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) return undefined;
  return requireString(value, what, max);
}

export function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== "string" || !allowed.includes(value as T)) throw new AppError("invalid_argument", `Choose ${what}.`);
  return value as T;
}

export function requireInteger(value: unknown, what: string, min: number, max: number): number {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new AppError("invalid_argument", `${capital(what)} must be a whole number from ${min} to ${max}.`);
  }
  return n;
}

/**
 * A USDC amount typed by a person ("25", "12.5", "0.000001") as base units; more than 6 decimals, zero
 * (unless allowed), negative or above u64 are refused.
 */
export function requireUsdcAmount(value: unknown, what = "an amount", options: { allowZero?: boolean } = {}): bigint {
  if (typeof value !== "string" && typeof value !== "number") throw new AppError("invalid_argument", `Enter ${what} in USDC.`);
  let units: bigint;
  try {
    units = parseUsdc(String(value));
  } catch {
    throw new AppError("invalid_argument", `${capital(what)} must be a number of USDC with at most 6 decimals, like 25 or 12.50.`);
  }
  if (units < 0n || (units === 0n && !options.allowZero)) throw new AppError("invalid_argument", `${capital(what)} must be more than zero.`);
  if (units > U64_MAX) throw new AppError("invalid_argument", `${capital(what)} is too large.`);
  return units;
}

function capital(text: string): string {
  const t = text.replace(/^(an?|the) /, "");
  return t[0].toUpperCase() + t.slice(1);
}
