import assert from "node:assert/strict";
import {
  DEFAULT_TIERS,
  ERROR_CODES,
  InvalidAmountError,
  InvalidConfigError,
  MathOverflowError,
  NO_PENDING_TIER,
  PeriodNotEndedError,
  RevenueSource,
  TeamStatus,
  Tier,
  U64_MAX,
  USDC,
  collectFromVault,
  lowBalanceAlertFires,
  maxWithdrawalRequest,
  nextPeriod,
  prorateUpgrade,
  quoteRollPeriod,
  quoteUsage,
  splitRevenue,
  withdrawableAmount,
  type UsageQuoteInput,
} from "../src";

const startup = DEFAULT_TIERS[Tier.Startup];
const fresh: UsageQuoteInput = {
  terms: startup,
  periodRequests: 0n,
  periodOverageSpend: 0n,
  spendCap: 0n,
  vaultBalance: 100n * USDC,
  requestCount: 1n,
};

function assertOverflow(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof MathOverflowError, String(err));
    assert.equal(err.code, "MathOverflow");
    assert.equal(err.errorNumber, 6006);
    return true;
  });
}

/** Deterministic pseudo-random u64s (xorshift64*), so a failing case can be reproduced. */
function* randomU64(seed: bigint): Generator<bigint> {
  let x = seed;
  for (;;) {
    x ^= x >> 12n;
    x ^= (x << 25n) & U64_MAX;
    x ^= x >> 27n;
    yield (x * 2685821657736338717n) & U64_MAX;
  }
}

