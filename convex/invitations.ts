// Invitations: Owners and Admins invite (Admins only Members), anyone with the token joins once within
// 7 days, Owners and Admins list and revoke.
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { requireActor, requireTeamAccess } from "./model/auth";
import { invite, join as joinTeam, listInvitations, revokeInvitation } from "./model/invitations";
import { actorAuth, grantableRole } from "./model/validators";

/** Invites an e-mail address with a role; the `token` is in this response only. Owner and Admin. */
export const create = mutation({
  args: { auth: actorAuth, teamId: v.id("teams"), email: v.string(), role: grantableRole },
  handler: async (ctx, { auth, teamId, email, role }) => {
    const access = await requireTeamAccess(ctx, auth, teamId, "inviteMembers");
    return await invite(ctx, access, email, role);
  },
});

/** The acting wallet joins the team of the invitation. `userId` (X-User-ID) defaults to the wallet. */
export const join = mutation({
  args: { auth: actorAuth, token: v.string(), userId: v.optional(v.string()) },
  handler: async (ctx, { auth, token, userId }) => {
    const wallet = requireActor(auth);
    return await joinTeam(ctx, wallet, token, userId);
  },
});

/** The team's invitations, newest first, with their status (never their tokens). Owner and Admin. */
export const list = query({
  args: { auth: actorAuth, teamId: v.id("teams") },
  handler: async (ctx, { auth, teamId }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewTeamAdmin");
    return await listInvitations(ctx, teamId);
  },
});

/** Revokes an unused invitation. Owner; Admin for invitations of Members. */
export const revoke = mutation({
  args: { auth: actorAuth, teamId: v.id("teams"), invitationId: v.id("invitations") },
  handler: async (ctx, { auth, teamId, invitationId }) => {
    const access = await requireTeamAccess(ctx, auth, teamId, "manageMembers");
    await revokeInvitation(ctx, access, invitationId);
    return null;
  },
});
