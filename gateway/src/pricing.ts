// Price of one request from the team's chain state and what this gateway has reserved, with the SDK's
// pricing mirror (the same rules deduct_usage applies). Units are requests as counted on chain.
//
// Requests are priced in admission order on top of everything reserved before them, so the sum of the
// per-request prices of a batch equals what deduct_usage charges for the batch (billable requests and the
// spend cap both telescope). When the period has ended, the settler rolls it before settling: the request
// is then priced in the new period (counters from zero, pending tier applied) — never above the old price.
import { NO_PENDING_TIER } from "../../sdk/src/constants";
import { quoteCharge } from "../../sdk/src/pricing";
import type { TeamChainState } from "./balance/source";
import { termsOf } from "./balance/team-book";

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
): RequestPrice {
  const rolls = nowSec >= s.periodEnd;
  const tier = rolls && s.pendingTier !== NO_PENDING_TIER ? s.pendingTier : s.tier;
  const q = quoteCharge(
    termsOf(s, tier),
    (rolls ? 0n : s.periodRequests) + reservedUnits,
    (rolls ? 0n : s.periodOverageSpend) + reservedCharged,
    s.spendCap,
    units,
  );
  return { cost: q.charged, waived: q.waived };
}
