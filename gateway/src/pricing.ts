// Price of one request from the team's chain state and what this gateway has reserved, with the SDK's
// pricing mirror (the same rules deduct_usage applies). Units are requests as counted on chain.
//
// Requests are priced in admission order on top of everything reserved before them, so the sum of the
// per-request prices of a batch equals what deduct_usage charges for the batch (billable requests and the
// spend cap both telescope). When the period has ended, the settler rolls it before settling: the request
// is then priced in the new period (counters from zero, pending tier applied); near the end, see below.
//
// A gate instance with a share below the whole (GateOptions.instanceShareBps, balance/leases.ts) prices a
// request as included only within its share of the period's included requests, less the units it settled
// this period (`spent`, balance/shares.ts), and as within the spend cap only within its share of the cap,
// less what it charged this period; and never below what the chain's own counters say. Its prices are then
// upper bounds (a request it prices as overage may turn out included on chain), never below the charge:
// the instances' shares of the included requests sum to at most all of them. These are admission prices
// (reservations, X-Billing-Cost); the usage records are repriced at sealing (settler.ts).
//
// Which period a request falls in is the chain's call: the settler rolls when the chain's clock (the Clock
// sysvar) has passed the period's end. A cluster's clock drifts from real time (by minutes, at times), so the
// gate tells periods by the chain's clock too: its own plus the offset the chain view read with its last poll
// (TeamChainState.chainClockOffsetMs). That estimate is still off by the timestamp's whole seconds and the
// poll's age, and a request priced in the wrong period may be charged more than was reserved (priced in the
// new period, included quota afresh, while the chain still charges the old period's overage). So within
// `edgeSec` of the end, on either side, a request is priced in both periods and reserved at the higher price
// (and refused when either would waive part of it). Only the reservation is higher: the settler charges the
// chain's period.
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

/**
 * The price of `units` more requests at `nowSec` (unix s) on top of what is reserved; within `edgeSec` of the
 * period's end the higher of its prices in the two periods (see above). `spent`: what this instance settled in
 * the current period (shares.ts spentOfPeriod), counted while the request may fall in it.
 */
export function priceRequest(
  s: TeamChainState,
  reservedUnits: bigint,
  reservedCharged: bigint,
  units: bigint,
  nowSec: number,
  shareBps: number = FULL_SHARE_BPS,
  spent?: Spent,
  edgeSec = 0,
): RequestPrice {
  if (nowSec < s.periodEnd - edgeSec) return priceInPeriod(s, false, reservedUnits, reservedCharged, units, shareBps, spent);
  if (nowSec >= s.periodEnd + edgeSec) return priceInPeriod(s, true, reservedUnits, reservedCharged, units, shareBps, undefined);
  // Near the end: the chain may see either period.
  const before = priceInPeriod(s, false, reservedUnits, reservedCharged, units, shareBps, spent);
  const after = priceInPeriod(s, true, reservedUnits, reservedCharged, units, shareBps, undefined);
  return {
    cost: before.cost > after.cost ? before.cost : after.cost,
    waived: before.waived > after.waived ? before.waived : after.waived,
  };
}

/** The price in the current period (`rolls` false) or in the one a roll starts (`rolls` true). */
function priceInPeriod(
  s: TeamChainState,
  rolls: boolean,
  reservedUnits: bigint,
  reservedCharged: bigint,
  units: bigint,
  shareBps: number,
  spent: Spent | undefined,
): RequestPrice {
  const period = periodAfterRoll(s, rolls);
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

