// Transactions on the wire: decoding what clients send (base58 or base64 of the serialized transaction),
// the checks solana-validator makes before looking at it (size, layout, signature count), the account
// list a transaction loads (static keys plus addresses from lookup tables) and the fee it pays.
import { createPublicKey, verify } from "node:crypto";
import { AddressLookupTableAccount, PACKET_DATA_SIZE, PublicKey, VersionedMessage, VersionedTransaction } from "@solana/web3.js";
import { decodeBase58, encodeBase58 } from "./base58";
import { invalidParams } from "./errors";

/** Lamports charged per signature, as on every cluster. */
export const LAMPORTS_PER_SIGNATURE = 5_000n;
/** Compute units a transaction may use when it does not ask (per instruction) and at most. */
const DEFAULT_UNITS_PER_INSTRUCTION = 200_000n;
const MAX_COMPUTE_UNITS = 1_400_000n;
const COMPUTE_BUDGET_PROGRAM = "ComputeBudget111111111111111111111111111111";
const MEMO_PROGRAMS = new Set(["MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr", "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo"]);

export type WireEncoding = "base58" | "base64";
export type TransactionVersion = "legacy" | 0;

/** A decoded, sanitized transaction. */
export interface WireTransaction {
  /** The serialized transaction, exactly as received. */
  raw: Uint8Array;
  tx: VersionedTransaction;
  message: VersionedMessage;
  version: TransactionVersion;
  /** base58 of each signature; the first is the transaction's id. */
  signatures: string[];
  signature: string;
  recentBlockhash: string;
}

/** Every account a transaction loads, in the order instructions index them. */
export interface LoadedAccounts {
  keys: string[];
  writable: boolean[];
  signer: boolean[];
  /** Addresses that came from lookup tables (v0), as the RPC's `loadedAddresses`. */
  loaded: { writable: string[]; readonly: string[] };
  /** Which keys came from a lookup table. */
  fromLookup: boolean[];
}

// solana-validator's limits for an encoded transaction: 1232 bytes raw, 1644 in base58, 1644 in base64.
const MAX_BASE58_SIZE = 1683;
const MAX_BASE64_SIZE = 1644;

/** The bytes of an encoded transaction; invalid params (-32602) when the text or its size is wrong. */
export function decodeWire(encoded: unknown, encoding: WireEncoding): Uint8Array {
  if (typeof encoded !== "string") throw invalidParams("Invalid params: transaction must be a string");
  const max = encoding === "base58" ? MAX_BASE58_SIZE : MAX_BASE64_SIZE;
  if (encoded.length > max) {
    throw invalidParams(`${encoding} encoded solana_transaction::versioned::VersionedTransaction too large: ${encoded.length} bytes (max: encoded/raw ${max}/${PACKET_DATA_SIZE})`);
  }
  let bytes: Uint8Array;
  if (encoding === "base58") {
    try {
      bytes = decodeBase58(encoded);
    } catch {
      throw invalidParams(`invalid base58 encoding: ${encoded.length > 16 ? `${encoded.slice(0, 16)}…` : encoded}`);
    }
  } else {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) throw invalidParams("invalid base64 encoding: InvalidByte");
    bytes = Buffer.from(encoded, "base64");
  }
  if (bytes.length > PACKET_DATA_SIZE) {
    throw invalidParams(`decoded solana_transaction::versioned::VersionedTransaction too large: ${bytes.length} bytes (max: ${PACKET_DATA_SIZE} bytes)`);
  }
  return bytes;
}

const DESERIALIZE_FAILED = "failed to deserialize solana_transaction::versioned::VersionedTransaction";

/** Parses and sanitizes a serialized transaction; invalid params (-32602) with the validator's wording when it is not one. */
export function parseWire(raw: Uint8Array): WireTransaction {
  let tx: VersionedTransaction;
  try {
    tx = VersionedTransaction.deserialize(raw);
  } catch (e) {
    throw invalidParams(`${DESERIALIZE_FAILED}: ${(e as Error).message}`);
  }
  // web3.js reads what it needs and ignores the rest: trailing or missing bytes mean it was not a transaction.
  let reencoded: Uint8Array;
  try {
    reencoded = tx.serialize();
  } catch (e) {
    throw invalidParams(`${DESERIALIZE_FAILED}: ${(e as Error).message}`);
  }
  if (reencoded.length !== raw.length) throw invalidParams(`${DESERIALIZE_FAILED}: io error: invalid length`);
  const message = tx.message;
  const header = message.header;
  const staticCount = message.staticAccountKeys.length;
  const lookupCount = message.addressTableLookups.reduce((n, l) => n + l.writableIndexes.length + l.readonlyIndexes.length, 0);
  const sane =
    header.numRequiredSignatures > 0 &&
    tx.signatures.length === header.numRequiredSignatures &&
    header.numRequiredSignatures + header.numReadonlyUnsignedAccounts <= staticCount &&
    header.numReadonlySignedAccounts < header.numRequiredSignatures &&
    message.compiledInstructions.every(
      (ix) => ix.programIdIndex > 0 && ix.programIdIndex < staticCount && ix.accountKeyIndexes.every((i) => i < staticCount + lookupCount),
    );
  if (!sane) throw invalidParams("invalid transaction: Transaction failed to sanitize accounts offsets correctly");
  const signatures = tx.signatures.map((s) => encodeBase58(s));
  return {
    raw,
    tx,
    message,
    version: message.version === 0 ? 0 : "legacy",
    signatures,
    signature: signatures[0],
    recentBlockhash: message.recentBlockhash,
  };
}

