// Account filters of getProgramAccounts and programSubscribe: dataSize and memcmp (base58 or base64
// bytes, at most 128), at most four per request, all of which must match.
import type { AccountState } from "./accounts";
import { decodeBase58 } from "./base58";
import { invalidParams } from "./errors";

const MAX_FILTERS = 4;
const MAX_MEMCMP_BYTES = 128;

export type AccountFilter = (account: AccountState) => boolean;

/** A memcmp filter's bytes: base58 (default) or base64, at most 128 bytes. */
function memcmpBytes(memcmp: Record<string, unknown>): Uint8Array {
  const text = memcmp.bytes;
  if (typeof text !== "string") throw invalidParams("Invalid params: memcmp.bytes must be a string");
  const encoding = memcmp.encoding ?? "base58";
  let bytes: Uint8Array;
  try {
    if (encoding === "base58") bytes = decodeBase58(text);
    else if (encoding === "base64" && /^[A-Za-z0-9+/]*={0,2}$/.test(text)) bytes = Buffer.from(text, "base64");
    else throw new Error("bad encoding");
  } catch {
    throw invalidParams(`Invalid param: invalid ${String(encoding)} data in memcmp filter`);
  }
  if (bytes.length > MAX_MEMCMP_BYTES) throw invalidParams(`Invalid param: memcmp bytes are limited to ${MAX_MEMCMP_BYTES}`);
  return bytes;
}

export function filtersOf(value: unknown): AccountFilter[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParams("Invalid params: filters must be an array");
  if (value.length > MAX_FILTERS) throw invalidParams(`Too many filters provided; max ${MAX_FILTERS}`);
  return value.map((f): AccountFilter => {
    const filter = f as Record<string, unknown>;
    if (typeof f !== "object" || f === null) throw invalidParams("Invalid params: a filter must be an object");
    if ("dataSize" in filter) {
      const size = filter.dataSize;
      if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw invalidParams("Invalid params: dataSize must be a non-negative integer");
      return (a) => a.data.length === size;
    }
    if ("memcmp" in filter && typeof filter.memcmp === "object" && filter.memcmp !== null) {
      const memcmp = filter.memcmp as Record<string, unknown>;
      const offset = memcmp.offset;
      if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) throw invalidParams("Invalid params: memcmp.offset must be a non-negative integer");
      const bytes = memcmpBytes(memcmp);
      return (a) => {
        if (offset + bytes.length > a.data.length) return false;
        for (let i = 0; i < bytes.length; i++) if (a.data[offset + i] !== bytes[i]) return false;
        return true;
      };
    }
    throw invalidParams("Invalid params: unknown filter (supported: dataSize, memcmp)");
  });
}
