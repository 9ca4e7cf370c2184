// request_withdrawal and withdraw_unused: the owner announces a withdrawal, and after the notice period
// takes it to a token account of their own — even while the deployment is paused and without the
// operator — never more than the vault holds above the team's debt.
import assert from "node:assert/strict";
import { TOKEN_2022_PROGRAM_ID } from "@solana/spl-token";
import { Keypair } from "@solana/web3.js";
import { U64_MAX, USDC } from "../../sdk/src";
import { advanceClock, now, warpTo, type TeamFixture } from "../support";
import {
  FOREIGN_PROGRAM,
  assertConserved,
  bn,
  cloneAccount,
  createBed,
  lastEvents,
  openTeam,
  readonlyAt,
  requestAccounts,
  sendAsOutsider,
  tokenAccount,
  withdrawAccounts,
  withoutSigner,
  type TestBed,
} from "./support/bed";
import { expectError, type Expected } from "./support/expect";

describe("request_withdrawal and withdraw_unused", () => {
  let bed: TestBed;
  let notice: bigint;
  before(async () => {
    bed = await createBed();
    notice = bed.config.withdrawalNoticeSecs;
  });
  afterEach(async () => {
    await assertConserved(bed);
  });

  const request = (t: TeamFixture, amount: bigint, accounts: Partial<ReturnType<typeof requestAccounts>> = {}, signer: Keypair = t.owner) =>
    bed.program.methods.requestWithdrawal(bn(amount)).accountsStrict({ ...requestAccounts(bed, t), ...accounts }).signers([signer]);
  const withdraw = (t: TeamFixture, accounts: Partial<ReturnType<typeof withdrawAccounts>> = {}, signer: Keypair = t.owner) =>
    bed.program.methods.withdrawUnused().accountsStrict({ ...withdrawAccounts(bed, t), ...accounts }).signers([signer]);

  const requested = (t: TeamFixture, amount: bigint, unlockAt: bigint) => ({ name: "WithdrawalRequested", data: { team: t.team.toBase58(), amount, unlockAt } });
  const withdrawn = (t: TeamFixture, amount: bigint, balanceAfter: bigint) => ({
    name: "FundsWithdrawn",
    data: { team: t.team.toBase58(), owner: t.owner.publicKey.toBase58(), amount, balanceAfter },
  });

  it("refuses the withdrawal before the notice has passed (WithdrawalNotReady) and pays it out after", async () => {
    const t = await openTeam(bed, { deposit: 100n * USDC });
    await bed.client.setTeamLimits({ owner: t.owner, lowBalanceThreshold: 0n, spendCap: 0n });
    await request(t, 60n * USDC).rpc();
    const unlockAt = now(bed.svm) + notice;
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [requested(t, 60n * USDC, unlockAt)]);
    let team = await bed.team(t.owner.publicKey);
    assert.equal(team.pendingWithdrawal, 60n * USDC);
    assert.equal(team.withdrawalUnlockAt, unlockAt);
    await expectError(withdraw(t).rpc(), "WithdrawalNotReady", bed.outsider);
    warpTo(bed.svm, unlockAt - 1n);
    await expectError(withdraw(t).rpc(), "WithdrawalNotReady", bed.outsider);
    warpTo(bed.svm, unlockAt);
    const wallet = await bed.balance(t.ownerToken);
    await withdraw(t).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [withdrawn(t, 60n * USDC, 40n * USDC)]);
    assert.equal(await bed.balance(t.ownerToken), wallet + 60n * USDC);
    team = await bed.team(t.owner.publicKey);
    assert.equal(team.pendingWithdrawal, 0n);
    assert.equal(team.withdrawalUnlockAt, 0n);
    assert.equal(team.totalWithdrawn, 60n * USDC);
    await expectError(withdraw(t).rpc(), "NoPendingWithdrawal", bed.outsider);
  });

  it("refuses a withdrawal nobody requested (NoPendingWithdrawal)", async () => {
    const t = await openTeam(bed, { deposit: 10n * USDC });
    await expectError(withdraw(t).rpc(), "NoPendingWithdrawal", bed.outsider);
  });

  it("cancels with amount 0, after which there is nothing to withdraw or cancel", async () => {
    const t = await openTeam(bed, { deposit: 10n * USDC });
    await request(t, 5n * USDC).rpc();
    await request(t, 0n).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [requested(t, 0n, 0n)]);
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.pendingWithdrawal, 0n);
    assert.equal(team.withdrawalUnlockAt, 0n);
    advanceClock(bed.svm, notice);
    await expectError(withdraw(t).rpc(), "NoPendingWithdrawal", bed.outsider);
    await expectError(request(t, 0n).rpc(), "NoPendingWithdrawal", bed.outsider);
  });

  it("replaces a pending request and restarts the notice", async () => {
    const t = await openTeam(bed, { deposit: 10n * USDC });
    await request(t, 5n * USDC).rpc();
    advanceClock(bed.svm, notice - 10n);
    await request(t, 7n * USDC).rpc();
    const unlockAt = now(bed.svm) + notice;
    advanceClock(bed.svm, 10n);
    await expectError(withdraw(t).rpc(), "WithdrawalNotReady", bed.outsider);
    warpTo(bed.svm, unlockAt);
    await withdraw(t).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId)[0], withdrawn(t, 7n * USDC, 3n * USDC));
  });

  it("refuses a request above the vault less the debt, up to u64::MAX (InsufficientFunds)", async () => {
    const t = await openTeam(bed, { deposit: 30n * USDC });
    await expectError(request(t, 30n * USDC + 1n).rpc(), "InsufficientFunds", bed.outsider);
    await expectError(request(t, U64_MAX).rpc(), "InsufficientFunds", bed.outsider);
    // After a roll the 50 USDC fee leaves 20 USDC of debt and an empty vault.
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    await bed.client.depositFunds({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: 25n * USDC });
    await expectError(request(t, 5n * USDC + 1n).rpc(), "InsufficientFunds", bed.outsider);
    await request(t, 5n * USDC).rpc();
  });

  it("pays out only what the vault holds above debt that arose after the request", async () => {
    const t = await openTeam(bed, { deposit: 60n * USDC });
    await request(t, 60n * USDC).rpc();
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    // 50 USDC base fee paid; 10 left.
    await bed.client.deductUsage({ billingAuthority: bed.billingAuthority, teamOwner: t.owner.publicKey, batchSeq: 1n, requestCount: 11_500n, usageRoot: new Uint8Array(32) });
    // 15 USDC of overage: 10 paid, 5 debt; the vault is empty.
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.unpaidOverage, 5n * USDC);
    await bed.client.depositFunds({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: 8n * USDC });
    advanceClock(bed.svm, notice);
    await withdraw(t).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [withdrawn(t, 3n * USDC, 5n * USDC)]);
    assert.equal((await bed.team(t.owner.publicKey)).pendingWithdrawal, 0n);
  });

  it("completes a withdrawal with nothing available as a zero payout that clears the request", async () => {
    const t = await openTeam(bed, { deposit: 40n * USDC });
    await request(t, 40n * USDC).rpc();
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    advanceClock(bed.svm, notice);
    await withdraw(t).rpc();
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [withdrawn(t, 0n, 0n)]);
    assert.equal((await bed.team(t.owner.publicKey)).pendingWithdrawal, 0n);
  });

  it("lets funds leave while the deployment is paused: request and withdrawal both work", async () => {
    const t = await openTeam(bed, { deposit: 20n * USDC });
    await bed.client.updateConfig({ admin: bed.admin, paused: true });
    try {
      await request(t, 20n * USDC).rpc();
      advanceClock(bed.svm, notice);
      await withdraw(t).rpc();
      assert.equal(await bed.balance(t.vault), 0n);
    } finally {
      await bed.client.updateConfig({ admin: bed.admin, paused: false });
    }
  });

  it("lets funds leave without the operator: the billing authority replaced changes nothing", async () => {
    const t = await openTeam(bed, { deposit: 20n * USDC });
    await request(t, 20n * USDC).rpc();
    await bed.client.updateConfig({ admin: bed.admin, billingAuthority: Keypair.generate().publicKey });
    try {
      advanceClock(bed.svm, notice);
      await withdraw(t).rpc();
      assert.equal(await bed.balance(t.vault), 0n);
    } finally {
      await bed.client.updateConfig({ admin: bed.admin, billingAuthority: bed.billingAuthority.publicKey });
    }
  });

  it("refuses the owner's key without its signature, on both instructions", async () => {
    const t = await openTeam(bed, { deposit: 20n * USDC });
    await expectError(sendAsOutsider(bed, [withoutSigner(await request(t, USDC).instruction(), t.owner.publicKey)]), "AccountNotSigner", bed.outsider);
    await request(t, USDC).rpc();
    advanceClock(bed.svm, notice);
    await expectError(sendAsOutsider(bed, [withoutSigner(await withdraw(t).instruction(), t.owner.publicKey)]), "AccountNotSigner", bed.outsider);
  });

  it("refuses another wallet acting on the owner's team, on both instructions (ConstraintSeeds)", async () => {
    const t = await openTeam(bed, { deposit: 20n * USDC });
    const thief = Keypair.generate();
    const thiefToken = await tokenAccount(bed, bed.usdcMint, thief.publicKey);
    await expectError(request(t, USDC, { owner: thief.publicKey }, thief).rpc(), "ConstraintSeeds", bed.outsider);
    await request(t, 20n * USDC).rpc();
    advanceClock(bed.svm, notice);
    await expectError(withdraw(t, { owner: thief.publicKey, ownerToken: thiefToken }, thief).rpc(), "ConstraintSeeds", bed.outsider);
    const other = await openTeam(bed);
    await expectError(withdraw(t, { owner: other.owner.publicKey, ownerToken: other.ownerToken }, other.owner).rpc(), "ConstraintSeeds", bed.outsider);
    assert.equal(await bed.balance(t.vault), 20n * USDC);
  });

  const requestForged: { name: string; expected: Expected; accounts: (t: TeamFixture) => Promise<Partial<ReturnType<typeof requestAccounts>>> }[] = [
    { name: "a richer vault of another team (to lift the limit)", expected: "InvalidVault", accounts: async () => ({ vault: (await openTeam(bed, { deposit: 900n * USDC })).vault }) },
    { name: "a rich token account of someone else as the vault", expected: "InvalidVault", accounts: async () => ({ vault: await tokenAccount(bed, bed.usdcMint, Keypair.generate().publicKey, 900n * USDC) }) },
    { name: "a copy of the team owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async (t) => ({ team: cloneAccount(bed.svm, t.team, FOREIGN_PROGRAM) }) },
    { name: "a copy of the config owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async () => ({ config: cloneAccount(bed.svm, bed.configAddress, FOREIGN_PROGRAM) }) },
    { name: "the team as the config", expected: "AccountDiscriminatorMismatch", accounts: async (t) => ({ config: t.team }) },
    { name: "the config as the team", expected: "AccountDiscriminatorMismatch", accounts: async () => ({ team: bed.configAddress }) },
  ];
  for (const f of requestForged) {
    it(`request_withdrawal refuses ${f.name} (${String(f.expected)})`, async () => {
      const t = await openTeam(bed, { deposit: 20n * USDC });
      await expectError(request(t, 500n * USDC, await f.accounts(t)).rpc(), f.expected, bed.outsider);
      assert.equal((await bed.team(t.owner.publicKey)).pendingWithdrawal, 0n);
    });
  }

  it("request_withdrawal refuses the team passed read-only (ConstraintMut)", async () => {
    const t = await openTeam(bed, { deposit: 20n * USDC });
    await expectError(sendAsOutsider(bed, [readonlyAt(await request(t, USDC).instruction(), 2)], [t.owner]), "ConstraintMut", bed.outsider);
  });

  const withdrawForged: { name: string; expected: Expected; accounts: (t: TeamFixture) => Promise<Partial<ReturnType<typeof withdrawAccounts>>> }[] = [
    { name: "a destination owned by someone else", expected: "ConstraintTokenOwner", accounts: async () => ({ ownerToken: await tokenAccount(bed, bed.usdcMint, Keypair.generate().publicKey) }) },
    { name: "the vault itself as the destination", expected: "ConstraintTokenOwner", accounts: async (t) => ({ ownerToken: t.vault }) },
    { name: "the treasury as the destination", expected: "ConstraintTokenOwner", accounts: async () => ({ ownerToken: bed.treasury }) },
    { name: "a destination of another mint", expected: "InvalidMint", accounts: async (t) => ({ ownerToken: await tokenAccount(bed, bed.otherMint, t.owner.publicKey) }) },
    { name: "a destination that is not a token account", expected: "AccountOwnedByWrongProgram", accounts: async (t) => ({ ownerToken: t.team }) },
    { name: "another team's vault", expected: "InvalidVault", accounts: async () => ({ vault: (await openTeam(bed, { deposit: 900n * USDC })).vault }) },
    { name: "a token account of the mint owned by someone else as the vault", expected: "InvalidVault", accounts: async () => ({ vault: await tokenAccount(bed, bed.usdcMint, Keypair.generate().publicKey, 900n * USDC) }) },
    { name: "a copy of the team owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async (t) => ({ team: cloneAccount(bed.svm, t.team, FOREIGN_PROGRAM) }) },
    { name: "a copy of the config owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async () => ({ config: cloneAccount(bed.svm, bed.configAddress, FOREIGN_PROGRAM) }) },
    { name: "the team as the config", expected: "AccountDiscriminatorMismatch", accounts: async (t) => ({ config: t.team }) },
    { name: "Token-2022 as the token program", expected: "InvalidProgramId", accounts: async () => ({ tokenProgram: TOKEN_2022_PROGRAM_ID }) },
  ];
  for (const f of withdrawForged) {
    it(`withdraw_unused refuses ${f.name} (${String(f.expected)}) and moves nothing`, async () => {
      const t = await openTeam(bed, { deposit: 20n * USDC });
      await request(t, 20n * USDC).rpc();
      advanceClock(bed.svm, notice);
      await expectError(withdraw(t, await f.accounts(t)).rpc(), f.expected, bed.outsider);
      assert.equal(await bed.balance(t.vault), 20n * USDC);
      assert.equal((await bed.team(t.owner.publicKey)).pendingWithdrawal, 20n * USDC);
    });
  }

  const readonly: [string, number][] = [["owner_token", 1], ["team", 3], ["vault", 4]];
  for (const [name, index] of readonly) {
    it(`withdraw_unused refuses the ${name} passed read-only (ConstraintMut)`, async () => {
      const t = await openTeam(bed, { deposit: 20n * USDC });
      await request(t, 20n * USDC).rpc();
      advanceClock(bed.svm, notice);
      await expectError(sendAsOutsider(bed, [readonlyAt(await withdraw(t).instruction(), index)], [t.owner]), "ConstraintMut", bed.outsider);
    });
  }
});
