// Unsettled usage entries held column-wise in typed arrays, not as one object per request.
//
// Why: a served request stays unsettled for seconds (until its batch is on chain). Kept as objects, each
// (the entry and its request id string, ~170 bytes of heap) survived scavenges, was copied into the old
// generation and died there, feeding mark-compacts; a backlog (the chain unreachable for minutes) filled
// the old generation. Here an entry is ~52 bytes in array buffers, which the garbage collector never
// scans or copies; strings shared by many
// entries (team id, member, endpoint) are stored once, by index, and the gate's request ids (32 lowercase
// hex characters) as their 16 bytes. Entries are materialized as objects only when read whole.
//
// Storage is append-only: an index once written never changes, and a full set of columns is replaced by a
// bigger one (the live range copied over). So a range handed out (a sealed batch, a checkpoint's snapshot)
// stays valid and unchanged while requests keep arriving.
import type { UsageEntry } from "./sink";
import { U64_MAX } from "../../../sdk/src/constants";
import { isUsagePageKey } from "../../../convex/model/usagePage";

/** Whether an amount fits a u64 column (units, cost): typed arrays would wrap one that does not, silently. */
export function isU64(v: bigint): boolean {
  return typeof v === "bigint" && v >= 0n && v <= U64_MAX;
}

/** Strings shared by many entries (team ids, members, endpoints), stored once and referred to by index. */
export class StringTable {
  private readonly index = new Map<string, number>();
  /** Index 0 stands for null (an unattributed request's member). */
  private readonly strings: (string | null)[] = [null];

  indexOf(s: string | null): number {
    if (s === null) return 0;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }

  at(i: number): string | null {
    return this.strings[i]!;
  }
}

/** Value of a lowercase hex digit by char code, -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) HEX["0123456789abcdef".charCodeAt(c)] = c;

/** Bytes of a request id in its compact form (32 lowercase hex characters). */
export const ID_BYTES = 16;

/** ASCII of the lowercase hex digits, by value. */
const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");

/** Compact id `i` of `ids` (ID_BYTES each) as its 32 hex characters. */
export function compactIdText(ids: Uint8Array, i: number): string {
  return Buffer.from(ids.buffer, ids.byteOffset + i * ID_BYTES, ID_BYTES).toString("hex");
}

/** Writes compact id `i` of `ids` as its 32 ASCII hex characters into `out` at `at`; returns the end. */
export function writeCompactIdText(ids: Uint8Array, i: number, out: Uint8Array, at: number): number {
  for (let b = i * ID_BYTES, end = b + ID_BYTES; b < end; b++) {
    out[at++] = HEX_DIGITS[ids[b]! >> 4]!;
    out[at++] = HEX_DIGITS[ids[b]! & 15]!;
  }
  return at;
}

type TypedArrayOf<T> = { new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number };

/**
 * A zeroed typed array of `length` on shared memory. Receipt fields and charges cross to two worker threads
 * (the receipt root's and the I/O thread's): postMessage copies an ordinary array into the message and out
 * again, ~0.6 ms on this thread for 13,000 records, and shares a shared one for ~10 µs. Nothing writes to
 * them once sent.
 */
export function sharedArray<T>(C: TypedArrayOf<T>, length: number): T {
  return new C(new SharedArrayBuffer(length * C.BYTES_PER_ELEMENT));
}

function sharedCopy<T extends { set(source: ArrayLike<number> | ArrayLike<bigint>): void }>(C: TypedArrayOf<T>, source: { length: number } & (ArrayLike<number> | ArrayLike<bigint>)): T {
  const out = sharedArray(C, source.length);
  out.set(source);
  return out;
}

/**
 * The fields of a run of entries that a usage receipt holds (sdk/src/receipts.ts), column-wise in typed
 * arrays: what crosses to the receipt worker instead of a record object per request.
 */
