// The pricing mirror: docs/billing-math.md in TypeScript, step for step, so the gateway can price and
// reserve a request, and the dashboard can project, exactly as the program will charge. Every amount is
// USDC base units (1 USDC = 1_000_000) as bigint; times are unix seconds as bigint. Each arithmetic step
// is checked against the bound of the program's integer type (u64 amounts, i64 times) and throws
// MathOverflowError where the program returns MathOverflow (6006); other program errors have their own
// typed error (InvalidAmountError, InvalidConfigError, PeriodNotEndedError).
import { BPS_DENOMINATOR, I64_MAX, I64_MIN, NO_PENDING_TIER, RevenueSource, TeamStatus, U64_MAX, type RevenueSourceCode, type TeamStatusCode, type TierTerms } from "./constants";
import { InvalidAmountError, InvalidConfigError, MathOverflowError, PeriodNotEndedError } from "./errors";

// ---- checked integer steps -------------------------------------------------------------------------

/** Rejects values no on-chain u64 can hold: a caller bug, not a program outcome, hence RangeError. */
function u64(value: bigint, name: string): bigint {
  if (typeof value !== "bigint" || value < 0n || value > U64_MAX) {
    throw new RangeError(`${name} must be a u64 bigint, got ${String(value)}`);
  }
  return value;
}

function i64(value: bigint, name: string): bigint {
  if (typeof value !== "bigint" || value < I64_MIN || value > I64_MAX) {
    throw new RangeError(`${name} must be an i64 bigint, got ${String(value)}`);
  }
  return value;
}

function addU64(a: bigint, b: bigint, what: string): bigint {
  const sum = a + b;
  if (sum > U64_MAX) throw new MathOverflowError(what);
  return sum;
}

function mulU64(a: bigint, b: bigint, what: string): bigint {
  const product = a * b;
  if (product > U64_MAX) throw new MathOverflowError(what);
  return product;
}

function checkedI64(value: bigint, what: string): bigint {
  if (value > I64_MAX || value < I64_MIN) throw new MathOverflowError(what);
  return value;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** `a − b`, or 0 when `b ≥ a`. */
function saturatingSub(a: bigint, b: bigint): bigint {
  return a > b ? a - b : 0n;
}

function bps(value: number, name: string): bigint {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`${name} must be a u16, got ${value}`);
  if (BigInt(value) > BPS_DENOMINATOR) throw new InvalidConfigError(`${name} ${value} exceeds 10000 basis points`);
  return BigInt(value);
}

// ---- revenue split ---------------------------------------------------------------------------------

export interface RevenueSplit {
  treasury: bigint;
  stakers: bigint;
}

/**
 * `treasury = floor(amount × treasuryBps / 10_000)`, `stakers = amount − treasury`: the remainder goes to
 * the stakers, so a split never creates or loses a base unit. `treasuryBps > 10_000` is InvalidConfig.
 * The product is taken at full width (the program's `mul_div`), so no amount overflows here.
 */
export function splitRevenue(amount: bigint, treasuryBps: number): RevenueSplit {
  u64(amount, "amount");
  const rate = bps(treasuryBps, "treasuryBps");
  const treasury = (amount * rate) / BPS_DENOMINATOR;
  return { treasury, stakers: amount - treasury };
}

// ---- usage batch -----------------------------------------------------------------------------------

export interface UsageQuoteInput {
  /** Terms of the team's current tier. */
  terms: TierTerms;
  /** `period_requests` before the batch (P). */
  periodRequests: bigint;
  /** `period_overage_spend` before the batch (S), base units. */
  periodOverageSpend: bigint;
  /** `spend_cap` (C), base units of overage per period; 0 = no cap. */
  spendCap: bigint;
  /** Vault token balance (V), base units. */
  vaultBalance: bigint;
  /** `request_count` of the batch (N); 0 is InvalidAmount. */
  requestCount: bigint;
  /** `overage_treasury_bps`; default 0 (overage 100% to the stakers). */
  overageTreasuryBps?: number;
  /** `unpaid_overage` before the batch; default 0. The unpaid part is added to it (checked). */
  unpaidOverage?: bigint;
  /** `total_spent` before the batch; default 0. The paid part is added to it (checked). */
  totalSpent?: bigint;
}

