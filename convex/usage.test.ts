import assert from "node:assert/strict";
import { api } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { encodePages, MAX_PAGE_TEXT_BYTES } from "./model/usage";
import { encodeUsagePage } from "./model/usagePage";
import type { UsageRecord } from "./model/validators";
import { as, newLedger, rejectsWith, server, snapshot, teamWithRoles, type Ledger } from "./test.setup";

const ROOT = "ab".repeat(32);
const SIGNATURE = "5".repeat(88);
const OTHER_SIGNATURE = "4".repeat(88);
const DAY = Date.UTC(2026, 10, 20, 12);

/** A record's line written without the encoder's checks, so the ledger's own refusals can be reached. */
function rawLine(r: UsageRecord): string {
  return `${r.requestId} ${r.timestampMs} ${r.endpoint} ${r.userId} ${r.units} ${r.cost}`;
}

/** `count` records spread round-robin over endpoints and users, each 1 unit at `cost`. */
function makeRecords(count: number, opts: { endpoints?: string[]; users?: string[]; cost?: bigint; at?: number; tag?: string } = {}): UsageRecord[] {
  const endpoints = opts.endpoints ?? ["/v1/verify"];
  const users = opts.users ?? ["member"];
  return Array.from({ length: count }, (_, i) => ({
    requestId: `${opts.tag ?? "r"}-${i}`,
    timestampMs: (opts.at ?? DAY) + i,
    endpoint: endpoints[i % endpoints.length],
    userId: users[Math.floor(i / endpoints.length) % users.length],
    units: 1,
    cost: opts.cost ?? 10_000n,
  }));
}

function batchArgs(teamId: Id<"teams">, batchId: string, batchSeq: bigint, records: UsageRecord[]) {
  return {
    auth: server,
    batchId,
    teamId,
    batchSeq,
    requestCount: BigInt(records.reduce((n, r) => n + r.units, 0)),
    amount: records.reduce((n, r) => n + r.cost, 0n),
    usageRoot: ROOT,
    records: encodePages(records),
  };
}

async function rollups(t: Ledger, teamId: Id<"teams">) {
  return await t.run(async (ctx) =>
    (await ctx.db.query("usageRollups").withIndex("by_bucket", (q) => q.eq("teamId", teamId)).collect()).map((r) => [
      r.day,
      r.endpoint,
      r.userId,
      r.requests,
      r.cost,
    ]),
  );
}

