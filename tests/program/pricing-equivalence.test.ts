// The program against the SDK's pricing mirror (sdk/src/pricing.ts) over randomised cases: random tier
// terms set through update_config, spend caps, vault balances from plenty to empty (shortfalls become
// debt), period counts up to the u64 limit, rolls across periods and tier upgrades. For every usage
// batch, UsageDeducted, the revenue moved, the team's state and every balance must equal the mirror's
// quote; where the mirror raises MathOverflow the program must refuse with MathOverflow and change
// nothing. Seeded: a failure names its seed and case (rerun with PROGRAM_TEST_SEED=<seed>).
import assert from "node:assert/strict";
import {
  MathOverflowError,
  NO_PENDING_TIER,
  PeriodNotEndedError,
  RevenueSource,
  TIER_COUNT,
  TeamStatus,
  U64_MAX,
  eventsNamed,
  lowBalanceAlertFires,
  prorateUpgrade,
  quoteRollPeriod,
  quoteUsage,
  toHex,
  type TeamBillingAccount,
  type TierTerms,
} from "../../sdk/src";
import { advanceClock, mintTo, now, type TeamFixture } from "../support";
import { Prng, testSeed } from "./support/prng";
import { assertConserved, createBed, lastEvents, tokenAmount, type TestBed } from "./support/bed";
import { expectError } from "./support/expect";

const DEPLOYMENTS = 4;
const TEAMS_PER_DEPLOYMENT = 3;
const USAGE_CASES_PER_DEPLOYMENT = 300;

function randomTerms(rng: Prng): TierTerms {
  // Mostly realistic magnitudes, sometimes zero, rarely near the u64 limit (to reach MathOverflow).
  const huge = rng.chance(0.03);
  return {
    monthlyFee: rng.chance(0.1) ? 0n : huge ? rng.magnitude(64) : rng.magnitude(36),
    includedRequests: rng.chance(0.15) ? 0n : huge ? rng.magnitude(64) : rng.magnitude(22),
    overagePrice: rng.chance(0.1) ? 0n : huge ? rng.magnitude(64) : rng.magnitude(18),
  };
}

function randomRequestCount(rng: Prng, included: bigint, periodRequests: bigint): bigint {
  const bucket = rng.int(20);
  if (bucket < 3) return rng.bigRange(1n, 100n);
  if (bucket < 7) {
    // Around the quota boundary.
    const toQuota = included > periodRequests ? included - periodRequests : 0n;
    const n = toQuota + rng.bigRange(0n, 20n);
    return n > 10n ? n - 10n : n === 0n ? 1n : n;
  }
  if (bucket < 10) return rng.magnitude(40) || 1n;
  // Up to the u64 limit: the count or its price overflows.
  if (bucket === 10) return rng.chance(0.5) ? U64_MAX - rng.below(1_000n) : U64_MAX - periodRequests || 1n;
  return rng.magnitude(24) || 1n;
}

interface Counts {
  usage: number;
  paidInFull: number;
  usageOverflow: number;
  waived: number;
  shortfall: number;
  rolls: number;
  rollNothingToDo: number;
  upgrades: number;
  termsChanged: number;
}

