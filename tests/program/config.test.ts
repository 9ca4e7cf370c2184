// initialize_config and update_config: the deployment's BillingConfig, who may create and change it,
// which accounts it may link to, and which values it refuses.
import assert from "node:assert/strict";
import type { IdlTypes } from "@coral-xyz/anchor";
import { TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID } from "@solana/spl-token";
import { Keypair, PublicKey, SystemProgram, Transaction } from "@solana/web3.js";
import {
  DEFAULT_TIERS,
  I64_MAX,
  Tier,
  U64_MAX,
  USDC,
  configPda,
  eventsNamed,
  type PrepaidBilling,
  type TierTerms,
} from "../../sdk/src";
import { createTokenAccount, now, warpTo } from "../support";
import { bareDeployment, initAccounts, initArgs, type BareDeployment } from "./support/bare";
import {
  FOREIGN_PROGRAM,
  MAX_PERIOD_SECS,
  MAX_WITHDRAWAL_NOTICE_SECS,
  assertConserved,
  bn,
  cloneAccount,
  createBed,
  lastEvents,
  openTeam,
  readonlyAt,
  sendAsOutsider,
  tokenAccount,
  withoutSigner,
  type TestBed,
} from "./support/bed";
import { expectError } from "./support/expect";

const CUSTOM_TIERS: readonly TierTerms[] = [
  { monthlyFee: 7n * USDC, includedRequests: 3n, overagePrice: 11n },
  { monthlyFee: 0n, includedRequests: 0n, overagePrice: 0n },
  { monthlyFee: U64_MAX, includedRequests: U64_MAX, overagePrice: U64_MAX },
];

function tiersArg(tiers: readonly TierTerms[]) {
  return tiers.map((t) => ({ monthlyFee: bn(t.monthlyFee), includedRequests: bn(t.includedRequests), overagePrice: bn(t.overagePrice) }));
}

type UpdateConfigArgs = IdlTypes<PrepaidBilling>["updateConfigArgs"];

/** UpdateConfigArgs with every field unset. */
function noChange(): UpdateConfigArgs {
  return { newAdmin: null, billingAuthority: null, withdrawalNoticeSecs: null, periodSecs: null, tiers: null, treasury: null, stakerPool: null, paused: null };
}