describe("pricing: usage batches", () => {
  it("charges nothing for the 10,000 requests a Startup team has included", () => {
    const q = quoteUsage({ ...fresh, requestCount: 10_000n });
    assert.equal(q.billable, 0n);
    assert.equal(q.cost, 0n);
    assert.equal(q.paid, 0n);
    assert.equal(q.periodRequestsAfter, 10_000n);
    assert.equal(q.vaultBalanceAfter, 100n * USDC);
  });

  it("charges 10 USDC, all to the stakers, for the next 1,000 requests", () => {
    const q = quoteUsage({ ...fresh, periodRequests: 10_000n, requestCount: 1_000n });
    assert.equal(q.billable, 1_000n);
    assert.equal(q.cost, 10_000_000n);
    assert.equal(q.charged, 10_000_000n);
    assert.equal(q.paid, 10_000_000n);
    assert.equal(q.unpaid, 0n);
    assert.deepEqual(q.revenue, { treasury: 0n, stakers: 10_000_000n });
    assert.equal(q.periodOverageSpendAfter, 10_000_000n);
    assert.equal(q.totalSpentAfter, 10_000_000n);
    assert.equal(q.vaultBalanceAfter, 90n * USDC);
  });

  it("bills only the part of a batch that crosses the quota", () => {
    const q = quoteUsage({ ...fresh, periodRequests: 9_500n, requestCount: 1_000n });
    assert.equal(q.billable, 500n);
    assert.equal(q.cost, 5_000_000n);
  });

  it("charges no more than the spend cap allows and reports the rest as waived", () => {
    const q = quoteUsage({ ...fresh, periodRequests: 10_000n, periodOverageSpend: 2n * USDC, spendCap: 5n * USDC, requestCount: 1_000n });
    assert.equal(q.cost, 10n * USDC);
    assert.equal(q.charged, 3n * USDC);
    assert.equal(q.waived, 7n * USDC);
    assert.equal(q.periodOverageSpendAfter, 5n * USDC);
  });

  it("waives everything once the cap is reached or passed", () => {
    for (const spent of [5n * USDC, 6n * USDC]) {
      const q = quoteUsage({ ...fresh, periodRequests: 20_000n, periodOverageSpend: spent, spendCap: 5n * USDC, requestCount: 10n });
      assert.equal(q.charged, 0n);
      assert.equal(q.waived, 100_000n);
    }
  });

  it("records what the vault cannot pay as unpaid overage", () => {
    const q = quoteUsage({ ...fresh, periodRequests: 10_000n, vaultBalance: 3n * USDC, unpaidOverage: 1n, requestCount: 1_000n });
    assert.equal(q.paid, 3n * USDC);
    assert.equal(q.unpaid, 7n * USDC);
    assert.equal(q.unpaidOverageAfter, 7n * USDC + 1n);
    assert.equal(q.vaultBalanceAfter, 0n);
  });

  it("splits the paid overage by overage_treasury_bps when it is set", () => {
    const q = quoteUsage({ ...fresh, periodRequests: 10_000n, requestCount: 3n, overageTreasuryBps: 2_500 });
    assert.deepEqual(q.revenue, { treasury: 7_500n, stakers: 22_500n });
  });

  it("refuses a batch of zero requests as InvalidAmount", () => {
    assert.throws(() => quoteUsage({ ...fresh, requestCount: 0n }), (err: unknown) => err instanceof InvalidAmountError && err.errorNumber === ERROR_CODES.InvalidAmount);
  });

  it("throws MathOverflow where period_requests + request_count leaves u64", () => {
    assertOverflow(() => quoteUsage({ ...fresh, periodRequests: U64_MAX, requestCount: 1n }));
    assert.equal(quoteUsage({ ...fresh, terms: { ...startup, overagePrice: 0n }, periodRequests: U64_MAX - 1n, requestCount: 1n }).cost, 0n);
  });

  it("throws MathOverflow where billable × overage_price leaves u64, and not one unit earlier", () => {
    const terms = { monthlyFee: 0n, includedRequests: 0n, overagePrice: 1n << 32n };
    assertOverflow(() => quoteUsage({ ...fresh, terms, requestCount: 1n << 32n }));
    assert.equal(quoteUsage({ ...fresh, terms, requestCount: (1n << 32n) - 1n }).cost, U64_MAX - (1n << 32n) + 1n);
  });

  it("throws MathOverflow where period_overage_spend + charged leaves u64 (no cap)", () => {
    assertOverflow(() => quoteUsage({ ...fresh, periodRequests: 10_000n, periodOverageSpend: U64_MAX, requestCount: 1n }));
  });

  it("throws MathOverflow where unpaid_overage or total_spent would leave u64", () => {
    assertOverflow(() => quoteUsage({ ...fresh, periodRequests: 10_000n, vaultBalance: 0n, unpaidOverage: U64_MAX, requestCount: 1n }));
    assertOverflow(() => quoteUsage({ ...fresh, periodRequests: 10_000n, totalSpent: U64_MAX, requestCount: 1n }));
  });

  it("rejects inputs no u64 can hold as a caller error", () => {
    assert.throws(() => quoteUsage({ ...fresh, vaultBalance: -1n }), RangeError);
    assert.throws(() => quoteUsage({ ...fresh, requestCount: U64_MAX + 1n }), RangeError);
  });

  it("never charges more than cost, cap or vault over randomised cases", () => {
    const rnd = randomU64(0x9e3779b97f4a7c15n);
    const small = () => rnd.next().value % 1_000_000n;
    for (let i = 0; i < 2_000; i++) {
      const input: UsageQuoteInput = {
        terms: { monthlyFee: 0n, includedRequests: small(), overagePrice: small() },
        periodRequests: small(),
        periodOverageSpend: small() * 1_000n,
        spendCap: i % 3 === 0 ? 0n : small() * 1_000n,
        vaultBalance: small() * 1_000n,
        requestCount: small() + 1n,
      };
      const q = quoteUsage(input);
      assert.equal(q.charged + q.waived, q.cost);
      assert.equal(q.paid + q.unpaid, q.charged);
      assert.ok(q.paid <= input.vaultBalance);
      if (input.spendCap > 0n) assert.ok(q.periodOverageSpendAfter <= (input.spendCap > input.periodOverageSpend ? input.spendCap : input.periodOverageSpend));
      assert.equal(q.revenue.treasury + q.revenue.stakers, q.paid);
    }
  });
});

describe("pricing: revenue split", () => {
  it("splits a 50 USDC base fee 45 to the treasury and 5 to the stakers", () => {
    assert.deepEqual(splitRevenue(50n * USDC, 9_000), { treasury: 45n * USDC, stakers: 5n * USDC });
  });

  it("rounds the treasury share down and gives the remainder to the stakers", () => {
    assert.deepEqual(splitRevenue(1n, 9_000), { treasury: 0n, stakers: 1n });
    assert.deepEqual(splitRevenue(19n, 9_000), { treasury: 17n, stakers: 2n });
    assert.deepEqual(splitRevenue(7n, 10_000), { treasury: 7n, stakers: 0n });
    assert.deepEqual(splitRevenue(7n, 0), { treasury: 0n, stakers: 7n });
  });

  it("never creates or loses a base unit over randomised cases", () => {
    const rnd = randomU64(42n);
    for (let i = 0; i < 2_000; i++) {
      const amount = rnd.next().value >> 14n;
      const rate = Number(rnd.next().value % 10_001n);
      const s = splitRevenue(amount, rate);
      assert.equal(s.treasury + s.stakers, amount);
      assert.equal(s.treasury, (amount * BigInt(rate)) / 10_000n);
    }
  });

  it("refuses more than 10,000 basis points as InvalidConfig", () => {
    assert.throws(() => splitRevenue(1n, 10_001), InvalidConfigError);
  });

  it("splits any u64 amount without overflow, as the program's full-width mul_div does", () => {
    assert.deepEqual(splitRevenue(U64_MAX, 9_000), { treasury: (U64_MAX * 9_000n) / 10_000n, stakers: U64_MAX - (U64_MAX * 9_000n) / 10_000n });
    assert.deepEqual(splitRevenue(U64_MAX, 10_000), { treasury: U64_MAX, stakers: 0n });
    assert.deepEqual(splitRevenue(U64_MAX, 0), { treasury: 0n, stakers: U64_MAX });
  });
});

