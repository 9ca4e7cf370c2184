import assert from "node:assert/strict";
import { RevenueSource, USDC } from "../../sdk/src/constants";
import { aggregateRevenue } from "./stakers";

describe("stakers' revenue", function () {
  // 2026-11-21T12:00:00Z
  const now = Date.UTC(2026, 10, 21, 12) / 1000;
  const day = 86_400;

  it("sums the stakers' share per UTC day by source, zero-filling days without revenue", function () {
    const r = aggregateRevenue(
      [
        { blockTime: now, source: RevenueSource.BaseFee, treasuryAmount: 45n * USDC, stakerAmount: 5n * USDC },
        { blockTime: now - 60, source: RevenueSource.Overage, treasuryAmount: 0n, stakerAmount: 10n * USDC },
        { blockTime: now - day, source: RevenueSource.Proration, treasuryAmount: 9n * USDC, stakerAmount: USDC },
        { blockTime: now - 2 * day, source: RevenueSource.Debt, treasuryAmount: 0n, stakerAmount: 3n },
      ],
      now,
      3,
    );
    assert.deepEqual(
      r.days.map((d) => [d.day, d.baseFee, d.overage, d.debt, d.total]),
      [
        ["2026-11-19", 0n, 0n, 3n, 3n],
        ["2026-11-20", USDC, 0n, 0n, USDC],
        ["2026-11-21", 5n * USDC, 10n * USDC, 0n, 15n * USDC],
      ],
    );
    assert.deepEqual(r.totals, { baseFee: 6n * USDC, overage: 10n * USDC, debt: 3n, total: 16n * USDC + 3n, treasury: 54n * USDC });
  });

  it("leaves out events older than the window", function () {
    const r = aggregateRevenue([{ blockTime: now - 7 * day, source: RevenueSource.BaseFee, treasuryAmount: 1n, stakerAmount: 1n }], now, 7);
    assert.equal(r.days.length, 7);
    assert.equal(r.totals.total, 0n);
    assert.equal(r.totals.treasury, 0n);
  });
});
