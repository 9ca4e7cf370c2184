// One page of a usage batch as text: the form records travel in (gateway → recordUsageBatch) and are
// stored in (usageRecordPages.text). One record per line, six fields separated by one space:
//
//   <requestId> <timestampMs> <endpoint> <userId> <units> <cost>
//
// requestId, endpoint and userId are 1 to 64 printable ASCII characters without spaces (the ledger's key
// strings), so no escaping is needed; the numbers are canonical decimals (no sign, no leading zero),
// timestampMs and units safe integers, units ≥ 1, cost a u64 in USDC base units. Lines are joined by "\n"
// with none after the last.
//
// Repeats: on every line but a page's first, a field other than requestId may be empty, meaning the
// previous line's value, and timestampMs may be its change from the previous line's, "+<n>" or "-<n>"
// (n ≥ 1, canonical). encodeUsagePage writes every line after the first that way; a busy batch's line
// is then its id and five spaces (~38 bytes with its newline, instead of ~83). A line with every field in
// full reads the same anywhere, so pages written before repeats existed read as they always did. An empty
// field can never be a key or a number, so nothing is ambiguous.
//
// Why text: a page of 2,500 records is one string value instead of 17,500 (2,500 objects of six fields,
// each cost a tagged int64). Measured on the embedded ledger, the per-value work of the Convex engine
// (argument conversion, validation, commit bookkeeping, the durable log) made a 10,000-record batch cost
// ~35 µs per record; parsed here it costs a few. Why repeats: what is left is mostly per byte (the JSON of
// the call, the page scan, the durable log and its snapshots): with lines of ~38 instead of ~83 bytes a
// 13,000-record batch cost the embedded ledger ~2.4 instead of ~4.1 µs per record (convex/README.md).
import { ledgerError } from "./errors";
import { U64_MAX } from "./format";
import type { UsageRecord } from "./validators";

const KEY = /^[\x21-\x7e]{1,64}$/;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const FIELDS = 6;

function bad(line: number, what: string): never {
  throw ledgerError("invalid_argument", `usage page line ${line}: ${what}`);
}

/** Whether `s` may stand as a page's requestId, endpoint or userId: 1 to 64 printable ASCII characters without spaces. */
export function isUsagePageKey(s: string): boolean {
  return KEY.test(s);
}

function key(value: unknown, line: number, name: string): string {
  if (typeof value !== "string" || !isUsagePageKey(value)) bad(line, `${name} must be 1 to 64 printable ASCII characters without spaces`);
  return value;
}

function safeInteger(text: string, line: number, name: string, min: number): number {
  const n = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) bad(line, `${name} must be an integer between ${min} and ${Number.MAX_SAFE_INTEGER}`);
  return n;
}

function u64(text: string, line: number, name: string): bigint {
  if (text.length > 20 || !DECIMAL.test(text)) bad(line, `${name} must be a decimal u64`);
  const n = BigInt(text);
  if (n > U64_MAX) bad(line, `${name} must be between 0 and 2^64-1`);
  return n;
}

/** A line's timestampMs field after the first line: empty when unchanged, else the signed change. */
export function timestampChangeText(change: number): string {
  return change === 0 ? "" : change > 0 ? `+${change}` : `${change}`;
}

/** The text of one page, with repeats (see above); refuses (invalid_argument) a record that could not be read back identically. */
export function encodeUsagePage(records: readonly UsageRecord[]): string {
  const lines = new Array<string>(records.length);
  let prev: UsageRecord | null = null;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const line = 1 + i;
    if (!Number.isSafeInteger(r.timestampMs) || r.timestampMs < 0) bad(line, "timestampMs must be a non-negative safe integer");
    if (!Number.isSafeInteger(r.units) || r.units < 1) bad(line, "units must be a safe integer of at least 1");
    if (typeof r.cost !== "bigint" || r.cost < 0n || r.cost > U64_MAX) bad(line, "cost must be a u64 bigint");
    const requestId = key(r.requestId, line, "requestId");
    const endpoint = key(r.endpoint, line, "endpoint");
    const userId = key(r.userId, line, "userId");
    lines[i] =
      prev === null
        ? `${requestId} ${r.timestampMs} ${endpoint} ${userId} ${r.units} ${r.cost}`
        : `${requestId} ${timestampChangeText(r.timestampMs - prev.timestampMs)} ${endpoint === prev.endpoint ? "" : endpoint} ${userId === prev.userId ? "" : userId} ${r.units === prev.units ? "" : r.units} ${r.cost === prev.cost ? "" : r.cost}`;
    prev = r;
  }
  return lines.join("\n");
}

