// Reading JSON-RPC params the way solana-validator does: positional arguments, base58 keys and signatures
// of the right size, an optional config object, commitment levels by name. Anything else is
// "Invalid params" (-32602) with the validator's wording where clients match on it.
import { decodeBase58 } from "./base58";
import { RpcError, RpcErrorCode, invalidParams } from "./errors";

export type Config = Record<string, unknown>;

const COMMITMENTS = new Set(["processed", "confirmed", "finalized", "recent", "single", "singleGossip", "root", "max"]);

/** The base58 text of a 32-byte key at `params[index]`. */
export function pubkeyAt(params: unknown[], index: number): string {
  const value = params[index];
  if (typeof value !== "string") throw invalidParams(value === undefined ? "Invalid params: missing address" : "Invalid param: Invalid");
  let bytes: Uint8Array;
  try {
    bytes = decodeBase58(value);
  } catch {
    throw invalidParams("Invalid param: Invalid");
  }
  if (bytes.length !== 32) throw invalidParams("Invalid param: WrongSize");
  return value;
}

/** The base58 text of a 64-byte signature. */
export function signatureOf(value: unknown): string {
  if (typeof value !== "string") throw invalidParams("Invalid param: Invalid");
  let bytes: Uint8Array;
  try {
    bytes = decodeBase58(value);
  } catch {
    throw invalidParams("Invalid param: Invalid");
  }
  if (bytes.length !== 64) throw invalidParams("Invalid param: WrongSize");
  return value;
}

/** The config object at `params[index]` ({} when absent or null); its commitment must be a known level. */
export function configAt(params: unknown[], index: number): Config {
  const value = params[index];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw invalidParams("Invalid params: config must be an object");
  const config = value as Config;
  commitmentOf(config);
  return config;
}

export function commitmentOf(config: Config): string {
  const c = config.commitment;
  if (c === undefined || c === null) return "finalized";
  if (typeof c !== "string" || !COMMITMENTS.has(c)) {
    throw invalidParams(`Invalid params: unknown variant \`${String(c)}\`, expected one of \`processed\`, \`confirmed\`, \`finalized\``);
  }
  return c;
}

/** Refuses a request whose minContextSlot is ahead of the chain, as the validator does (-32016). */
export function checkMinContextSlot(config: Config, slot: bigint): void {
  const min = config.minContextSlot;
  if (min === undefined || min === null) return;
  if (typeof min !== "number" || !Number.isSafeInteger(min) || min < 0) throw invalidParams("Invalid params: minContextSlot must be a non-negative integer");
  if (BigInt(min) > slot) throw new RpcError(RpcErrorCode.MinContextSlotNotReached, "Minimum context slot has not been reached", { contextSlot: slot });
}

/** A non-negative integer param (u64 on the wire; JSON numbers are exact up to 2^53). */
export function unsignedAt(params: unknown[], index: number, what: string): bigint {
  const value = params[index];
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "bigint" && value >= 0n) return value;
  throw invalidParams(`Invalid params: ${what} must be a non-negative integer`);
}

/** An optional boolean in a config object. */
export function booleanOf(config: Config, name: string, fallback: boolean): boolean {
  const v = config[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") throw invalidParams(`Invalid params: ${name} must be a boolean`);
  return v;
}

/** Refuses trailing params beyond `max` (the validator's "Invalid params: expected at most N"). */
export function atMost(params: unknown[], max: number): void {
  if (params.length > max) throw invalidParams(`Invalid params: invalid length ${params.length}, expected at most ${max} elements in sequence`);
}