export interface ReceiptFields {
  count: number;
  timestampMs: Float64Array;
  units: BigUint64Array;
  /** Request ids in compact form, ID_BYTES (16) each; zeros where the id is in `otherIds`. */
  ids: Uint8Array;
  /** Request ids not in compact form, by position. */
  otherIds: [number, string][];
  /** Endpoint and member of each entry, as indexes into `strings`. */
  endpoint: Uint32Array;
  userId: Uint32Array;
  strings: string[];
}

/** One fixed-capacity set of columns. */
class Columns {
  readonly timestampMs: Float64Array;
  readonly units: BigUint64Array;
  readonly cost: BigUint64Array;
  readonly teamId: Uint32Array;
  readonly userId: Uint32Array;
  readonly endpoint: Uint32Array;
  /** The request ids in compact form, ID_BYTES each. */
  readonly ids: Buffer;
  /** Request ids not in compact form (other generators), by index. */
  readonly otherIds = new Map<number, string>();

  constructor(
    readonly capacity: number,
    readonly strings: StringTable,
  ) {
    this.timestampMs = new Float64Array(capacity);
    this.units = new BigUint64Array(capacity);
    this.cost = new BigUint64Array(capacity);
    this.teamId = new Uint32Array(capacity);
    this.userId = new Uint32Array(capacity);
    this.endpoint = new Uint32Array(capacity);
    this.ids = Buffer.alloc(capacity * ID_BYTES);
  }

  write(i: number, e: UsageEntry): void {
    // An amount is never stored wrong.
    if (!isU64(e.units) || !isU64(e.cost)) {
      throw new RangeError(`request ${e.requestId}: units and cost must be u64`);
    }
    this.timestampMs[i] = e.timestampMs;
    this.units[i] = e.units;
    this.cost[i] = e.cost;
    this.teamId[i] = this.strings.indexOf(e.teamId);
    this.userId[i] = this.strings.indexOf(e.userId);
    this.endpoint[i] = this.strings.indexOf(e.endpoint);
    if (!this.writeCompactId(i, e.requestId)) this.otherIds.set(i, e.requestId);
  }

  private writeCompactId(i: number, id: string): boolean {
    if (id.length !== 2 * ID_BYTES) return false;
    const at = i * ID_BYTES;
    for (let b = 0; b < ID_BYTES; b++) {
      const hi = id.charCodeAt(2 * b);
      const lo = id.charCodeAt(2 * b + 1);
      const h = hi < 128 ? HEX[hi]! : -1;
      const l = lo < 128 ? HEX[lo]! : -1;
      if ((h | l) < 0) return false;
      this.ids[at + b] = (h << 4) | l;
    }
    return true;
  }

  requestId(i: number): string {
    return this.otherIds.get(i) ?? compactIdText(this.ids, i);
  }

  /** Writes request id i as ASCII into `out` at `at` (room for 64 bytes); returns the end, or -1 when a page could not carry the id. */
  writeRequestId(i: number, out: Buffer, at: number): number {
    const other = this.otherIds.get(i);
    if (other !== undefined) {
      if (!isUsagePageKey(other)) return -1;
      return at + out.write(other, at, "latin1");
    }
    return writeCompactIdText(this.ids, i, out, at);
  }

  /** Copies entries [from, from + count) of `src` to [at, at + count) of this. */
  copyFrom(src: Columns, from: number, count: number, at: number): void {
    const to = from + count;
    this.timestampMs.set(src.timestampMs.subarray(from, to), at);
    this.units.set(src.units.subarray(from, to), at);
    this.cost.set(src.cost.subarray(from, to), at);
    this.teamId.set(src.teamId.subarray(from, to), at);
    this.userId.set(src.userId.subarray(from, to), at);
    this.endpoint.set(src.endpoint.subarray(from, to), at);
    src.ids.copy(this.ids, at * ID_BYTES, from * ID_BYTES, to * ID_BYTES);
    for (const [i, id] of src.otherIds) if (i >= from && i < to) this.otherIds.set(at + i - from, id);
  }
}

/**
 * A fixed run of one team's usage entries, read by position (0 = first). Column reads allocate nothing but
 * the value; `at` and iteration build entry objects.
 */
