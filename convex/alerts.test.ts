import assert from "node:assert/strict";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import type { ChainEventInput } from "./model/chainEventShapes";
import { encodeUsagePage } from "./model/usagePage";
import { as, ChainFeed, newLedger, newWallet, rejectsWith, server, snapshot, teamWithRoles, type Ledger } from "./test.setup";

async function linkedTeam(t: Ledger) {
  const f = await teamWithRoles(t);
  const feed = new ChainFeed(newWallet());
  await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [feed.created(f.owner, newWallet())] });
  return { ...f, feed };
}

async function alertsOf(t: Ledger, owner: string, teamId: Id<"teams">, kind: string) {
  return (await t.query(api.alerts.list, { auth: as(owner), teamId })).filter((a) => a.kind === kind);
}

describe("alerts", () => {
  it("raises the low-balance warning once per crossing below 10 USDC and resolves it on a deposit", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const send = (...events: ChainEventInput[]) => t.mutation(api.chain.ingestChainEvents, { auth: server, events });
    await send(f.feed.deposited(20_000_000n, 20_000_000n));
    assert.equal((await alertsOf(t, f.owner, f.teamId, "balance.warning")).length, 0);
    await send(f.feed.deducted({ batchSeq: 1n, requestCount: 1n, amountCharged: 12_000_000n, periodRequests: 1n, balanceAfter: 8_000_000n }));
    await send(f.feed.deducted({ batchSeq: 2n, requestCount: 1n, amountCharged: 1_000_000n, periodRequests: 2n, balanceAfter: 7_000_000n }));
    assert.deepEqual((await alertsOf(t, f.owner, f.teamId, "balance.warning")).map((a) => a.active), [true]);
    await send(f.feed.deposited(8_000_000n, 15_000_000n));
    assert.deepEqual((await alertsOf(t, f.owner, f.teamId, "balance.warning")).map((a) => a.active), [false]);
    await send(f.feed.deducted({ batchSeq: 3n, requestCount: 1n, amountCharged: 6_000_000n, periodRequests: 3n, balanceAfter: 9_000_000n }));
    assert.deepEqual((await alertsOf(t, f.owner, f.teamId, "balance.warning")).map((a) => a.active), [true, false]);
    assert.equal((await alertsOf(t, f.owner, f.teamId, "balance.critical")).length, 0);
  });

  it("raises the critical alert below 5 USDC, also from a snapshot", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    await t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(f.feed.slot + 1, { vaultBalance: 4_999_999n }) });
    await t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(f.feed.slot + 2, { vaultBalance: 1_000_000n }) });
    const critical = await alertsOf(t, f.owner, f.teamId, "balance.critical");
    assert.deepEqual(critical.map((a) => [a.active, a.severity]), [[true, "critical"]]);
    await t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(f.feed.slot + 3, { vaultBalance: 50_000_000n }) });
    assert.equal((await t.query(api.alerts.list, { auth: as(f.owner), teamId: f.teamId, activeOnly: true })).length, 0);
  });

  it("raises quota alerts at 80, 90 and 100 percent once each and clears them when a new period starts", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const send = (...events: ChainEventInput[]) => t.mutation(api.chain.ingestChainEvents, { auth: server, events });
    await send(f.feed.deposited(500_000_000n, 500_000_000n));
    let seq = 0n;
    const usage = (periodRequests: bigint) => f.feed.deducted({ batchSeq: ++seq, requestCount: 1n, amountCharged: 0n, periodRequests, balanceAfter: 500_000_000n });
    await send(usage(7_999n));
    assert.equal((await t.query(api.alerts.list, { auth: as(f.owner), teamId: f.teamId })).length, 0);
    await send(usage(8_000n), usage(8_500n));
    await send(usage(9_000n), usage(9_999n));
    await send(usage(10_000n), usage(12_000n));
    const quota = (await t.query(api.alerts.list, { auth: as(f.owner), teamId: f.teamId })).filter((a) => a.kind.startsWith("quota."));
    assert.deepEqual(quota.map((a) => a.kind).sort(), ["quota.100", "quota.80", "quota.90"]);
    assert.ok(quota.every((a) => a.active));
    const next = f.feed.blockTime + 2_592_000;
    await send(f.feed.rolled(next, next + 2_592_000, 50_000_000n));
    assert.equal((await t.query(api.alerts.list, { auth: as(f.owner), teamId: f.teamId, activeOnly: true })).length, 0);
  });

  it("raises the suspension alert once while the team owes debt and resolves it when paid", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    const slot = f.feed.slot;
    await t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(slot + 1, { vaultBalance: 20_000_000n, unpaidBaseFee: 50_000_000n, status: 1 }) });
    await t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(slot + 2, { vaultBalance: 20_000_000n, unpaidBaseFee: 30_000_000n, status: 1 }) });
    assert.deepEqual((await alertsOf(t, f.owner, f.teamId, "team.suspended")).map((a) => a.active), [true]);
    await t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(slot + 3, { vaultBalance: 20_000_000n }) });
    assert.deepEqual((await alertsOf(t, f.owner, f.teamId, "team.suspended")).map((a) => a.active), [false]);
  });

  it("clears allocation alerts when a new billing period resets allocation use", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    await t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.member, allocation: 10n });
    const record = { requestId: "r", timestampMs: Date.now(), endpoint: "/v1", userId: "member", units: 1, cost: 10n };
    await t.mutation(api.usage.recordUsageBatch, { auth: server, batchId: "b", teamId: f.teamId, batchSeq: 1n, requestCount: 1n, amount: 10n, usageRoot: "00".repeat(32), records: [encodeUsagePage([record])] });
    assert.deepEqual((await alertsOf(t, f.owner, f.teamId, "allocation.exhausted")).map((a) => a.active), [true]);
    // The chain rolls into a period that contains now, so the member's use is counted afresh.
    const now = Math.floor(Date.now() / 1000);
    await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [f.feed.rolled(now - 10, now - 10 + 2_592_000, 50_000_000n)] });
    assert.deepEqual((await alertsOf(t, f.owner, f.teamId, "allocation.exhausted")).map((a) => a.active), [false]);
  });

  it("lists alerts for Owners and Admins only and checks the limit", async () => {
    const t = newLedger();
    const f = await linkedTeam(t);
    assert.deepEqual(await t.query(api.alerts.list, { auth: as(f.admin), teamId: f.teamId, activeOnly: true }), []);
    await rejectsWith(t.query(api.alerts.list, { auth: as(f.member), teamId: f.teamId }), "forbidden");
    await rejectsWith(t.query(api.alerts.list, { auth: as(f.outsider), teamId: f.teamId }), "forbidden");
    await rejectsWith(t.query(api.alerts.list, { auth: as(f.owner), teamId: f.teamId, limit: 0 }), "invalid_argument");
  });
});
