// Starting the sidecar: readiness, start-up failures, no orphan after the parent dies, and the
// production/embedded switch `npm start` uses.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { SidecarError } from "./sidecar/errors";
import { connectLedger, startSidecarProcess } from "./start-sidecar";
import { FIXTURE_FUNCTIONS_DIR, tempDir, waitFor } from "./testing/support";

function isRunning(pid: number): boolean {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    return state !== "Z";
  } catch {
    return false;
  }
}

describe("starting the ledger sidecar", function () {
  it("answers health checks once started and reports its store on the way", async function () {
    const data = tempDir("start");
    const events: string[] = [];
    const sidecar = await startSidecarProcess({
      dataDir: data.dir,
      functionsDir: FIXTURE_FUNCTIONS_DIR,
      crons: false,
      onEvent: (event) => events.push(String(event.event)),
    });
    try {
      const health = (await (await fetch(`${sidecar.url}/_ledger/health`)).json()) as { ok: boolean; documents: number };
      assert.deepEqual(health, { ok: true, documents: 0 });
      assert.deepEqual(events, ["store_recovered", "listening"]);
      assert.match(sidecar.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await sidecar.stop();
      data.cleanup();
    }
  });

  it("runs at the CPU priority asked for, every thread of it, and refuses one that is not a nice value", async function () {
    const data = tempDir("nice");
    const sidecar = await startSidecarProcess({ dataDir: data.dir, functionsDir: FIXTURE_FUNCTIONS_DIR, crons: false, nice: 19 });
    try {
      assert.equal(((await (await fetch(`${sidecar.url}/_ledger/health`)).json()) as { ok: boolean }).ok, true);
      const niceOf = (tid: string) => Number(fs.readFileSync(`/proc/${sidecar.pid}/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]);
      const threads = fs.readdirSync(`/proc/${sidecar.pid}/task`);
      assert.deepEqual([...new Set(threads.map(niceOf))], [19], "nice 19 throughout");
    } finally {
      await sidecar.stop();
      data.cleanup();
    }
    for (const nice of [0, 20, 2.5]) await assert.rejects(startSidecarProcess({ dataDir: data.dir, nice }), /nice must be an integer from 1 to 19/);
  });

  it("fails with the sidecar's own reason when convex/ cannot be loaded", async function () {
    const data = tempDir("start-bad");
    try {
      await assert.rejects(
        startSidecarProcess({ dataDir: data.dir, functionsDir: path.join(data.dir, "nowhere") }),
        (error: unknown) =>
          error instanceof SidecarError &&
          error.code === "sidecar_start_failed" &&
          /modules_invalid: .*nowhere does not exist/.test(error.message),
      );
    } finally {
      data.cleanup();
    }
  });

  it("shuts itself down cleanly when the process that started it dies", async function () {
    const data = tempDir("orphan");
    const parent = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "testing", "hold-sidecar.ts"), data.dir], {
      cwd: path.join(__dirname, ".."),
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: parent.stdout! }).once("line", resolve);
        parent.once("exit", () => reject(new Error("the parent exited early")));
      });
      const { pid } = JSON.parse(line) as { pid: number };
      assert.ok(isRunning(pid));
      parent.kill("SIGKILL");
      await waitFor(() => !isRunning(pid), 10_000);
      assert.equal(fs.existsSync(path.join(data.dir, "LOCK")), false, "the lock was released by a clean stop");
    } finally {
      parent.kill("SIGKILL");
      data.cleanup();
    }
  });

  it("uses the Convex deployment when CONVEX_URL is set and starts nothing", async function () {
    const connection = await connectLedger({}, { CONVEX_URL: "https://happy-otter-123.convex.cloud", LEDGER_SERVER_SECRET: "s" });
    assert.deepEqual(
      { url: connection.url, mode: connection.mode, sidecar: connection.sidecar, secret: connection.serverSecret },
      { url: "https://happy-otter-123.convex.cloud", mode: "convex", sidecar: null, secret: "s" },
    );
    await connection.stop();
  });

  it("starts the embedded sidecar on LEDGER_PORT otherwise", async function () {
    const data = tempDir("connect");
    const connection = await connectLedger(
      { dataDir: data.dir, functionsDir: FIXTURE_FUNCTIONS_DIR, crons: false },
      { LEDGER_PORT: "0" },
    );
    try {
      assert.equal(connection.mode, "embedded");
      assert.ok(connection.sidecar !== null);
      assert.equal((await fetch(`${connection.url}/_ledger/health`)).status, 200);
    } finally {
      await connection.stop();
      data.cleanup();
    }
  });
});