describe("pricing equivalence: the program charges exactly what the SDK mirror quotes", () => {
  const seed = testSeed(0x5eed_2026);

  it(`agrees on ${DEPLOYMENTS * USAGE_CASES_PER_DEPLOYMENT} randomised usage batches, with rolls, upgrades and tier terms changing in between (seed ${seed})`, async function () {
    this.timeout(10 * 60_000);
    const rng = new Prng(seed);
    const counts: Counts = { usage: 0, paidInFull: 0, usageOverflow: 0, waived: 0, shortfall: 0, rolls: 0, rollNothingToDo: 0, upgrades: 0, termsChanged: 0 };
    let where = "setup";
    try {
      for (let d = 0; d < DEPLOYMENTS; d++) {
        where = `deployment ${d}`;
        // Conservation is checked once per case below, not after each of its transactions.
        const bed = await createBed({ checkEveryTransaction: false, config: { baseFeeTreasuryBps: rng.int(10_001), overageTreasuryBps: rng.pick([0, 10_000, rng.int(10_001)]) } });
        const teams: TeamFixture[] = [];
        const seqs = new Map<string, bigint>();
        for (let i = 0; i < TEAMS_PER_DEPLOYMENT; i++) {
          const t = await bed.createTeam({ tier: rng.int(TIER_COUNT), walletUsdc: 0n });
          teams.push(t);
          seqs.set(t.team.toBase58(), 0n);
        }
        for (let c = 0; c < USAGE_CASES_PER_DEPLOYMENT; c++) {
          const t = rng.pick(teams);
          where = `deployment ${d}, case ${c}, team ${t.team.toBase58()}`;
          if (rng.chance(0.08)) {
            await changeTerms(bed, rng);
            counts.termsChanged++;
          }
          if (rng.chance(0.15)) await setLimits(bed, rng, t);
          if (rng.chance(0.35)) await deposit(bed, rng, t);
          if (rng.chance(0.07)) {
            const outcome = await roll(bed, rng, t);
            counts.rolls++;
            if (outcome === "nothing to do") counts.rollNothingToDo++;
          }
          if (rng.chance(0.05)) {
            await upgrade(bed, rng, t);
            counts.upgrades++;
          }
          const seq = (seqs.get(t.team.toBase58()) ?? 0n) + 1n;
          const outcome = await usage(bed, rng, t, seq);
          counts.usage++;
          if (outcome === "overflow") counts.usageOverflow++;
          else seqs.set(t.team.toBase58(), seq);
          if (outcome === "waived") counts.waived++;
          if (outcome === "shortfall") counts.shortfall++;
          if (outcome === "paid") counts.paidInFull++;
          await assertConserved(bed, where);
        }
      }
    } catch (e) {
      if (e instanceof Error) e.message = `[PROGRAM_TEST_SEED=${seed}, ${where}] ${e.message}`;
      throw e;
    }
    assert.ok(counts.usage >= 1_000, `${counts.usage} usage cases`);
    // The random walk must reach every branch, or the equivalence says little.
    for (const key of ["paidInFull", "usageOverflow", "waived", "shortfall", "rolls", "rollNothingToDo", "upgrades", "termsChanged"] as const) {
      assert.ok(counts[key] > 0, `no case reached ${key}: ${JSON.stringify(counts)}`);
    }
    console.log(`      pricing equivalence (seed ${seed}): ${JSON.stringify(counts)}`);
  });
});

async function changeTerms(bed: TestBed, rng: Prng): Promise<void> {
  const tiers = [randomTerms(rng), randomTerms(rng), randomTerms(rng)];
  const periodSecs = rng.chance(0.3) ? BigInt(rng.range(3_600, 90 * 86_400)) : undefined;
  await bed.client.updateConfig({ admin: bed.admin, tiers, periodSecs });
  const config = await bed.client.fetchConfig();
  assert.deepEqual(config.tiers, tiers);
  bed.config = config;
}

async function setLimits(bed: TestBed, rng: Prng, t: TeamFixture): Promise<void> {
  const spendCap = rng.chance(0.35) ? 0n : rng.magnitude(rng.chance(0.05) ? 64 : 34);
  const lowBalanceThreshold = rng.magnitude(36);
  await bed.client.setTeamLimits({ owner: t.owner, lowBalanceThreshold, spendCap });
}

async function deposit(bed: TestBed, rng: Prng, t: TeamFixture): Promise<void> {
  const amount = rng.magnitude(rng.chance(0.1) ? 44 : 34) || 1n;
  await mintTo(bed.provider, bed.usdcMint, t.ownerToken, amount);
  const before = await bed.team(t.owner.publicKey);
  const vault = tokenAmount(bed, t.vault);
  await bed.client.depositFunds({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount });
  const after = await bed.team(t.owner.publicKey);
  assert.equal(tokenAmount(bed, t.vault), vault + amount);
  assert.deepEqual(after, { ...before, totalDeposited: before.totalDeposited + amount, lowBalanceAlerted: vault + amount >= before.lowBalanceThreshold ? false : before.lowBalanceAlerted });
}

function revenueBalances(bed: TestBed): { treasury: bigint; stakers: bigint } {
  return { treasury: tokenAmount(bed, bed.treasury), stakers: tokenAmount(bed, bed.stakerPool) };
}

