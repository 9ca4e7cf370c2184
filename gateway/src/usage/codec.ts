// Line format of the usage log.
//
// Lines are written in groups (one write each, see log.ts); every group ends with a trailer line
//   #<crc32 of the group's bytes before the trailer, 8 hex> <number of lines>
// The trailer tells a torn tail (the process died mid-write) from a complete group, and a complete group
// from a corrupted one. Inside a group:
//   u <requestId> <teamId> <team> <userId> <endpoint> <units> <cost> <timestampMs>
//                 a served request whose text fields are printable ASCII without spaces (all of them in
//                 practice: ids, base58 addresses, endpoints); userId is empty when unattributed
//   j <JSON>      any line as JSON (a served request with other characters, a batch formed, a batch settled,
//                 a batch given back, a team's spend this period)
// Amounts and counts are decimal strings: JSON numbers cannot hold a u64.
//
// Logs written before groups existed hold self-checked lines, `<crc32 of the JSON, 8 hex> <JSON>`; they
// are still read (replay), never written.
import { crc32 } from "node:zlib";
import type { UsageEntry } from "./sink";

/** A served request. */
export interface UsageLine {
  t: "u";
  id: string;
  tid: string;
  team: string;
  user: string | null;
  ep: string;
  n: string;
  c: string;
  ts: number;
}

/**
 * A batch formed by the settler, written before its transaction is sent: the team's first `n` pending
 * requests (`first` and `last` name the ends, a check on replay) settle with deduct_usage(seq). `price`,
 * when present, is the chain state the batch is charged from (see PricingBasis in log.ts), decimal strings.
 * Logs before this form list the batch's request ids instead (`ids`); both replay.
 */
export type BatchLine =
  | { t: "b"; team: string; seq: string; n: number; first: string; last: string; price?: PriceLine }
  | { t: "b"; team: string; seq: string; ids: string[] };

/** A batch's pricing basis in a log line: included requests, overage price, period requests, overage spend, spend cap. */
export interface PriceLine {
  inc: string;
  per: string;
  pr: string;
  ps: string;
  cap: string;
}

/** The batch was settled on chain (signature null when it was found settled without ours, e.g. after a crash). */
export interface SettledLine {
  t: "s";
  team: string;
  seq: string;
  sig: string | null;
}

/**
 * The team's open batch `seq` was given back unsent: its requests return, in order, to the front of the
 * pending ones (another settler holds that batch_seq in the ledger; they are sealed again under another).
 */
export interface UnsealedLine {
  t: "x";
  team: string;
  seq: string;
}

/**
 * The gate's count of the team's settled spend (balance/shares.ts): with `pe`, its batches through `q` cost `c`
 * over `n` requests in the period ending `pe` (unix s); with `pe` null (checkpoints only), batch `q`, settled and
 * not yet counted, cost `c` over `n`.
 */
export interface SpendLine {
  t: "p";
  team: string;
  pe: number | null;
  q: string;
  c: string;
  n: string;
}

export type LogLine = UsageLine | BatchLine | SettledLine | UnsealedLine | SpendLine;

export class UsageLogCorruptError extends Error {
  readonly code = "usage_log_corrupt";
}

export function usageLine(e: UsageEntry): UsageLine {
  return {
    t: "u",
    id: e.requestId,
    tid: e.teamId,
    team: e.team,
    user: e.userId,
    ep: e.endpoint,
    n: e.units.toString(),
    c: e.cost.toString(),
    ts: e.timestampMs,
  };
}

export function entryOf(l: UsageLine): UsageEntry {
  return {
    requestId: l.id,
    teamId: l.tid,
    team: l.team,
    userId: l.user,
    endpoint: l.ep,
    units: BigInt(l.n),
    cost: BigInt(l.c),
    timestampMs: l.ts,
  };
}

