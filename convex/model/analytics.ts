// Usage analytics from the rollups: daily series, breakdowns by endpoint and member, top users, monthly
// history, and the billing history from chain events. Days and months are UTC; amounts base units.
import type { PaginationOptions } from "convex/server";
import type { Doc, Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";
import { addU64, lastDays, lastMonths, requireInteger } from "./format";
import { currentPeriodStart, memberPeriodUsage } from "./periods";

/** Longest window the day-based analytics accept. */
export const MAX_DAYS = 366;
export const MAX_MONTHS = 24;

type Totals = { requests: number; cost: bigint };

function add(map: Map<string, Totals>, key: string, requests: number, cost: bigint): void {
  const totals = map.get(key) ?? { requests: 0, cost: 0n };
  map.set(key, { requests: totals.requests + requests, cost: addU64(totals.cost, cost) });
}

function byCostDesc<T extends Totals>(a: T, b: T): number {
  if (a.cost !== b.cost) return a.cost > b.cost ? -1 : 1;
  return b.requests - a.requests;
}

export async function teamAnalytics(ctx: QueryCtx, teamId: Id<"teams">, daysArg: number) {
  const days = lastDays(Date.now(), requireInteger(daysArg, "days", 1, MAX_DAYS));
  const rows = await ctx.db
    .query("usageDaily")
    .withIndex("by_team_day", (q) => q.eq("teamId", teamId).gte("day", days[0]).lte("day", days[days.length - 1]))
    .collect();
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const daily = days.map((day) => ({ day, requests: byDay.get(day)?.requests ?? 0, cost: byDay.get(day)?.cost ?? 0n }));
  const totals = daily.reduce((t, d) => ({ requests: t.requests + d.requests, cost: addU64(t.cost, d.cost) }), { requests: 0, cost: 0n });
  return {
    days: days.length,
    from: days[0],
    to: days[days.length - 1],
    daily,
    totals,
    averagePerDay: {
      /** Requests per day over the window, not rounded. */
      requests: totals.requests / days.length,
      /** Base units per day, rounded down. */
      cost: totals.cost / BigInt(days.length),
    },
  };
}

async function bucketsInWindow(ctx: QueryCtx, teamId: Id<"teams">, daysArg: number): Promise<Doc<"usageRollups">[]> {
  const days = lastDays(Date.now(), requireInteger(daysArg, "days", 1, MAX_DAYS));
  return await ctx.db
    .query("usageRollups")
    .withIndex("by_bucket", (q) => q.eq("teamId", teamId).gte("day", days[0]).lte("day", days[days.length - 1]))
    .collect();
}

export async function endpointBreakdown(ctx: QueryCtx, teamId: Id<"teams">, days: number) {
  const map = new Map<string, Totals>();
  for (const row of await bucketsInWindow(ctx, teamId, days)) add(map, row.endpoint, row.requests, row.cost);
  return [...map].map(([endpoint, t]) => ({ endpoint, ...t })).sort(byCostDesc);
}

export async function memberBreakdown(ctx: QueryCtx, teamId: Id<"teams">, days: number) {
  const map = new Map<string, Totals>();
  for (const row of await bucketsInWindow(ctx, teamId, days)) add(map, row.userId, row.requests, row.cost);
  const members = await ctx.db
    .query("members")
    .withIndex("by_team_user", (q) => q.eq("teamId", teamId))
    .collect();
  // Members without usage are listed too, so allocations can be shown for everyone.
  for (const m of members) if (!map.has(m.userId)) map.set(m.userId, { requests: 0, cost: 0n });
  const byUser = new Map(members.map((m) => [m.userId, m]));
  const used = await memberPeriodUsage(ctx, teamId, await currentPeriodStart(ctx, teamId, Date.now()));
  return [...map]
    .map(([userId, t]) => {
      const member = byUser.get(userId);
      return {
        userId,
        wallet: member?.wallet ?? null,
        role: member?.role ?? null,
        requests: t.requests,
        cost: t.cost,
        allocation: member?.allocation ?? null,
        allocationUsed: used.get(userId)?.cost ?? 0n,
      };
    })
    .sort(byCostDesc);
}

export async function topUsers(ctx: QueryCtx, teamId: Id<"teams">, days: number, limit: number) {
  const rows = await memberBreakdown(ctx, teamId, days);
  return rows.filter((r) => r.requests > 0).slice(0, requireInteger(limit, "limit", 1, 100));
}

export async function usageHistory(ctx: QueryCtx, teamId: Id<"teams">, monthsArg: number) {
  const months = lastMonths(Date.now(), requireInteger(monthsArg, "months", 1, MAX_MONTHS));
  const rows = await ctx.db
    .query("usageDaily")
    .withIndex("by_team_day", (q) => q.eq("teamId", teamId).gte("day", `${months[0]}-01`))
    .collect();
  const map = new Map<string, Totals>(months.map((m) => [m, { requests: 0, cost: 0n }]));
  for (const row of rows) {
    const month = row.day.slice(0, 7);
    if (map.has(month)) add(map, month, row.requests, row.cost);
  }
  return months.map((month) => ({ month, ...(map.get(month) as Totals) }));
}

/** Deposits, deductions (with their batch), withdrawals, tier changes and period rolls, newest first. */
export async function billingHistory(ctx: QueryCtx, teamId: Id<"teams">, paginationOpts: PaginationOptions) {
  const result = await ctx.db
    .query("chainEvents")
    .withIndex("by_team_history", (q) => q.eq("teamId", teamId).eq("inHistory", true))
    .order("desc")
    .paginate(paginationOpts);
  const page = [];
  for (const e of result.page) {
    const base = { kind: e.kind, signature: e.signature, slot: e.slot, blockTime: e.blockTime };
    switch (e.kind) {
      case "funds.deposited":
        page.push({ ...base, amount: e.amount, balanceAfter: e.balanceAfter, depositor: e.depositor });
        break;
      case "usage.deducted": {
        const batch = await ctx.db
          .query("usageBatches")
          .withIndex("by_team_seq", (q) => q.eq("teamId", teamId).eq("batchSeq", e.batchSeq))
          .first();
        page.push({
          ...base,
          amount: e.amountPaid,
          amountCharged: e.amountCharged,
          amountWaived: e.amountWaived,
          balanceAfter: e.balanceAfter,
          batchSeq: e.batchSeq,
          requestCount: e.requestCount,
          usageRoot: e.usageRoot,
          batchId: batch?.batchId ?? null,
        });
        break;
      }
      case "withdrawal.requested":
        page.push({ ...base, amount: e.amount, unlockAt: e.unlockAt });
        break;
      case "funds.withdrawn":
        page.push({ ...base, amount: e.amount, balanceAfter: e.balanceAfter });
        break;
      case "tier.updated":
        page.push({ ...base, amount: e.proratedFee, oldTier: e.oldTier, newTier: e.newTier, effectiveAt: e.effectiveAt });
        break;
      case "period.rolled":
        page.push({ ...base, amount: e.baseFeeCharged, tier: e.tier, periodStart: e.periodStart, periodEnd: e.periodEnd });
        break;
      default:
        page.push({ ...base, amount: 0n });
    }
  }
  return { ...result, page };
}
