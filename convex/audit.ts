// The audit log of a team, newest first, paginated. Owner and Admin.
import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { query } from "./_generated/server";
import { requireTeamAccess } from "./model/auth";
import { actorAuth } from "./model/validators";

export const list = query({
  args: { auth: actorAuth, teamId: v.id("teams"), paginationOpts: paginationOptsValidator },
  handler: async (ctx, { auth, teamId, paginationOpts }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewTeamAdmin");
    const page = await ctx.db
      .query("auditLog")
      .withIndex("by_team", (q) => q.eq("teamId", teamId))
      .order("desc")
      .paginate(paginationOpts);
    return {
      ...page,
      page: page.page.map((e) => ({
        entryId: e._id,
        actor: e.actor,
        action: e.action,
        target: e.target,
        details: e.details ?? null,
        atMs: e.atMs,
      })),
    };
  },
});
