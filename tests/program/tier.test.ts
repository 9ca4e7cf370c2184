// update_tier: the owner (or the config admin) changes a team's tier. An upgrade applies at once and
// charges the prorated base-fee difference for the rest of the period; a downgrade waits for the next
// period; asking for the current tier cancels a pending change.
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
  tierAccounts,
  tokenAccount,
  withoutSigner,
  type TestBed,
} from "./support/bed";
import { expectError, type Expected } from "./support/expect";

describe("update_tier", () => {
  let bed: TestBed;
  let period: bigint;
  before(async () => {
    bed = await createBed();
    period = bed.config.periodSecs;
  });
  afterEach(async () => {
    await assertConserved(bed);
  });

  const change = (t: TeamFixture, tier: number, accounts: Partial<ReturnType<typeof tierAccounts>> = {}, signer: Keypair = t.owner) =>
    bed.program.methods.updateTier(tier).accountsStrict({ ...tierAccounts(bed, t), ...accounts }).signers([signer]);

  /** A team on `tier` whose first base fee is paid, with `left` in the vault afterwards. */
  async function paidTeam(tier: number, left: bigint): Promise<TeamFixture> {
    const fee = bed.config.tiers[tier].monthlyFee;
    const t = await openTeam(bed, { tier, deposit: fee + left, walletUsdc: fee + left + 1_000n * USDC });
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    return t;
  }

  const tierUpdated = (t: TeamFixture, oldTier: number, newTier: number, effectiveAt: bigint, proratedFee: bigint) => ({
    name: "TierUpdated",
    data: { team: t.team.toBase58(), oldTier, newTier, effectiveAt, proratedFee },
  });

  it("upgrades at once, charging the prorated difference for the rest of the period, split 90/10", async () => {
    const t = await paidTeam(Tier.Startup, 500n * USDC);
    advanceClock(bed.svm, period / 2n);
    const treasury = await bed.balance(bed.treasury);
    const stakers = await bed.balance(bed.stakerPool);
    await change(t, Tier.Growth).rpc();
    // (250 − 50) USDC × half a period = 100 USDC.
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
      tierUpdated(t, Tier.Startup, Tier.Growth, now(bed.svm), 100n * USDC),
      { name: "RevenueDistributed", data: { team: t.team.toBase58(), source: RevenueSource.Proration, treasuryAmount: 90n * USDC, stakerAmount: 10n * USDC } },
    ]);
    assert.equal(await bed.balance(bed.treasury), treasury + 90n * USDC);
    assert.equal(await bed.balance(bed.stakerPool), stakers + 10n * USDC);
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.tier, Tier.Growth);
    assert.equal(team.pendingTier, NO_PENDING_TIER);
    assert.equal(team.totalSpent, 150n * USDC);
    // The next period is billed at the new tier.
    warpTo(bed.svm, team.periodEnd);
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    assert.equal(await bed.balance(t.vault), 500n * USDC - 100n * USDC - 250n * USDC);
  });

  it("rounds the proration down to the base unit", async () => {
    const t = await paidTeam(Tier.Startup, 1_500n * USDC);
    advanceClock(bed.svm, 1_000_001n);
    const { periodEnd } = await bed.team(t.owner.publicKey);
    await change(t, Tier.Enterprise).rpc();
    const remaining = periodEnd - now(bed.svm);
    const expected = (950n * USDC * remaining) / period;
    assert.equal(expected, 583_487_287n);
    const [event] = lastEvents(bed.outsider, bed.programId);
    assert.deepEqual(event, tierUpdated(t, Tier.Startup, Tier.Enterprise, now(bed.svm), expected));
  });

  it("charges nothing for an upgrade before the period's base fee is paid; the roll then charges the new tier in full", async () => {
    const t = await openTeam(bed, { deposit: 300n * USDC });
    await change(t, Tier.Growth).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [tierUpdated(t, Tier.Startup, Tier.Growth, now(bed.svm), 0n)]);
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    assert.equal(await bed.balance(t.vault), 50n * USDC);
  });

  it("charges nothing for an upgrade at the very end of the period", async () => {
    const t = await paidTeam(Tier.Startup, 10n * USDC);
    const { periodEnd } = await bed.team(t.owner.publicKey);
    warpTo(bed.svm, periodEnd);
    await change(t, Tier.Growth).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [tierUpdated(t, Tier.Startup, Tier.Growth, periodEnd, 0n)]);
  });

  it("refuses an upgrade the vault cannot pay (InsufficientFunds) and keeps the tier", async () => {
    const t = await paidTeam(Tier.Startup, 99n * USDC);
    advanceClock(bed.svm, period / 2n);
    await expectError(change(t, Tier.Growth).rpc(), "InsufficientFunds", bed.outsider);
    assert.equal((await bed.team(t.owner.publicKey)).tier, Tier.Startup);
  });

  it("schedules a downgrade for the next period, charging nothing now", async () => {
    const t = await paidTeam(Tier.Enterprise, 100n * USDC);
    const { periodEnd } = await bed.team(t.owner.publicKey);
    await change(t, Tier.Growth).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [tierUpdated(t, Tier.Enterprise, Tier.Growth, periodEnd, 0n)]);
    let team = await bed.team(t.owner.publicKey);
    assert.equal(team.tier, Tier.Enterprise);
    assert.equal(team.pendingTier, Tier.Growth);
    // A further downgrade replaces the pending one.
    await change(t, Tier.Startup).rpc();
    team = await bed.team(t.owner.publicKey);
    assert.equal(team.pendingTier, Tier.Startup);
    assert.equal(await bed.balance(t.vault), 100n * USDC);
    warpTo(bed.svm, periodEnd);
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    team = await bed.team(t.owner.publicKey);
    assert.equal(team.tier, Tier.Startup);
    assert.equal(team.pendingTier, NO_PENDING_TIER);
    assert.equal(await bed.balance(t.vault), 50n * USDC);
  });

  it("cancels a pending downgrade when asked for the current tier, or by an upgrade", async () => {
    const t = await paidTeam(Tier.Growth, 1_000n * USDC);
    await change(t, Tier.Startup).rpc();
    await change(t, Tier.Growth).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [tierUpdated(t, Tier.Growth, Tier.Growth, now(bed.svm), 0n)]);
    assert.equal((await bed.team(t.owner.publicKey)).pendingTier, NO_PENDING_TIER);
    await change(t, Tier.Startup).rpc();
    await change(t, Tier.Enterprise).rpc();
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.tier, Tier.Enterprise);
    assert.equal(team.pendingTier, NO_PENDING_TIER);
  });

  it("lets the config admin change a team's tier", async () => {
    const t = await paidTeam(Tier.Startup, 300n * USDC);
    await change(t, Tier.Growth, { authority: bed.admin.publicKey }, bed.admin).rpc();
    assert.equal((await bed.team(t.owner.publicKey)).tier, Tier.Growth);
  });

  it("refuses a signer that is neither the owner nor the admin: a stranger, the billing authority, another owner (Unauthorized)", async () => {
    const t = await paidTeam(Tier.Startup, 300n * USDC);
    const other = await openTeam(bed);
    for (const signer of [Keypair.generate(), bed.billingAuthority, other.owner]) {
      await expectError(change(t, Tier.Growth, { authority: signer.publicKey }, signer).rpc(), "Unauthorized", bed.outsider);
    }
    assert.equal((await bed.team(t.owner.publicKey)).tier, Tier.Startup);
  });

  it("refuses the owner's key without its signature", async () => {
    const t = await paidTeam(Tier.Startup, 300n * USDC);
    const ix = withoutSigner(await change(t, Tier.Growth).instruction(), t.owner.publicKey);
    await expectError(sendAsOutsider(bed, [ix]), "AccountNotSigner", bed.outsider);
  });

  it("refuses tiers beyond Enterprise, up to u8::MAX (InvalidTier)", async () => {
    const t = await paidTeam(Tier.Startup, 300n * USDC);
    for (const tier of [3, 128, 255]) await expectError(change(t, tier).rpc(), "InvalidTier", bed.outsider);
  });

  it("refuses any change while the team is suspended (OutstandingDebt)", async () => {
    const t = await openTeam(bed);
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    assert.equal((await bed.team(t.owner.publicKey)).status, TeamStatus.Suspended);
    await expectError(change(t, Tier.Growth).rpc(), "OutstandingDebt", bed.outsider);
    await expectError(change(t, Tier.Startup).rpc(), "OutstandingDebt", bed.outsider);
  });

  const readonly: [string, number][] = [["team", 2], ["vault", 3], ["treasury", 4], ["staker_pool", 5]];
  for (const [name, index] of readonly) {
    it(`refuses the ${name} passed read-only (ConstraintMut)`, async () => {
      const t = await paidTeam(Tier.Startup, 300n * USDC);
      const ix = readonlyAt(await change(t, Tier.Growth).instruction(), index);
      await expectError(sendAsOutsider(bed, [ix], [t.owner]), "ConstraintMut", bed.outsider);
    });
  }

  const thief = Keypair.generate();
  const forged: { name: string; expected: Expected; accounts: (t: TeamFixture) => Promise<Partial<ReturnType<typeof tierAccounts>>> }[] = [
    { name: "another team's vault", expected: "InvalidVault", accounts: async () => ({ vault: (await openTeam(bed, { deposit: 500n * USDC })).vault }) },
    { name: "another owner's team with this team's vault", expected: "Unauthorized", accounts: async () => ({ team: (await openTeam(bed)).team }) },
    { name: "a token account of the mint owned by someone else as the vault", expected: "InvalidVault", accounts: async () => ({ vault: await tokenAccount(bed, bed.usdcMint, thief.publicKey, 500n * USDC) }) },
    { name: "a treasury that is not the config's", expected: "InvalidTreasury", accounts: async () => ({ treasury: await tokenAccount(bed, bed.usdcMint, thief.publicKey) }) },
    { name: "a staker pool that is not the config's", expected: "InvalidTreasury", accounts: async () => ({ stakerPool: await tokenAccount(bed, bed.usdcMint, thief.publicKey) }) },
    { name: "a copy of the team owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async (t) => ({ team: cloneAccount(bed.svm, t.team, FOREIGN_PROGRAM) }) },
    { name: "a copy of the config owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async () => ({ config: cloneAccount(bed.svm, bed.configAddress, FOREIGN_PROGRAM) }) },
    { name: "the team as the config", expected: "AccountDiscriminatorMismatch", accounts: async (t) => ({ config: t.team }) },
    { name: "Token-2022 as the token program", expected: "InvalidProgramId", accounts: async () => ({ tokenProgram: TOKEN_2022_PROGRAM_ID }) },
  ];
  for (const f of forged) {
    it(`refuses ${f.name} (${String(f.expected)}) and charges nothing`, async () => {
      const t = await paidTeam(Tier.Startup, 300n * USDC);
      advanceClock(bed.svm, 1_000n);
      await expectError(change(t, Tier.Growth, await f.accounts(t)).rpc(), f.expected, bed.outsider);
      assert.equal(await bed.balance(t.vault), 300n * USDC);
      assert.equal((await bed.team(t.owner.publicKey)).tier, Tier.Startup);
    });
  }
});
