// Options of createGate, each with its default. Durations are ms, amounts USDC base units.
import { TIER_RATE_LIMITS, validateRateLimits, type RateLimit } from "./config/rate-limits";
import type { BalanceSource } from "./balance/source";
import type { KeySource } from "./keys/source";
import type { UsageSink } from "./usage/sink";
import { randomRequestId } from "./request-id";
import { FULL_SHARE_BPS } from "./balance/team-book";
import type { GateLeases } from "./balance/leases";

/** What the gate does when a team's chain data is older than `maxChainStalenessMs`. */
export type OnChainUnavailable =
  /** Refuse paid requests with 503 chain_unavailable until fresh data arrives (the default). */
  | "deny"
  /**
   * Keep admitting against the last known state, but at most `staleAllowance` of cost per team until
   * fresh data arrives; then 503 chain_unavailable. Requests within the included quota cost 0.
   */
  | "allow-up-to";

/** Which answers carry X-RateLimit-Limit/Remaining/Reset. */
export type RateLimitHeaders =
  /** Refusals made once the rate limiter has run (429 and later ones: 402, 503…), not successes (the default). */
  | "refusals"
  /** Those and every success too. */
  | "always";

export interface GateOptions {
  /** API keys (required). Production: the ledger (resolveApiKey). */
  keys: KeySource;
  /** Teams' on-chain state (required). Production: chain subscription with polling, decoded by the SDK. */
  balances: BalanceSource;
  /** Where served usage is appended before the response is sent (required). Production: the durable usage log. */
  usage: UsageSink;
  /** Token bucket per tier id. Default TIER_RATE_LIMITS (Startup 20/s burst 40, Growth 100/200, Enterprise 500/1000). */
  rateLimits?: readonly RateLimit[];
  /**
   * Which answers carry the X-RateLimit-* headers. Default "refusals": a success carries X-Request-Id,
   * X-Billing-Cost and X-Billing-Available only (the three more headers cost every paid response ~90 bytes,
   * and the proxy and its clients measurable CPU); "always" adds them to successes.
   */
  rateLimitHeaders?: RateLimitHeaders;
  /** A cached key is re-resolved in the background once this old. Default 30_000. */
  keyRefreshMs?: number;
  /** Interval of the revocation poll: a revoked key stops working within it. Default 2_000. */
  revocationCheckMs?: number;
  /** An unknown key is remembered as unknown this long. Default 5_000. */
  unknownKeyTtlMs?: number;
  /** Most cached keys (oldest dropped first). Default 100_000. */
  maxCachedKeys?: number;
  /** Most lookups of uncached keys in flight; beyond it 503 key_service_unavailable. Default 256. */
  maxPendingKeyLookups?: number;
  /** Chain data older than this is stale. Default 15_000. */
  maxChainStalenessMs?: number;
  /** Behaviour on stale chain data. Default "deny". */
  onChainUnavailable?: OnChainUnavailable;
  /**
   * With "allow-up-to": cost a team may run up on stale data. Default 1_000_000n (1 USDC). An instance with
   * a share below the whole (instanceShareBps) allows its share of it.
   */
  staleAllowance?: bigint;
  /**
   * A period ending within this long counts its next base fee as due before the next settlement
   * (roll_period runs with the settlement). Default 120_000: above the settler's flush interval and retries.
   */
  baseFeeHorizonMs?: number;
  /**
   * Within this long of a period's end, on either side, a request is reserved at the higher of its prices in
   * the two periods: the gate's estimate of the chain's clock, which decides the period it is charged in, may
   * be off (pricing.ts). Default 120_000; 0 trusts the estimate.
   */
  periodEdgeMs?: number;
  /** Largest `units` one request may charge. Default 10_000. */
  maxUnits?: number;
  /** Cluster named in PAYMENT-REQUIRED. Default "solana:localnet". */
  network?: string;
  /** Clock, unix ms. Default Date.now. */
  now?: () => number;
  /**
   * This instance's part of every team's funds, in basis points (default 10_000: the only gate serving its
   * teams). Gate instances that serve the same teams with their own usage logs (a Next app and a metering
   * proxy, or replicas) must have shares summing to at most 10_000: each admits against its share of a basis
   * no settlement moves (funds + the period's overage spend, less what its own batches charged this period:
   * balance/shares.ts), of the period's included requests and of the spend cap (less its own settled usage),
   * of each member's remaining allocation and of staleAllowance, so together they never commit more than the
   * team has, whoever settles when. Its prices are then upper bounds. A lone instance keeps the default.
   */
  instanceShareBps?: number;
  /**
   * Shares held from the ledger instead (balance/leases.ts): each team's share is leased per instance and
   * follows where its requests arrive. Default none (instanceShareBps applies). Not with instanceShareBps.
   */
  leases?: GateLeases;
  /**
   * Request id generator (X-Request-Id, usage receipts): ids must be unique and 1 to 64 printable ASCII
   * characters without spaces (the ledger's rule). Default randomRequestId: 128 random bits in hex.
   */
  requestId?: () => string;
}

