import assert from "node:assert/strict";
import { TestClock } from "../../test/clock";
import { KeyCache, KeySourceUnavailableError, type KeyCacheOptions } from "./cache";
import { hashApiKey } from "./hash";
import { MemoryKeySource, ResolveOnlyKeySource, type KeyRecord, type KeySource } from "./source";

const record: KeyRecord = { teamId: "team-1", team: "TeamPda", vault: "VaultPda", revoked: false, members: new Map() };

const tick = () => new Promise((r) => setImmediate(r));

function options(clock: TestClock): KeyCacheOptions {
  return {
    refreshMs: 30_000,
    revocationCheckMs: 2_000,
    unknownKeyTtlMs: 5_000,
    maxEntries: 3,
    maxPendingLookups: 2,
    now: clock.now,
  };
}

function setup(source?: (m: MemoryKeySource) => KeySource) {
  const clock = new TestClock();
  const mem = new MemoryKeySource();
  mem.set(hashApiKey("pk_good"), record);
  const cache = new KeyCache(source ? source(mem) : mem, options(clock));
  return { clock, mem, cache };
}

describe("API key cache", () => {
  it("hashes with sha256 hex, the form the ledger stores", () => {
    assert.equal(hashApiKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("asks the source once on a miss and serves later requests from memory", async () => {
    const { mem, cache } = setup();
    assert.equal(cache.get("pk_good"), undefined);
    const [a, b] = await Promise.all([cache.load("pk_good"), cache.load("pk_good")]);
    assert.equal(a, b);
    assert.equal(mem.resolveCalls, 1, "concurrent misses share one lookup");
    assert.equal(cache.get("pk_good")?.record?.teamId, "team-1");
    assert.equal(mem.resolveCalls, 1);
  });

  it("remembers an unknown key as unknown for unknownKeyTtlMs only", async () => {
    const { clock, mem, cache } = setup();
    const e = await cache.load("pk_nope");
    assert.equal(e.record, null);
    assert.equal(cache.get("pk_nope")?.record, null);
    clock.advance(5_000);
    assert.equal(cache.get("pk_nope"), undefined, "expired: the next request asks again");
    mem.set(hashApiKey("pk_nope"), record);
    assert.equal((await cache.load("pk_nope")).record?.teamId, "team-1");
  });

  it("refreshes an entry older than refreshMs in the background while serving the old one", async () => {
    const { clock, mem, cache } = setup();
    await cache.load("pk_good");
    mem.set(hashApiKey("pk_good"), { ...record, teamId: "team-2" });
    clock.advance(29_999);
    assert.equal(cache.get("pk_good")?.record?.teamId, "team-1");
    assert.equal(mem.resolveCalls, 1);
    clock.advance(1);
    assert.equal(cache.get("pk_good")?.record?.teamId, "team-1", "served stale while refreshing");
    await tick();
    assert.equal(cache.get("pk_good")?.record?.teamId, "team-2");
    assert.equal(mem.resolveCalls, 2);
  });

  it("marks keys revoked from the revocation feed on the next poll", async () => {
    const { mem, cache } = setup();
    await cache.poll(); // takes the feed's cursor
    await cache.load("pk_good");
    const calls = mem.resolveCalls;
    mem.revoke(hashApiKey("pk_good"));
    assert.equal(cache.get("pk_good")?.record?.revoked, false);
    await cache.poll();
    assert.equal(cache.get("pk_good")?.record?.revoked, true);
    assert.equal(mem.resolveCalls, calls, "the feed needs no per-key lookups");
  });

  it("re-resolves every cached key on each poll when the source has no revocation feed", async () => {
    const { mem, cache } = setup((m) => new ResolveOnlyKeySource(m));
    await cache.load("pk_good");
    mem.revoke(hashApiKey("pk_good"));
    await cache.poll();
    assert.equal(cache.get("pk_good")?.record?.revoked, true);
  });

  it("never lets a refresh that started before a revocation undo it", async () => {
    const { clock, mem } = setup();
    let hold: Promise<void> | null = null;
    const slow: KeySource = {
      resolve: async (h) => {
        const r = await mem.resolve(h);
        if (hold) await hold;
        return r;
      },
      revokedSince: (c) => mem.revokedSince(c),
    };
    const cache = new KeyCache(slow, options(clock));
    await cache.poll();
    await cache.load("pk_good");
    let release: () => void = () => {};
    hold = new Promise<void>((r) => (release = r));
    clock.advance(30_000);
    cache.get("pk_good"); // starts a refresh that reads the record before the revocation
    await tick();
    mem.revoke(hashApiKey("pk_good"));
    await cache.poll();
    assert.equal(cache.get("pk_good")?.record?.revoked, true);
    release();
    await tick();
    assert.equal(cache.get("pk_good")?.record?.revoked, true);
  });

  it("reports the source unavailable on a miss and keeps serving cached keys when it fails", async () => {
    const { mem, cache } = setup();
    await cache.load("pk_good");
    mem.failWith = new Error("ledger down");
    await assert.rejects(cache.load("pk_other"), (e: unknown) => {
      assert.ok(e instanceof KeySourceUnavailableError);
      assert.equal(e.code, "key_service_unavailable");
      assert.match(e.message, /ledger down/);
      return true;
    });
    await cache.poll();
    assert.match(String(cache.lastBackgroundError), /ledger down/);
    assert.equal(cache.get("pk_good")?.record?.teamId, "team-1");
  });

  it("bounds the entries held and the lookups in flight", async () => {
    const { cache } = setup();
    for (const k of ["a", "b", "c", "d"]) await cache.load(k);
    assert.equal(cache.size, 3);
    assert.equal(cache.get("a"), undefined, "the oldest entry went first");
    const slow = new KeyCache({ resolve: () => new Promise(() => {}) }, {
      refreshMs: 1, revocationCheckMs: 1, unknownKeyTtlMs: 1, maxEntries: 10, maxPendingLookups: 2, now: Date.now,
    });
    void slow.load("x");
    void slow.load("y");
    await assert.rejects(slow.load("z"), KeySourceUnavailableError);
  });

  it("queues a key's use without calling the source and sends it on the next poll, once per interval", async () => {
    const { clock, mem, cache } = setup();
    const e = await cache.load("pk_good");
    const t0 = clock.now();
    cache.noteUse(e);
    cache.noteUse(e);
    assert.equal(mem.touchCalls, 0, "the request path never calls the source");
    assert.equal(cache.pendingUses, 1);
    await cache.poll();
    assert.equal(mem.touchCalls, 1);
    assert.equal(mem.lastUsed.get(hashApiKey("pk_good")), t0);
    clock.advance(59_999);
    cache.noteUse(e);
    await cache.poll();
    assert.equal(mem.touchCalls, 1, "at most one use per minute per key is sent");
    clock.advance(1);
    cache.noteUse(e);
    await cache.poll();
    assert.equal(mem.touchCalls, 2);
    assert.equal(mem.lastUsed.get(hashApiKey("pk_good")), t0 + 60_000);
  });

  it("keeps a use whose touch failed and sends it on a later poll", async () => {
    const { mem, cache } = setup();
    const e = await cache.load("pk_good");
    mem.failWith = new Error("ledger down");
    cache.noteUse(e);
    await cache.poll();
    assert.match(String(cache.lastBackgroundError), /ledger down/);
    assert.equal(cache.pendingUses, 1);
    mem.failWith = null;
    await cache.poll();
    assert.equal(cache.pendingUses, 0);
    assert.equal(mem.touchCalls, 1);
  });

  it("keeps checking revocations while a touch of the source hangs", async () => {
    const { clock, mem } = setup();
    const hanging: KeySource = {
      resolve: (h) => mem.resolve(h),
      revokedSince: (c) => mem.revokedSince(c),
      touch: () => new Promise(() => {}),
    };
    const cache = new KeyCache(hanging, options(clock));
    void cache.poll(); // takes the feed's cursor
    await tick();
    cache.noteUse(await cache.load("pk_good"));
    void cache.poll(); // the touch never answers
    await tick();
    mem.revoke(hashApiKey("pk_good"));
    void cache.poll();
    await tick();
    assert.equal(cache.get("pk_good")?.record?.revoked, true);
  });

  it("notes no use for unknown keys or sources without touch", async () => {
    const { mem, cache } = setup();
    cache.noteUse(await cache.load("pk_nope"));
    assert.equal(cache.pendingUses, 0);
    const plain = setup((m) => new ResolveOnlyKeySource(m));
    plain.cache.noteUse(await plain.cache.load("pk_good"));
    assert.equal(plain.cache.pendingUses, 0);
    await plain.cache.poll();
    assert.equal(mem.touchCalls + plain.mem.touchCalls, 0);
  });

  it("polls on a timer that does not keep the process alive", () => {
    const { cache } = setup();
    cache.start();
    cache.start();
    cache.stop();
  });
});
