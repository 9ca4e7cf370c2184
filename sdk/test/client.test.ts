import assert from "node:assert/strict";
import { Keypair } from "@solana/web3.js";
import { initializeDeployment, type Deployment } from "../../tests/support";
import {
  IDL_JSON,
  TeamStatus,
  Tier,
  USDC,
  eventsNamed,
  isProgramError,
  parseEvents,
  usageRoot,
  type PrepaidBillingClient,
} from "../src";

type IdlAccount = { name: string; writable?: boolean; signer?: boolean };

/** The account flags the IDL declares for `instruction`, in order. */
function declared(instruction: string): { writable: boolean; signer: boolean }[] {
  const ix = IDL_JSON.instructions.find((i) => i.name === instruction);
  assert.ok(ix, instruction);
  return (ix.accounts as IdlAccount[]).map((a) => ({ writable: a.writable === true, signer: a.signer === true }));
}

describe("PrepaidBillingClient", () => {
  let d: Deployment;
  let client: PrepaidBillingClient;
  before(async () => {
    d = await initializeDeployment();
    client = d.client;
  });

  it("builds every instruction with the contract's accounts in order, PDAs filled", async () => {
    const owner = Keypair.generate().publicKey;
    const s = d.settlement;
    const built = {
      initialize_config: await client.initializeConfigIx({ admin: d.admin.publicKey, usdcMint: d.usdcMint, treasury: s.treasury, stakerPool: s.stakerPool, billingAuthority: d.billingAuthority.publicKey }),
      update_config: await client.updateConfigIx({ admin: d.admin.publicKey }),
      create_team_account: await client.createTeamAccountIx({ owner, tier: 0, usdcMint: d.usdcMint }),
      deposit_funds: await client.depositFundsIx({ depositor: owner, depositorToken: owner, teamOwner: owner, amount: 1n }),
      roll_period: await client.rollPeriodIx({ teamOwner: owner, settlement: s }),
      deduct_usage: await client.deductUsageIx({ billingAuthority: d.billingAuthority.publicKey, teamOwner: owner, batchSeq: 1n, requestCount: 1n, usageRoot: new Uint8Array(32), settlement: s }),
      update_tier: await client.updateTierIx({ authority: owner, teamOwner: owner, newTier: 1, settlement: s }),
      set_team_limits: await client.setTeamLimitsIx({ owner, lowBalanceThreshold: 0n, spendCap: 0n }),
      request_withdrawal: await client.requestWithdrawalIx({ owner, amount: 1n }),
      withdraw_unused: await client.withdrawUnusedIx({ owner, ownerToken: owner }),
      close_team_account: await client.closeTeamAccountIx({ owner }),
    };
    for (const [name, ix] of Object.entries(built)) {
      assert.ok(ix.programId.equals(d.programId), name);
      assert.deepEqual(ix.keys.map((k) => ({ writable: k.isWritable, signer: k.isSigner })), declared(name), name);
      const discriminator = IDL_JSON.instructions.find((i) => i.name === name)?.discriminator;
      assert.deepEqual([...ix.data.subarray(0, 8)], discriminator, name);
    }
    const team = built.deduct_usage.keys.map((k) => k.pubkey.toBase58());
    assert.deepEqual(team.slice(2, 6), [client.teamAddress(owner), client.vaultAddress(owner), s.treasury, s.stakerPool].map((k) => k.toBase58()));
  });

  it("rejects arguments the program could not receive before sending anything", async () => {
    const owner = Keypair.generate().publicKey;
    await assert.rejects(client.depositFundsIx({ depositor: owner, depositorToken: owner, teamOwner: owner, amount: -1n }), RangeError);
    await assert.rejects(client.deductUsageIx({ billingAuthority: owner, teamOwner: owner, batchSeq: 1n << 64n, requestCount: 1n, usageRoot: new Uint8Array(32), settlement: d.settlement }), RangeError);
    await assert.rejects(client.deductUsageIx({ billingAuthority: owner, teamOwner: owner, batchSeq: 1n, requestCount: 1n, usageRoot: new Uint8Array(31), settlement: d.settlement }), RangeError);
    await assert.rejects(client.createTeamAccountIx({ owner, tier: 256, usdcMint: d.usdcMint }), RangeError);
    await assert.rejects(client.updateConfigIx({ admin: owner, tiers: [] }), RangeError);
  });

  it("sends each instruction and reads the resulting state and events", async () => {
    const t = await d.createTeam({ tier: Tier.Startup, deposit: 300n * USDC });
    const teamOwner = t.owner.publicKey;
    await client.rollPeriod({ teamOwner });
    await client.setTeamLimits({ owner: t.owner, lowBalanceThreshold: 5n * USDC, spendCap: 3n * USDC });
    const sig = await client.deductUsage({ billingAuthority: d.billingAuthority, teamOwner, batchSeq: 1n, requestCount: 10_500n, usageRoot: usageRoot([]) });
    const [deducted] = eventsNamed(await client.eventsOf(sig), "UsageDeducted");
    assert.equal(deducted.amountCharged, 3n * USDC);
    assert.equal(deducted.amountWaived, 2n * USDC);
    await client.updateTier({ authority: t.owner, teamOwner, newTier: Tier.Growth });
    await client.updateTier({ authority: t.owner, teamOwner, newTier: Tier.Startup });
    const team = await client.fetchTeam(teamOwner);
    assert.equal(team.tier, Tier.Growth);
    assert.equal(team.pendingTier, Tier.Startup);
    assert.equal(team.spendCap, 3n * USDC);
    assert.equal(team.lastBatchSeq, 1n);
    assert.equal(team.status, TeamStatus.Active);
    await client.requestWithdrawal({ owner: t.owner, amount: 1n });
    await client.requestWithdrawal({ owner: t.owner, amount: 0n });
    assert.equal((await client.fetchTeam(teamOwner)).pendingWithdrawal, 0n);
  });

  it("settles many teams in one transaction with deductUsageIxs and reports a replay as BatchAlreadySettled", async () => {
    const teams = [await d.createTeam({ deposit: 20n * USDC }), await d.createTeam({ deposit: 20n * USDC }), await d.createTeam({ deposit: 20n * USDC })];
    const batches = teams.map((t) => ({ teamOwner: t.owner.publicKey, batchSeq: 1n, requestCount: 10_001n, usageRoot: new Uint8Array(32).fill(7) }));
    const ixs = await client.deductUsageIxs(d.billingAuthority, batches);
    await client.send(ixs, [d.billingAuthority]);
    const events = eventsNamed(parseEvents(d.provider.lastTransaction?.logs ?? [], d.programId), "UsageDeducted");
    assert.deepEqual(events.map((e) => e.team), teams.map((t) => t.team.toBase58()));
    assert.ok(events.every((e) => e.amountPaid === 10_000n));
    const states = await client.fetchTeams([...teams.map((t) => t.owner.publicKey), Keypair.generate().publicKey]);
    assert.deepEqual(states.map((s) => s?.lastBatchSeq ?? null), [1n, 1n, 1n, null]);
    await assert.rejects(client.deductUsage({ ...batches[0], billingAuthority: d.billingAuthority }), (err: unknown) => isProgramError(err, "BatchAlreadySettled"));
    assert.deepEqual(await client.deductUsageIxs(d.billingAuthority, []), []);
  });

  it("settles a batch whatever bytes its usage root holds, and reports the root back", async () => {
    const t = await d.createTeam({ deposit: 50n * USDC });
    const firstBytes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 128, 255];
    for (const [i, b] of firstBytes.entries()) {
      const root = Uint8Array.from({ length: 32 }, (_, j) => (j === 0 ? b : (j * 37 + i) & 0xff));
      const sig = await client.deductUsage({ billingAuthority: d.billingAuthority, teamOwner: t.owner.publicKey, batchSeq: BigInt(i + 1), requestCount: 1n, usageRoot: root });
      const [e] = eventsNamed(await client.eventsOf(sig), "UsageDeducted");
      assert.equal(e?.usageRoot, Buffer.from(root).toString("hex"), `root starting with ${b}`);
    }
    assert.equal((await client.fetchTeam(t.owner.publicKey)).lastBatchSeq, BigInt(firstBytes.length));
  });

  it("updates the config, pausing deposits and moving the treasury", async () => {
    const t = await d.createTeam();
    await client.updateConfig({ admin: d.admin, paused: true });
    assert.equal((await client.fetchConfig()).paused, true);
    await assert.rejects(client.depositFunds({ depositor: t.owner, depositorToken: t.ownerToken, teamOwner: t.owner.publicKey, amount: 1n }), (err: unknown) => isProgramError(err, "Paused"));
    await client.updateConfig({ admin: d.admin, paused: false });
    const newTreasury = await d.fundWallet(Keypair.generate().publicKey, 0n);
    await client.updateConfig({ admin: d.admin, treasury: newTreasury });
    assert.ok((await client.fetchConfig()).treasury.equals(newTreasury));
    await client.updateConfig({ admin: d.admin, treasury: d.treasury });
  });

  it("closes an empty team account and its vault, returning the rent to the owner", async () => {
    const t = await d.createTeam();
    const before = d.provider.lamports(t.owner.publicKey);
    await client.closeTeamAccount({ owner: t.owner });
    assert.ok(d.provider.lamports(t.owner.publicKey) > before);
    assert.equal(await client.fetchTeamOrNull(t.owner.publicKey), null);
    assert.equal(await d.provider.connection.getAccountInfo(t.vault), null);
  });
});
