// Token-bucket rate limiter, one bucket per team, in memory.
// Tokens are fractional (a float is fine here: they count requests, not money).
import type { RateLimit } from "../config/rate-limits";

export interface RateDecision {
  readonly ok: boolean;
  /** Bucket capacity (the X-RateLimit-Limit header). */
  readonly limit: number;
  /** Whole requests that could still be made right now. */
  readonly remaining: number;
  /** Unix ms at which the bucket is full again. */
  readonly reset: number;
  /** Ms from the decision until the bucket is full again (the X-RateLimit-Reset header, rounded up to seconds). */
  readonly resetAfterMs: number;
  /** When refused: ms until one token is available (the Retry-After header, rounded up to seconds). */
  readonly retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  /** Clock ms of the last refill. */
  at: number;
  limit: RateLimit;
}

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number) {}

  /** Takes one token from `key`'s bucket under `limit`; a changed limit (tier change) keeps the tokens, capped. */
  take(key: string, limit: RateLimit): RateDecision {
    const now = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      b = { tokens: limit.burst, at: now, limit };
      this.buckets.set(key, b);
    } else {
      const elapsedMs = Math.max(0, now - b.at);
      b.limit = limit;
      b.tokens = Math.min(limit.burst, b.tokens + (elapsedMs * limit.ratePerSec) / 1000);
      b.at = now;
    }
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    const msPerToken = 1000 / limit.ratePerSec;
    const resetAfterMs = Math.ceil((limit.burst - b.tokens) * msPerToken);
    return {
      ok,
      limit: limit.burst,
      remaining: Math.floor(b.tokens),
      reset: now + resetAfterMs,
      resetAfterMs,
      retryAfterMs: ok ? 0 : Math.ceil((1 - b.tokens) * msPerToken),
    };
  }

  /** Number of buckets held (one per team seen). */
  get size(): number {
    return this.buckets.size;
  }
}
