// Timers for times further away than Node's 2^31−1 ms limit.
import assert from "node:assert/strict";
import { sleep } from "../testing/support";
import { MAX_TIMER_DELAY_MS, setTimerAt } from "./timers";

describe("long timers", function () {
  it("waits in steps and fires once, not before the time", async function () {
    const start = Date.now();
    const fired: number[] = [];
    setTimerAt(() => fired.push(Date.now()), start + 120, { maxStepMs: 25 });
    await sleep(60);
    assert.deepEqual(fired, []);
    await sleep(150);
    assert.equal(fired.length, 1);
    assert.ok(fired[0] >= start + 120);
  });

  it("does not fire a month-away time early, where a plain setTimeout would fire at once", async function () {
    const monthMs = 31 * 24 * 3600 * 1000;
    assert.ok(monthMs > MAX_TIMER_DELAY_MS);
    let fired = false;
    const timer = setTimerAt(() => (fired = true), Date.now() + monthMs);
    await sleep(30);
    assert.equal(fired, false);
    timer.cancel();
  });

  it("fires a past time asynchronously and never after cancel", async function () {
    let calls = 0;
    setTimerAt(() => calls++, Date.now() - 1000);
    assert.equal(calls, 0);
    await sleep(5);
    assert.equal(calls, 1);
    const cancelled = setTimerAt(() => calls++, Date.now() + 20, { maxStepMs: 5 });
    await sleep(8);
    cancelled.cancel();
    await sleep(40);
    assert.equal(calls, 1);
  });

  it("follows an injected clock", async function () {
    let now = 0;
    let fired = false;
    setTimerAt(() => (fired = true), 1_000_000, { now: () => now, maxStepMs: 5 });
    await sleep(20);
    assert.equal(fired, false);
    now = 1_000_000;
    await sleep(20);
    assert.equal(fired, true);
  });
});
