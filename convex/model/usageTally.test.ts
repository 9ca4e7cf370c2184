import assert from "node:assert/strict";
import { ConvexError } from "convex/values";
import type { LedgerErrorData } from "./errors";
import { utcDay } from "./format";
import { periodAt, type PeriodGrid } from "./periods";
import { encodeUsagePage, scanUsagePage } from "./usagePage";
import { UsageTally } from "./usageTally";
import type { UsageRecord } from "./validators";

const DAY_MS = 86_400_000;

/** The cells as plain sums, one record at a time: `<day> <periodStart> <endpoint> <userId>` → totals. */
function naiveCells(records: UsageRecord[], grid: PeriodGrid) {
  const out = new Map<string, { requests: number; cost: bigint }>();
  for (const r of records) {
    const key = `${utcDay(r.timestampMs)} ${periodAt(grid, r.timestampMs).start} ${r.endpoint} ${r.userId}`;
    const t = out.get(key) ?? { requests: 0, cost: 0n };
    t.requests += r.units;
    t.cost += r.cost;
    out.set(key, t);
  }
  return out;
}

function tallied(records: UsageRecord[], grid: PeriodGrid, pageSize = 700) {
  const tally = new UsageTally(grid);
  for (let i = 0; i < records.length; i += pageSize) scanUsagePage(encodeUsagePage(records.slice(i, i + pageSize)), tally);
  const totals = tally.finish();
  const cells = new Map(tally.cells.map((c) => [`${c.day} ${c.periodStart} ${c.endpoint} ${c.userId}`, { requests: c.requests, cost: c.cost }]));
  return { totals, cells, count: tally.count };
}

describe("usage tally", () => {
  it("sums records into day × period × endpoint × member cells exactly as one-by-one sums do", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    // A 10-day period grid whose boundary falls in the middle of a UTC day, and three days of records
    // around it, mostly in order, with members interleaved, runs of one price and prices coming back.
    const periodStart = Date.UTC(2026, 10, 20, 13) / 1000;
    const grid: PeriodGrid = { periodStart, periodEnd: periodStart + 10 * 86_400 };
    const from = (periodStart - 86_400) * 1000;
    const prices = [10_000n, 10_000n, 0n, 25_000n, 18_446_744_073_709n];
    const records: UsageRecord[] = [];
    let price = prices[0]!;
    for (let i = 0; i < 6_000; i++) {
      if (random(50) === 0) price = prices[random(prices.length)]!;
      records.push({
        requestId: `r-${i}`,
        timestampMs: from + Math.floor((i * 3 * DAY_MS) / 6_000) + (random(20) === 0 ? -random(60_000) : 0),
        endpoint: ["/v1/verify", "/v1/batch", "/v1/other"][random(10) < 8 ? 0 : random(3)]!,
        userId: random(4) === 0 ? ["alice", "bob", "carol"][random(3)]! : "unattributed",
        units: random(10) === 0 ? 1 + random(500) : 1,
        cost: price,
      });
    }
    const expected = naiveCells(records, grid);
    const { totals, cells, count } = tallied(records, grid);
    assert.deepEqual(cells, expected);
    assert.ok(expected.size > 20, `only ${expected.size} cells`);
    assert.equal(count, records.length);
    assert.equal(totals.units, BigInt(records.reduce((n, r) => n + r.units, 0)));
    assert.equal(totals.cost, records.reduce((n, r) => n + r.cost, 0n));
    // Without a chain period the UTC calendar month stands in.
    assert.deepEqual(tallied(records, {}).cells, naiveCells(records, {}));
  });

  it("counts units past the safe integers exactly", () => {
    const big = Number.MAX_SAFE_INTEGER;
    const records = [0, 1, 2].map((i) => ({ requestId: `r-${i}`, timestampMs: 1_000, endpoint: "/e", userId: "u", units: big, cost: 1n }));
    const { totals } = tallied(records, {});
    assert.equal(totals.units, 3n * BigInt(big));
    assert.equal(totals.cost, 3n);
  });

  it("refuses a request id seen before, in the same page or an earlier one", () => {
    const record = { requestId: "r-1", timestampMs: 1_000, endpoint: "/e", userId: "u", units: 1, cost: 5n };
    for (const pageSize of [2, 1]) {
      assert.throws(
        () => tallied([record, { ...record, userId: "v" }], {}, pageSize),
        (error: unknown) => error instanceof ConvexError && /requestId r-1 appears twice/.test((error.data as LedgerErrorData).message),
      );
    }
  });
});
