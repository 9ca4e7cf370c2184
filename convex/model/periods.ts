// Which billing period a moment belongs to. The chain's period (from `period.rolled`, `team.created` or
// syncBalance) is the truth; periods nobody cranked yet continue on the same grid, as the program's
// roll does (billing-math.md "Period roll"). Before the ledger has seen the chain, the UTC calendar
// month stands in. All values here are unix seconds.
import type { Doc, Id } from "../_generated/dataModel";
import type { QueryCtx } from "../_generated/server";

export type PeriodGrid = { periodStart?: number; periodEnd?: number };

/** The billing period containing `atMs`: unix seconds from `start` (included) to `end` (excluded). */
export function periodAt(grid: PeriodGrid, atMs: number): { start: number; end: number } {
  const at = Math.floor(atMs / 1000);
  const { periodStart, periodEnd } = grid;
  if (periodStart !== undefined && periodEnd !== undefined && periodEnd > periodStart) {
    const length = periodEnd - periodStart;
    const start = periodStart + Math.floor((at - periodStart) / length) * length;
    return { start, end: start + length };
  }
  const date = new Date(atMs);
  return {
    start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 1000,
    end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / 1000,
  };
}

/** Start (unix seconds) of the billing period containing `atMs`. */
export function periodStartAt(grid: PeriodGrid, atMs: number): number {
  return periodAt(grid, atMs).start;
}

export async function getBalance(ctx: QueryCtx, teamId: Id<"teams">): Promise<Doc<"balances"> | null> {
  return await ctx.db
    .query("balances")
    .withIndex("by_team", (q) => q.eq("teamId", teamId))
    .unique();
}

export async function currentPeriodStart(ctx: QueryCtx, teamId: Id<"teams">, nowMs: number): Promise<number> {
  const balance = await getBalance(ctx, teamId);
  return periodStartAt(balance ?? {}, nowMs);
}

/** A member's usage in the period starting at `periodStart`: requests and cost in base units. */
export async function memberPeriodUsage(
  ctx: QueryCtx,
  teamId: Id<"teams">,
  periodStart: number,
): Promise<Map<string, { requests: number; cost: bigint }>> {
  const rows = await ctx.db
    .query("memberUsage")
    .withIndex("by_team_period_user", (q) => q.eq("teamId", teamId).eq("periodStart", periodStart))
    .collect();
  return new Map(rows.map((row) => [row.userId, { requests: row.requests, cost: row.cost }]));
}