/** A timestampMs field: in full, or after the first line empty (unchanged) or a signed change. */
function timestampField(text: string, line: number, prev: UsageRecord | null): number {
  if (prev === null) return safeInteger(text, line, "timestampMs", 0);
  if (text === "") return prev.timestampMs;
  const sign = text.charCodeAt(0);
  if (sign !== PLUS && sign !== MINUS) return safeInteger(text, line, "timestampMs", 0);
  const digits = text.slice(1);
  const change = DECIMAL.test(digits) && digits !== "0" ? Number(digits) : Number.NaN;
  if (!Number.isSafeInteger(change)) bad(line, "a timestampMs change must be +n or -n with n a canonical decimal of at least 1");
  const value = sign === PLUS ? prev.timestampMs + change : prev.timestampMs - change;
  if (!Number.isSafeInteger(value) || value < 0) bad(line, `timestampMs must be an integer between 0 and ${Number.MAX_SAFE_INTEGER}`);
  return value;
}

/**
 * One line, field by field, `prev` being the record of the line before (null on a page's first line): the
 * authority on what a line may hold and the source of the error message for a line the fast scan refuses.
 */
function decodeLineChecked(text: string, line: number, prev: UsageRecord | null): UsageRecord {
  const f = text.split(" ");
  if (f.length !== FIELDS) bad(line, `expected ${FIELDS} fields separated by single spaces, got ${f.length}`);
  const repeats = (i: number) => prev !== null && f[i] === "";
  return {
    requestId: key(f[0], line, "requestId"),
    timestampMs: timestampField(f[1]!, line, prev),
    endpoint: repeats(2) ? prev!.endpoint : key(f[2], line, "endpoint"),
    userId: repeats(3) ? prev!.userId : key(f[3], line, "userId"),
    units: repeats(4) ? prev!.units : safeInteger(f[4]!, line, "units", 1),
    cost: repeats(5) ? prev!.cost : u64(f[5]!, line, "cost"),
  };
}

/** How many records (lines) a page's text holds, counted without reading them, so an overfull page can be refused first. */
export function usagePageLineCount(text: string): number {
  if (text.length === 0) return 0;
  let count = 1;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) count++;
  return count;
}

/**
 * Receives a page's records from scanUsagePage, field by field (no record object). A record's endpoint,
 * userId and cost are the very values of the record before when they are equal to them, so a receiver can
 * tell a run of records of one endpoint and member by identity.
 */
export interface UsageRecordReceiver {
  add(requestId: string, timestampMs: number, endpoint: string, userId: string, units: number, cost: bigint): void;
}

/** A character no valid page holds: one outside printable ASCII, space and newline. */
const OUTSIDE_PAGE_CHARS = /[^\x20-\x7e\n]/;
/** Longest canonical decimal of a safe integer (2^53 - 1 has 16 digits) and of a u64 (2^64 - 1 has 20). */
const SAFE_DIGITS = 16;
const U64_DIGITS = 20;
const KEY_MAX = 64;

/** The canonical decimal text[from, to) as a safe integer; -1 when it is not one. */
function safeDecimalAt(text: string, from: number, to: number): number {
  const length = to - from;
  if (length < 1 || length > SAFE_DIGITS) return -1;
  let digit = text.charCodeAt(from) - 48;
  if (digit < 0 || digit > 9 || (digit === 0 && length > 1)) return -1;
  let value = digit;
  for (let i = from + 1; i < to; i++) {
    digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  // Partial values stay below 10^15, so exact; a last step past 2^53 - 1 rounds to 2^53 or more.
  return Number.isSafeInteger(value) ? value : -1;
}

/** Whether text[from, to) is a canonical decimal of at most U64_DIGITS digits (its range is checked apart). */
function isDecimalAt(text: string, from: number, to: number): boolean {
  const length = to - from;
  if (length < 1 || length > U64_DIGITS) return false;
  if (text.charCodeAt(from) === 48 && length > 1) return false;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
  }
  return true;
}

/**
 * scanUsagePage the slow way: the text split into lines, each read by decodeLineChecked. The authority the
 * fast scan is tested against, and its path for a text with characters no page may hold.
 */
export function scanUsagePageByLine(text: string, receiver: UsageRecordReceiver): void {
  if (text.length === 0) return;
  const lines = text.split("\n");
  let prev: UsageRecord | null = null;
  for (let i = 0; i < lines.length; i++) {
    const r = decodeLineChecked(lines[i]!, i + 1, prev);
    receiver.add(r.requestId, r.timestampMs, r.endpoint, r.userId, r.units, r.cost);
    prev = r;
  }
}

/**
 * Hands every record of a page's text to `receiver`, in order, checked field by field by the same rules as
 * decodeLineChecked (whose message a refused line gets). One pass, no per-line string but the request id:
 * a field repeated (empty) or equal to the previous record's is compared in place and its value reused
 * (records of a batch mostly share endpoint, member and price).
 */
