import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { memoryGate, TEST_KEY, TEST_TEAM } from "../../test/harness";
import { parseProxyConfig, ProxyConfigError, RouteTable } from "./config";
import { createMeteringProxy } from "./server";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

async function upstream() {
  const seen: Seen[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url!.startsWith("/headers")) {
        // Repeated, hop-by-hop, Connection-listed and billing-looking headers.
        res.writeHead(200, ["Set-Cookie", "a=1", "Set-Cookie", "b=2", "Connection", "keep-alive, X-Hop", "X-Hop", "secret", "X-Billing-Cost", "1", "x-request-id", "forged", "X-RateLimit-Remaining", "7", "X-Custom", "v", "Retry-After", "30"]);
        return res.end("{}");
      }
      const status = req.url!.startsWith("/fail") ? 500 : 200;
      res.writeHead(status, { "content-type": "application/json", "x-upstream": "yes" });
      res.end(JSON.stringify({ echo: body, url: req.url }));
    });
  });
  server.on("connection", () => connections++);
  const url = await listen(server);
  return { url, seen, connections: () => connections, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function config(upstreamUrl: string, gate = true) {
  return parseProxyConfig({
    routes: [
      { path: "/v1/verify", methods: ["POST"], upstream: upstreamUrl, units: 1 },
      { path: "/v1/batch/", prefix: true, upstream: upstreamUrl, units: { header: "X-Batch-Size" }, endpoint: "/v1/batch" },
      { path: "/fail", upstream: upstreamUrl },
      { path: "/headers", upstream: upstreamUrl },
      { path: "/down", upstream: "http://127.0.0.1:1" },
    ],
    gate,
  });
}

describe("metering reverse proxy", () => {
  let up: Awaited<ReturnType<typeof upstream>>;
  let proxy: http.Server;
  let base: string;
  let mem: ReturnType<typeof memoryGate>;

  beforeEach(async () => {
    up = await upstream();
    mem = memoryGate({}, { periodRequests: 10_000n });
    const cfg = config(up.url);
    proxy = createMeteringProxy({ gate: mem.gate, routes: cfg.routes, upstreamAgent: cfg.upstreamAgent });
    base = await listen(proxy);
  });
  afterEach(async () => {
    await closeServer(proxy);
    await up.close();
  });

  const auth = { authorization: `Bearer ${TEST_KEY}`, "x-user-id": "alice" };

  it("answers its health path itself, also under a prefix route, without forwarding or charging", async () => {
    const cfg = config(up.url);
    const reports: string[] = [];
    const withHealth = createMeteringProxy({
      gate: mem.gate,
      routes: [...cfg.routes, { ...cfg.routes[1]!, path: "/", prefix: true }],
      health: {
        path: "/healthz",
        report: () => {
          reports.push("asked");
          return reports.length === 1 ? { status: "ok", usageLog: "ok" } : { status: "unavailable", usageLog: "failed" };
        },
      },
    });
    const at = await listen(withHealth);
    try {
      const ok = await fetch(`${at}/healthz?probe=1`, { headers: auth });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get("cache-control"), "no-store");
      assert.deepEqual(await ok.json(), { status: "ok", usageLog: "ok" });
      const down = await fetch(`${at}/healthz`);
      assert.equal(down.status, 503, "unavailable answers 503");
      assert.deepEqual(await down.json(), { status: "unavailable", usageLog: "failed" });
      const post = await fetch(`${at}/healthz`, { method: "POST", body: "x" });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get("allow"), "GET, HEAD");
      assert.equal(up.seen.length, 0, "never forwarded");
      assert.equal(mem.usage.entries.length, 0, "never charged");
      assert.equal((await fetch(`${at}/healthzz`, { headers: { ...auth, "x-batch-size": "1" } })).status, 200, "only the exact path: the rest goes to the routes");
      assert.equal(up.seen.length, 1);
    } finally {
      await closeServer(withHealth);
    }
    // Without a health route its path is just another path.
    assert.equal((await fetch(`${base}/healthz`)).status, 404);
  });

  it("forwards an admitted request and returns the upstream answer with billing headers, usage logged first", async () => {
    const res = await fetch(`${base}/v1/verify?x=1`, { method: "POST", headers: auth, body: "hello" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-upstream"), "yes");
    assert.equal(res.headers.get("x-billing-cost"), "10000");
    assert.deepEqual(await res.json(), { echo: "hello", url: "/v1/verify?x=1" });
    const s = up.seen[0]!;
    assert.equal(s.method, "POST");
    assert.equal(s.headers.authorization, undefined, "the billing key is not forwarded");
    assert.equal(s.headers["x-api-key"], undefined);
    assert.equal(s.headers["x-user-id"], "alice");
    assert.equal(s.headers["x-request-id"], res.headers.get("x-request-id"));
    assert.equal(mem.usage.entries.length, 1);
    assert.equal(mem.usage.entries[0]!.endpoint, "/v1/verify");
  });

  it("passes the upstream's headers on as they came, without hop-by-hop ones, and the gate's billing headers only from the gate", async () => {
    /** [name lowercased, value] pairs of an answer through `at`, in order. */
    const rawAnswer = (at: string) =>
      new Promise<[string, string][]>((resolve, reject) => {
        http
          .get(`${at}/headers`, { headers: auth }, (res) => {
            res.resume();
            const pairs: [string, string][] = [];
            for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
            res.on("end", () => resolve(pairs));
          })
          .on("error", reject);
      });
    const values = (pairs: [string, string][], name: string) => pairs.filter(([n]) => n === name).map(([, v]) => v);

    const metered = await rawAnswer(base);
    assert.deepEqual(values(metered, "set-cookie"), ["a=1", "b=2"]);
    assert.deepEqual(values(metered, "x-custom"), ["v"]);
    assert.deepEqual(values(metered, "retry-after"), ["30"], "the upstream's own Retry-After is not the gate's");
    assert.deepEqual(values(metered, "x-hop"), [], "a header the Connection header names is hop-by-hop");
    assert.deepEqual(values(metered, "x-billing-cost"), ["10000"]);
    assert.deepEqual(values(metered, "x-ratelimit-remaining"), [], "the gate's name: not the upstream's, and none on a success by default");
    assert.equal(values(metered, "x-request-id").length, 1);
    assert.notEqual(values(metered, "x-request-id")[0], "forged");
    assert.equal(mem.usage.entries[0]!.requestId, values(metered, "x-request-id")[0]);

    // Without the gate the proxy meters nothing, and the upstream's own headers of those names pass.
    const plain = createMeteringProxy({ gate: null, routes: config(up.url, false).routes });
    const plainBase = await listen(plain);
    try {
      const unmetered = await rawAnswer(plainBase);
      assert.deepEqual(values(unmetered, "x-billing-cost"), ["1"]);
      assert.deepEqual(values(unmetered, "x-request-id"), ["forged"]);
      assert.deepEqual(values(unmetered, "x-ratelimit-remaining"), ["7"]);
      assert.deepEqual(values(unmetered, "x-hop"), []);
      assert.deepEqual(values(unmetered, "set-cookie"), ["a=1", "b=2"]);
    } finally {
      await closeServer(plain);
    }
  });

  it("answers a refusal itself without reaching the upstream", async () => {
    const res = await fetch(`${base}/v1/verify`, { method: "POST", headers: { "x-api-key": "pk_nope" }, body: "x" });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, "invalid_api_key");
    assert.equal(up.seen.length, 0);
  });

  it("answers 404 for no route and 405 for a method the route does not take", async () => {
    assert.equal((await fetch(`${base}/nowhere`, { headers: auth })).status, 404);
    const res = await fetch(`${base}/v1/verify`, { headers: auth });
    assert.equal(res.status, 405);
    assert.equal(((await res.json()) as { error: string }).error, "method_not_allowed");
  });

  it("charges the units a header announces on a prefix route, and 422 when it is not a number", async () => {
    const res = await fetch(`${base}/v1/batch/run`, { method: "POST", headers: { ...auth, "x-batch-size": "7" }, body: "b" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-billing-cost"), "70000");
    assert.equal(mem.usage.entries[0]!.units, 7n);
    assert.equal(mem.usage.entries[0]!.endpoint, "/v1/batch");
    const bad = await fetch(`${base}/v1/batch/run`, { method: "POST", headers: { ...auth, "x-batch-size": "-1" }, body: "b" });
    assert.equal(bad.status, 422);
  });

  it("does not charge an upstream 5xx and passes it through", async () => {
    const res = await fetch(`${base}/fail`, { headers: auth });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get("x-billing-cost"), null);
    assert.ok(res.headers.get("x-request-id"));
    await res.text();
    assert.equal(mem.usage.entries.length, 0);
    assert.equal(mem.gate.book(TEST_TEAM)!.reservedUnits, 0n, "the reservation was given back");
  });

  it("answers 502 and releases the reservation when the upstream cannot be reached", async () => {
    const res = await fetch(`${base}/down`, { headers: auth });
    assert.equal(res.status, 502);
    assert.equal(((await res.json()) as { error: string }).error, "bad_gateway");
    assert.equal(mem.usage.entries.length, 0);
    assert.equal(mem.gate.book(TEST_TEAM)!.reservedUnits, 0n);
  });

  it("resends a bodyless request once when the upstream closed the kept-alive connection it went out on", async () => {
    // An upstream that drops every connection on its second request, as one does when its idle timeout
    // fires just as a reused connection carries the next request.
    const perConnection = new WeakMap<object, number>();
    let handled = 0;
    const flaky = http.createServer((req, res) => {
      const n = (perConnection.get(req.socket) ?? 0) + 1;
      perConnection.set(req.socket, n);
      if (n === 2) return req.socket.destroy();
      handled++;
      req.resume();
      res.end("ok");
    });
    const flakyUrl = await listen(flaky);
    const cfg = parseProxyConfig({
      routes: [
        { path: "/get", upstream: flakyUrl },
        { path: "/post", methods: ["POST"], upstream: flakyUrl },
      ],
    });
    const p = createMeteringProxy({ gate: mem.gate, routes: cfg.routes, upstreamAgent: { maxSockets: 1, keepAliveMsecs: 1000 } });
    const pBase = await listen(p);
    try {
      assert.equal((await fetch(`${pBase}/get`, { headers: auth })).status, 200);
      const again = await fetch(`${pBase}/get`, { headers: auth });
      assert.equal(again.status, 200, "resent on a fresh connection");
      assert.equal(await again.text(), "ok");
      assert.equal(handled, 2);
      assert.equal(mem.usage.entries.length, 2, "charged once per request");

      // A request with a body is not resent (it cannot be replayed): 502, not charged. It goes out as the
      // second request of the connection the resent GET opened.
      const post = await fetch(`${pBase}/post`, { method: "POST", headers: auth, body: "x" });
      assert.equal(post.status, 502);
      const body = (await post.json()) as { error: string; detail: string };
      assert.equal(body.error, "bad_gateway");
      assert.ok(body.detail, "the upstream error is named");
      assert.equal(handled, 2);
      assert.equal(mem.usage.entries.length, 2);
      assert.equal(mem.gate.book(TEST_TEAM)!.reservedUnits, 2n, "the refused request's reservation was given back");
    } finally {
      await closeServer(p);
      await closeServer(flaky);
    }
  });

  it("gives the reservation back, charges nothing and keeps serving when the client leaves before the upstream answers", async () => {
    const slow = http.createServer((req, res) => {
      req.resume();
      setTimeout(() => res.end("late"), 200);
    });
    const slowUrl = await listen(slow);
    const cfg = parseProxyConfig({ routes: [{ path: "/slow", upstream: slowUrl }] });
    const p = createMeteringProxy({ gate: mem.gate, routes: cfg.routes, upstreamAgent: cfg.upstreamAgent });
    const pBase = await listen(p);
    try {
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 50);
      await assert.rejects(fetch(`${pBase}/slow`, { headers: auth, signal: abort.signal }));
      await new Promise((r) => setTimeout(r, 300)); // the upstream answers meanwhile
      assert.equal(mem.usage.entries.length, 0);
      assert.equal(mem.gate.book(TEST_TEAM)!.reservedUnits, 0n);
      const next = await fetch(`${pBase}/slow`, { headers: auth });
      assert.equal(next.status, 200);
      assert.equal(await next.text(), "late");
      assert.equal(mem.usage.entries.length, 1);
    } finally {
      await closeServer(p);
      await closeServer(slow);
    }
  });

  it("answers 503 without the upstream's answer when the usage log fails", async () => {
    mem.usage.failWith = new Error("disk full");
    const res = await fetch(`${base}/v1/verify`, { method: "POST", headers: auth, body: "x" });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { error: string }).error, "usage_log_unavailable");
  });

  it("reuses upstream connections (keep-alive)", async () => {
    for (let i = 0; i < 20; i++) await (await fetch(`${base}/v1/verify`, { method: "POST", headers: auth, body: "x" })).text();
    assert.ok(up.connections() <= 2, `${up.connections()} upstream connections for 20 requests`);
  });

  it("forwards without metering when the gate is off", async () => {
    const off = createMeteringProxy({ gate: null, routes: config(up.url, false).routes });
    const url = await listen(off);
    try {
      const res = await fetch(`${url}/v1/verify`, { method: "POST", headers: { "x-api-key": "anything" }, body: "x" });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-billing-cost"), null);
      assert.equal(up.seen[0]!.headers["x-api-key"], undefined);
    } finally {
      off.closeAllConnections();
      await new Promise<void>((r) => off.close(() => r()));
    }
  });
});

