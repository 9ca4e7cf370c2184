import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { Keypair } from "@solana/web3.js";
import { sha256 } from "@noble/hashes/sha2";
import { ReceiptFormatError, toHex, usageRoot } from "../../../sdk/src/receipts";
import { receiptBatchFixture } from "../../test/receipt-batch-fixture";
import { nodeSha256, receiptRecordsOf, receiptRoot } from "./receipt-root";
import { createRootComputer, InlineRootComputer, WorkerRootComputer } from "./root-computer";

const team = Keypair.generate().publicKey.toBase58();
/** The SDK's reference root (pure-JS sha256) of the fixture's records. */
const reference = (count: number, seed = 7) => usageRoot(receiptBatchFixture(team, count, seed).records);

describe("usage-receipt root computer", () => {
  it("hashes with Node's sha256 to the same digests as the SDK's pure-JS one", () => {
    for (const data of [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(1000).fill(7)]) {
      assert.deepEqual(new Uint8Array(nodeSha256(data)), sha256(data));
    }
  });

  it("computes from the entry columns the SDK's root of the same records: order, ties, members, units, u64 costs", () => {
    const { batch, records } = receiptBatchFixture(team, 3_000);
    assert.deepEqual(receiptRecordsOf(batch), records);
    assert.deepEqual(receiptRoot(batch), usageRoot(records));
  });

  it("matches the SDK for every tree shape up to 33 records (promoted last nodes included)", () => {
    for (let n = 1; n <= 33; n++) assert.deepEqual(receiptRoot(receiptBatchFixture(team, n, n).batch), reference(n, n), `${n} records`);
  });

  it("matches the SDK for members outside ASCII and for request ids of another form (the SDK's own path)", () => {
    const utf8 = receiptBatchFixture(team, 50, 3, { userOf: (i) => (i % 2 ? "zoë" : "小明") });
    assert.deepEqual(receiptRoot(utf8.batch), usageRoot(utf8.records));
    const other = receiptBatchFixture(team, 50, 4, { idOf: (i) => (i % 3 === 0 ? `req-${i}` : Buffer.from(Array.from({ length: 16 }, (_, k) => (i * 31 + k) & 255)).toString("hex")) });
    assert.ok(other.batch.fields.otherIds.length > 0);
    assert.deepEqual(receiptRoot(other.batch), usageRoot(other.records));
  });

  it("refuses what the SDK refuses: a request id twice, zero units, a member over 255 bytes, a bad team", () => {
    const id = "ab".repeat(16);
    const twice = receiptBatchFixture(team, 10, 5, { idOf: (i, r) => (i === 2 || i === 8 ? id : Buffer.from(Array.from({ length: 16 }, () => Math.floor(r() * 256))).toString("hex")) });
    assert.throws(() => receiptRoot(twice.batch), (e: unknown) => e instanceof ReceiptFormatError && /appears twice/.test(e.message));
    assert.throws(() => usageRoot(twice.records), ReceiptFormatError);

    const zero = receiptBatchFixture(team, 5, 6);
    zero.batch.fields.units[3] = 0n;
    assert.throws(() => receiptRoot(zero.batch), /units must be at least 1/);

    const long = receiptBatchFixture(team, 5, 6, { userOf: () => "x".repeat(256) });
    assert.throws(() => receiptRoot(long.batch), /userId is 256 bytes, at most 255/);

    const bad = receiptBatchFixture("not a key", 5, 6);
    assert.throws(() => receiptRoot(bad.batch), /team must be a base58 public key/);

    const short = receiptBatchFixture(team, 5, 6);
    assert.throws(() => receiptRoot({ ...short.batch, costs: new BigUint64Array(4) }), RangeError);
  });

  it("computes in a worker thread the same root as the SDK", function () {
    this.timeout(30_000);
    const out = execFileSync(process.execPath, ["--import", "tsx", path.join(__dirname, "../../test/root-worker-child.ts"), team, "500"], {
      encoding: "utf8",
    });
    assert.deepEqual(JSON.parse(out.trim().split("\n").pop()!), { mode: "worker", root: toHex(reference(500)) });
  });

  it("refuses a batch the SDK would refuse, without losing the worker", async () => {
    const c = createRootComputer();
    const zero = receiptBatchFixture(team, 5, 6);
    zero.batch.fields.units[0] = 0n;
    await assert.rejects(c.root(zero.batch), /units must be at least 1/);
    assert.deepEqual(new Uint8Array(await c.root(receiptBatchFixture(team, 40).batch)), reference(40));
    assert.equal(c.mode, "worker");
    await c.close();
  });

  it("falls back to computing in-process when the worker cannot start", async () => {
    const c = new WorkerRootComputer({ file: path.join(__dirname, "no-such-worker.js") });
    assert.deepEqual(new Uint8Array(await c.root(receiptBatchFixture(team, 40).batch)), reference(40));
    assert.equal(c.mode, "inline");
    await c.close();
  });

  it("computes in-process on request", async () => {
    const c = new InlineRootComputer();
    assert.deepEqual(new Uint8Array(await c.root(receiptBatchFixture(team, 40).batch)), reference(40));
  });
});
