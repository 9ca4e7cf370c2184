import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { api } from "./_generated/api";
import { as, newLedger, rejectsWith, server, teamWithRoles } from "./test.setup";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("API keys", () => {
  it("returns a pk_ key with at least 128 bits once and stores only its sha256 and prefix", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const created = await t.mutation(api.apiKeys.create, { auth: as(f.owner), teamId: f.teamId, name: "production" });
    assert.match(created.key, /^pk_[A-Za-z0-9_-]{32}$/); // 32 base64url characters = 192 bits
    assert.equal(created.prefix, created.key.slice(0, 11));
    const stored = await t.run(async (ctx) => ctx.db.get(created.keyId));
    assert.equal(stored?.keyHash, sha256(created.key));
    assert.ok(!JSON.stringify(stored).includes(created.key.slice(3)), "the key itself is not stored");
    const listed = await t.query(api.apiKeys.list, { auth: as(f.owner), teamId: f.teamId });
    assert.deepEqual(listed.map((k) => [k.prefix, k.name, k.revoked]), [[created.prefix, "production", false]]);
    assert.ok(!JSON.stringify(listed).includes(created.key));
    const second = await t.mutation(api.apiKeys.create, { auth: as(f.owner), teamId: f.teamId, name: "staging" });
    assert.notEqual(second.key, created.key);
  });

  it("lets only the Owner create and revoke keys", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    for (const wallet of [f.admin, f.member, f.outsider]) {
      await rejectsWith(t.mutation(api.apiKeys.create, { auth: as(wallet), teamId: f.teamId, name: "x" }), "forbidden");
    }
    const { keyId } = await t.mutation(api.apiKeys.create, { auth: as(f.owner), teamId: f.teamId, name: "x" });
    for (const wallet of [f.admin, f.member, f.outsider]) {
      await rejectsWith(t.mutation(api.apiKeys.revoke, { auth: as(wallet), teamId: f.teamId, keyId }), "forbidden");
    }
  });

  it("lists keys for Owners and Admins but not Members", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await t.mutation(api.apiKeys.create, { auth: as(f.owner), teamId: f.teamId, name: "x" });
    assert.equal((await t.query(api.apiKeys.list, { auth: as(f.admin), teamId: f.teamId })).length, 1);
    await rejectsWith(t.query(api.apiKeys.list, { auth: as(f.member), teamId: f.teamId }), "forbidden");
    await rejectsWith(t.query(api.apiKeys.list, { auth: as(f.outsider), teamId: f.teamId }), "forbidden");
  });

  it("rejects an empty key name", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await rejectsWith(t.mutation(api.apiKeys.create, { auth: as(f.owner), teamId: f.teamId, name: " " }), "invalid_argument");
  });

  it("revokes a key once, audited, and refuses a key of another team", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const other = await teamWithRoles(t, "Other");
    const { keyId, key } = await t.mutation(api.apiKeys.create, { auth: as(f.owner), teamId: f.teamId, name: "x" });
    await rejectsWith(t.mutation(api.apiKeys.revoke, { auth: as(other.owner), teamId: other.teamId, keyId }), "not_found");
    const revoked = await t.mutation(api.apiKeys.revoke, { auth: as(f.owner), teamId: f.teamId, keyId });
    assert.equal(revoked.revoked, true);
    const again = await t.mutation(api.apiKeys.revoke, { auth: as(f.owner), teamId: f.teamId, keyId });
    assert.equal(again.revokedAtMs, revoked.revokedAtMs);
    const resolved = await t.query(api.apiKeys.resolveApiKey, { auth: server, keyHash: sha256(key) });
    assert.equal(resolved?.revoked, true);
    const log = await t.query(api.audit.list, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 50, cursor: null } });
    assert.deepEqual(log.page.filter((e) => e.action.startsWith("api_key.")).map((e) => e.action), ["api_key.revoked", "api_key.created"]);
  });

  it("resolves a key hash to the team, tier, vault and members with allocations for the gateway", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const { key, keyId } = await t.mutation(api.apiKeys.create, { auth: as(f.owner), teamId: f.teamId, name: "x" });
    await t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.member, allocation: 5_000_000n });
    const resolved = await t.query(api.apiKeys.resolveApiKey, { auth: server, keyHash: sha256(key) });
    assert.ok(resolved !== null);
    assert.equal(resolved.keyId, keyId);
    assert.equal(resolved.teamId, f.teamId);
    assert.equal(resolved.revoked, false);
    assert.equal(resolved.tier, 0);
    assert.equal(resolved.status, "active");
    const byUser = Object.fromEntries(resolved.members.map((m) => [m.userId, m]));
    assert.deepEqual(Object.keys(byUser).sort(), ["admin", "member", "owner"]);
    assert.equal(byUser.member.allocation, 5_000_000n);
    assert.equal(byUser.member.allocationUsed, 0n);
    assert.equal(byUser.owner.allocation, null);
    assert.equal(byUser.admin.role, "admin");
    assert.equal(await t.query(api.apiKeys.resolveApiKey, { auth: server, keyHash: sha256("pk_unknown") }), null);
  });

  it("refuses key resolution without the server secret or with a malformed hash", async () => {
    const t = newLedger();
    await rejectsWith(t.query(api.apiKeys.resolveApiKey, { auth: { secret: "wrong" }, keyHash: sha256("x") }), "unauthorized");
    await rejectsWith(t.query(api.apiKeys.resolveApiKey, { auth: server, keyHash: "ABC" }), "invalid_argument");
  });

  it("records last use at most once a minute", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const { key, keyId } = await t.mutation(api.apiKeys.create, { auth: as(f.owner), teamId: f.teamId, name: "x" });
    const now = Date.now();
    assert.deepEqual(await t.mutation(api.apiKeys.touchApiKey, { auth: server, keyHash: sha256(key), atMs: now - 120_000 }), { updated: true });
    assert.deepEqual(await t.mutation(api.apiKeys.touchApiKey, { auth: server, keyHash: sha256(key), atMs: now - 100_000 }), { updated: false });
    assert.deepEqual(await t.mutation(api.apiKeys.touchApiKey, { auth: server, keyHash: sha256(key), atMs: now }), { updated: true });
    const listed = await t.query(api.apiKeys.list, { auth: as(f.owner), teamId: f.teamId });
    assert.equal(listed.find((k) => k.keyId === keyId)?.lastUsedAtMs, now);
    await rejectsWith(t.mutation(api.apiKeys.touchApiKey, { auth: server, keyHash: sha256("pk_gone"), atMs: now }), "not_found");
    await rejectsWith(t.mutation(api.apiKeys.touchApiKey, { auth: { secret: "x" }, keyHash: sha256(key), atMs: now }), "unauthorized");
    await rejectsWith(t.mutation(api.apiKeys.touchApiKey, { auth: server, keyHash: "not-a-hash", atMs: now }), "invalid_argument");
  });
});