export class EntryList implements Iterable<UsageEntry> {
  constructor(
    /** The team's TeamBillingAccount address (every entry's `team`). */
    readonly team: string,
    private readonly cols: Columns,
    private readonly from: number,
    readonly length: number,
  ) {}

  static empty(team: string): EntryList {
    return new EntryList(team, EMPTY_COLUMNS, 0, 0);
  }

  /** A list of these entries, in order (they must all be `team`'s). */
  static of(team: string, entries: readonly UsageEntry[], strings: StringTable): EntryList {
    const cols = new Columns(entries.length, strings);
    entries.forEach((e, i) => {
      if (e.team !== team) throw new RangeError(`request ${e.requestId} is team ${e.team}'s, not ${team}'s`);
      cols.write(i, e);
    });
    return new EntryList(team, cols, 0, entries.length);
  }

  private pos(i: number): number {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`entry ${i} of ${this.length}`);
    return this.from + i;
  }

  requestId(i: number): string {
    return this.cols.requestId(this.pos(i));
  }
  timestampMs(i: number): number {
    return this.cols.timestampMs[this.pos(i)]!;
  }
  units(i: number): bigint {
    return this.cols.units[this.pos(i)]!;
  }
  cost(i: number): bigint {
    return this.cols.cost[this.pos(i)]!;
  }
  teamId(i: number): string {
    return this.cols.strings.at(this.cols.teamId[this.pos(i)]!)!;
  }
  userId(i: number): string | null {
    return this.cols.strings.at(this.cols.userId[this.pos(i)]!);
  }
  endpoint(i: number): string {
    return this.cols.strings.at(this.cols.endpoint[this.pos(i)]!)!;
  }

  /** Writes entry i's request id as ASCII into `out` at `at` (room for 64 bytes); the end, or -1 when a page could not carry it. */
  writeRequestId(i: number, out: Buffer, at: number): number {
    return this.cols.writeRequestId(this.pos(i), out, at);
  }

  /** Entry i as an object. */
  at(i: number): UsageEntry {
    const p = this.pos(i);
    const c = this.cols;
    return {
      requestId: c.requestId(p),
      teamId: c.strings.at(c.teamId[p]!)!,
      team: this.team,
      userId: c.strings.at(c.userId[p]!),
      endpoint: c.strings.at(c.endpoint[p]!)!,
      units: c.units[p]!,
      cost: c.cost[p]!,
      timestampMs: c.timestampMs[p]!,
    };
  }

  /** Entries [start, end) of this list (a view: nothing is copied). */
  slice(start: number, end = this.length): EntryList {
    const s = Math.max(0, Math.min(start, this.length));
    const e = Math.max(s, Math.min(end, this.length));
    return new EntryList(this.team, this.cols, this.from + s, e - s);
  }

  *[Symbol.iterator](): Iterator<UsageEntry> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  toArray(): UsageEntry[] {
    return Array.from(this);
  }

  /**
   * This list's receipt fields as typed arrays (copies, on shared memory: see sharedArray) with the members and endpoints they name, for a
   * worker thread: ids in compact form as their 16 bytes, others by position; member and endpoint by index
   * into `strings`, a null member as `unattributed`.
   */
  receiptFields(unattributed: string): ReceiptFields {
    const c = this.cols;
    const from = this.from;
    const to = from + this.length;
    const strings: string[] = [];
    // Table index → index in `strings`. A Map, not an array over the table: the table holds every team,
    // member and endpoint the gateway has seen, and a batch names a few of them.
    const local = new Map<number, number>();
    const localOf = (g: number): number => {
      let l = local.get(g);
      if (l === undefined) {
        l = strings.length;
        strings.push(c.strings.at(g) ?? unattributed);
        local.set(g, l);
      }
      return l;
    };
    const endpoint = sharedArray(Uint32Array, this.length);
    const userId = sharedArray(Uint32Array, this.length);
    // Runs of entries share their endpoint and member: one lookup per change.
    let lastE = -1;
    let lastEL = 0;
    let lastU = -1;
    let lastUL = 0;
    for (let i = 0; i < this.length; i++) {
      const e = c.endpoint[from + i]!;
      if (e !== lastE) (lastE = e), (lastEL = localOf(e));
      endpoint[i] = lastEL;
      const u = c.userId[from + i]!;
      if (u !== lastU) (lastU = u), (lastUL = localOf(u));
      userId[i] = lastUL;
    }
    const otherIds: [number, string][] = [];
    for (const [i, id] of c.otherIds) if (i >= from && i < to) otherIds.push([i - from, id]);
    return {
      count: this.length,
      timestampMs: sharedCopy(Float64Array, c.timestampMs.subarray(from, to)),
      units: sharedCopy(BigUint64Array, c.units.subarray(from, to)),
      ids: sharedCopy(Uint8Array, c.ids.subarray(from * ID_BYTES, to * ID_BYTES)),
      otherIds,
      endpoint,
      userId,
      strings,
    };
  }

  /** Copies this list into `dest` from position `at`. */
  copyTo(dest: Columns, at: number): void {
    dest.copyFrom(this.cols, this.from, this.length, at);
  }
}

