import assert from "node:assert/strict";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { encodePages } from "./model/usage";
import type { UsageRecord } from "./model/validators";
import { as, ChainFeed, newLedger, newWallet, rejectsWith, server, teamWithRoles, type Ledger } from "./test.setup";

const DAY_MS = 86_400_000;
const today = () => new Date(Date.now()).toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);

let seq = 0n;
async function record(t: Ledger, teamId: Id<"teams">, records: UsageRecord[]) {
  seq += 1n;
  await t.mutation(api.usage.recordUsageBatch, {
    auth: server,
    batchId: `batch-${seq}`,
    teamId,
    batchSeq: seq,
    requestCount: BigInt(records.reduce((n, r) => n + r.units, 0)),
    amount: records.reduce((n, r) => n + r.cost, 0n),
    usageRoot: "00".repeat(32),
    records: encodePages(records),
  });
}

function rec(id: string, ageDays: number, endpoint: string, userId: string, units: number, cost: bigint): UsageRecord {
  return { requestId: id, timestampMs: Date.now() - ageDays * DAY_MS, endpoint, userId, units, cost };
}

/** Usage today, yesterday and 40 days ago over two endpoints and two members. */
async function seeded(t: Ledger) {
  const f = await teamWithRoles(t);
  await record(t, f.teamId, [
    rec("a", 0, "/verify", "member", 3, 30_000n),
    rec("b", 0, "/batch", "owner", 10, 100_000n),
    rec("c", 1, "/verify", "owner", 1, 10_000n),
  ]);
  await record(t, f.teamId, [rec("d", 40, "/verify", "member", 5, 50_000n)]);
  return f;
}

