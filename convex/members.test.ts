import assert from "node:assert/strict";
import { api } from "./_generated/api";
import { as, newLedger, rejectsWith, teamWithRoles } from "./test.setup";

describe("members", () => {
  it("lists members with roles and allocations for Owners and Admins, not Members", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const list = await t.query(api.members.list, { auth: as(f.admin), teamId: f.teamId });
    assert.deepEqual(list.map((m) => [m.userId, m.role]).sort(), [["admin", "admin"], ["member", "member"], ["owner", "owner"]]);
    assert.ok(list.every((m) => m.allocation === null && m.allocationUsed === 0n));
    await rejectsWith(t.query(api.members.list, { auth: as(f.member), teamId: f.teamId }), "forbidden");
    await rejectsWith(t.query(api.members.list, { auth: as(f.outsider), teamId: f.teamId }), "forbidden");
  });

  it("lets the Owner promote and demote, audited, and never change the Owner's role", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const promoted = await t.mutation(api.members.changeRole, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.member, role: "admin" });
    assert.equal(promoted.role, "admin");
    await t.mutation(api.members.changeRole, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.admin, role: "member" });
    assert.equal((await t.query(api.teams.get, { auth: as(f.admin), teamId: f.teamId })).me.role, "member");
    await rejectsWith(t.mutation(api.members.changeRole, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.owner, role: "admin" }), "forbidden");
    const log = await t.query(api.audit.list, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 100, cursor: null } });
    assert.equal(log.page.filter((e) => e.action === "member.role_changed").length, 2);
  });

  it("refuses role changes by Admins, Members and outsiders", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    for (const wallet of [f.admin, f.member, f.outsider]) {
      await rejectsWith(t.mutation(api.members.changeRole, { auth: as(wallet), teamId: f.teamId, memberId: f.ids.member, role: "admin" }), "forbidden");
    }
  });

  it("lets Admins remove Members but never Admins or the Owner; the Owner removes Admins", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await rejectsWith(t.mutation(api.members.remove, { auth: as(f.admin), teamId: f.teamId, memberId: f.ids.owner }), "forbidden");
    await rejectsWith(t.mutation(api.members.remove, { auth: as(f.admin), teamId: f.teamId, memberId: f.ids.admin }), "forbidden");
    await rejectsWith(t.mutation(api.members.remove, { auth: as(f.member), teamId: f.teamId, memberId: f.ids.member }), "forbidden");
    await rejectsWith(t.mutation(api.members.remove, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.owner }), "forbidden");
    await t.mutation(api.members.remove, { auth: as(f.admin), teamId: f.teamId, memberId: f.ids.member });
    await rejectsWith(t.query(api.teams.get, { auth: as(f.member), teamId: f.teamId }), "forbidden");
    await t.mutation(api.members.remove, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.admin });
    await rejectsWith(t.mutation(api.members.remove, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.admin }), "not_found");
    assert.equal((await t.query(api.members.list, { auth: as(f.owner), teamId: f.teamId })).length, 1);
  });

  it("sets allocations: Owner on anyone, Admin on Members only, audited", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await t.mutation(api.members.setAllocation, { auth: as(f.admin), teamId: f.teamId, memberId: f.ids.member, allocation: 2_000_000n });
    await t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.admin, allocation: 3_000_000n });
    await t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.owner, allocation: 4_000_000n });
    await rejectsWith(t.mutation(api.members.setAllocation, { auth: as(f.admin), teamId: f.teamId, memberId: f.ids.admin, allocation: 1n }), "forbidden");
    await rejectsWith(t.mutation(api.members.setAllocation, { auth: as(f.admin), teamId: f.teamId, memberId: f.ids.owner, allocation: 1n }), "forbidden");
    await rejectsWith(t.mutation(api.members.setAllocation, { auth: as(f.member), teamId: f.teamId, memberId: f.ids.member, allocation: 1n }), "forbidden");
    const byUser = Object.fromEntries((await t.query(api.members.list, { auth: as(f.owner), teamId: f.teamId })).map((m) => [m.userId, m.allocation]));
    assert.deepEqual(byUser, { owner: 4_000_000n, admin: 3_000_000n, member: 2_000_000n });
    const cleared = await t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.member, allocation: null });
    assert.equal(cleared.allocation, null);
    const log = await t.query(api.audit.list, { auth: as(f.owner), teamId: f.teamId, paginationOpts: { numItems: 100, cursor: null } });
    assert.equal(log.page.filter((e) => e.action === "member.allocation_set").length, 4);
  });

  it("rejects a negative allocation, and Convex refuses one beyond the int64 range", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    await rejectsWith(t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.member, allocation: -1n }), "invalid_argument");
    await assert.rejects(
      t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: f.ids.member, allocation: 1n << 64n }),
      /does not fit into a 64-bit signed integer/,
    );
  });

  it("answers not_found for a member of another team", async () => {
    const t = newLedger();
    const f = await teamWithRoles(t);
    const other = await teamWithRoles(t, "Other");
    await rejectsWith(t.mutation(api.members.changeRole, { auth: as(f.owner), teamId: f.teamId, memberId: other.ids.member, role: "admin" }), "not_found");
    await rejectsWith(t.mutation(api.members.remove, { auth: as(f.owner), teamId: f.teamId, memberId: other.ids.member }), "not_found");
    await rejectsWith(t.mutation(api.members.setAllocation, { auth: as(f.owner), teamId: f.teamId, memberId: other.ids.member, allocation: 1n }), "not_found");
  });
});
