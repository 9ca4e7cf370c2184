// The program's own checks in the real SVM (litesvm), through the SDK client: one success per
// instruction, the account validation of each (forged, unsigned, read-only, missing accounts) with the
// exact error code, the money rules at their edges, and the compute budget of the hot instructions.
// The exhaustive suite lives in tests/; this file pins what the program promises about itself.
import assert from "node:assert/strict";
import { Keypair, PublicKey, SystemProgram, TransactionInstruction } from "@solana/web3.js";
import { TOKEN_PROGRAM_ID } from "@solana/spl-token";
import type { Address } from "@solana/kit";
import { USDC, eventsNamed, parseEvents, type BillingEvent } from "../../../sdk/src";
import { advanceClock, createMint, createTokenAccount, initializeDeployment, mintTo, type Deployment, type TeamFixture } from "../../../tests/support";

/** Anchor framework codes the program uses. */
const Anchor = {
  InstructionMissing: 100,
  InstructionFallbackNotFound: 101,
  InstructionDidNotDeserialize: 102,
  ConstraintMut: 2000,
  ConstraintSeeds: 2006,
  ConstraintTokenOwner: 2015,
  AccountDiscriminatorMismatch: 3002,
  AccountNotEnoughKeys: 3005,
  AccountOwnedByWrongProgram: 3007,
  InvalidProgramId: 3008,
  AccountNotSigner: 3010,
  AccountNotInitialized: 3012,
} as const;

/** The program's own codes (IDL errors). */
const Billing = {
  Unauthorized: 6000,
  Paused: 6001,
  InvalidMint: 6002,
  InvalidVault: 6003,
  InvalidTier: 6004,
  InvalidAmount: 6005,
  MathOverflow: 6006,
  BatchAlreadySettled: 6007,
  BatchSequenceGap: 6008,
  InsufficientFunds: 6009,
  WithdrawalNotReady: 6010,
  NoPendingWithdrawal: 6011,
  PeriodNotEnded: 6012,
  TeamNotEmpty: 6013,
  OutstandingDebt: 6014,
  InvalidConfig: 6015,
  InvalidTreasury: 6016,
} as const;

const ROOT = new Uint8Array(32).fill(7);
const U64_MAX = (1n << 64n) - 1n;

