// crons.ts entries run on timers, in the sidecar and with a catch-up after downtime.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { startSidecarProcess } from "../start-sidecar";
import { FIXTURE_FUNCTIONS_DIR, sleep, tempDir, waitFor } from "../testing/support";
import { startCronDriver } from "./cron-driver";
import type { CronEntry } from "./engine";

const entry = (name: string, schedule: Record<string, unknown>): CronEntry => ({
  name,
  functionPath: "ticks:record",
  args: { source: name },
  schedule,
});

describe("cron driver", function () {
  it("runs crons.ts's interval entry in the sidecar on the timer driver", async function () {
    const data = tempDir("cron");
    const runs: string[] = [];
    const sidecar = await startSidecarProcess({
      dataDir: data.dir,
      functionsDir: FIXTURE_FUNCTIONS_DIR,
      onEvent: (event) => {
        if (event.event === "cron_run") runs.push(String(event.name));
      },
    });
    try {
      const client = new ConvexHttpClient(sidecar.url, { skipConvexDeploymentUrlCheck: true, logger: false });
      await waitFor(async () => (await client.query(anyApi.ticks.count, { source: "every second" })) >= 2, 5000);
      assert.ok(runs.every((name) => name === "every second"), "the monthly entry waits for the 1st");
      const state = JSON.parse(fs.readFileSync(path.join(data.dir, "crons.json"), "utf8")) as Record<string, number>;
      assert.deepEqual(Object.keys(state).sort(), ["every second", "monthly"]);
    } finally {
      await sidecar.stop();
      data.cleanup();
    }
  });

  it("runs entries sequentially at their times and reports failures without stopping", async function () {
    let now = Date.parse("2025-05-05T10:00:59.950Z");
    const calls: string[] = [];
    const errors: string[] = [];
    const driver = startCronDriver({
      entries: [entry("fast", { type: "interval", seconds: 1 }), entry("minutely", { type: "cron", cron: "* * * * *" })],
      now: () => now,
      timer: { maxStepMs: 5 },
      run: async (e) => {
        calls.push(e.name);
        if (e.name === "minutely") throw new Error("boom");
      },
      onError: (e, error) => errors.push(`${e.name}: ${(error as Error).message}`),
    });
    assert.deepEqual(driver.nextRuns(), { fast: now + 1000, minutely: Date.parse("2025-05-05T10:01:00Z") });
    now += 100; // 10:01:00.050
    await sleep(30);
    assert.deepEqual(calls, ["minutely"]);
    assert.deepEqual(errors, ["minutely: boom"]);
    now += 1000;
    await sleep(30);
    assert.deepEqual(calls, ["minutely", "fast"]);
    assert.equal(driver.nextRuns().minutely, Date.parse("2025-05-05T10:02:00Z"));
    await driver.stop();
    now += 60_000;
    await sleep(30);
    assert.equal(calls.length, 2, "nothing runs after stop");
  });

  it("makes up once for a calendar run missed while stopped, and remembers runs across restarts", async function () {
    const data = tempDir("catchup");
    const statePath = path.join(data.dir, "crons.json");
    try {
      const daily = entry("invoices", { type: "daily", hourUTC: 0 });
      let now = Date.parse("2025-05-01T12:00:00Z");
      const calls: number[] = [];
      const options = {
        entries: [daily],
        statePath,
        now: () => now,
        timer: { maxStepMs: 5 },
        run: async () => {
          calls.push(now);
        },
      };
      // First start ever: a baseline, no catch-up.
      let driver = startCronDriver(options);
      await sleep(20);
      assert.equal(calls.length, 0);
      await driver.stop();
      // Down over three midnights: one run at start-up, then the next midnight.
      now = Date.parse("2025-05-04T08:00:00Z");
      driver = startCronDriver(options);
      await sleep(20);
      assert.equal(calls.length, 1);
      assert.equal(driver.nextRuns().invoices, Date.parse("2025-05-05T00:00:00Z"));
      await driver.stop();
      // Restarted the same day: nothing was missed since that run.
      now = Date.parse("2025-05-04T09:00:00Z");
      driver = startCronDriver(options);
      await sleep(20);
      assert.equal(calls.length, 1);
      await driver.stop();
    } finally {
      data.cleanup();
    }
  });
});
