// The patched engine: indexed reads stay exact while served from per-table id sets and hash
// buckets, stay fast at ledger sizes, and long scheduler delays do not fire at once.
import assert from "node:assert/strict";
import { convexTest, convexTestEngine } from "convex-test";
import { makeFunctionReference } from "convex/server";
import { FIXTURE_FUNCTIONS_DIR, sleep } from "../testing/support";
import { createEngine, splitFunctionPath } from "./engine";
import { DEFAULT_FUNCTIONS_DIR } from "./sidecar";
import { nextRunTime, type CronSchedule } from "./schedule";
import schema from "../fixtures/convex/schema";
import { loadConvexModules } from "./modules";

async function fixtureEngine() {
  const modules = await loadConvexModules(FIXTURE_FUNCTIONS_DIR);
  return convexTest(schema, modules.loaders);
}

const byTeam = makeFunctionReference<"query">("notes:byTeam");
type Note = { _id: string; team: string; amount: bigint };

describe("patched convex-test engine", function () {
  it("keeps index results exact across inserts, patches of the indexed field, deletes and pending writes", async function () {
    const t = await fixtureEngine();
    const teams = async (team: string) => ((await t.query(byTeam, { team })) as Note[]).map((n) => n.amount);
    const a1 = await t.run(async (ctx) => await ctx.db.insert("notes", { team: "a", body: "1", amount: 1n }));
    await t.run(async (ctx) => await ctx.db.insert("notes", { team: "b", body: "2", amount: 2n }));
    assert.deepEqual(await teams("a"), [1n]); // builds the "team" hash
    await t.run(async (ctx) => await ctx.db.insert("notes", { team: "a", body: "3", amount: 3n }));
    assert.deepEqual(await teams("a"), [1n, 3n]);
    await t.run(async (ctx) => await ctx.db.patch(a1, { team: "b" }));
    assert.deepEqual(await teams("a"), [3n]);
    assert.deepEqual(await teams("b"), [1n, 2n]);
    await t.run(async (ctx) => await ctx.db.delete(a1));
    assert.deepEqual(await teams("b"), [2n]);
    // Inside one transaction, its own pending writes are visible to an indexed read.
    const seen = await t.run(async (ctx) => {
      await ctx.db.insert("notes", { team: "c", body: "p", amount: 9n });
      const [first] = await ctx.db.query("notes").withIndex("by_team", (q) => q.eq("team", "b")).collect();
      await ctx.db.patch(first._id, { team: "c" });
      return (await ctx.db.query("notes").withIndex("by_team", (q) => q.eq("team", "c")).collect()).map((n) => n.amount);
    });
    assert.deepEqual(seen.sort(), [2n, 9n]);
    assert.deepEqual(await teams("b"), []);
    // Ranges, full scans and counts of other tables are unaffected.
    const ranged = await t.run(async (ctx) =>
      (await ctx.db.query("notes").withIndex("by_team", (q) => q.gte("team", "a")).collect()).length,
    );
    assert.equal(ranged, 3);
    assert.equal(await t.run(async (ctx) => (await ctx.db.query("ticks").collect()).length), 0);
  });

  it("answers an indexed query far faster than a scan of the same 10,000 documents", async function () {
    const t = await fixtureEngine();
    await t.run(async (ctx) => {
      for (let i = 0; i < 10_000; i++) {
        await ctx.db.insert("notes", { team: `team-${i % 100}`, body: "x", amount: BigInt(i) });
      }
    });
    await t.query(byTeam, { team: "team-1" }); // builds the hash once
    // Timed against a full-table scan in the same run, interleaved, so a loaded machine slows both alike.
    const scan = (team: string) =>
      t.run(async (ctx) => ctx.db.query("notes").filter((q) => q.eq(q.field("team"), team)).collect());
    const runs = 20;
    let indexedMs = 0;
    let scanMs = 0;
    for (let i = 0; i < runs; i++) {
      let started = performance.now();
      assert.equal(((await t.query(byTeam, { team: `team-${i}` })) as Note[]).length, 100);
      indexedMs += performance.now() - started;
      started = performance.now();
      assert.equal((await scan(`team-${i}`)).length, 100);
      scanMs += performance.now() - started;
    }
    const indexed = indexedMs / runs;
    const scanned = scanMs / runs;
    console.log(`      10,000 documents, 100 results: indexed ${indexed.toFixed(2)} ms, scan ${scanned.toFixed(2)} ms`);
    assert.ok(indexed * 3 < scanned, `indexed ${indexed} ms is not 3x faster than a scan (${scanned} ms)`);
  });

  it("keeps a scheduled function due in 40 days pending instead of firing it at once", async function () {
    const t = await fixtureEngine();
    const fortyDaysMs = 40 * 24 * 3600 * 1000;
    await t.mutation(makeFunctionReference<"mutation">("notes:scheduleTick"), { source: "later", delayMs: fortyDaysMs });
    await sleep(50);
    const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].state.kind, "pending");
    assert.equal(await t.query(makeFunctionReference<"query">("ticks:count"), { source: "later" }), 0);
  });

  it("marks a scheduled function that was running at a crash as failed instead of running it twice", async function () {
    const t = await fixtureEngine();
    const engine = convexTestEngine(t);
    const state = engine.exportState();
    engine.importState({
      ...state,
      documents: [
        {
          _id: "0000000000000000000099000_scheduled_functions",
          _creationTime: 1,
          name: "ticks:record",
          args: [{ source: "interrupted" }],
          scheduledTime: 0,
          state: { kind: "inProgress" },
        },
        {
          _id: "0000000000000000000099001_scheduled_functions",
          _creationTime: 2,
          name: "ticks:record",
          args: [{ source: "pending" }],
          scheduledTime: Date.now() - 1000,
          state: { kind: "pending" },
        },
      ],
    });
    assert.deepEqual(await engine.rearmScheduledFunctions(), { rearmed: 1, interrupted: 1 });
    await sleep(50);
    const count = makeFunctionReference<"query">("ticks:count");
    assert.equal(await t.query(count, { source: "pending" }), 1);
    assert.equal(await t.query(count, { source: "interrupted" }), 0);
    const jobs = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    assert.deepEqual(jobs.map((job) => job.state.kind).sort(), ["failed", "success"]);
  });

  it("resolves function paths with their kind and visibility", async function () {
    const engine = await createEngine(FIXTURE_FUNCTIONS_DIR);
    assert.deepEqual(engine.resolve("notes:add"), { path: "notes:add", kind: "mutation", visibility: "public" });
    assert.deepEqual(engine.resolve("notes.js:byTeam"), { path: "notes:byTeam", kind: "query", visibility: "public" });
    assert.deepEqual(engine.resolve("notes:secretWipe"), { path: "notes:secretWipe", kind: "mutation", visibility: "internal" });
    assert.equal(engine.resolve("notes:nothing"), null);
    assert.equal(engine.resolve("schema"), null);
    assert.equal(engine.resolve("nowhere:x"), null);
    assert.deepEqual(splitFunctionPath("dir/mod"), { module: "dir/mod", exportName: "default" });
    assert.deepEqual(
      engine.crons.map((c) => [c.name, c.functionPath]),
      [["every second", "ticks:record"], ["monthly", "ticks:record"]],
    );
  });

  it("loads the ledger's own convex/ and finds every cron's function, internal and schedulable", async function () {
    const engine = await createEngine(DEFAULT_FUNCTIONS_DIR);
    assert.ok(engine.resolve("teams:create")?.visibility === "public");
    for (const cron of engine.crons) {
      const fn = engine.resolve(cron.functionPath);
      assert.ok(fn !== null, `cron "${cron.name}" names ${cron.functionPath}, which does not exist`);
      assert.equal(fn.visibility, "internal", `cron "${cron.name}" should call an internal function`);
      assert.ok(nextRunTime(cron.schedule as CronSchedule, Date.now()) > Date.now());
    }
  });
});