export interface UsageQuote {
  /** Requests of this batch beyond the period's included quota. */
  billable: bigint;
  /** `billable × overage_price`. */
  cost: bigint;
  /** What the batch charges after the spend cap: `min(cost, cap − S)`. */
  charged: bigint;
  /** `cost − charged`: forgiven by the cap, reported in `UsageDeducted.amount_waived`, never charged later. */
  waived: bigint;
  /** What the vault pays now: `min(charged, V)`. */
  paid: bigint;
  /** `charged − paid`: becomes `unpaid_overage` and suspends the team when > 0. */
  unpaid: bigint;
  /** Split of `paid` by `overage_treasury_bps` (RevenueDistributed source 1 when paid > 0). */
  revenue: RevenueSplit;
  periodRequestsAfter: bigint;
  periodOverageSpendAfter: bigint;
  unpaidOverageAfter: bigint;
  totalSpentAfter: bigint;
  vaultBalanceAfter: bigint;
}

/** The charge part of a usage quote: what the gate needs to price one request. */
export interface UsageCharge {
  billable: bigint;
  cost: bigint;
  charged: bigint;
  waived: bigint;
  periodRequestsAfter: bigint;
}

/**
 * billable, cost, charged and waived of `requestCount` more requests, exactly as quoteUsage (and
 * deduct_usage) computes them, without the vault, revenue and counter parts: the gate prices every
 * request with it.
 */
export function quoteCharge(
  terms: TierTerms,
  periodRequests: bigint,
  periodOverageSpend: bigint,
  spendCap: bigint,
  requestCount: bigint,
): UsageCharge {
  const included = u64(terms.includedRequests, "terms.includedRequests");
  const price = u64(terms.overagePrice, "terms.overagePrice");
  const p = u64(periodRequests, "periodRequests");
  const s = u64(periodOverageSpend, "periodOverageSpend");
  const cap = u64(spendCap, "spendCap");
  const n = u64(requestCount, "requestCount");
  if (n === 0n) throw new InvalidAmountError("a usage batch must count at least one request");

  const periodRequestsAfter = addU64(p, n, "period_requests + request_count");
  const billable = saturatingSub(periodRequestsAfter, max(p, included));
  const cost = mulU64(billable, price, "billable × overage_price");
  const allowed = cap > 0n ? saturatingSub(cap, s) : cost;
  const charged = min(cost, allowed);
  return { billable, cost, charged, waived: cost - charged, periodRequestsAfter };
}

/** What `deduct_usage` charges for a batch of `requestCount` requests (docs/billing-math.md, "Usage batch"). */
export function quoteUsage(input: UsageQuoteInput): UsageQuote {
  const v = u64(input.vaultBalance, "vaultBalance");
  const unpaidBefore = u64(input.unpaidOverage ?? 0n, "unpaidOverage");
  const spentBefore = u64(input.totalSpent ?? 0n, "totalSpent");
  const { billable, cost, charged, waived, periodRequestsAfter } = quoteCharge(
    input.terms,
    input.periodRequests,
    input.periodOverageSpend,
    input.spendCap,
    input.requestCount,
  );
  const s = input.periodOverageSpend;
  const paid = min(charged, v);
  const unpaid = charged - paid;
  return {
    billable,
    cost,
    charged,
    waived,
    paid,
    unpaid,
    revenue: splitRevenue(paid, input.overageTreasuryBps ?? 0),
    periodRequestsAfter,
    periodOverageSpendAfter: addU64(s, charged, "period_overage_spend + charged"),
    unpaidOverageAfter: addU64(unpaidBefore, unpaid, "unpaid_overage + unpaid"),
    totalSpentAfter: addU64(spentBefore, paid, "total_spent + paid"),
    vaultBalanceAfter: v - paid,
  };
}

// ---- collecting from the vault ---------------------------------------------------------------------

export interface Collection {
  /** What the vault pays now. */
  paid: bigint;
  /** What it cannot pay (becomes debt). */
  unpaid: bigint;
}

/** Pays `amount` from a vault holding `vaultBalance`: `paid = min(amount, vault)`, the rest unpaid. */
export function collectFromVault(amount: bigint, vaultBalance: bigint): Collection {
  u64(amount, "amount");
  u64(vaultBalance, "vaultBalance");
  const paid = min(amount, vaultBalance);
  return { paid, unpaid: amount - paid };
}

// ---- periods ---------------------------------------------------------------------------------------

export interface Period {
  start: bigint;
  end: bigint;
}

/**
 * The period a roll at `now` moves to, or null while `now < periodEnd`. The next period starts at
 * `periodEnd + k × periodSecs`, the latest boundary not after `now` (periods nobody cranked are not
 * billed), and ends `periodSecs` later. Seconds, i64 bounds.
 */
