import assert from "node:assert/strict";
import { ConvexError } from "convex/values";
import type { LedgerErrorData } from "./errors";
import { U64_MAX } from "./format";
import { encodePages, RECORDS_PER_PAGE } from "./usage";
import { decodeUsagePage, encodeUsagePage, scanUsagePageByLine, usagePageLineCount } from "./usagePage";
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
  it("writes one line per record with six fields separated by single spaces, after the first the repeated ones empty", () => {
    assert.equal(encodeUsagePage([record]), LINE);
    assert.equal(encodeUsagePage([record, { ...record, requestId: "req-2", units: 3, cost: 0n }]), `${LINE}\nreq-2    3 0`);
    assert.equal(
      encodeUsagePage([
        record,
        { ...record, requestId: "req-2" },
        { ...record, requestId: "req-3", timestampMs: record.timestampMs + 12, userId: "bob" },
        { ...record, requestId: "req-4", timestampMs: record.timestampMs + 5, endpoint: "/v1/batch", userId: "bob", units: 250 },
        { ...record, requestId: "req-5", timestampMs: 7, cost: 0n },
      ]),
      [LINE, "req-2     ", "req-3 +12  bob  ", "req-4 -7 /v1/batch  250 ", "req-5 -1763639999998 /v1/verify alice 1 0"].join("\n"),
    );
    assert.equal(encodeUsagePage([]), "");
  });

  it("reads a repeated field as the line before's and a signed timestamp as a change from it; full lines anywhere as they are", () => {
    const records = decodeUsagePage(`${LINE}\nreq-2 +5  bob 2 \nreq-3 -3 /v1/b   7\nreq-4 1 /x y 9 9`);
    assert.deepEqual(records, [
      record,
      { ...record, requestId: "req-2", timestampMs: record.timestampMs + 5, userId: "bob", units: 2 },
      { requestId: "req-3", timestampMs: record.timestampMs + 2, endpoint: "/v1/b", userId: "bob", units: 2, cost: 7n },
      { requestId: "req-4", timestampMs: 1, endpoint: "/x", userId: "y", units: 9, cost: 9n },
    ]);
    // A page written before repeats existed: every line in full.
    assert.deepEqual(decodeUsagePage(`${LINE}\n${LINE.replace("req-1", "req-2")}`), [record, { ...record, requestId: "req-2" }]);
  });

  it("refuses a repeat or a change on a page's first line, and a change that is not +n or -n or leaves the safe integers", () => {
    refuses(() => decodeUsagePage("req-1 1 /v1/verify alice 1 "), /line 1: cost must be a decimal u64/);
    refuses(() => decodeUsagePage("req-1 1  alice 1 5"), /line 1: endpoint must be 1 to 64/);
    refuses(() => decodeUsagePage("req-1  /v1/verify alice 1 5"), /line 1: timestampMs must be an integer/);
    refuses(() => decodeUsagePage("req-1 +1 /v1/verify alice 1 5"), /line 1: timestampMs must be an integer/);
    for (const change of ["+0", "-0", "+01", "+", "-", "++1", "+-1", "+1.5"]) {
      refuses(() => decodeUsagePage(`${LINE}\nreq-2 ${change}    `), /line 2: a timestampMs change must be \+n or -n/);
    }
    refuses(() => decodeUsagePage(`${LINE}\nreq-2 -1763640000001    `), /line 2: timestampMs must be an integer between 0/);
    refuses(() => decodeUsagePage(`req-1 ${Number.MAX_SAFE_INTEGER} /v1/verify alice 1 5\nreq-2 +1    `), /line 2: timestampMs must be an integer between 0/);
    refuses(() => decodeUsagePage(`${LINE}\nreq-2     `.replace(/ $/, "")), /line 2: expected 6 fields .* got 5/);
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

  it("reads every text exactly as the line-by-line reader does: the same records or the same refusal", () => {
    // A seeded generator, so a failure repeats.
    let seed = 0x2545f491;
    const random = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const valid = [
      record,
      { ...record, requestId: "req-2", userId: "bob", cost: 0n },
      { ...record, requestId: "req-3", endpoint: "/v1/batch", units: 250, cost: U64_MAX },
      { ...record, requestId: "req-4", timestampMs: Number.MAX_SAFE_INTEGER, units: Number.MAX_SAFE_INTEGER },
      { ...record, requestId: PRINTABLE.slice(0, 64), timestampMs: 0, endpoint: PRINTABLE.slice(-64) },
    ];
    const base = encodeUsagePage(valid);
    // Edits aimed at the separators and the numbers' edges, plus characters no page may hold.
    const pieces = [" ", "  ", "\n", "0", "1", "9", "00", "-", "+", "x", ".", "\r", "\t", "\u00e9", "\u0000", "18446744073709551615", "18446744073709551616", "9007199254740992", "9007199254740991", "x".repeat(64), "x".repeat(65)];
    const outcome = (read: () => UsageRecord[]) => {
      try {
        return { records: read() };
      } catch (error) {
        assert.ok(error instanceof ConvexError, `expected a ledger error, got ${String(error)}`);
        return { refusal: (error.data as LedgerErrorData).message };
      }
    };
    let refused = 0;
    for (let i = 0; i < 3_000; i++) {
      let text = base;
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(text.length + 1);
        const cut = random(4) === 0 ? random(25) : 0;
        text = text.slice(0, at) + (random(3) === 0 ? "" : pieces[random(pieces.length)]!) + text.slice(at + cut);
      }
      const byLine = outcome(() => {
        const out: UsageRecord[] = [];
        scanUsagePageByLine(text, { add: (requestId, timestampMs, endpoint, userId, units, cost) => out.push({ requestId, timestampMs, endpoint, userId, units, cost }) });
        return out;
      });
      assert.deepEqual(outcome(() => decodeUsagePage(text)), byLine, JSON.stringify(text));
      if ("refusal" in byLine) refused++;
    }
    // Both kinds of outcome are exercised.
    assert.ok(refused > 1_000 && refused < 2_900, `refused ${refused} of 3000`);
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
