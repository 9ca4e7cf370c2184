// Conversions at the boundary with @coral-xyz/anchor: anchor speaks BN for 64-bit integers, the SDK's
// public types speak bigint (money and time never pass through a JS number).
import { BN } from "@coral-xyz/anchor";
import { I64_MAX, I64_MIN, U64_MAX } from "./constants";

/** A BN from anchor's decoder as a bigint. */
export function toBigInt(value: BN): bigint {
  return BigInt(value.toString(10));
}

/** A u64 argument as BN, rejecting what the program could not receive. */
export function u64ToBN(value: bigint, name: string): BN {
  if (typeof value !== "bigint" || value < 0n || value > U64_MAX) {
    throw new RangeError(`${name} must be a u64 bigint, got ${String(value)}`);
  }
  return new BN(value.toString(10));
}

/** An i64 argument as BN. */
export function i64ToBN(value: bigint, name: string): BN {
  if (typeof value !== "bigint" || value < I64_MIN || value > I64_MAX) {
    throw new RangeError(`${name} must be an i64 bigint, got ${String(value)}`);
  }
  return new BN(value.toString(10));
}

/** A u8 argument (tier ids), checked. */
export function u8(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new RangeError(`${name} must be a u8, got ${value}`);
  return value;
}

/** A u16 argument (basis points), checked. */
export function u16(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`${name} must be a u16, got ${value}`);
  return value;
}

/**
 * Renames snake_case keys to camelCase, deeply, in the plain objects anchor's Borsh coder returns for the
 * IDL as declared (class instances such as BN and PublicKey pass through). anchor's Program does the same
 * by converting the whole IDL; decoding without a Program needs it here.
 */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), camelKeys(v)]),
  );
}
