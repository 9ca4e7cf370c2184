// Usage receipts: the Merkle tree whose root each `deduct_usage` commits as `usage_root`, so any invoice
// line (one usage record) can be proven to be part of a batch the chain settled. The format is specified
// in docs/usage-receipts.md; this module is its reference implementation and runs in Node and browsers
// (sha256 from @noble/hashes, no Buffer). Builders of large batches may pass a faster sha256 (e.g. Node's
// native one: the gateway's settle worker does); the bytes hashed are the same either way.
import { sha256 } from "@noble/hashes/sha2";
import { PublicKey } from "@solana/web3.js";
import { U64_MAX } from "./constants";

/** One served, priced request (or group of units) of a team, as settled in one batch. */
export interface UsageRecord {
  /** The team's TeamBillingAccount address (base58), as in `UsageDeducted.team`. */
  team: string;
  /** The `batch_seq` of the `deduct_usage` that settles this record (u64). */
  batchSeq: bigint;
  /** Unique id of the request within the team (UTF-8, at most 255 bytes). */
  requestId: string;
  /** When the request was served, unix milliseconds (u64). */
  timestampMs: bigint;
  /** The endpoint billed, e.g. "/api/v1/search" (UTF-8, at most 255 bytes). */
  endpoint: string;
  /** The member the request is attributed to (the `X-User-ID`; UTF-8, at most 255 bytes). */
  userId: string;
  /** Requests this record counts toward `request_count` (u64, at least 1). */
  units: bigint;
  /** Cost attributed to this record off-chain, USDC base units (u64). */
  cost: bigint;
}

/** A usage record as the ledger keeps it (convex/model/usagePage.ts): counts and times as safe integers. */
export interface LedgerUsageRecord {
  requestId: string;
  timestampMs: number;
  endpoint: string;
  userId: string;
  units: number;
  cost: bigint;
}

/** The receipt record of a ledger record settled in batch `batchSeq` of `team`. */
export function receiptRecordOf(team: string, batchSeq: bigint, r: LedgerUsageRecord): UsageRecord {
  return {
    team,
    batchSeq,
    requestId: r.requestId,
    timestampMs: BigInt(r.timestampMs),
    endpoint: r.endpoint,
    userId: r.userId,
    units: BigInt(r.units),
    cost: r.cost,
  };
}

/** A sha256 implementation: 32-byte digest of `data`. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

export interface TreeOptions {
  /** Default @noble/hashes' sha256 (pure JS, runs anywhere). */
  sha256?: Sha256;
}

export interface UsageProof {
  /** Position of the record in the canonical order of the batch. */
  index: number;
  /** Number of records in the batch. */
  count: number;
  /** Sibling hashes from the leaf level up; levels where the node was promoted have none. */
  siblings: Uint8Array[];
}

/** Thrown for a record or batch that cannot be encoded (bad field, mixed batch, duplicate request id). */
export class ReceiptFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReceiptFormatError";
  }
}

/** Version byte of the leaf encoding below; a new encoding gets a new version. */
export const RECEIPT_LEAF_VERSION = 1;
/** Domain prefixes: a leaf hash can never equal an inner-node hash. */
export const LEAF_PREFIX = 0x00;
export const NODE_PREFIX = 0x01;
/** Root of a batch with no records: 32 zero bytes (a settled batch always has records). */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(32);
/** Longest UTF-8 encoding of requestId, endpoint and userId, in bytes (their length prefix is one byte). */
export const MAX_TEXT_BYTES = 255;

const utf8 = new TextEncoder();

function checkU64(value: bigint, name: string): void {
  if (typeof value !== "bigint" || value < 0n || value > U64_MAX) {
    throw new ReceiptFormatError(`${name} must be a u64 bigint, got ${String(value)}`);
  }
}

/** Writes `len u8 ‖ utf8(value)` at `at` of `out` (which has room for MAX_TEXT_BYTES + 1 bytes there); returns the end. */
function writeText(out: Uint8Array, at: number, value: string, name: string): number {
  if (typeof value !== "string") throw new ReceiptFormatError(`${name} must be a string`);
  // One byte more than allowed fits the window, so "too long" shows as written > MAX or read < length.
  const { read, written } = utf8.encodeInto(value, out.subarray(at + 1, at + 2 + MAX_TEXT_BYTES));
  if (written > MAX_TEXT_BYTES || read < value.length) {
    throw new ReceiptFormatError(`${name} is ${utf8.encode(value).length} bytes, at most ${MAX_TEXT_BYTES}`);
  }
  out[at] = written;
  return at + 1 + written;
}

/** Longest leaf input: prefix, version, team, four u64, three texts with one spare byte for the length check. */
const MAX_LEAF_BYTES = 1 + 1 + 32 + 4 * 8 + 3 * (1 + MAX_TEXT_BYTES) + 1;

/**
 * Writes the leaf encoding of `record` into `out` from `at` (team given as its 32 bytes) and returns the
 * end offset. One buffer, no intermediate arrays: a batch of 10,000 records is encoded in milliseconds.
 */
