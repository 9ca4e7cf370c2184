// One process writes a data directory; a second is refused; a dead owner's lock is taken over.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startSidecarProcess } from "../start-sidecar";
import { FIXTURE_FUNCTIONS_DIR, tempDir } from "../testing/support";
import { SidecarError } from "./errors";
import { acquireDataDirLock } from "./lock";

const isLocked = (error: unknown) => error instanceof SidecarError && error.code === "data_dir_locked";

/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(result.stdout.toString());
}

describe("ledger data directory lock", function () {
  it("writes the owner's pid and removes the file on release", function () {
    const data = tempDir("lock");
    try {
      const lock = acquireDataDirLock(data.dir);
      const content = JSON.parse(fs.readFileSync(lock.path, "utf8")) as { pid: number };
      assert.equal(content.pid, process.pid);
      assert.equal(lock.tookOverFrom, null);
      lock.release();
      assert.equal(fs.existsSync(lock.path), false);
    } finally {
      data.cleanup();
    }
  });

  it("refuses a second owner while the first is alive", function () {
    const data = tempDir("lock2");
    try {
      const lock = acquireDataDirLock(data.dir);
      assert.throws(() => acquireDataDirLock(data.dir), isLocked);
      lock.release();
      acquireDataDirLock(data.dir).release();
    } finally {
      data.cleanup();
    }
  });

  it("takes over a lock whose owner is dead, unreadable, or a different process that reused the pid", function () {
    const data = tempDir("stale");
    try {
      const lockPath = path.join(data.dir, "LOCK");
      const dead = deadPid();
      fs.writeFileSync(lockPath, JSON.stringify({ pid: dead, startTicks: 1, acquiredAt: "then" }));
      const taken = acquireDataDirLock(data.dir);
      assert.equal(taken.tookOverFrom, dead);
      taken.release();

      fs.writeFileSync(lockPath, "{tor");
      acquireDataDirLock(data.dir).release();

      // A live pid with another start time is not the process that wrote the lock.
      fs.writeFileSync(lockPath, JSON.stringify({ pid: process.pid, startTicks: -5, acquiredAt: "then" }));
      const reused = acquireDataDirLock(data.dir);
      assert.equal(reused.tookOverFrom, process.pid);
      reused.release();
    } finally {
      data.cleanup();
    }
  });

  it("makes a second sidecar on the same data directory fail clearly", async function () {
    const data = tempDir("two");
    const first = await startSidecarProcess({ dataDir: data.dir, functionsDir: FIXTURE_FUNCTIONS_DIR, crons: false });
    try {
      await assert.rejects(
        startSidecarProcess({ dataDir: data.dir, functionsDir: FIXTURE_FUNCTIONS_DIR, crons: false }),
        (error: unknown) => {
          assert.ok(error instanceof SidecarError && error.code === "sidecar_start_failed");
          assert.match(error.message, new RegExp(`data_dir_locked: .*\\(pid ${first.pid},`));
          return true;
        },
      );
      // After a crash the lock stays behind and the next start takes it over.
      await first.kill();
      assert.ok(fs.existsSync(path.join(data.dir, "LOCK")));
      const events: Array<Record<string, unknown>> = [];
      const second = await startSidecarProcess({
        dataDir: data.dir,
        functionsDir: FIXTURE_FUNCTIONS_DIR,
        crons: false,
        onEvent: (event) => events.push(event),
      });
      // A generous grace: on a loaded 2-core machine the clean stop (snapshot, lock release) can take seconds,
      // and a stop that ran out of grace would SIGKILL and leave the lock behind.
      await second.stop(60_000);
      assert.ok(events.some((event) => event.event === "lock_taken_over" && event.stalePid === first.pid));
      assert.equal(fs.existsSync(path.join(data.dir, "LOCK")), false, "a clean stop releases the lock");
    } finally {
      await first.kill();
      data.cleanup();
    }
  });
});
