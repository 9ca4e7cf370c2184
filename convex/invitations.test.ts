import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { api } from "./_generated/api";
import { as, newLedger, newWallet, rejectsWith, teamWithRoles } from "./test.setup";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const DAY_MS = 86_400_000;

describe("invitations", () => {
  it("returns a token once, stores its sha256, and expires it after 7 days", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const before = Date.now();
    const inv = await t.mutation(api.invitations.create, { auth: as(f.owner), teamId: f.teamId, email: "New@Acme.test", role: "member" });
    assert.match(inv.token, /^inv_[A-Za-z0-9_-]{32}$/);
    assert.ok(inv.expiresAtMs >= before + 7 * DAY_MS && inv.expiresAtMs <= Date.now() + 7 * DAY_MS);
    const stored = await t.run(async (ctx) => ctx.db.get(inv.invitationId));
    assert.equal(stored?.tokenHash, sha256(inv.token));
    assert.equal(stored?.email, "new@acme.test");
    const listed = await t.query(api.invitations.list, { auth: as(f.admin), teamId: f.teamId });
    assert.equal(listed[0].status, "pending");
    assert.ok(!JSON.stringify(listed).includes(inv.token));
  });

  it("lets a wallet join once with the invited role and e-mail, then refuses the token", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const inv = await t.mutation(api.invitations.create, { auth: as(f.owner), teamId: f.teamId, email: "dev@acme.test", role: "admin" });
    const joiner = newWallet();
    const joined = await t.mutation(api.invitations.join, { auth: as(joiner), token: inv.token, userId: "dev-1" });
    assert.equal(joined.role, "admin");
    assert.equal(joined.teamId, f.teamId);
    const me = (await t.query(api.teams.get, { auth: as(joiner), teamId: f.teamId })).me;
    assert.deepEqual([me.role, me.userId, me.email], ["admin", "dev-1", "dev@acme.test"]);
    await rejectsWith(t.mutation(api.invitations.join, { auth: as(newWallet()), token: inv.token }), "conflict");
    const listed = await t.query(api.invitations.list, { auth: as(f.owner), teamId: f.teamId });
    assert.equal(listed.find((i) => i.invitationId === inv.invitationId)?.status, "accepted");
  });

  it("refuses an expired invitation", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const inv = await t.mutation(api.invitations.create, { auth: as(f.owner), teamId: f.teamId, email: "late@acme.test", role: "member" });
    // Seven days pass.
    await t.run(async (ctx) => ctx.db.patch(inv.invitationId, { expiresAtMs: Date.now() - 1 }));
    await rejectsWith(t.mutation(api.invitations.join, { auth: as(newWallet()), token: inv.token }), "expired");
    const listed = await t.query(api.invitations.list, { auth: as(f.owner), teamId: f.teamId });
    assert.equal(listed.find((i) => i.invitationId === inv.invitationId)?.status, "expired");
  });

  it("refuses an unknown token, a wallet already in the team and a taken userId", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await rejectsWith(t.mutation(api.invitations.join, { auth: as(newWallet()), token: "inv_unknown" }), "not_found");
    await rejectsWith(t.mutation(api.invitations.join, { auth: as(newWallet()), token: "" }), "invalid_argument");
    const a = await t.mutation(api.invitations.create, { auth: as(f.owner), teamId: f.teamId, email: "a@acme.test", role: "member" });
    await rejectsWith(t.mutation(api.invitations.join, { auth: as(f.member), token: a.token }), "conflict");
    await rejectsWith(t.mutation(api.invitations.join, { auth: as(newWallet()), token: a.token, userId: "member" }), "conflict");
    // A refused join leaves the invitation usable.
    await t.mutation(api.invitations.join, { auth: as(newWallet()), token: a.token, userId: "a" });
  });

  it("lets Admins invite Members but not Admins, and refuses Members and outsiders", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await t.mutation(api.invitations.create, { auth: as(f.admin), teamId: f.teamId, email: "m@acme.test", role: "member" });
    await rejectsWith(t.mutation(api.invitations.create, { auth: as(f.admin), teamId: f.teamId, email: "a@acme.test", role: "admin" }), "forbidden");
    await rejectsWith(t.mutation(api.invitations.create, { auth: as(f.member), teamId: f.teamId, email: "m@acme.test", role: "member" }), "forbidden");
    await rejectsWith(t.mutation(api.invitations.create, { auth: as(f.outsider), teamId: f.teamId, email: "m@acme.test", role: "member" }), "forbidden");
    await rejectsWith(t.mutation(api.invitations.create, { auth: as(f.owner), teamId: f.teamId, email: "not-an-email", role: "member" }), "invalid_argument");
  });

  it("lists invitations for Owners and Admins only", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await rejectsWith(t.query(api.invitations.list, { auth: as(f.member), teamId: f.teamId }), "forbidden");
    await rejectsWith(t.query(api.invitations.list, { auth: as(f.outsider), teamId: f.teamId }), "forbidden");
  });

  it("revokes a pending invitation so it cannot be used, audited", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const inv = await t.mutation(api.invitations.create, { auth: as(f.owner), teamId: f.teamId, email: "x@acme.test", role: "member" });
    await t.mutation(api.invitations.revoke, { auth: as(f.admin), teamId: f.teamId, invitationId: inv.invitationId });
    await rejectsWith(t.mutation(api.invitations.join, { auth: as(newWallet()), token: inv.token }), "conflict");
    const log = await t.query(api.audit.list, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 100, cursor: null } });
    assert.equal(log.page[0].action, "invitation.revoked");
    assert.equal(log.page.filter((e) => e.action === "invitation.accepted").length, 2);
  });

  it("refuses revocation by Members, by Admins of an Admin invitation, of a used invitation and across teams", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const other = await teamWithRoles(t, "Other");
    const forAdmin = await t.mutation(api.invitations.create, { auth: as(f.owner), teamId: f.teamId, email: "a@acme.test", role: "admin" });
    const forMember = await t.mutation(api.invitations.create, { auth: as(f.owner), teamId: f.teamId, email: "m@acme.test", role: "member" });
    await rejectsWith(t.mutation(api.invitations.revoke, { auth: as(f.member), teamId: f.teamId, invitationId: forMember.invitationId }), "forbidden");
    await rejectsWith(t.mutation(api.invitations.revoke, { auth: as(f.admin), teamId: f.teamId, invitationId: forAdmin.invitationId }), "forbidden");
    await rejectsWith(t.mutation(api.invitations.revoke, { auth: as(other.owner), teamId: other.teamId, invitationId: forMember.invitationId }), "not_found");
    await t.mutation(api.invitations.join, { auth: as(newWallet()), token: forMember.token, userId: "m2" });
    await rejectsWith(t.mutation(api.invitations.revoke, { auth: as(f.owner), teamId: f.teamId, invitationId: forMember.invitationId }), "conflict");
  });
});
