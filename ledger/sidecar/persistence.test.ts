// Every committed write survives a restart — clean or SIGKILL — with the same documents and ids.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { convexTest, convexTestEngine } from "convex-test";
import { startSidecarProcess, type SidecarProcess } from "../start-sidecar";
import { FIXTURE_FUNCTIONS_DIR, sleep, tempDir } from "../testing/support";
import { loadConvexModules } from "./modules";
import { DurableStore, recoverStore } from "./persistence";
import { SidecarError } from "./errors";

type Note = { _id: string; _creationTime: number; team: string; body: string; amount: bigint };

async function allNotes(client: ConvexHttpClient, teams: string[]): Promise<Note[]> {
  const out: Note[] = [];
  for (const team of teams) out.push(...((await client.query(anyApi.notes.byTeam, { team })) as Note[]));
  return out.sort((a, b) => a._id.localeCompare(b._id));
}

describe("ledger sidecar persistence across restarts", function () {
  const data = tempDir("persist");
  let sidecar: SidecarProcess | undefined;
  const start = async () => {
    sidecar = await startSidecarProcess({ dataDir: data.dir, functionsDir: FIXTURE_FUNCTIONS_DIR, crons: false });
    return new ConvexHttpClient(sidecar.url, { skipConvexDeploymentUrlCheck: true, logger: false });
  };

  after(async function () {
    await sidecar?.kill();
    data.cleanup();
  });

  it("comes back with the same documents and ids after a clean stop and after SIGKILL", async function () {
    let client = await start();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(await client.mutation(anyApi.notes.add, { team: i % 2 ? "odd" : "even", body: `n${i}`, amount: BigInt(i) * 10n ** 12n }));
    }
    await client.mutation(anyApi.notes.setAmount, { id: ids[3], amount: 333n });
    await client.mutation(anyApi.notes.remove, { id: ids[4] });
    await assert.rejects(client.mutation(anyApi.notes.addThenFail, { team: "odd" }));
    const before = await allNotes(client, ["odd", "even"]);
    assert.equal(before.length, 19);

    await sidecar!.stop();
    assert.ok(fs.existsSync(path.join(data.dir, "snapshot.json")), "a clean stop writes a snapshot");
    assert.equal(fs.statSync(path.join(data.dir, "log.jsonl")).size, 0, "and empties the log");
    client = await start();
    assert.deepEqual(await allNotes(client, ["odd", "even"]), before);

    // Writes after the snapshot live only in the log when the process is killed.
    const late = await client.mutation(anyApi.notes.add, { team: "odd", body: "late", amount: 1n });
    await client.mutation(anyApi.notes.remove, { id: ids[0] });
    const beforeKill = await allNotes(client, ["odd", "even"]);
    await sidecar!.kill();
    client = await start();
    const afterKill = await allNotes(client, ["odd", "even"]);
    assert.deepEqual(afterKill, beforeKill);
    assert.ok(afterKill.some((note) => note._id === late));

    // New documents never reuse an id.
    const fresh = await client.mutation(anyApi.notes.add, { team: "even", body: "fresh", amount: 2n });
    assert.ok(!ids.includes(fresh) && fresh !== late);
    await sidecar!.stop();
  });

  it("re-arms a scheduled function that was pending when the process was killed", async function () {
    let client = await start();
    await client.mutation(anyApi.notes.scheduleTick, { source: "after-kill", delayMs: 1500 });
    await sidecar!.kill();
    client = await start();
    const deadline = Date.now() + 10_000;
    while ((await client.query(anyApi.ticks.count, { source: "after-kill" })) !== 1) {
      assert.ok(Date.now() < deadline, "the scheduled function did not run after the restart");
      await sleep(100);
    }
    await sidecar!.stop();
  });
});

