// What each record of a sealed batch is charged. deduct_usage prices a batch as a whole from the chain
// state the batch was sealed with (its PricingBasis: the period's counters after any roll sent with it);
// each record costs its share of that charge, priced in order, so the records add up to the batch's
// amount_charged (billable requests and the spend cap telescope). A batch without a basis keeps the
// gate's prices. Usage records, receipts and their root are written from these.
import { quoteCharge } from "../../../sdk/src/pricing";
import type { TierTerms } from "../../../sdk/src/constants";
import { UNATTRIBUTED_USER_ID } from "../../../convex/model/format";
import { sharedArray, type ReceiptFields } from "../usage/entry-columns";
import type { PricingBasis, SealedBatch } from "../usage/log";
import { batchTotals } from "../usage/batch-totals";

/** Records priced per turn of the event loop (a few hundred µs). */
export const PRICE_SLICE = 2_000;

/** A batch's receipt fields, what each record is charged and what they cost in all (base units). */
export interface ChargedBatch {
  fields: ReceiptFields;
  costs: BigUint64Array;
  amount: bigint;
}

export { batchTotals };

/** Each record's share of a batch's charge, in order, from the batch's basis. */
export class BatchPricer {
  private requests: bigint;
  private spend: bigint;
  private readonly terms: TierTerms;
  /** Charged so far, base units. */
  total = 0n;

  constructor(private readonly basis: PricingBasis) {
    this.requests = basis.periodRequests;
    this.spend = basis.periodOverageSpend;
    this.terms = { monthlyFee: 0n, includedRequests: basis.includedRequests, overagePrice: basis.overagePrice };
  }

  /** What deduct_usage charges for the whole batch of `units` requests; the SDK's BillingMathError where the program's checked math fails. */
  whole(units: bigint): bigint {
    return quoteCharge(this.terms, this.basis.periodRequests, this.basis.periodOverageSpend, this.basis.spendCap, units).charged;
  }

  /** The charge of the next record of `units` requests (at most the whole batch's: a u64). */
  next(units: bigint): bigint {
    const charged = quoteCharge(this.terms, this.requests, this.spend, this.basis.spendCap, units).charged;
    this.requests += units;
    this.spend += charged;
    this.total += charged;
    return charged;
  }
}

/**
 * The batch's receipt fields (unattributed requests under UNATTRIBUTED_USER_ID) and each record's charge.
 * PRICE_SLICE records at a time with a turn of the event loop in between, so a batch of 20,000 never holds
 * the requests of the thread pricing it up for more than a slice's worth.
 */
export async function chargeBatch(batch: SealedBatch): Promise<ChargedBatch> {
  const entries = batch.entries;
  const costs = sharedArray(BigUint64Array, entries.length); // crosses to two workers: shared, not copied
  const basis = batch.basis;
  if (basis === null) {
    for (let i = 0; i < entries.length; i++) costs[i] = entries.cost(i);
    return { fields: entries.receiptFields(UNATTRIBUTED_USER_ID), costs, amount: batchTotals(batch).cost };
  }
  const pricer = new BatchPricer(basis);
  // First the batch as the program prices it: a batch whose charge leaves u64 is refused here as there
  // (MathOverflowError), before any record is priced; each record's share is then at most this.
  pricer.whole(batchTotals(batch).units);
  for (let at = 0; at < entries.length; at += PRICE_SLICE) {
    if (at > 0) await new Promise((r) => setImmediate(r));
    for (let i = at; i < Math.min(at + PRICE_SLICE, entries.length); i++) costs[i] = pricer.next(entries.units(i));
  }
  return { fields: entries.receiptFields(UNATTRIBUTED_USER_ID), costs, amount: pricer.total };
}
