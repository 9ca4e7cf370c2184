// Alerts, raised once per crossing and resolved when the condition clears: the alert row stays active
// while its condition holds, so re-evaluating a held condition writes nothing, and a new crossing after
// a resolution raises a new row.
import type { Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { currentPeriodStart, memberPeriodUsage } from "./periods";
import { tierTerms } from "./tiers";
import type { AlertKind } from "./validators";

/** Vault balance below which a warning is raised: 10 USDC in base units. */
export const BALANCE_WARNING = 10_000_000n;
/** Vault balance below which a critical alert is raised: 5 USDC in base units. */
export const BALANCE_CRITICAL = 5_000_000n;
/** Quota alerts at these percentages of the tier's included requests. */
export const QUOTA_STEPS = [80, 90, 100] as const;

type Severity = "info" | "warning" | "critical";

async function activeAlert(ctx: QueryCtx, teamId: Id<"teams">, kind: AlertKind, subject: string) {
  return await ctx.db
    .query("alerts")
    .withIndex("by_team_active", (q) => q.eq("teamId", teamId).eq("active", true).eq("kind", kind).eq("subject", subject))
    .first();
}

/**
 * Brings the alert (team, kind, subject) in line with whether its condition `holds`: raises it on a new
 * crossing, resolves it when the condition has cleared, and otherwise writes nothing. Returns true when
 * a new alert was raised.
 */
export async function setAlert(
  ctx: MutationCtx,
  teamId: Id<"teams">,
  kind: AlertKind,
  subject: string,
  holds: boolean,
  severity: Severity,
  message: string,
): Promise<boolean> {
  const active = await activeAlert(ctx, teamId, kind, subject);
  if (holds && active === null) {
    await ctx.db.insert("alerts", { teamId, kind, subject, severity, message, active: true, createdAtMs: Date.now() });
    return true;
  }
  if (!holds && active !== null) await ctx.db.patch(active._id, { active: false, resolvedAtMs: Date.now() });
  return false;
}

function usdc(baseUnits: bigint): string {
  const whole = baseUnits / 1_000_000n;
  const fraction = (baseUnits % 1_000_000n).toString().padStart(6, "0").slice(0, 2);
  return `${whole}.${fraction} USDC`;
}

export async function evaluateBalanceAlerts(ctx: MutationCtx, teamId: Id<"teams">, vaultBalance: bigint): Promise<void> {
  await setAlert(ctx, teamId, "balance.warning", "", vaultBalance < BALANCE_WARNING, "warning",
    `Prepaid balance is ${usdc(vaultBalance)}, below ${usdc(BALANCE_WARNING)}.`);
  await setAlert(ctx, teamId, "balance.critical", "", vaultBalance < BALANCE_CRITICAL, "critical",
    `Prepaid balance is ${usdc(vaultBalance)}, below ${usdc(BALANCE_CRITICAL)}: requests will soon be refused.`);
}

export async function evaluateQuotaAlerts(ctx: MutationCtx, teamId: Id<"teams">, tier: number, periodRequests: bigint): Promise<void> {
  const { includedRequests, name } = tierTerms(tier);
  for (const step of QUOTA_STEPS) {
    const holds = periodRequests * 100n >= includedRequests * BigInt(step);
    const kind = `quota.${step}` as const;
    await setAlert(ctx, teamId, kind, "", holds, step === 100 ? "warning" : "info",
      `${periodRequests} of the ${includedRequests} requests included in the ${name} tier used this period (${step}%).`);
  }
}

export async function evaluateSuspension(ctx: MutationCtx, teamId: Id<"teams">, suspended: boolean, debt: bigint): Promise<void> {
  await setAlert(ctx, teamId, "team.suspended", "", suspended, "critical",
    `The team is suspended for unpaid debt of ${usdc(debt)}: deposit to resume service.`);
}

/** Raises or clears the member's "allocation exhausted" alert for the current period. */
export async function evaluateAllocationAlert(
  ctx: MutationCtx,
  teamId: Id<"teams">,
  userId: string,
  allocation: bigint | undefined,
): Promise<void> {
  let holds = false;
  let used = 0n;
  if (allocation !== undefined) {
    const periodStart = await currentPeriodStart(ctx, teamId, Date.now());
    used = (await memberPeriodUsage(ctx, teamId, periodStart)).get(userId)?.cost ?? 0n;
    holds = used >= allocation;
  }
  await setAlert(ctx, teamId, "allocation.exhausted", userId, holds, "warning",
    `Member ${userId} has used ${usdc(used)} of an allocation of ${usdc(allocation ?? 0n)} this period.`);
}

/** Re-checks every active allocation alert of a team (after a period roll resets allocation use). */
export async function reevaluateAllocationAlerts(ctx: MutationCtx, teamId: Id<"teams">): Promise<void> {
  const active = await ctx.db
    .query("alerts")
    .withIndex("by_team_active", (q) => q.eq("teamId", teamId).eq("active", true).eq("kind", "allocation.exhausted"))
    .collect();
  for (const alert of active) {
    const member = await ctx.db
      .query("members")
      .withIndex("by_team_user", (q) => q.eq("teamId", teamId).eq("userId", alert.subject))
      .unique();
    await evaluateAllocationAlert(ctx, teamId, alert.subject, member?.allocation);
  }
}

export async function listAlerts(ctx: QueryCtx, teamId: Id<"teams">, activeOnly: boolean, limit: number) {
  const rows = activeOnly
    ? await ctx.db
        .query("alerts")
        .withIndex("by_team_active", (q) => q.eq("teamId", teamId).eq("active", true))
        .order("desc")
        .take(limit)
    : await ctx.db
        .query("alerts")
        .withIndex("by_team", (q) => q.eq("teamId", teamId))
        .order("desc")
        .take(limit);
  rows.sort((a, b) => b.createdAtMs - a.createdAtMs);
  return rows.map((a) => ({
    alertId: a._id,
    kind: a.kind,
    subject: a.subject,
    severity: a.severity,
    message: a.message,
    active: a.active,
    createdAtMs: a.createdAtMs,
    resolvedAtMs: a.resolvedAtMs ?? null,
  }));
}
