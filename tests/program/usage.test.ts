// deduct_usage: the billing authority settles a team's usage batch, priced on-chain from the tier
// terms, charged at most once, capped by the owner's spend cap, and recorded as debt when the vault
// cannot pay. Overage goes 100% to the stakers by default.
import assert from "node:assert/strict";
import { TOKEN_2022_PROGRAM_ID } from "@solana/spl-token";
import { Keypair } from "@solana/web3.js";
import { RevenueSource, TeamStatus, U64_MAX, USDC, toHex, type TeamBillingAccount, type UsageDeducted } from "../../sdk/src";
import type { TeamFixture } from "../support";
import {
  FOREIGN_PROGRAM,
  assertConserved,
  bn,
  cloneAccount,
  createBed,
  deductAccounts,
  lastEvents,
  openTeam,
  readonlyAt,
  sendAsOutsider,
  tokenAccount,
  withoutSigner,
  type TestBed,
} from "./support/bed";
import { expectError, type Expected } from "./support/expect";

function root(fill: number): number[] {
  return Array.from({ length: 32 }, (_, i) => (fill + i) & 0xff);
}

describe("deduct_usage", () => {
  let bed: TestBed;
  before(async () => {
    bed = await createBed();
  });
  afterEach(async () => {
    await assertConserved(bed);
  });

  const deduct = (t: TeamFixture, seq: bigint, count: bigint, accounts: Partial<ReturnType<typeof deductAccounts>> = {}, signer: Keypair = bed.billingAuthority, usageRoot = root(0)) =>
    bed.program.methods.deductUsage(bn(seq), bn(count), usageRoot).accountsStrict({ ...deductAccounts(bed, t), ...accounts }).signers([signer]);

  /** A Startup team with its first base fee paid (vault = deposit − 50 USDC). */
  async function paidTeam(deposit: bigint): Promise<TeamFixture> {
    const t = await openTeam(bed, { deposit });
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    return t;
  }

  const usageEvent = (t: TeamFixture, e: Omit<UsageDeducted, "team">) => ({ name: "UsageDeducted", data: { team: t.team.toBase58(), ...e } });

  it("charges nothing within the included requests, counts them, and emits UsageDeducted with the root", async () => {
    const t = await paidTeam(100n * USDC);
    await deduct(t, 1n, 10_000n, {}, bed.billingAuthority, root(7)).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
      usageEvent(t, { batchSeq: 1n, requestCount: 10_000n, amountCharged: 0n, amountPaid: 0n, amountWaived: 0n, periodRequests: 10_000n, balanceAfter: 50n * USDC, usageRoot: toHex(Uint8Array.from(root(7))) }),
    ]);
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.periodRequests, 10_000n);
    assert.equal(team.lastBatchSeq, 1n);
    assert.equal(team.periodOverageSpend, 0n);
    assert.equal(await bed.balance(t.vault), 50n * USDC);
  });

  it("charges requests beyond the quota at the tier's price, 100% to the stakers (worked example: 1,000 × 0.01 USDC)", async () => {
    const t = await paidTeam(100n * USDC);
    await deduct(t, 1n, 10_000n).rpc();
    const stakers = await bed.balance(bed.stakerPool);
    const treasury = await bed.balance(bed.treasury);
    await deduct(t, 2n, 1_000n).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
      usageEvent(t, { batchSeq: 2n, requestCount: 1_000n, amountCharged: 10n * USDC, amountPaid: 10n * USDC, amountWaived: 0n, periodRequests: 11_000n, balanceAfter: 40n * USDC, usageRoot: toHex(Uint8Array.from(root(0))) }),
      { name: "RevenueDistributed", data: { team: t.team.toBase58(), source: RevenueSource.Overage, treasuryAmount: 0n, stakerAmount: 10n * USDC } },
    ]);
    assert.equal(await bed.balance(bed.stakerPool), stakers + 10n * USDC);
    assert.equal(await bed.balance(bed.treasury), treasury);
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.periodOverageSpend, 10n * USDC);
    assert.equal(team.totalSpent, 60n * USDC);
  });

  it("prices only the part of a batch that crosses the quota", async () => {
    const t = await paidTeam(100n * USDC);
    await deduct(t, 1n, 9_500n).rpc();
    await deduct(t, 2n, 1_000n).rpc();
    const [event] = lastEvents(bed.outsider, bed.programId);
    assert.equal(event.name, "UsageDeducted");
    assert.equal(event.data.amountCharged, 500n * 10_000n);
  });

  it("reports a replayed batch as BatchAlreadySettled and charges nothing", async () => {
    const t = await paidTeam(100n * USDC);
    await deduct(t, 1n, 10_500n).rpc();
    const team = await bed.team(t.owner.publicKey);
    const vault = await bed.balance(t.vault);
    for (const seq of [1n, 0n]) {
      await expectError(deduct(t, seq, 10_500n).rpc(), "BatchAlreadySettled", bed.outsider);
    }
    await deduct(t, 2n, 1n).rpc();
    await expectError(deduct(t, 1n, 5n).rpc(), "BatchAlreadySettled", bed.outsider);
    await expectError(deduct(t, 2n, 1n).rpc(), "BatchAlreadySettled", bed.outsider);
    const after = await bed.team(t.owner.publicKey);
    assert.equal(after.lastBatchSeq, 2n);
    assert.equal(after.periodRequests, team.periodRequests + 1n);
    assert.equal(await bed.balance(t.vault), vault - 10_000n);
  });

  it("refuses a batch that skips a sequence number (BatchSequenceGap), up to u64::MAX", async () => {
    const t = await paidTeam(100n * USDC);
    await expectError(deduct(t, 2n, 1n).rpc(), "BatchSequenceGap", bed.outsider);
    await expectError(deduct(t, U64_MAX, 1n).rpc(), "BatchSequenceGap", bed.outsider);
    await deduct(t, 1n, 1n).rpc();
    await expectError(deduct(t, 3n, 1n).rpc(), "BatchSequenceGap", bed.outsider);
    assert.equal((await bed.team(t.owner.publicKey)).lastBatchSeq, 1n);
  });

  it("refuses an empty batch (InvalidAmount) without consuming its sequence number", async () => {
    const t = await paidTeam(100n * USDC);
    await expectError(deduct(t, 1n, 0n).rpc(), "InvalidAmount", bed.outsider);
    assert.equal((await bed.team(t.owner.publicKey)).lastBatchSeq, 0n);
    await deduct(t, 1n, 1n).rpc();
  });

  it("refuses u64::MAX requests: the price overflows, and so does the period count once it is not zero (MathOverflow)", async () => {
    const t = await paidTeam(100n * USDC);
    await expectError(deduct(t, 1n, U64_MAX).rpc(), "MathOverflow", bed.outsider);
    await deduct(t, 1n, 1n).rpc();
    await expectError(deduct(t, 2n, U64_MAX).rpc(), "MathOverflow", bed.outsider);
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.periodRequests, 1n);
    assert.equal(team.lastBatchSeq, 1n);
  });

  it("clamps the charge to the spend cap and reports the rest as waived, never charged later", async () => {
    const t = await paidTeam(100n * USDC);
    await bed.client.setTeamLimits({ owner: t.owner, lowBalanceThreshold: 0n, spendCap: 3n * USDC });
    await deduct(t, 1n, 10_500n).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
      usageEvent(t, { batchSeq: 1n, requestCount: 10_500n, amountCharged: 3n * USDC, amountPaid: 3n * USDC, amountWaived: 2n * USDC, periodRequests: 10_500n, balanceAfter: 47n * USDC, usageRoot: toHex(Uint8Array.from(root(0))) }),
      { name: "RevenueDistributed", data: { team: t.team.toBase58(), source: RevenueSource.Overage, treasuryAmount: 0n, stakerAmount: 3n * USDC } },
    ]);
    await deduct(t, 2n, 100n).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
      usageEvent(t, { batchSeq: 2n, requestCount: 100n, amountCharged: 0n, amountPaid: 0n, amountWaived: USDC, periodRequests: 10_600n, balanceAfter: 47n * USDC, usageRoot: toHex(Uint8Array.from(root(0))) }),
    ]);
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.periodOverageSpend, 3n * USDC);
    assert.equal(team.unpaidOverage, 0n);
    // Raising the cap does not bring the waived part back: only new usage is charged.
    await bed.client.setTeamLimits({ owner: t.owner, lowBalanceThreshold: 0n, spendCap: 10n * USDC });
    await deduct(t, 3n, 100n).rpc();
    const [event] = lastEvents(bed.outsider, bed.programId);
    assert.equal(event.name === "UsageDeducted" && event.data.amountCharged, USDC);
  });

  it("records what the vault cannot pay as unpaid overage and suspends the team", async () => {
    const t = await paidTeam(54n * USDC);
    await deduct(t, 1n, 11_000n).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
      usageEvent(t, { batchSeq: 1n, requestCount: 11_000n, amountCharged: 10n * USDC, amountPaid: 4n * USDC, amountWaived: 0n, periodRequests: 11_000n, balanceAfter: 0n, usageRoot: toHex(Uint8Array.from(root(0))) }),
      { name: "RevenueDistributed", data: { team: t.team.toBase58(), source: RevenueSource.Overage, treasuryAmount: 0n, stakerAmount: 4n * USDC } },
    ]);
    // (The low-balance alert fired when the roll took the vault to 4 USDC, below 10: not again here.)
    const team: TeamBillingAccount = await bed.team(t.owner.publicKey);
    assert.equal(team.unpaidOverage, 6n * USDC);
    assert.equal(team.status, TeamStatus.Suspended);
    assert.equal(team.totalSpent, 54n * USDC);
    // A suspended team's further usage is still recorded, all of it as debt.
    await deduct(t, 2n, 100n).rpc();
    assert.equal((await bed.team(t.owner.publicKey)).unpaidOverage, 7n * USDC);
  });

  it("refuses a signer that is not the billing authority: a stranger, the team owner, the admin (Unauthorized)", async () => {
    const t = await paidTeam(100n * USDC);
    const stranger = Keypair.generate();
    for (const signer of [stranger, t.owner, bed.admin]) {
      await expectError(deduct(t, 1n, 20_000n, { billingAuthority: signer.publicKey }, signer).rpc(), "Unauthorized", bed.outsider);
    }
    assert.equal(await bed.balance(t.vault), 50n * USDC);
  });

  it("refuses the billing authority's key without its signature", async () => {
    const t = await paidTeam(100n * USDC);
    const ix = withoutSigner(await deduct(t, 1n, 20_000n).instruction(), bed.billingAuthority.publicKey);
    await expectError(sendAsOutsider(bed, [ix]), "AccountNotSigner", bed.outsider);
  });

  const readonly: [string, number][] = [["team", 2], ["vault", 3], ["treasury", 4], ["staker_pool", 5]];
  for (const [name, index] of readonly) {
    it(`refuses the ${name} passed read-only (ConstraintMut)`, async () => {
      const t = await paidTeam(100n * USDC);
      const ix = readonlyAt(await deduct(t, 1n, 20_000n).instruction(), index);
      await expectError(sendAsOutsider(bed, [ix], [bed.billingAuthority]), "ConstraintMut", bed.outsider);
    });
  }

  const thief = Keypair.generate();
  const forged: { name: string; expected: Expected; accounts: (t: TeamFixture) => Promise<Partial<ReturnType<typeof deductAccounts>>> }[] = [
    { name: "another team's vault", expected: "InvalidVault", accounts: async () => ({ vault: (await openTeam(bed, { deposit: 100n * USDC })).vault }) },
    { name: "another owner's team with this team's vault", expected: "InvalidVault", accounts: async () => ({ team: (await openTeam(bed)).team }) },
    { name: "a token account of the mint owned by someone else as the vault", expected: "InvalidVault", accounts: async () => ({ vault: await tokenAccount(bed, bed.usdcMint, thief.publicKey, USDC) }) },
    { name: "a treasury that is not the config's", expected: "InvalidTreasury", accounts: async () => ({ treasury: await tokenAccount(bed, bed.usdcMint, thief.publicKey) }) },
    { name: "a staker pool that is not the config's", expected: "InvalidTreasury", accounts: async () => ({ stakerPool: await tokenAccount(bed, bed.usdcMint, thief.publicKey) }) },
    { name: "treasury and staker pool swapped", expected: "InvalidTreasury", accounts: async () => ({ treasury: bed.stakerPool, stakerPool: bed.treasury }) },
    { name: "the vault as the treasury", expected: "InvalidTreasury", accounts: async (t) => ({ treasury: t.vault }) },
    { name: "a copy of the team owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async (t) => ({ team: cloneAccount(bed.svm, t.team, FOREIGN_PROGRAM) }) },
    { name: "the config as the team", expected: "AccountDiscriminatorMismatch", accounts: async () => ({ team: bed.configAddress }) },
    { name: "a copy of the config owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async () => ({ config: cloneAccount(bed.svm, bed.configAddress, FOREIGN_PROGRAM) }) },
    { name: "an empty address as the config", expected: "AccountNotInitialized", accounts: async () => ({ config: Keypair.generate().publicKey }) },
    { name: "Token-2022 as the token program", expected: "InvalidProgramId", accounts: async () => ({ tokenProgram: TOKEN_2022_PROGRAM_ID }) },
  ];
  for (const f of forged) {
    it(`refuses ${f.name} (${String(f.expected)}) and charges nothing`, async () => {
      const t = await paidTeam(100n * USDC);
      const accounts = await f.accounts(t);
      await expectError(deduct(t, 1n, 20_000n, accounts).rpc(), f.expected, bed.outsider);
      assert.equal(await bed.balance(t.vault), 50n * USDC);
      assert.equal((await bed.team(t.owner.publicKey)).lastBatchSeq, 0n);
    });
  }
});

describe("deduct_usage with a treasury share of overage", () => {
  it("splits paid overage by overage_treasury_bps, the remainder to the stakers", async () => {
    const bed = await createBed({ config: { overageTreasuryBps: 2_501 } });
    const t = await openTeam(bed, { deposit: 100n * USDC });
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    const treasury = await bed.balance(bed.treasury);
    const stakers = await bed.balance(bed.stakerPool);
    // 10,003 requests: 3 beyond the quota at 10,000 = 30,000; 25.01% = 7,503 to the treasury.
    await bed.client.deductUsage({ billingAuthority: bed.billingAuthority, teamOwner: t.owner.publicKey, batchSeq: 1n, requestCount: 10_003n, usageRoot: new Uint8Array(32) });
    const events = lastEvents(bed.provider, bed.programId);
    assert.deepEqual(events[1], { name: "RevenueDistributed", data: { team: t.team.toBase58(), source: RevenueSource.Overage, treasuryAmount: 7_503n, stakerAmount: 22_497n } });
    assert.equal(await bed.balance(bed.treasury), treasury + 7_503n);
    assert.equal(await bed.balance(bed.stakerPool), stakers + 22_497n);
    await assertConserved(bed);
  });
});