describe("API key revocation feed", () => {
  it("reports keys revoked since the cursor, starting from now", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const a = await t.mutation(api.apiKeys.create, { auth: as(f.owner), teamId: f.teamId, name: "a" });
    const b = await t.mutation(api.apiKeys.create, { auth: as(f.owner), teamId: f.teamId, name: "b" });
    const start = await t.query(api.apiKeys.revokedSince, { auth: server, cursor: null });
    assert.deepEqual(start.keyHashes, []);
    await t.mutation(api.apiKeys.revoke, { auth: as(f.owner), teamId: f.teamId, keyId: a.keyId });
    const page = await t.query(api.apiKeys.revokedSince, { auth: server, cursor: start.cursor });
    assert.deepEqual(page.keyHashes, [sha256(a.key)]);
    await t.mutation(api.apiKeys.revoke, { auth: as(f.owner), teamId: f.teamId, keyId: b.keyId });
    const next = await t.query(api.apiKeys.revokedSince, { auth: server, cursor: page.cursor });
    // Recent revocations may be reported again (the feed looks back a little); b is new.
    assert.ok(next.keyHashes.includes(sha256(b.key)));
  });

  it("refuses the feed without the secret or with a malformed cursor", async () => {
    const t = newLedger();
    await rejectsWith(t.query(api.apiKeys.revokedSince, { auth: { secret: "x" }, cursor: null }), "unauthorized");
    await rejectsWith(t.query(api.apiKeys.revokedSince, { auth: server, cursor: "yesterday" }), "invalid_argument");
  });
});
