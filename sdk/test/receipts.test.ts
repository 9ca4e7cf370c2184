import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { PublicKey } from "@solana/web3.js";
import {
  EMPTY_ROOT,
  ReceiptFormatError,
  UsageReceiptTree,
  batchTotals,
  canonicalOrder,
  encodeUsageRecord,
  fromHex,
  toHex,
  usageLeafHash,
  usageRoot,
  verifyUsageProof,
  type UsageRecord,
} from "../src";

const team = "DnobyUWC3aYio2fGA73kpUifuh8BGSk6VqdqXvV734vR";
const record = (i: number, over: Partial<UsageRecord> = {}): UsageRecord => ({
  team,
  batchSeq: 7n,
  requestId: `req-${i}`,
  timestampMs: 1_700_000_000_000n + BigInt(i),
  endpoint: "/api/v1/search",
  userId: "alice",
  units: 1n,
  cost: 10_000n,
  ...over,
});
const batch = (n: number): UsageRecord[] => Array.from({ length: n }, (_, i) => record(i));

// An independent implementation of docs/usage-receipts.md over node:crypto and Buffer, to check the
// SDK's (which uses @noble/hashes and DataView) byte for byte.
function specLeafBytes(r: UsageRecord): Buffer {
  const ints = Buffer.alloc(32);
  ints.writeBigUInt64LE(r.batchSeq, 0);
  ints.writeBigUInt64LE(r.timestampMs, 8);
  ints.writeBigUInt64LE(r.units, 16);
  ints.writeBigUInt64LE(r.cost, 24);
  const text = (s: string) => Buffer.concat([Buffer.of(Buffer.byteLength(s)), Buffer.from(s, "utf8")]);
  return Buffer.concat([Buffer.of(1), new PublicKey(r.team).toBuffer(), ints, text(r.requestId), text(r.endpoint), text(r.userId)]);
}
const sha = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
const specLeaf = (r: UsageRecord) => sha(Buffer.of(0), specLeafBytes(r));
const specNode = (l: Buffer, r: Buffer) => sha(Buffer.of(1), l, r);

