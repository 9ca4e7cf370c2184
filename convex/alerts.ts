// Alerts of a team: low balance, quota, member allocation, suspension. Owner and Admin (view usage).
import { v } from "convex/values";
import { query } from "./_generated/server";
import { listAlerts } from "./model/alerts";
import { requireTeamAccess } from "./model/auth";
import { requireInteger } from "./model/format";
import { actorAuth } from "./model/validators";

/** Newest first; `activeOnly` (default false) lists only alerts whose condition still holds. */
export const list = query({
  args: { auth: actorAuth, teamId: v.id("teams"), activeOnly: v.optional(v.boolean()), limit: v.optional(v.number()) },
  handler: async (ctx, { auth, teamId, activeOnly, limit }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewUsage");
    return await listAlerts(ctx, teamId, activeOnly ?? false, requireInteger(limit ?? 100, "limit", 1, 500));
  },
});
