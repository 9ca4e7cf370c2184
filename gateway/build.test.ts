import assert from "node:assert/strict";
import { existsSync, statSync, utimesSync } from "node:fs";
import path from "node:path";
import { Keypair } from "@solana/web3.js";
import { buildGateway, COMPILED_DIR } from "./build";
import { WorkerRootComputer } from "./src/settle/root-computer";
import { receiptRoot } from "./src/settle/receipt-root";
import { receiptBatchFixture } from "./test/receipt-batch-fixture";

describe("the compiled gateway (gateway/build.ts)", function () {
  this.timeout(120_000);

  it("compiles the proxy and its three workers, skips a build whose inputs did not change, rebuilds when one did", async () => {
    const proxy = await buildGateway();
    for (const name of ["proxy", "worker", "receipt-worker", "mutation-worker"]) {
      assert.ok(existsSync(path.join(COMPILED_DIR, `${name}.cjs`)), `${name}.cjs`);
    }
    const built = statSync(proxy).mtimeMs;
    await buildGateway();
    assert.equal(statSync(proxy).mtimeMs, built, "nothing changed: no build");

    const input = path.join(__dirname, "src", "pricing.ts"); // an input of the proxy and of the I/O thread
    const { atime, mtime } = statSync(input);
    utimesSync(input, atime, new Date(Math.max(Date.now(), built) + 1_000));
    try {
      await buildGateway();
      assert.ok(statSync(proxy).mtimeMs > built, "a newer input: built again");
    } finally {
      utimesSync(input, atime, mtime);
    }
  });

  it("its receipt worker starts from the compiled file and computes the roots the sources compute", async () => {
    await buildGateway();
    const computer = new WorkerRootComputer({ file: path.join(COMPILED_DIR, "receipt-worker.cjs") });
    try {
      const { batch } = receiptBatchFixture(Keypair.generate().publicKey.toBase58(), 3_000);
      const root = await computer.root(batch);
      assert.equal(computer.mode, "worker", "the compiled worker answered (no in-process fallback)");
      assert.deepEqual(root, receiptRoot(batch));
    } finally {
      await computer.close();
    }
  });
});
