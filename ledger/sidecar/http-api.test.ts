// The sidecar answers the unmodified ConvexHttpClient like a Convex deployment would.
import assert from "node:assert/strict";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { ConvexError } from "convex/values";
import { startSidecarProcess, type SidecarProcess } from "../start-sidecar";
import { FIXTURE_FUNCTIONS_DIR, tempDir } from "../testing/support";

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}

describe("ledger sidecar HTTP API", function () {
  let sidecar: SidecarProcess;
  let client: ConvexHttpClient;
  const data = tempDir("http");

  before(async function () {
    sidecar = await startSidecarProcess({ dataDir: data.dir, functionsDir: FIXTURE_FUNCTIONS_DIR, crons: false });
    client = new ConvexHttpClient(sidecar.url, { skipConvexDeploymentUrlCheck: true, logger: false });
  });

  after(async function () {
    await sidecar?.stop();
    data.cleanup();
  });

  it("round-trips a mutation and an indexed query with int64 values", async function () {
    const id = await client.mutation(anyApi.notes.add, { team: "acme", body: "first", amount: 2n ** 60n });
    assert.match(id, /notes$/);
    const notes = await client.query(anyApi.notes.byTeam, { team: "acme" });
    assert.equal(notes.length, 1);
    assert.equal(notes[0]._id, id);
    assert.equal(notes[0].amount, 2n ** 60n);
  });

  it("runs an action that calls an internal query", async function () {
    await client.mutation(anyApi.notes.add, { team: "sum", body: "a", amount: 7n });
    await client.mutation(anyApi.notes.add, { team: "sum", body: "b", amount: 5n });
    assert.equal(await client.action(anyApi.notes.total, { team: "sum" }), 12n);
  });

  it("delivers a ConvexError's data to the caller and keeps none of the failed mutation's writes", async function () {
    await assert.rejects(client.mutation(anyApi.notes.addThenFail, { team: "rolled-back" }), (error: unknown) => {
      assert.ok(error instanceof ConvexError);
      assert.deepEqual(error.data, { code: "conflict", message: "refused after writing", amount: 5n });
      return true;
    });
    assert.deepEqual(await client.query(anyApi.notes.byTeam, { team: "rolled-back" }), []);
  });

  it("reports an ordinary exception as a server error with its message", async function () {
    await assert.rejects(client.mutation(anyApi.notes.plainFailure, {}), /Server Error\nUncaught Error: an ordinary failure/);
  });

  it("rejects arguments that fail the function's validator", async function () {
    await assert.rejects(client.query(anyApi.notes.byTeam, { team: 5 }), /Validator error/);
  });

  it("refuses internal functions exactly like missing ones", async function () {
    await assert.rejects(client.query(anyApi.notes.secretByTeam, { team: "acme" }), /FunctionNotFound.*notes:secretByTeam/);
    await assert.rejects(client.mutation(anyApi.notes.secretWipe, {}), /FunctionNotFound/);
    await assert.rejects(client.mutation(anyApi.notes.doesNotExist, {}), /FunctionNotFound/);
    assert.equal((await client.query(anyApi.notes.byTeam, { team: "acme" })).length, 1);
  });

  it("refuses a function called as the wrong kind", async function () {
    await assert.rejects(client.query(anyApi.notes.add, { team: "x", body: "y", amount: 1n }), /is a mutation, called as a query/);
  });

  it("answers malformed requests with 4xx codes", async function () {
    const post = (path: string, body: string) =>
      fetch(`${sidecar.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json" } });
    assert.equal((await post("/api/query", "not json")).status, 400);
    assert.equal((await post("/api/query", JSON.stringify({ args: [{}] }))).status, 400);
    assert.equal((await post("/api/query", JSON.stringify({ path: "notes:byTeam", format: "json", args: [{}] }))).status, 400);
    assert.equal((await post("/api/query", JSON.stringify({ path: "notes:byTeam", args: [[1]] }))).status, 400);
    assert.equal((await fetch(`${sidecar.url}/api/query`)).status, 405);
  });

  it("passes a bearer token's claims through as the user identity", async function () {
    client.setAuth(unsignedJwt({ sub: "user-1", iss: "https://issuer.test", email: "a@example.com", exp: 1 }));
    try {
      const identity = await client.query(anyApi.notes.whoami, {});
      assert.deepEqual(identity, {
        subject: "user-1",
        issuer: "https://issuer.test",
        email: "a@example.com",
        tokenIdentifier: "https://issuer.test|user-1",
      });
    } finally {
      client.clearAuth();
    }
    assert.equal(await client.query(anyApi.notes.whoami, {}), null);
  });

  it("refuses a malformed bearer token with 401", async function () {
    const response = await fetch(`${sidecar.url}/api/query`, {
      method: "POST",
      headers: { authorization: "Bearer not-a-jwt" },
      body: JSON.stringify({ path: "notes:whoami", format: "convex_encoded_json", args: [{}] }),
    });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { code: string }).code, "Unauthenticated");
  });

  it("serves /api/function with unwrapped arguments", async function () {
    const response = await fetch(`${sidecar.url}/api/function`, {
      method: "POST",
      body: JSON.stringify({ path: "notes:byTeam", format: "convex_encoded_json", args: { team: "sum" } }),
    });
    const body = (await response.json()) as { status: string; value: unknown[] };
    assert.equal(body.status, "success");
    assert.equal(body.value.length, 2);
  });

  it("routes other paths to convex/http.ts", async function () {
    const hello = await fetch(`${sidecar.url}/hello`);
    assert.equal(hello.status, 200);
    assert.deepEqual(await hello.json(), { hello: "world" });
    const total = await fetch(`${sidecar.url}/notes/total`, { method: "POST", body: JSON.stringify({ team: "sum" }) });
    assert.equal(total.status, 200);
    assert.equal(total.headers.get("x-team"), "sum");
    assert.equal(await total.text(), "12");
    assert.equal((await fetch(`${sidecar.url}/no/such/route`)).status, 404);
    const basic = await fetch(`${sidecar.url}/hello`, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    assert.equal(basic.status, 200, "an http action may use other Authorization schemes");
  });

  it("runs scheduled functions on real timers", async function () {
    await client.mutation(anyApi.notes.scheduleTick, { source: "soon", delayMs: 100 });
    const deadline = Date.now() + 5000;
    while ((await client.query(anyApi.ticks.count, { source: "soon" })) !== 1) {
      assert.ok(Date.now() < deadline, "the scheduled function did not run");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