export type ResolvedGateOptions = Required<Omit<GateOptions, "leases">> & { leases: GateLeases | null };

export function resolveGateOptions(o: GateOptions): ResolvedGateOptions {
  if (!o || !o.keys || !o.balances || !o.usage) {
    throw new TypeError("createGate: options.keys, options.balances and options.usage are required");
  }
  const r: ResolvedGateOptions = {
    keys: o.keys,
    balances: o.balances,
    usage: o.usage,
    rateLimits: o.rateLimits ?? TIER_RATE_LIMITS,
    rateLimitHeaders: o.rateLimitHeaders ?? "refusals",
    keyRefreshMs: o.keyRefreshMs ?? 30_000,
    revocationCheckMs: o.revocationCheckMs ?? 2_000,
    unknownKeyTtlMs: o.unknownKeyTtlMs ?? 5_000,
    maxCachedKeys: o.maxCachedKeys ?? 100_000,
    maxPendingKeyLookups: o.maxPendingKeyLookups ?? 256,
    maxChainStalenessMs: o.maxChainStalenessMs ?? 15_000,
    onChainUnavailable: o.onChainUnavailable ?? "deny",
    staleAllowance: o.staleAllowance ?? 1_000_000n,
    baseFeeHorizonMs: o.baseFeeHorizonMs ?? 120_000,
    periodEdgeMs: o.periodEdgeMs ?? 120_000,
    maxUnits: o.maxUnits ?? 10_000,
    network: o.network ?? "solana:localnet",
    now: o.now ?? Date.now,
    requestId: o.requestId ?? randomRequestId,
    instanceShareBps: o.instanceShareBps ?? FULL_SHARE_BPS,
    leases: o.leases ?? null,
  };
  validateRateLimits(r.rateLimits);
  for (const name of [
    "keyRefreshMs",
    "revocationCheckMs",
    "unknownKeyTtlMs",
    "maxCachedKeys",
    "maxPendingKeyLookups",
    "maxChainStalenessMs",
    "baseFeeHorizonMs",
    "maxUnits",
  ] as const) {
    const v = r[name];
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`createGate: ${name} must be a positive integer, got ${v}`);
  }
  if (!(Number.isInteger(r.periodEdgeMs) && r.periodEdgeMs >= 0)) {
    throw new RangeError(`createGate: periodEdgeMs must be a non-negative integer, got ${r.periodEdgeMs}`);
  }
  if (r.rateLimitHeaders !== "refusals" && r.rateLimitHeaders !== "always") {
    throw new RangeError(`createGate: rateLimitHeaders must be "refusals" or "always", got ${String(r.rateLimitHeaders)}`);
  }
  if (r.onChainUnavailable !== "deny" && r.onChainUnavailable !== "allow-up-to") {
    throw new RangeError(`createGate: onChainUnavailable must be "deny" or "allow-up-to", got ${String(r.onChainUnavailable)}`);
  }
  if (!(Number.isInteger(r.instanceShareBps) && r.instanceShareBps >= 1 && r.instanceShareBps <= FULL_SHARE_BPS)) {
    throw new RangeError(`createGate: instanceShareBps must be an integer from 1 to ${FULL_SHARE_BPS}, got ${r.instanceShareBps}`);
  }
  if (r.leases !== null && r.instanceShareBps !== FULL_SHARE_BPS) {
    throw new RangeError("createGate: leases and instanceShareBps exclude each other (leased shares replace the fixed one)");
  }
  if (typeof r.staleAllowance !== "bigint" || r.staleAllowance < 0n) {
    throw new RangeError("createGate: staleAllowance must be a non-negative bigint (USDC base units)");
  }
  return r;
}
