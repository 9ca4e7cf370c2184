import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { Keypair } from "@solana/web3.js";
import { toHex, usageRoot, type UsageRecord } from "../../../sdk/src/receipts";
import { encodeUsagePage } from "../../../convex/model/usagePage";
import { batchRoot, nodeSha256, receiptRecords, type BatchPages } from "./batch-root";
import { createRootComputer, InlineRootComputer, WorkerRootComputer } from "./root-computer";
import { sha256 } from "@noble/hashes/sha2";

const team = Keypair.generate().publicKey.toBase58();
const ledgerRecords = [1, 2, 3, 4, 5].map((i) => ({ requestId: `r${i}`, timestampMs: 1_700_000_000_000 + i, endpoint: "/e", userId: `u${i % 2}`, units: i, cost: 5n * BigInt(i) }));
// Two pages, as the settler sends a batch larger than a page.
const batch: BatchPages = { team, seq: 7n, pages: [encodeUsagePage(ledgerRecords.slice(0, 3)), encodeUsagePage(ledgerRecords.slice(3))] };
const records: UsageRecord[] = ledgerRecords.map((r) => ({
  team, batchSeq: 7n, requestId: r.requestId, timestampMs: BigInt(r.timestampMs), endpoint: r.endpoint, userId: r.userId, units: BigInt(r.units), cost: r.cost,
}));
/** The SDK's reference root (pure-JS sha256) of the same records. */
const expected = usageRoot(records);

describe("usage-receipt root computer", () => {
  it("reads a batch's page texts back into the receipt records of that team and batch_seq", () => {
    assert.deepEqual(receiptRecords(batch), records);
  });

  it("hashes with Node's sha256 to the same digests and root as the SDK's pure-JS one", () => {
    for (const data of [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(1000).fill(7)]) {
      assert.deepEqual(new Uint8Array(nodeSha256(data)), sha256(data));
    }
    assert.deepEqual(new Uint8Array(batchRoot(batch)), expected);
  });

  it("computes in a worker thread the same root as the SDK", function () {
    this.timeout(30_000);
    const out = execFileSync(process.execPath, ["--import", "tsx", path.join(__dirname, "../../test/root-worker-child.ts"), team], {
      encoding: "utf8",
    });
    const want = toHex(usageRoot([1, 2, 3].map((i) => ({ team, batchSeq: 1n, requestId: `r${i}`, timestampMs: BigInt(i), endpoint: "/e", userId: "u", units: 1n, cost: 5n }))));
    assert.deepEqual(JSON.parse(out.trim().split("\n").pop()!), { mode: "worker", root: want });
  });

  it("refuses a batch whose page text does not decode, without losing the worker", async () => {
    const c = createRootComputer();
    await assert.rejects(c.root({ team, seq: 1n, pages: ["r1 1 /e u"] }), /usage page line 1/);
    assert.deepEqual(new Uint8Array(await c.root(batch)), expected);
    await c.close();
  });

  it("falls back to computing in-process when the worker cannot start", async () => {
    const c = new WorkerRootComputer(path.join(__dirname, "no-such-worker.js"));
    assert.deepEqual(new Uint8Array(await c.root(batch)), expected);
    assert.equal(c.mode, "inline");
    await c.close();
  });

  it("computes in-process on request", async () => {
    const c = new InlineRootComputer();
    assert.deepEqual(new Uint8Array(await c.root(batch)), expected);
  });
});
