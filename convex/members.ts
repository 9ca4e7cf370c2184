// Members: Owners and Admins list; the Owner changes roles; removal and allocations by the Owner, or by
// an Admin for Members.
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { requireTeamAccess } from "./model/auth";
import { changeRole as changeMemberRole, listMembers, removeMember, setAllocation as setMemberAllocation } from "./model/members";
import { actorAuth, grantableRole } from "./model/validators";

/** Members with role, allocation and allocation use this period. Owner and Admin. */
export const list = query({
  args: { auth: actorAuth, teamId: v.id("teams") },
  handler: async (ctx, { auth, teamId }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewTeamAdmin");
    return await listMembers(ctx, teamId);
  },
});

/** Makes a member an Admin or a Member. Owner only; the Owner's own role cannot change. */
export const changeRole = mutation({
  args: { auth: actorAuth, teamId: v.id("teams"), memberId: v.id("members"), role: grantableRole },
  handler: async (ctx, { auth, teamId, memberId, role }) => {
    const access = await requireTeamAccess(ctx, auth, teamId, "manageRoles");
    return await changeMemberRole(ctx, access, memberId, role);
  },
});

/** Removes a member. Owner (Admins and Members), Admin (Members). */
export const remove = mutation({
  args: { auth: actorAuth, teamId: v.id("teams"), memberId: v.id("members") },
  handler: async (ctx, { auth, teamId, memberId }) => {
    const access = await requireTeamAccess(ctx, auth, teamId, "manageMembers");
    await removeMember(ctx, access, memberId);
    return null;
  },
});

/** Sets a member's budget per billing period in base units (null: no limit). Owner (anyone), Admin (Members). */
export const setAllocation = mutation({
  args: { auth: actorAuth, teamId: v.id("teams"), memberId: v.id("members"), allocation: v.union(v.int64(), v.null()) },
  handler: async (ctx, { auth, teamId, memberId, allocation }) => {
    const access = await requireTeamAccess(ctx, auth, teamId, "manageMembers");
    return await setMemberAllocation(ctx, access, memberId, allocation);
  },
});