describe("initialize_config", () => {
  let b: BareDeployment;
  beforeEach(async () => {
    b = await bareDeployment();
  });

  const init = (over: Parameters<typeof initArgs>[1] = {}, accounts: Partial<ReturnType<typeof initAccounts>> = {}) =>
    b.program.methods.initializeConfig(initArgs(b, over)).accountsStrict({ ...initAccounts(b), ...accounts }).signers([b.admin]);

  it("creates the config at its PDA with the signer as admin and every argument stored", async () => {
    await init({ withdrawalNoticeSecs: 0n, periodSecs: 1n, baseFeeTreasuryBps: 10_000, overageTreasuryBps: 1, tiers: CUSTOM_TIERS }).rpc();
    const config = await b.program.account.billingConfig.fetch(b.config);
    assert.ok(config.admin.equals(b.admin.publicKey));
    assert.ok(config.billingAuthority.equals(b.billingAuthority.publicKey));
    assert.ok(config.usdcMint.equals(b.usdcMint));
    assert.ok(config.treasury.equals(b.treasury));
    assert.ok(config.stakerPool.equals(b.stakerPool));
    assert.equal(config.baseFeeTreasuryBps, 10_000);
    assert.equal(config.overageTreasuryBps, 1);
    assert.equal(config.withdrawalNoticeSecs.toString(), "0");
    assert.equal(config.periodSecs.toString(), "1");
    assert.equal(config.paused, false);
    assert.deepEqual(
      config.tiers.map((t) => [t.monthlyFee.toString(), t.includedRequests.toString(), t.overagePrice.toString()]),
      CUSTOM_TIERS.map((t) => [t.monthlyFee.toString(), t.includedRequests.toString(), t.overagePrice.toString()]),
    );
    assert.equal(config.bump, configPda(b.programId).bump);
    const info = await b.outsider.connection.getAccountInfo(b.config);
    assert.ok(info?.owner.equals(b.programId));
  });

  it("initialises a config whose PDA someone funded beforehand", async () => {
    await b.provider.sendAndConfirm(new Transaction().add(SystemProgram.transfer({ fromPubkey: b.provider.publicKey, toPubkey: b.config, lamports: 1_000_000 })));
    await init().rpc();
    const info = await b.outsider.connection.getAccountInfo(b.config);
    assert.ok(info && info.owner.equals(b.programId));
    assert.ok(BigInt(info.lamports) >= b.svm.minimumBalanceForRentExemption(BigInt(info.data.length)), "rent-exempt");
    assert.ok((await b.program.account.billingConfig.fetch(b.config)).admin.equals(b.admin.publicKey));
  });

  it("refuses a second initialisation (the system program finds the config in use)", async () => {
    await init().rpc();
    await expectError(init({ periodSecs: 5n }).rpc(), { system: 0 }, b.outsider);
    const config = await b.program.account.billingConfig.fetch(b.config);
    assert.equal(config.periodSecs.toString(), "2592000");
  });

  it("refuses an admin that did not sign", async () => {
    const ix = withoutSigner(await init().instruction(), b.admin.publicKey);
    await expectError(b.outsider.sendAndConfirm(new Transaction().add(ix)), "AccountNotSigner", b.outsider);
  });

  it("refuses an admin passed read-only (it pays the rent)", async () => {
    const ix = readonlyAt(await init().instruction(), 0);
    await expectError(b.outsider.sendAndConfirm(new Transaction().add(ix), [b.admin]), "ConstraintMut", b.outsider);
  });

  it("refuses a config address that is not the PDA [\"config\"]", async () => {
    const notPda = Keypair.generate();
    await expectError(init({}, { config: notPda.publicKey }).signers([b.admin, notPda]).rpc(), "ConstraintSeeds", b.outsider);
  });

  it("refuses a usdc_mint that is not a mint of the token program", async () => {
    await expectError(init({}, { usdcMint: b.treasury }).rpc(), "InvalidMint", b.outsider);
    await expectError(init({}, { usdcMint: b.admin.publicKey }).rpc(), "InvalidMint", b.outsider);
    const foreign = cloneAccount(b.svm, b.usdcMint, FOREIGN_PROGRAM);
    await expectError(init({}, { usdcMint: foreign }).rpc(), "InvalidMint", b.outsider);
  });

  it("refuses a treasury or staker pool that is not a token account of the mint", async () => {
    const foreignMintAccount = await tokenAccountOn(b, b.otherMint);
    await expectError(init({}, { treasury: foreignMintAccount }).rpc(), "InvalidTreasury", b.outsider);
    await expectError(init({}, { stakerPool: foreignMintAccount }).rpc(), "InvalidTreasury", b.outsider);
    await expectError(init({}, { treasury: b.usdcMint }).rpc(), "InvalidTreasury", b.outsider);
    await expectError(init({}, { stakerPool: b.admin.publicKey }).rpc(), "InvalidTreasury", b.outsider);
  });

  it("refuses another program in the system program's place", async () => {
    await expectError(init({}, { systemProgram: TOKEN_PROGRAM_ID }).rpc(), "InvalidProgramId", b.outsider);
  });

  it("refuses revenue shares above 10,000 basis points, up to u16::MAX", async () => {
    await expectError(init({ baseFeeTreasuryBps: 10_001 }).rpc(), "InvalidConfig", b.outsider);
    await expectError(init({ overageTreasuryBps: 10_001 }).rpc(), "InvalidConfig", b.outsider);
    await expectError(init({ baseFeeTreasuryBps: 0xffff }).rpc(), "InvalidConfig", b.outsider);
    await expectError(init({ overageTreasuryBps: 0xffff }).rpc(), "InvalidConfig", b.outsider);
  });

  it("refuses a period that is not positive and a negative notice", async () => {
    await expectError(init({ periodSecs: 0n }).rpc(), "InvalidConfig", b.outsider);
    await expectError(init({ periodSecs: -1n }).rpc(), "InvalidConfig", b.outsider);
    await expectError(init({ periodSecs: -(1n << 63n) }).rpc(), "InvalidConfig", b.outsider);
    await expectError(init({ withdrawalNoticeSecs: -1n }).rpc(), "InvalidConfig", b.outsider);
  });

  it("accepts a 366-day period and a 30-day notice, and a team then opens with a 366-day first period", async () => {
    await init({ periodSecs: MAX_PERIOD_SECS, withdrawalNoticeSecs: MAX_WITHDRAWAL_NOTICE_SECS }).rpc();
    const config = await b.program.account.billingConfig.fetch(b.config);
    assert.equal(config.periodSecs.toString(), "31622400");
    assert.equal(config.withdrawalNoticeSecs.toString(), "2592000");
    const owner = Keypair.generate();
    b.provider.airdrop(owner.publicKey, 1_000_000_000n);
    const team = PublicKey.findProgramAddressSync([Buffer.from("team_billing"), owner.publicKey.toBuffer()], b.programId)[0];
    const accounts = {
      owner: owner.publicKey,
      config: b.config,
      team,
      vault: PublicKey.findProgramAddressSync([Buffer.from("team_usdc"), owner.publicKey.toBuffer()], b.programId)[0],
      usdcMint: b.usdcMint,
      tokenProgram: TOKEN_PROGRAM_ID,
      systemProgram: SystemProgram.programId,
    };
    await b.program.methods.createTeamAccount(Tier.Startup).accountsStrict(accounts).signers([owner]).rpc();
    const opened = await b.program.account.teamBillingAccount.fetch(team);
    assert.equal(opened.periodEnd.toString(), (now(b.svm) + MAX_PERIOD_SECS).toString());
  });

  it("refuses a period or a notice one second over its bound, up to i64::MAX, and creates no config", async () => {
    const over = [
      { periodSecs: MAX_PERIOD_SECS + 1n },
      { periodSecs: I64_MAX },
      { withdrawalNoticeSecs: MAX_WITHDRAWAL_NOTICE_SECS + 1n },
      { withdrawalNoticeSecs: I64_MAX },
      { periodSecs: MAX_PERIOD_SECS + 1n, withdrawalNoticeSecs: MAX_WITHDRAWAL_NOTICE_SECS + 1n },
    ];
    for (const o of over) await expectError(init(o).rpc(), "InvalidConfig", b.outsider);
    assert.equal(await b.outsider.connection.getAccountInfo(b.config), null);
  });
});