describe("analytics", () => {
  it("gives daily requests and cost with zero days filled, totals and the average per day", async () => {
    const t = newLedger();
    const f = await seeded(t);
    const week = await t.query(api.analytics.getTeamAnalytics, { auth: as(f.owner), teamId: f.teamId, days: 7 });
    assert.equal(week.daily.length, 7);
    assert.deepEqual([week.from, week.to], [daysAgo(6), today()]);
    assert.deepEqual(week.daily[6], { day: today(), requests: 13, cost: 130_000n });
    assert.deepEqual(week.daily[5], { day: daysAgo(1), requests: 1, cost: 10_000n });
    assert.deepEqual(week.daily[0], { day: daysAgo(6), requests: 0, cost: 0n });
    assert.deepEqual(week.totals, { requests: 14, cost: 140_000n });
    assert.deepEqual(week.averagePerDay, { requests: 2, cost: 20_000n });
    const quarter = await t.query(api.analytics.getTeamAnalytics, { auth: as(f.admin), teamId: f.teamId, days: 90 });
    assert.deepEqual(quarter.totals, { requests: 19, cost: 190_000n });
  });

  it("breaks usage down by endpoint and by member, costliest first", async () => {
    const t = newLedger();
    const f = await seeded(t);
    const endpoints = await t.query(api.analytics.getEndpointBreakdown, { auth: as(f.owner), teamId: f.teamId, days: 30 });
    assert.deepEqual(endpoints, [
      { endpoint: "/batch", requests: 10, cost: 100_000n },
      { endpoint: "/verify", requests: 4, cost: 40_000n },
    ]);
    await t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.member, allocation: 1_000_000n });
    const members = await t.query(api.analytics.getMemberBreakdown, { auth: as(f.owner), teamId: f.teamId, days: 30 });
    assert.deepEqual(members.map((m) => [m.userId, m.role, m.requests, m.cost]), [
      ["owner", "owner", 11, 110_000n],
      ["member", "member", 3, 30_000n],
      ["admin", "admin", 0, 0n],
    ]);
    const member = members.find((m) => m.userId === "member");
    assert.equal(member?.allocation, 1_000_000n);
    assert.equal(member?.wallet, f.member);
    assert.ok(member !== undefined && member.allocationUsed >= 30_000n);
  });

  it("ranks the top users and leaves out members without usage", async () => {
    const t = newLedger();
    const f = await seeded(t);
    const top = await t.query(api.analytics.getTopUsers, { auth: as(f.owner), teamId: f.teamId, days: 60, limit: 5 });
    assert.deepEqual(top.map((u) => [u.userId, u.cost]), [["owner", 110_000n], ["member", 80_000n]]);
    const first = await t.query(api.analytics.getTopUsers, { auth: as(f.owner), teamId: f.teamId, days: 60, limit: 1 });
    assert.equal(first.length, 1);
  });

  it("sums usage per calendar month", async () => {
    const t = newLedger();
    const f = await seeded(t);
    const history = await t.query(api.analytics.getUsageHistory, { auth: as(f.owner), teamId: f.teamId, months: 3 });
    assert.equal(history.length, 3);
    assert.equal(history[2].month, today().slice(0, 7));
    assert.deepEqual(history.reduce((n, m) => n + m.requests, 0), 19);
    assert.deepEqual(history.reduce((n, m) => n + m.cost, 0n), 190_000n);
  });

  it("pages the billing history newest first", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const feed = new ChainFeed(newWallet());
    await t.mutation(api.chain.ingestChainEvents, {
      auth: server,
      events: [
        feed.created(f.owner, newWallet()),
        feed.deposited(10_000_000n, 10_000_000n),
        feed.deposited(5_000_000n, 15_000_000n),
        feed.deducted({ batchSeq: 1n, requestCount: 10n, amountCharged: 0n, periodRequests: 10n, balanceAfter: 15_000_000n }),
        feed.withdrawn(f.owner, 1_000_000n, 14_000_000n),
      ],
    });
    const first = await t.query(api.analytics.getBillingHistory, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 2, cursor: null } });
    assert.deepEqual(first.page.map((e) => e.kind), ["funds.withdrawn", "usage.deducted"]);
    const second = await t.query(api.analytics.getBillingHistory, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 10, cursor: first.continueCursor } });
    assert.deepEqual(second.page.map((e) => [e.kind, e.amount]), [["funds.deposited", 5_000_000n], ["funds.deposited", 10_000_000n]]);
    assert.equal(second.isDone, true);
  });

  it("refuses Members and outsiders, and out-of-range windows", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const calls = [
      (w: string) => t.query(api.analytics.getTeamAnalytics, { auth: as(w), teamId: f.teamId, days: 7 }),
      (w: string) => t.query(api.analytics.getEndpointBreakdown, { auth: as(w), teamId: f.teamId, days: 7 }),
      (w: string) => t.query(api.analytics.getMemberBreakdown, { auth: as(w), teamId: f.teamId, days: 7 }),
      (w: string) => t.query(api.analytics.getTopUsers, { auth: as(w), teamId: f.teamId, days: 7 }),
      (w: string) => t.query(api.analytics.getUsageHistory, { auth: as(w), teamId: f.teamId, months: 3 }),
      (w: string) => t.query(api.analytics.getBillingHistory, { auth: as(w), teamId: f.teamId, paginationOpts: { numItems: 5, cursor: null } }),
    ];
    for (const call of calls) {
      await rejectsWith(call(f.member), "forbidden");
      await rejectsWith(call(f.outsider), "forbidden");
    }
    await rejectsWith(t.query(api.analytics.getTeamAnalytics, { auth: as(f.owner), teamId: f.teamId, days: 0 }), "invalid_argument");
    await rejectsWith(t.query(api.analytics.getEndpointBreakdown, { auth: as(f.owner), teamId: f.teamId, days: 367 }), "invalid_argument");
    await rejectsWith(t.query(api.analytics.getMemberBreakdown, { auth: as(f.owner), teamId: f.teamId, days: 1.5 }), "invalid_argument");
    await rejectsWith(t.query(api.analytics.getTopUsers, { auth: as(f.owner), teamId: f.teamId, days: 7, limit: 101 }), "invalid_argument");
    await rejectsWith(t.query(api.analytics.getUsageHistory, { auth: as(f.owner), teamId: f.teamId, months: 25 }), "invalid_argument");
  });
});
