import assert from "node:assert/strict";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import type { Worker } from "node:worker_threads";
import { OffThreadMutations } from "../ledger/off-thread-mutations";
import { startRuntimeFromSettings } from "../runtime-settings";
import { createRootComputer } from "../settle/root-computer";
import { mkdtempSync, rmSync } from "node:fs";
import { GatewaySettingsError } from "../runtime-settings";
import { checkWorkerNice, DEFAULT_WORKER_NICE, startWorker, workerFile, WORKERS_DIR_ENV } from "./start-worker";

const PRIORITY_WORKER = path.join(__dirname, "../../test/priority-worker.ts");

/** The nice value the worker in `PRIORITY_WORKER` reports for its own thread. */
async function niceOf(worker: Worker): Promise<number> {
  try {
    const [m] = (await once(worker, "message")) as [{ nice: number }];
    return m.nice;
  } finally {
    await worker.terminate();
  }
}

describe("startWorker: the gateway's worker threads run at a low CPU priority", function () {
  this.timeout(30_000);
  // Per-thread nice values are Linux's (our machines'); the comparisons need this thread at nice 0.
  before(() => assert.equal(os.getPriority(0), 0, "the tests run at nice 0"));

  it("starts a worker at nice 19 by default, and leaves the request thread's priority alone", async () => {
    assert.equal(DEFAULT_WORKER_NICE, 19);
    assert.equal(await niceOf(startWorker(PRIORITY_WORKER)), 19);
    assert.equal(os.getPriority(0), 0, "this thread keeps nice 0");
  });

  it("starts one at the priority asked for, or at the process's with nice 0", async () => {
    assert.equal(await niceOf(startWorker(PRIORITY_WORKER, undefined, { nice: 7 })), 7);
    assert.equal(await niceOf(startWorker(PRIORITY_WORKER, undefined, { nice: 0 })), 0);
  });

  it("refuses a nice value that is not an integer from 0 to 19, before starting anything", () => {
    for (const bad of [-1, 20, 1.5, Number.NaN, "19"]) {
      assert.throws(() => checkWorkerNice(bad), RangeError, String(bad));
      assert.throws(() => startWorker(PRIORITY_WORKER, undefined, { nice: bad as number }), /workerNice must be an integer from 0/);
    }
    assert.throws(() => checkWorkerNice(undefined), RangeError);
    assert.equal(checkWorkerNice(0), 0);
    assert.equal(checkWorkerNice(19), 19);
  });

  it("refuses a bad workerNice outright where a worker that cannot start would fall back to running in-process", async () => {
    await assert.rejects(startRuntimeFromSettings({}, { workerNice: 20 }, {}), /workerNice must be an integer from 0/);
    assert.throws(() => createRootComputer({ nice: -1 }), /workerNice must be an integer from 0/);
    const inProcess = { mutation: () => Promise.reject(new Error("not called")) } as unknown as ConstructorParameters<typeof OffThreadMutations>[0];
    assert.throws(() => new OffThreadMutations(inProcess, { url: "http://127.0.0.1:9", serverSecret: "s" }, { nice: 20 }), /workerNice must be an integer from 0/);
  });

  it("finds a worker beside its caller's sources, or compiled in the directory GATEWAY_WORKERS_DIR names (how a Next.js bundle starts its workers)", () => {
    assert.equal(workerFile("/src/io-thread", "worker", {}), path.join("/src/io-thread", "worker.ts"));
    assert.equal(workerFile("/src/io-thread", "worker", { [WORKERS_DIR_ENV]: "/repo/.cache/gateway" }), path.join("/repo/.cache/gateway", "worker.cjs"));
    assert.equal(workerFile("/src/settle", "receipt-worker", { [WORKERS_DIR_ENV]: "" }), path.join("/src/settle", "receipt-worker.ts"), "empty: unset");
  });

  it("refuses to start a runtime when GATEWAY_WORKERS_DIR names a directory without the compiled workers", async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), "no-workers-"));
    const before = process.env[WORKERS_DIR_ENV];
    process.env[WORKERS_DIR_ENV] = empty;
    try {
      const started = startRuntimeFromSettings({ billingAuthorityFile: path.join(empty, "never-read.json") }, {}, {});
      await assert.rejects(started, (err: unknown) => {
        assert.ok(err instanceof GatewaySettingsError);
        assert.equal(err.code, "gateway_not_configured");
        assert.match(err.message, /GATEWAY_WORKERS_DIR=.*no-workers-.* holds no compiled gateway workers \(worker\.cjs\): build them with `npx tsx gateway\/build\.ts`/);
        return true;
      });
    } finally {
      if (before === undefined) delete process.env[WORKERS_DIR_ENV];
      else process.env[WORKERS_DIR_ENV] = before;
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
