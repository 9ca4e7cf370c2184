// deposit_funds: any wallet moves USDC from its own token account into a team's vault; refused while
// paused, for zero, for amounts that cannot exist, and for every account that is not the team's.
import assert from "node:assert/strict";
import { TOKEN_2022_PROGRAM_ID } from "@solana/spl-token";
import { Keypair, SystemProgram } from "@solana/web3.js";
import { U64_MAX, USDC } from "../../sdk/src";
import {
  FOREIGN_PROGRAM,
  assertConserved,
  bn,
  cloneAccount,
  createBed,
  depositAccounts,
  lastEvents,
  openTeam,
  readonlyAt,
  sendAsOutsider,
  tokenAccount,
  withoutSigner,
  type TestBed,
} from "./support/bed";
import { expectError, type Expected } from "./support/expect";
import type { TeamFixture } from "../support";

describe("deposit_funds", () => {
  let bed: TestBed;
  before(async () => {
    bed = await createBed();
  });
  afterEach(async () => {
    await assertConserved(bed);
  });

  const deposit = (t: TeamFixture, amount: bigint, accounts: Partial<ReturnType<typeof depositAccounts>> = {}, signer: Keypair = t.owner) =>
    bed.program.methods.depositFunds(bn(amount)).accountsStrict({ ...depositAccounts(bed, t), ...accounts }).signers([signer]);

  it("moves the amount from the owner's wallet into the vault, books it and emits FundsDeposited", async () => {
    const t = await openTeam(bed);
    await deposit(t, 40n * USDC).rpc();
    await deposit(t, 2n).rpc();
    assert.equal(await bed.balance(t.vault), 40n * USDC + 2n);
    assert.equal(await bed.balance(t.ownerToken), 960n * USDC - 2n);
    assert.equal((await bed.team(t.owner.publicKey)).totalDeposited, 40n * USDC + 2n);
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
      { name: "FundsDeposited", data: { team: t.team.toBase58(), depositor: t.owner.publicKey.toBase58(), amount: 2n, balanceAfter: 40n * USDC + 2n } },
    ]);
  });

  it("accepts a deposit from any wallet into any team, with that wallet named as the depositor", async () => {
    const t = await openTeam(bed);
    const payer = Keypair.generate();
    const payerToken = await tokenAccount(bed, bed.usdcMint, payer.publicKey, 7n * USDC);
    await deposit(t, 7n * USDC, { depositor: payer.publicKey, depositorToken: payerToken }, payer).rpc();
    assert.equal(await bed.balance(payerToken), 0n);
    assert.equal(await bed.balance(t.vault), 7n * USDC);
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
      { name: "FundsDeposited", data: { team: t.team.toBase58(), depositor: payer.publicKey.toBase58(), amount: 7n * USDC, balanceAfter: 7n * USDC } },
    ]);
  });

  it("refuses zero (InvalidAmount)", async () => {
    const t = await openTeam(bed);
    await expectError(deposit(t, 0n).rpc(), "InvalidAmount", bed.outsider);
  });

  it("refuses u64::MAX into a funded vault (MathOverflow), and into an empty one the token program finds no such funds", async () => {
    const funded = await openTeam(bed, { deposit: 1n });
    await expectError(deposit(funded, U64_MAX).rpc(), "MathOverflow", bed.outsider);
    const empty = await openTeam(bed);
    await expectError(deposit(empty, U64_MAX).rpc(), { token: "InsufficientFunds" }, bed.outsider);
    assert.equal((await bed.team(empty.owner.publicKey)).totalDeposited, 0n, "nothing was booked");
  });

  it("refuses more than the wallet holds (the token program's InsufficientFunds) and books nothing", async () => {
    const t = await openTeam(bed, { walletUsdc: 5n });
    await expectError(deposit(t, 6n).rpc(), { token: "InsufficientFunds" }, bed.outsider);
    assert.equal((await bed.team(t.owner.publicKey)).totalDeposited, 0n);
  });

  it("refuses deposits while the deployment is paused", async () => {
    const t = await openTeam(bed);
    await bed.client.updateConfig({ admin: bed.admin, paused: true });
    try {
      await expectError(deposit(t, USDC).rpc(), "Paused", bed.outsider);
    } finally {
      await bed.client.updateConfig({ admin: bed.admin, paused: false });
    }
    await deposit(t, USDC).rpc();
  });

  it("refuses a depositor that did not sign", async () => {
    const t = await openTeam(bed);
    const ix = withoutSigner(await deposit(t, USDC).instruction(), t.owner.publicKey);
    await expectError(sendAsOutsider(bed, [ix]), "AccountNotSigner", bed.outsider);
  });

  it("refuses a signer that does not own the source account (the token program's OwnerMismatch), booking nothing", async () => {
    const t = await openTeam(bed);
    const thief = Keypair.generate();
    await expectError(deposit(t, USDC, { depositor: thief.publicKey }, thief).rpc(), { token: "OwnerMismatch" }, bed.outsider);
    assert.equal((await bed.team(t.owner.publicKey)).totalDeposited, 0n);
  });

  const readonly: [string, number][] = [["depositor_token", 1], ["team", 3], ["vault", 4]];
  for (const [name, index] of readonly) {
    it(`refuses the ${name} passed read-only (ConstraintMut)`, async () => {
      const t = await openTeam(bed);
      const ix = readonlyAt(await deposit(t, USDC).instruction(), index);
      await expectError(sendAsOutsider(bed, [ix], [t.owner]), "ConstraintMut", bed.outsider);
    });
  }

  const forged: { name: string; expected: Expected; accounts: (t: TeamFixture) => Promise<Partial<ReturnType<typeof depositAccounts>>> }[] = [
    { name: "a source account of another mint", expected: "InvalidMint", accounts: async (t) => ({ depositorToken: await tokenAccount(bed, bed.otherMint, t.owner.publicKey, 10n * USDC) }) },
    { name: "a source that is not a token account", expected: "AccountOwnedByWrongProgram", accounts: async () => ({ depositorToken: bed.configAddress }) },
    { name: "another team's vault with this team", expected: "InvalidVault", accounts: async () => ({ vault: (await openTeam(bed)).vault }) },
    { name: "another owner's team with this team's vault", expected: "InvalidVault", accounts: async () => ({ team: (await openTeam(bed)).team }) },
    { name: "a token account of the mint owned by someone else as the vault", expected: "InvalidVault", accounts: async () => ({ vault: await tokenAccount(bed, bed.usdcMint, Keypair.generate().publicKey) }) },
    { name: "a copy of the team owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async (t) => ({ team: cloneAccount(bed.svm, t.team, FOREIGN_PROGRAM) }) },
    { name: "an empty address as the team", expected: "AccountNotInitialized", accounts: async () => ({ team: Keypair.generate().publicKey }) },
    { name: "the config as the team", expected: "AccountDiscriminatorMismatch", accounts: async () => ({ team: bed.configAddress }) },
    { name: "a copy of the config owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async () => ({ config: cloneAccount(bed.svm, bed.configAddress, FOREIGN_PROGRAM) }) },
    { name: "the team as the config", expected: "AccountDiscriminatorMismatch", accounts: async (t) => ({ config: t.team }) },
    { name: "Token-2022 as the token program", expected: "InvalidProgramId", accounts: async () => ({ tokenProgram: TOKEN_2022_PROGRAM_ID }) },
    { name: "the system program as the token program", expected: "InvalidProgramId", accounts: async () => ({ tokenProgram: SystemProgram.programId }) },
  ];
  for (const f of forged) {
    it(`refuses ${f.name} (${String(f.expected)})`, async () => {
      const t = await openTeam(bed);
      const wallet = await bed.balance(t.ownerToken);
      await expectError(deposit(t, USDC, await f.accounts(t)).rpc(), f.expected, bed.outsider);
      assert.equal(await bed.balance(t.ownerToken), wallet);
      assert.equal(await bed.balance(t.vault), 0n);
    });
  }
});