async function usage(bed: TestBed, rng: Prng, t: TeamFixture, seq: bigint): Promise<"free" | "paid" | "overflow" | "waived" | "shortfall"> {
  const team = await bed.team(t.owner.publicKey);
  const terms = bed.config.tiers[team.tier];
  const vault = tokenAmount(bed, t.vault);
  const requestCount = randomRequestCount(rng, terms.includedRequests, team.periodRequests);
  const root = rng.bytes(32);
  const send = () => bed.client.deductUsage({ billingAuthority: bed.billingAuthority, teamOwner: t.owner.publicKey, batchSeq: seq, requestCount, usageRoot: root, settlement: bed.settlement });
  let quote: ReturnType<typeof quoteUsage>;
  try {
    quote = quoteUsage({
      terms,
      periodRequests: team.periodRequests,
      periodOverageSpend: team.periodOverageSpend,
      spendCap: team.spendCap,
      vaultBalance: vault,
      requestCount,
      overageTreasuryBps: bed.config.overageTreasuryBps,
      unpaidOverage: team.unpaidOverage,
      totalSpent: team.totalSpent,
    });
  } catch (e) {
    if (!(e instanceof MathOverflowError)) throw e;
    await expectError(send(), "MathOverflow", bed.provider);
    assert.deepEqual(await bed.team(t.owner.publicKey), team, "a refused batch changes nothing");
    assert.equal(tokenAmount(bed, t.vault), vault);
    return "overflow";
  }
  const revenueBefore = revenueBalances(bed);
  await send();
  const events = lastEvents(bed.provider, bed.programId);
  const ctx = `N=${requestCount} P=${team.periodRequests} S=${team.periodOverageSpend} C=${team.spendCap} V=${vault} terms=${JSON.stringify(terms, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`;
  assert.deepEqual(
    eventsNamed(events, "UsageDeducted"),
    [
      {
        team: t.team.toBase58(),
        batchSeq: seq,
        requestCount,
        amountCharged: quote.charged,
        amountPaid: quote.paid,
        amountWaived: quote.waived,
        periodRequests: quote.periodRequestsAfter,
        balanceAfter: quote.vaultBalanceAfter,
        usageRoot: toHex(root),
      },
    ],
    ctx,
  );
  assert.deepEqual(
    eventsNamed(events, "RevenueDistributed"),
    quote.paid > 0n ? [{ team: t.team.toBase58(), source: RevenueSource.Overage, treasuryAmount: quote.revenue.treasury, stakerAmount: quote.revenue.stakers }] : [],
    ctx,
  );
  const alert = lowBalanceAlertFires(quote.vaultBalanceAfter, team.lowBalanceThreshold, team.lowBalanceAlerted);
  assert.equal(eventsNamed(events, "LowBalanceAlert").length, alert ? 1 : 0, ctx);
  const after = await bed.team(t.owner.publicKey);
  const expected: TeamBillingAccount = {
    ...team,
    periodRequests: quote.periodRequestsAfter,
    periodOverageSpend: quote.periodOverageSpendAfter,
    unpaidOverage: quote.unpaidOverageAfter,
    totalSpent: quote.totalSpentAfter,
    lastBatchSeq: seq,
    status: quote.unpaid > 0n ? TeamStatus.Suspended : team.status,
    lowBalanceAlerted: team.lowBalanceAlerted || alert,
  };
  assert.deepEqual(after, expected, ctx);
  assert.equal(tokenAmount(bed, t.vault), quote.vaultBalanceAfter, ctx);
  const revenueAfter = revenueBalances(bed);
  assert.deepEqual(revenueAfter, { treasury: revenueBefore.treasury + quote.revenue.treasury, stakers: revenueBefore.stakers + quote.revenue.stakers }, ctx);
  if (quote.unpaid > 0n) return "shortfall";
  if (quote.waived > 0n) return "waived";
  return quote.paid > 0n ? "paid" : "free";
}