describe("prepaid_billing program", function () {
  let d: Deployment;
  let t: TeamFixture;

  /** Sends `ix` signed by `signers` and expects the program to fail with `code` (logged the Anchor way). */
  async function fails(ix: TransactionInstruction | Promise<TransactionInstruction>, signers: Keypair[], code: number): Promise<void> {
    await assert.rejects(d.client.send([await ix], signers));
    const last = d.provider.lastTransaction;
    assert.equal(last?.customErrorCode, code, (last?.logs ?? []).join("\n"));
    assert.ok(last?.logs.some((l) => l.includes(`Error Number: ${code}.`)), "the error is logged in Anchor's form");
  }

  async function send(ix: TransactionInstruction | Promise<TransactionInstruction>, signers: Keypair[]): Promise<BillingEvent[]> {
    await d.client.send([await ix], signers);
    return parseEvents(d.provider.lastTransaction?.logs ?? [], d.programId);
  }

  const cu = () => d.provider.lastTransaction?.computeUnits ?? 0;
  const deduct = (batchSeq: bigint, requestCount: bigint, team: TeamFixture = t) =>
    d.client.deductUsageIx({ billingAuthority: d.billingAuthority, teamOwner: team.owner.publicKey, batchSeq, requestCount, usageRoot: ROOT, settlement: d.settlement });
  const roll = (team: TeamFixture = t) => d.client.rollPeriodIx({ teamOwner: team.owner.publicKey, settlement: d.settlement });

  beforeEach(async () => {
    d = await initializeDeployment();
    t = await d.createTeam({ tier: 0, deposit: 100n * USDC });
  });

  describe("dispatch", () => {
    it("refuses data without a discriminator, unknown instructions and truncated arguments", async () => {
      const raw = (data: number[]) => new TransactionInstruction({ programId: d.programId, keys: [], data: Buffer.from(data) });
      await fails(raw([1, 2, 3]), [], Anchor.InstructionMissing);
      await fails(raw([1, 2, 3, 4, 5, 6, 7, 8]), [], Anchor.InstructionFallbackNotFound);
      const ix = await deduct(1n, 1n);
      await fails(new TransactionInstruction({ ...ix, data: ix.data.subarray(0, 20) }), [d.billingAuthority], Anchor.InstructionDidNotDeserialize);
      await fails(new TransactionInstruction({ ...ix, keys: ix.keys.slice(0, 6) }), [d.billingAuthority], Anchor.AccountNotEnoughKeys);
    });
  });

  describe("initialize_config", () => {
    it("creates the config once, with the signer as admin", async () => {
      const config = await d.client.fetchConfig();
      assert.ok(config.admin.equals(d.admin.publicKey));
      assert.ok(config.billingAuthority.equals(d.billingAuthority.publicKey));
      assert.equal(config.baseFeeTreasuryBps, 9000);
      const again = d.client.initializeConfigIx({ admin: d.admin.publicKey, usdcMint: d.usdcMint, treasury: d.treasury, stakerPool: d.stakerPool, billingAuthority: d.billingAuthority.publicKey });
      await assert.rejects(d.client.send([await again]));
    });

    it("refuses revenue accounts of another mint, a fake mint, a wrong PDA and invalid shares", async () => {
      const fresh = await initializeDeployment();
      const other = await createMint(fresh.provider, { decimals: 6 });
      const otherTreasury = await createTokenAccount(fresh.provider, other, Keypair.generate().publicKey);
      const base = { admin: fresh.admin.publicKey, usdcMint: fresh.usdcMint, treasury: fresh.treasury, stakerPool: fresh.stakerPool, billingAuthority: fresh.billingAuthority.publicKey };
      // `fresh` already has its config: every refusal below must come from validation, before creation.
      const swap = async (p: Partial<typeof base> & { baseFeeTreasuryBps?: number }, code: number) => {
        await assert.rejects(fresh.client.send([await fresh.client.initializeConfigIx({ ...base, ...p })]));
        assert.equal(fresh.provider.lastTransaction?.customErrorCode, code);
      };
      await swap({ treasury: otherTreasury }, Billing.InvalidTreasury);
      await swap({ stakerPool: otherTreasury }, Billing.InvalidTreasury);
      await swap({ usdcMint: fresh.treasury }, Billing.InvalidMint);
      const ix = await fresh.client.initializeConfigIx(base);
      ix.keys[1].pubkey = Keypair.generate().publicKey;
      await assert.rejects(fresh.client.send([ix]));
      assert.equal(fresh.provider.lastTransaction?.customErrorCode, Anchor.ConstraintSeeds);
    });
  });

  describe("update_config", () => {
    it("lets only the admin change the config and emits ConfigUpdated", async () => {
      const events = await send(d.client.updateConfigIx({ admin: d.admin, paused: true, withdrawalNoticeSecs: 60n }), [d.admin]);
      assert.equal(eventsNamed(events, "ConfigUpdated").length, 1);
      const config = await d.client.fetchConfig();
      assert.equal(config.paused, true);
      assert.equal(config.withdrawalNoticeSecs, 60n);
      const stranger = Keypair.generate();
      await fails(d.client.updateConfigIx({ admin: stranger, paused: false }), [stranger], Billing.Unauthorized);
      await fails(d.client.updateConfigIx({ admin: d.admin, periodSecs: 0n }), [d.admin], Billing.InvalidConfig);
    });

    it("takes a new treasury only as a token account of the mint passed in the remaining accounts", async () => {
      const newTreasury = await d.fundWallet(Keypair.generate().publicKey, 0n);
      await send(d.client.updateConfigIx({ admin: d.admin, treasury: newTreasury }), [d.admin]);
      assert.ok((await d.client.fetchConfig()).treasury.equals(newTreasury));
      const other = await createMint(d.provider, { decimals: 6 });
      const foreign = await createTokenAccount(d.provider, other, d.admin.publicKey);
      await fails(d.client.updateConfigIx({ admin: d.admin, stakerPool: foreign }), [d.admin], Billing.InvalidTreasury);
      const ix = await d.client.updateConfigIx({ admin: d.admin, stakerPool: d.stakerPool });
      await fails(new TransactionInstruction({ ...ix, keys: ix.keys.slice(0, 2) }), [d.admin], Anchor.AccountNotEnoughKeys);
      const swapped = await d.client.updateConfigIx({ admin: d.admin, stakerPool: d.stakerPool });
      swapped.keys[2].pubkey = newTreasury;
      await fails(swapped, [d.admin], Billing.InvalidTreasury);
    });
  });

  describe("create_team_account", () => {
    it("opens the team and its vault with the period starting now", async () => {
      const team = await d.team(t.owner.publicKey);
      assert.equal(team.tier, 0);
      assert.equal(team.pendingTier, 255);
      assert.equal(team.baseFeePaid, false);
      assert.equal(team.periodEnd - team.periodStart, 2_592_000n);
      assert.equal(await d.balance(t.vault), 100n * USDC);
      const info = await d.provider.connection.getAccountInfo(t.vault);
      assert.ok(info?.owner.equals(TOKEN_PROGRAM_ID));
    });

    it("refuses unknown tiers, another mint and another owner's PDA", async () => {
      const owner = Keypair.generate();
      d.provider.airdrop(owner.publicKey, 10_000_000_000n);
      await fails(d.client.createTeamAccountIx({ owner, tier: 3, usdcMint: d.usdcMint }), [owner], Billing.InvalidTier);
      const other = await createMint(d.provider, { decimals: 6 });
      await fails(d.client.createTeamAccountIx({ owner, tier: 0, usdcMint: other }), [owner], Billing.InvalidMint);
      const ix = await d.client.createTeamAccountIx({ owner, tier: 0, usdcMint: d.usdcMint });
      ix.keys[2].pubkey = t.team;
      await fails(ix, [owner], Anchor.ConstraintSeeds);
      const forged = await d.client.createTeamAccountIx({ owner, tier: 0, usdcMint: d.usdcMint });
      forged.keys[6].pubkey = TOKEN_PROGRAM_ID;
      await fails(forged, [owner], Anchor.InvalidProgramId);
    });

    it("creates a team even when someone funded its address first", async () => {
      const owner = Keypair.generate();
      d.provider.airdrop(owner.publicKey, 10_000_000_000n);
      d.provider.airdrop(d.client.teamAddress(owner.publicKey), 1_000_000n);
      await send(d.client.createTeamAccountIx({ owner, tier: 2, usdcMint: d.usdcMint }), [owner]);
      assert.equal((await d.team(owner.publicKey)).tier, 2);
    });
  });

  describe("deposit_funds", () => {
    it("moves USDC into the vault from any wallet and reports the balance", async () => {
      const friend = Keypair.generate();
      const friendToken = await d.fundWallet(friend.publicKey, 5n * USDC);
      const events = await send(d.client.depositFundsIx({ depositor: friend, depositorToken: friendToken, teamOwner: t.owner.publicKey, amount: 5n * USDC }), [friend]);
      const [e] = eventsNamed(events, "FundsDeposited");
      assert.equal(e.amount, 5n * USDC);
      assert.equal(e.balanceAfter, 105n * USDC);
      assert.equal((await d.team(t.owner.publicKey)).totalDeposited, 105n * USDC);
      assert.ok(cu() <= 4_000, `deposit_funds used ${cu()} CU`);
    });

    it("refuses zero, a paused deployment, another mint, a forged vault and a forged config", async () => {
      const dep = (amount: bigint) => d.client.depositFundsIx({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount });
      await fails(dep(0n), [t.owner], Billing.InvalidAmount);
      const other = await createMint(d.provider, { decimals: 6 });
      const foreign = await createTokenAccount(d.provider, other, t.owner.publicKey);
      await mintTo(d.provider, other, foreign, 10n);
      await fails(d.client.depositFundsIx({ depositor: t.owner, depositorToken: foreign, teamOwner: t.owner.publicKey, amount: 1n }), [t.owner], Billing.InvalidMint);
      const u = await d.createTeam({ tier: 0 });
      const wrongVault = await dep(1n);
      wrongVault.keys[4].pubkey = u.vault;
      await fails(wrongVault, [t.owner], Billing.InvalidVault);
      const teamAsConfig = await dep(1n);
      teamAsConfig.keys[2].pubkey = u.team;
      await fails(teamAsConfig, [t.owner], Anchor.AccountDiscriminatorMismatch);
      const noConfig = await dep(1n);
      noConfig.keys[2].pubkey = Keypair.generate().publicKey;
      await fails(noConfig, [t.owner], Anchor.AccountNotInitialized);
      const tokenAsTeam = await dep(1n);
      tokenAsTeam.keys[3].pubkey = d.treasury;
      await fails(tokenAsTeam, [t.owner], Anchor.AccountOwnedByWrongProgram);
      const readOnly = await dep(1n);
      readOnly.keys[3].isWritable = false;
      await fails(readOnly, [t.owner], Anchor.ConstraintMut);
      await send(d.client.updateConfigIx({ admin: d.admin, paused: true }), [d.admin]);
      await fails(dep(1n), [t.owner], Billing.Paused);
    });
  });

  describe("roll_period", () => {
    it("charges the base fee once, split 90/10, and fails when there is nothing to do", async () => {
      const events = await send(roll(), []);
      const [rev] = eventsNamed(events, "RevenueDistributed");
      assert.deepEqual([rev.source, rev.treasuryAmount, rev.stakerAmount], [0, 45n * USDC, 5n * USDC]);
      assert.equal(eventsNamed(events, "PeriodRolled")[0].baseFeeCharged, 50n * USDC);
      assert.equal(await d.balance(d.treasury), 45n * USDC);
      assert.equal(await d.balance(d.stakerPool), 5n * USDC);
      await fails(roll(), [], Billing.PeriodNotEnded);
    });

    it("starts the next period when the current one has ended and applies a pending downgrade", async () => {
      const big = await d.createTeam({ tier: 1, deposit: 600n * USDC });
      await send(roll(big), []);
      await send(d.client.updateTierIx({ authority: big.owner, teamOwner: big.owner.publicKey, newTier: 0, settlement: d.settlement }), [big.owner]);
      assert.equal((await d.team(big.owner.publicKey)).pendingTier, 0);
      advanceClock(d.svm, 2_592_000n * 2n + 5n);
      const events = await send(roll(big), []);
      const [rolled] = eventsNamed(events, "PeriodRolled");
      const team = await d.team(big.owner.publicKey);
      assert.equal(rolled.tier, 0);
      assert.equal(rolled.baseFeeCharged, 50n * USDC);
      assert.equal(team.periodEnd - team.periodStart, 2_592_000n);
      assert.ok(team.periodStart <= BigInt(d.svm.getClock().unixTimestamp));
      assert.deepEqual([team.tier, team.pendingTier, team.periodRequests], [0, 255, 0n]);
    });

    it("refuses a treasury that is not the config's", async () => {
      const ix = await roll();
      ix.keys[3].pubkey = t.ownerToken;
      await fails(ix, [], Billing.InvalidTreasury);
      const tokenProgram = await roll();
      tokenProgram.keys[5].pubkey = SystemProgram.programId;
      await fails(tokenProgram, [], Anchor.InvalidProgramId);
    });
  });

  describe("deduct_usage", () => {
    it("prices usage on chain, pays the stakers, and stays within 5,000 CU with the transfer", async () => {
      await send(roll(), []);
      let events = await send(deduct(1n, 10_000n), [d.billingAuthority]);
      assert.equal(eventsNamed(events, "UsageDeducted")[0].amountCharged, 0n);
      events = await send(deduct(2n, 1_000n), [d.billingAuthority]);
      const [u] = eventsNamed(events, "UsageDeducted");
      assert.deepEqual([u.amountCharged, u.amountPaid, u.amountWaived, u.periodRequests, u.balanceAfter], [10n * USDC, 10n * USDC, 0n, 11_000n, 40n * USDC]);
      assert.equal(eventsNamed(events, "RevenueDistributed")[0].stakerAmount, 10n * USDC);
      assert.ok(cu() <= 5_000, `deduct_usage used ${cu()} CU`);
    });

    it("charges a batch once and in sequence", async () => {
      await send(deduct(1n, 5n), [d.billingAuthority]);
      await fails(deduct(1n, 5n), [d.billingAuthority], Billing.BatchAlreadySettled);
      await fails(deduct(0n, 5n), [d.billingAuthority], Billing.BatchAlreadySettled);
      await fails(deduct(3n, 5n), [d.billingAuthority], Billing.BatchSequenceGap);
      await fails(deduct(2n, 0n), [d.billingAuthority], Billing.InvalidAmount);
      await fails(deduct(U64_MAX, 5n), [d.billingAuthority], Billing.BatchSequenceGap);
    });

    it("never overflows on the largest counts", async () => {
      await send(deduct(1n, 10_000n), [d.billingAuthority]);
      await fails(deduct(2n, U64_MAX), [d.billingAuthority], Billing.MathOverflow);
      // 10,000 beyond the quota is the largest batch whose price (10,000 base units each) fits.
      await fails(deduct(2n, U64_MAX / 10_000n + 1n), [d.billingAuthority], Billing.MathOverflow);
      const [u] = eventsNamed(await send(deduct(2n, U64_MAX / 10_000n), [d.billingAuthority]), "UsageDeducted");
      assert.equal(u.amountCharged, (U64_MAX / 10_000n) * 10_000n);
      assert.equal(u.amountPaid, 100n * USDC);
      assert.equal((await d.team(t.owner.publicKey)).unpaidOverage, u.amountCharged - 100n * USDC);
    });

    it("accepts only the billing authority, the team's vault and the config's revenue accounts", async () => {
      const stranger = Keypair.generate();
      await fails(d.client.deductUsageIx({ billingAuthority: stranger, teamOwner: t.owner.publicKey, batchSeq: 1n, requestCount: 1n, usageRoot: ROOT, settlement: d.settlement }), [stranger], Billing.Unauthorized);
      const unsigned = await deduct(1n, 1n);
      unsigned.keys[0].isSigner = false;
      await fails(unsigned, [], Anchor.AccountNotSigner);
      const u = await d.createTeam({ tier: 0, deposit: 1n });
      const vault = await deduct(1n, 1n);
      vault.keys[3].pubkey = u.vault;
      await fails(vault, [d.billingAuthority], Billing.InvalidVault);
      const stakers = await deduct(1n, 1n);
      stakers.keys[5].pubkey = d.treasury;
      await fails(stakers, [d.billingAuthority], Billing.InvalidTreasury);
      const readOnlyVault = await deduct(1n, 1n);
      readOnlyVault.keys[3].isWritable = false;
      await fails(readOnlyVault, [d.billingAuthority], Anchor.ConstraintMut);
    });

    it("waives overage beyond the spend cap", async () => {
      await send(d.client.setTeamLimitsIx({ owner: t.owner, lowBalanceThreshold: 0n, spendCap: 15n * USDC }), [t.owner]);
      await send(deduct(1n, 10_000n), [d.billingAuthority]);
      await send(deduct(2n, 1_000n), [d.billingAuthority]);
      const [u] = eventsNamed(await send(deduct(3n, 1_000n), [d.billingAuthority]), "UsageDeducted");
      assert.deepEqual([u.amountCharged, u.amountWaived], [5n * USDC, 5n * USDC]);
      const team = await d.team(t.owner.publicKey);
      assert.equal(team.periodOverageSpend, 15n * USDC);
    });

    it("records what the vault cannot pay as debt, suspends, and recovers after a deposit and a roll", async () => {
      await send(roll(), []); // 50 left
      await send(deduct(1n, 10_000n), [d.billingAuthority]);
      const [u] = eventsNamed(await send(deduct(2n, 6_000n), [d.billingAuthority]), "UsageDeducted");
      assert.deepEqual([u.amountCharged, u.amountPaid], [60n * USDC, 50n * USDC]);
      let team = await d.team(t.owner.publicKey);
      assert.deepEqual([team.status, team.unpaidOverage], [1, 10n * USDC]);
      await fails(d.client.updateTierIx({ authority: t.owner, teamOwner: t.owner.publicKey, newTier: 1, settlement: d.settlement }), [t.owner], Billing.OutstandingDebt);
      await fails(d.client.requestWithdrawalIx({ owner: t.owner, amount: 1n }), [t.owner], Billing.InsufficientFunds);
      await send(d.client.depositFundsIx({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: 30n * USDC }), [t.owner]);
      const events = await send(roll(), []);
      const [debt] = eventsNamed(events, "RevenueDistributed");
      assert.deepEqual([debt.source, debt.stakerAmount], [3, 10n * USDC]);
      team = await d.team(t.owner.publicKey);
      assert.deepEqual([team.status, team.unpaidOverage, await d.balance(t.vault)], [0, 0n, 20n * USDC]);
    });

    it("alerts once when the balance crosses below the threshold", async () => {
      await send(roll(), []); // 50 left, threshold 10
      await send(deduct(1n, 10_000n), [d.billingAuthority]);
      assert.equal(eventsNamed(await send(deduct(2n, 3_000n), [d.billingAuthority]), "LowBalanceAlert").length, 0); // 20 left
      const [alert] = eventsNamed(await send(deduct(3n, 1_500n), [d.billingAuthority]), "LowBalanceAlert"); // 5 left
      assert.deepEqual([alert.balance, alert.threshold], [5n * USDC, 10n * USDC]);
      assert.equal(eventsNamed(await send(deduct(4n, 100n), [d.billingAuthority]), "LowBalanceAlert").length, 0);
      // Back to 24 (above the threshold), then down to 9: a new crossing.
      await send(d.client.depositFundsIx({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: 20n * USDC }), [t.owner]);
      assert.equal(eventsNamed(await send(deduct(5n, 1_500n), [d.billingAuthority]), "LowBalanceAlert").length, 1);
    });
  });

  describe("update_tier", () => {
    it("upgrades at once with the prorated difference and lets the admin do it too", async () => {
      await send(roll(), []);
      await send(d.client.depositFundsIx({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: 500n * USDC }), [t.owner]);
      const events = await send(d.client.updateTierIx({ authority: d.admin, teamOwner: t.owner.publicKey, newTier: 1, settlement: d.settlement }), [d.admin]);
      const [e] = eventsNamed(events, "TierUpdated");
      assert.deepEqual([e.oldTier, e.newTier], [0, 1]);
      assert.equal(e.proratedFee, 200n * USDC); // the whole period is left
      const [rev] = eventsNamed(events, "RevenueDistributed");
      assert.deepEqual([rev.source, rev.treasuryAmount, rev.stakerAmount], [2, 180n * USDC, 20n * USDC]);
      const stranger = Keypair.generate();
      await fails(d.client.updateTierIx({ authority: stranger, teamOwner: t.owner.publicKey, newTier: 2, settlement: d.settlement }), [stranger], Billing.Unauthorized);
      await fails(d.client.updateTierIx({ authority: t.owner, teamOwner: t.owner.publicKey, newTier: 9, settlement: d.settlement }), [t.owner], Billing.InvalidTier);
      await fails(d.client.updateTierIx({ authority: t.owner, teamOwner: t.owner.publicKey, newTier: 2, settlement: d.settlement }), [t.owner], Billing.InsufficientFunds);
    });
  });

  describe("withdrawals", () => {
    it("wait for the notice, work while paused, and only reach the owner's own token account", async () => {
      await fails(d.client.withdrawUnusedIx({ owner: t.owner, ownerToken: t.ownerToken }), [t.owner], Billing.NoPendingWithdrawal);
      await fails(d.client.requestWithdrawalIx({ owner: t.owner, amount: 101n * USDC }), [t.owner], Billing.InsufficientFunds);
      const [req] = eventsNamed(await send(d.client.requestWithdrawalIx({ owner: t.owner, amount: 40n * USDC }), [t.owner]), "WithdrawalRequested");
      assert.equal(req.amount, 40n * USDC);
      await fails(d.client.withdrawUnusedIx({ owner: t.owner, ownerToken: t.ownerToken }), [t.owner], Billing.WithdrawalNotReady);
      const other = await d.createTeam({ tier: 0, deposit: 1n });
      advanceClock(d.svm, 900n);
      await send(d.client.updateConfigIx({ admin: d.admin, paused: true }), [d.admin]);
      const thief = await d.fundWallet(Keypair.generate().publicKey, 0n);
      await fails(d.client.withdrawUnusedIx({ owner: t.owner, ownerToken: thief }), [t.owner], Anchor.ConstraintTokenOwner);
      const theirs = await d.client.withdrawUnusedIx({ owner: t.owner, ownerToken: t.ownerToken });
      theirs.keys[3].pubkey = other.team;
      await fails(theirs, [t.owner], Anchor.ConstraintSeeds);
      const before = await d.balance(t.ownerToken);
      const [w] = eventsNamed(await send(d.client.withdrawUnusedIx({ owner: t.owner, ownerToken: t.ownerToken }), [t.owner]), "FundsWithdrawn");
      assert.deepEqual([w.amount, w.balanceAfter], [40n * USDC, 60n * USDC]);
      assert.equal(await d.balance(t.ownerToken), before + 40n * USDC);
    });

    it("can be cancelled", async () => {
      await send(d.client.requestWithdrawalIx({ owner: t.owner, amount: 1n }), [t.owner]);
      await send(d.client.requestWithdrawalIx({ owner: t.owner, amount: 0n }), [t.owner]);
      assert.equal((await d.team(t.owner.publicKey)).pendingWithdrawal, 0n);
      await fails(d.client.requestWithdrawalIx({ owner: t.owner, amount: 0n }), [t.owner], Billing.NoPendingWithdrawal);
    });
  });

  describe("close_team_account", () => {
    it("needs an empty vault and returns all rent to the owner", async () => {
      await fails(d.client.closeTeamAccountIx({ owner: t.owner }), [t.owner], Billing.TeamNotEmpty);
      await send(d.client.requestWithdrawalIx({ owner: t.owner, amount: 100n * USDC }), [t.owner]);
      advanceClock(d.svm, 900n);
      await send(d.client.withdrawUnusedIx({ owner: t.owner, ownerToken: t.ownerToken }), [t.owner]);
      const lamportsBefore = (await d.provider.connection.getAccountInfo(t.owner.publicKey))?.lamports ?? 0;
      const rent = ((await d.provider.connection.getAccountInfo(t.team))?.lamports ?? 0) + ((await d.provider.connection.getAccountInfo(t.vault))?.lamports ?? 0);
      await send(d.client.closeTeamAccountIx({ owner: t.owner }), [t.owner]);
      assert.equal(await d.provider.connection.getAccountInfo(t.team), null);
      assert.equal(await d.provider.connection.getAccountInfo(t.vault), null);
      const lamportsAfter = (await d.provider.connection.getAccountInfo(t.owner.publicKey))?.lamports ?? 0;
      assert.equal(lamportsAfter, lamportsBefore + rent);
    });

    it("refuses a team with debt", async () => {
      const poor = await d.createTeam({ tier: 0, deposit: 0n });
      await send(roll(poor), []);
      await fails(d.client.closeTeamAccountIx({ owner: poor.owner }), [poor.owner], Billing.OutstandingDebt);
    });
  });

  describe("set_team_limits", () => {
    it("is for the owner only", async () => {
      await send(d.client.setTeamLimitsIx({ owner: t.owner, lowBalanceThreshold: 1n, spendCap: 2n }), [t.owner]);
      const team = await d.team(t.owner.publicKey);
      assert.deepEqual([team.lowBalanceThreshold, team.spendCap], [1n, 2n]);
      const stranger = Keypair.generate();
      const ix = await d.client.setTeamLimitsIx({ owner: stranger, lowBalanceThreshold: 0n, spendCap: 0n });
      ix.keys[1].pubkey = t.team;
      await fails(ix, [stranger], Anchor.ConstraintSeeds);
    });
  });

  describe("accounts away from their PDA", () => {
    /** A byte-for-byte copy of `source`, owned by the program, at a fresh address. */
    function copyAway(source: PublicKey): PublicKey {
      const from = d.svm.getAccount(source.toBase58() as Address);
      assert.ok(from.exists);
      const address = Keypair.generate().publicKey;
      d.svm.setAccount({ address: address.toBase58() as Address, data: Buffer.from(from.data), executable: false, lamports: from.lamports, programAddress: d.programId.toBase58() as Address, space: BigInt(from.data.length) });
      return address;
    }

    it("are refused with ConstraintSeeds even when their bytes are genuine", async () => {
      const deposit = await d.client.depositFundsIx({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: 1n });
      deposit.keys[2].pubkey = copyAway(d.client.configAddress);
      await fails(deposit, [t.owner], Anchor.ConstraintSeeds);
      const usage = await deduct(1n, 20_000n);
      usage.keys[2].pubkey = copyAway(t.team);
      await fails(usage, [d.billingAuthority], Anchor.ConstraintSeeds);
      assert.equal(await d.balance(t.vault), 100n * USDC);
    });
  });

  it("keeps a new team's PDA addresses derivable by clients", () => {
    const [team] = PublicKey.findProgramAddressSync([Buffer.from("team_billing"), t.owner.publicKey.toBuffer()], d.programId);
    assert.ok(team.equals(t.team));
  });
});
