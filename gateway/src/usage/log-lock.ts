// The usage log directory's lock: a LOCK file holding the pid of the one process that writes the directory.
// Two writers would interleave groups and settle each other's batches; a lock left by a process that died
// (SIGKILL, a crash) is taken over.
import { promises as fsp } from "node:fs";
import path from "node:path";

export class UsageLogLockedError extends Error {
  readonly code = "usage_log_locked";
}

const lockPath = (dir: string) => path.join(dir, "LOCK");

/** Takes `dir`'s lock for this process; UsageLogLockedError when a live process holds it. */
export async function lockLogDir(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await fsp.open(lockPath(dir), "wx");
      await fh.writeFile(String(process.pid));
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const pid = Number((await fsp.readFile(lockPath(dir), "utf8").catch(() => "")).trim());
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new UsageLogLockedError(`usage log ${dir} is in use by process ${pid}`);
    }
    await fsp.rm(lockPath(dir), { force: true }); // stale lock of a dead process
  }
  throw new UsageLogLockedError(`usage log ${dir}: could not take the lock`);
}

/** Gives `dir`'s lock back. */
export async function unlockLogDir(dir: string): Promise<void> {
  await fsp.rm(lockPath(dir), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // alive, another user's
  }
}
