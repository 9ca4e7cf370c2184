import assert from "node:assert/strict";
import { api } from "./_generated/api";
import { as, newLedger, newWallet, rejectsWith, TEST_SECRET, teamWithRoles } from "./test.setup";

describe("teams", () => {
  it("makes the creator the Owner of a new Startup team", async () => {
    const t = newLedger();
    const owner = newWallet();
    const { teamId } = await t.mutation(api.teams.create, { auth: as(owner), name: "  Acme  ", billingEmail: "Billing@Acme.test" });
    const view = await t.query(api.teams.get, { auth: as(owner), teamId });
    assert.equal(view.team.name, "Acme");
    assert.equal(view.team.tier, 0);
    assert.equal(view.team.tierName, "Startup");
    assert.equal(view.team.billingEmail, "billing@acme.test");
    assert.equal(view.team.status, "active");
    assert.equal(view.me.role, "owner");
    assert.equal(view.me.userId, owner);
    const mine = await t.query(api.teams.listMine, { auth: as(owner) });
    assert.deepEqual(mine.map((x) => [x.teamId, x.role]), [[teamId, "owner"]]);
  });

  it("refuses a second team for the same owner wallet, as the chain keeps one team account per owner", async () => {
    const t = newLedger();
    const owner = newWallet();
    await t.mutation(api.teams.create, { auth: as(owner), name: "One" });
    await rejectsWith(t.mutation(api.teams.create, { auth: as(owner), name: "Two" }), "conflict");
  });

  it("refuses a chain team account already linked to another team", async () => {
    const t = newLedger();
    const chainTeam = newWallet();
    await t.mutation(api.teams.create, { auth: as(newWallet()), name: "One", chainTeam });
    await rejectsWith(t.mutation(api.teams.create, { auth: as(newWallet()), name: "Two", chainTeam }), "conflict");
  });

  it("refuses a wrong server secret, and any call when the ledger has no secret configured", async () => {
    const t = newLedger();
    await rejectsWith(t.mutation(api.teams.create, { auth: { secret: "nope", wallet: newWallet() }, name: "X" }), "unauthorized");
    await rejectsWith(
      t.mutation(api.teams.create, { auth: { secret: TEST_SECRET + "x", wallet: newWallet() }, name: "X" }),
      "unauthorized",
    );
    delete process.env.LEDGER_SERVER_SECRET;
    try {
      await rejectsWith(t.mutation(api.teams.create, { auth: as(newWallet()), name: "X" }), "unauthorized");
    } finally {
      process.env.LEDGER_SERVER_SECRET = TEST_SECRET;
    }
  });

  it("rejects a malformed wallet, name, tier, e-mail or chain address", async () => {
    const t = newLedger();
    const w = newWallet();
    await rejectsWith(t.mutation(api.teams.create, { auth: as("not-a-wallet"), name: "X" }), "invalid_argument");
    await rejectsWith(t.mutation(api.teams.create, { auth: as(w), name: "   " }), "invalid_argument");
    await rejectsWith(t.mutation(api.teams.create, { auth: as(w), name: "x".repeat(101) }), "invalid_argument");
    await rejectsWith(t.mutation(api.teams.create, { auth: as(w), name: "X", tier: 3 }), "invalid_argument");
    await rejectsWith(t.mutation(api.teams.create, { auth: as(w), name: "X", tier: 0.5 }), "invalid_argument");
    await rejectsWith(t.mutation(api.teams.create, { auth: as(w), name: "X", billingEmail: "nope" }), "invalid_argument");
    await rejectsWith(t.mutation(api.teams.create, { auth: as(w), name: "X", vault: "0OIl" }), "invalid_argument");
    await rejectsWith(t.mutation(api.teams.create, { auth: as(w), name: "X", userId: "has space" }), "invalid_argument");
  });

  it("keeps the user id of unattributed usage for the gateway: no Owner or joiner may take it", async () => {
    const t = newLedger();
    const w = newWallet();
    await rejectsWith(t.mutation(api.teams.create, { auth: as(w), name: "X", userId: "(unattributed)" }), "invalid_argument");
    await rejectsWith(t.mutation(api.teams.create, { auth: as(w), name: "X", userId: "(anything)" }), "invalid_argument");
    const { teamId } = await t.mutation(api.teams.create, { auth: as(w), name: "X", userId: "owner-1" });
    const invitation = await t.mutation(api.invitations.create, { auth: as(w), teamId, email: "dev@acme.test", role: "member" });
    await rejectsWith(
      t.mutation(api.invitations.join, { auth: as(newWallet()), token: invitation.token, userId: "(unattributed)" }),
      "invalid_argument",
    );
  });

  it("shows a team to its members only", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    assert.equal((await t.query(api.teams.get, { auth: as(f.member), teamId: f.teamId })).me.role, "member");
    assert.equal((await t.query(api.teams.get, { auth: as(f.admin), teamId: f.teamId })).me.role, "admin");
    await rejectsWith(t.query(api.teams.get, { auth: as(f.outsider), teamId: f.teamId }), "forbidden");
  });

  it("answers not_found for a team that no longer exists", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await t.run(async (ctx) => ctx.db.delete(f.teamId));
    await rejectsWith(t.query(api.teams.get, { auth: as(f.owner), teamId: f.teamId }), "not_found");
  });

  it("lets the Owner set and clear the billing e-mail, audited, and refuses Admins and Members", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await t.mutation(api.teams.updateBillingEmail, { auth: as(f.owner), teamId: f.teamId, billingEmail: "AP@acme.test" });
    assert.equal((await t.query(api.teams.get, { auth: as(f.owner), teamId: f.teamId })).team.billingEmail, "ap@acme.test");
    await t.mutation(api.teams.updateBillingEmail, { auth: as(f.owner), teamId: f.teamId, billingEmail: null });
    assert.equal((await t.query(api.teams.get, { auth: as(f.owner), teamId: f.teamId })).team.billingEmail, null);
    await rejectsWith(t.mutation(api.teams.updateBillingEmail, { auth: as(f.admin), teamId: f.teamId, billingEmail: "a@b.co" }), "forbidden");
    await rejectsWith(t.mutation(api.teams.updateBillingEmail, { auth: as(f.member), teamId: f.teamId, billingEmail: "a@b.co" }), "forbidden");
    await rejectsWith(t.mutation(api.teams.updateBillingEmail, { auth: as(f.owner), teamId: f.teamId, billingEmail: "a@b" }), "invalid_argument");
    const log = await t.query(api.audit.list, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 50, cursor: null } });
    assert.equal(log.page.filter((e) => e.action === "team.billing_email_updated").length, 2);
  });

  it("refuses listing teams for a malformed wallet or a wrong secret", async () => {
    const t = newLedger();
    await rejectsWith(t.query(api.teams.listMine, { auth: as("nope") }), "invalid_argument");
    await rejectsWith(t.query(api.teams.listMine, { auth: { secret: "x", wallet: newWallet() } }), "unauthorized");
    assert.deepEqual(await t.query(api.teams.listMine, { auth: as(newWallet()) }), []);
  });
});

describe("audit log", () => {
  it("pages a team's entries newest first for Owners and Admins, not Members or outsiders", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const first = await t.query(api.audit.list, { auth: as(f.admin), teamId: f.teamId, paginationOpts: { numItems: 2, cursor: null } });
    assert.deepEqual(first.page.map((e) => e.action), ["invitation.accepted", "invitation.created"]);
    const rest = await t.query(api.audit.list, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 10, cursor: first.continueCursor } });
    assert.deepEqual(rest.page.map((e) => e.action), ["invitation.accepted", "invitation.created", "team.created"]);
    assert.equal(rest.page[2].actor, f.owner);
    await rejectsWith(t.query(api.audit.list, { auth: as(f.member), teamId: f.teamId, paginationOpts: { numItems: 10, cursor: null } }), "forbidden");
    await rejectsWith(t.query(api.audit.list, { auth: as(f.outsider), teamId: f.teamId, paginationOpts: { numItems: 10, cursor: null } }), "forbidden");
  });
});
