import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { encodeLine, encodeUsageEntry, frameGroup, UsageLogCorruptError, type LogLine } from "./codec";
import { ckptName, logFilesOf, readLogText, segName } from "./log-files";
import { lockLogDir, unlockLogDir, UsageLogLockedError } from "./log-lock";
import type { UsageEntry } from "./sink";

const entry = (i: number): UsageEntry => ({
  requestId: `req-${i}`,
  teamId: "team-1",
  team: "TeamA",
  userId: null,
  endpoint: "/api/v1/verify",
  units: 1n,
  cost: 100n,
  timestampMs: 1_700_000_000_000 + i,
});

/** One group of the given entries, as written: its lines and its trailer. */
const group = (...ids: number[]) => frameGroup(ids.map((i) => encodeUsageEntry(entry(i))).join(""), ids.length).toString("latin1");

/** The request ids readLogText hands over, and what it returns. */
function read(text: string, last: boolean): { ids: string[]; good: number } {
  const ids: string[] = [];
  const good = readLogText(text, "dir/seg", last, (l: LogLine) => ids.push(l.t === "u" ? l.id : l.t));
  return { ids, good };
}

describe("usage log files", () => {
  it("names segments and checkpoints and lists their numbers in order, ignoring other files", () => {
    assert.equal(segName(7), "seg-000000000007.log");
    assert.equal(ckptName(12), "ckpt-000000000012.log");
    const names = [segName(10), "LOCK", ckptName(9), segName(2), "seg-1.log", `${ckptName(3)}.tmp`, ckptName(3)];
    assert.deepEqual(logFilesOf(names), { segments: [2, 10], checkpoints: [3, 9] });
  });

  it("hands over the lines of whole groups and returns the bytes they take", () => {
    const text = group(0, 1) + group(2);
    assert.deepEqual(read(text, false), { ids: ["req-0", "req-1", "req-2"], good: Buffer.byteLength(text) });
  });

  it("stops before a torn or unchecked group at the end of the last file", () => {
    const good = group(0);
    for (const tail of [group(1).slice(0, 20), group(1).replace("req-1", "req-9"), encodeUsageEntry(entry(1))]) {
      assert.deepEqual(read(good + tail, true), { ids: ["req-0"], good: Buffer.byteLength(good) });
    }
  });

  it("refuses the same damage before the end of the log, naming the file and the byte", () => {
    const good = group(0);
    assert.throws(() => read(good + group(1).replace("req-1", "req-9"), false), (err: Error) => {
      assert.ok(err instanceof UsageLogCorruptError);
      assert.match(err.message, new RegExp(`dir/seg: bad group at byte ${Buffer.byteLength(good)}`));
      return true;
    });
    assert.throws(() => read(good + "garbage\n", false), /dir\/seg: bad line/);
  });

  it("turns a line the state refuses into corruption", () => {
    const text = frameGroup(encodeLine({ t: "s", team: "TeamA", seq: "1", sig: null }), 1).toString("latin1");
    assert.throws(
      () => readLogText(text, "dir/seg", true, () => { throw new Error("no open batch"); }),
      (err: Error) => err instanceof UsageLogCorruptError && /dir\/seg at byte 0: no open batch/.test(err.message),
    );
  });

  it("locks a directory for one live process and takes over a dead one's lock", async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "usage-lock-"));
    try {
      await lockLogDir(dir);
      assert.equal(await fsp.readFile(path.join(dir, "LOCK"), "utf8"), String(process.pid));
      await assert.rejects(lockLogDir(dir), (err: Error) => err instanceof UsageLogLockedError && err.message.includes(`process ${process.pid}`));
      await unlockLogDir(dir);
      await fsp.writeFile(path.join(dir, "LOCK"), "2147483646"); // no such process
      await lockLogDir(dir);
      assert.equal(await fsp.readFile(path.join(dir, "LOCK"), "utf8"), String(process.pid));
      await unlockLogDir(dir);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