function writeRecord(out: Uint8Array, view: DataView, at: number, record: UsageRecord, team: Uint8Array): number {
  if (typeof record.units === "bigint" && record.units === 0n) throw new ReceiptFormatError("units must be at least 1");
  if (typeof record.requestId === "string" && record.requestId.length === 0) throw new ReceiptFormatError("requestId must not be empty");
  checkU64(record.batchSeq, "batchSeq");
  checkU64(record.timestampMs, "timestampMs");
  checkU64(record.units, "units");
  checkU64(record.cost, "cost");
  out[at] = RECEIPT_LEAF_VERSION;
  out.set(team, at + 1);
  view.setBigUint64(at + 33, record.batchSeq, true);
  view.setBigUint64(at + 41, record.timestampMs, true);
  view.setBigUint64(at + 49, record.units, true);
  view.setBigUint64(at + 57, record.cost, true);
  let end = writeText(out, at + 65, record.requestId, "requestId");
  end = writeText(out, end, record.endpoint, "endpoint");
  return writeText(out, end, record.userId, "userId");
}

/** Reusable scratch for leaf inputs (the hash copies what it reads). */
class LeafWriter {
  private readonly buf = new Uint8Array(MAX_LEAF_BYTES);
  private readonly view = new DataView(this.buf.buffer);

  constructor(private readonly team: Uint8Array) {
    this.buf[0] = LEAF_PREFIX;
  }

  /** `0x00 ‖ encodeUsageRecord(record)`, valid until the next call. */
  leafInput(record: UsageRecord): Uint8Array {
    return this.buf.subarray(0, writeRecord(this.buf, this.view, 1, record, this.team));
  }
}

