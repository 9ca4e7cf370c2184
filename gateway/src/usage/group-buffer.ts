// The bytes of the usage log's next group (codec.ts), written as lines are appended.
//
// A served request's compact `u` line goes straight into the buffer, field by field: no line string,
// no joined group string, no UTF-8 conversion of it at write time. Each request used to leave ~0.7 KB
// of short-lived strings behind on the request path; this leaves none. Other lines (JSON) are copied in
// as text. frame() closes the group with its trailer.
import { crc32 } from "node:zlib";
import { encodeUsageEntry } from "./codec";
import type { UsageEntry } from "./sink";

const SPACE = 0x20;
const NEWLINE = 0x0a;
/** Characters of a decimal safe integer or u64 at most. */
const MAX_DIGITS = 20;
/** Trailer line: '#', 8 hex, ' ', a line count, '\n'. */
const MAX_TRAILER = 32;

/** Writes `s` at `at` when it is printable ASCII without spaces and not empty: the end, else -1. */
function putPlain(buf: Buffer, at: number, s: string): number {
  const n = s.length;
  if (n === 0) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return -1;
    buf[at + i] = c;
  }
  return at + n;
}

/** Writes a non-negative safe integer in decimal at `at`: the end. */
function putDecimal(buf: Buffer, at: number, value: number): number {
  let digits = 1;
  for (let x = value; x >= 10; x = Math.floor(x / 10)) digits++;
  let x = value;
  for (let i = at + digits - 1; i >= at; i--) {
    buf[i] = 0x30 + (x % 10);
    x = Math.floor(x / 10);
  }
  return at + digits;
}

export class GroupBuffer {
  private buf: Buffer;
  /** Bytes of lines so far. */
  private length = 0;
  /** Lines so far. */
  lines = 0;
  /** The last cost written and its decimal text: a team's requests mostly cost the same. */
  private lastCost = -1n;
  private lastCostText = "";

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get bytes(): number {
    return this.length;
  }

  /** Room for `more` bytes after the lines so far (the buffer doubles when it must). */
  private reserve(more: number): Buffer {
    const need = this.length + more + MAX_TRAILER;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    return this.buf;
  }

  /** Adds one line of text (ending with its newline). */
  addText(text: string): void {
    const buf = this.reserve(Buffer.byteLength(text));
    this.length += buf.write(text, this.length, "utf8");
    this.lines += 1;
  }

  /** Adds a served request's line: the same bytes as encodeUsageEntry(e), built in place. */
  addEntry(e: UsageEntry): void {
    const user = e.userId;
    const ts = e.timestampMs;
    if (!(Number.isSafeInteger(ts) && ts >= 0)) return this.addText(encodeUsageEntry(e));
    const cost = e.cost === this.lastCost ? this.lastCostText : this.costText(e.cost);
    const units = e.units === 1n ? "1" : e.units.toString();
    const most =
      2 + e.requestId.length + 1 + e.teamId.length + 1 + e.team.length + 1 + (user === null ? 0 : user.length) + 1 + e.endpoint.length + 1 + units.length + 1 + cost.length + 1 + MAX_DIGITS + 1;
    const buf = this.reserve(most);
    let at = this.length;
    buf[at++] = 0x75; // 'u'
    buf[at++] = SPACE;
    if ((at = putPlain(buf, at, e.requestId)) < 0) return this.addText(encodeUsageEntry(e));
    buf[at++] = SPACE;
    if ((at = putPlain(buf, at, e.teamId)) < 0) return this.addText(encodeUsageEntry(e));
    buf[at++] = SPACE;
    if ((at = putPlain(buf, at, e.team)) < 0) return this.addText(encodeUsageEntry(e));
    buf[at++] = SPACE;
    if (user !== null && (at = putPlain(buf, at, user)) < 0) return this.addText(encodeUsageEntry(e));
    buf[at++] = SPACE;
    if ((at = putPlain(buf, at, e.endpoint)) < 0) return this.addText(encodeUsageEntry(e));
    buf[at++] = SPACE;
    at = putPlain(buf, at, units); // digits: always plain
    buf[at++] = SPACE;
    at = putPlain(buf, at, cost);
    buf[at++] = SPACE;
    at = putDecimal(buf, at, ts);
    buf[at++] = NEWLINE;
    this.length = at;
    this.lines += 1;
  }

  private costText(cost: bigint): string {
    this.lastCost = cost;
    this.lastCostText = cost.toString();
    return this.lastCostText;
  }

  /** The group ready to write: its lines and the trailer over them (a view of this buffer until reset). */
  frame(): Buffer {
    const buf = this.buf;
    const crc = crc32(buf.subarray(0, this.length));
    const end = this.length + buf.write(`#${crc.toString(16).padStart(8, "0")} ${this.lines}\n`, this.length, "latin1");
    return buf.subarray(0, end);
  }

  /** Empties the group, keeping the buffer for the next one. */
  reset(): void {
    this.length = 0;
    this.lines = 0;
  }
}
