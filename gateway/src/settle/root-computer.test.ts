import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { Keypair } from "@solana/web3.js";
import { toHex, usageRoot, type UsageRecord } from "../../../sdk/src/receipts";
import { createRootComputer, InlineRootComputer, WorkerRootComputer } from "./root-computer";

const team = Keypair.generate().publicKey.toBase58();
const records: UsageRecord[] = [1, 2, 3].map((i) => ({
  team, batchSeq: 1n, requestId: `r${i}`, timestampMs: BigInt(i), endpoint: "/e", userId: "u", units: 1n, cost: 5n,
}));

describe("usage-receipt root computer", () => {
  it("computes in a worker thread the same root as the SDK", function () {
    this.timeout(30_000);
    const out = execFileSync(process.execPath, ["--import", "tsx", path.join(__dirname, "../../test/root-worker-child.ts"), team], {
      encoding: "utf8",
    });
    assert.deepEqual(JSON.parse(out.trim().split("\n").pop()!), { mode: "worker", root: toHex(usageRoot(records)) });
  });

  it("falls back to computing in-process when the worker cannot start", async () => {
    const c = new WorkerRootComputer(path.join(__dirname, "no-such-worker.js"));
    assert.deepEqual(await c.root(records), usageRoot(records));
    assert.equal(c.mode, "inline");
    await c.close();
  });

  it("computes in-process on request", async () => {
    const c = new InlineRootComputer();
    assert.deepEqual(await c.root(records), usageRoot(records));
    const d = createRootComputer();
    assert.deepEqual(await d.root(records), usageRoot(records));
    await d.close();
  });
});
