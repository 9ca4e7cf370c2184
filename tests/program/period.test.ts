// roll_period: the crank anyone may run. It charges the base fee of the period (split 90% treasury /
// 10% stakers), starts the next period once the current one has ended (skipping periods nobody
// cranked, applying a pending downgrade, resetting the counters), and collects debt.
import assert from "node:assert/strict";
import { TOKEN_2022_PROGRAM_ID } from "@solana/spl-token";
import { Keypair } from "@solana/web3.js";
import { NO_PENDING_TIER, RevenueSource, TeamStatus, Tier, USDC } from "../../sdk/src";
import { advanceClock, now, warpTo, type TeamFixture } from "../support";
import {
  FOREIGN_PROGRAM,
  assertConserved,
  cloneAccount,
  createBed,
  lastEvents,
  openTeam,
  readonlyAt,
  sendAsOutsider,
  settlementAccounts,
  tokenAccount,
  type TestBed,
} from "./support/bed";
import { expectError, type Expected } from "./support/expect";

describe("roll_period", () => {
  let bed: TestBed;
  let period: bigint;
  before(async () => {
    bed = await createBed();
    period = bed.config.periodSecs;
  });
  afterEach(async () => {
    await assertConserved(bed);
  });

  /** Sent by the outsider with no signer at all: anyone may crank. */
  const roll = (t: TeamFixture, accounts: Partial<ReturnType<typeof settlementAccounts>> = {}) =>
    bed.program.methods.rollPeriod().accountsStrict({ ...settlementAccounts(bed, t), ...accounts });

  const rolled = (t: TeamFixture, periodStart: bigint, tier: number, baseFeeCharged: bigint) => ({
    name: "PeriodRolled",
    data: { team: t.team.toBase58(), periodStart, periodEnd: periodStart + period, tier, baseFeeCharged },
  });
  const revenue = (t: TeamFixture, source: number, treasuryAmount: bigint, stakerAmount: bigint) => ({
    name: "RevenueDistributed",
    data: { team: t.team.toBase58(), source, treasuryAmount, stakerAmount },
  });

  const lowBalance = (t: TeamFixture, balance: bigint) => ({
    name: "LowBalanceAlert",
    data: { team: t.team.toBase58(), owner: t.owner.publicKey.toBase58(), balance, threshold: 10n * USDC, timestamp: now(bed.svm) },
  });

  it("charges the first period's base fee, 90% to the treasury and 10% to the stakers, cranked by anyone", async () => {
    const t = await openTeam(bed, { deposit: 100n * USDC });
    const start = (await bed.team(t.owner.publicKey)).periodStart;
    const treasury = await bed.balance(bed.treasury);
    const stakers = await bed.balance(bed.stakerPool);
    await roll(t).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [rolled(t, start, Tier.Startup, 50n * USDC), revenue(t, RevenueSource.BaseFee, 45n * USDC, 5n * USDC)]);
    assert.equal(await bed.balance(bed.treasury), treasury + 45n * USDC);
    assert.equal(await bed.balance(bed.stakerPool), stakers + 5n * USDC);
    assert.equal(await bed.balance(t.vault), 50n * USDC);
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.baseFeePaid, true);
    assert.equal(team.periodStart, start);
    assert.equal(team.totalSpent, 50n * USDC);
  });

  it("has nothing to do again in the same period (PeriodNotEnded), up to the last second", async () => {
    const t = await openTeam(bed, { deposit: 100n * USDC });
    await roll(t).rpc();
    await expectError(roll(t).rpc(), "PeriodNotEnded", bed.outsider);
    const { periodEnd } = await bed.team(t.owner.publicKey);
    warpTo(bed.svm, periodEnd - 1n);
    await expectError(roll(t).rpc(), "PeriodNotEnded", bed.outsider);
  });

  it("starts the next period at the period end, charges its fee and resets the period counters", async () => {
    const t = await openTeam(bed, { deposit: 200n * USDC });
    await roll(t).rpc();
    await bed.client.deductUsage({ billingAuthority: bed.billingAuthority, teamOwner: t.owner.publicKey, batchSeq: 1n, requestCount: 10_100n, usageRoot: new Uint8Array(32) });
    const before = await bed.team(t.owner.publicKey);
    assert.equal(before.periodOverageSpend, USDC);
    warpTo(bed.svm, before.periodEnd);
    await roll(t).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [rolled(t, before.periodEnd, Tier.Startup, 50n * USDC), revenue(t, RevenueSource.BaseFee, 45n * USDC, 5n * USDC)]);
    const after = await bed.team(t.owner.publicKey);
    assert.deepEqual(after, {
      ...before,
      periodStart: before.periodEnd,
      periodEnd: before.periodEnd + period,
      periodRequests: 0n,
      periodOverageSpend: 0n,
      baseFeePaid: true,
      totalSpent: before.totalSpent + 50n * USDC,
    });
    assert.equal(after.lastBatchSeq, 1n, "the batch sequence continues across periods");
  });

  it("skips periods nobody cranked: the new period is the latest boundary, one fee charged", async () => {
    const t = await openTeam(bed, { deposit: 200n * USDC });
    await roll(t).rpc();
    const { periodEnd } = await bed.team(t.owner.publicKey);
    warpTo(bed.svm, periodEnd + 3n * period + period / 2n);
    await roll(t).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [rolled(t, periodEnd + 3n * period, Tier.Startup, 50n * USDC), revenue(t, RevenueSource.BaseFee, 45n * USDC, 5n * USDC)]);
    assert.equal(await bed.balance(t.vault), 100n * USDC);
  });

  it("charges both the unpaid current fee and the next period's when a team is first cranked after its period ended", async () => {
    const t = await openTeam(bed, { deposit: 200n * USDC });
    const { periodStart, periodEnd } = await bed.team(t.owner.publicKey);
    warpTo(bed.svm, periodEnd);
    await roll(t).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
      rolled(t, periodStart, Tier.Startup, 50n * USDC),
      revenue(t, RevenueSource.BaseFee, 45n * USDC, 5n * USDC),
      rolled(t, periodEnd, Tier.Startup, 50n * USDC),
      revenue(t, RevenueSource.BaseFee, 45n * USDC, 5n * USDC),
    ]);
    assert.equal(await bed.balance(t.vault), 100n * USDC);
  });

  it("records an unpaid base fee as debt and suspends the team; a partly funded vault pays what it holds", async () => {
    const empty = await openTeam(bed);
    await roll(empty).rpc();
    const start = (await bed.team(empty.owner.publicKey)).periodStart;
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
      rolled(empty, start, Tier.Startup, 0n),
      lowBalance(empty, 0n),
    ]);
    let team = await bed.team(empty.owner.publicKey);
    assert.equal(team.unpaidBaseFee, 50n * USDC);
    assert.equal(team.status, TeamStatus.Suspended);
    assert.equal(team.baseFeePaid, true);

    const partial = await openTeam(bed, { deposit: 30n * USDC });
    await roll(partial).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId).slice(0, 2), [
      rolled(partial, (await bed.team(partial.owner.publicKey)).periodStart, Tier.Startup, 30n * USDC),
      revenue(partial, RevenueSource.BaseFee, 27n * USDC, 3n * USDC),
    ]);
    team = await bed.team(partial.owner.publicKey);
    assert.equal(team.unpaidBaseFee, 20n * USDC);
    assert.equal(team.status, TeamStatus.Suspended);
  });

  it("collects debt first, each part split by what it was: base fee 90/10, overage 100% stakers", async () => {
    const t = await openTeam(bed, { deposit: 51n * USDC });
    await roll(t).rpc(); // vault 1 USDC
    await bed.client.deductUsage({ billingAuthority: bed.billingAuthority, teamOwner: t.owner.publicKey, batchSeq: 1n, requestCount: 10_300n, usageRoot: new Uint8Array(32) });
    let team = await bed.team(t.owner.publicKey);
    assert.equal(team.unpaidOverage, 2n * USDC);
    // Next period without funds: its fee becomes debt too.
    warpTo(bed.svm, team.periodEnd);
    await roll(t).rpc();
    team = await bed.team(t.owner.publicKey);
    assert.equal(team.unpaidBaseFee, 50n * USDC);
    assert.equal(team.unpaidOverage, 2n * USDC);
    await bed.client.depositFunds({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: 40n * USDC });
    await roll(t).rpc();
    // 40 USDC pays 40 of the 50 base-fee debt (36/4); the overage debt waits.
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [revenue(t, RevenueSource.Debt, 36n * USDC, 4n * USDC), lowBalance(t, 0n)]);
    team = await bed.team(t.owner.publicKey);
    assert.equal(team.unpaidBaseFee, 10n * USDC);
    assert.equal(team.unpaidOverage, 2n * USDC);
    assert.equal(team.status, TeamStatus.Suspended);
    await bed.client.depositFunds({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: 20n * USDC });
    await roll(t).rpc();
    // 10 base-fee debt (9/1) + 2 overage debt (0/2) in one distribution.
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [revenue(t, RevenueSource.Debt, 9n * USDC, 3n * USDC), lowBalance(t, 8n * USDC)]);
    team = await bed.team(t.owner.publicKey);
    assert.equal(team.unpaidBaseFee + team.unpaidOverage, 0n);
    assert.equal(team.status, TeamStatus.Active);
    assert.equal(await bed.balance(t.vault), 8n * USDC);
  });

  it("refuses to crank a team that owes debt but has an empty vault and nothing else due (PeriodNotEnded)", async () => {
    const t = await openTeam(bed);
    await roll(t).rpc();
    await expectError(roll(t).rpc(), "PeriodNotEnded", bed.outsider);
  });

  it("applies a pending downgrade at the next period and charges the new tier's fee", async () => {
    const t = await openTeam(bed, { tier: Tier.Growth, deposit: 400n * USDC });
    await roll(t).rpc();
    await bed.client.updateTier({ authority: t.owner, teamOwner: t.owner.publicKey, newTier: Tier.Startup });
    const { periodEnd } = await bed.team(t.owner.publicKey);
    warpTo(bed.svm, periodEnd);
    await roll(t).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId).slice(0, 2), [rolled(t, periodEnd, Tier.Startup, 50n * USDC), revenue(t, RevenueSource.BaseFee, 45n * USDC, 5n * USDC)]);
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.tier, Tier.Startup);
    assert.equal(team.pendingTier, NO_PENDING_TIER);
    assert.equal(await bed.balance(t.vault), 100n * USDC);
  });

  const readonly: [string, number][] = [["team", 1], ["vault", 2], ["treasury", 3], ["staker_pool", 4]];
  for (const [name, index] of readonly) {
    it(`refuses the ${name} passed read-only (ConstraintMut)`, async () => {
      const t = await openTeam(bed, { deposit: 100n * USDC });
      const ix = readonlyAt(await roll(t).instruction(), index);
      await expectError(sendAsOutsider(bed, [ix]), "ConstraintMut", bed.outsider);
    });
  }

  const thief = Keypair.generate();
  const forged: { name: string; expected: Expected; accounts: (t: TeamFixture) => Promise<Partial<ReturnType<typeof settlementAccounts>>> }[] = [
    { name: "a treasury that is not the config's", expected: "InvalidTreasury", accounts: async () => ({ treasury: await tokenAccount(bed, bed.usdcMint, thief.publicKey) }) },
    { name: "a staker pool that is not the config's", expected: "InvalidTreasury", accounts: async () => ({ stakerPool: await tokenAccount(bed, bed.usdcMint, thief.publicKey) }) },
    { name: "treasury and staker pool swapped", expected: "InvalidTreasury", accounts: async () => ({ treasury: bed.stakerPool, stakerPool: bed.treasury }) },
    { name: "another team's vault", expected: "InvalidVault", accounts: async () => ({ vault: (await openTeam(bed, { deposit: 100n * USDC })).vault }) },
    { name: "another owner's team with this team's vault", expected: "InvalidVault", accounts: async () => ({ team: (await openTeam(bed, { deposit: 100n * USDC })).team }) },
    { name: "a token account of the mint owned by someone else as the vault", expected: "InvalidVault", accounts: async () => ({ vault: await tokenAccount(bed, bed.usdcMint, thief.publicKey, 100n * USDC) }) },
    { name: "a copy of the team owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async (t) => ({ team: cloneAccount(bed.svm, t.team, FOREIGN_PROGRAM) }) },
    { name: "the config as the team", expected: "AccountDiscriminatorMismatch", accounts: async () => ({ team: bed.configAddress }) },
    { name: "a copy of the config owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async () => ({ config: cloneAccount(bed.svm, bed.configAddress, FOREIGN_PROGRAM) }) },
    { name: "the team as the config", expected: "AccountDiscriminatorMismatch", accounts: async (t) => ({ config: t.team }) },
    { name: "Token-2022 as the token program", expected: "InvalidProgramId", accounts: async () => ({ tokenProgram: TOKEN_2022_PROGRAM_ID }) },
  ];
  for (const f of forged) {
    it(`refuses ${f.name} (${String(f.expected)}) and moves nothing`, async () => {
      const t = await openTeam(bed, { deposit: 100n * USDC });
      await expectError(roll(t, await f.accounts(t)).rpc(), f.expected, bed.outsider);
      assert.equal(await bed.balance(t.vault), 100n * USDC);
      assert.equal((await bed.team(t.owner.publicKey)).baseFeePaid, false);
    });
  }

  it("keeps time moving forward only: a roll long after many periods bills one", async () => {
    const t = await openTeam(bed, { deposit: 500n * USDC });
    await roll(t).rpc();
    advanceClock(bed.svm, 100n * period);
    await roll(t).rpc();
    assert.equal(await bed.balance(t.vault), 400n * USDC);
    await expectError(roll(t).rpc(), "PeriodNotEnded", bed.outsider);
  });
});