/** A text field the compact `u` line can carry: printable ASCII, no spaces, not empty. */
const PLAIN = /^[\x21-\x7e]+$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Any line, as JSON (newline included). */
export function encodeLine(l: LogLine): string {
  return `j ${JSON.stringify(l)}\n`;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
/** Characters of a decimal safe integer or u64 at most. */
const MAX_DIGITS = 20;
/** Bytes of a trailer line at most: '#', 8 hex, ' ', a line count, '\n'. */
export const MAX_TRAILER_BYTES = 32;

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

/**
 * Fields that repeat on every line of a team (its ids, its endpoints and members), as the bytes putPlain
 * would write, or null when they cannot be carried compactly: copied in one step instead of checked and
 * written a character at a time. Bounded; emptied when full.
 */
const plainBytes = new Map<string, Buffer | null>();
const MAX_PLAIN_CACHED = 1_024;

/** putPlain for a field that repeats from line to line. */
function putRepeated(buf: Buffer, at: number, s: string): number {
  let bytes = plainBytes.get(s);
  if (bytes === undefined) {
    const own = Buffer.allocUnsafe(s.length);
    bytes = putPlain(own, 0, s) < 0 ? null : own;
    if (plainBytes.size >= MAX_PLAIN_CACHED) plainBytes.clear();
    plainBytes.set(s, bytes);
  }
  if (bytes === null) return -1;
  buf.set(bytes, at);
  return at + bytes.length;
}

/** The last cost written and its decimal text: a team's requests mostly cost the same. */
let lastCost = -1n;
let lastCostText = "";

function costText(cost: bigint): string {
  if (cost !== lastCost) {
    lastCost = cost;
    lastCostText = cost.toString();
  }
  return lastCostText;
}

/** Bytes the compact line of `e` takes at most (room to reserve before writeUsageLine). */
export function usageLineBound(e: UsageEntry): number {
  const user = e.userId === null ? 0 : e.userId.length;
  return 2 + e.requestId.length + 1 + e.teamId.length + 1 + e.team.length + 1 + user + 1 + e.endpoint.length + 1 + 3 * (MAX_DIGITS + 1);
}

/**
 * Writes a served request's compact `u` line (newline included) at `at`, field by field: no string is
 * built, which matters once per served request, before its response. Returns the end, or -1 when a field
 * cannot be carried compactly (then the line is JSON: encodeLine(usageLine(e))); bytes written past `at`
 * before a -1 are garbage to overwrite. `buf` has usageLineBound(e) bytes of room at `at`.
 */
export function writeUsageLine(buf: Buffer, at: number, e: UsageEntry): number {
  const ts = e.timestampMs;
  if (!(Number.isSafeInteger(ts) && ts >= 0)) return -1;
  buf[at++] = 0x75; // 'u'
  buf[at++] = SPACE;
  if ((at = putPlain(buf, at, e.requestId)) < 0) return -1;
  buf[at++] = SPACE;
  if ((at = putRepeated(buf, at, e.teamId)) < 0) return -1;
  buf[at++] = SPACE;
  if ((at = putRepeated(buf, at, e.team)) < 0) return -1;
  buf[at++] = SPACE;
  if (e.userId !== null && (at = putRepeated(buf, at, e.userId)) < 0) return -1;
  buf[at++] = SPACE;
  if ((at = putRepeated(buf, at, e.endpoint)) < 0) return -1;
  buf[at++] = SPACE;
  at = putPlain(buf, at, e.units === 1n ? "1" : e.units.toString()); // digits: always plain
  buf[at++] = SPACE;
  at = putPlain(buf, at, costText(e.cost));
  buf[at++] = SPACE;
  at = putDecimal(buf, at, ts);
  buf[at++] = NEWLINE;
  return at;
}

/** A served request's line (newline included) as a string: the compact form when its fields allow it, else JSON. */
export function encodeUsageEntry(e: UsageEntry): string {
  const buf = Buffer.allocUnsafe(usageLineBound(e));
  const end = writeUsageLine(buf, 0, e);
  return end < 0 ? encodeLine(usageLine(e)) : buf.toString("latin1", 0, end);
}

/**
 * Closes the group of `length` bytes at the start of `buf` with its trailer (`buf` has MAX_TRAILER_BYTES of
 * room after them): the group's length with the trailer.
 */
export function writeTrailer(buf: Buffer, length: number, lines: number): number {
  const crc = crc32(buf.subarray(0, length));
  return length + buf.write(`#${crc.toString(16).padStart(8, "0")} ${lines}\n`, length, "latin1");
}

/**
 * One group, ready for one write: the lines' UTF-8 bytes and the trailer over them. `body` is the lines
 * joined (each ends with a newline), `lines` how many there are.
 */
export function frameGroup(body: string, lines: number): Buffer {
  const len = Buffer.byteLength(body);
  const buf = Buffer.allocUnsafe(len + MAX_TRAILER_BYTES);
  buf.write(body, 0, len, "utf8");
  return buf.subarray(0, writeTrailer(buf, len, lines));
}

/** Decodes one line of a group (without its newline); null when it is not a well-formed `u` or `j` line. */
export function decodeLine(line: string): LogLine | null {
  if (line.startsWith("u ")) {
    const f = line.split(" ");
    if (f.length !== 9) return null;
    const [, id, tid, team, user, ep, n, c, ts] = f as [string, string, string, string, string, string, string, string, string];
    if (!PLAIN.test(id) || !PLAIN.test(tid) || !PLAIN.test(team) || !PLAIN.test(ep) || (user !== "" && !PLAIN.test(user))) return null;
    if (!DECIMAL.test(n) || !DECIMAL.test(c) || !DECIMAL.test(ts)) return null;
    const timestampMs = Number(ts);
    if (!Number.isSafeInteger(timestampMs)) return null;
    return { t: "u", id, tid, team, user: user === "" ? null : user, ep, n, c, ts: timestampMs };
  }
  if (line.startsWith("j ")) return parseJsonLine(line.slice(2));
  return null;
}

/** A trailer line (without its newline): the crc and line count it states, or null when it is not one. */
export function decodeTrailer(line: string): { crc: string; lines: number } | null {
  const m = /^#([0-9a-f]{8}) ([1-9][0-9]*)$/.exec(line);
  return m ? { crc: m[1]!, lines: Number(m[2]) } : null;
}

/** True when `crc` (8 hex) is the crc32 of `body`. */
export function crcMatches(body: string, crc: string): boolean {
  return crc32(body).toString(16).padStart(8, "0") === crc;
}

/** A self-checked line of the format before groups, `<crc32 8 hex> <JSON>`; null when it does not hold. */
export function decodeLegacyLine(line: string): LogLine | null {
  if (line.length < 10 || line[8] !== " ") return null;
  const json = line.slice(9);
  if (!crcMatches(json, line.slice(0, 8))) return null;
  return parseJsonLine(json);
}

function parseJsonLine(json: string): LogLine | null {
  let l: unknown;
  try {
    l = JSON.parse(json);
  } catch {
    return null;
  }
  return isLogLine(l) ? l : null;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isDecimal = (v: unknown): boolean => isString(v) && DECIMAL.test(v);

function isPriceLine(v: unknown): v is PriceLine {
  if (v === null || typeof v !== "object") return false;
  const p = v as Record<string, unknown>;
  return isDecimal(p.inc) && isDecimal(p.per) && isDecimal(p.pr) && isDecimal(p.ps) && isDecimal(p.cap);
}

/** Whether a parsed JSON line has every field its type needs, of the right kind. */
function isLogLine(v: unknown): v is LogLine {
  if (v === null || typeof v !== "object") return false;
  const l = v as Record<string, unknown>;
  switch (l.t) {
    case "u":
      return (
        isString(l.id) && isString(l.tid) && isString(l.team) && (l.user === null || isString(l.user)) && isString(l.ep) &&
        isDecimal(l.n) && isDecimal(l.c) && Number.isSafeInteger(l.ts)
      );
    case "b":
      if (!isString(l.team) || !isDecimal(l.seq)) return false;
      if ("ids" in l) return Array.isArray(l.ids) && l.ids.every(isString);
      return Number.isInteger(l.n) && (l.n as number) >= 1 && isString(l.first) && isString(l.last) && (l.price === undefined || isPriceLine(l.price));
    case "s":
      return isString(l.team) && isDecimal(l.seq) && (l.sig === null || isString(l.sig));
    case "x":
      return isString(l.team) && isDecimal(l.seq);
    case "p":
      return isString(l.team) && (l.pe === null || Number.isSafeInteger(l.pe)) && isDecimal(l.q) && isDecimal(l.c) && isDecimal(l.n);
    default:
      return false;
  }
}
