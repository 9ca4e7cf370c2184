import assert from "node:assert/strict";
import { api, internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import crons from "./crons";
import { encodeUsagePage } from "./model/usagePage";
import type { UsageRecord } from "./model/validators";
import { as, ChainFeed, newLedger, newWallet, rejectsWith, server, snapshot, teamWithRoles, type Ledger } from "./test.setup";

const MARCH = "2025-03";
const MARCH_10 = Date.UTC(2025, 2, 10);

async function recordAt(t: Ledger, teamId: Id<"teams">, batchSeq: bigint, records: UsageRecord[]) {
  await t.mutation(api.usage.recordUsageBatch, {
    auth: server,
    batchId: `b-${batchSeq}`,
    teamId,
    batchSeq,
    requestCount: BigInt(records.reduce((n, r) => n + r.units, 0)),
    amount: records.reduce((n, r) => n + r.cost, 0n),
    usageRoot: "11".repeat(32),
    records: [encodeUsagePage(records)],
  });
}

/**
 * The worked example: a Startup team makes 11,000 requests in March 2025 — 50 USDC base fee plus
 * 1,000 overage requests × 0.01 USDC = 10 USDC.
 */
async function workedExample(t: Ledger) {
  const f = await teamWithRoles(t);
  const feed = new ChainFeed(newWallet(), MARCH_10 / 1000);
  const roll = feed.rolled(MARCH_10 / 1000, MARCH_10 / 1000 + 2_592_000, 50_000_000n);
  const first = feed.deducted({ batchSeq: 1n, requestCount: 10_000n, amountCharged: 0n, periodRequests: 10_000n, balanceAfter: 150_000_000n });
  const second = feed.deducted({ batchSeq: 2n, requestCount: 1_000n, amountCharged: 10_000_000n, periodRequests: 11_000n, balanceAfter: 140_000_000n });
  const split = feed.distributed(1, 0n, 10_000_000n, second.signature, 1);
  await t.mutation(api.chain.ingestChainEvents, {
    auth: server,
    events: [feed.created(f.owner, newWallet()), feed.deposited(200_000_000n, 200_000_000n), roll, first, second, split],
  });
  await recordAt(t, f.teamId, 1n, [
    { requestId: "o", timestampMs: MARCH_10 + 1, endpoint: "/verify", userId: "owner", units: 5_000, cost: 0n },
    { requestId: "m", timestampMs: MARCH_10 + 2, endpoint: "/verify", userId: "member", units: 5_000, cost: 0n },
  ]);
  await recordAt(t, f.teamId, 2n, [{ requestId: "m2", timestampMs: MARCH_10 + 3, endpoint: "/batch", userId: "member", units: 1_000, cost: 10_000_000n }]);
  return { ...f, feed, roll, first, second };
}

describe("invoices", () => {
  it("bills the worked example: 50 USDC base fee + 1,000 × 0.01 USDC overage = 60 USDC", async () => {
    const t = newLedger();
    const f = await workedExample(t);
    const invoice = await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: MARCH });
    const byKind = Object.fromEntries(invoice.lines.map((l) => [l.kind, l]));
    assert.deepEqual(Object.keys(byKind), ["base_fee", "included_requests", "overage"]);
    assert.deepEqual([byKind.base_fee.quantity, byKind.base_fee.unitPrice, byKind.base_fee.amount], [1n, 50_000_000n, 50_000_000n]);
    assert.deepEqual(byKind.base_fee.signatures, [f.roll.signature]);
    assert.deepEqual([byKind.included_requests.quantity, byKind.included_requests.amount], [10_000n, 0n]);
    assert.deepEqual(byKind.included_requests.signatures, [f.first.signature]);
    assert.deepEqual([byKind.overage.quantity, byKind.overage.unitPrice, byKind.overage.amount, byKind.overage.unpaid], [1_000n, 10_000n, 10_000_000n, 0n]);
    assert.deepEqual(byKind.overage.signatures, [f.second.signature]);
    assert.equal(invoice.total, 60_000_000n);
    assert.equal(invoice.unpaid, 0n);
    assert.deepEqual(invoice.members, [
      { userId: "member", wallet: f.member, requests: 6_000, cost: 10_000_000n },
      { userId: "owner", wallet: f.owner, requests: 5_000, cost: 0n },
    ]);
    assert.deepEqual([invoice.month, invoice.tierName, invoice.status, invoice.delivery], [MARCH, "Startup", "paid", "awaiting"]);
    assert.deepEqual([invoice.periodStartMs, invoice.periodEndMs], [Date.UTC(2025, 2, 1), Date.UTC(2025, 3, 1)]);
    assert.deepEqual(invoice.recipients, ["owner@acme.test", "billing@acme.test"]);
    const log = await t.query(api.audit.list, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 5, cursor: null } });
    assert.equal(log.page[0].action, "invoice.generated");
  });

  it("adds proration and collected debt lines when the month has them", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const feed = new ChainFeed(newWallet(), MARCH_10 / 1000);
    await t.mutation(api.chain.ingestChainEvents, {
      auth: server,
      events: [feed.created(f.owner, newWallet()), feed.tierUpdated(0, 1, 3_000_000n), feed.distributed(3, 18_000_000n, 2_000_000n, undefined, 0)],
    });
    const invoice = await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: MARCH });
    const byKind = Object.fromEntries(invoice.lines.map((l) => [l.kind, l.amount]));
    assert.deepEqual(byKind, { base_fee: 0n, included_requests: 0n, overage: 0n, proration: 3_000_000n, debt: 20_000_000n });
    assert.equal(invoice.total, 23_000_000n);
  });

  it("stays pending while a shortfall is owed and becomes paid when a snapshot shows the debt cleared", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const feed = new ChainFeed(newWallet(), MARCH_10 / 1000);
    const short = feed.deducted({ batchSeq: 1n, requestCount: 11_000n, amountCharged: 10_000_000n, amountPaid: 4_000_000n, periodRequests: 11_000n, balanceAfter: 0n });
    await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [feed.created(f.owner, newWallet()), short] });
    const invoice = await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: MARCH });
    assert.deepEqual([invoice.status, invoice.total, invoice.unpaid], ["pending", 4_000_000n, 6_000_000n]);
    await t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(short.slot + 1, { unpaidOverage: 6_000_000n, status: 1 }) });
    assert.equal((await t.query(api.invoices.get, { auth: as(f.owner), invoiceId: invoice.invoiceId })).status, "pending");
    await t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(short.slot + 2, { vaultBalance: 1_000_000n }) });
    const paid = await t.query(api.invoices.get, { auth: as(f.owner), invoiceId: invoice.invoiceId });
    assert.equal(paid.status, "paid");
    assert.ok(paid.paidAtMs !== null);
    // A paid invoice no longer changes.
    const again = await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: MARCH });
    assert.deepEqual([again.status, again.paidAtMs], ["paid", paid.paidAtMs]);
  });

  it("lets only the Owner generate, and Owners and Admins read", async () => {
    const t = newLedger();
    const f = await workedExample(t);
    for (const wallet of [f.admin, f.member, f.outsider]) {
      await rejectsWith(t.mutation(api.invoices.generate, { auth: as(wallet), teamId: f.teamId, month: MARCH }), "forbidden");
    }
    const invoice = await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: MARCH });
    assert.equal((await t.query(api.invoices.list, { auth: as(f.admin), teamId: f.teamId }))[0].total, 60_000_000n);
    assert.equal((await t.query(api.invoices.get, { auth: as(f.admin), invoiceId: invoice.invoiceId })).total, 60_000_000n);
    for (const wallet of [f.member, f.outsider]) {
      await rejectsWith(t.query(api.invoices.list, { auth: as(wallet), teamId: f.teamId }), "forbidden");
      await rejectsWith(t.query(api.invoices.get, { auth: as(wallet), invoiceId: invoice.invoiceId }), "forbidden");
    }
  });

  it("rejects a malformed or future month", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await rejectsWith(t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: "2025-13" }), "invalid_argument");
    await rejectsWith(t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: "March" }), "invalid_argument");
    const next = new Date();
    const future = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 1)).toISOString().slice(0, 7);
    await rejectsWith(t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: future }), "invalid_argument");
  });

  it("queues invoices for delivery, marks them delivered, and re-queues one whose figures changed", async () => {
    const t = newLedger();
    const f = await workedExample(t);
    const month = new Date().toISOString().slice(0, 7);
    const invoice = await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month });
    const queued = await t.query(api.invoices.listAwaitingDelivery, { auth: server });
    assert.deepEqual(queued.map((d) => d.invoiceId), [invoice.invoiceId]);
    assert.deepEqual(queued[0].recipients, ["owner@acme.test", "billing@acme.test"]);
    await t.mutation(api.invoices.markDelivered, { auth: server, invoiceId: invoice.invoiceId, recipients: queued[0].recipients });
    assert.deepEqual(await t.query(api.invoices.listAwaitingDelivery, { auth: server }), []);
    // Regenerating with the same figures does not send it again.
    await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month });
    assert.deepEqual(await t.query(api.invoices.listAwaitingDelivery, { auth: server }), []);
    // The month is still running: new chain activity changes the figures, and it goes out again.
    f.feed.blockTime = Math.floor(Date.now() / 1000);
    await t.mutation(api.chain.ingestChainEvents, { auth: server, events: [f.feed.rolled(f.feed.blockTime, f.feed.blockTime + 2_592_000, 50_000_000n)] });
    const changed = await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month });
    assert.equal(changed.total, 50_000_000n);
    assert.deepEqual((await t.query(api.invoices.listAwaitingDelivery, { auth: server })).map((d) => d.invoiceId), [invoice.invoiceId]);
    const delivered = await t.query(api.audit.list, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 20, cursor: null } });
    assert.equal(delivered.page.filter((e) => e.action === "invoice.delivered").length, 1);
  });

  it("refuses delivery calls without the secret, with bad recipients or for an unknown invoice", async () => {
    const t = newLedger();
    const f = await workedExample(t);
    const invoice = await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: MARCH });
    await rejectsWith(t.query(api.invoices.listAwaitingDelivery, { auth: { secret: "x" } }), "unauthorized");
    await rejectsWith(t.query(api.invoices.listAwaitingDelivery, { auth: server, limit: 0 }), "invalid_argument");
    await rejectsWith(t.mutation(api.invoices.markDelivered, { auth: { secret: "x" }, invoiceId: invoice.invoiceId, recipients: ["a@b.co"] }), "unauthorized");
    await rejectsWith(t.mutation(api.invoices.markDelivered, { auth: server, invoiceId: invoice.invoiceId, recipients: [] }), "invalid_argument");
    await rejectsWith(t.mutation(api.invoices.markDelivered, { auth: server, invoiceId: invoice.invoiceId, recipients: ["nope"] }), "invalid_argument");
    await t.run(async (ctx) => ctx.db.delete(invoice.invoiceId));
    await rejectsWith(t.mutation(api.invoices.markDelivered, { auth: server, invoiceId: invoice.invoiceId, recipients: ["a@b.co"] }), "not_found");
  });

  it("holds back invoices of teams with nobody to mail them to, so a deliverable one behind 25 of them is listed", async () => {
    const t = newLedger();
    const silent: Array<{ owner: string; teamId: Id<"teams"> }> = [];
    for (let i = 0; i < 25; i++) {
      const owner = newWallet();
      const { teamId } = await t.mutation(api.teams.create, { auth: as(owner), name: `Silent ${i}` });
      const invoice = await t.mutation(api.invoices.generate, { auth: as(owner), teamId, month: MARCH });
      assert.deepEqual([invoice.delivery, invoice.recipients], ["no_recipient", []]);
      silent.push({ owner, teamId });
    }
    const f = await teamWithRoles(t);
    const deliverable = await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: MARCH });
    const queued = await t.query(api.invoices.listAwaitingDelivery, { auth: server, limit: 20 });
    assert.deepEqual(queued.map((d) => d.invoiceId), [deliverable.invoiceId]);

    // A billing e-mail set later queues the team's held-back invoices again; clearing it holds them back.
    const first = silent[0];
    await t.mutation(api.teams.updateBillingEmail, { auth: as(first.owner), teamId: first.teamId, billingEmail: "books@silent.test" });
    const [held] = await t.query(api.invoices.list, { auth: as(first.owner), teamId: first.teamId });
    assert.equal(held.delivery, "awaiting");
    const requeued = await t.query(api.invoices.listAwaitingDelivery, { auth: server, limit: 20 });
    assert.deepEqual(requeued.map((d) => d.invoiceId), [held.invoiceId, deliverable.invoiceId]);
    assert.deepEqual(requeued[0].recipients, ["books@silent.test"]);
    await t.mutation(api.teams.updateBillingEmail, { auth: as(first.owner), teamId: first.teamId, billingEmail: null });
    assert.equal((await t.query(api.invoices.list, { auth: as(first.owner), teamId: first.teamId }))[0].delivery, "no_recipient");
    // Regenerating keeps it held back while nobody can receive it, and queues it once someone can.
    await t.mutation(api.invoices.generate, { auth: as(first.owner), teamId: first.teamId, month: MARCH });
    assert.equal((await t.query(api.invoices.list, { auth: as(first.owner), teamId: first.teamId }))[0].delivery, "no_recipient");
    await t.mutation(api.teams.updateBillingEmail, { auth: as(first.owner), teamId: first.teamId, billingEmail: "ap@silent.test" });
    await t.mutation(api.invoices.generate, { auth: as(first.owner), teamId: first.teamId, month: MARCH });
    assert.equal((await t.query(api.invoices.list, { auth: as(first.owner), teamId: first.teamId }))[0].delivery, "awaiting");
    // A delivered invoice stays delivered when the billing e-mail changes.
    await t.mutation(api.invoices.markDelivered, { auth: server, invoiceId: deliverable.invoiceId, recipients: ["billing@acme.test"] });
    await t.mutation(api.teams.updateBillingEmail, { auth: as(f.owner), teamId: f.teamId, billingEmail: null });
    assert.equal((await t.query(api.invoices.get, { auth: as(f.owner), invoiceId: deliverable.invoiceId })).delivery, "delivered");
  });

  it("lets the delivery worker hold back an awaiting invoice whose team lost its recipients", async () => {
    const t = newLedger();
    const owner = newWallet();
    const { teamId } = await t.mutation(api.teams.create, { auth: as(owner), name: "Legacy", billingEmail: "old@legacy.test" });
    const invoice = await t.mutation(api.invoices.generate, { auth: as(owner), teamId, month: MARCH });
    assert.equal(invoice.delivery, "awaiting");
    // An invoice queued before held-back invoices existed: awaiting with nobody to mail it to.
    await t.run(async (ctx) => ctx.db.patch(teamId, { billingEmail: undefined }));
    const [stale] = await t.query(api.invoices.listAwaitingDelivery, { auth: server });
    assert.deepEqual([stale.invoiceId, stale.recipients], [invoice.invoiceId, []]);
    await t.mutation(api.invoices.markNoRecipient, { auth: server, invoiceId: invoice.invoiceId });
    await t.mutation(api.invoices.markNoRecipient, { auth: server, invoiceId: invoice.invoiceId });
    assert.deepEqual(await t.query(api.invoices.listAwaitingDelivery, { auth: server }), []);
    assert.equal((await t.query(api.invoices.get, { auth: as(owner), invoiceId: invoice.invoiceId })).delivery, "no_recipient");
    const log = await t.query(api.audit.list, { auth: as(owner), teamId, paginationOpts: { numItems: 20, cursor: null } });
    assert.equal(log.page.filter((e) => e.action === "invoice.held_without_recipient").length, 1);
  });

  it("refuses holding back without the secret, for a team that has a recipient, a delivered or an unknown invoice", async () => {
    const t = newLedger();
    const f = await workedExample(t);
    const invoice = await t.mutation(api.invoices.generate, { auth: as(f.owner), teamId: f.teamId, month: MARCH });
    await rejectsWith(t.mutation(api.invoices.markNoRecipient, { auth: { secret: "x" }, invoiceId: invoice.invoiceId }), "unauthorized");
    await rejectsWith(t.mutation(api.invoices.markNoRecipient, { auth: server, invoiceId: invoice.invoiceId }), "conflict");
    await t.mutation(api.invoices.markDelivered, { auth: server, invoiceId: invoice.invoiceId, recipients: invoice.recipients });
    await rejectsWith(t.mutation(api.invoices.markNoRecipient, { auth: server, invoiceId: invoice.invoiceId }), "conflict");
    assert.equal((await t.query(api.invoices.get, { auth: as(f.owner), invoiceId: invoice.invoiceId })).delivery, "delivered");
    await t.run(async (ctx) => ctx.db.delete(invoice.invoiceId));
    await rejectsWith(t.mutation(api.invoices.markNoRecipient, { auth: server, invoiceId: invoice.invoiceId }), "not_found");
  });

  it("generates every team's invoice for the previous month from the monthly cron", async () => {
    const entry = (crons as unknown as { crons: Record<string, { name: string; schedule: { type: string; day: number } }> }).crons["monthly invoices"];
    assert.equal(entry.name, "invoices:generateMonthly");
    assert.deepEqual([entry.schedule.type, entry.schedule.day], ["monthly", 1]);

    const t = newLedger();
    const a = await workedExample(t);
    const b = await teamWithRoles(t, "Beta");
    const step = await t.mutation(internal.invoices.generateMonthly, { month: MARCH });
    assert.deepEqual(step, { month: MARCH, scheduled: 2, done: true });
    await t.finishAllScheduledFunctions(() => {});
    const aInvoices = await t.query(api.invoices.list, { auth: as(a.owner), teamId: a.teamId });
    const bInvoices = await t.query(api.invoices.list, { auth: as(b.owner), teamId: b.teamId });
    assert.deepEqual(aInvoices.map((i) => [i.month, i.total]), [[MARCH, 60_000_000n]]);
    assert.deepEqual(bInvoices.map((i) => [i.month, i.total]), [[MARCH, 0n]]);
    const byCron = await t.query(api.invoices.get, { auth: as(a.owner), invoiceId: aInvoices[0].invoiceId });
    assert.equal(byCron.generatedBy, "cron");
  });
});
