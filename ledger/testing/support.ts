// Helpers for the ledger's tests: throwaway data directories and the fixture functions directory.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The small convex/ stand-in the sidecar tests run against. */
export const FIXTURE_FUNCTIONS_DIR = path.join(__dirname, "..", "fixtures", "convex");

/** A fresh empty directory under the OS temp dir; removed by `cleanup()`. */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ledger-${prefix}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