async function roll(bed: TestBed, rng: Prng, t: TeamFixture): Promise<"rolled" | "nothing to do"> {
  const before = await bed.team(t.owner.publicKey);
  // Sometimes within the period, sometimes just past its end, sometimes many periods later.
  const jump = rng.pick([0n, before.periodEnd - now(bed.svm), before.periodEnd - now(bed.svm) + BigInt(rng.int(5)) * bed.config.periodSecs + BigInt(rng.int(1_000))]);
  if (jump > 0n) advanceClock(bed.svm, jump);
  const vault = tokenAmount(bed, t.vault);
  const send = () => bed.client.rollPeriod({ teamOwner: t.owner.publicKey, settlement: bed.settlement });
  let quote: ReturnType<typeof quoteRollPeriod>;
  try {
    quote = quoteRollPeriod({
      tiers: bed.config.tiers,
      baseFeeTreasuryBps: bed.config.baseFeeTreasuryBps,
      overageTreasuryBps: bed.config.overageTreasuryBps,
      periodSecs: bed.config.periodSecs,
      tier: before.tier,
      pendingTier: before.pendingTier,
      periodEnd: before.periodEnd,
      baseFeePaid: before.baseFeePaid,
      unpaidBaseFee: before.unpaidBaseFee,
      unpaidOverage: before.unpaidOverage,
      vaultBalance: vault,
      totalSpent: before.totalSpent,
      now: now(bed.svm),
    });
  } catch (e) {
    if (e instanceof PeriodNotEndedError) {
      await expectError(send(), "PeriodNotEnded", bed.provider);
      return "nothing to do";
    }
    if (e instanceof MathOverflowError) {
      await expectError(send(), "MathOverflow", bed.provider);
      return "nothing to do";
    }
    throw e;
  }
  const revenueBefore = revenueBalances(bed);
  await send();
  const events = lastEvents(bed.provider, bed.programId);
  assert.deepEqual(
    eventsNamed(events, "RevenueDistributed"),
    quote.distributions.map((d) => ({ team: t.team.toBase58(), source: d.source, treasuryAmount: d.treasury, stakerAmount: d.stakers })),
  );
  assert.deepEqual(eventsNamed(events, "PeriodRolled").map((p) => p.baseFeeCharged), quote.baseFeesPaid);
  const after = await bed.team(t.owner.publicKey);
  assert.equal(after.tier, quote.tierAfter);
  assert.equal(after.pendingTier, quote.pendingTierAfter);
  assert.equal(after.unpaidBaseFee, quote.unpaidBaseFeeAfter);
  assert.equal(after.unpaidOverage, quote.unpaidOverageAfter);
  assert.equal(after.status, quote.statusAfter);
  assert.equal(after.totalSpent, quote.totalSpentAfter);
  assert.equal(after.baseFeePaid, true);
  if (quote.newPeriod) {
    assert.deepEqual([after.periodStart, after.periodEnd, after.periodRequests, after.periodOverageSpend], [quote.newPeriod.start, quote.newPeriod.end, 0n, 0n]);
  } else {
    assert.deepEqual([after.periodStart, after.periodEnd, after.periodRequests], [before.periodStart, before.periodEnd, before.periodRequests]);
  }
  assert.equal(tokenAmount(bed, t.vault), quote.vaultBalanceAfter);
  const paid = vault - quote.vaultBalanceAfter;
  const revenueAfter = revenueBalances(bed);
  assert.equal(revenueAfter.treasury + revenueAfter.stakers, revenueBefore.treasury + revenueBefore.stakers + paid);
  return "rolled";
}

async function upgrade(bed: TestBed, rng: Prng, t: TeamFixture): Promise<void> {
  const team = await bed.team(t.owner.publicKey);
  const newTier = rng.int(TIER_COUNT);
  const send = () => bed.client.updateTier({ authority: t.owner, teamOwner: t.owner.publicKey, newTier, settlement: bed.settlement });
  if (team.status === TeamStatus.Suspended) {
    await expectError(send(), "OutstandingDebt", bed.provider);
    return;
  }
  const oldFee = bed.config.tiers[team.tier].monthlyFee;
  const newFee = bed.config.tiers[newTier].monthlyFee;
  const vault = tokenAmount(bed, t.vault);
  const isUpgrade = newTier !== team.tier && newFee > oldFee;
  const prorated = isUpgrade && team.baseFeePaid ? prorateUpgrade({ oldMonthlyFee: oldFee, newMonthlyFee: newFee, periodEnd: team.periodEnd, now: now(bed.svm), periodSecs: bed.config.periodSecs }) : 0n;
  if (prorated > vault) {
    await expectError(send(), "InsufficientFunds", bed.provider);
    return;
  }
  await send();
  const after = await bed.team(t.owner.publicKey);
  const [event] = eventsNamed(lastEvents(bed.provider, bed.programId), "TierUpdated");
  assert.equal(event.proratedFee, prorated);
  assert.equal(tokenAmount(bed, t.vault), vault - prorated);
  if (newTier === team.tier) {
    assert.deepEqual([after.tier, after.pendingTier], [team.tier, NO_PENDING_TIER]);
  } else if (isUpgrade) {
    assert.deepEqual([after.tier, after.pendingTier, after.totalSpent], [newTier, NO_PENDING_TIER, team.totalSpent + prorated]);
  } else {
    assert.deepEqual([after.tier, after.pendingTier, event.effectiveAt], [team.tier, newTier, team.periodEnd]);
  }
}
