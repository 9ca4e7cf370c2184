// Usage analytics and billing history. Owner and Admin (view usage).
import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { query } from "./_generated/server";
import {
  billingHistory,
  endpointBreakdown,
  memberBreakdown,
  teamAnalytics,
  topUsers,
  usageHistory,
} from "./model/analytics";
import { requireTeamAccess } from "./model/auth";
import { actorAuth } from "./model/validators";

const teamArgs = { auth: actorAuth, teamId: v.id("teams") };

/** Daily requests and cost over the last `days` UTC days (today included), totals and average per day. */
export const getTeamAnalytics = query({
  args: { ...teamArgs, days: v.number() },
  handler: async (ctx, { auth, teamId, days }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewUsage");
    return await teamAnalytics(ctx, teamId, days);
  },
});

/** Requests and cost per endpoint over the last `days` days, costliest first. */
export const getEndpointBreakdown = query({
  args: { ...teamArgs, days: v.number() },
  handler: async (ctx, { auth, teamId, days }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewUsage");
    return await endpointBreakdown(ctx, teamId, days);
  },
});

/** Requests and cost per member over the last `days` days, with allocation and its use this period. */
export const getMemberBreakdown = query({
  args: { ...teamArgs, days: v.number() },
  handler: async (ctx, { auth, teamId, days }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewUsage");
    return await memberBreakdown(ctx, teamId, days);
  },
});

/** The `limit` (default 5) members who spent most over the last `days` days. */
export const getTopUsers = query({
  args: { ...teamArgs, days: v.number(), limit: v.optional(v.number()) },
  handler: async (ctx, { auth, teamId, days, limit }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewUsage");
    return await topUsers(ctx, teamId, days, limit ?? 5);
  },
});

/** Requests and cost per UTC month over the last `months` months (this month included). */
export const getUsageHistory = query({
  args: { ...teamArgs, months: v.number() },
  handler: async (ctx, { auth, teamId, months }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewUsage");
    return await usageHistory(ctx, teamId, months);
  },
});

/** Deposits, deductions (batch seq, count, amount, usage root, signature), withdrawals …, newest first. */
export const getBillingHistory = query({
  args: { ...teamArgs, paginationOpts: paginationOptsValidator },
  handler: async (ctx, { auth, teamId, paginationOpts }) => {
    await requireTeamAccess(ctx, auth, teamId, "viewUsage");
    return await billingHistory(ctx, teamId, paginationOpts);
  },
});
