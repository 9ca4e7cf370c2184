// The whole path against the real program (litesvm) and the embedded ledger (the sidecar running convex/):
// keys resolved by the ledger, usage recorded and settled, chain events indexed, rollups checked.
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Keypair } from "@solana/web3.js";
import { USDC } from "../../../sdk/src/constants";
import { api, createLedgerClient, ledgerErrorOf, type LedgerClient } from "../../../ledger/client";
import { startSidecarProcess, type SidecarProcess } from "../../../ledger/start-sidecar";
import type { Id } from "../../../convex/_generated/dataModel";
import { ChainIndexer } from "../../src/chain/indexer";
import { ConvexIndexerLedger } from "../../src/ledger/indexer-ledger";
import { LedgerKeySource } from "../../src/ledger/key-source";
import { BatchConflictError, ConvexSettlementLedger } from "../../src/ledger/settlement-ledger";
import { OffThreadMutations } from "../../src/ledger/off-thread-mutations";
import { encodeUsagePage } from "../../../convex/model/usagePage";
import { createGate } from "../../src/gate";
import { Settler, UNATTRIBUTED_USER_ID } from "../../src/settler";
import { createStack, serve, UNLIMITED, type Stack } from "../stack";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startGatewayRuntime } from "../../src/runtime";
import { createMeteringProxy } from "../../src/proxy/server";
import { parseProxyConfig } from "../../src/proxy/config";
import { RecordingTransactionSource } from "../recording-source";

