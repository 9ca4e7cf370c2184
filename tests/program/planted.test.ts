// Accounts of the right layout and owner at the wrong address. The contract validates every account by
// its PDA derivation (with the stored bump), not only by owner and discriminator, so a BillingConfig or
// TeamBillingAccount that is not at its PDA must fail with ConstraintSeeds (2006), the code Anchor uses
// for `seeds = […], bump = …` — whatever it holds. No transaction can create such an account (only the
// program writes accounts it owns, and it creates them at their PDAs), so each copy is planted directly
// in the SVM: the test stands for every path by which one could ever exist.
import assert from "node:assert/strict";
import { Keypair, type PublicKey } from "@solana/web3.js";
import { Tier, USDC, type BillingConfig, type TeamBillingAccount } from "../../sdk/src";
import { advanceClock, type TeamFixture } from "../support";
import {
  assertConserved,
  bn,
  closeAccounts,
  cloneAccount,
  createBed,
  createTeamAccounts,
  deductAccounts,
  depositAccounts,
  limitsAccounts,
  plantAccount,
  rawData,
  requestAccounts,
  settlementAccounts,
  tierAccounts,
  tokenAccount,
  withdrawAccounts,
  type TestBed,
} from "./support/bed";
import { expectError } from "./support/expect";

type Planted = { config?: PublicKey; team?: PublicKey };

/** What every instruction is called with, given the bed, a funded team and the planted account. */
interface Case {
  instruction: string;
  /** Prepares the team (e.g. a due withdrawal) before the account is copied. */
  prepare?: (bed: TestBed, t: TeamFixture) => Promise<void>;
  send: (bed: TestBed, t: TeamFixture, planted: Planted) => Promise<unknown>;
}

const requestDue = async (bed: TestBed, t: TeamFixture): Promise<void> => {
  await bed.client.requestWithdrawal({ owner: t.owner, amount: 10n * USDC });
  advanceClock(bed.svm, bed.config.withdrawalNoticeSecs);
};

const CONFIG_CASES: Case[] = [
  {
    instruction: "update_config",
    send: (bed, _t, p) =>
      bed.program.methods
        .updateConfig({ newAdmin: null, billingAuthority: null, withdrawalNoticeSecs: null, periodSecs: null, tiers: null, treasury: null, stakerPool: null, paused: true })
        .accountsStrict({ admin: bed.admin.publicKey, config: p.config ?? bed.configAddress })
        .signers([bed.admin])
        .rpc(),
  },
  {
    instruction: "create_team_account",
    send: async (bed, _t, p) => {
      const owner = Keypair.generate();
      bed.provider.airdrop(owner.publicKey, 1_000_000_000n);
      return bed.program.methods.createTeamAccount(Tier.Startup).accountsStrict({ ...createTeamAccounts(bed, owner.publicKey), ...p }).signers([owner]).rpc();
    },
  },
  { instruction: "deposit_funds", send: (bed, t, p) => bed.program.methods.depositFunds(bn(USDC)).accountsStrict({ ...depositAccounts(bed, t), ...p }).signers([t.owner]).rpc() },
  { instruction: "roll_period", send: (bed, t, p) => bed.program.methods.rollPeriod().accountsStrict({ ...settlementAccounts(bed, t), ...p }).rpc() },
  {
    instruction: "deduct_usage",
    send: (bed, t, p) => bed.program.methods.deductUsage(bn(1n), bn(20_000n), Array<number>(32).fill(0)).accountsStrict({ ...deductAccounts(bed, t), ...p }).signers([bed.billingAuthority]).rpc(),
  },
  { instruction: "update_tier", send: (bed, t, p) => bed.program.methods.updateTier(Tier.Growth).accountsStrict({ ...tierAccounts(bed, t), ...p }).signers([t.owner]).rpc() },
  { instruction: "request_withdrawal", send: (bed, t, p) => bed.program.methods.requestWithdrawal(bn(USDC)).accountsStrict({ ...requestAccounts(bed, t), ...p }).signers([t.owner]).rpc() },
  { instruction: "withdraw_unused", prepare: requestDue, send: (bed, t, p) => bed.program.methods.withdrawUnused().accountsStrict({ ...withdrawAccounts(bed, t), ...p }).signers([t.owner]).rpc() },
];

