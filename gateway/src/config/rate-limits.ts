// Request rate limits per tier: the one place they are configured.
// Tier ids are the program's (0 Startup, 1 Growth, 2 Enterprise); a team's tier is read from chain.

/** A token bucket: `ratePerSec` tokens are added per second, up to `burst` tokens held. */
export interface RateLimit {
  /** Sustained requests per second. */
  readonly ratePerSec: number;
  /** Bucket capacity: requests that may arrive at once after a quiet period. */
  readonly burst: number;
}

/** Indexed by tier id: Startup 20 req/s burst 40, Growth 100/200, Enterprise 500/1000. */
export const TIER_RATE_LIMITS: readonly RateLimit[] = Object.freeze([
  Object.freeze({ ratePerSec: 20, burst: 40 }),
  Object.freeze({ ratePerSec: 100, burst: 200 }),
  Object.freeze({ ratePerSec: 500, burst: 1000 }),
]);

/** Checks a rate-limit table once, at gate construction, so the hot path can trust it. */
export function validateRateLimits(limits: readonly RateLimit[]): void {
  if (limits.length === 0) throw new RangeError("rateLimits: at least one tier is required");
  limits.forEach((l, tier) => {
    if (!(Number.isFinite(l.ratePerSec) && l.ratePerSec > 0)) {
      throw new RangeError(`rateLimits[${tier}].ratePerSec must be a positive number, got ${l.ratePerSec}`);
    }
    if (!(Number.isInteger(l.burst) && l.burst >= 1)) {
      throw new RangeError(`rateLimits[${tier}].burst must be an integer >= 1, got ${l.burst}`);
    }
  });
}
