// A page of the ledger's usage text (convex/model/usagePage.ts) written straight from the entry columns
// (or a batch's receipt fields) into a buffer: the same text encodeUsagePage gives for the same records
// (repeats included: after the first line, a field equal to the line before's is left empty and the
// timestamp is its signed change), with the same checks and error messages, but no record object, line
// string or id string per request. A batch has up to ~25,000 lines; built as objects and strings they
// arrived in bursts of several MB, each burst forcing scavenges (on the request thread, where they were
// written then, promoting the requests in flight at the time).
import { ledgerError } from "../../../convex/model/errors";
import { isUsagePageKey } from "../../../convex/model/usagePage";
import { isU64 } from "../usage/entry-columns";

const SPACE = 0x20;
const NEWLINE = 0x0a;
/** Most bytes one line takes: three keys of ≤ 64, an id of ≤ 64, a signed timestamp change and units of ≤ 16 digits, a u64 of ≤ 20, five spaces, a newline. */
const MAX_LINE_BYTES = 4 * 64 + 1 + 2 * 16 + 20 + 6;
const PLUS = 0x2b;
const MINUS = 0x2d;
/** Distinct cost texts kept (a batch has a few prices). */
const MAX_COSTS = 64;

function bad(line: number, what: string): never {
  throw ledgerError("invalid_argument", `usage page line ${line}: ${what}`);
}

/** What a line is written from: the entry columns (EntryList) or a batch's receipt fields (batch-pages.ts). */
export interface PageSource {
  timestampMs(i: number): number;
  units(i: number): bigint;
  endpoint(i: number): string;
  /** Writes record i's request id at `at`; returns the end, or -1 when it cannot be a page key. */
  writeRequestId(i: number, out: Buffer, at: number): number;
}

export class PageTextWriter {
  private buf: Buffer;
  private length = 0;
  /** Lines written so far. */
  lines = 0;
  /** Endpoint and member ids already checked, as bytes. */
  private readonly keys = new Map<string, Buffer>();
  private readonly costs = new Map<bigint, Buffer>();
  // The previous line's fields, which the next line leaves empty when it repeats them.
  private lastTimestampMs = 0;
  private lastEndpoint = "";
  private lastUserId = "";
  private lastUnits = 0n;
  private lastCost = 0n;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /**
   * Appends entry `i` of `list` as the page's next line, attributed to `userId` (the entry's member, or
   * the unattributed id) at `cost` (base units). Refuses, as encodeUsagePage does, a record the page
   * could not carry back identically.
   */
  add(list: PageSource, i: number, userId: string, cost: bigint): void {
    const line = this.lines + 1;
    if (this.length + MAX_LINE_BYTES > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + MAX_LINE_BYTES));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    const ts = list.timestampMs(i);
    if (!Number.isSafeInteger(ts) || ts < 0) bad(line, "timestampMs must be a non-negative safe integer");
    const units = list.units(i);
    if (units < 1n || units > BigInt(Number.MAX_SAFE_INTEGER)) bad(line, "units must be a safe integer of at least 1");
    if (!isU64(cost)) bad(line, "cost must be a u64 bigint");
    const endpoint = list.endpoint(i);
    const buf = this.buf;
    let at = this.length;
    const first = this.lines === 0;
    if (!first) buf[at++] = NEWLINE;
    at = list.writeRequestId(i, buf, at);
    if (at < 0) bad(line, "requestId must be 1 to 64 printable ASCII characters without spaces");
    buf[at++] = SPACE;
    if (first) at = writeDigits(buf, at, ts);
    else if (ts > this.lastTimestampMs) (buf[at++] = PLUS), (at = writeDigits(buf, at, ts - this.lastTimestampMs));
    else if (ts < this.lastTimestampMs) (buf[at++] = MINUS), (at = writeDigits(buf, at, this.lastTimestampMs - ts));
    buf[at++] = SPACE;
    if (first || endpoint !== this.lastEndpoint) at += this.key(endpoint, line, "endpoint").copy(buf, at);
    buf[at++] = SPACE;
    if (first || userId !== this.lastUserId) at += this.key(userId, line, "userId").copy(buf, at);
    buf[at++] = SPACE;
    if (first || units !== this.lastUnits) at = writeDigits(buf, at, Number(units));
    buf[at++] = SPACE;
    if (first || cost !== this.lastCost) at += this.costText(cost).copy(buf, at);
    this.length = at;
    this.lines += 1;
    this.lastTimestampMs = ts;
    this.lastEndpoint = endpoint;
    this.lastUserId = userId;
    this.lastUnits = units;
    this.lastCost = cost;
  }

  /** The page's text so far. */
  text(): string {
    return this.buf.toString("latin1", 0, this.length);
  }

  private key(s: string, line: number, name: string): Buffer {
    let bytes = this.keys.get(s);
    if (bytes === undefined) {
      if (!isUsagePageKey(s)) bad(line, `${name} must be 1 to 64 printable ASCII characters without spaces`);
      bytes = Buffer.from(s, "latin1");
      this.keys.set(s, bytes);
    }
    return bytes;
  }

  private costText(cost: bigint): Buffer {
    let bytes = this.costs.get(cost);
    if (bytes === undefined) {
      if (this.costs.size >= MAX_COSTS) this.costs.clear();
      bytes = Buffer.from(cost.toString(), "latin1");
      this.costs.set(cost, bytes);
    }
    return bytes;
  }
}

/** Writes a non-negative safe integer's decimal digits; returns the end. */
function writeDigits(buf: Buffer, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 0x30 + n;
    return at + 1;
  }
  let digits = 0;
  for (let v = n; v >= 1; v = Math.floor(v / 10)) digits++;
  const end = at + digits;
  for (let v = n, k = end - 1; k >= at; k--, v = Math.floor(v / 10)) buf[k] = 0x30 + (v % 10);
  return end;
}