const TEAM_CASES: Case[] = [
  ...CONFIG_CASES.filter((c) => !["update_config", "create_team_account"].includes(c.instruction)),
  { instruction: "set_team_limits", send: (bed, t, p) => bed.program.methods.setTeamLimits(bn(1n), bn(1n)).accountsStrict({ ...limitsAccounts(t), ...p }).signers([t.owner]).rpc() },
  {
    instruction: "close_team_account",
    prepare: async (bed, t) => {
      await requestDue(bed, t);
      await bed.client.withdrawUnused({ owner: t.owner, ownerToken: t.ownerToken });
    },
    send: (bed, t, p) => bed.program.methods.closeTeamAccount().accountsStrict({ ...closeAccounts(t), ...p }).signers([t.owner]).rpc(),
  },
];

/** The program's state and the balances it moves, raw, so that any change shows. */
function snapshot(bed: TestBed, t: TeamFixture): string {
  return [bed.configAddress, t.team, t.vault, bed.treasury, bed.stakerPool].map((k) => rawData(bed, k)).join("/");
}

describe("accounts copied to an address that is not their PDA", () => {
  let bed: TestBed;
  let t: TeamFixture;
  beforeEach(async () => {
    // Each test checks the state itself: a copy the program wrongly accepts would otherwise trip the
    // per-transaction books check first and hide which account check is missing.
    bed = await createBed({ checkEveryTransaction: false });
    t = await bed.createTeam({ deposit: 10n * USDC });
  });

  for (const c of CONFIG_CASES) {
    it(`${c.instruction} refuses a copy of the config (ConstraintSeeds) and changes nothing`, async () => {
      await c.prepare?.(bed, t);
      const before = snapshot(bed, t);
      const fake = cloneAccount(bed.svm, bed.configAddress, bed.programId);
      await expectError(c.send(bed, t, { config: fake }), "ConstraintSeeds", bed.outsider);
      assert.equal(snapshot(bed, t), before);
      await assertConserved(bed);
    });
  }

  for (const c of TEAM_CASES) {
    it(`${c.instruction} refuses a copy of the team (ConstraintSeeds) and changes nothing`, async () => {
      await c.prepare?.(bed, t);
      const before = snapshot(bed, t);
      const fake = cloneAccount(bed.svm, t.team, bed.programId);
      await expectError(c.send(bed, t, { team: fake }), "ConstraintSeeds", bed.outsider);
      assert.equal(snapshot(bed, t), before);
    });
  }

  it("deduct_usage refuses a planted config naming a thief as billing authority, treasury and staker pool, and the victim's vault keeps its funds", async () => {
    await bed.client.rollPeriod({ teamOwner: t.owner.publicKey });
    const vault = await bed.balance(t.vault);
    const thief = Keypair.generate();
    const loot = await tokenAccount(bed, bed.usdcMint, thief.publicKey);
    const fake = await plantAccount(bed, bed.configAddress, "billingConfig", (c: BillingConfig) => ({ ...c, billingAuthority: thief.publicKey, treasury: loot, stakerPool: loot }));
    await expectError(
      bed.program.methods
        .deductUsage(bn(1n), bn(1_000_000n), Array<number>(32).fill(0))
        .accountsStrict({ ...deductAccounts(bed, t), billingAuthority: thief.publicKey, config: fake, treasury: loot, stakerPool: loot })
        .signers([thief])
        .rpc(),
      "ConstraintSeeds",
      bed.outsider,
    );
    assert.equal(await bed.balance(t.vault), vault);
    assert.equal(await bed.balance(loot), 0n);
  });
});

describe("a planted team naming a thief as its owner over a victim's vault", () => {
  it("withdraw_unused refuses it (ConstraintSeeds) and the victim's vault keeps its funds", async () => {
    const bed = await createBed({ checkEveryTransaction: false });
    const victim = await bed.createTeam({ deposit: 100n * USDC });
    const thief = Keypair.generate();
    const loot = await tokenAccount(bed, bed.usdcMint, thief.publicKey);
    const fake = await plantAccount(bed, victim.team, "teamBillingAccount", (team: TeamBillingAccount) => ({
      ...team,
      owner: thief.publicKey,
      pendingWithdrawal: 100n * USDC,
      withdrawalUnlockAt: 0n,
    }));
    await expectError(
      bed.program.methods
        .withdrawUnused()
        .accountsStrict({ ...withdrawAccounts(bed, victim), owner: thief.publicKey, ownerToken: loot, team: fake })
        .signers([thief])
        .rpc(),
      "ConstraintSeeds",
      bed.outsider,
    );
    assert.equal(await bed.balance(victim.vault), 100n * USDC);
    assert.equal(await bed.balance(loot), 0n);
  });
});
