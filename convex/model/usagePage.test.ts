import assert from "node:assert/strict";
import { ConvexError } from "convex/values";
import type { LedgerErrorData } from "./errors";
import { U64_MAX } from "./format";
import { encodePages, RECORDS_PER_PAGE } from "./usage";
import { decodeUsagePage, encodeUsagePage, usagePageLineCount } from "./usagePage";
import type { UsageRecord } from "./validators";

const PRINTABLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join("");

const record: UsageRecord = { requestId: "req-1", timestampMs: 1_763_640_000_000, endpoint: "/v1/verify", userId: "alice", units: 1, cost: 10_000n };
const LINE = "req-1 1763640000000 /v1/verify alice 1 10000";

/** Runs `action` and checks it refuses with invalid_argument and a message matching `message`. */
function refuses(action: () => unknown, message: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof ConvexError, `expected a ledger error, got ${String(error)}`);
    const data = error.data as LedgerErrorData;
    assert.equal(data.code, "invalid_argument");
    assert.match(data.message, message);
    return true;
  });
}

describe("usage page text", () => {
  it("writes one line per record with six fields separated by single spaces", () => {
    assert.equal(encodeUsagePage([record]), LINE);
    assert.equal(encodeUsagePage([record, { ...record, requestId: "req-2", units: 3, cost: 0n }]), `${LINE}\nreq-2 1763640000000 /v1/verify alice 3 0`);
    assert.equal(encodeUsagePage([]), "");
  });

  it("reads back exactly the records it wrote, at every field's limits", () => {
    const records: UsageRecord[] = [
      record,
      { requestId: PRINTABLE.slice(0, 64), timestampMs: 0, endpoint: PRINTABLE.slice(30, 94), userId: "x", units: 1, cost: 0n },
      { requestId: PRINTABLE.slice(-64), timestampMs: Number.MAX_SAFE_INTEGER, endpoint: "/", userId: "(unattributed)", units: Number.MAX_SAFE_INTEGER, cost: U64_MAX },
      ...Array.from({ length: 50 }, (_, i) => ({ requestId: `r${i}`, timestampMs: i * 997, endpoint: `/e/${i % 3}`, userId: `u${i % 7}`, units: 1 + (i % 4), cost: BigInt(i) * 123_456_789n })),
    ];
    const text = encodeUsagePage(records);
    assert.deepEqual(decodeUsagePage(text), records);
    assert.equal(encodeUsagePage(decodeUsagePage(text)), text);
    assert.deepEqual(decodeUsagePage(""), []);
  });

  it("counts a page's records without reading them", () => {
    assert.equal(usagePageLineCount(""), 0);
    assert.equal(usagePageLineCount(LINE), 1);
    assert.equal(usagePageLineCount(`${LINE}\n${LINE}`), 2);
    assert.equal(usagePageLineCount(`${LINE}\n`), 2);
  });

  it("splits records into pages of at most 2,500 records, each its own text", () => {
    const records = Array.from({ length: 5_001 }, (_, i) => ({ ...record, requestId: `r-${i}` }));
    const pages = encodePages(records);
    assert.deepEqual(pages.map(usagePageLineCount), [RECORDS_PER_PAGE, RECORDS_PER_PAGE, 1]);
    assert.deepEqual(pages.flatMap((page) => decodeUsagePage(page)), records);
    assert.deepEqual(encodePages([]), []);
  });

  it("refuses a line without exactly six fields", () => {
    refuses(() => decodeUsagePage("req-1 1763640000000 /v1/verify alice 1"), /line 1: expected 6 fields .* got 5/);
    refuses(() => decodeUsagePage(`${LINE} 7`), /line 1: expected 6 fields .* got 7/);
    refuses(() => decodeUsagePage(`${LINE}\n${LINE}\nreq-3`), /line 3: expected 6 fields/);
  });

  it("refuses extra spaces and empty lines", () => {
    refuses(() => decodeUsagePage(`req-1  1763640000000 /v1/verify alice 1 10000`), /line 1: expected 6 fields/);
    refuses(() => decodeUsagePage(` ${LINE}`), /line 1: expected 6 fields/);
    refuses(() => decodeUsagePage(`${LINE} `), /line 1: expected 6 fields/);
    refuses(() => decodeUsagePage(`${LINE}\n`), /line 2: expected 6 fields .* got 1/);
    refuses(() => decodeUsagePage(`${LINE}\n\n${LINE}`), /line 2: expected 6 fields/);
    refuses(() => decodeUsagePage(" "), /line 1: expected 6 fields/);
  });

  it("refuses numbers that are not canonical decimals", () => {
    for (const timestamp of ["01", "+1", "-1", "1.0", "1e3", "0x10", "", "١"]) {
      refuses(() => decodeUsagePage(`req-1 ${timestamp} /v1/verify alice 1 10000`), /timestampMs must be an integer/);
    }
    for (const units of ["01", "+1", "1.5", "1e0"]) refuses(() => decodeUsagePage(`req-1 0 /v1/verify alice ${units} 10000`), /units must be an integer/);
    for (const cost of ["010", "+5", "-5", "5.0", "5n", "1e6"]) refuses(() => decodeUsagePage(`req-1 0 /v1/verify alice 1 ${cost}`), /cost must be a decimal u64/);
  });

  it("refuses zero units, a cost above 2^64-1 and a timestamp above the safe integers", () => {
    refuses(() => decodeUsagePage("req-1 0 /v1/verify alice 0 10000"), /units must be an integer between 1/);
    assert.equal(decodeUsagePage(`req-1 0 /v1/verify alice 1 ${U64_MAX}`)[0]!.cost, U64_MAX);
    refuses(() => decodeUsagePage(`req-1 0 /v1/verify alice 1 ${U64_MAX + 1n}`), /cost must be between 0 and 2\^64-1/);
    refuses(() => decodeUsagePage("req-1 0 /v1/verify alice 1 999999999999999999999"), /cost must be a decimal u64/);
    refuses(() => decodeUsagePage(`req-1 ${Number.MAX_SAFE_INTEGER + 1} /v1/verify alice 1 0`), /timestampMs must be an integer/);
    refuses(() => decodeUsagePage(`req-1 0 /v1/verify alice ${Number.MAX_SAFE_INTEGER + 1} 0`), /units must be an integer/);
  });

  it("refuses key strings longer than 64 characters or outside printable ASCII", () => {
    const long = "x".repeat(65);
    refuses(() => decodeUsagePage(`${long} 0 /v1/verify alice 1 0`), /requestId must be 1 to 64/);
    refuses(() => decodeUsagePage(`req-1 0 /${long} alice 1 0`), /endpoint must be 1 to 64/);
    refuses(() => decodeUsagePage(`req-1 0 /v1/verify ${long} 1 0`), /userId must be 1 to 64/);
    assert.equal(decodeUsagePage(`req-1 0 /v1/verify ${"x".repeat(64)} 1 0`)[0]!.userId, "x".repeat(64));
    for (const odd of ["caf\u00e9", "a\tb", "a\rb", "a\u0000b", "\u{1f600}"]) {
      refuses(() => decodeUsagePage(`req-1 0 /v1/verify ${odd} 1 0`), /userId must be 1 to 64 printable ASCII/);
    }
    refuses(() => decodeUsagePage(`${LINE}\r\n${LINE}`), /line 1: cost must be a decimal u64/);
  });

  it("refuses to write a record it could not read back", () => {
    const cases: Array<[Partial<UsageRecord>, RegExp]> = [
      [{ units: 0 }, /units must be a safe integer of at least 1/],
      [{ units: 1.5 }, /units must be a safe integer/],
      [{ timestampMs: -1 }, /timestampMs must be a non-negative safe integer/],
      [{ timestampMs: Number.MAX_SAFE_INTEGER + 1 }, /timestampMs/],
      [{ cost: -1n }, /cost must be a u64 bigint/],
      [{ cost: U64_MAX + 1n }, /cost must be a u64 bigint/],
      [{ requestId: "has space" }, /requestId must be 1 to 64/],
      [{ endpoint: "" }, /endpoint must be 1 to 64/],
      [{ userId: "y".repeat(65) }, /userId must be 1 to 64/],
      [{ userId: "line\nbreak" }, /userId must be 1 to 64/],
    ];
    for (const [change, message] of cases) refuses(() => encodeUsagePage([record, { ...record, ...change }]), new RegExp(`line 2: ${message.source}`));
  });
});
