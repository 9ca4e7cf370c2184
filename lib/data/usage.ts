// The usage page's data: daily series and breakdowns over the last 7, 30 or 90 days (ledger rollups).
import type { TeamAccess } from "../auth/access";
import { api, fromLedger, ledger } from "../server/ledger";

export const USAGE_WINDOWS = [7, 30, 90] as const;
export type UsageWindow = (typeof USAGE_WINDOWS)[number];

export function usageWindow(value: unknown): UsageWindow {
  const n = Number(value);
  return (USAGE_WINDOWS as readonly number[]).includes(n) ? (n as UsageWindow) : 30;
}

export async function loadUsage(access: TeamAccess, days: UsageWindow) {
  const scoped = ledger().as(access.wallet);
  const args = { teamId: access.teamId, days };
  const [analytics, endpoints, members, top] = await Promise.all([
    fromLedger(() => scoped.query(api.analytics.getTeamAnalytics, args)),
    fromLedger(() => scoped.query(api.analytics.getEndpointBreakdown, args)),
    fromLedger(() => scoped.query(api.analytics.getMemberBreakdown, args)),
    fromLedger(() => scoped.query(api.analytics.getTopUsers, { ...args, limit: 5 })),
  ]);
  return { analytics, endpoints, members, top };
}

/** Cost per request, base units, rounded down; 0 without requests. */
export function costPerRequest(cost: bigint, requests: number): bigint {
  return requests > 0 ? cost / BigInt(requests) : 0n;
}
