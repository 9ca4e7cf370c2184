// create_team_account, set_team_limits and close_team_account: opening a team and its vault at their
// PDAs, the owner's limits, and closing an empty, debt-free team with the rent going back to the owner.
import assert from "node:assert/strict";
import { TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID, unpackAccount } from "@solana/spl-token";
import { Keypair, PublicKey, SystemProgram, Transaction } from "@solana/web3.js";
import {
  DEFAULT_LOW_BALANCE_THRESHOLD,
  NO_PENDING_TIER,
  TeamStatus,
  Tier,
  U64_MAX,
  USDC,
  teamPda,
  vaultPda,
} from "../../sdk/src";
import { advanceClock, now, transfer } from "../support";
import {
  FOREIGN_PROGRAM,
  assertConserved,
  bn,
  closeAccounts,
  cloneAccount,
  createBed,
  createTeamAccounts,
  lastEvents,
  limitsAccounts,
  openTeam,
  readonlyAt,
  sendAsOutsider,
  tokenAccount,
  withoutSigner,
  type TestBed,
} from "./support/bed";
import { expectError, type Expected } from "./support/expect";

describe("create_team_account", () => {
  let bed: TestBed;
  before(async () => {
    bed = await createBed();
  });
  afterEach(async () => {
    await assertConserved(bed);
  });

  function newOwner(): Keypair {
    const owner = Keypair.generate();
    bed.provider.airdrop(owner.publicKey, 1_000_000_000n);
    return owner;
  }

  const create = (owner: Keypair, tier: number, accounts: Partial<ReturnType<typeof createTeamAccounts>> = {}) =>
    bed.program.methods.createTeamAccount(tier).accountsStrict({ ...createTeamAccounts(bed, owner.publicKey), ...accounts }).signers([owner]);

  for (const tier of [Tier.Startup, Tier.Growth, Tier.Enterprise]) {
    it(`opens a tier ${tier} team and its vault at their PDAs, paid by the owner, and emits TeamAccountCreated`, async () => {
      const owner = newOwner();
      const lamportsBefore = bed.provider.lamports(owner.publicKey);
      await create(owner, tier).rpc();
      const at = now(bed.svm);
      const team = await bed.team(owner.publicKey);
      const { address: teamAddress, bump } = teamPda(owner.publicKey, bed.programId);
      const { address: vault, bump: vaultBump } = vaultPda(owner.publicKey, bed.programId);
      assert.deepEqual(team, {
        owner: owner.publicKey,
        vault,
        tier,
        pendingTier: NO_PENDING_TIER,
        status: TeamStatus.Active,
        periodStart: at,
        periodEnd: at + bed.config.periodSecs,
        baseFeePaid: false,
        periodRequests: 0n,
        periodOverageSpend: 0n,
        spendCap: 0n,
        lowBalanceThreshold: DEFAULT_LOW_BALANCE_THRESHOLD,
        lowBalanceAlerted: false,
        lastBatchSeq: 0n,
        unpaidBaseFee: 0n,
        unpaidOverage: 0n,
        pendingWithdrawal: 0n,
        withdrawalUnlockAt: 0n,
        totalDeposited: 0n,
        totalWithdrawn: 0n,
        totalSpent: 0n,
        bump,
        vaultBump,
      });
      const vaultInfo = await bed.outsider.connection.getAccountInfo(vault);
      assert.ok(vaultInfo);
      const token = unpackAccount(vault, vaultInfo, TOKEN_PROGRAM_ID);
      assert.ok(token.mint.equals(bed.usdcMint));
      assert.ok(token.owner.equals(teamAddress), "the team PDA is the vault's authority");
      assert.equal(token.amount, 0n);
      const teamInfo = await bed.outsider.connection.getAccountInfo(teamAddress);
      assert.ok(teamInfo && teamInfo.owner.equals(bed.programId));
      const rent = BigInt(teamInfo.lamports + vaultInfo.lamports);
      assert.equal(bed.provider.lamports(owner.publicKey), lamportsBefore - rent, "the owner paid both rents and nothing else");
      assert.deepEqual(lastEvents(bed.outsider, bed.programId), [
        { name: "TeamAccountCreated", data: { team: teamAddress.toBase58(), owner: owner.publicKey.toBase58(), vault: vault.toBase58(), tier, periodEnd: at + bed.config.periodSecs } },
      ]);
    });
  }

  it("opens a team whose PDAs someone funded beforehand (a lamport transfer cannot block an owner)", async () => {
    const owner = newOwner();
    const team = bed.client.teamAddress(owner.publicKey);
    const vault = bed.client.vaultAddress(owner.publicKey);
    const griefer = Keypair.generate();
    bed.provider.airdrop(griefer.publicKey, 1_000_000_000n);
    // Less than its rent to the team address (a system account needs ~0.00089 SOL to exist), more than
    // its rent to the vault address.
    await bed.provider.sendAndConfirm(
      new Transaction().add(
        SystemProgram.transfer({ fromPubkey: griefer.publicKey, toPubkey: team, lamports: 1_000_000 }),
        SystemProgram.transfer({ fromPubkey: griefer.publicKey, toPubkey: vault, lamports: 50_000_000 }),
      ),
      [griefer],
    );
    await create(owner, Tier.Growth).rpc();
    const opened = await bed.team(owner.publicKey);
    assert.equal(opened.tier, Tier.Growth);
    assert.ok(opened.vault.equals(vault));
    const vaultInfo = await bed.outsider.connection.getAccountInfo(vault);
    assert.ok(vaultInfo && vaultInfo.owner.equals(TOKEN_PROGRAM_ID));
    assert.ok(unpackAccount(vault, vaultInfo, TOKEN_PROGRAM_ID).owner.equals(team));
    const teamInfo = await bed.outsider.connection.getAccountInfo(team);
    assert.ok(teamInfo && teamInfo.owner.equals(bed.programId));
    assert.ok(BigInt(teamInfo.lamports) >= bed.svm.minimumBalanceForRentExemption(BigInt(teamInfo.data.length)), "rent-exempt");
    await bed.client.depositFunds({ depositor: owner, depositorToken: await tokenAccount(bed, bed.usdcMint, owner.publicKey, USDC), teamOwner: owner.publicKey, amount: USDC });
    assert.equal(await bed.balance(vault), USDC);
  });

  it("refuses tiers beyond Enterprise, up to u8::MAX", async () => {
    for (const tier of [3, 4, 254, 255]) await expectError(create(newOwner(), tier).rpc(), "InvalidTier", bed.outsider);
  });

  it("refuses a second team for the same owner (the system program finds the PDA in use)", async () => {
    const owner = newOwner();
    await create(owner, Tier.Startup).rpc();
    await expectError(create(owner, Tier.Growth).rpc(), { system: 0 }, bed.outsider);
    assert.equal((await bed.team(owner.publicKey)).tier, Tier.Startup);
  });

  it("refuses an owner that did not sign", async () => {
    const owner = newOwner();
    const ix = withoutSigner(await create(owner, 0).instruction(), owner.publicKey);
    await expectError(sendAsOutsider(bed, [ix]), "AccountNotSigner", bed.outsider);
  });

  it("refuses an owner passed read-only (it pays the rent)", async () => {
    const owner = newOwner();
    const ix = readonlyAt(await create(owner, 0).instruction(), 0);
    await expectError(sendAsOutsider(bed, [ix], [owner]), "ConstraintMut", bed.outsider);
  });

  const forged: { name: string; expected: Expected; accounts: (owner: Keypair) => Promise<Partial<ReturnType<typeof createTeamAccounts>>> }[] = [
    { name: "a team address of another owner", expected: "ConstraintSeeds", accounts: async () => ({ team: bed.client.teamAddress(Keypair.generate().publicKey) }) },
    { name: "a vault address of another owner", expected: "ConstraintSeeds", accounts: async () => ({ vault: bed.client.vaultAddress(Keypair.generate().publicKey) }) },
    { name: "the team and vault addresses swapped", expected: "ConstraintSeeds", accounts: async (o) => ({ team: bed.client.vaultAddress(o.publicKey), vault: bed.client.teamAddress(o.publicKey) }) },
    { name: "another mint", expected: "InvalidMint", accounts: async () => ({ usdcMint: bed.otherMint }) },
    { name: "a token account in the mint's place", expected: "InvalidMint", accounts: async () => ({ usdcMint: bed.treasury }) },
    { name: "a copy of the config owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async () => ({ config: cloneAccount(bed.svm, bed.configAddress, FOREIGN_PROGRAM) }) },
    { name: "an empty address as the config", expected: "AccountNotInitialized", accounts: async () => ({ config: Keypair.generate().publicKey }) },
    { name: "a team account as the config", expected: "AccountDiscriminatorMismatch", accounts: async () => ({ config: (await openTeam(bed)).team }) },
    { name: "Token-2022 as the token program", expected: "InvalidProgramId", accounts: async () => ({ tokenProgram: TOKEN_2022_PROGRAM_ID }) },
    { name: "the system program as the token program", expected: "InvalidProgramId", accounts: async () => ({ tokenProgram: SystemProgram.programId }) },
    { name: "the token program as the system program", expected: "InvalidProgramId", accounts: async () => ({ systemProgram: TOKEN_PROGRAM_ID }) },
  ];
  for (const f of forged) {
    it(`refuses ${f.name} (${typeof f.expected === "string" ? f.expected : JSON.stringify(f.expected)})`, async () => {
      const owner = newOwner();
      await expectError(create(owner, Tier.Startup, await f.accounts(owner)).rpc(), f.expected, bed.outsider);
      assert.equal(await bed.client.fetchTeamOrNull(owner.publicKey), null, "no team was opened");
    });
  }
});

describe("set_team_limits", () => {
  let bed: TestBed;
  before(async () => {
    bed = await createBed();
  });
  afterEach(async () => {
    await assertConserved(bed);
  });

  const limits = (owner: Keypair, threshold: bigint, cap: bigint, accounts: { owner?: PublicKey; team?: PublicKey } = {}) =>
    bed.program.methods.setTeamLimits(bn(threshold), bn(cap)).accountsStrict({ owner: owner.publicKey, team: bed.client.teamAddress(owner.publicKey), ...accounts }).signers([owner]);

  it("stores the threshold and the cap, from zero up to u64::MAX, changing nothing else", async () => {
    const t = await openTeam(bed, { deposit: 20n * USDC });
    const before = await bed.team(t.owner.publicKey);
    for (const [threshold, cap] of [[5n * USDC, 3n * USDC], [0n, 0n], [U64_MAX, U64_MAX], [1n, U64_MAX], [U64_MAX, 0n]] as const) {
      await limits(t.owner, threshold, cap).rpc();
      assert.deepEqual(await bed.team(t.owner.publicKey), { ...before, lowBalanceThreshold: threshold, spendCap: cap });
      assert.deepEqual(lastEvents(bed.outsider, bed.programId), []);
    }
  });

  it("refuses an owner that did not sign", async () => {
    const t = await openTeam(bed);
    const ix = withoutSigner(await limits(t.owner, 1n, 1n).instruction(), t.owner.publicKey);
    await expectError(sendAsOutsider(bed, [ix]), "AccountNotSigner", bed.outsider);
  });

  it("refuses another wallet's signature on the owner's team (another owner's team)", async () => {
    const t = await openTeam(bed);
    const other = await openTeam(bed);
    await expectError(limits(other.owner, 1n, 1n, { team: t.team }).rpc(), "ConstraintSeeds", bed.outsider);
    const stranger = Keypair.generate();
    await expectError(limits(stranger, 1n, 1n, { team: t.team }).rpc(), "ConstraintSeeds", bed.outsider);
    assert.equal((await bed.team(t.owner.publicKey)).spendCap, 0n);
  });

  it("refuses the team passed read-only", async () => {
    const t = await openTeam(bed);
    const ix = readonlyAt(await limits(t.owner, 1n, 1n).instruction(), 1);
    await expectError(sendAsOutsider(bed, [ix], [t.owner]), "ConstraintMut", bed.outsider);
  });

  it("refuses a copy of the team owned by another program", async () => {
    const t = await openTeam(bed);
    await expectError(limits(t.owner, 1n, 1n, { team: cloneAccount(bed.svm, t.team, FOREIGN_PROGRAM) }).rpc(), "AccountOwnedByWrongProgram", bed.outsider);
  });

  it("refuses the config or an empty address in the team's place", async () => {
    const t = await openTeam(bed);
    await expectError(limits(t.owner, 1n, 1n, { team: bed.configAddress }).rpc(), "AccountDiscriminatorMismatch", bed.outsider);
    await expectError(limits(t.owner, 1n, 1n, { team: Keypair.generate().publicKey }).rpc(), "AccountNotInitialized", bed.outsider);
  });
});

describe("close_team_account", () => {
  let bed: TestBed;
  before(async () => {
    bed = await createBed();
  });
  afterEach(async () => {
    await assertConserved(bed);
  });

  const close = (owner: Keypair, accounts: Partial<ReturnType<typeof closeAccounts>> = {}) =>
    bed.program.methods
      .closeTeamAccount()
      .accountsStrict({ owner: owner.publicKey, team: bed.client.teamAddress(owner.publicKey), vault: bed.client.vaultAddress(owner.publicKey), tokenProgram: TOKEN_PROGRAM_ID, ...accounts })
      .signers([owner]);

  it("closes an empty, debt-free team and its vault, returning both rents to the owner", async () => {
    const t = await openTeam(bed, { deposit: 100n * USDC });
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    await bed.client.requestWithdrawal({ owner: t.owner, amount: 50n * USDC });
    advanceClock(bed.svm, 900n);
    await bed.client.withdrawUnused({ owner: t.owner, ownerToken: t.ownerToken });
    assert.equal(await bed.balance(t.vault), 0n);
    const rent = bed.provider.lamports(t.team) + bed.provider.lamports(t.vault);
    const before = bed.provider.lamports(t.owner.publicKey);
    await close(t.owner).rpc();
    assert.equal(bed.provider.lamports(t.owner.publicKey), before + rent);
    assert.equal(await bed.outsider.connection.getAccountInfo(t.team), null);
    assert.equal(await bed.outsider.connection.getAccountInfo(t.vault), null);
    assert.deepEqual(lastEvents(bed.outsider, bed.programId), []);
    assert.equal(await bed.balance(t.ownerToken), 950n * USDC);
  });

  it("lets the owner open a team again after closing one", async () => {
    const t = await openTeam(bed);
    await close(t.owner).rpc();
    await bed.client.createTeamAccount({ owner: t.owner, tier: Tier.Growth, usdcMint: bed.usdcMint });
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.tier, Tier.Growth);
    assert.equal(team.totalDeposited, 0n);
  });

  it("refuses a vault that still holds funds (TeamNotEmpty)", async () => {
    const t = await openTeam(bed, { deposit: 1n });
    await expectError(close(t.owner).rpc(), "TeamNotEmpty", bed.outsider);
    assert.ok(await bed.outsider.connection.getAccountInfo(t.team));
  });

  it("refuses a team with unpaid debt, even with an empty vault (OutstandingDebt)", async () => {
    const t = await openTeam(bed);
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    const team = await bed.team(t.owner.publicKey);
    assert.equal(team.unpaidBaseFee, 50n * USDC);
    await expectError(close(t.owner).rpc(), "OutstandingDebt", bed.outsider);
  });

  it("refuses an owner that did not sign", async () => {
    const t = await openTeam(bed);
    const ix = withoutSigner(await close(t.owner).instruction(), t.owner.publicKey);
    await expectError(sendAsOutsider(bed, [ix]), "AccountNotSigner", bed.outsider);
  });

  it("refuses an owner passed read-only (it receives the rent)", async () => {
    const t = await openTeam(bed);
    const ix = readonlyAt(await close(t.owner).instruction(), 0);
    await expectError(sendAsOutsider(bed, [ix], [t.owner]), "ConstraintMut", bed.outsider);
  });

  const forged: { name: string; expected: Expected; accounts: (t: Awaited<ReturnType<typeof openTeam>>) => Promise<Partial<ReturnType<typeof closeAccounts>>> }[] = [
    { name: "another owner's team and vault", expected: "ConstraintSeeds", accounts: async () => { const o = await openTeam(bed); return { team: o.team, vault: o.vault }; } },
    { name: "another team's vault", expected: "InvalidVault", accounts: async () => ({ vault: (await openTeam(bed)).vault }) },
    { name: "a token account of the owner in the vault's place", expected: "InvalidVault", accounts: async (t) => ({ vault: t.ownerToken }) },
    { name: "a copy of the team owned by another program", expected: "AccountOwnedByWrongProgram", accounts: async (t) => ({ team: cloneAccount(bed.svm, t.team, FOREIGN_PROGRAM) }) },
    { name: "Token-2022 as the token program", expected: "InvalidProgramId", accounts: async () => ({ tokenProgram: TOKEN_2022_PROGRAM_ID }) },
  ];
  for (const f of forged) {
    it(`refuses ${f.name} (${String(f.expected)})`, async () => {
      const t = await openTeam(bed);
      await expectError(close(t.owner, await f.accounts(t)).rpc(), f.expected, bed.outsider);
      assert.ok(await bed.outsider.connection.getAccountInfo(t.team), "the team is still open");
    });
  }

  it("refuses to close with a non-empty vault even when the tokens arrived by a direct transfer", async () => {
    const t = await openTeam(bed);
    const gift = await tokenAccount(bed, bed.usdcMint, t.owner.publicKey, 3n);
    // The vault now holds more than its books say until the team is closed: no per-step book check.
    bed.checkEveryTransaction = false;
    try {
      await transfer(bed.provider, gift, t.vault, t.owner, 3n);
      await expectError(close(t.owner).rpc(), "TeamNotEmpty", bed.outsider);
      await bed.client.requestWithdrawal({ owner: t.owner, amount: 3n });
      advanceClock(bed.svm, 900n);
      await bed.client.withdrawUnused({ owner: t.owner, ownerToken: t.ownerToken });
      const team = await bed.team(t.owner.publicKey);
      assert.equal(team.totalWithdrawn, 3n);
      assert.equal(await bed.balance(t.vault), 0n);
      await close(t.owner).rpc();
    } finally {
      bed.checkEveryTransaction = true;
    }
  });
});