/**
 * The accounts `message` loads, resolving lookup tables with `readAccountData`; null when a table is
 * missing or an index is out of range (the transaction cannot load, so it cannot land).
 */
export function loadedAccounts(message: VersionedMessage, readAccountData: (address: string) => Uint8Array | null): LoadedAccounts | null {
  const statics = message.staticAccountKeys.map((k) => k.toBase58());
  const loadedWritable: string[] = [];
  const loadedReadonly: string[] = [];
  for (const lookup of message.addressTableLookups) {
    const data = readAccountData(lookup.accountKey.toBase58());
    if (!data) return null;
    let addresses: PublicKey[];
    try {
      addresses = AddressLookupTableAccount.deserialize(data).addresses;
    } catch {
      return null;
    }
    for (const i of lookup.writableIndexes) {
      if (i >= addresses.length) return null;
      loadedWritable.push(addresses[i].toBase58());
    }
    for (const i of lookup.readonlyIndexes) {
      if (i >= addresses.length) return null;
      loadedReadonly.push(addresses[i].toBase58());
    }
  }
  const keys = [...statics, ...loadedWritable, ...loadedReadonly];
  const numSigners = message.header.numRequiredSignatures;
  return {
    keys,
    writable: keys.map((_, i) => message.isAccountWritable(i)),
    signer: keys.map((_, i) => i < numSigners),
    loaded: { writable: loadedWritable, readonly: loadedReadonly },
    fromLookup: keys.map((_, i) => i >= statics.length),
  };
}

/**
 * The fee `message` pays, lamports: 5,000 per signature plus the priority fee (compute-unit price in
 * micro-lamports × the compute-unit limit, rounded up), exactly what the runtime deducts.
 */
export function messageFee(message: VersionedMessage): bigint {
  let price = 0n;
  let limit: bigint | null = null;
  let otherInstructions = 0n;
  for (const ix of message.compiledInstructions) {
    const program = message.staticAccountKeys[ix.programIdIndex]?.toBase58();
    const data = ix.data;
    if (program !== COMPUTE_BUDGET_PROGRAM) {
      otherInstructions++;
      continue;
    }
    // ComputeBudgetInstruction: 2 = SetComputeUnitLimit(u32), 3 = SetComputeUnitPrice(u64 micro-lamports).
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data[0] === 2 && data.length >= 5) limit = BigInt(view.getUint32(1, true));
    if (data[0] === 3 && data.length >= 9) price = view.getBigUint64(1, true);
  }
  const units = limit ?? otherInstructions * DEFAULT_UNITS_PER_INSTRUCTION;
  const cappedUnits = units > MAX_COMPUTE_UNITS ? MAX_COMPUTE_UNITS : units;
  const priority = (price * cappedUnits + 999_999n) / 1_000_000n;
  return BigInt(message.header.numRequiredSignatures) * LAMPORTS_PER_SIGNATURE + priority;
}

/** The memo field of getSignaturesForAddress: "[len] text" for each memo instruction, joined by "; ". */
export function memoOf(message: VersionedMessage): string | null {
  const memos: string[] = [];
  for (const ix of message.compiledInstructions) {
    const program = message.staticAccountKeys[ix.programIdIndex]?.toBase58();
    if (program && MEMO_PROGRAMS.has(program)) {
      const text = Buffer.from(ix.data).toString("utf8");
      memos.push(`[${ix.data.length}] ${text}`);
    }
  }
  return memos.length ? memos.join("; ") : null;
}

// DER prefix of an Ed25519 public key (SubjectPublicKeyInfo), followed by the 32 raw key bytes.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Whether every signature of `wire` is a valid Ed25519 signature of its message by the matching signer. */
export function signaturesValid(wire: WireTransaction): boolean {
  const message = messageBytes(wire.raw);
  return wire.tx.signatures.every((signature, i) => {
    const signer = wire.message.staticAccountKeys[i];
    if (!signer) return false;
    try {
      const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, signer.toBuffer()]), format: "der", type: "spki" });
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  });
}

/** The signed message of a serialized transaction: what follows the compact-u16 count and the signatures. */
export function messageBytes(raw: Uint8Array): Uint8Array {
  let count = 0;
  let offset = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = raw[offset++];
    count |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) break;
  }
  return raw.subarray(offset + 64 * count);
}
