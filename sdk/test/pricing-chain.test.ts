// The pricing mirror against the program itself: randomised usage batches, rolls and upgrades run in the
// SVM, and every amount the program charges, records and emits must equal the mirror's quote.
import assert from "node:assert/strict";
import { initializeDeployment, warpTo, now, type Deployment, type TeamFixture } from "../../tests/support";
import {
  PeriodNotEndedError,
  RevenueSource,
  TIER_COUNT,
  USDC,
  eventsNamed,
  isProgramError,
  parseEvents,
  prorateUpgrade,
  quoteRollPeriod,
  quoteUsage,
  type TeamBillingAccount,
} from "../src";

/** Deterministic xorshift64* so a failing case reproduces. */
function rng(seed: bigint): (below: bigint) => bigint {
  let x = seed;
  return (below) => {
    x ^= x >> 12n;
    x ^= (x << 25n) & 0xffff_ffff_ffff_ffffn;
    x ^= x >> 27n;
    return ((x * 2685821657736338717n) & 0xffff_ffff_ffff_ffffn) % below;
  };
}

describe("pricing mirror against the program", () => {
  let d: Deployment;
  const random = rng(0x5eed_1234n);
  before(async () => {
    d = await initializeDeployment();
  });

  async function state(t: TeamFixture): Promise<{ team: TeamBillingAccount; vault: bigint }> {
    return { team: await d.team(t.owner.publicKey), vault: await d.balance(t.vault) };
  }

  it("charges every randomised usage batch exactly as quoteUsage says", async () => {
    for (let k = 0; k < 6; k++) {
      const tier = Number(random(BigInt(TIER_COUNT)));
      const t = await d.createTeam({ tier, walletUsdc: 2_000n * USDC, deposit: random(400n) * USDC + random(USDC) });
      const cap = random(3n) === 0n ? 0n : random(200n) * USDC;
      await d.client.setTeamLimits({ owner: t.owner, lowBalanceThreshold: 10n * USDC, spendCap: cap });
      const terms = d.config.tiers[tier];
      for (let seq = 1n; seq <= 8n; seq++) {
        const { team, vault } = await state(t);
        const requestCount = random(4n) === 0n ? random(terms.includedRequests) + 1n : random(30_000n) + 1n;
        const quote = quoteUsage({
          terms,
          periodRequests: team.periodRequests,
          periodOverageSpend: team.periodOverageSpend,
          spendCap: team.spendCap,
          vaultBalance: vault,
          requestCount,
          overageTreasuryBps: d.config.overageTreasuryBps,
          unpaidOverage: team.unpaidOverage,
          totalSpent: team.totalSpent,
        });
        await d.client.deductUsage({ billingAuthority: d.billingAuthority, teamOwner: t.owner.publicKey, batchSeq: seq, requestCount, usageRoot: new Uint8Array(32), settlement: d.settlement });
        const events = parseEvents(d.provider.lastTransaction?.logs ?? [], d.programId);
        const [e] = eventsNamed(events, "UsageDeducted");
        const label = `team ${k} batch ${seq} (${requestCount} requests)`;
        assert.deepEqual(
          { charged: e.amountCharged, paid: e.amountPaid, waived: e.amountWaived, periodRequests: e.periodRequests, balanceAfter: e.balanceAfter },
          { charged: quote.charged, paid: quote.paid, waived: quote.waived, periodRequests: quote.periodRequestsAfter, balanceAfter: quote.vaultBalanceAfter },
          label,
        );
        const revenue = eventsNamed(events, "RevenueDistributed").filter((r) => r.source === RevenueSource.Overage);
        assert.deepEqual(revenue.map((r) => ({ treasury: r.treasuryAmount, stakers: r.stakerAmount })), quote.paid > 0n ? [quote.revenue] : [], label);
        const after = await state(t);
        assert.equal(after.vault, quote.vaultBalanceAfter, label);
        assert.equal(after.team.periodOverageSpend, quote.periodOverageSpendAfter, label);
        assert.equal(after.team.unpaidOverage, quote.unpaidOverageAfter, label);
        assert.equal(after.team.totalSpent, quote.totalSpentAfter, label);
      }
    }
  });

  it("rolls periods (debt, base fees, pending tiers, skipped periods) exactly as quoteRollPeriod says", async () => {
    for (let k = 0; k < 5; k++) {
      const t = await d.createTeam({ tier: Number(random(2n)) + 1, walletUsdc: 3_000n * USDC, deposit: random(1_500n) * USDC });
      for (let round = 0; round < 6; round++) {
        const { team } = await state(t);
        // Sometimes schedule a downgrade, sometimes run into debt with usage, then move past the period end.
        if (random(2n) === 0n && team.status === 0) await d.client.updateTier({ authority: t.owner, teamOwner: t.owner.publicKey, newTier: 0, settlement: d.settlement });
        // A top-up now and then, so debt is collected in part or in full by the roll.
        if (random(2n) === 0n) {
          await d.client.depositFunds({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: random(300n) * USDC + 1n });
        }
        const target = random(2n) === 0n ? now(d.svm) + 1n : team.periodEnd + random(3n) * d.config.periodSecs + random(1_000n);
        const at = target > now(d.svm) ? target : now(d.svm) + 1n;
        warpTo(d.svm, at);
        const before = await state(t);
        const input = {
          tiers: d.config.tiers,
          baseFeeTreasuryBps: d.config.baseFeeTreasuryBps,
          overageTreasuryBps: d.config.overageTreasuryBps,
          periodSecs: d.config.periodSecs,
          tier: before.team.tier,
          pendingTier: before.team.pendingTier,
          periodEnd: before.team.periodEnd,
          baseFeePaid: before.team.baseFeePaid,
          unpaidBaseFee: before.team.unpaidBaseFee,
          unpaidOverage: before.team.unpaidOverage,
          vaultBalance: before.vault,
          totalSpent: before.team.totalSpent,
          now: at,
        };
        const label = `team ${k} round ${round}`;
        let quote: ReturnType<typeof quoteRollPeriod>;
        try {
          quote = quoteRollPeriod(input);
        } catch (err) {
          assert.ok(err instanceof PeriodNotEndedError, String(err));
          await assert.rejects(d.client.rollPeriod({ teamOwner: t.owner.publicKey, settlement: d.settlement }), (e: unknown) => isProgramError(e, "PeriodNotEnded"), label);
          continue;
        }
        const treasuryBefore = await d.balance(d.treasury);
        await d.client.rollPeriod({ teamOwner: t.owner.publicKey, settlement: d.settlement });
        const after = await state(t);
        assert.equal(after.vault, quote.vaultBalanceAfter, label);
        assert.equal(after.team.unpaidBaseFee, quote.unpaidBaseFeeAfter, label);
        assert.equal(after.team.unpaidOverage, quote.unpaidOverageAfter, label);
        assert.equal(after.team.status, quote.statusAfter, label);
        assert.equal(after.team.tier, quote.tierAfter, label);
        assert.equal(after.team.pendingTier, quote.pendingTierAfter, label);
        assert.equal(after.team.totalSpent, quote.totalSpentAfter, label);
        if (quote.newPeriod) assert.deepEqual({ start: after.team.periodStart, end: after.team.periodEnd }, quote.newPeriod, label);
        const events = parseEvents(d.provider.lastTransaction?.logs ?? [], d.programId);
        assert.deepEqual(eventsNamed(events, "PeriodRolled").map((e) => e.baseFeeCharged), quote.baseFeesPaid, label);
        const treasuryShare = quote.distributions.reduce((sum, x) => sum + x.treasury, 0n);
        assert.equal((await d.balance(d.treasury)) - treasuryBefore, treasuryShare, label);
        // Put usage on the team so the next round may have overage debt to collect.
        if (random(2n) === 0n) {
          const seq = (await d.team(t.owner.publicKey)).lastBatchSeq + 1n;
          await d.client.deductUsage({ billingAuthority: d.billingAuthority, teamOwner: t.owner.publicKey, batchSeq: seq, requestCount: random(2_000_000n) + 1n, usageRoot: new Uint8Array(32), settlement: d.settlement });
        }
      }
    }
  });

  it("charges an upgrade's proration exactly as prorateUpgrade says", async () => {
    for (let k = 0; k < 4; k++) {
      const t = await d.createTeam({ tier: 0, walletUsdc: 3_000n * USDC, deposit: 2_000n * USDC });
      await d.client.rollPeriod({ teamOwner: t.owner.publicKey, settlement: d.settlement });
      const team = await d.team(t.owner.publicKey);
      const at = team.periodStart + random(d.config.periodSecs);
      warpTo(d.svm, at);
      const newTier = Number(random(2n)) + 1;
      const expected = prorateUpgrade({ oldMonthlyFee: d.config.tiers[0].monthlyFee, newMonthlyFee: d.config.tiers[newTier].monthlyFee, periodEnd: team.periodEnd, now: at, periodSecs: d.config.periodSecs });
      await d.client.updateTier({ authority: t.owner, teamOwner: t.owner.publicKey, newTier, settlement: d.settlement });
      const [e] = eventsNamed(parseEvents(d.provider.lastTransaction?.logs ?? [], d.programId), "TierUpdated");
      assert.equal(e.proratedFee, expected, `upgrade to ${newTier} at +${at - team.periodStart} s`);
    }
  });
});