describe("ledger store recovery", function () {
  const schemaEngine = async () => {
    const modules = await loadConvexModules(FIXTURE_FUNCTIONS_DIR);
    const t = convexTest(modules.schema, modules.loaders);
    return { t, engine: convexTestEngine(t) };
  };

  it("drops a torn last log entry and keeps the acknowledged ones", async function () {
    const data = tempDir("torn");
    try {
      const { t, engine } = await schemaEngine();
      const store = new DurableStore(data.dir, engine, recoverStore(data.dir), { fsync: false });
      const first = await t.run(async (ctx) => await ctx.db.insert("notes", { team: "a", body: "kept", amount: 1n }));
      await t.run(async (ctx) => await ctx.db.insert("notes", { team: "a", body: "torn", amount: 2n }));
      assert.equal(store.lastSeq, 2);
      const logPath = path.join(data.dir, "log.jsonl");
      const full = fs.readFileSync(logPath);
      fs.writeFileSync(logPath, full.subarray(0, full.length - 7)); // the crash cut the last write short
      const warnings: string[] = [];
      const recovered = recoverStore(data.dir, { onWarning: (message) => warnings.push(message) });
      assert.equal(recovered.seq, 1);
      assert.deepEqual(recovered.state.documents.map((doc) => doc._id), [first]);
      assert.equal(warnings.length, 1);
      assert.equal(fs.readFileSync(logPath, "utf8").split("\n").length, 2, "the torn bytes are cut off");
    } finally {
      data.cleanup();
    }
  });

  it("refuses a log damaged before its last entry", async function () {
    const data = tempDir("corrupt");
    try {
      fs.writeFileSync(path.join(data.dir, "log.jsonl"), '{"seq":1,"writes":[]\n{"seq":2,"writes":[]}\n');
      assert.throws(() => recoverStore(data.dir), (error: unknown) => error instanceof SidecarError && error.code === "store_corrupt");
      fs.writeFileSync(path.join(data.dir, "log.jsonl"), '{"seq":2,"commitTs":null,"nextDocId":1,"lastCreationTime":0,"writes":[]}\n');
      assert.throws(() => recoverStore(data.dir), /entry 2 follows 0/);
      fs.writeFileSync(path.join(data.dir, "log.jsonl"), "");
      fs.writeFileSync(path.join(data.dir, "snapshot.json"), "{");
      assert.throws(() => recoverStore(data.dir), /snapshot.json is not valid JSON/);
    } finally {
      data.cleanup();
    }
  });

  it("snapshots when the log passes its size threshold and skips log entries the snapshot already holds", async function () {
    const data = tempDir("compact");
    try {
      const { t, engine } = await schemaEngine();
      const store = new DurableStore(data.dir, engine, recoverStore(data.dir), { fsync: false, snapshotAfterBytes: 2000 });
      const logPath = path.join(data.dir, "log.jsonl");
      for (let i = 0; i < 30; i++) {
        await t.run(async (ctx) => await ctx.db.insert("notes", { team: "c", body: "x".repeat(50), amount: BigInt(i) }));
      }
      await sleep(10); // the snapshot is taken right after a commit, outside it
      assert.ok(fs.existsSync(path.join(data.dir, "snapshot.json")));
      assert.ok(fs.statSync(logPath).size < 2000);
      // A crash between writing the snapshot and emptying the log: old entries are still there.
      const logCopy = fs.readFileSync(logPath, "utf8");
      store.snapshot();
      fs.writeFileSync(logPath, logCopy);
      const recovered = recoverStore(data.dir);
      assert.equal(recovered.seq, 30);
      assert.equal(recovered.state.documents.length, 30);
      assert.deepEqual(
        recovered.state.documents.map((doc) => doc.amount).sort((a, b) => Number(a) - Number(b)),
        Array.from({ length: 30 }, (_, i) => BigInt(i)),
      );
      store.close();
      await assert.rejects(
        t.run(async (ctx) => await ctx.db.insert("notes", { team: "c", body: "after close", amount: 0n })),
        /the ledger store is closed/,
      );
    } finally {
      data.cleanup();
    }
  });

  it("snapshots again only once the log has grown past the last snapshot's size, so rewrites stay linear", async function () {
    const data = tempDir("linear");
    try {
      const { t, engine } = await schemaEngine();
      const store = new DurableStore(data.dir, engine, recoverStore(data.dir), { fsync: false, snapshotAfterBytes: 2000 });
      const snapshotPath = path.join(data.dir, "snapshot.json");
      // A large store: its snapshot is ~20 KB, far above the 2,000-byte threshold.
      for (let i = 0; i < 4; i++) await t.run(async (ctx) => await ctx.db.insert("notes", { team: "big", body: "y".repeat(5_000), amount: BigInt(i) }));
      store.snapshot();
      const first = fs.statSync(snapshotPath);
      // ~5 KB of log: past the threshold, short of the snapshot's size.
      for (let i = 0; i < 50; i++) await t.run(async (ctx) => await ctx.db.insert("notes", { team: "small", body: "z", amount: BigInt(i) }));
      await sleep(10);
      assert.equal(fs.statSync(snapshotPath).mtimeMs, first.mtimeMs, "no rewrite of the whole store for a log smaller than it");
      const logBytes = fs.statSync(path.join(data.dir, "log.jsonl")).size;
      assert.ok(logBytes > 2000 && logBytes < first.size, `log ${logBytes} bytes between the threshold and the snapshot's ${first.size}`);
      // Past the snapshot's size: snapshotted and emptied.
      for (let i = 0; i < 4; i++) await t.run(async (ctx) => await ctx.db.insert("notes", { team: "big", body: "w".repeat(5_000), amount: BigInt(i) }));
      await sleep(10);
      assert.ok(fs.statSync(snapshotPath).size > first.size);
      assert.ok(fs.statSync(path.join(data.dir, "log.jsonl")).size < first.size);
      assert.equal(recoverStore(data.dir).state.documents.length, 58);
      store.close();
    } finally {
      data.cleanup();
    }
  });

  it("refuses a commit it cannot persist and leaves memory without it", async function () {
    const data = tempDir("refuse");
    try {
      const { t, engine } = await schemaEngine();
      engine.setCommitListener(() => {
        throw new Error("disk full");
      });
      await assert.rejects(t.run(async (ctx) => await ctx.db.insert("notes", { team: "r", body: "lost", amount: 1n })), /disk full/);
      engine.setCommitListener(null);
      assert.equal(engine.exportState().documents.length, 0);
      const id = await t.run(async (ctx) => await ctx.db.insert("notes", { team: "r", body: "ok", amount: 1n }));
      assert.deepEqual(engine.exportState().documents.map((doc) => doc._id), [id]);
    } finally {
      data.cleanup();
    }
  });
});
