// Servers reach the ledger only through the client: the real convex/ functions on the embedded
// sidecar, called exactly as they would be on a Convex deployment.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Keypair } from "@solana/web3.js";
import { api, createLedgerClient, httpStatusOf, ledgerErrorOf, LedgerConfigError, resolveLedgerUrl } from "./client";
import { startSidecarProcess, type SidecarProcess } from "./start-sidecar";
import { tempDir } from "./testing/support";

const wallet = () => Keypair.generate().publicKey.toBase58();

describe("ledger client", function () {
  let sidecar: SidecarProcess;
  const data = tempDir("client");

  before(async function () {
    sidecar = await startSidecarProcess({ dataDir: data.dir, crons: false });
  });

  after(async function () {
    await sidecar?.stop();
    data.cleanup();
  });

  it("creates a team as a wallet and resolves its API key as the server", async function () {
    const ledger = createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret });
    const owner = wallet();
    const { teamId } = await ledger.as(owner).mutation(api.teams.create, { name: "Acme" });
    const { team, me } = await ledger.as(owner).query(api.teams.get, { teamId });
    assert.equal(team.name, "Acme");
    assert.equal(me.role, "owner");
    const { key } = await ledger.as(owner).mutation(api.apiKeys.create, { teamId, name: "server" });
    const keyHash = createHash("sha256").update(key).digest("hex");
    const resolved = await ledger.server().query(api.apiKeys.resolveApiKey, { keyHash });
    assert.equal(resolved?.teamId, teamId);
    assert.equal(resolved?.revoked, false);
    assert.deepEqual(resolved?.members.map((m) => m.wallet), [owner]);
  });

  it("surfaces the ledger's refusals as codes with their HTTP statuses", async function () {
    const ledger = createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret });
    const owner = wallet();
    const { teamId } = await ledger.as(owner).mutation(api.teams.create, { name: "Refusals" });
    const refusal = async (call: Promise<unknown>) => {
      try {
        await call;
      } catch (error) {
        return ledgerErrorOf(error);
      }
      assert.fail("the call was not refused");
    };
    const outsider = await refusal(ledger.as(wallet()).mutation(api.teams.updateBillingEmail, { teamId, billingEmail: "x@example.com" }));
    assert.equal(outsider?.code, "forbidden");
    assert.equal(httpStatusOf[outsider!.code], 403);

    const wrongSecret = createLedgerClient({ url: sidecar.url, serverSecret: "not-the-ledger-secret-at-all" });
    const unauthorized = await refusal(wrongSecret.as(owner).query(api.teams.get, { teamId }));
    assert.equal(unauthorized?.code, "unauthorized");
    assert.equal(httpStatusOf[unauthorized!.code], 401);
    assert.equal(ledgerErrorOf(new Error("plain")), null);
  });

  it("takes the URL from CONVEX_URL in production and the sidecar address otherwise", function () {
    assert.deepEqual(resolveLedgerUrl({ CONVEX_URL: "https://happy-otter-123.convex.cloud", LEDGER_URL: "http://127.0.0.1:1" }), {
      url: "https://happy-otter-123.convex.cloud",
      mode: "convex",
    });
    assert.deepEqual(resolveLedgerUrl({ LEDGER_URL: "http://127.0.0.1:4000" }), { url: "http://127.0.0.1:4000", mode: "embedded" });
    assert.deepEqual(resolveLedgerUrl({ LEDGER_PORT: "4100" }), { url: "http://127.0.0.1:4100", mode: "embedded" });
    assert.deepEqual(resolveLedgerUrl({}), { url: "http://127.0.0.1:3210", mode: "embedded" });
  });

  it("refuses to build without a server secret", function () {
    const saved = process.env.LEDGER_SERVER_SECRET;
    delete process.env.LEDGER_SERVER_SECRET;
    try {
      assert.throws(() => createLedgerClient({ url: sidecar.url }), (error: unknown) => {
        assert.ok(error instanceof LedgerConfigError);
        assert.equal(error.code, "ledger_not_configured");
        return true;
      });
    } finally {
      if (saved !== undefined) process.env.LEDGER_SERVER_SECRET = saved;
    }
  });

  it("measures the per-call latency through ConvexHttpClient", async function () {
    const ledger = createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret });
    const owner = wallet();
    const { teamId } = await ledger.as(owner).mutation(api.teams.create, { name: "Latency" });
    const calls = 100;
    let started = performance.now();
    for (let i = 0; i < calls; i++) await ledger.as(owner).query(api.teams.get, { teamId });
    const queryMs = (performance.now() - started) / calls;
    started = performance.now();
    for (let i = 0; i < calls; i++) {
      await ledger.as(owner).mutation(api.teams.updateBillingEmail, { teamId, billingEmail: `b${i}@example.com` });
    }
    const mutationMs = (performance.now() - started) / calls;
    console.log(`      per call through ConvexHttpClient: query ${queryMs.toFixed(2)} ms, mutation ${mutationMs.toFixed(2)} ms`);
    assert.ok(queryMs < 50 && mutationMs < 50);
  });
});
