import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { billingStats, bindingFromEnv, configureBilling, prepareBilling, startBilling, withBilling } from "./next";
import { GatewaySettingsError } from "./runtime-settings";
import { memoryGate, TEST_KEY } from "../test/harness";

const OUTSIDE_REQUESTS = Symbol.for("prepaid-billing.gateway.next.outside-requests");

describe("Next binding: the gate's background work outside request contexts", () => {
  afterEach(async () => {
    delete (globalThis as unknown as Record<symbol, unknown>)[OUTSIDE_REQUESTS];
    await configureBilling(async () => ({ gate: memoryGate().gate }));
  });

  it("after prepareBilling(), a gate started by a request schedules its work without that request's stores", async () => {
    // Stands in for Next's per-request stores (work, work unit, action): set around the route handler.
    const requestStore = new AsyncLocalStorage<{ url: string }>();
    const seen: Record<string, { url: string } | undefined> = {};
    const timerSaw = (name: string) => new Promise<void>((resolve) => setTimeout(() => ((seen[name] = requestStore.getStore()), resolve()), 1));
    let backgroundDone: Promise<void> = Promise.resolve();

    prepareBilling(); // what instrumentation.ts register() does, before any request
    const mem = memoryGate();
    await configureBilling(async () => {
      seen.factory = requestStore.getStore();
      backgroundDone = timerSaw("background timer"); // as the settler's interval, the key refresh, a fetch
      return { gate: mem.gate };
    });
    const handler = withBilling(async () => Response.json({ ok: true }), { endpoint: "/api/v1/verify", units: 1 });
    const req = new Request("http://localhost/api/v1/verify", { method: "POST", headers: { authorization: `Bearer ${TEST_KEY}` } });

    const res = await requestStore.run({ url: req.url }, async () => {
      await timerSaw("request's own timer"); // control: inside the request, the store does propagate
      return handler(req, {});
    });
    await backgroundDone;

    assert.equal(res.status, 200);
    assert.deepEqual(seen["request's own timer"], { url: req.url });
    assert.equal(seen.factory, undefined);
    assert.equal(seen["background timer"], undefined);
    assert.equal(mem.usage.entries.length, 1, "the request was billed by the gate so started");
  });

  it("prepareBilling() keeps the first context it captured", async () => {
    const store = new AsyncLocalStorage<number>();
    prepareBilling();
    store.run(1, () => prepareBilling()); // a second call, inside a request, changes nothing
    let factorySaw: number | undefined = -1;
    await configureBilling(async () => ((factorySaw = store.getStore()), { gate: memoryGate().gate }));
    const handler = withBilling(async () => new Response("ok"), { endpoint: "/e", units: 1 });
    await store.run(2, () => handler(new Request("http://localhost/e", { headers: { "x-api-key": TEST_KEY } }), {}));
    assert.equal(factorySaw, undefined);
  });
});

describe("Next binding: startBilling()", () => {
  afterEach(async () => {
    await configureBilling(async () => ({ gate: memoryGate().gate }));
  });

  it("starts the gate before any request, once: the first billed request finds it running", async () => {
    let starts = 0;
    const mem = memoryGate();
    await configureBilling(async () => ((starts += 1), { gate: mem.gate }));
    assert.equal(await startBilling(), true);
    assert.equal(starts, 1);
    const handler = withBilling(async () => new Response("ok"), { endpoint: "/e", units: 1 });
    const res = await handler(new Request("http://localhost/e", { headers: { "x-api-key": TEST_KEY } }), {});
    assert.equal(res.status, 200);
    assert.equal(starts, 1);
    assert.equal(mem.usage.entries.length, 1);
  });

  it("answers false when the gate cannot start, and the first billed request tries again", async () => {
    let starts = 0;
    const mem = memoryGate();
    await configureBilling(async () => {
      starts += 1;
      if (starts === 1) throw new Error("ledger unreachable");
      return { gate: mem.gate };
    });
    const logged: string[] = [];
    const error = console.error;
    console.error = (msg: string) => void logged.push(msg);
    try {
      assert.equal(await startBilling(), false);
    } finally {
      console.error = error;
    }
    assert.match(logged.join("\n"), /billing gate did not start: ledger unreachable/);
    const handler = withBilling(async () => new Response("ok"), { endpoint: "/e", units: 1 });
    const res = await handler(new Request("http://localhost/e", { headers: { "x-api-key": TEST_KEY } }), {});
    assert.equal(res.status, 200);
    assert.equal(starts, 2);
  });

  it("says once, when the gate starts, where its chain and ledger clients run, and reports it in billingStats()", async () => {
    const mem = memoryGate();
    await configureBilling(async () => ({ gate: mem.gate, clients: "in-process" }));
    const logged: string[] = [];
    const log = console.log;
    console.log = (msg: string) => void logged.push(msg);
    try {
      assert.equal(await startBilling(), true);
      assert.equal(await startBilling(), true);
    } finally {
      console.log = log;
    }
    assert.deepEqual(logged, ["billing gate started (chain and ledger clients: in-process)"]);
    assert.equal((await billingStats())?.clients, "in-process");

    await configureBilling(async () => ({ gate: memoryGate().gate })); // a binding that does not say
    await startBilling();
    assert.equal((await billingStats())?.clients, null);
  });
});

describe("Next binding: settings from the environment", () => {
  it("refuses a GATEWAY_BALANCE_LEASES that is neither 1 nor 0 before starting anything", async () => {
    const saved = process.env.GATEWAY_BALANCE_LEASES;
    process.env.GATEWAY_BALANCE_LEASES = "yes";
    try {
      await assert.rejects(bindingFromEnv(), (err: Error) => err instanceof GatewaySettingsError && /GATEWAY_BALANCE_LEASES must be 1 or 0, got "yes"/.test(err.message));
    } finally {
      if (saved === undefined) delete process.env.GATEWAY_BALANCE_LEASES;
      else process.env.GATEWAY_BALANCE_LEASES = saved;
    }
  });

  it("refuses a GATEWAY_RATE_LIMIT_HEADERS that is neither refusals nor always before starting anything", async () => {
    const saved = process.env.GATEWAY_RATE_LIMIT_HEADERS;
    process.env.GATEWAY_RATE_LIMIT_HEADERS = "yes";
    try {
      await assert.rejects(bindingFromEnv(), (err: Error) => err instanceof GatewaySettingsError && /GATEWAY_RATE_LIMIT_HEADERS must be refusals or always, got "yes"/.test(err.message));
    } finally {
      if (saved === undefined) delete process.env.GATEWAY_RATE_LIMIT_HEADERS;
      else process.env.GATEWAY_RATE_LIMIT_HEADERS = saved;
    }
  });
});