export function nextPeriod(periodEnd: bigint, periodSecs: bigint, now: bigint): Period | null {
  i64(periodEnd, "periodEnd");
  i64(periodSecs, "periodSecs");
  i64(now, "now");
  if (periodSecs <= 0n) throw new InvalidConfigError("period_secs must be positive");
  if (now < periodEnd) return null;
  const elapsed = checkedI64(now - periodEnd, "now − period_end");
  const k = elapsed / periodSecs;
  const start = checkedI64(periodEnd + checkedI64(k * periodSecs, "k × period_secs"), "period start");
  return { start, end: checkedI64(start + periodSecs, "period end") };
}

// ---- tier upgrade ----------------------------------------------------------------------------------

export interface ProrateInput {
  oldMonthlyFee: bigint;
  newMonthlyFee: bigint;
  periodEnd: bigint;
  now: bigint;
  periodSecs: bigint;
}

/**
 * Prorated base-fee difference of an upgrade charged now: `floor((new − old) × remaining / period_secs)`
 * with `remaining = clamp(period_end − now, 0, period_secs)`. Only meaningful for an upgrade
 * (`newMonthlyFee > oldMonthlyFee`); a downgrade or same fee prorates to 0 (it is applied at the next period).
 * The product is taken at full width (the program's `mul_div`) and the quotient never exceeds the fee
 * difference; only `period_end − now` leaving i64 overflows.
 */
export function prorateUpgrade(input: ProrateInput): bigint {
  const oldFee = u64(input.oldMonthlyFee, "oldMonthlyFee");
  const newFee = u64(input.newMonthlyFee, "newMonthlyFee");
  const periodEnd = i64(input.periodEnd, "periodEnd");
  const now = i64(input.now, "now");
  const periodSecs = i64(input.periodSecs, "periodSecs");
  if (periodSecs <= 0n) throw new InvalidConfigError("period_secs must be positive");
  if (newFee <= oldFee) return 0n;
  const remaining = now >= periodEnd ? 0n : min(checkedI64(periodEnd - now, "period_end − now"), periodSecs);
  return ((newFee - oldFee) * remaining) / periodSecs;
}

// ---- withdrawals -----------------------------------------------------------------------------------

export interface WithdrawalInput {
  vaultBalance: bigint;
  unpaidBaseFee: bigint;
  unpaidOverage: bigint;
}

/**
 * Most a `request_withdrawal` may ask for: `vault − (unpaid_base_fee + unpaid_overage)`, 0 when the debt is
 * larger. The debt sum saturates at u64::MAX like the program's (it is only compared with balances).
 */
export function maxWithdrawalRequest(input: WithdrawalInput): bigint {
  const debt = min(u64(input.unpaidBaseFee, "unpaidBaseFee") + u64(input.unpaidOverage, "unpaidOverage"), U64_MAX);
  return saturatingSub(u64(input.vaultBalance, "vaultBalance"), debt);
}

/** What `withdraw_unused` transfers after the notice: `min(pending_withdrawal, vault − unpaid debt)`. */
export function withdrawableAmount(input: WithdrawalInput & { pendingWithdrawal: bigint }): bigint {
  return min(u64(input.pendingWithdrawal, "pendingWithdrawal"), maxWithdrawalRequest(input));
}

// ---- low-balance alert -----------------------------------------------------------------------------

/** True when an instruction that lowered the vault to `balanceAfter` emits LowBalanceAlert. */
export function lowBalanceAlertFires(balanceAfter: bigint, threshold: bigint, alreadyAlerted: boolean): boolean {
  return !alreadyAlerted && u64(balanceAfter, "balanceAfter") < u64(threshold, "threshold");
}

// ---- period roll -----------------------------------------------------------------------------------

export interface RollInput {
  /** Terms of every tier, indexed by tier id. */
  tiers: readonly TierTerms[];
  baseFeeTreasuryBps: number;
  overageTreasuryBps: number;
  periodSecs: bigint;
  tier: number;
  /** Tier to apply at the next period, or 255 (NO_PENDING_TIER). */
  pendingTier: number;
  periodEnd: bigint;
  baseFeePaid: boolean;
  unpaidBaseFee: bigint;
  unpaidOverage: bigint;
  vaultBalance: bigint;
  /** `total_spent` before the roll; default 0. Everything the roll collects is added to it (checked). */
  totalSpent?: bigint;
  /** Unix seconds of the roll. */
  now: bigint;
}