describe("pricing: periods, upgrades, withdrawals, alerts", () => {
  const period = 2_592_000n;

  it("stays in the period until its end, then moves to the latest boundary not after now", () => {
    assert.equal(nextPeriod(1_000n + period, period, 1_000n + period - 1n), null);
    assert.deepEqual(nextPeriod(1_000n + period, period, 1_000n + period), { start: 1_000n + period, end: 1_000n + 2n * period });
    assert.deepEqual(nextPeriod(1_000n, period, 1_000n + 2n * period + period / 2n), { start: 1_000n + 2n * period, end: 1_000n + 3n * period });
  });

  it("refuses a non-positive period as InvalidConfig and overflows past i64", () => {
    assert.throws(() => nextPeriod(0n, 0n, 0n), InvalidConfigError);
    assertOverflow(() => nextPeriod((1n << 63n) - 10n, 100n, (1n << 63n) - 1n));
  });

  it("prorates an upgrade from Startup to Growth at mid-period to 100 USDC", () => {
    const fee = prorateUpgrade({ oldMonthlyFee: 50n * USDC, newMonthlyFee: 250n * USDC, periodEnd: 10n + period, now: 10n + period / 2n, periodSecs: period });
    assert.equal(fee, 100n * USDC);
  });

  it("clamps the remaining time to the period and to zero", () => {
    const base = { oldMonthlyFee: 50n * USDC, newMonthlyFee: 250n * USDC, periodSecs: period };
    assert.equal(prorateUpgrade({ ...base, periodEnd: period, now: -period }), 200n * USDC);
    assert.equal(prorateUpgrade({ ...base, periodEnd: period, now: period + 1n }), 0n);
    assert.equal(prorateUpgrade({ ...base, periodEnd: 7n, now: 0n }), (200n * USDC * 7n) / period);
    assert.equal(prorateUpgrade({ ...base, newMonthlyFee: 10n, periodEnd: period, now: 0n }), 0n);
  });

  it("prorates at full width and overflows only where period_end − now leaves i64", () => {
    const I64_MAX = (1n << 63n) - 1n;
    const I64_MIN = -(1n << 63n);
    assert.equal(prorateUpgrade({ oldMonthlyFee: 0n, newMonthlyFee: U64_MAX, periodEnd: I64_MAX, now: 0n, periodSecs: I64_MAX }), U64_MAX);
    assertOverflow(() => prorateUpgrade({ oldMonthlyFee: 0n, newMonthlyFee: U64_MAX, periodEnd: I64_MAX, now: I64_MIN, periodSecs: 3n }));
    assert.equal(prorateUpgrade({ oldMonthlyFee: 0n, newMonthlyFee: 10n, periodEnd: I64_MIN, now: I64_MAX, periodSecs: 3n }), 0n);
    assert.equal(prorateUpgrade({ oldMonthlyFee: 0n, newMonthlyFee: 10n, periodEnd: 3n, now: 0n, periodSecs: 9n }), 3n);
  });

  it("lets the owner withdraw the pending amount, bounded by the vault minus debt", () => {
    assert.equal(withdrawableAmount({ pendingWithdrawal: 30n, vaultBalance: 100n, unpaidBaseFee: 0n, unpaidOverage: 0n }), 30n);
    assert.equal(withdrawableAmount({ pendingWithdrawal: 90n, vaultBalance: 100n, unpaidBaseFee: 15n, unpaidOverage: 5n }), 80n);
    assert.equal(withdrawableAmount({ pendingWithdrawal: 90n, vaultBalance: 10n, unpaidBaseFee: 15n, unpaidOverage: 5n }), 0n);
    assert.equal(maxWithdrawalRequest({ vaultBalance: 100n, unpaidBaseFee: 15n, unpaidOverage: 5n }), 80n);
    assert.equal(maxWithdrawalRequest({ vaultBalance: U64_MAX, unpaidBaseFee: U64_MAX, unpaidOverage: U64_MAX }), 0n);
  });

  it("collects from the vault what it holds and leaves the rest unpaid", () => {
    assert.deepEqual(collectFromVault(50n, 80n), { paid: 50n, unpaid: 0n });
    assert.deepEqual(collectFromVault(50n, 20n), { paid: 20n, unpaid: 30n });
  });

  it("fires the low-balance alert once per crossing below the threshold", () => {
    assert.equal(lowBalanceAlertFires(9_999_999n, 10_000_000n, false), true);
    assert.equal(lowBalanceAlertFires(9_999_999n, 10_000_000n, true), false);
    assert.equal(lowBalanceAlertFires(10_000_000n, 10_000_000n, false), false);
  });
});

