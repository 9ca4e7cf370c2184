// Price of one request from the team's chain state and what this gateway has reserved, with the SDK's
// pricing mirror (the same rules deduct_usage applies). Units are requests as counted on chain.
//
// Requests are priced in admission order on top of everything reserved before them, so the sum of the
// per-request prices of a batch equals what deduct_usage charges for the batch (billable requests and the
// spend cap both telescope). When the period has ended, the settler rolls it before settling: the request
// is then priced in the new period (counters from zero, pending tier applied) — never above the old price.
//
// A gate instance with a share below the whole (GateOptions.instanceShareBps, balance/leases.ts) prices a
// request as included only within its share of the period's included requests, less the units it settled
// this period (`spent`, balance/shares.ts), and as within the spend cap only within its share of the cap,
// less what it charged this period; and never below what the chain's own counters say. Its prices are then
// upper bounds (a request it prices as overage may turn out included on chain), never below the charge:
// the instances' shares of the included requests sum to at most all of them. These are admission prices
// (reservations, X-Billing-Cost); the usage records are repriced at sealing (settler.ts).
import { NO_PENDING_TIER } from "../../sdk/src/constants";
import { quoteCharge } from "../../sdk/src/pricing";
import type { TeamChainState } from "./balance/source";
import { FULL_SHARE_BPS, termsOf } from "./balance/team-book";
import { partOf, type Spent } from "./balance/shares";

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
  spent?: Spent,
): RequestPrice {
  const period = periodAfterRoll(s, nowSec >= s.periodEnd);
  const terms = termsOf(s, period.tier);
  let periodRequests = period.periodRequests;
  let overageSpend = period.periodOverageSpend;
  if (shareBps !== FULL_SHARE_BPS) {
    // The other instances' shares count as used, and so does what this one settled this period.
    const inc = terms.includedRequests;
    const requestsUsed = inc - partOf(inc, shareBps) + (spent?.units ?? 0n);
    if (requestsUsed > periodRequests) periodRequests = requestsUsed;
    if (s.spendCap > 0n) {
      const capUsed = s.spendCap - partOf(s.spendCap, shareBps) + (spent?.charged ?? 0n);
      if (capUsed > overageSpend) overageSpend = capUsed;
    }
  }
  const q = quoteCharge(terms, periodRequests + reservedUnits, overageSpend + reservedCharged, s.spendCap, units);
  return { cost: q.charged, waived: q.waived };
}

