// The Next.js paid endpoints (app/api/v1), called as Next calls route handlers, with an in-memory gate.
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519";
import { getBase58Decoder } from "@solana/kit";
import { POST as verifyPost } from "../../../app/api/v1/verify/route";
import { POST as batchPost } from "../../../app/api/v1/batch/verify/route";
import { GET as healthGet } from "../../../app/api/health/route";
import { configureBilling, apiBillingMiddleware } from "../../src/next";
import { healthOf } from "../../src/health";
import { memoryGate, TEST_KEY } from "../harness";

const b58 = getBase58Decoder(); // bytes → base58 string
const secret = ed25519.utils.randomPrivateKey();
const publicKey = b58.decode(ed25519.getPublicKey(secret));
const signed = (message: string) => ({ message, signature: b58.decode(ed25519.sign(new TextEncoder().encode(message), secret)), publicKey });
const ctx = { params: Promise.resolve({}) };

function post(path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TEST_KEY}` }) {
  return new Request(`http://localhost${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
}

describe("paid endpoints app/api/v1", () => {
  let mem: ReturnType<typeof memoryGate>;
  beforeEach(async () => {
    mem = memoryGate({}, { periodRequests: 10_000n });
    await configureBilling(async () => ({ gate: mem.gate }));
  });

  it("POST /api/v1/verify verifies a signature for 1 unit", async () => {
    const res = await verifyPost(post("/api/v1/verify", signed("hello")), ctx);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { valid: true });
    assert.equal(res.headers.get("X-Billing-Cost"), "10000");
    assert.ok(res.headers.get("X-Request-Id"));
    assert.equal(mem.usage.entries[0]!.units, 1n);
    assert.equal(mem.usage.entries[0]!.endpoint, "/api/v1/verify");
  });

  it("answers valid: false for a wrong signature, and charges it (the work was done)", async () => {
    const res = await verifyPost(post("/api/v1/verify", { ...signed("hello"), message: "hullo" }), ctx);
    assert.deepEqual(await res.json(), { valid: false });
    assert.equal(mem.usage.entries.length, 1);
  });

  it("answers 422 for a malformed body without charging", async () => {
    const res = await verifyPost(post("/api/v1/verify", "{not json"), ctx);
    assert.equal(res.status, 422);
    assert.equal(res.headers.get("X-Billing-Cost"), null);
    assert.equal(mem.usage.entries.length, 0);
  });

  it("refuses a request without a key before doing any work", async () => {
    const res = await verifyPost(post("/api/v1/verify", signed("x"), {}), ctx);
    assert.equal(res.status, 401);
  });

  it("POST /api/v1/batch/verify charges one unit per item", async () => {
    const items = [signed("a"), signed("b"), { ...signed("c"), signature: "1111" }];
    const res = await batchPost(post("/api/v1/batch/verify", { items }), ctx);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { results: [{ valid: true }, { valid: true }, { valid: false }] });
    assert.equal(res.headers.get("X-Billing-Cost"), "30000");
    assert.equal(mem.usage.entries[0]!.units, 3n);
  });

  it("refuses an empty or oversized batch with 422", async () => {
    assert.equal((await batchPost(post("/api/v1/batch/verify", { items: [] }), ctx)).status, 422);
    const many = Array.from({ length: 1_001 }, () => signed("m"));
    assert.equal((await batchPost(post("/api/v1/batch/verify", { items: many }), ctx)).status, 422);
    assert.equal((await batchPost(post("/api/v1/batch/verify", "nope"), ctx)).status, 422);
    assert.equal(mem.usage.entries.length, 0);
  });

  it("answers 503 when the gate cannot start, and recovers once it can", async () => {
    await configureBilling(async () => {
      throw new Error("BILLING_AUTHORITY_KEYPAIR is not set");
    });
    const res = await verifyPost(post("/api/v1/verify", signed("x")), ctx);
    assert.equal(res.status, 503);
    const r = await apiBillingMiddleware(post("/api/v1/verify", signed("x")), "/api/v1/verify");
    assert.equal(r.ok, false);
    await configureBilling(async () => ({ gate: mem.gate }));
    assert.equal((await verifyPost(post("/api/v1/verify", signed("x")), ctx)).status, 200);
  });
});

describe("GET /api/health", () => {
  const read = async () => {
    const res = healthGet();
    assert.equal(res.headers.get("cache-control"), "no-store");
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("is ok and idle before the gate's first start, 503 after a failed start, and the runtime's health once running", async () => {
    const mem = memoryGate({}, { periodRequests: 10_000n });
    let started: () => void = () => {};
    await configureBilling(() => new Promise((resolve) => (started = () => resolve({ gate: mem.gate }))));
    assert.deepEqual(await read(), { status: 200, body: { status: "ok", billing: "idle" } });
    const first = verifyPost(post("/api/v1/verify", signed("x")), ctx); // starts the gate, and waits for it
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(await read(), { status: 200, body: { status: "ok", billing: "starting" } }, "answered without waiting for the start");
    started();
    assert.equal((await first).status, 200);
    assert.deepEqual(await read(), { status: 200, body: { status: "ok", billing: "running" } });

    await configureBilling(async () => {
      throw new Error("BILLING_AUTHORITY_KEYPAIR is not set");
    });
    assert.equal((await verifyPost(post("/api/v1/verify", signed("x")), ctx)).status, 503);
    assert.deepEqual(await read(), { status: 503, body: { status: "unavailable", billing: "failed" } });

    // A binding without a health report (custom wiring) is healthy while it runs.
    await configureBilling(async () => ({ gate: mem.gate }));
    assert.equal((await verifyPost(post("/api/v1/verify", signed("x")), ctx)).status, 200);
    assert.deepEqual(await read(), { status: 200, body: { status: "ok", billing: "running" } });

    // The runtime's report passes through, its status setting the answer's.
    let logState: "open" | "failed" | "closed" = "open";
    const source = {
      gate: mem.gate,
      log: { get state() { return logState; }, unsettled: 1 },
      balances: { teams: () => [], peek: () => undefined, lastError: null },
      settler: { lastError: null },
      indexer: null,
      leases: null,
    };
    await configureBilling(async () => ({ gate: mem.gate, health: () => healthOf(source, Date.now()) }));
    assert.equal((await verifyPost(post("/api/v1/verify", signed("x")), ctx)).status, 200);
    const running = await read();
    assert.equal(running.status, 200);
    assert.deepEqual(running.body.gate, healthOf(source, Date.now()));
    logState = "failed";
    const failed = await read();
    assert.equal(failed.status, 503);
    assert.equal(failed.body.status, "unavailable");
  });
});
