// A cross-process lock for the toolchain cache: `npm run build:program`, the test suite and a
// colleague's shell may all try to populate `.cache/sbf` at the same moment on one machine.
// mkdir is atomic; the owner's pid is written inside so a lock left by a killed process is taken over.
import fs from "node:fs";
import path from "node:path";

function ownerAlive(lockDir: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lockDir, "pid"), "utf8"));
  } catch {
    // The owner has created the directory but not yet written its pid: alive unless that moment
    // is long past (the owner died in between).
    try {
      return Date.now() - fs.statSync(lockDir).mtimeMs < 10_000;
    } catch {
      return false;
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` while holding the lock directory `lockDir`; waits up to `timeoutMs` for another holder. */
export function withLock<T>(lockDir: string, fn: () => T, timeoutMs = 15 * 60_000): T {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (!ownerAlive(lockDir)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lockDir}`);
      if (!announced) {
        console.log(`[sbf] waiting for another process holding ${lockDir}`);
        announced = true;
      }
      sleep(500);
    }
  }
  fs.writeFileSync(path.join(lockDir, "pid"), String(process.pid));
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
