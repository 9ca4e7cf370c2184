// process.nextTick after full garbage collections, in child processes (--expose-gc): without a pinned tick
// object it turns several times slower for good (the V8 behaviour tick-shape.ts works around); with one it
// keeps its speed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";

const repoRoot = path.resolve(__dirname, "../../..");

/** ns per nextTick before and after `gcs` full collections (each followed by use), in a fresh process. */
function measure(pin: boolean, gcs = 8): { before: number; after: number; pinned: boolean } {
  const script = `
    const { pinTickObjectShape, tickObjectPinned } = require(${JSON.stringify(path.join(__dirname, "tick-shape.ts"))});
    if (${pin}) pinTickObjectShape();
    const N = 400000;
    const cb = () => {}, cb2 = (a) => {};
    function run() {
      return new Promise((resolve) => {
        let n = 0; const t0 = process.hrtime.bigint();
        (function step() {
          for (let k = 0; k < 1000; k++) { process.nextTick(cb); process.nextTick(cb2, k); }
          n += 2000;
          if (n < N) setImmediate(step); else resolve(Number(process.hrtime.bigint() - t0) / N);
        })();
      });
    }
    (async () => {
      const best = async () => Math.min(await run(), await run(), await run());
      await run();
      const before = await best();
      for (let g = 0; g < ${gcs}; g++) { global.gc(); await run(); }
      const after = await best();
      console.log(JSON.stringify({ before, after, pinned: tickObjectPinned() }));
    })();`;
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", "-e", script], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { before: number; after: number; pinned: boolean };
}

describe("tick object shape pinned across full collections", function () {
  this.timeout(120_000);

  it("without it, nextTick turns several times slower after eight full collections (the behaviour worked around)", () => {
    const m = measure(false);
    assert.ok(m.after > 2.5 * m.before, `before ${m.before.toFixed(0)} ns, after ${m.after.toFixed(0)} ns`);
  });

  it("with it, nextTick keeps its speed", () => {
    const m = measure(true);
    assert.equal(m.pinned, true);
    assert.ok(m.after < 2 * m.before, `before ${m.before.toFixed(0)} ns, after ${m.after.toFixed(0)} ns`);
  });
});
