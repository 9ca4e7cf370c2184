// The bytes of the usage log's next group (codec.ts), written as lines are appended.
//
// A served request's compact `u` line goes straight into the buffer (codec writeUsageLine): no line
// string, no joined group string, no UTF-8 conversion of it at write time. Each request used to leave
// ~0.7 KB of short-lived strings behind on the request path; this leaves none. Other lines (JSON) are
// copied in as text. frame() closes the group with its trailer.
import { encodeLine, MAX_TRAILER_BYTES, usageLine, usageLineBound, writeTrailer, writeUsageLine } from "./codec";
import type { UsageEntry } from "./sink";

export class GroupBuffer {
  private buf: Buffer;
  /** Bytes of lines so far. */
  private length = 0;
  /** Lines so far. */
  lines = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get bytes(): number {
    return this.length;
  }

  /** Room for `more` bytes after the lines so far, and for the trailer (the buffer doubles when it must). */
  private reserve(more: number): Buffer {
    const need = this.length + more + MAX_TRAILER_BYTES;
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

  /** Adds a served request's line: compact when its fields allow it, else JSON (encodeUsageEntry's bytes). */
  addEntry(e: UsageEntry): void {
    const end = writeUsageLine(this.reserve(usageLineBound(e)), this.length, e);
    if (end < 0) return this.addText(encodeLine(usageLine(e)));
    this.length = end;
    this.lines += 1;
  }

  /** The group ready to write: its lines and the trailer over them (a view of this buffer until reset). */
  frame(): Buffer {
    return this.buf.subarray(0, writeTrailer(this.buf, this.length, this.lines));
  }

  /** Empties the group, keeping the buffer for the next one. */
  reset(): void {
    this.length = 0;
    this.lines = 0;
  }
}
