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
// Why text: a page of 2,500 records is one string value instead of 17,500 (2,500 objects of six fields,
// each cost a tagged int64). Measured on the embedded ledger, the per-value work of the Convex engine
// (argument conversion, validation, commit bookkeeping, the durable log) made a 10,000-record batch cost
// ~35 µs per record; parsed here it costs a few.
import { ledgerError } from "./errors";
import { U64_MAX } from "./format";
import type { UsageRecord } from "./validators";

const KEY = /^[\x21-\x7e]{1,64}$/;
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

/**
 * The text of one page; refuses (invalid_argument) a record that could not be read back identically.
 * `firstLine` numbers the lines in errors when `records` are a slice of a page (their texts join with "\n").
 */
export function encodeUsagePage(records: readonly UsageRecord[], firstLine = 1): string {
  const lines = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const line = firstLine + i;
    if (!Number.isSafeInteger(r.timestampMs) || r.timestampMs < 0) bad(line, "timestampMs must be a non-negative safe integer");
    if (!Number.isSafeInteger(r.units) || r.units < 1) bad(line, "units must be a safe integer of at least 1");
    if (typeof r.cost !== "bigint" || r.cost < 0n || r.cost > U64_MAX) bad(line, "cost must be a u64 bigint");
    lines[i] = `${key(r.requestId, line, "requestId")} ${r.timestampMs} ${key(r.endpoint, line, "endpoint")} ${key(r.userId, line, "userId")} ${r.units} ${r.cost}`;
  }
  return lines.join("\n");
}

/**
 * One line in full, field by field: the authority on what a line may hold and the source of the error
 * message for a line the fast pattern below refuses.
 */
function decodeLineChecked(text: string, line: number): UsageRecord {
  const f = text.split(" ");
  if (f.length !== FIELDS) bad(line, `expected ${FIELDS} fields separated by single spaces, got ${f.length}`);
  return {
    requestId: key(f[0], line, "requestId"),
    timestampMs: safeInteger(f[1]!, line, "timestampMs", 0),
    endpoint: key(f[2], line, "endpoint"),
    userId: key(f[3], line, "userId"),
    units: safeInteger(f[4]!, line, "units", 1),
    cost: u64(f[5]!, line, "cost"),
  };
}

// The same rules as one pattern, for speed (one match per line instead of a split and six checks): a
// safe integer has at most 16 digits and a u64 at most 20, so only their ranges remain to check.
const LINE = /^([\x21-\x7e]{1,64}) (0|[1-9][0-9]{0,15}) ([\x21-\x7e]{1,64}) ([\x21-\x7e]{1,64}) ([1-9][0-9]{0,15}) (0|[1-9][0-9]{0,19})$/;

/** How many records (lines) a page's text holds, counted without reading them, so an overfull page can be refused first. */
export function usagePageLineCount(text: string): number {
  if (text.length === 0) return 0;
  let count = 1;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) count++;
  return count;
}

/** The records of a page's text, checked field by field. */
export function decodeUsagePage(text: string): UsageRecord[] {
  if (text.length === 0) return [];
  const lines = text.split("\n");
  const out = new Array<UsageRecord>(lines.length);
  // Costs repeat (one price per endpoint), so the last one parsed is reused when its text is the same.
  let costText = "";
  let cost = 0n;
  for (let i = 0; i < lines.length; i++) {
    const m = LINE.exec(lines[i]!);
    const timestampMs = m === null ? 0 : Number(m[2]);
    const units = m === null ? 0 : Number(m[5]);
    if (m === null || !Number.isSafeInteger(timestampMs) || !Number.isSafeInteger(units) || (m[6]!.length === 20 && BigInt(m[6]!) > U64_MAX)) {
      out[i] = decodeLineChecked(lines[i]!, i + 1);
      continue;
    }
    if (m[6] !== costText) {
      costText = m[6]!;
      cost = BigInt(costText);
    }
    out[i] = { requestId: m[1]!, timestampMs, endpoint: m[3]!, userId: m[4]!, units, cost };
  }
  return out;
}