export function scanUsagePage(text: string, receiver: UsageRecordReceiver): void {
  if (text.length === 0) return;
  // Some field holds a character no key or number may: the line-by-line reader gives the precise refusal.
  if (OUTSIDE_PAGE_CHARS.test(text)) return scanUsagePageByLine(text, receiver);
  // Every character is now printable ASCII, a space or a newline, so a field between two separators is a
  // key as soon as its length is 1 to 64. The previous record's fields (none before the first line):
  let timestampMs = -1;
  let endpoint = "";
  let userId = "";
  let units = 0;
  let costText = " "; // matches no cost field (fields hold no space)
  let cost = 0n;
  for (let pos = 0, line = 1; ; line++) {
    let end = text.indexOf("\n", pos);
    const last = end < 0;
    if (last) end = text.length;
    const s1 = text.indexOf(" ", pos);
    const s2 = s1 < 0 ? -1 : text.indexOf(" ", s1 + 1);
    const s3 = s2 < 0 ? -1 : text.indexOf(" ", s2 + 1);
    const s4 = s3 < 0 ? -1 : text.indexOf(" ", s3 + 1);
    const s5 = s4 < 0 ? -1 : text.indexOf(" ", s4 + 1);
    const after = line > 1; // repeats and changes are allowed
    const endpointLength = s3 - s2 - 1;
    const userLength = s4 - s3 - 1;
    let ts = -1;
    let u = -1;
    if (s5 >= 0 && s5 < end) {
      const sign = s2 > s1 + 1 ? text.charCodeAt(s1 + 1) : -1;
      if (s2 === s1 + 1) ts = after ? timestampMs : -1;
      else if (after && (sign === PLUS || sign === MINUS)) {
        const change = text.charCodeAt(s1 + 2) === 48 ? -1 : safeDecimalAt(text, s1 + 2, s2);
        ts = change < 1 ? -1 : sign === PLUS ? timestampMs + change : timestampMs - change;
        if (!Number.isSafeInteger(ts)) ts = -1;
      } else ts = safeDecimalAt(text, s1 + 1, s2);
      u = s5 === s4 + 1 ? (after ? units : -1) : safeDecimalAt(text, s4 + 1, s5);
    }
    // A space after the fifth would fall in the cost field, which must be digits (or empty, the previous cost).
    let fieldsOk =
      ts >= 0 && u >= 1 &&
      s1 - pos >= 1 && s1 - pos <= KEY_MAX &&
      ((endpointLength === 0 && after) || (endpointLength >= 1 && endpointLength <= KEY_MAX)) &&
      ((userLength === 0 && after) || (userLength >= 1 && userLength <= KEY_MAX));
    if (fieldsOk && !(end === s5 + 1 ? after : end - s5 - 1 === costText.length && text.startsWith(costText, s5 + 1))) {
      // A price other than the previous record's: read it (-1n when it is not a canonical decimal u64).
      const next = isDecimalAt(text, s5 + 1, end) ? text.slice(s5 + 1, end) : "";
      const value = next === "" ? -1n : BigInt(next);
      fieldsOk = value >= 0n && value <= U64_MAX;
      if (fieldsOk) (costText = next), (cost = value);
    }
    if (fieldsOk) {
      if (endpointLength > 0 && !(endpointLength === endpoint.length && text.startsWith(endpoint, s2 + 1))) endpoint = text.slice(s2 + 1, s3);
      if (userLength > 0 && !(userLength === userId.length && text.startsWith(userId, s3 + 1))) userId = text.slice(s3 + 1, s4);
      timestampMs = ts;
      units = u;
      receiver.add(text.slice(pos, s1), timestampMs, endpoint, userId, units, cost);
    } else {
      // The checked reader refuses the line with its reason (it accepts nothing the checks above refuse).
      const prev = after ? { requestId: "", timestampMs, endpoint, userId, units, cost } : null;
      const r = decodeLineChecked(text.slice(pos, end), line, prev);
      receiver.add(r.requestId, r.timestampMs, r.endpoint, r.userId, r.units, r.cost);
      ({ timestampMs, endpoint, userId, units, cost } = r);
      costText = String(cost);
    }
    if (last) return;
    pos = end + 1;
  }
}

/** The records of a page's text, checked field by field. */
export function decodeUsagePage(text: string): UsageRecord[] {
  const out: UsageRecord[] = [];
  scanUsagePage(text, {
    add(requestId, timestampMs, endpoint, userId, units, cost) {
      out.push({ requestId, timestampMs, endpoint, userId, units, cost });
    },
  });
  return out;
}
