// Shares of a team that several gate instances serve: what each instance's share is taken of, and what the
// instance itself has spent of it.
//
// Why a common basis: a share of the funds as they are *now* moves budget to whichever instance settles.
// When instance B's batch of cost X is charged, the funds drop by X and B's reservations drop by X, so B may
// reserve its part of X again, while A's reservations, made against the larger funds, stay: together they
// admitted more than the balance paid (measured: 125 requests on a balance for 100, with two instances at
// 5,000 bps). So shares are taken of a basis that no settlement moves:
//   G = funds + the overage the chain charged this period        (base units; funds: teamFunds)
// A charge moves X from funds to the period's overage spend; only deposits, withdrawal requests, base fees
// and the period's end move G. Each instance admits while
//   C + R ≤ share × G
// where C is what its own batches charged this period (their reserved costs, counted when a chain state
// shows them settled) and R what it has reserved since. Reserved costs under shares are upper bounds of the
// chain's charges (pricing.ts), so the instances' C + R sum to at least what the chain charges, and shares
// summing to at most the whole keep that within G: no debt. Included requests and the spend cap are split
// the same way: own settled units U plus reserved units within share × included requests, and C + R within
// share × spend cap (pricing.ts).
//
// C and U must outlive the process: the gate writes them to the usage log whenever they change (a `p` line,
// usage/log.ts), and a restart takes them back (Gate.restore). A lone instance (the whole share) keeps the
// exact formula of the funds as they are, and C does not enter it.
import { nextPeriod } from "../../../sdk/src/pricing";
import type { TeamChainState } from "./source";
import { FULL_SHARE_BPS, teamFunds } from "./team-book";

/** An instance's own settled usage in one period of a team (usage log `p` line, TeamBook.spent). */
export interface PeriodSpend {
  /** period_end of the period it was charged in: the chain state that showed it settled said so. */
  readonly key: number;
  /** Highest batch_seq counted: a batch at or below it is in here (replay counts nothing twice). */
  readonly seq: bigint;
  /** Cost the counted batches reserved, base units. */
  readonly charged: bigint;
  /** Requests they held (deduct_usage request_count). */
  readonly units: bigint;
}

/** A batch the settler recorded settled before the gate counted it (its period is then not known). */
export interface UncountedBatch {
  readonly seq: bigint;
  readonly charged: bigint;
  readonly units: bigint;
}

export interface Spent {
  readonly charged: bigint;
  readonly units: bigint;
}

const NOTHING: Spent = { charged: 0n, units: 0n };

/**
 * What this instance has spent of the period that `s` prices requests in: `spent` when it was counted in that
 * period; nothing once the period has ended (the settler rolls it before settling anything more).
 */
export function spentInPeriod(spent: PeriodSpend | null, s: TeamChainState, nowSec: number): Spent {
  if (spent === null || nowSec >= s.periodEnd || spent.key !== s.periodEnd) return NOTHING;
  return spent;
}

/**
 * The end of the period that what this instance spends now is charged in (unix s): the current period's, or
 * once it has ended (before the chain rolls it) the end of the period the settler's roll moves to. A batch
 * sent with that roll is charged there, so a lease report names that period, not the one that ended.
 */
export function chargedPeriodEnd(s: TeamChainState, nowSec: number): number {
  if (nowSec < s.periodEnd) return s.periodEnd;
  return Number(nextPeriod(BigInt(s.periodEnd), BigInt(s.periodSecs), BigInt(nowSec))!.end);
}

/** What this instance has spent of the period `s` shows (still current by the chain's clock, whatever the gate's). */
export function spentOfPeriod(spent: PeriodSpend | null, s: TeamChainState): Spent {
  return spent === null || spent.key !== s.periodEnd ? NOTHING : spent;
}

/** G: the team's funds plus the overage the chain charged this period (none yet once the period has ended), base units. */
export function shareBasis(s: TeamChainState, nowSec: number, horizonSec: number): bigint {
  return teamFunds(s, nowSec, horizonSec) + (nowSec >= s.periodEnd ? 0n : s.periodOverageSpend);
}

/** `shareBps` of `amount`, rounded down; a negative amount whole (a debt is no one's share). */
export function partOf(amount: bigint, shareBps: number): bigint {
  if (amount <= 0n || shareBps === FULL_SHARE_BPS) return amount;
  return (amount * BigInt(shareBps)) / BigInt(FULL_SHARE_BPS);
}

/** The share (bps, rounded up, at most the whole) that `used` takes of `of`; the whole when there is nothing to take it of. */
export function shareNeeded(used: bigint, of: bigint): number {
  const whole = BigInt(FULL_SHARE_BPS);
  if (used <= 0n) return 0;
  if (of <= 0n || used >= of) return FULL_SHARE_BPS;
  return Number((used * whole + of - 1n) / of);
}

/**
 * available = vault balance − unpaid debt − pending withdrawal − reserved unsettled cost − base fee due
 * before the next settlement. Negative when the team owes more than the vault holds.
 * With several gate instances serving the team, each with a share below the whole (`shareBps`, see
 * GateOptions.instanceShareBps and balance/leases.ts): its share of the common basis G, less what it
 * charged this period (`spentCharged`, spentInPeriod) and what it reserved.
 */
export function availableBalance(
  s: TeamChainState,
  reservedCharged: bigint,
  nowSec: number,
  horizonSec: number,
  shareBps: number = FULL_SHARE_BPS,
  spentCharged = 0n,
): bigint {
  if (shareBps === FULL_SHARE_BPS) return teamFunds(s, nowSec, horizonSec) - reservedCharged;
  return partOf(shareBasis(s, nowSec, horizonSec), shareBps) - spentCharged - reservedCharged;
}