const EMPTY_COLUMNS = new Columns(0, new StringTable());

/** Entries per set of columns at least (a set holds a few hundred KB at most for a quiet team). */
const MIN_CAPACITY = 256;

/**
 * One team's unbatched entries in append order: appended at the end, taken from the front by a seal, put
 * back in front by an unseal. Lists handed out never change.
 */
export class PendingEntries {
  private cols: Columns;
  /** Position of the first pending entry. */
  private head = 0;
  /** Position after the last. */
  private tail = 0;
  /** Cost of the first `costCounted` pending entries, summed as the settler asks (each entry once). */
  private costSum = 0n;
  private costCounted = 0;

  constructor(
    readonly team: string,
    private readonly strings: StringTable,
  ) {
    this.cols = new Columns(MIN_CAPACITY, strings);
  }

  get length(): number {
    return this.tail - this.head;
  }

  push(e: UsageEntry): void {
    if (this.tail === this.cols.capacity) this.grow();
    this.cols.write(this.tail, e);
    this.tail += 1;
  }

  /** The pending entries as they are now. */
  list(): EntryList {
    return new EntryList(this.team, this.cols, this.head, this.length);
  }

  /** Removes the first `n` pending entries and returns them. */
  take(n: number): EntryList {
    if (!(Number.isInteger(n) && n >= 0 && n <= this.length)) throw new RangeError(`take ${n} of ${this.length}`);
    const taken = new EntryList(this.team, this.cols, this.head, n);
    this.head += n;
    this.costSum = 0n;
    this.costCounted = 0;
    return taken;
  }

  /** Puts `front` (this team's) before the pending entries. */
  unshift(front: EntryList): void {
    const rest = this.list();
    this.cols = new Columns(Math.max(MIN_CAPACITY, 2 * (front.length + rest.length)), this.strings);
    front.copyTo(this.cols, 0);
    rest.copyTo(this.cols, front.length);
    this.head = 0;
    this.tail = front.length + rest.length;
    this.costSum = 0n;
    this.costCounted = 0;
  }

  /** Total cost of the pending entries, base units (entries appended since the last call are added once). */
  cost(): bigint {
    const c = this.cols;
    for (; this.costCounted < this.length; this.costCounted++) this.costSum += c.cost[this.head + this.costCounted]!;
    return this.costSum;
  }

  /** A new set of columns, twice the pending entries' number, with them copied to its start (the old set stays as lists handed out see it). */
  private grow(): void {
    const next = new Columns(Math.max(MIN_CAPACITY, 2 * (this.length + 1)), this.strings);
    next.copyFrom(this.cols, this.head, this.length, 0);
    this.tail = this.length;
    this.head = 0;
    this.cols = next;
  }
}
