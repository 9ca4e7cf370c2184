import assert from "node:assert/strict";
import { TIER_RATE_LIMITS, validateRateLimits } from "../config/rate-limits";
import { TestClock } from "../../test/clock";
import { TokenBucketLimiter } from "./token-bucket";

describe("token bucket limiter", () => {
  it("lets a full burst through at once and refuses the next request", () => {
    const clock = new TestClock();
    const rl = new TokenBucketLimiter(clock.now);
    const startup = TIER_RATE_LIMITS[0]!;
    for (let i = 0; i < 40; i++) assert.equal(rl.take("team", startup).ok, true, `request ${i}`);
    const d = rl.take("team", startup);
    assert.equal(d.ok, false);
    assert.equal(d.remaining, 0);
    assert.equal(d.limit, 40);
    assert.equal(d.retryAfterMs, 50, "one token every 50 ms at 20/s");
    assert.equal(d.reset, clock.ms + 2000, "an empty 40-token bucket refills in 2 s");
  });

  it("refills at the tier rate", () => {
    const clock = new TestClock();
    const rl = new TokenBucketLimiter(clock.now);
    const growth = TIER_RATE_LIMITS[1]!;
    for (let i = 0; i < 200; i++) rl.take("t", growth);
    assert.equal(rl.take("t", growth).ok, false);
    clock.advance(100); // 10 tokens at 100/s
    let admitted = 0;
    while (rl.take("t", growth).ok) admitted++;
    assert.equal(admitted, 10);
  });

  it("keeps separate buckets per key", () => {
    const clock = new TestClock();
    const rl = new TokenBucketLimiter(clock.now);
    const lim = { ratePerSec: 1, burst: 1 };
    assert.equal(rl.take("a", lim).ok, true);
    assert.equal(rl.take("a", lim).ok, false);
    assert.equal(rl.take("b", lim).ok, true);
    assert.equal(rl.size, 2);
  });

  it("caps held tokens at the new burst when a team's tier changes", () => {
    const clock = new TestClock();
    const rl = new TokenBucketLimiter(clock.now);
    rl.take("t", TIER_RATE_LIMITS[2]!);
    const d = rl.take("t", TIER_RATE_LIMITS[0]!);
    assert.equal(d.ok, true);
    assert.equal(d.remaining, 39);
  });

  it("rejects a malformed rate-limit table", () => {
    assert.throws(() => validateRateLimits([]), RangeError);
    assert.throws(() => validateRateLimits([{ ratePerSec: 0, burst: 1 }]), /ratePerSec/);
    assert.throws(() => validateRateLimits([{ ratePerSec: 1, burst: 0.5 }]), /burst/);
    validateRateLimits(TIER_RATE_LIMITS);
  });
});
