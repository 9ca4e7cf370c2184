// Price of one request from the team's chain state and what this gateway has reserved, with the SDK's
// pricing mirror (the same rules deduct_usage applies). Units are requests as counted on chain.
//
// Requests are priced in admission order on top of everything reserved before them, so the sum of the
// per-request prices of a batch equals what deduct_usage charges for the batch (billable requests and the
// spend cap both telescope). When the period has ended, the settler rolls it before settling: the request
// is then priced in the new period (counters from zero, pending tier applied) — never above the old price.
//
// A gate instance with a share below the whole (GateOptions.instanceShareBps) counts the other instances'
// parts of what remains of the included requests and of the spend cap as used: its prices are then upper
// bounds (a request it prices as overage may turn out included on chain), never below the charge. These are
// admission prices (reservations, X-Billing-Cost); the usage records are repriced at sealing (settler.ts).
import { NO_PENDING_TIER } from "../../sdk/src/constants";
import { quoteCharge } from "../../sdk/src/pricing";
import type { TeamChainState } from "./balance/source";
import { FULL_SHARE_BPS, othersPart, termsOf } from "./balance/team-book";

/** A team's tier and period counters, as chain state holds them. */
interface PeriodState {
  tier: number;
  pendingTier: number;
  periodRequests: bigint;
  periodOverageSpend: bigint;
}

/**
 * The tier and counters deduct_usage prices from once the roll_period sent before it has run: a period that
 * has ended (`rolls`) starts over from zero, at its pending tier if one is set; otherwise nothing changes.
 */
export function periodAfterRoll(s: PeriodState, rolls: boolean): PeriodState {
  if (!rolls) return s;
  return { tier: s.pendingTier !== NO_PENDING_TIER ? s.pendingTier : s.tier, pendingTier: NO_PENDING_TIER, periodRequests: 0n, periodOverageSpend: 0n };
}

export interface RequestPrice {
  /** What the request will be charged (after the spend cap), base units. */
  readonly cost: bigint;
  /** Part of the list price the spend cap would waive, base units (> 0: the request would go unpaid). */
  readonly waived: bigint;
}

export function priceRequest(
  s: TeamChainState,
  reservedUnits: bigint,
  reservedCharged: bigint,
  units: bigint,
  nowSec: number,
  shareBps: number = FULL_SHARE_BPS,
): RequestPrice {
  const period = periodAfterRoll(s, nowSec >= s.periodEnd);
  const terms = termsOf(s, period.tier);
  let periodRequests = period.periodRequests;
  let overageSpend = period.periodOverageSpend;
  if (shareBps !== FULL_SHARE_BPS) {
    periodRequests += othersPart(terms.includedRequests - periodRequests, shareBps);
    if (s.spendCap > 0n) overageSpend += othersPart(s.spendCap - overageSpend, shareBps);
  }
  const q = quoteCharge(terms, periodRequests + reservedUnits, overageSpend + reservedCharged, s.spendCap, units);
  return { cost: q.charged, waived: q.waived };
}

