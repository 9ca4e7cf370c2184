// npm run bench:ledger — records one usage batch of 10,000 requests (5 endpoints × 3 members × 1 day)
// through the ledger's real recordUsageBatch on convex-test's engine, and prints as its last line
// {"records":10000,"writes":N,"ms":N}. Target: writes ≤ 25.
//
// How writes are counted: recordUsageBatch wraps ctx.db (model/writeCounter.ts) and returns the number of
// insert/patch/replace/delete calls it made. This script checks that figure independently by reading every
// document of every table before and after the call and counting the documents that are new or changed;
// it fails if the two disagree. `ms` is the wall time of the mutation call.
import { isDeepStrictEqual } from "node:util";
import { api } from "../convex/_generated/api";
import { encodePages } from "../convex/model/usage";
import type { UsageRecord } from "../convex/model/validators";
import schema from "../convex/schema";
import { as, newLedger, newWallet, server, type Ledger } from "../convex/test.setup";

const RECORDS = 10_000;
const ENDPOINTS = ["/v1/verify", "/v1/batch/verify", "/v1/search", "/v1/embed", "/v1/classify"];
const USERS = ["alice", "bob", "carol"];
/** Overage price of the Startup tier, base units per request (0.01 USDC). */
const COST_PER_REQUEST = 10_000n;

type Snapshot = Map<string, unknown>;

async function snapshotAll(t: Ledger): Promise<Snapshot> {
  const tables = Object.keys(schema.tables) as Array<keyof typeof schema.tables>;
  const docs = await t.run(async (ctx) => {
    const all = [];
    for (const table of tables) all.push(...(await ctx.db.query(table).collect()));
    return all;
  });
  return new Map(docs.map((doc) => [doc._id as string, doc]));
}

function countChanged(before: Snapshot, after: Snapshot): number {
  let changed = 0;
  for (const [id, doc] of after) if (!isDeepStrictEqual(before.get(id), doc)) changed++;
  for (const id of before.keys()) if (!after.has(id)) changed++;
  return changed;
}

async function main(): Promise<void> {
  const t = newLedger();
  const owner = newWallet();
  const { teamId } = await t.mutation(api.teams.create, { auth: as(owner), name: "Bench", userId: USERS[0] });
  for (const userId of USERS.slice(1)) {
    const { token } = await t.mutation(api.invitations.create, { auth: as(owner), teamId, email: `${userId}@bench.test`, role: "member" });
    await t.mutation(api.invitations.join, { auth: as(newWallet()), token, userId });
  }

  const day = Date.UTC(2026, 0, 15, 9);
  const records: UsageRecord[] = Array.from({ length: RECORDS }, (_, i) => ({
    requestId: `req-${i.toString().padStart(6, "0")}`,
    timestampMs: day + i * 1000,
    endpoint: ENDPOINTS[i % ENDPOINTS.length],
    userId: USERS[Math.floor(i / ENDPOINTS.length) % USERS.length],
    units: 1,
    cost: COST_PER_REQUEST,
  }));
  const args = {
    auth: server,
    batchId: "bench-batch-1",
    teamId,
    batchSeq: 1n,
    requestCount: BigInt(RECORDS),
    amount: COST_PER_REQUEST * BigInt(RECORDS),
    usageRoot: "0f".repeat(32),
    records: encodePages(records),
  };

  const before = await snapshotAll(t);
  const started = performance.now();
  const result = await t.mutation(api.usage.recordUsageBatch, args);
  const ms = Math.round(performance.now() - started);
  const after = await snapshotAll(t);
  const observed = countChanged(before, after);

  const replayStarted = performance.now();
  const replay = await t.mutation(api.usage.recordUsageBatch, args);
  const replayMs = Math.round(performance.now() - replayStarted);
  const replayObserved = countChanged(after, await snapshotAll(t));

  console.log(`pages: ${args.records.length}, buckets (day × endpoint × member): ${result.buckets}`);
  console.log(`writes reported by the function: ${result.writes}, documents new or changed: ${observed}`);
  console.log(`replay of the same batch: duplicate=${replay.duplicate}, writes=${replay.writes}, changed=${replayObserved}, ${replayMs} ms`);
  if (result.writes !== observed || replay.writes !== 0 || replayObserved !== 0) {
    console.error("write counts disagree");
    process.exit(1);
  }
  console.log(JSON.stringify({ records: RECORDS, writes: result.writes, ms }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
