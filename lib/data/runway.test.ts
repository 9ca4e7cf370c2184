import assert from "node:assert/strict";
import { USDC } from "../../sdk/src/constants";
import { balanceLevel, computeRunway, quotaView } from "./runway";

const DAY = 86_400n;
const now = 1_800_000_000n;

describe("overview projections", function () {
  it("turns the banner orange below 10 USDC and red below 5 USDC", function () {
    assert.equal(balanceLevel(10n * USDC), "ok");
    assert.equal(balanceLevel(10n * USDC - 1n), "warning");
    assert.equal(balanceLevel(5n * USDC), "warning");
    assert.equal(balanceLevel(5n * USDC - 1n), "critical");
    assert.equal(balanceLevel(0n), "critical");
  });

  it("projects days remaining and the balance in 30 days at the last 7 days' burn rate", function () {
    // 14 USDC over 7 days = 2 USDC a day; 100 USDC lasts 50 days; no base fee within 30 days.
    const r = computeRunway({ available: 100n * USDC, spentInWindow: 14n * USDC, nextBaseFee: 50n * USDC, periodEnd: now + 40n * DAY, now });
    assert.equal(r.burnPerDay, 2n * USDC);
    assert.equal(r.daysRemaining, 50n);
    assert.equal(r.projectedIn30Days, 40n * USDC);
    assert.equal(r.runsOutWithin30Days, false);
    assert.equal(r.baseFeeInProjection, 0n);
    assert.equal(r.recommendedRefill, 0n);
  });

  it("counts a base fee falling due within 30 days and recommends a refill in whole USDC", function () {
    const r = computeRunway({ available: 60n * USDC, spentInWindow: 7n * USDC + 7n, nextBaseFee: 50n * USDC, periodEnd: now + 10n * DAY, now });
    assert.equal(r.burnPerDay, USDC + 1n);
    assert.equal(r.baseFeeInProjection, 50n * USDC);
    assert.equal(r.runsOutWithin30Days, true);
    assert.equal(r.projectedIn30Days, 0n);
    // need = 30 × 1.000001 + 50 = 80.00003 USDC; short by 20.00003 → 21 USDC.
    assert.equal(r.recommendedRefill, 21n * USDC);
  });

  it("reports no runway limit when nothing was spent, and treats a negative available balance as 0", function () {
    const idle = computeRunway({ available: 5n * USDC, spentInWindow: 0n, nextBaseFee: 0n, periodEnd: null, now });
    assert.equal(idle.daysRemaining, null);
    assert.equal(idle.projectedIn30Days, 5n * USDC);
    const debt = computeRunway({ available: -3n * USDC, spentInWindow: 7n * USDC, nextBaseFee: 0n, periodEnd: null, now });
    assert.equal(debt.daysRemaining, 0n);
    assert.equal(debt.recommendedRefill, 30n * USDC);
  });

  it("suggests an upgrade from 80% of the included requests", function () {
    assert.deepEqual(quotaView(7_999n, 10_000n), { used: 7_999n, included: 10_000n, percent: 79, suggestUpgrade: false });
    assert.equal(quotaView(8_000n, 10_000n).suggestUpgrade, true);
    assert.equal(quotaView(12_000n, 10_000n).percent, 120);
    assert.equal(quotaView(0n, 0n).percent, 0);
  });
});