describe("pricing: period roll", () => {
  const config = { tiers: DEFAULT_TIERS, baseFeeTreasuryBps: 9_000, overageTreasuryBps: 0, periodSecs: 2_592_000n };
  const team = { tier: Tier.Startup, pendingTier: NO_PENDING_TIER, periodEnd: 2_592_000n, baseFeePaid: false, unpaidBaseFee: 0n, unpaidOverage: 0n };

  it("charges the first period's base fee, 45 USDC to the treasury and 5 to the stakers", () => {
    const q = quoteRollPeriod({ ...config, ...team, vaultBalance: 100n * USDC, now: 10n });
    assert.deepEqual(q.baseFeesPaid, [50n * USDC]);
    assert.equal(q.newPeriod, null);
    assert.equal(q.vaultBalanceAfter, 50n * USDC);
    assert.deepEqual(q.distributions, [{ source: RevenueSource.BaseFee, treasury: 45n * USDC, stakers: 5n * USDC }]);
    assert.equal(q.statusAfter, TeamStatus.Active);
  });

  it("refuses a roll with nothing to do as PeriodNotEnded, including debt an empty vault cannot pay", () => {
    assert.throws(() => quoteRollPeriod({ ...config, ...team, baseFeePaid: true, vaultBalance: 100n, now: 10n }), PeriodNotEndedError);
    assert.throws(() => quoteRollPeriod({ ...config, ...team, baseFeePaid: true, unpaidOverage: 5n, vaultBalance: 0n, now: 10n }), PeriodNotEndedError);
  });

  it("collects what it can of the debt from a partly funded vault and stays suspended", () => {
    const q = quoteRollPeriod({ ...config, ...team, baseFeePaid: true, unpaidBaseFee: 5n * USDC, unpaidOverage: 5n * USDC, vaultBalance: 7n * USDC, totalSpent: 1n, now: 10n });
    assert.deepEqual(q.debtCollected, { baseFee: 5n * USDC, overage: 2n * USDC });
    assert.equal(q.unpaidOverageAfter, 3n * USDC);
    assert.equal(q.statusAfter, TeamStatus.Suspended);
    assert.equal(q.totalSpentAfter, 7n * USDC + 1n);
    assert.deepEqual(q.baseFeesPaid, []);
  });

  it("suspends a team whose vault cannot pay the base fee", () => {
    const q = quoteRollPeriod({ ...config, ...team, vaultBalance: 20n * USDC, now: 10n });
    assert.equal(q.unpaidBaseFeeAfter, 30n * USDC);
    assert.equal(q.statusAfter, TeamStatus.Suspended);
  });

  it("collects debt first, then starts the next period on the pending tier and charges its fee", () => {
    const q = quoteRollPeriod({
      ...config,
      ...team,
      tier: Tier.Growth,
      pendingTier: Tier.Startup,
      baseFeePaid: true,
      unpaidBaseFee: 10n * USDC,
      unpaidOverage: 4n * USDC,
      vaultBalance: 100n * USDC,
      now: 2_592_000n + 5n,
    });
    assert.deepEqual(q.debtCollected, { baseFee: 10n * USDC, overage: 4n * USDC });
    assert.deepEqual(q.newPeriod, { start: 2_592_000n, end: 5_184_000n });
    assert.equal(q.tierAfter, Tier.Startup);
    assert.equal(q.pendingTierAfter, NO_PENDING_TIER);
    assert.deepEqual(q.baseFeesPaid, [50n * USDC]);
    assert.equal(q.vaultBalanceAfter, 36n * USDC);
    assert.deepEqual(q.distributions, [
      { source: RevenueSource.Debt, treasury: 9n * USDC, stakers: 5n * USDC },
      { source: RevenueSource.BaseFee, treasury: 45n * USDC, stakers: 5n * USDC },
    ]);
    assert.equal(q.statusAfter, TeamStatus.Active);
  });
});