describe("usage receipts", () => {
  it("encodes a record exactly as the documented leaf format", () => {
    const expected =
      "01be0812ddeb37832a0b1aa85f65f6cfcbb7dab9488703878249872f7ab0a361f6" +
      "0700000000000000" + "0068e5cf8b010000" + "0100000000000000" + "1027000000000000" +
      "057265712d30" + "0e2f6170692f76312f736561726368" + "05616c696365";
    assert.equal(toHex(encodeUsageRecord(record(0))), expected);
    assert.equal(toHex(encodeUsageRecord(record(0))), specLeafBytes(record(0)).toString("hex"));
  });

  it("matches the known leaf and root vectors", () => {
    assert.equal(toHex(usageLeafHash(record(0))), "d0b3733e288cf1b2a9769ac7f7b2b3ca9fce932c7289349a9c0b90f9ee494807");
    assert.equal(toHex(usageRoot(batch(1))), "d0b3733e288cf1b2a9769ac7f7b2b3ca9fce932c7289349a9c0b90f9ee494807");
    assert.equal(toHex(usageRoot(batch(2))), "cc09a4aab5aa7bcb4da86e0472bcae13842af09cb404d3ee8c1e2742349a5907");
    assert.equal(toHex(usageRoot(batch(3))), "8d7200be884da086d726262db581e8dd3b2de0026a57ed90037cf9b58d6395d9");
    assert.equal(toHex(usageRoot(batch(5))), "abaafa1751895eb4ff889dbd36a95c9bc6c7e01f2ec4e61c73079fd684419c3d");
  });

  it("builds the same roots as an independent implementation, promoting the odd node", () => {
    const [a, b, c, d, e] = batch(5).map(specLeaf);
    assert.equal(toHex(usageRoot(batch(2))), specNode(a, b).toString("hex"));
    assert.equal(toHex(usageRoot(batch(3))), specNode(specNode(a, b), c).toString("hex"));
    assert.equal(toHex(usageRoot(batch(5))), specNode(specNode(specNode(a, b), specNode(c, d)), e).toString("hex"));
  });

  it("defines the root of no records as 32 zero bytes", () => {
    assert.deepEqual(usageRoot([]), EMPTY_ROOT);
    assert.equal(EMPTY_ROOT.length, 32);
    assert.ok(EMPTY_ROOT.every((b) => b === 0));
  });

  it("gives the same root whatever order the records arrive in", () => {
    const records = batch(9);
    const shuffled = [records[4], records[8], records[0], records[6], records[2], records[7], records[1], records[5], records[3]];
    assert.deepEqual(usageRoot(shuffled), usageRoot(records));
    const sameMs = [record(2, { timestampMs: 5n, requestId: "b" }), record(1, { timestampMs: 5n, requestId: "a" })];
    assert.deepEqual(canonicalOrder(sameMs).map((r) => r.requestId), ["a", "b"]);
  });

  it("orders request ids by their UTF-8 bytes, also where UTF-16 order differs", () => {
    const at = (ids: string[]) => ids.map((id, i) => record(i, { timestampMs: 7n, requestId: id }));
    // U+E000 is one UTF-16 unit above the surrogates of U+1F600, yet below it in UTF-8 (EE… < F0…).
    const mixed = at(["\u{1F600}", "\uE000", "z", "é"]);
    assert.deepEqual(canonicalOrder(mixed).map((r) => r.requestId), ["z", "é", "\uE000", "\u{1F600}"]);
    // Without astral characters the plain string comparison gives the same order.
    const plain = at(["req-10", "req-9", "Req-1", "é", "\uE000", "z"]);
    const bytes = [...plain].sort((a, b) => Buffer.compare(Buffer.from(a.requestId), Buffer.from(b.requestId)));
    assert.deepEqual(canonicalOrder(plain).map((r) => r.requestId), bytes.map((r) => r.requestId));
  });

  it("proves and verifies every record of batches of 1 to 17 records", () => {
    for (let n = 1; n <= 17; n++) {
      const tree = new UsageReceiptTree(batch(n));
      for (let i = 0; i < n; i++) {
        const proof = tree.proofAt(i);
        assert.ok(verifyUsageProof(tree.root, tree.records[i], proof), `n=${n} i=${i}`);
      }
    }
  });

  it("finds a record's proof by request id", () => {
    const tree = new UsageReceiptTree(batch(6));
    const proof = tree.proof("req-4");
    assert.equal(proof.index, 4);
    assert.ok(verifyUsageProof(tree.root, record(4), proof));
    assert.throws(() => tree.proof("req-99"), RangeError);
  });

  it("detects a tampered record, proof or root", () => {
    const tree = new UsageReceiptTree(batch(7));
    const proof = tree.proofAt(3);
    const r = tree.records[3];
    assert.equal(verifyUsageProof(tree.root, { ...r, cost: r.cost + 1n }, proof), false);
    assert.equal(verifyUsageProof(tree.root, { ...r, units: 2n }, proof), false);
    assert.equal(verifyUsageProof(tree.root, { ...r, userId: "mallory" }, proof), false);
    assert.equal(verifyUsageProof(tree.root, r, { ...proof, index: 2 }), false);
    const last = tree.proofAt(6); // promoted at the leaf level: a larger count expects one sibling more
    assert.ok(verifyUsageProof(tree.root, tree.records[6], last));
    assert.equal(verifyUsageProof(tree.root, tree.records[6], { ...last, count: 8 }), false);
    assert.equal(verifyUsageProof(tree.root, r, { ...proof, siblings: [...proof.siblings].reverse() }), false);
    assert.equal(verifyUsageProof(tree.root, r, { ...proof, siblings: proof.siblings.slice(1) }), false);
    assert.equal(verifyUsageProof(tree.root, r, { ...proof, siblings: [...proof.siblings, new Uint8Array(32)] }), false);
    assert.equal(verifyUsageProof(tree.root, r, { ...proof, index: -1 }), false);
    const badRoot = tree.root;
    badRoot[0] ^= 1;
    assert.equal(verifyUsageProof(badRoot, r, proof), false);
    assert.equal(verifyUsageProof(tree.root, { ...r, team: "not a key" }, proof), false);
  });

  it("cannot pass an inner node off as a record (leaf and node hashes are domain-separated)", () => {
    const [a, b] = batch(2).map(specLeaf);
    assert.notEqual(toHex(usageLeafHash(record(0))), specNode(a, b).toString("hex"));
    assert.notEqual(sha(Buffer.of(1), a, b).toString("hex"), sha(Buffer.of(0), a, b).toString("hex"));
  });

  it("rejects a batch mixing teams or batch sequences, or repeating a request id", () => {
    const other = new PublicKey(new Uint8Array(32).fill(9)).toBase58();
    assert.throws(() => usageRoot([record(0), record(1, { team: other })]), ReceiptFormatError);
    assert.throws(() => usageRoot([record(0), record(1, { batchSeq: 8n })]), ReceiptFormatError);
    assert.throws(() => usageRoot([record(0), record(1, { requestId: "req-0" })]), ReceiptFormatError);
  });

  it("rejects records that do not fit the leaf format", () => {
    assert.throws(() => encodeUsageRecord(record(0, { units: 0n })), ReceiptFormatError);
    assert.throws(() => encodeUsageRecord(record(0, { requestId: "" })), ReceiptFormatError);
    assert.throws(() => encodeUsageRecord(record(0, { cost: -1n })), ReceiptFormatError);
    assert.throws(() => encodeUsageRecord(record(0, { timestampMs: 1n << 64n })), ReceiptFormatError);
    assert.throws(() => encodeUsageRecord(record(0, { endpoint: "é".repeat(128) })), ReceiptFormatError);
    assert.doesNotThrow(() => encodeUsageRecord(record(0, { endpoint: "e".repeat(255) })));
    assert.throws(() => encodeUsageRecord(record(0, { team: "0OIl" })), ReceiptFormatError);
  });

  it("totals a batch's units as its request_count and its attributed cost", () => {
    assert.deepEqual(batchTotals([record(0), record(1, { units: 4n, cost: 1n })]), { requestCount: 5n, cost: 10_001n });
    assert.throws(() => batchTotals([record(0, { units: (1n << 64n) - 1n }), record(1)]), ReceiptFormatError);
  });

  it("round-trips hex and rejects what is not hex", () => {
    const bytes = Uint8Array.from([0, 1, 0xab, 0xff]);
    assert.equal(toHex(bytes), "0001abff");
    assert.deepEqual(fromHex("0001ABff"), bytes);
    assert.throws(() => fromHex("abc"), ReceiptFormatError);
    assert.throws(() => fromHex("zz"), ReceiptFormatError);
  });
});
