// Teams: create (the creator becomes Owner), read, update the billing e-mail.
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { requireActor, requireTeamAccess } from "./model/auth";
import { createTeam, memberView, teamsOfWallet, teamView, setBillingEmail } from "./model/teams";
import { actorAuth } from "./model/validators";

/** Creates a team owned by the acting wallet. `userId` (X-User-ID) defaults to the wallet. */
export const create = mutation({
  args: {
    auth: actorAuth,
    name: v.string(),
    tier: v.optional(v.number()),
    billingEmail: v.optional(v.string()),
    ownerEmail: v.optional(v.string()),
    userId: v.optional(v.string()),
    chainTeam: v.optional(v.string()),
    vault: v.optional(v.string()),
  },
  handler: async (ctx, { auth, ...input }) => {
    const wallet = requireActor(auth);
    const teamId = await createTeam(ctx, { ...input, wallet });
    return { teamId };
  },
});

/** The team and the acting wallet's membership. Any member. */
export const get = query({
  args: { auth: actorAuth, teamId: v.id("teams") },
  handler: async (ctx, { auth, teamId }) => {
    const { team, member } = await requireTeamAccess(ctx, auth, teamId, "viewTeam");
    return { team: teamView(team), me: memberView(member) };
  },
});

/** Teams the acting wallet belongs to, with its role in each. */
export const listMine = query({
  args: { auth: actorAuth },
  handler: async (ctx, { auth }) => {
    const wallet = requireActor(auth);
    return await teamsOfWallet(ctx, wallet);
  },
});

/** Sets (or with null clears) the e-mail invoices are also sent to. Owner only. */
export const updateBillingEmail = mutation({
  args: { auth: actorAuth, teamId: v.id("teams"), billingEmail: v.union(v.string(), v.null()) },
  handler: async (ctx, { auth, teamId, billingEmail }) => {
    const { team, wallet } = await requireTeamAccess(ctx, auth, teamId, "manageTeam");
    await setBillingEmail(ctx, team, wallet, billingEmail);
    return null;
  },
});
