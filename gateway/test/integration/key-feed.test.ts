// The ledger-backed key source against the embedded ledger (the sidecar running convex/): revocations come
// from the apiKeys.revokedSince feed, not from re-resolving cached keys, and "last used" is recorded through
// apiKeys.touchApiKey by the key cache's background poll.
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Keypair } from "@solana/web3.js";
import { api, createLedgerClient, type LedgerClient } from "../../../ledger/client";
import { startSidecarProcess, type SidecarProcess } from "../../../ledger/start-sidecar";
import type { Id } from "../../../convex/_generated/dataModel";
import { MemoryBalanceSource } from "../../src/balance/source";
import { createGate, type Gate } from "../../src/gate";
import { hashApiKey } from "../../src/keys/hash";
import type { KeyRecord, KeySource, RevocationPage } from "../../src/keys/source";
import { LedgerKeySource } from "../../src/ledger/key-source";
import { MemoryUsageSink } from "../../src/usage/sink";
import { teamState } from "../fixtures";

/** Passes every call to the ledger source and counts them, so a test can see the traffic the cache makes. */
class CountingKeySource implements KeySource {
  resolveCalls = 0;
  feedCalls = 0;
  touchCalls = 0;
  constructor(private readonly inner: LedgerKeySource) {}
  resolve(keyHash: string): Promise<KeyRecord | null> {
    this.resolveCalls += 1;
    return this.inner.resolve(keyHash);
  }
  revokedSince(cursor: string | null): Promise<RevocationPage> {
    this.feedCalls += 1;
    return this.inner.revokedSince(cursor);
  }
  touch(keyHash: string, atMs: number): Promise<void> {
    this.touchCalls += 1;
    return this.inner.touch(keyHash, atMs);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ledger-backed API keys with the embedded ledger", function () {
  this.timeout(120_000);
  let sidecar: SidecarProcess;
  let dataDir: string;
  let ledger: LedgerClient;

  before(async () => {
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "gw-keyfeed-"));
    sidecar = await startSidecarProcess({ dataDir, crons: false, fsync: false });
    ledger = createLedgerClient({ url: sidecar.url, serverSecret: sidecar.serverSecret });
  });
  after(async () => {
    await sidecar?.stop();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  /** A team with an on-chain address (followed from memory here), an API key, and a started gate over the ledger. */
  async function teamWithKey(): Promise<{ owner: string; teamId: Id<"teams">; keyId: Id<"apiKeys">; key: string; source: CountingKeySource; gate: Gate }> {
    const owner = Keypair.generate().publicKey.toBase58();
    const chain = teamState({ team: Keypair.generate().publicKey.toBase58(), vault: Keypair.generate().publicKey.toBase58() });
    const { teamId } = await ledger.as(owner).mutation(api.teams.create, {
      name: "Acme",
      tier: 0,
      userId: "alice",
      chainTeam: chain.team,
      vault: chain.vault,
    });
    const { key, keyId } = await ledger.as(owner).mutation(api.apiKeys.create, { teamId, name: "prod" });
    const balances = new MemoryBalanceSource();
    balances.set(chain);
    const source = new CountingKeySource(new LedgerKeySource(ledger));
    // Defaults: revocation poll every 2 s, refresh of entries older than 30 s.
    const gate = createGate({ keys: source, balances, usage: new MemoryUsageSink() });
    gate.start();
    await gate.keys.poll(); // the first poll takes the feed's cursor
    return { owner, teamId, keyId, key, source, gate };
  }

  it("stops a revoked key within 5 s through the revocation feed, without re-resolving the key", async () => {
    const { owner, teamId, keyId, key, source, gate } = await teamWithKey();
    try {
      assert.equal((await gate.admit({ key, userId: "alice", endpoint: "/api/v1/verify" })).ok, true);
      assert.equal(source.resolveCalls, 1);
      const feedBefore = source.feedCalls;
      await ledger.as(owner).mutation(api.apiKeys.revoke, { teamId, keyId });
      const revokedAt = Date.now();
      let a = await gate.admit({ key, userId: "alice", endpoint: "/api/v1/verify" });
      while (a.ok && Date.now() - revokedAt < 10_000) {
        await sleep(50);
        a = await gate.admit({ key, userId: "alice", endpoint: "/api/v1/verify" });
      }
      const seenAfterMs = Date.now() - revokedAt;
      assert.equal(a.status, 401);
      assert.equal(a.error, "revoked_api_key");
      assert.ok(seenAfterMs < 5_000, `revocation seen after ${seenAfterMs} ms`);
      assert.ok(source.feedCalls > feedBefore, "the feed was polled");
      assert.equal(source.resolveCalls, 1, "no per-key lookups: the feed told the cache");
    } finally {
      gate.close();
    }
  });

  it("does not re-resolve cached keys on revocation polls while they are younger than the refresh interval", async () => {
    const { key, source, gate } = await teamWithKey();
    try {
      assert.equal((await gate.admit({ key, endpoint: "/api/v1/verify" })).ok, true);
      const feedBefore = source.feedCalls;
      for (let i = 0; i < 3; i++) await gate.keys.poll();
      assert.ok(source.feedCalls >= feedBefore + 3);
      assert.equal(source.resolveCalls, 1);
    } finally {
      gate.close();
    }
  });

  it("records the key's last use in the ledger from the background poll, once per minute per key", async () => {
    const { owner, teamId, key, source, gate } = await teamWithKey();
    try {
      const before = Date.now();
      for (let i = 0; i < 5; i++) assert.equal((await gate.admit({ key, endpoint: "/api/v1/verify" })).ok, true);
      assert.equal(source.touchCalls, 0, "admit does not touch the ledger");
      await gate.keys.poll();
      assert.equal(source.touchCalls, 1);
      assert.equal(gate.keys.pendingUses, 0);
      assert.equal(gate.keys.lastBackgroundError, null);
      const listed = await ledger.as(owner).query(api.apiKeys.list, { teamId });
      const lastUsed = listed[0]?.lastUsedAtMs ?? null;
      assert.ok(lastUsed !== null && lastUsed >= before && lastUsed <= Date.now(), `lastUsedAtMs ${lastUsed}`);
    } finally {
      gate.close();
    }
  });

  it("ignores touching a key the ledger does not know and refuses a wrong server secret", async () => {
    const source = new LedgerKeySource(ledger);
    await source.touch(hashApiKey("pk_never_issued"), Date.now());
    const wrong = new LedgerKeySource(createLedgerClient({ url: sidecar.url, serverSecret: "not-the-secret" }));
    await assert.rejects(wrong.touch(hashApiKey("pk_never_issued"), Date.now()), /unauthorized|secret/i);
    await assert.rejects(wrong.revokedSince(null), /unauthorized|secret/i);
  });
});
