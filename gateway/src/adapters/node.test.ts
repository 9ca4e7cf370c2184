import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gateFromAnotherCopy, memoryGate, TEST_KEY } from "../../test/harness";
import type { UsageEntry, UsageSink } from "../usage/sink";
import { nodeBilling, type NodeHandler } from "./node";

async function serve(handler: NodeHandler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler as http.RequestListener);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

const headers = { "x-api-key": TEST_KEY, "x-user-id": "alice" };

/** A sink whose appends wait until released, to see that no byte leaves before the entry is durable. */
class SlowSink implements UsageSink {
  entries: UsageEntry[] = [];
  private waiters: (() => void)[] = [];
  append(entry: UsageEntry): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push(() => {
        this.entries.push(entry);
        resolve();
      });
    });
  }
  releaseAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  get waiting(): number {
    return this.waiters.length;
  }
}

describe("node:http adapter", () => {
  it("holds the handler's response until the usage entry is durable, then sends it with billing headers", async () => {
    const sink = new SlowSink();
    const { gate } = memoryGate({}, { periodRequests: 10_000n }, sink);
    const billing = nodeBilling(gate);
    const srv = await serve(
      billing.handler((req, res) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ id: (req as typeof req & { billing: { requestId: string } }).billing.requestId }));
      }, { endpoint: "/v1/x" }),
    );
    try {
      let answered = false;
      const pending = fetch(`${srv.url}/v1/x`, { headers }).then((r) => ((answered = true), r));
      while (sink.waiting === 0) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(answered, false, "nothing was sent while the append was pending");
      sink.releaseAll();
      const res = await pending;
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-billing-cost"), "10000");
      const body = (await res.json()) as { id: string };
      assert.equal(body.id, res.headers.get("x-request-id"));
      assert.equal(sink.entries[0]!.userId, "alice");
    } finally {
      await srv.close();
    }
  });

  it("writes a refusal without calling the handler", async () => {
    const { gate } = memoryGate();
    let called = false;
    const srv = await serve(nodeBilling(gate).handler((_q, res) => ((called = true), res.end()), { endpoint: "/v1/x" }));
    try {
      const res = await fetch(`${srv.url}/v1/x`, { headers: { ...headers, "x-user-id": "mallory" } });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: string }).error, "not_a_member");
      assert.equal(called, false);
    } finally {
      await srv.close();
    }
  });

  it("does not charge a 4xx answer and answers 500 for a handler that throws before writing", async () => {
    const { gate, usage } = memoryGate({}, { periodRequests: 10_000n, vaultBalance: 10_000n });
    const billing = nodeBilling(gate);
    const srv = await serve((req, res) => {
      if (req.url === "/bad") return billing.handler((_q, r) => ((r.statusCode = 404), r.end("nope")), { endpoint: "/bad" })(req, res);
      if (req.url === "/throw") return billing.handler(async () => { throw new Error("boom"); }, { endpoint: "/t" })(req, res);
      return billing.handler((_q, r) => r.end("ok"), { endpoint: "/ok" })(req, res);
    });
    try {
      const bad = await fetch(`${srv.url}/bad`, { headers });
      assert.equal(bad.status, 404);
      assert.equal(bad.headers.get("x-billing-cost"), null);
      assert.equal(await bad.text(), "nope");
      const thrown = await fetch(`${srv.url}/throw`, { headers });
      assert.equal(thrown.status, 500);
      assert.equal(((await thrown.json()) as { error: string }).error, "internal_error");
      assert.equal(usage.entries.length, 0);
      assert.equal((await fetch(`${srv.url}/ok`, { headers })).status, 200, "the balance was given back");
      assert.equal(usage.entries.length, 1);
    } finally {
      await srv.close();
    }
  });

  it("cuts off a response whose handler throws after it started writing", async () => {
    const { gate } = memoryGate();
    const srv = await serve(
      nodeBilling(gate).handler(async (_q, res) => {
        res.write("partial");
        throw new Error("mid-response");
      }, { endpoint: "/v1/x" }),
    );
    try {
      await assert.rejects(
        fetch(`${srv.url}/v1/x`, { headers }).then((r) => r.text()),
        "a truncated response must not look complete",
      );
    } finally {
      await srv.close();
    }
  });

  it("answers 503 instead of the handler's response when the usage log fails", async () => {
    const { gate, usage } = memoryGate();
    usage.failWith = new Error("disk full");
    const srv = await serve(nodeBilling(gate).handler((_q, res) => res.end("secret"), { endpoint: "/v1/x" }));
    try {
      const res = await fetch(`${srv.url}/v1/x`, { headers });
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: string }).error, "usage_log_unavailable");
    } finally {
      await srv.close();
    }
  });

  it("answers 503 as well when the failing gate comes from another copy of the gateway modules", async () => {
    const mem = memoryGate();
    mem.usage.failWith = new Error("disk full");
    const srv = await serve(nodeBilling(gateFromAnotherCopy(mem)).handler((_q, res) => res.end("secret"), { endpoint: "/v1/x" }));
    try {
      const res = await fetch(`${srv.url}/v1/x`, { headers });
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: string }).error, "usage_log_unavailable");
    } finally {
      await srv.close();
    }
  });

  it("works as Express-style middleware, computing units from the request", async () => {
    const { gate, usage } = memoryGate();
    const mw = nodeBilling(gate).middleware({ endpoint: "/v1/batch", units: (req) => Number(req.headers["x-items"]) });
    const srv = await serve((req, res) =>
      mw(req, res, (err) => {
        if (err) {
          res.statusCode = 500;
          res.end();
          return;
        }
        res.writeHead(201, { "content-type": "text/plain" });
        res.end("done");
      }),
    );
    try {
      const res = await fetch(`${srv.url}/v1/batch`, { headers: { ...headers, "x-items": "4" } });
      assert.equal(res.status, 201);
      assert.equal(await res.text(), "done");
      assert.equal(usage.entries[0]!.units, 4n);
      const bad = await fetch(`${srv.url}/v1/batch`, { headers: { ...headers, "x-items": "zero" } });
      assert.equal(bad.status, 422);
    } finally {
      await srv.close();
    }
  });
});
