import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import os from "node:os";
import { crc32 } from "node:zlib";
import path from "node:path";
import { encodeLine, encodeUsageEntry, frameGroup, UsageLogCorruptError } from "./codec";
import { UsageLog, UsageLogLockedError, UsageLogStateError, type SealedBatch } from "./log";
import type { UsageEntry } from "./sink";

/** A batch with its entries as objects, for comparison. */
const snapshot = (b: SealedBatch | null) => b && { ...b, entries: b.entries.toArray() };

let dirs: string[] = [];
async function tmpDir(): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), "usage-log-"));
  dirs.push(d);
  return d;
}

function entry(i: number, patch: Partial<UsageEntry> = {}): UsageEntry {
  return {
    requestId: `req-${i}`,
    teamId: "team-1",
    team: i % 2 === 0 ? "TeamA" : "TeamB",
    userId: i % 3 === 0 ? null : "alice",
    endpoint: "/api/v1/verify",
    units: BigInt(1 + (i % 4)),
    cost: BigInt(i) * 10_000n,
    timestampMs: 1_700_000_000_000 + i,
    ...patch,
  };
}

async function segFiles(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((n) => n.endsWith(".log")).sort();
}

/** A closed log holding one served request (req-0 of TeamA): its directory, its segment and the segment's text. */
async function logOfOne(): Promise<{ dir: string; seg: string; text: string }> {
  const dir = await tmpDir();
  const log = await UsageLog.open({ dir });
  await log.append(entry(0));
  await log.close();
  const seg = path.join(dir, (await segFiles(dir))[0]!);
  return { dir, seg, text: await fsp.readFile(seg, "utf8") };
}

