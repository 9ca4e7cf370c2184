import assert from "node:assert/strict";
import { gateFromAnotherCopy, memoryGate, TEST_KEY } from "../../test/harness";
import { UsageLogUnavailableError } from "../ticket";
import { fetchBilling } from "./fetch";

const auth = { authorization: `Bearer ${TEST_KEY}` };
const post = (headers: Record<string, string> = auth, body = "{}") =>
  new Request("http://localhost/api/v1/verify", { method: "POST", headers, body });

describe("fetch adapter (Next.js route handlers)", () => {
  it("serves an admitted request, logs its usage first and adds the billing headers to the handler's response", async () => {
    const { gate, usage } = memoryGate({}, { periodRequests: 10_000n });
    const { withBilling } = fetchBilling(gate);
    let loggedBeforeHandlerReturned = -1;
    const seen: { response?: Response } = {};
    const handler = withBilling(
      async (_req, ctx) => {
        loggedBeforeHandlerReturned = usage.entries.length;
        return (seen.response = Response.json({ ok: true, requestId: ctx.billing.requestId }));
      },
      { endpoint: "/api/v1/verify" },
    );
    const res = await handler(post(), {});
    assert.ok(res === seen.response, "the handler's own response, its headers set in place (no copy of it and its body stream)");
    assert.equal(res.status, 200);
    assert.equal(loggedBeforeHandlerReturned, 0);
    assert.equal(usage.entries.length, 1, "logged before the response was returned");
    assert.equal(res.headers.get("X-Billing-Cost"), "10000");
    assert.equal(res.headers.get("X-Billing-Available"), String(100_000_000n - 10_000n));
    assert.equal(res.headers.get("content-type"), "application/json");
    const body = (await res.json()) as { requestId: string };
    assert.equal(body.requestId, res.headers.get("X-Request-Id"));
    assert.equal(usage.entries[0]!.requestId, body.requestId);
  });

  it("adds the billing headers to a copy of a response whose headers are immutable (a fetch() answer, a redirect)", async () => {
    const { gate, usage } = memoryGate({}, { periodRequests: 10_000n });
    const { withBilling } = fetchBilling(gate);
    let original: Response | null = null;
    const handler = withBilling(
      () => {
        original = Response.redirect("http://localhost/elsewhere", 307);
        assert.throws(() => original!.headers.set("x-probe", "1"), TypeError, "the fixture's headers are immutable");
        return original;
      },
      { endpoint: "/api/v1/verify" },
    );
    const res = await handler(post(), {});
    assert.notEqual(res, original, "a copy");
    assert.equal(res.status, 307);
    assert.equal(res.headers.get("location"), "http://localhost/elsewhere");
    assert.equal(res.headers.get("X-Billing-Cost"), "10000");
    assert.equal(res.headers.get("X-Request-Id"), usage.entries[0]!.requestId);
  });

  it("answers a refusal as JSON with the gate's status and headers, without calling the handler", async () => {
    const { gate } = memoryGate();
    const { withBilling } = fetchBilling(gate);
    let called = false;
    const handler = withBilling(() => ((called = true), new Response("no")), { endpoint: "/api/v1/verify" });
    const res = await handler(post({}), {});
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.ok(res.headers.get("X-Request-Id"));
    assert.deepEqual(await res.json(), { error: "missing_api_key", message: "an API key is required (Authorization: Bearer <key> or X-API-Key)" });
    assert.equal(called, false);
  });

  it("charges a batch endpoint N units computed from the request body", async () => {
    const { gate, usage } = memoryGate({}, { periodRequests: 10_000n });
    const { withBilling } = fetchBilling(gate);
    const handler = withBilling(
      async (req) => Response.json({ n: ((await req.json()) as { items: unknown[] }).items.length }),
      { endpoint: "/api/v1/batch/verify", units: async (req) => ((await req.clone().json()) as { items: unknown[] }).items.length },
    );
    const res = await handler(post(auth, JSON.stringify({ items: [1, 2, 3] })), {});
    assert.deepEqual(await res.json(), { n: 3 });
    assert.equal(usage.entries[0]!.units, 3n);
    assert.equal(res.headers.get("X-Billing-Cost"), "30000");
  });

  it("answers 422 when the units cannot be computed from the request", async () => {
    const { gate } = memoryGate();
    const { withBilling } = fetchBilling(gate);
    const handler = withBilling(() => new Response("x"), {
      endpoint: "/api/v1/batch/verify",
      units: async (req) => ((await req.json()) as { items: unknown[] }).items.length,
    });
    const res = await handler(post(auth, "not json"), {});
    assert.equal(res.status, 422);
  });

  it("does not charge a handler error response or a thrown error, and gives the reservation back", async () => {
    const { gate, usage } = memoryGate({}, { periodRequests: 10_000n, vaultBalance: 10_000n });
    const { withBilling } = fetchBilling(gate);
    const failing = withBilling(() => Response.json({ error: "bad" }, { status: 400 }), { endpoint: "/e" });
    const res = await failing(post(), {});
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("X-Billing-Cost"), null);
    assert.ok(res.headers.get("X-Request-Id"));
    const throwing = withBilling(() => {
      throw new Error("boom");
    }, { endpoint: "/e" });
    await assert.rejects(throwing(post(), {}), /boom/);
    assert.equal(usage.entries.length, 0);
    const ok = withBilling(() => new Response("ok"), { endpoint: "/e" });
    assert.equal((await ok(post(), {})).status, 200, "the only 10_000 of balance was given back twice");
  });

  it("answers 503 and does not send the handler's response when the usage log fails", async () => {
    const { gate, usage } = memoryGate();
    usage.failWith = new Error("disk full");
    const { withBilling } = fetchBilling(gate);
    const handler = withBilling(() => new Response("secret result"), { endpoint: "/e" });
    const res = await handler(post(), {});
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: string }).error, "usage_log_unavailable");
  });

  it("answers 503 as well when the failing gate comes from another copy of the gateway modules", async () => {
    const mem = memoryGate();
    mem.usage.failWith = new Error("disk full");
    const gate = gateFromAnotherCopy(mem);
    // The copy's error is not an instance of this copy's class: only its code tells what it is.
    const probe = await gate.admit({ key: TEST_KEY, endpoint: "/e" });
    const err = await probe.ticket!.commit().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof Error && !(err instanceof UsageLogUnavailableError));
    assert.equal((err as { code?: string }).code, "usage_log_unavailable");
    const res = await fetchBilling(gate).withBilling(() => new Response("secret result"), { endpoint: "/e" })(post(), {});
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: string }).error, "usage_log_unavailable");
  });

  it("lets a handler drive the steps with apiBillingMiddleware", async () => {
    const { gate, usage } = memoryGate();
    const { apiBillingMiddleware } = fetchBilling(gate);
    const r = await apiBillingMiddleware(post(), "/api/v1/verify", 1);
    assert.equal(r.ok, true);
    if (!r.ok) return;
    const res = await r.finish(Response.json({ fine: true }));
    assert.ok(res.headers.get("X-Billing-Cost"));
    assert.equal(usage.entries.length, 1);

    const refused = await apiBillingMiddleware(post({ "x-api-key": "pk_unknown" }), "/api/v1/verify");
    assert.equal(refused.ok, false);
    if (!refused.ok) assert.equal(refused.response.status, 401);

    const aborted = await apiBillingMiddleware(post(), "/api/v1/verify");
    if (aborted.ok) aborted.abort();
    assert.equal(aborted.admission.ticket!.status, "released");
  });
});
