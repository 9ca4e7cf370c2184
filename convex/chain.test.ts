import assert from "node:assert/strict";
import { api } from "./_generated/api";
import type { ChainEventInput } from "./model/chainEventShapes";
import { encodeUsagePage } from "./model/usagePage";
import { as, ChainFeed, newLedger, newSignature, newWallet, rejectsWith, server, snapshot, teamWithRoles, type Ledger } from "./test.setup";

async function linkedTeam(t: Ledger) {
  const f = await teamWithRoles(t);
  const chainTeam = newWallet();
  const vault = newWallet();
  const feed = new ChainFeed(chainTeam);
  await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [feed.created(f.owner, vault)] });
  return { ...f, chainTeam, vault, feed };
}


describe("chain events", () => {
  it("links team.created to the team of its owner and starts its period", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const team = (await t.query(api.teams.get, { auth: as(f.owner), teamId: f.teamId })).team;
    assert.deepEqual([team.chainTeam, team.vault], [f.chainTeam, f.vault]);
    const balance = await t.query(api.chain.getBalance, { auth: as(f.owner), teamId: f.teamId });
    assert.equal(balance?.periodStart, f.feed.blockTime);
    assert.equal(balance?.periodEnd, f.feed.blockTime + 2_592_000);
  });

  it("stores the same event once however often it is sent", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const deposit = f.feed.deposited(20_000_000n, 20_000_000n);
    assert.deepEqual(await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [deposit] }), { inserted: 1, duplicates: 0, unlinked: 0 });
    assert.deepEqual(await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [deposit, deposit] }), { inserted: 0, duplicates: 2, unlinked: 0 });
    const page = await t.query(api.analytics.getBillingHistory, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 10, cursor: null } });
    assert.deepEqual(page.page.map((e) => [e.kind, e.amount]), [["funds.deposited", 20_000_000n]]);
    assert.equal((await t.query(api.chain.getBalance, { auth: as(f.owner), teamId: f.teamId }))?.vaultBalance, 20_000_000n);
  });

  it("keeps the events of one instruction apart by their event index", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const signature = newSignature();
    const events = [
      f.feed.deducted({ batchSeq: 1n, requestCount: 11_000n, amountCharged: 10_000_000n, periodRequests: 11_000n, balanceAfter: 5_000_000n, signature }),
      f.feed.distributed(1, 0n, 10_000_000n, signature, 1),
    ];
    assert.deepEqual(await t.mutation(api.chain.ingestChainEvents, { auth: server, events }), { inserted: 2, duplicates: 0, unlinked: 0 });
  });

  it("stores events of a team account the ledger does not know, unlinked", async () => {
    const t = newLedger();
    const feed = new ChainFeed(newWallet());
    const result = await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [feed.deposited(1n, 1n), feed.created(newWallet(), newWallet())] });
    assert.deepEqual(result, { inserted: 2, duplicates: 0, unlinked: 2 });
  });

  it("never rewinds a balance with an older event or snapshot", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const older = f.feed.deposited(5_000_000n, 5_000_000n);
    const newer = f.feed.deposited(10_000_000n, 15_000_000n);
    await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [newer] });
    await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [older] });
    assert.equal((await t.query(api.chain.getBalance, { auth: as(f.owner), teamId: f.teamId }))?.vaultBalance, 15_000_000n);
    const stale = await t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(older.slot, { vaultBalance: 1n }) });
    assert.deepEqual(stale, { applied: false });
    assert.equal((await t.query(api.chain.getBalance, { auth: as(f.owner), teamId: f.teamId }))?.vaultBalance, 15_000_000n);
  });

  it("settles the recorded batch when its deduction appears on chain", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const root = "cd".repeat(32);
    const record = { requestId: "r1", timestampMs: Date.now(), endpoint: "/v1", userId: "member", units: 1, cost: 0n };
    await t.mutation(api.usage.recordUsageBatch, { auth: server, batchId: "b-1", teamId: f.teamId, batchSeq: 1n, requestCount: 1n, amount: 0n, usageRoot: root, records: [encodeUsagePage([record])] });
    const event = f.feed.deducted({ batchSeq: 1n, requestCount: 1n, amountCharged: 0n, periodRequests: 1n, balanceAfter: 0n, usageRoot: root });
    await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [event] });
    const batch = await t.query(api.usage.getBatchRecords, { auth: as(f.owner), batchId: "b-1" });
    assert.deepEqual([batch.status, batch.signature], ["settled", event.signature]);
    const page = await t.query(api.analytics.getBillingHistory, { auth: as(f.admin), teamId: f.teamId, paginationOpts: { numItems: 10, cursor: null } });
    const deduction = page.page.find((e) => e.kind === "usage.deducted");
    assert.ok(deduction && "batchId" in deduction);
    assert.deepEqual([deduction.batchId, deduction.batchSeq, deduction.requestCount, deduction.usageRoot, deduction.signature], ["b-1", 1n, 1n, root, event.signature]);
  });

  it("tracks withdrawals, tier upgrades and period rolls", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const unlockAt = f.feed.blockTime + 900;
    await t.mutation(api.chain.ingestChainEvents, {
      auth: server,
      events: [f.feed.deposited(100_000_000n, 100_000_000n), f.feed.withdrawalRequested(30_000_000n, unlockAt)],
    });
    let balance = await t.query(api.chain.getBalance, { auth: as(f.owner), teamId: f.teamId });
    assert.deepEqual([balance?.pendingWithdrawal, balance?.withdrawalUnlockAt, balance?.available], [30_000_000n, unlockAt, 70_000_000n]);
    await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [f.feed.withdrawn(f.owner, 30_000_000n, 70_000_000n), f.feed.tierUpdated(0, 1, 1_000_000n)] });
    balance = await t.query(api.chain.getBalance, { auth: as(f.owner), teamId: f.teamId });
    assert.deepEqual([balance?.vaultBalance, balance?.pendingWithdrawal], [70_000_000n, 0n]);
    assert.equal((await t.query(api.teams.get, { auth: as(f.owner), teamId: f.teamId })).team.tier, 1);
    // A downgrade waits for the next period, which the roll then reports.
    await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [f.feed.tierUpdated(1, 0, 0n, f.feed.blockTime + 1000)] });
    assert.equal((await t.query(api.teams.get, { auth: as(f.owner), teamId: f.teamId })).team.tier, 1);
    const next = f.feed.blockTime + 2_592_000;
    await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [f.feed.rolled(next, next + 2_592_000, 50_000_000n, 0)] });
    assert.equal((await t.query(api.teams.get, { auth: as(f.owner), teamId: f.teamId })).team.tier, 0);
    assert.equal((await t.query(api.chain.getBalance, { auth: as(f.owner), teamId: f.teamId }))?.periodStart, next);
  });

  it("marks a team suspended when a deduction leaves debt and active when a snapshot shows it paid", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const event = f.feed.deducted({ batchSeq: 1n, requestCount: 11_000n, amountCharged: 10_000_000n, amountPaid: 4_000_000n, periodRequests: 11_000n, balanceAfter: 0n });
    await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [event] });
    assert.equal((await t.query(api.teams.get, { auth: as(f.owner), teamId: f.teamId })).team.status, "suspended");
    await t.mutation(api.chain.syncBalance, { auth: server, chainTeam: f.chainTeam, ...snapshot(event.slot, { unpaidOverage: 6_000_000n, status: 1 }) });
    assert.equal((await t.query(api.chain.getBalance, { auth: as(f.owner), teamId: f.teamId }))?.debt, 6_000_000n);
    const applied = await t.mutation(api.chain.syncBalance, { auth: server, chainTeam: f.chainTeam, ...snapshot(event.slot + 5, { vaultBalance: 14_000_000n }) });
    assert.deepEqual(applied, { applied: true });
    assert.equal((await t.query(api.teams.get, { auth: as(f.owner), teamId: f.teamId })).team.status, "active");
  });

  it("rejects malformed events and snapshots, and calls without the secret", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const ok = f.feed.deposited(1n, 1n);
    const bad: Array<[string, ChainEventInput]> = [
      ["signature", { ...ok, signature: "abc" }],
      ["negative amount", { ...ok, amount: -1n }],
      ["team address", { ...ok, team: "x" }],
      ["slot", { ...ok, slot: -1 }],
      ["source", f.feed.distributed(4, 0n, 0n)],
      ["paid over charged", f.feed.deducted({ batchSeq: 1n, requestCount: 1n, amountCharged: 1n, amountPaid: 2n, periodRequests: 1n, balanceAfter: 0n })],
      ["root", f.feed.deducted({ batchSeq: 1n, requestCount: 1n, amountCharged: 0n, periodRequests: 1n, balanceAfter: 0n, usageRoot: "zz" })],
      ["tier", f.feed.rolled(1, 2, 0n, 7)],
    ];
    for (const [what, event] of bad) {
      await rejectsWith(t.mutation(api.chain.ingestChainEvents, { auth: server, events: [event] }), "invalid_argument").catch((e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
    }
    await rejectsWith(t.mutation(api.chain.ingestChainEvents, { auth: server, events: Array.from({ length: 501 }, () => ok) }), "invalid_argument");
    await rejectsWith(t.mutation(api.chain.ingestChainEvents, { auth: { secret: "x" }, events: [ok] }), "unauthorized");
    await rejectsWith(t.mutation(api.chain.syncBalance, { auth: { secret: "x" }, teamId: f.teamId, ...snapshot(1) }), "unauthorized");
    await rejectsWith(t.mutation(api.chain.syncBalance, { auth: server, ...snapshot(1) }), "invalid_argument");
    await rejectsWith(t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, chainTeam: f.chainTeam, ...snapshot(1) }), "invalid_argument");
    await rejectsWith(t.mutation(api.chain.syncBalance, { auth: server, chainTeam: newWallet(), ...snapshot(1) }), "not_found");
    await rejectsWith(t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(1, { vaultBalance: -1n }) }), "invalid_argument");
    await rejectsWith(t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(1, { status: 2 }) }), "invalid_argument");
  });

  it("shows the balance to Owners and Admins only", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    assert.ok(await t.query(api.chain.getBalance, { auth: as(f.admin), teamId: f.teamId }));
    await rejectsWith(t.query(api.chain.getBalance, { auth: as(f.member), teamId: f.teamId }), "forbidden");
    await rejectsWith(t.query(api.chain.getBalance, { auth: as(f.outsider), teamId: f.teamId }), "forbidden");
  });
});
