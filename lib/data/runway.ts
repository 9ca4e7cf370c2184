// What the overview projects from the balance and the last 7 days' spending. Pure functions over bigint
// base units (1 USDC = 1_000_000) and unix seconds, so they are tested without a chain.
import { USDC } from "../../sdk/src/constants";

/** The thresholds: the banner turns orange below 10 USDC and red below 5 USDC. */
export const LOW_BALANCE_WARNING = 10n * USDC;
export const LOW_BALANCE_CRITICAL = 5n * USDC;
/** Days of spending the refill recommendation aims to cover. */
export const RUNWAY_TARGET_DAYS = 30n;
/** Window the burn rate is measured over, days. */
export const BURN_WINDOW_DAYS = 7;

export type BalanceLevel = "ok" | "warning" | "critical";

/** "critical" below 5 USDC, "warning" below 10 USDC, else "ok". */
export function balanceLevel(balance: bigint): BalanceLevel {
  if (balance < LOW_BALANCE_CRITICAL) return "critical";
  if (balance < LOW_BALANCE_WARNING) return "warning";
  return "ok";
}

export interface RunwayInput {
  /** What the team can spend: vault − debt − pending withdrawal (floored at 0), base units. */
  available: bigint;
  /** Cost of the last BURN_WINDOW_DAYS days, base units. */
  spentInWindow: bigint;
  /** The next period's base fee, due at `periodEnd` (the tier then in force), base units; 0 if none. */
  nextBaseFee: bigint;
  /** End of the current period, unix seconds; null when unknown. */
  periodEnd: bigint | null;
  /** Unix seconds. */
  now: bigint;
}

export interface Runway {
  /** Spending per day at the last 7 days' rate, base units (rounded down). */
  burnPerDay: bigint;
  /** Whole days until the available balance is spent at that rate; null when nothing is being spent. */
  daysRemaining: bigint | null;
  /** Available balance in 30 days (usage at the burn rate plus a base fee falling due), never below 0. */
  projectedIn30Days: bigint;
  /** True when the projection had to be floored at 0 (the balance runs out within 30 days). */
  runsOutWithin30Days: boolean;
  /** Base fee counted in the projection (its period ends within 30 days), base units. */
  baseFeeInProjection: bigint;
  /** Deposit that keeps 30 days of spending and the coming base fee covered, rounded up to whole USDC; 0 if none. */
  recommendedRefill: bigint;
}

function ceilToWholeUsdc(amount: bigint): bigint {
  return amount <= 0n ? 0n : ((amount + USDC - 1n) / USDC) * USDC;
}

export function computeRunway(input: RunwayInput): Runway {
  const available = input.available > 0n ? input.available : 0n;
  const burnPerDay = input.spentInWindow / BigInt(BURN_WINDOW_DAYS);
  const horizonEnd = input.now + RUNWAY_TARGET_DAYS * 86_400n;
  const baseFeeInProjection = input.periodEnd !== null && input.periodEnd <= horizonEnd ? input.nextBaseFee : 0n;
  const need = burnPerDay * RUNWAY_TARGET_DAYS + baseFeeInProjection;
  return {
    burnPerDay,
    daysRemaining: burnPerDay > 0n ? available / burnPerDay : null,
    projectedIn30Days: available > need ? available - need : 0n,
    runsOutWithin30Days: need > available,
    baseFeeInProjection,
    recommendedRefill: ceilToWholeUsdc(need - available),
  };
}

export interface QuotaView {
  used: bigint;
  included: bigint;
  /** 0–100+, whole percent (rounded down). */
  percent: number;
  /** The prompt: suggest an upgrade from 80% of the included requests. */
  suggestUpgrade: boolean;
}

export function quotaView(used: bigint, included: bigint): QuotaView {
  const percent = included > 0n ? Number((used * 100n) / included) : used > 0n ? 100 : 0;
  return { used, included, percent, suggestUpgrade: percent >= 80 };
}