function teamBytes(team: string): Uint8Array {
  try {
    return new PublicKey(team).toBytes();
  } catch {
    throw new ReceiptFormatError(`team must be a base58 public key, got ${JSON.stringify(team)}`);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The leaf encoding (version 1), little-endian integers:
 * `version u8 ‖ team [32] ‖ batch_seq u64 ‖ timestamp_ms u64 ‖ units u64 ‖ cost u64 ‖
 *  len u8 ‖ request_id ‖ len u8 ‖ endpoint ‖ len u8 ‖ user_id`.
 */
export function encodeUsageRecord(record: UsageRecord): Uint8Array {
  return new LeafWriter(teamBytes(record.team)).leafInput(record).slice(1);
}

/** `sha256(0x00 ‖ encodeUsageRecord(record))`. */
export function usageLeafHash(record: UsageRecord, hash: Sha256 = sha256): Uint8Array {
  return hash(new LeafWriter(teamBytes(record.team)).leafInput(record));
}

/** `sha256(0x01 ‖ left ‖ right)`. */
export function usageNodeHash(left: Uint8Array, right: Uint8Array, hash: Sha256 = sha256): Uint8Array {
  return hash(concat([Uint8Array.of(NODE_PREFIX), left, right]));
}

/** usageNodeHash through one reusable 65-byte input (a tree hashes as many inner nodes as leaves). */
class NodeHasher {
  private readonly buf = new Uint8Array(65);

  constructor(private readonly hash: Sha256) {
    this.buf[0] = NODE_PREFIX;
  }

  node(left: Uint8Array, right: Uint8Array): Uint8Array {
    if (left.length !== 32 || right.length !== 32) return usageNodeHash(left, right, this.hash);
    this.buf.set(left, 1);
    this.buf.set(right, 33);
    return this.hash(this.buf); // the hash reads its input now: the buffer can be reused
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * The canonical order of a batch: ascending `timestampMs`, then ascending `requestId` compared as UTF-8
 * bytes. The producer's order does not matter, so anyone holding the records rebuilds the same root.
 */
export function canonicalOrder(records: readonly UsageRecord[]): UsageRecord[] {
  // Without surrogate code units (no code point above U+FFFF; every real id), UTF-16 order is code-point
  // order, which is UTF-8 byte order: the strings compare as they are.
  if (!records.some((r) => typeof r.requestId !== "string" || SURROGATE.test(r.requestId))) {
    return [...records].sort((a, b) => {
      if (a.timestampMs !== b.timestampMs) return a.timestampMs < b.timestampMs ? -1 : 1;
      return a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0;
    });
  }
  // Each request id is encoded once, not once per comparison.
  const keyed = records.map((record) => ({ record, id: utf8.encode(record.requestId) }));
  keyed.sort((a, b) => {
    if (a.record.timestampMs !== b.record.timestampMs) return a.record.timestampMs < b.record.timestampMs ? -1 : 1;
    return compareBytes(a.id, b.id);
  });
  return keyed.map((k) => k.record);
}

const SURROGATE = /[\uD800-\uDFFF]/;

function checkBatch(records: readonly UsageRecord[]): void {
  if (records.length === 0) return;
  const { team, batchSeq } = records[0];
  const seen = new Set<string>();
  for (const r of records) {
    if (r.team !== team) throw new ReceiptFormatError(`a batch holds one team: ${r.team} in a batch of ${team}`);
    if (r.batchSeq !== batchSeq) throw new ReceiptFormatError(`a batch holds one batch_seq: ${r.batchSeq} in batch ${batchSeq}`);
    if (seen.has(r.requestId)) throw new ReceiptFormatError(`request ${JSON.stringify(r.requestId)} appears twice in the batch`);
    seen.add(r.requestId);
  }
}

/**
 * The Merkle tree of one batch. Leaves in canonical order; each level pairs nodes left to right and a
 * last unpaired node is promoted unchanged to the next level (never duplicated, so no two different
 * batches share a root by repeating a record).
 */
export class UsageReceiptTree {
  /** The records in canonical order; `records[i]` is leaf i. */
  readonly records: readonly UsageRecord[];
  /** `levels[0]` are the leaf hashes, the last level holds the root. */
  private readonly levels: Uint8Array[][];

  constructor(records: readonly UsageRecord[], options: TreeOptions = {}) {
    const hash = options.sha256 ?? sha256;
    checkBatch(records);
    this.records = canonicalOrder(records);
    // checkBatch made every record's team the same: decode it once.
    const writer = new LeafWriter(this.records.length > 0 ? teamBytes(this.records[0].team) : new Uint8Array(32));
    const levels: Uint8Array[][] = [this.records.map((r) => hash(writer.leafInput(r)))];
    const nodes = new NodeHasher(hash);
    while (levels[levels.length - 1].length > 1) {
      const below = levels[levels.length - 1];
      const above: Uint8Array[] = [];
      for (let i = 0; i < below.length; i += 2) {
        above.push(i + 1 < below.length ? nodes.node(below[i], below[i + 1]) : below[i]);
      }
      levels.push(above);
    }
    this.levels = levels;
  }

  /** The 32-byte root committed on chain as `usage_root` (EMPTY_ROOT for no records). */
  get root(): Uint8Array {
    const top = this.levels[this.levels.length - 1];
    return top.length === 0 ? EMPTY_ROOT.slice() : top[0].slice();
  }

  /** Inclusion proof of the record at canonical position `index`. */
  proofAt(index: number): UsageProof {
    const count = this.records.length;
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`no record at index ${index} of ${count}`);
    const siblings: Uint8Array[] = [];
    let i = index;
    for (let level = 0; level < this.levels.length - 1; level++) {
      const nodes = this.levels[level];
      const sibling = i % 2 === 1 ? i - 1 : i + 1;
      if (sibling < nodes.length) siblings.push(nodes[sibling].slice());
      i = Math.floor(i / 2);
    }
    return { index, count, siblings };
  }

  /** Inclusion proof of the record with `requestId`. */
  proof(requestId: string): UsageProof {
    const index = this.records.findIndex((r) => r.requestId === requestId);
    if (index < 0) throw new RangeError(`request ${JSON.stringify(requestId)} is not in this batch`);
    return this.proofAt(index);
  }
}

/** The `usage_root` of a batch of records. */
export function usageRoot(records: readonly UsageRecord[], options: TreeOptions = {}): Uint8Array {
  return new UsageReceiptTree(records, options).root;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/**
 * True when `record` is leaf `proof.index` of a batch of `proof.count` records whose root is `root`.
 * Recomputes the path: at each level an odd position hashes with its left sibling, an even one with its
 * right sibling when it exists, and is promoted otherwise; every sibling must be used exactly once.
 */
export function verifyUsageProof(root: Uint8Array, record: UsageRecord, proof: UsageProof): boolean {
  const { index, count, siblings } = proof;
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) return false;
  let hash: Uint8Array;
  try {
    hash = usageLeafHash(record);
  } catch (err) {
    if (err instanceof ReceiptFormatError) return false;
    throw err;
  }
  let i = index;
  let width = count;
  let used = 0;
  while (width > 1) {
    if (i % 2 === 1) {
      if (used >= siblings.length) return false;
      hash = usageNodeHash(siblings[used++], hash);
    } else if (i + 1 < width) {
      if (used >= siblings.length) return false;
      hash = usageNodeHash(hash, siblings[used++]);
    }
    i = Math.floor(i / 2);
    width = Math.ceil(width / 2);
  }
  return used === siblings.length && equalBytes(hash, root);
}

export interface BatchTotals {
  /** Sum of `units`: the `request_count` to submit with the batch. */
  requestCount: bigint;
  /** Sum of the records' attributed `cost`, base units. */
  cost: bigint;
}

/** Totals of a batch, checked against u64 like the chain's counters. */
export function batchTotals(records: readonly UsageRecord[]): BatchTotals {
  let requestCount = 0n;
  let cost = 0n;
  for (const r of records) {
    requestCount += r.units;
    cost += r.cost;
    if (requestCount > U64_MAX || cost > U64_MAX) throw new ReceiptFormatError("batch totals exceed u64");
  }
  return { requestCount, cost };
}

/** Lowercase hex of bytes, e.g. a root for storage or display. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Bytes of a hex string (even length, 0-9a-f, either case). */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new ReceiptFormatError(`not a hex string: ${JSON.stringify(hex)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
