// Single writer of a data directory: a lock file holding the owner's pid and process start time.
//
// A second live process is refused with `data_dir_locked`. A lock left by a process that no longer
// runs (SIGKILL, power loss) is taken over. The start time (from /proc on Linux) tells a live
// owner apart from an unrelated process that happens to have been given the same pid later.
import * as fs from "node:fs";
import * as path from "node:path";
import { SidecarError } from "./errors";

const LOCK_FILE = "LOCK";

interface LockContent {
  pid: number;
  /** Clock ticks since boot at which the process started (Linux), or null elsewhere. */
  startTicks: number | null;
  acquiredAt: string;
}

export interface DataDirLock {
  path: string;
  /** Set when a stale lock was taken over: its owner's pid. */
  tookOverFrom: number | null;
  release(): void;
}

/** Start time of `pid` in clock ticks since boot, null when unknown; "gone" when not running. */
function processStartTicks(pid: number): number | null | "gone" {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name: state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return "gone"; // exited, not yet reaped
    return Number(fields[19]);
  } catch {
    if (!fs.existsSync("/proc/self/stat")) return isAlive(pid) ? null : "gone";
    return "gone";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isHeld(content: LockContent): boolean {
  const ticks = processStartTicks(content.pid);
  if (ticks === "gone") return false;
  if (ticks === null || content.startTicks === null) return true;
  return ticks === content.startTicks;
}

function readLock(lockPath: string): LockContent | null {
  try {
    return JSON.parse(fs.readFileSync(lockPath, "utf8")) as LockContent;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    // Unreadable content: a crash while the lock was being written; nobody can own it.
    return { pid: -1, startTicks: null, acquiredAt: "" };
  }
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, LOCK_FILE);
  const own = processStartTicks(process.pid);
  const content: LockContent = {
    pid: process.pid,
    startTicks: own === "gone" ? null : own,
    acquiredAt: new Date().toISOString(),
  };
  let tookOverFrom: number | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // "wx": fails if the file exists, so of two starters exactly one creates it.
      fs.writeFileSync(lockPath, JSON.stringify(content), { flag: "wx" });
      let released = false;
      return {
        path: lockPath,
        tookOverFrom,
        release() {
          if (released) return;
          released = true;
          const current = readLock(lockPath);
          if (current?.pid === process.pid) fs.rmSync(lockPath, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readLock(lockPath);
    if (holder !== null && isHeld(holder)) {
      throw new SidecarError(
        "data_dir_locked",
        `${dataDir} is used by another ledger process (pid ${holder.pid}, since ${holder.acquiredAt}); ` +
          `stop it or choose another data directory`,
      );
    }
    // Stale: move it aside atomically (a concurrent taker gets ENOENT and retries the create).
    const aside = `${lockPath}.stale-${process.pid}`;
    try {
      fs.renameSync(lockPath, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      continue;
    }
    const moved = readLock(aside);
    if (holder !== null && moved !== null && moved.acquiredAt !== holder.acquiredAt && isHeld(moved)) {
      // Another starter replaced the stale lock after we read it: give its lock back.
      fs.linkSync(aside, lockPath);
      fs.rmSync(aside, { force: true });
      throw new SidecarError("data_dir_locked", `${dataDir} was just locked by pid ${moved.pid}`);
    }
    fs.rmSync(aside, { force: true });
    tookOverFrom = holder?.pid ?? null;
  }
  throw new SidecarError("data_dir_locked", `could not take the lock of ${dataDir}`);
}