describe("metering proxy config", () => {
  it("fills defaults and normalises routes", () => {
    const c = parseProxyConfig({ routes: [{ path: "/a", upstream: "http://127.0.0.1:9", methods: ["post"] }] });
    assert.deepEqual(c.listen, { host: "127.0.0.1", port: 8787 });
    assert.equal(c.gate, true);
    assert.deepEqual(c.routes[0]!.methods, ["POST"]);
    assert.equal(c.routes[0]!.units, 1);
    assert.equal(c.routes[0]!.endpoint, "/a");
    assert.equal(c.upstreamAgent.maxSockets, 256);
    assert.equal(c.health, "/healthz");
    assert.equal(parseProxyConfig({ routes: [{ path: "/a", upstream: "http://x" }], health: false }).health, null);
    assert.equal(parseProxyConfig({ routes: [{ path: "/a", upstream: "http://x" }], health: "/-/ready" }).health, "/-/ready");
  });

  it("rejects malformed configs with a clear message", () => {
    const bad: [unknown, RegExp][] = [
      [null, /JSON object/],
      [{ routes: [] }, /routes/],
      [{ routes: [{ path: "a", upstream: "http://x" }] }, /path/],
      [{ routes: [{ path: "/a", upstream: "ftp://x" }] }, /upstream/],
      [{ routes: [{ path: "/a", upstream: "not a url" }] }, /upstream/],
      [{ routes: [{ path: "/a", upstream: "http://x", units: 0 }] }, /units/],
      [{ routes: [{ path: "/a", upstream: "http://x", units: { header: "" } }] }, /units/],
      [{ routes: [{ path: "/a", upstream: "http://x" }], listen: { port: 70000 } }, /port/],
      [{ routes: [{ path: "/a", upstream: "http://x" }], gate: "yes" }, /gate/],
      [{ routes: [{ path: "/a", upstream: "http://x" }], health: "healthz" }, /health must be a path/],
      [{ routes: [{ path: "/a", upstream: "http://x" }], health: true }, /health must be a path/],
      [{ routes: [{ path: "/healthz", upstream: "http://x" }] }, /routes\[0\]\.path is the health path \/healthz/],
      // Misspelt or unknown keys are refused, not left to their defaults.
      [{ routes: [{ path: "/a", upstream: "http://x" }], usagelog: { dir: "/tmp/x" } }, /usagelog is not a config section \(known: listen, routes/],
      [{ routes: [{ path: "/a", upstream: "http://x", method: ["POST"] }] }, /routes\[0\]\.method is not an option \(routes\[0\] takes path, prefix, methods/],
      [{ routes: [{ path: "/a", upstream: "http://x", prefix: "true" }] }, /routes\[0\]\.prefix must be true or false/],
      [{ routes: [{ path: "/a", upstream: "http://x", units: { header: "x-n", default: 1 } }] }, /units must be a positive integer or/],
      [{ routes: [{ path: "/a", upstream: "http://x" }], listen: "8787" }, /listen must be an object/],
      [{ routes: [{ path: "/a", upstream: "http://x" }], listen: { prot: 8787 } }, /listen\.prot is not an option/],
      [{ routes: [{ path: "/a", upstream: "http://x" }], upstreamAgent: { maxSocket: 8 } }, /upstreamAgent\.maxSocket is not an option/],
    ];
    for (const [json, re] of bad) assert.throws(() => parseProxyConfig(json), (e: unknown) => e instanceof ProxyConfigError && re.test(e.message));
  });

  it("matches exact paths before the longest prefix, and tells a wrong method from no route", () => {
    const c = parseProxyConfig({
      routes: [
        { path: "/v1/", prefix: true, upstream: "http://a" },
        { path: "/v1/x/", prefix: true, upstream: "http://b" },
        { path: "/v1/x/y", methods: ["POST"], upstream: "http://c" },
      ],
    });
    const t = new RouteTable(c.routes);
    const host = (m: ReturnType<RouteTable["match"]>) => (m.kind === "found" ? m.route.upstream.hostname : m.kind);
    assert.equal(host(t.match("POST", "/v1/x/y")), "c");
    assert.equal(host(t.match("GET", "/v1/x/y")), "b", "a prefix route takes the other methods");
    assert.equal(host(t.match("GET", "/v1/x/z")), "b");
    assert.equal(host(t.match("GET", "/v1/q")), "a");
    assert.equal(host(t.match("GET", "/v2")), "none");
  });
});