describe("durable usage log", () => {
  afterEach(async () => {
    for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
    dirs = [];
  });

  it("replays every appended entry, field for field, after a reopen", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    const entries = [0, 1, 2, 3, 4, 5].map((i) => entry(i, i === 5 ? { units: 18_446_744_073_709_551_615n } : {}));
    await Promise.all(entries.map((e) => log.append(e)));
    await log.close();
    const again = await UsageLog.open({ dir });
    assert.deepEqual(again.pending("TeamA").toArray(), entries.filter((e) => e.team === "TeamA"));
    assert.deepEqual(again.pending("TeamB").toArray(), entries.filter((e) => e.team === "TeamB"));
    assert.deepEqual(again.teamsWithUsage().sort(), ["TeamA", "TeamB"]);
    assert.equal(again.unsettled, 6);
    await again.close();
  });

  it("group-commits concurrent appends into fewer writes", async () => {
    const log = await UsageLog.open({ dir: await tmpDir() });
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(entry(i))));
    assert.equal(log.linesWritten, 200);
    assert.ok(log.groupsWritten < 20, `${log.groupsWritten} groups for 200 appends`);
    await log.close();
  });

  it("seals a prefix of a team's requests into one batch and settles it", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    for (let i = 0; i < 5; i++) await log.append(entry(i * 2)); // all TeamA
    const b = await log.seal("TeamA", 7n, 3);
    assert.deepEqual(b.entries.toArray().map((e) => e.requestId), ["req-0", "req-2", "req-4"]);
    assert.deepEqual(log.pending("TeamA").toArray().map((e) => e.requestId), ["req-6", "req-8"]);
    await assert.rejects(log.seal("TeamA", 8n), UsageLogStateError, "never two batches in flight per team");
    await assert.rejects(log.settle("TeamA", 6n, "sig"), UsageLogStateError);
    await log.close();

    const again = await UsageLog.open({ dir });
    assert.equal(again.openBatch("TeamA")?.seq, 7n, "an open batch survives a restart with the same seq");
    assert.deepEqual(again.openBatch("TeamA")?.entries.toArray(), b.entries.toArray());
    await again.settle("TeamA", 7n, "5igNature");
    assert.equal(again.openBatch("TeamA"), null);
    assert.equal(again.unsettled, 2);
    await again.close();

    const third = await UsageLog.open({ dir });
    assert.equal(third.openBatch("TeamA"), null);
    assert.deepEqual(third.pending("TeamA").toArray().map((e) => e.requestId), ["req-6", "req-8"]);
    await third.close();
  });

  it("gives an open batch back unsent: its requests lead the pending ones again, also after a restart and a compaction", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    for (let i = 0; i < 5; i++) await log.append(entry(i * 2));
    await log.seal("TeamA", 7n, 3);
    await log.append(entry(10));
    await assert.rejects(log.unseal("TeamA", 6n), UsageLogStateError, "only the open batch, by its seq");
    await log.unseal("TeamA", 7n);
    const order = ["req-0", "req-2", "req-4", "req-6", "req-8", "req-10"];
    assert.equal(log.openBatch("TeamA"), null);
    assert.deepEqual(log.pending("TeamA").toArray().map((e) => e.requestId), order);
    assert.equal(log.unsettled, 6);
    await assert.rejects(log.unseal("TeamA", 7n), UsageLogStateError, "nothing open any more");
    const again = await log.seal("TeamA", 8n, 4); // sealed again under another seq
    assert.deepEqual(again.entries.toArray().map((e) => e.requestId), order.slice(0, 4));
    await log.close();

    const reopened = await UsageLog.open({ dir });
    assert.equal(reopened.openBatch("TeamA")?.seq, 8n, "replay: sealed 7, given back, sealed 8");
    assert.deepEqual(reopened.pending("TeamA").toArray().map((e) => e.requestId), order.slice(4));
    await reopened.unseal("TeamA", 8n);
    await reopened.compact();
    await reopened.close();
    const compacted = await UsageLog.open({ dir });
    assert.equal(compacted.openBatch("TeamA"), null);
    assert.deepEqual(compacted.pending("TeamA").toArray().map((e) => e.requestId), order);
    await compacted.close();
  });

  it("keeps a batch's pricing basis through replay and compaction", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    for (let i = 0; i < 4; i++) await log.append(entry(i * 2));
    const basis = { includedRequests: 10_000n, overagePrice: 10_000n, periodRequests: 9_998n, periodOverageSpend: 0n, spendCap: 0n };
    assert.deepEqual((await log.seal("TeamA", 3n, 3, basis)).basis, basis);
    await log.close();
    const again = await UsageLog.open({ dir });
    assert.deepEqual(again.openBatch("TeamA")?.basis, basis);
    await again.compact();
    await again.close();
    const compacted = await UsageLog.open({ dir });
    assert.deepEqual(compacted.openBatch("TeamA")?.basis, basis);
    await compacted.unseal("TeamA", 3n);
    assert.equal((await compacted.seal("TeamA", 4n)).basis, null, "sealed without one");
    await compacted.close();
  });

  it("keeps the gate's count of a team's spend and the batches settled after it through replay and compaction", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    for (let i = 0; i < 3; i++) await log.append(entry(i * 2)); // TeamA: costs 0, 20,000, 40,000; units 1, 3, 1
    await log.seal("TeamA", 5n, 2);
    log.noteSpend("TeamA", { key: 1_800_000_000, seq: 4n, charged: 70_000n, units: 7n });
    await log.settle("TeamA", 5n, "sig-5"); // settled before the gate counted it
    await log.seal("TeamA", 6n, 1);
    await log.settle("TeamA", 6n, null);
    const expected = {
      spent: { key: 1_800_000_000, seq: 4n, charged: 70_000n, units: 7n },
      uncounted: [
        { seq: 5n, charged: 20_000n, units: 4n },
        { seq: 6n, charged: 40_000n, units: 1n },
      ],
    };
    assert.deepEqual(log.spendOf("TeamA"), expected);
    assert.deepEqual(log.teamsWithSpend(), ["TeamA"]);
    assert.deepEqual(log.teamsWithUsage(), [], "nothing unsettled");
    await log.close();

    const again = await UsageLog.open({ dir });
    assert.deepEqual(again.spendOf("TeamA"), expected);
    await again.compact(); // the checkpoint carries what the dropped segments said
    // The gate counts batch 5: the count through 5 replaces it; 6 stays uncounted.
    again.noteSpend("TeamA", { key: 1_800_000_000, seq: 5n, charged: 90_000n, units: 11n });
    await again.append(entry(1)); // written after the count: the count is applied when this resolves
    assert.deepEqual(again.spendOf("TeamA").uncounted, [expected.uncounted[1]]);
    again.noteSpend("TeamA", { key: 1_800_000_000, seq: 4n, charged: 1n, units: 1n });
    await again.append(entry(3));
    assert.equal(again.spendOf("TeamA").spent?.seq, 5n, "a count never goes back");
    await again.close();

    const compacted = await UsageLog.open({ dir });
    assert.deepEqual(compacted.spendOf("TeamA"), { spent: { key: 1_800_000_000, seq: 5n, charged: 90_000n, units: 11n }, uncounted: [expected.uncounted[1]] });
    assert.deepEqual(compacted.spendOf("TeamB"), { spent: null, uncounted: [] });
    await compacted.compact();
    await compacted.close();
    const twice = await UsageLog.open({ dir });
    assert.deepEqual(twice.spendOf("TeamA").spent?.charged, 90_000n);
    assert.equal(twice.spendOf("TeamA").uncounted.length, 1);
    await twice.close();
  });

  it("refuses bad seal requests", async () => {
    const log = await UsageLog.open({ dir: await tmpDir() });
    await assert.rejects(log.seal("TeamA", 1n), UsageLogStateError, "nothing to seal");
    await log.append(entry(0));
    await assert.rejects(log.seal("TeamA", 1n, 2), RangeError);
    await assert.rejects(log.seal("TeamA", 1n, 0), RangeError);
    await log.close();
  });

  it("refuses a request id it already holds unsettled", async () => {
    const log = await UsageLog.open({ dir: await tmpDir() });
    await log.append(entry(1));
    await assert.rejects(log.append(entry(1)), UsageLogStateError);
    await log.close();
    await assert.rejects(log.append(entry(2)), /closed/);
  });

  it("refuses units or a cost outside u64 before writing anything", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    await assert.rejects(log.append(entry(1, { cost: 1n << 64n })), /u64/);
    await assert.rejects(log.append(entry(2, { units: -1n })), /u64/);
    await log.append(entry(4));
    await log.close();
    const again = await UsageLog.open({ dir });
    assert.deepEqual(again.pending("TeamA").toArray().map((e) => e.requestId), ["req-4"]);
    assert.equal(again.unsettled, 1);
    await again.close();
  });

  it("with uniqueIds: counts unsettled entries without indexing their ids, across seal, settle and replay", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir, uniqueIds: true });
    for (let i = 0; i < 6; i++) await log.append(entry(i * 2)); // TeamA
    assert.equal(log.unsettled, 6);
    await log.seal("TeamA", 1n, 4);
    assert.equal(log.unsettled, 6, "sealed is still unsettled");
    await log.settle("TeamA", 1n, "sig");
    assert.equal(log.unsettled, 2);
    await log.close();
    const again = await UsageLog.open({ dir, uniqueIds: true });
    assert.equal(again.unsettled, 2);
    assert.deepEqual(again.pending("TeamA").toArray().map((e) => e.requestId), ["req-8", "req-10"]);
    await again.append(entry(12));
    assert.equal(again.unsettled, 3);
    await again.close();
  });

  it("cuts a torn last line off on replay and keeps appending", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    await log.append(entry(0));
    await log.append(entry(2));
    await log.close();
    const [seg] = await segFiles(dir);
    const full = await fsp.readFile(path.join(dir, seg!), "utf8");
    await fsp.appendFile(path.join(dir, seg!), full.split("\n")[0]!.slice(0, 40)); // a write cut short
    const again = await UsageLog.open({ dir });
    assert.equal(again.unsettled, 2);
    assert.equal((await fsp.readFile(path.join(dir, seg!), "utf8")).length, full.length, "torn tail truncated");
    await again.append(entry(4));
    await again.close();
    const third = await UsageLog.open({ dir });
    assert.equal(third.unsettled, 3);
    await third.close();
  });

  it("drops a group whose trailer does not check out at the end of the last segment", async () => {
    const { dir, seg, text: good } = await logOfOne();
    // A whole group whose bytes do not match its trailer (e.g. a power loss left garbage in the page).
    const forged = good.replace("req-0", "req-9");
    await fsp.appendFile(seg, forged);
    const again = await UsageLog.open({ dir });
    assert.equal(again.unsettled, 1);
    assert.deepEqual(again.pending("TeamA").toArray().map((e) => e.requestId), ["req-0"]);
    assert.equal((await fsp.readFile(seg, "utf8")).length, good.length, "bad tail group truncated");
    await again.close();
  });

  it("applies nothing of a group without its trailer, even when its lines are whole", async () => {
    const { dir, seg, text: good } = await logOfOne();
    const lines = good.split("\n");
    await fsp.appendFile(seg, lines[0]!.replace("req-0", "req-2") + "\n"); // line written, trailer not
    const again = await UsageLog.open({ dir });
    assert.deepEqual(again.pending("TeamA").toArray().map((e) => e.requestId), ["req-0"]);
    await again.close();
  });

  it("replays a log written in the format before groups (self-checked JSON lines), then appends in groups", async () => {
    const dir = await tmpDir();
    const legacy = (l: object) => {
      const json = JSON.stringify(l);
      return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
    };
    const u = (i: number) => ({ t: "u", id: `old-${i}`, tid: "team-1", team: "TeamA", user: null, ep: "/api/v1/verify", n: "1", c: "10000", ts: 1_700_000_000_000 + i });
    await fsp.writeFile(
      path.join(dir, "seg-000000000001.log"),
      legacy(u(1)) + legacy(u(2)) + legacy(u(3)) + legacy({ t: "b", team: "TeamA", seq: "7", ids: ["old-1", "old-2"] }) + legacy({ t: "s", team: "TeamA", seq: "7", sig: "sig7" }),
    );
    const log = await UsageLog.open({ dir });
    assert.deepEqual(log.pending("TeamA").toArray().map((e) => e.requestId), ["old-3"]);
    assert.equal(log.openBatch("TeamA"), null);
    await log.append(entry(0));
    await log.close();
    const again = await UsageLog.open({ dir });
    assert.deepEqual(again.pending("TeamA").toArray().map((e) => e.requestId), ["old-3", "req-0"]);
    await again.close();
  });

  it("replays a sealed batch by count and ends, and refuses a batch line that does not match the pending requests", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    for (let i = 0; i < 5; i++) await log.append(entry(i * 2)); // TeamA: req-0 … req-8
    await log.seal("TeamA", 3n, 3);
    await log.close();
    const again = await UsageLog.open({ dir });
    assert.deepEqual(again.openBatch("TeamA")!.entries.toArray().map((e) => e.requestId), ["req-0", "req-2", "req-4"]);
    assert.deepEqual(again.pending("TeamA").toArray().map((e) => e.requestId), ["req-6", "req-8"]);
    await again.close();

    const bad = await tmpDir();
    const lines = [encodeUsageEntry(entry(0)), encodeUsageEntry(entry(2)), encodeLine({ t: "b", team: "TeamA", seq: "1", n: 2, first: "req-0", last: "req-9" })];
    await fsp.writeFile(path.join(bad, "seg-000000000001.log"), frameGroup(lines.join(""), lines.length));
    await fsp.writeFile(path.join(bad, "seg-000000000002.log"), ""); // the group above is not the last file's tail
    await assert.rejects(UsageLog.open({ dir: bad }), UsageLogCorruptError);
  });

  it("refuses to open over a bad line before the last segment's tail", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    await log.append(entry(0));
    await log.close();
    const again = await UsageLog.open({ dir }); // a second segment
    await again.append(entry(2));
    await again.close();
    const [first] = await segFiles(dir);
    const text = await fsp.readFile(path.join(dir, first!), "utf8");
    await fsp.writeFile(path.join(dir, first!), text.replace("TeamA", "TeamX"));
    await assert.rejects(UsageLog.open({ dir }), UsageLogCorruptError);
    await fsp.rm(path.join(dir, "LOCK"), { force: true });
  });

  it("compacts settled requests away and replays the same live state from the checkpoint", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    for (let i = 0; i < 40; i++) await log.append(entry(i * 2, { requestId: `a-${i}` }));
    for (let i = 0; i < 3; i++) await log.append(entry(1, { requestId: `b-${i}` }));
    await log.seal("TeamA", 1n, 30);
    await log.settle("TeamA", 1n, "sig1");
    await log.seal("TeamA", 2n, 5);
    const before = (await fsp.stat(path.join(dir, (await segFiles(dir))[0]!))).size;
    await log.compact();
    const files = await segFiles(dir);
    assert.equal(files.filter((f) => f.startsWith("seg-")).length, 1, "old segments deleted");
    assert.equal(files.filter((f) => f.startsWith("ckpt-")).length, 1);
    const ckpt = (await fsp.stat(path.join(dir, files.find((f) => f.startsWith("ckpt-"))!))).size;
    assert.ok(ckpt < before / 2, `checkpoint ${ckpt} bytes < half of ${before}`);
    await log.append(entry(3, { requestId: "b-3" }));
    const state = {
      open: snapshot(log.openBatch("TeamA")),
      a: log.pending("TeamA").toArray(),
      b: log.pending("TeamB").toArray(),
    };
    await log.close();
    const again = await UsageLog.open({ dir });
    assert.deepEqual({ open: snapshot(again.openBatch("TeamA")), a: again.pending("TeamA").toArray(), b: again.pending("TeamB").toArray() }, state);
    assert.equal(again.unsettled, 5 + 5 + 4);
    await again.close();
  });

  it("under either policy, makes a checkpoint and its name durable before deleting the segments it replaces, and a new segment's name with the next sync", async () => {
    for (const durability of ["write", "fsync"] as const) {
      const dir = await tmpDir();
      const log = await UsageLog.open({ dir, durability, syncIntervalMs: 0 });
      for (let i = 0; i < 10; i++) await log.append(entry(i, { requestId: `d-${i}` }));
      // Every file operation from here, in order, named by file (a handle's syncs by the file it was opened on).
      const events: string[] = [];
      const name = (p: string) => path.relative(dir, p) || ".";
      const handle = await fsp.open(dir, "r");
      const proto = Object.getPrototypeOf(handle) as { datasync: () => Promise<void>; sync: () => Promise<void> };
      await handle.close();
      const opened = new Map<number, string>();
      const saved = { open: fsp.open, rename: fsp.rename, rm: fsp.rm, datasync: proto.datasync, sync: proto.sync };
      const mutable = fsp as unknown as Record<string, unknown>;
      mutable.open = async (...a: Parameters<typeof fsp.open>) => {
        const fh = await saved.open(...a);
        opened.set(fh.fd, name(String(a[0])));
        if (name(String(a[0])).startsWith("seg-")) events.push(`open ${name(String(a[0]))}`);
        return fh;
      };
      mutable.rename = async (from: string, to: string) => {
        events.push(`rename ${name(from)} ${name(to)}`);
        return saved.rename(from, to);
      };
      mutable.rm = async (p: string, o?: object) => {
        events.push(`rm ${name(p)}`);
        return saved.rm(p, o);
      };
      proto.datasync = async function (this: fsp.FileHandle) {
        events.push(`datasync ${opened.get(this.fd) ?? "?"}`);
        return saved.datasync.call(this);
      };
      proto.sync = async function (this: fsp.FileHandle) {
        events.push(`sync ${opened.get(this.fd) ?? "?"}`);
        return saved.sync.call(this);
      };
      try {
        await log.compact();
        await log.append(entry(11, { requestId: "d-11" }));
        await log.close();
      } finally {
        Object.assign(mutable, { open: saved.open, rename: saved.rename, rm: saved.rm });
        proto.datasync = saved.datasync;
        proto.sync = saved.sync;
      }
      const at = (e: string) => events.indexOf(e);
      const tmp = events.find((e) => e.startsWith("rename ckpt-"))!.split(" ")[1]!;
      assert.ok(at(`datasync ${tmp}`) >= 0 && at(`datasync ${tmp}`) < at(`rename ${tmp} ${tmp.replace(/\.tmp$/, "")}`), `${durability}: ${events.join(", ")}`);
      const dirSyncAfterRename = events.findIndex((e, i) => e === "sync ." && i > at(`rename ${tmp} ${tmp.replace(/\.tmp$/, "")}`));
      const firstRm = events.findIndex((e) => e.startsWith("rm seg-"));
      assert.ok(dirSyncAfterRename >= 0 && firstRm > dirSyncAfterRename, `${durability}: the directory synced after the rename, before the deletion: ${events.join(", ")}`);
      // The segment the rotation opened: its name synced after it was created.
      const created = events.findIndex((e) => e.startsWith("open seg-"));
      assert.ok(created >= 0 && events.lastIndexOf("sync .") > created, `${durability}: the new segment's name synced: ${events.join(", ")}`);
    }
  });

  it("checkpoints the state of the rotation while appends, seals and settles go on during its encoding", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir, durability: "write", uniqueIds: true });
    const wave = (from: number, n: number) => Promise.all(Array.from({ length: n }, (_, i) => log.append(entry((from + i) * 2, { requestId: `w-${from + i}` }))));
    await wave(0, 9_000); // several slices of the checkpoint's encoding
    await log.seal("TeamA", 1n, 4_000);
    const compaction = log.compact();
    // Meanwhile: more requests, the open batch settled, the next one sealed.
    await wave(9_000, 500);
    await log.settle("TeamA", 1n, "sig1");
    await log.seal("TeamA", 2n, 100);
    await wave(9_500, 500);
    await compaction;
    // The checkpoint holds what was live at the rotation: batch 1 (4,000) and 5,000 pending, nothing later.
    const ckpt = (await segFiles(dir)).find((f) => f.startsWith("ckpt-"))!;
    const lines = (await fsp.readFile(path.join(dir, ckpt), "utf8")).split("\n");
    assert.equal(lines.filter((l) => l.startsWith("u ")).length, 9_000);
    assert.deepEqual(lines.filter((l) => l.startsWith("j ")).map((l) => JSON.parse(l.slice(2)).seq), ["1"]);
    const state = { open: snapshot(log.openBatch("TeamA")), pending: log.pending("TeamA").toArray().map((e) => e.requestId), unsettled: log.unsettled };
    assert.equal(state.unsettled, 6_000);
    await log.close();
    const again = await UsageLog.open({ dir });
    assert.deepEqual({ open: snapshot(again.openBatch("TeamA")), pending: again.pending("TeamA").toArray().map((e) => e.requestId), unsettled: again.unsettled }, state);
    await again.close();
  });

  it("rotates and compacts by itself when a segment reaches maxSegmentBytes", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir, maxSegmentBytes: 2_000 });
    for (let i = 0; i < 60; i++) {
      await log.append(entry(i * 2, { requestId: `r-${i}` }));
      if (i % 10 === 9) {
        await log.seal("TeamA", BigInt(i), 10);
        await log.settle("TeamA", BigInt(i), null);
      }
    }
    await log.compact();
    const total = (await Promise.all((await segFiles(dir)).map((f) => fsp.stat(path.join(dir, f))))).reduce(
      (n, s) => n + s.size,
      0,
    );
    assert.ok(total < 2_000, `${total} bytes on disk after everything settled`);
    await log.close();
    const again = await UsageLog.open({ dir });
    assert.equal(again.unsettled, 0);
    await again.close();
  });

  it("under \"write\", does not hold appends for the closed segment's fdatasync at a rotation, and replays everything", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir, durability: "write", maxSegmentBytes: 2_000, syncIntervalMs: 0 });
    await log.append(entry(0, { requestId: "w-0" }));
    // Every fdatasync from here takes 300 ms.
    const handle = await fsp.open(dir, "r");
    const proto = Object.getPrototypeOf(handle) as { datasync: () => Promise<void> };
    await handle.close();
    const datasync = proto.datasync;
    let slowSyncs = 0;
    proto.datasync = async function (this: fsp.FileHandle) {
      slowSyncs++;
      await new Promise((r) => setTimeout(r, 300));
      return datasync.call(this);
    };
    let slowest = 0;
    try {
      for (let i = 1; i < 60; i++) {
        const t = performance.now();
        await log.append(entry(i, { requestId: `w-${i}` }));
        slowest = Math.max(slowest, performance.now() - t);
      }
    } finally {
      proto.datasync = datasync;
    }
    assert.ok(slowSyncs >= 2, `the segments were rotated and synced (${slowSyncs} fdatasyncs)`);
    assert.ok(slowest < 150, `the slowest append took ${slowest.toFixed(0)} ms, fdatasync 300 ms`);
    await log.close();
    const again = await UsageLog.open({ dir });
    assert.equal(again.unsettled, 60);
    const replayed = [...again.pending("TeamA").toArray(), ...again.pending("TeamB").toArray()].map((e) => e.requestId);
    assert.deepEqual(replayed.sort(), Array.from({ length: 60 }, (_, i) => `w-${i}`).sort());
    await again.close();
  });

  it("leaves no phantom entry when a write fails, and keeps working after", async () => {
    const log = await UsageLog.open({ dir: await tmpDir() });
    await log.append(entry(0));
    // Fault injection: the next write of the segment fails like a full disk would.
    const fh = (log as unknown as { fh: { write: (...a: unknown[]) => Promise<unknown> } }).fh;
    const write = fh.write.bind(fh);
    fh.write = () => Promise.reject(Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" }));
    await assert.rejects(log.append(entry(2)), /ENOSPC/);
    assert.equal(log.unsettled, 1);
    fh.write = write;
    await log.append(entry(2));
    assert.equal(log.unsettled, 2);
    await log.close();
  });

  it("lets one process at a time write a directory, taking over the lock of a dead one", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir });
    await assert.rejects(UsageLog.open({ dir }), UsageLogLockedError);
    await log.close();
    await fsp.writeFile(path.join(dir, "LOCK"), "999999999"); // no such process
    const again = await UsageLog.open({ dir });
    assert.equal((await fsp.readFile(path.join(dir, "LOCK"), "utf8")).trim(), String(process.pid));
    await again.close();
  });

  it("rejects malformed options", async () => {
    await assert.rejects(UsageLog.open({ dir: await tmpDir(), durability: "never" as "fsync" }), RangeError);
    await assert.rejects(UsageLog.open({ dir: await tmpDir(), maxSegmentBytes: 0 }), RangeError);
  });

  for (const durability of ["fsync", "write"] as const) {
    it(`keeps every acknowledged entry when the writing process is killed with SIGKILL (${durability})`, async function () {
      this.timeout(60_000);
      const dir = await tmpDir();
      // node itself (not the tsx wrapper) so that SIGKILL hits the process that writes.
      const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "../../test/usage-log-child.ts"), dir, durability], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const acked: string[] = [];
      let buf = "";
      await new Promise<void>((resolve, reject) => {
        child.on("error", reject);
        child.stdout.on("data", (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split("\n");
          buf = lines.pop()!;
          for (const l of lines) if (l !== "ready") acked.push(l);
          if (acked.length >= 3_000) {
            child.kill("SIGKILL");
            resolve();
          }
        });
      });
      await new Promise((r) => child.on("exit", r));
      const log = await UsageLog.open({ dir }); // the dead child's lock is taken over
      const held = new Set(log.pending("TeamA").toArray().map((e) => e.requestId));
      const missing = acked.filter((id) => !held.has(id));
      assert.deepEqual(missing, [], "every acknowledged append survived");
      assert.ok(held.size >= acked.length);
      await log.close();
    });
  }

  it("with durability write and maxGroupWaitMs 0: writes each callback's lines right after it, in one write", async () => {
    const log = await UsageLog.open({ dir: await tmpDir(), durability: "write", maxGroupWaitMs: 0 });
    const written = () => new Promise<number>((resolve) => process.nextTick(() => resolve(log.groupsWritten)));
    const first = [log.append(entry(0)), log.append(entry(1))];
    assert.equal(await written(), 1, "written right after the callback that appended them, both in one write");
    await Promise.all(first);
    await new Promise((r) => setImmediate(r)); // another callback
    const second = log.append(entry(2));
    assert.equal(await written(), 2);
    await second;
    assert.equal(log.linesWritten, 3);
    await log.close();
  });

  it("with durability write and maxGroupWaitMs: groups callbacks' lines until the first has waited that long, else until the turn ends", async () => {
    const busy = (ms: number) => {
      for (const end = performance.now() + ms; performance.now() < end; );
    };
    const afterThisCallback = () => new Promise<number>((resolve) => process.nextTick(() => resolve(log.groupsWritten)));
    const log = await UsageLog.open({ dir: await tmpDir(), durability: "write", maxGroupWaitMs: 5 });
    // Within the wait: the group is written at the end of the turn, not after the callback.
    const quick = [log.append(entry(0)), log.append(entry(1))];
    assert.equal(await afterThisCallback(), 0);
    await Promise.all(quick);
    assert.equal(log.groupsWritten, 1);
    // A long turn: the third append finds the first line waited 10 ms and has the group written after this
    // callback, all three lines in one write.
    const slow = [log.append(entry(2))];
    busy(10);
    slow.push(log.append(entry(3)), log.append(entry(4)));
    assert.equal(await afterThisCallback(), 2);
    assert.equal(log.linesWritten, 5);
    await Promise.all(slow);
    await new Promise((r) => setImmediate(r)); // the turn-end flush finds nothing left
    assert.equal(log.groupsWritten, 2);
    await log.close();
    await assert.rejects(UsageLog.open({ dir: await tmpDir(), durability: "write", maxGroupWaitMs: -1 }), /maxGroupWaitMs/);
  });

  it("with durability write and maxGroupWaitMs: flushDue() (the gate's call at each admission) writes a group that waited long enough, after the current callback", async () => {
    const busy = (ms: number) => {
      for (const end = performance.now() + ms; performance.now() < end; );
    };
    const afterThisCallback = () => new Promise<number>((resolve) => process.nextTick(() => resolve(log.groupsWritten)));
    const log = await UsageLog.open({ dir: await tmpDir(), durability: "write", maxGroupWaitMs: 5 });
    log.flushDue(); // nothing waits: nothing to do
    assert.equal(await afterThisCallback(), 0);
    // Not waited long enough: the group stays for the end of the turn.
    const early = log.append(entry(0));
    log.flushDue();
    assert.equal(await afterThisCallback(), 0);
    await early;
    assert.equal(log.groupsWritten, 1);
    // The first line has waited 10 ms and no other append comes: flushDue alone has it written after this callback.
    const late = log.append(entry(1));
    busy(10);
    log.flushDue();
    log.flushDue(); // a second call schedules nothing more
    assert.equal(await afterThisCallback(), 2);
    await late;
    await new Promise((r) => setImmediate(r));
    assert.equal(log.groupsWritten, 2, "the turn-end flush found nothing left");
    assert.equal(log.linesWritten, 2);
    await log.close();

    // Groups by turn only (fsync) or a line at a time (0): flushDue has nothing to decide.
    for (const o of [{ durability: "fsync" as const }, { durability: "write" as const, maxGroupWaitMs: 0 }]) {
      const other = await UsageLog.open({ dir: await tmpDir(), ...o });
      const appended = other.append(entry(2));
      busy(1);
      other.flushDue();
      await appended;
      assert.equal(other.groupsWritten, 1);
      await other.close();
    }
  });

  it("with durability write: groups the appends of one turn, syncs in the background, replays", async () => {
    const dir = await tmpDir();
    const log = await UsageLog.open({ dir, durability: "write", syncIntervalMs: 10 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(entry(i))));
    assert.equal(log.groupsWritten, 1, `${log.groupsWritten} writes for 300 appends made in one turn`);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(log.syncs >= 1, "a background fdatasync ran");
    assert.equal(log.lastSyncError, null);
    await log.close();
    const again = await UsageLog.open({ dir, durability: "write" });
    assert.equal(again.unsettled, 300);
    await again.close();
  });

  it("with durability write: leaves no phantom entry when a write fails", async () => {
    const log = await UsageLog.open({ dir: await tmpDir(), durability: "write" });
    await log.append(entry(0));
    // Fault injection: the next group's write fails like a full disk would.
    const l = log as unknown as { writeAllSync: (b: Buffer) => void };
    const write = l.writeAllSync.bind(log);
    l.writeAllSync = () => {
      throw Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" });
    };
    await assert.rejects(log.append(entry(2)), /ENOSPC/);
    assert.equal(log.unsettled, 1);
    l.writeAllSync = write;
    await log.append(entry(2));
    assert.equal(log.unsettled, 2);
    await log.close();
  });

  it("rejects a negative sync interval", async () => {
    await assert.rejects(UsageLog.open({ dir: await tmpDir(), durability: "write", syncIntervalMs: -1 }), RangeError);
  });
});