describe("usage batches", () => {
  it("records a batch with one rollup write per day × endpoint × member bucket", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const records = makeRecords(600, { endpoints: ["/a", "/b"], users: ["owner", "member", "admin"] });
    const result = await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, records));
    assert.equal(result.duplicate, false);
    assert.equal(result.status, "pending");
    assert.equal(result.buckets, 6);
    // 1 batch + 1 page + 6 buckets + 1 team-day + 3 member-periods.
    assert.equal(result.writes, 12);
    const rows = await rollups(t, f.teamId);
    assert.equal(rows.length, 6);
    for (const row of rows) assert.deepEqual(row.slice(3), [100, 1_000_000n]);
  });

  it("counts the same batch twice once, and refuses the same id with other contents", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const records = makeRecords(10);
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, records));
    const again = await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, records));
    assert.deepEqual([again.duplicate, again.writes], [true, 0]);
    assert.deepEqual(await rollups(t, f.teamId), [["2026-11-20", "/v1/verify", "member", 10, 100_000n]]);
    const changed = batchArgs(f.teamId, "b-1", 1n, makeRecords(11));
    await rejectsWith(t.mutation(api.usage.recordUsageBatch, changed), "conflict");
  });

  it("adds later batches into the same buckets and refuses a reused batch_seq", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, makeRecords(10)));
    const second = await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-2", 2n, makeRecords(5, { tag: "s" })));
    assert.equal(second.writes, 5); // batch, page, and three patches
    assert.deepEqual(await rollups(t, f.teamId), [["2026-11-20", "/v1/verify", "member", 15, 150_000n]]);
    await rejectsWith(t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-3", 2n, makeRecords(1, { tag: "t" }))), "conflict");
  });

  it("rejects batches whose records do not add up or are malformed", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const good = batchArgs(f.teamId, "b-1", 1n, makeRecords(3));
    const cases: Array<[string, object]> = [
      ["count differs from units", { requestCount: 4n }],
      ["amount differs from costs", { amount: 1n }],
      ["zero batch_seq", { batchSeq: 0n }],
      ["negative amount", { amount: -1n }],
      ["bad root", { usageRoot: "xyz" }],
      ["empty batch id", { batchId: "" }],
      ["no pages", { records: [] }],
      ["empty page", { records: [""] }],
      ["41 pages", { records: encodePages(makeRecords(41), 1), requestCount: 41n, amount: 410_000n }],
      ["too many records in a page", { records: [encodeUsagePage(makeRecords(2_501))], requestCount: 2_501n, amount: 25_010_000n }],
      ["duplicate request id in a page", { records: [encodeUsagePage([...makeRecords(2), makeRecords(1)[0]])], requestCount: 3n, amount: 30_000n }],
      ["duplicate request id across pages", { records: [...encodePages(makeRecords(2)), encodeUsagePage(makeRecords(1))], requestCount: 3n, amount: 30_000n }],
      ["zero units", { records: [rawLine({ ...makeRecords(1)[0], units: 0 })], requestCount: 0n, amount: 10_000n }],
      ["negative cost", { records: [rawLine({ ...makeRecords(1)[0], cost: -1n })], requestCount: 1n, amount: -1n }],
      ["long endpoint", { records: [rawLine({ ...makeRecords(1)[0], endpoint: "/" + "x".repeat(64) })], requestCount: 1n, amount: 10_000n }],
      ["trailing newline", { records: [encodeUsagePage(makeRecords(3)) + "\n"] }],
      ["page text over the size bound", { records: [encodeUsagePage(makeRecords(3)) + " ".repeat(MAX_PAGE_TEXT_BYTES)] }],
      ["second page malformed", { records: [encodeUsagePage(makeRecords(2)), "r-2 1 /v1/verify member one 10000"] }],
    ];
    for (const [what, change] of cases) {
      await rejectsWith(t.mutation(api.usage.recordUsageBatch, { ...good, ...change }), "invalid_argument").catch((error: Error) => {
        throw new Error(`${what}: ${error.message}`);
      });
    }
    const max = { ...makeRecords(1)[0]!, cost: (1n << 64n) - 1n };
    const overflowing = encodeUsagePage([max, { ...max, requestId: "r-1" }]);
    await rejectsWith(t.mutation(api.usage.recordUsageBatch, { ...good, records: [overflowing], requestCount: 2n, amount: 1n }), "overflow");
    assert.deepEqual(await rollups(t, f.teamId), []);
  });

  it("refuses a page over the record or size bound and a request id seen on an earlier page, saying which", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const refusal = async (change: object): Promise<string> => {
      try {
        await t.mutation(api.usage.recordUsageBatch, { ...batchArgs(f.teamId, "b-1", 1n, makeRecords(3)), ...change });
      } catch (error) {
        const data = (error as { data?: { code?: string; message?: string } }).data;
        assert.equal(data?.code, "invalid_argument");
        return data.message ?? "";
      }
      throw new Error("the batch was recorded");
    };
    const full = makeRecords(2_500);
    assert.match(await refusal({ records: [encodeUsagePage(full), encodeUsagePage([...full, makeRecords(1, { tag: "z" })[0]!])] }), /a page holds 1 to 2500 records \(page 1 has 2501\)/);
    assert.match(await refusal({ records: ["", ...encodePages(makeRecords(3))] }), /page 0 has 0/);
    assert.match(await refusal({ records: [...encodePages(makeRecords(3)), "x".repeat(MAX_PAGE_TEXT_BYTES + 1)] }), /page 1 is 1000001 characters; a page's text holds at most 1000000 bytes/);
    assert.match(await refusal({ records: [encodeUsagePage(makeRecords(2)), encodeUsagePage(makeRecords(1, { tag: "r" }))] }), /requestId r-0 appears twice/);
    assert.match(await refusal({ records: [encodeUsagePage(makeRecords(3)).replace(" 10000\n", " 010000\n")] }), /usage page line 1: cost must be a decimal u64/);
    assert.deepEqual(await rollups(t, f.teamId), []);
  });

  it("stores each page as the text it was sent in and reads it back as records", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const args = batchArgs(f.teamId, "b-1", 1n, makeRecords(5_001, { endpoints: ["/a", "/b"], users: ["owner", "admin"] }));
    await t.mutation(api.usage.recordUsageBatch, args);
    const stored = await t.run(async (ctx) => (await ctx.db.query("usageRecordPages").collect()).map((row) => [row.page, row.text]));
    assert.deepEqual(stored, args.records.map((text, page) => [page, text]));
    const last = await t.query(api.usage.getBatchRecords, { auth: as(f.owner), batchId: "b-1", page: 2 });
    assert.deepEqual([last.pageCount, last.recordCount, last.records], [3, 5_001, makeRecords(5_001, { endpoints: ["/a", "/b"], users: ["owner", "admin"] }).slice(5_000)]);
  });

  it("reads a page stored in the earlier form (records as objects) as well as one stored as text", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const records = makeRecords(3, { users: ["owner"] });
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, records));
    const older = makeRecords(2, { tag: "old", users: ["owner"] });
    // A batch as a ledger recorded it before pages were text: its page holds `records`, no `text`.
    await t.run(async (ctx) => {
      const batch = await ctx.db.insert("usageBatches", {
        batchId: "b-0",
        teamId: f.teamId,
        batchSeq: 9n,
        requestCount: 2n,
        amount: 20_000n,
        usageRoot: ROOT,
        recordCount: 2,
        pageCount: 1,
        status: "settled",
        recordedAtMs: DAY,
      });
      await ctx.db.insert("usageRecordPages", { batch, page: 0, records: older });
    });
    const read = async (batchId: string) => (await t.query(api.usage.getBatchRecords, { auth: as(f.owner), batchId, page: 0 })).records;
    assert.deepEqual(await read("b-0"), older);
    assert.deepEqual(await read("b-1"), records);
  });

  it("splits a batch across days and periods into the right rollups, whatever the records' order", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const midnight = Date.UTC(2026, 11, 1); // 1 December: a new UTC day and calendar month
    const at = [midnight - 2, midnight - 1, midnight, midnight + 1, midnight - 3, midnight + 86_400_000];
    const records = at.map((timestampMs, i) => ({ ...makeRecords(1)[0]!, requestId: `m-${i}`, timestampMs, userId: i % 2 === 0 ? "owner" : "member" }));
    const result = await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, records));
    assert.equal(result.buckets, 5);
    assert.deepEqual(await rollups(t, f.teamId), [
      ["2026-11-30", "/v1/verify", "member", 1, 10_000n],
      ["2026-11-30", "/v1/verify", "owner", 2, 20_000n],
      ["2026-12-01", "/v1/verify", "member", 1, 10_000n],
      ["2026-12-01", "/v1/verify", "owner", 1, 10_000n],
      ["2026-12-02", "/v1/verify", "member", 1, 10_000n],
    ]);
    const daily = await t.run(async (ctx) => (await ctx.db.query("usageDaily").collect()).map((r) => [r.day, r.requests]));
    assert.deepEqual(daily, [["2026-11-30", 3], ["2026-12-01", 2], ["2026-12-02", 1]]);
    const periods = await t.run(async (ctx) => (await ctx.db.query("memberUsage").collect()).map((r) => [r.periodStart, r.userId, r.requests]));
    const november = Date.UTC(2026, 10, 1) / 1000;
    const december = midnight / 1000;
    assert.deepEqual(periods.sort(), [[november, "member", 1], [november, "owner", 2], [december, "member", 2], [december, "owner", 1]].sort());
  });

  it("splits member usage by the chain's periods once the ledger knows them, even within one day", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    // Two-hour periods on the chain's grid, one starting at 10:00 UTC on 20 November.
    const start = DAY / 1000 - 2 * 3600;
    await t.mutation(api.chain.syncBalance, { auth: server, teamId: f.teamId, ...snapshot(1, { periodStart: start, periodEnd: start + 7_200 }) });
    const at = [DAY - 1, DAY, DAY + 7_199_999, DAY - 7_200_001, DAY + 7_200_000];
    const records = at.map((timestampMs, i) => ({ ...makeRecords(1)[0]!, requestId: `p-${i}`, timestampMs }));
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, records));
    const periods = await t.run(async (ctx) => (await ctx.db.query("memberUsage").collect()).map((r) => [r.periodStart - start, r.requests]));
    assert.deepEqual(periods.sort((a, b) => a[0]! - b[0]!), [[-7_200, 1], [0, 1], [7_200, 2], [14_400, 1]]);
    assert.deepEqual(await rollups(t, f.teamId), [["2026-11-20", "/v1/verify", "member", 5, 50_000n]]);
  });

  it("refuses recording without the server secret or for an unknown team", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await rejectsWith(t.mutation(api.usage.recordUsageBatch, { ...batchArgs(f.teamId, "b", 1n, makeRecords(1)), auth: { secret: "no" } }), "unauthorized");
    await t.run(async (ctx) => ctx.db.delete(f.teamId));
    await rejectsWith(t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b", 1n, makeRecords(1))), "not_found");
  });

  it("settles a batch once, accepts the same signature again and refuses another", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, makeRecords(2)));
    const settled = await t.mutation(api.usage.markBatchSettled, { auth: server, batchId: "b-1", signature: SIGNATURE });
    assert.deepEqual([settled.status, settled.signature], ["settled", SIGNATURE]);
    await t.mutation(api.usage.markBatchSettled, { auth: server, batchId: "b-1", signature: SIGNATURE });
    await rejectsWith(t.mutation(api.usage.markBatchSettled, { auth: server, batchId: "b-1", signature: OTHER_SIGNATURE }), "conflict");
    await rejectsWith(t.mutation(api.usage.markBatchFailed, { auth: server, batchId: "b-1", reason: "late" }), "conflict");
    const replay = await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, makeRecords(2)));
    assert.deepEqual([replay.duplicate, replay.status], [true, "settled"]);
  });

  it("marks a batch failed and still lets a later settlement succeed", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, makeRecords(2)));
    const failed = await t.mutation(api.usage.markBatchFailed, { auth: server, batchId: "b-1", reason: "InsufficientFunds" });
    assert.deepEqual([failed.status, failed.failureReason], ["failed", "InsufficientFunds"]);
    const settled = await t.mutation(api.usage.markBatchSettled, { auth: server, batchId: "b-1", signature: SIGNATURE });
    assert.deepEqual([settled.status, settled.failureReason], ["settled", null]);
  });

  it("rejects settling an unknown batch, a malformed signature, an empty reason or a missing secret", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, makeRecords(2)));
    await rejectsWith(t.mutation(api.usage.markBatchSettled, { auth: server, batchId: "nope", signature: SIGNATURE }), "not_found");
    await rejectsWith(t.mutation(api.usage.markBatchSettled, { auth: server, batchId: "b-1", signature: "abc" }), "invalid_argument");
    await rejectsWith(t.mutation(api.usage.markBatchFailed, { auth: server, batchId: "b-1", reason: " " }), "invalid_argument");
    await rejectsWith(t.mutation(api.usage.markBatchSettled, { auth: { secret: "x" }, batchId: "b-1", signature: SIGNATURE }), "unauthorized");
    await rejectsWith(t.mutation(api.usage.markBatchFailed, { auth: { secret: "x" }, batchId: "b-1", reason: "r" }), "unauthorized");
  });

  it("returns a batch's records page by page to Owners and Admins only", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const records = makeRecords(3_000);
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, records));
    const first = await t.query(api.usage.getBatchRecords, { auth: as(f.owner), batchId: "b-1" });
    const second = await t.query(api.usage.getBatchRecords, { auth: as(f.admin), batchId: "b-1", page: 1 });
    assert.deepEqual([first.pageCount, first.recordCount, first.usageRoot], [2, 3_000, ROOT]);
    assert.deepEqual([...first.records, ...second.records], records);
    await rejectsWith(t.query(api.usage.getBatchRecords, { auth: as(f.owner), batchId: "b-1", page: 2 }), "invalid_argument");
    await rejectsWith(t.query(api.usage.getBatchRecords, { auth: as(f.member), batchId: "b-1" }), "forbidden");
    await rejectsWith(t.query(api.usage.getBatchRecords, { auth: as(f.outsider), batchId: "b-1" }), "forbidden");
    await rejectsWith(t.query(api.usage.getBatchRecords, { auth: as(f.owner), batchId: "b-404" }), "not_found");
  });

  it("raises a member's allocation alert once when its period spend reaches the allocation", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.member, allocation: 50_000n });
    const now = Date.now();
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-1", 1n, makeRecords(4, { at: now })));
    const alertsOf = async () =>
      (await t.query(api.alerts.list, { auth: as(f.owner), teamId: f.teamId })).filter((a) => a.kind === "allocation.exhausted");
    assert.equal((await alertsOf()).length, 0);
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-2", 2n, makeRecords(1, { at: now, tag: "x" })));
    await t.mutation(api.usage.recordUsageBatch, batchArgs(f.teamId, "b-3", 3n, makeRecords(1, { at: now, tag: "y" })));
    const alerts = await alertsOf();
    assert.deepEqual(alerts.map((a) => [a.subject, a.active]), [["member", true]]);
    const listed = await t.query(api.members.list, { auth: as(f.owner), teamId: f.teamId });
    assert.equal(listed.find((m) => m.userId === "member")?.allocationUsed, 60_000n);
    // Raising the allocation resolves the alert.
    await t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.member, allocation: 100_000n });
    assert.deepEqual((await alertsOf()).map((a) => a.active), [false]);
  });
});