function tokenAccountOn(b: BareDeployment, mint: PublicKey): Promise<PublicKey> {
  return createTokenAccount(b.provider, mint, Keypair.generate().publicKey);
}

describe("update_config", () => {
  let bed: TestBed;
  let admin: Keypair;
  before(async () => {
    bed = await createBed();
    // The fixture's admin is its fee payer; hand the config to an admin that signs only when asked.
    admin = Keypair.generate();
    bed.provider.airdrop(admin.publicKey, 1_000_000_000n);
    await bed.client.updateConfig({ admin: bed.admin, newAdmin: admin.publicKey });
  });
  afterEach(async () => {
    await assertConserved(bed);
  });

  const update = (args: Partial<UpdateConfigArgs>, accounts: { admin?: PublicKey; config?: PublicKey } = {}) =>
    bed.program.methods.updateConfig({ ...noChange(), ...args }).accountsStrict({ admin: admin.publicKey, config: bed.configAddress, ...accounts });

  it("changes only the fields it sets and emits ConfigUpdated with the admin", async () => {
    const before = await bed.client.fetchConfig();
    const authority = Keypair.generate().publicKey;
    await update({ billingAuthority: authority, withdrawalNoticeSecs: bn(60n), periodSecs: bn(86_400n), tiers: tiersArg(CUSTOM_TIERS) }).signers([admin]).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [{ name: "ConfigUpdated", data: { admin: admin.publicKey.toBase58() } }]);
    const after = await bed.client.fetchConfig();
    assert.deepEqual(after, { ...before, billingAuthority: authority, withdrawalNoticeSecs: 60n, periodSecs: 86_400n, tiers: CUSTOM_TIERS.map((t) => ({ ...t })) });
    await update({ billingAuthority: bed.billingAuthority.publicKey, withdrawalNoticeSecs: bn(900n), periodSecs: bn(2_592_000n), tiers: tiersArg(DEFAULT_TIERS) }).signers([admin]).rpc();
    assert.deepEqual(await bed.client.fetchConfig(), before);
  });

  it("changes nothing when no field is set, and still reports the update", async () => {
    const before = await bed.client.fetchConfig();
    await update({}).signers([admin]).rpc();
    assert.deepEqual(eventsNamed(lastEvents(bed.outsider, bed.programId), "ConfigUpdated"), [{ admin: admin.publicKey.toBase58() }]);
    assert.deepEqual(await bed.client.fetchConfig(), before);
  });

  it("hands the admin role over: the new admin may update, the old one may not", async () => {
    const next = Keypair.generate();
    await update({ newAdmin: next.publicKey }).signers([admin]).rpc();
    assert.deepEqual(eventsNamed(lastEvents(bed.outsider, bed.programId), "ConfigUpdated"), [{ admin: next.publicKey.toBase58() }]);
    await expectError(update({ paused: true }).signers([admin]).rpc(), "Unauthorized", bed.outsider);
    await update({ newAdmin: admin.publicKey }, { admin: next.publicKey }).signers([next]).rpc();
    assert.ok((await bed.client.fetchConfig()).admin.equals(admin.publicKey));
  });

  it("refuses a signer that is not the admin, including the billing authority", async () => {
    const intruder = Keypair.generate();
    await expectError(update({ paused: true }, { admin: intruder.publicKey }).signers([intruder]).rpc(), "Unauthorized", bed.outsider);
    await expectError(update({ newAdmin: bed.billingAuthority.publicKey }, { admin: bed.billingAuthority.publicKey }).signers([bed.billingAuthority]).rpc(), "Unauthorized", bed.outsider);
    assert.equal((await bed.client.fetchConfig()).paused, false);
  });

  it("refuses the admin's key without its signature", async () => {
    const ix = withoutSigner(await update({ paused: true }).instruction(), admin.publicKey);
    await expectError(sendAsOutsider(bed, [ix]), "AccountNotSigner", bed.outsider);
  });

  it("refuses the config passed read-only", async () => {
    const ix = readonlyAt(await update({ paused: true }).instruction(), 1);
    await expectError(sendAsOutsider(bed, [ix], [admin]), "ConstraintMut", bed.outsider);
  });

  it("refuses a copy of the config owned by another program", async () => {
    const fake = cloneAccount(bed.svm, bed.configAddress, FOREIGN_PROGRAM);
    await expectError(update({ paused: true }, { config: fake }).signers([admin]).rpc(), "AccountOwnedByWrongProgram", bed.outsider);
  });

  it("refuses a team account in the config's place", async () => {
    const t = await openTeam(bed);
    await expectError(update({ paused: true }, { config: t.team }).signers([admin]).rpc(), "AccountDiscriminatorMismatch", bed.outsider);
  });

  it("refuses a period that is not positive and a negative notice, keeping the config", async () => {
    const before = await bed.client.fetchConfig();
    await expectError(update({ periodSecs: bn(0n) }).signers([admin]).rpc(), "InvalidConfig", bed.outsider);
    await expectError(update({ periodSecs: bn(-(1n << 63n)) }).signers([admin]).rpc(), "InvalidConfig", bed.outsider);
    await expectError(update({ withdrawalNoticeSecs: bn(-1n) }).signers([admin]).rpc(), "InvalidConfig", bed.outsider);
    assert.deepEqual(await bed.client.fetchConfig(), before);
  });

  it("moves revenue to a new treasury and staker pool passed as remaining accounts", async () => {
    const treasury = await tokenAccount(bed, bed.usdcMint, Keypair.generate().publicKey);
    const stakerPool = await tokenAccount(bed, bed.usdcMint, Keypair.generate().publicKey);
    const old = { treasury: bed.treasury, stakerPool: bed.stakerPool };
    await update({ treasury, stakerPool })
      .remainingAccounts([{ pubkey: treasury, isSigner: false, isWritable: false }, { pubkey: stakerPool, isSigner: false, isWritable: false }])
      .signers([admin])
      .rpc();
    bed.revenueAccounts.push(treasury, stakerPool);
    const config = await bed.client.fetchConfig();
    assert.ok(config.treasury.equals(treasury) && config.stakerPool.equals(stakerPool));
    const t = await openTeam(bed, { deposit: 100n * USDC });
    await expectError(bed.client.rollPeriod({ teamOwner: t.owner.publicKey, settlement: old }), "InvalidTreasury", bed.provider);
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey, settlement: { treasury, stakerPool } });
    assert.equal(await bed.balance(treasury), 45n * USDC);
    assert.equal(await bed.balance(stakerPool), 5n * USDC);
    await assertConserved(bed, "after the roll into the new accounts");
    await update({ treasury: old.treasury, stakerPool: old.stakerPool })
      .remainingAccounts([{ pubkey: old.treasury, isSigner: false, isWritable: false }, { pubkey: old.stakerPool, isSigner: false, isWritable: false }])
      .signers([admin])
      .rpc();
  });

  it("refuses a new treasury whose account is missing, different from the argument, or of another mint", async () => {
    const good = await tokenAccount(bed, bed.usdcMint, Keypair.generate().publicKey);
    const otherMint = await tokenAccount(bed, bed.otherMint, Keypair.generate().publicKey);
    const meta = (pubkey: PublicKey) => ({ pubkey, isSigner: false, isWritable: false });
    await expectError(update({ treasury: good }).signers([admin]).rpc(), "AccountNotEnoughKeys", bed.outsider);
    await expectError(update({ treasury: good }).remainingAccounts([meta(otherMint)]).signers([admin]).rpc(), "InvalidTreasury", bed.outsider);
    await expectError(update({ treasury: otherMint }).remainingAccounts([meta(otherMint)]).signers([admin]).rpc(), "InvalidTreasury", bed.outsider);
    await expectError(update({ stakerPool: bed.usdcMint }).remainingAccounts([meta(bed.usdcMint)]).signers([admin]).rpc(), "InvalidTreasury", bed.outsider);
    await expectError(update({ treasury: good, stakerPool: good }).remainingAccounts([meta(good)]).signers([admin]).rpc(), "AccountNotEnoughKeys", bed.outsider);
    const config = await bed.client.fetchConfig();
    assert.ok(config.treasury.equals(bed.treasury) && config.stakerPool.equals(bed.stakerPool));
  });

  it("accepts u64::MAX tier terms, a 30-day notice and a 366-day period; a withdrawal still leaves when the notice ends, paused", async () => {
    const t = await openTeam(bed, { deposit: 20n * USDC });
    const max = { monthlyFee: U64_MAX, includedRequests: U64_MAX, overagePrice: U64_MAX };
    await update({ tiers: tiersArg([max, max, max]), withdrawalNoticeSecs: bn(MAX_WITHDRAWAL_NOTICE_SECS), periodSecs: bn(MAX_PERIOD_SECS), paused: true })
      .signers([admin])
      .rpc();
    const config = await bed.client.fetchConfig();
    assert.deepEqual(config.tiers, [max, max, max]);
    assert.equal(config.withdrawalNoticeSecs, 2_592_000n);
    assert.equal(config.periodSecs, 31_622_400n);
    await bed.client.requestWithdrawal({ owner: t.owner, amount: 20n * USDC });
    const unlockAt = now(bed.svm) + MAX_WITHDRAWAL_NOTICE_SECS;
    assert.equal((await bed.team(t.owner.publicKey)).withdrawalUnlockAt, unlockAt);
    warpTo(bed.svm, unlockAt - 1n);
    await expectError(bed.client.withdrawUnused({ owner: t.owner, ownerToken: t.ownerToken }), "WithdrawalNotReady", bed.provider);
    warpTo(bed.svm, unlockAt);
    const wallet = await bed.balance(t.ownerToken);
    await bed.client.withdrawUnused({ owner: t.owner, ownerToken: t.ownerToken });
    assert.equal(await bed.balance(t.ownerToken), wallet + 20n * USDC);
    assert.equal(await bed.balance(t.vault), 0n);
    assert.equal((await bed.team(t.owner.publicKey)).totalWithdrawn, 20n * USDC);
    await update({ tiers: tiersArg(DEFAULT_TIERS), withdrawalNoticeSecs: bn(900n), periodSecs: bn(2_592_000n), paused: false }).signers([admin]).rpc();
  });

  it("refuses a notice over 30 days or a period over 366 days, by one second or up to i64::MAX, keeping the config", async () => {
    const before = await bed.client.fetchConfig();
    const over: Partial<UpdateConfigArgs>[] = [
      { withdrawalNoticeSecs: bn(MAX_WITHDRAWAL_NOTICE_SECS + 1n) },
      { withdrawalNoticeSecs: bn(I64_MAX) },
      { periodSecs: bn(MAX_PERIOD_SECS + 1n) },
      { periodSecs: bn(I64_MAX) },
      // Valid fields set alongside do not go through either.
      { paused: true, billingAuthority: Keypair.generate().publicKey, withdrawalNoticeSecs: bn(MAX_WITHDRAWAL_NOTICE_SECS + 1n) },
      { withdrawalNoticeSecs: bn(0n), periodSecs: bn(MAX_PERIOD_SECS + 1n) },
    ];
    for (const args of over) await expectError(update(args).signers([admin]).rpc(), "InvalidConfig", bed.outsider);
    assert.deepEqual(await bed.client.fetchConfig(), before);
  });

  it("pauses and unpauses deposits", async () => {
    const t = await openTeam(bed);
    await update({ paused: true }).signers([admin]).rpc();
    assert.equal((await bed.client.fetchConfig()).paused, true);
    await expectError(bed.client.depositFunds({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: USDC }), "Paused", bed.provider);
    await update({ paused: false }).signers([admin]).rpc();
    await bed.client.depositFunds({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: USDC });
    assert.equal(await bed.balance(t.vault), USDC);
  });

  it("is not confused by Token-2022 as a treasury owner program", async () => {
    const fake = cloneAccount(bed.svm, bed.treasury, TOKEN_2022_PROGRAM_ID);
    await expectError(
      update({ treasury: fake }).remainingAccounts([{ pubkey: fake, isSigner: false, isWritable: false }]).signers([admin]).rpc(),
      "InvalidTreasury",
      bed.outsider,
    );
  });
});