describe("gateway with the embedded ledger and the program", function () {
  this.timeout(300_000);
  let sidecar: SidecarProcess;
  let dataDir: string;
  let ledger: LedgerClient;
  let s: Stack;

  before(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "gw-ledger-"));
    sidecar = await startSidecarProcess({ dataDir, crons: false, fsync: false });
    ledger = createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret });
  });
  after(async () => {
    await s?.close();
    await sidecar?.stop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it("settles 10,050 requests: chain charge = pricing, ledger rollups match per endpoint and member", async () => {
    s = await createStack({ ledger: new ConvexSettlementLedger(ledger) });
    const source = new RecordingTransactionSource(s.d.provider);
    const t = await s.team({ deposit: 200n * USDC });
    const owner = t.owner.publicKey.toBase58();

    // The team, a key and a second member, made the way the dashboard makes them.
    const { teamId } = await ledger.as(owner).mutation(api.teams.create, {
      name: "Acme",
      tier: 0,
      userId: "alice",
      chainTeam: t.address,
      vault: t.vault.toBase58(),
    });
    const { key } = await ledger.as(owner).mutation(api.apiKeys.create, { teamId, name: "prod" });
    const { token } = await ledger.as(owner).mutation(api.invitations.create, { teamId, email: "bob@example.com", role: "member" });
    await ledger.as(Keypair.generate().publicKey.toBase58()).mutation(api.invitations.join, { token, userId: "bob" });

    // The gate resolves the key through the ledger.
    const gate = createGate({ keys: new LedgerKeySource(ledger), balances: s.balances, usage: s.log, rateLimits: UNLIMITED });
    await s.settler.stop();
    const settler = new Settler({ log: s.log, gate, ledger: new ConvexSettlementLedger(ledger), chain: s.chain, onSettled: (x) => s.balances.refresh(x) });
    const refused = await gate.admit({ key, userId: "mallory", endpoint: "/api/v1/verify" });
    assert.equal(refused.status, 403, "membership comes from the ledger");

    const users = ["alice", "bob", null];
    const endpoints = ["/api/v1/verify", "/api/v1/batch/verify"];
    const served = await serve(gate, key, 10_050, (i) => ({ endpoint: endpoints[i % 2]!, userId: users[i % 3]! }));
    assert.ok(served.every((a) => a.ok));
    const priced = served.reduce((n, a) => n + a.cost, 0n);
    assert.equal(priced, 500_000n);
    assert.equal(await settler.drain(), 0);

    const team = await s.d.team(t.owner.publicKey);
    assert.equal(team.periodRequests, 10_050n);
    assert.equal(team.periodOverageSpend, priced);

    const indexer = new ChainIndexer({ source, ledger: new ConvexIndexerLedger(ledger), balances: s.balances, programId: s.d.programId });
    const events = await indexer.pollOnce();
    assert.ok(events >= 5, `${events} events (created, deposited, rolled, revenue ×2, deducted …)`);
    assert.equal(await indexer.pollOnce(), 0, "each transaction once");

    const tid = teamId as Id<"teams">;
    const byEndpoint = await ledger.as(owner).query(api.analytics.getEndpointBreakdown, { teamId: tid, days: 1 });
    assert.deepEqual(
      byEndpoint.map((r) => [r.endpoint, r.requests, r.cost]).sort(),
      [
        ["/api/v1/batch/verify", 5_025, 250_000n],
        ["/api/v1/verify", 5_025, 250_000n],
      ],
    );
    const byMember = await ledger.as(owner).query(api.analytics.getMemberBreakdown, { teamId: tid, days: 1 });
    const members = Object.fromEntries(byMember.map((r) => [r.userId, r.requests]));
    assert.deepEqual(members, { alice: 3_350, bob: 3_350, [UNATTRIBUTED_USER_ID]: 3_350 });
    const memberCost = byMember.reduce((n, r) => n + r.cost, 0n);
    assert.equal(memberCost, priced, "member rollups add up to the on-chain charge");

    const balance = await ledger.as(owner).query(api.chain.getBalance, { teamId: tid });
    assert.equal(balance?.vaultBalance, await s.d.balance(t.vault), "the indexer kept the ledger's balance");
  });

  for (const via of ["the request thread", "a worker thread"] as const) {
    it(`gives a settler BatchConflictError when the ledger holds another batch under the id, and nothing for the same one (recorded from ${via})`, async () => {
      const owner = Keypair.generate().publicKey.toBase58();
      const chainTeam = Keypair.generate().publicKey.toBase58();
      const { teamId } = await ledger.as(owner).mutation(api.teams.create, { name: "Twice", tier: 0, userId: "owner", chainTeam, vault: Keypair.generate().publicKey.toBase58() });
      const worker = via === "a worker thread" ? new OffThreadMutations(ledger.server(), { url: sidecar.url, serverSecret: sidecar.serverSecret }) : null;
      try {
        if (worker) assert.equal(worker.mode, "worker");
        const settlement = new ConvexSettlementLedger(ledger, worker ?? undefined);
        const page = (id: string) => encodeUsagePage([{ requestId: id, timestampMs: Date.now(), endpoint: "/api/v1/verify", userId: UNATTRIBUTED_USER_ID, units: 1, cost: 0n }]);
        const batch = { batchId: `${chainTeam}:1`, teamId, batchSeq: 1n, requestCount: 1n, amount: 0n, usageRoot: "ab".repeat(32), records: { pages: [page("first")] } };
        await settlement.recordBatch(batch);
        await settlement.recordBatch(batch); // the same batch again: idempotent
        await assert.rejects(settlement.recordBatch({ ...batch, usageRoot: "cd".repeat(32), records: { pages: [page("second")] } }), BatchConflictError);
        // Any other refusal keeps its code across the thread.
        const refusal = await settlement.recordBatch({ ...batch, batchId: `${chainTeam}:2`, batchSeq: 2n, records: { pages: ["not a page"] } }).then(
          () => null,
          (err: unknown) => err,
        );
        assert.equal(ledgerErrorOf(refusal)?.code, "invalid_argument");
        const stored = await ledger.as(owner).query(api.usage.getBatchRecords, { batchId: `${chainTeam}:1` });
        assert.deepEqual(stored.records.map((r) => r.requestId), ["first"]);
      } finally {
        await worker?.close();
      }
    });
  }

  it("records through the in-process client when the ledger worker cannot start", async () => {
    const owner = Keypair.generate().publicKey.toBase58();
    const chainTeam = Keypair.generate().publicKey.toBase58();
    const { teamId } = await ledger.as(owner).mutation(api.teams.create, { name: "Inline", tier: 0, userId: "owner", chainTeam, vault: Keypair.generate().publicKey.toBase58() });
    const mutations = new OffThreadMutations(ledger.server(), { url: sidecar.url, serverSecret: sidecar.serverSecret }, { file: path.join(__dirname, "no-such-worker.js") });
    await new Promise((r) => setTimeout(r, 200)); // the worker fails to load its file and exits
    assert.equal(mutations.mode, "inline");
    const settlement = new ConvexSettlementLedger(ledger, mutations);
    const pages = [encodeUsagePage([{ requestId: "inline-1", timestampMs: Date.now(), endpoint: "/api/v1/verify", userId: UNATTRIBUTED_USER_ID, units: 1, cost: 0n }])];
    await settlement.recordBatch({ batchId: `${chainTeam}:1`, teamId, batchSeq: 1n, requestCount: 1n, amount: 0n, usageRoot: "ab".repeat(32), records: { pages } });
    const stored = await ledger.as(owner).query(api.usage.getBatchRecords, { batchId: `${chainTeam}:1` });
    assert.deepEqual(stored.records.map((r) => r.requestId), ["inline-1"]);
    await mutations.close();
  });

  it("runs as one runtime: proxy traffic settled on close, events indexed, nothing left unsettled", async () => {
    await s?.close();
    s = await createStack();
    const t = await s.team({ deposit: 100n * USDC });
    const owner = t.owner.publicKey.toBase58();
    const { teamId } = await ledger.as(owner).mutation(api.teams.create, { name: "Runtime", chainTeam: t.address, vault: t.vault.toBase58() });
    const { key } = await ledger.as(owner).mutation(api.apiKeys.create, { teamId, name: "k" });
    const source = new RecordingTransactionSource(s.d.provider);
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "gw-runtime-"));
    const runtime = await startGatewayRuntime({
      provider: s.d.provider,
      billingAuthority: s.d.billingAuthority,
      programId: s.d.programId,
      ledger,
      ledgerAccess: { url: sidecar.url, serverSecret: sidecar.serverSecret }, // batches recorded from the worker thread
      usageLogDir: path.join(dir, "usage"),
      gate: { rateLimits: UNLIMITED },
      settler: { flushIntervalMs: 60_000 }, // nothing settles before close
      indexer: { source },
    });
    const upstream = http.createServer((_q, res) => res.end("ok"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const proxy = createMeteringProxy({
      gate: runtime.gate,
      routes: parseProxyConfig({ routes: [{ path: "/api/v1/verify", upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` }] }).routes,
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/api/v1/verify`;
    try {
      let served = 0;
      for (let i = 0; i < 40; i++) {
        const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
        if (res.status === 200) served++;
        await res.text();
      }
      assert.equal(served, 40);
      assert.equal(runtime.log.unsettled, 40);
      await runtime.close();
      assert.equal(runtime.log.unsettled, 0);
      assert.equal((await s.d.team(t.owner.publicKey)).periodRequests, 40n);
      const history = await ledger.as(owner).query(api.analytics.getEndpointBreakdown, { teamId: teamId as Id<"teams">, days: 1 });
      assert.deepEqual(history.map((r) => [r.endpoint, r.requests]), [["/api/v1/verify", 40]]);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
      upstream.close();
      await runtime.close();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