export interface RevenueDistribution extends RevenueSplit {
  source: RevenueSourceCode;
}

export interface RollQuote {
  /** Debt collected from the vault, by what it was. */
  debtCollected: { baseFee: bigint; overage: bigint };
  /** Base fees charged in this roll, paid part, in the order charged (current period, then the new one). */
  baseFeesPaid: bigint[];
  /** The period the roll moved to, or null when the current period had not ended. */
  newPeriod: Period | null;
  tierAfter: number;
  pendingTierAfter: number;
  unpaidBaseFeeAfter: bigint;
  unpaidOverageAfter: bigint;
  statusAfter: TeamStatusCode;
  vaultBalanceAfter: bigint;
  totalSpentAfter: bigint;
  /** Each RevenueDistributed the roll emits, in order. */
  distributions: RevenueDistribution[];
}

function tierTerms(tiers: readonly TierTerms[], tier: number): TierTerms {
  const terms = tiers[tier];
  if (!terms) throw new RangeError(`tier ${tier} has no terms`);
  return terms;
}

/**
 * What `roll_period` does (docs/billing-math.md, "Period roll"): collect debt (base fee part first), charge
 * the current period's base fee if unpaid, and when `now ≥ period_end` move to the next period (applying the
 * pending tier) and charge its base fee. Throws PeriodNotEndedError when it would collect no debt (none, or
 * an empty vault) and charge no base fee.
 */
export function quoteRollPeriod(input: RollInput): RollQuote {
  let vault = u64(input.vaultBalance, "vaultBalance");
  let unpaidBaseFee = u64(input.unpaidBaseFee, "unpaidBaseFee");
  let unpaidOverage = u64(input.unpaidOverage, "unpaidOverage");
  const vaultBefore = vault;
  const newPeriod = nextPeriod(input.periodEnd, input.periodSecs, input.now);
  const distributions: RevenueDistribution[] = [];

  const base = collectFromVault(unpaidBaseFee, vault);
  vault -= base.paid;
  unpaidBaseFee = base.unpaid;
  const overage = collectFromVault(unpaidOverage, vault);
  vault -= overage.paid;
  unpaidOverage = overage.unpaid;
  if (base.paid + overage.paid > 0n) {
    const b = splitRevenue(base.paid, input.baseFeeTreasuryBps);
    const o = splitRevenue(overage.paid, input.overageTreasuryBps);
    distributions.push({ source: RevenueSource.Debt, treasury: b.treasury + o.treasury, stakers: b.stakers + o.stakers });
  }

  const baseFeesPaid: bigint[] = [];
  const chargeBaseFee = (tier: number): void => {
    const fee = collectFromVault(tierTerms(input.tiers, tier).monthlyFee, vault);
    vault -= fee.paid;
    unpaidBaseFee = addU64(unpaidBaseFee, fee.unpaid, "unpaid_base_fee + unpaid");
    baseFeesPaid.push(fee.paid);
    if (fee.paid > 0n) distributions.push({ source: RevenueSource.BaseFee, ...splitRevenue(fee.paid, input.baseFeeTreasuryBps) });
  };

  let tier = input.tier;
  let pendingTier = input.pendingTier;
  if (!input.baseFeePaid) chargeBaseFee(tier);
  if (newPeriod !== null) {
    if (pendingTier !== NO_PENDING_TIER) {
      tier = pendingTier;
      pendingTier = NO_PENDING_TIER;
    }
    chargeBaseFee(tier);
  }
  if (base.paid + overage.paid === 0n && baseFeesPaid.length === 0) {
    throw new PeriodNotEndedError("no debt collected, base fee already charged and the period has not ended");
  }
  return {
    debtCollected: { baseFee: base.paid, overage: overage.paid },
    baseFeesPaid,
    newPeriod,
    tierAfter: tier,
    pendingTierAfter: pendingTier,
    unpaidBaseFeeAfter: unpaidBaseFee,
    unpaidOverageAfter: unpaidOverage,
    statusAfter: unpaidBaseFee === 0n && unpaidOverage === 0n ? TeamStatus.Active : TeamStatus.Suspended,
    vaultBalanceAfter: vault,
    totalSpentAfter: addU64(u64(input.totalSpent ?? 0n, "totalSpent"), vaultBefore - vault, "total_spent + collected"),
    distributions,
  };
}
