//! Pure, checked billing math (docs/billing-math.md; the SDK's `pricing.ts` mirrors it). Amounts are
//! USDC base units (1 USDC = 1_000_000) in `u64`, times unix seconds in `i64`.
//!
//! Written for BPF as this toolchain builds it: no `u128` and no `u64` multiply with overflow check
//! (both lower to `__multi3`, which does not exist there), so products are assembled from 32-bit halves
//! with `wrapping_mul` on operands that cannot overflow; no signed division (SBPFv0 has none); no
//! floating point. Functions returning a `u64` inside a `Result` are always inlined (a two-register
//! return is rejected by the BPF backend for non-inlined functions).

use crate::generated::interface::BillingError;
use crate::runtime::error::{fail, Error};

/// Basis points in a whole (10_000 bps = 100%).
pub const BPS_DENOMINATOR: u64 = 10_000;

const LOW_32: u64 = 0xFFFF_FFFF;

/// Every arithmetic failure of the program: 6006 MathOverflow.
#[inline(always)]
pub fn overflow() -> Error {
    fail(BillingError::MathOverflow)
}

#[inline(always)]
pub fn add(a: u64, b: u64) -> Result<u64, Error> {
    a.checked_add(b).ok_or(overflow())
}

#[inline(always)]
pub fn sub(a: u64, b: u64) -> Result<u64, Error> {
    a.checked_sub(b).ok_or(overflow())
}

/// `a × b`, failing when the product does not fit in 64 bits.
#[inline(always)]
pub fn mul(a: u64, b: u64) -> Result<u64, Error> {
    let (a_hi, a_lo, b_hi, b_lo) = (a >> 32, a & LOW_32, b >> 32, b & LOW_32);
    if a_hi != 0 && b_hi != 0 {
        return Err(overflow());
    }
    // At most one cross term is nonzero; each factor is below 2^32, so the product fits in 64 bits.
    let cross = a_hi.wrapping_mul(b_lo) + a_lo.wrapping_mul(b_hi);
    if cross > LOW_32 {
        return Err(overflow());
    }
    add(cross << 32, a_lo.wrapping_mul(b_lo))
}

/// A 128-bit value as two 64-bit halves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wide {
    pub hi: u64,
    pub lo: u64,
}

/// The full 128-bit product `a × b` (schoolbook on 32-bit halves; no partial sum can overflow).
#[inline(always)]
pub fn mul_wide(a: u64, b: u64) -> Wide {
    let (a_hi, a_lo, b_hi, b_lo) = (a >> 32, a & LOW_32, b >> 32, b & LOW_32);
    let ll = a_lo.wrapping_mul(b_lo);
    let lh = a_lo.wrapping_mul(b_hi);
    let hl = a_hi.wrapping_mul(b_lo);
    let hh = a_hi.wrapping_mul(b_hi);
    let mid = (ll >> 32).wrapping_add(lh & LOW_32).wrapping_add(hl & LOW_32);
    Wide {
        hi: hh.wrapping_add(lh >> 32).wrapping_add(hl >> 32).wrapping_add(mid >> 32),
        lo: (ll & LOW_32) | (mid << 32),
    }
}

/// `floor(n / d)` of a 128-bit `n`, when the quotient fits in 64 bits (`n.hi < d`); binary long
/// division, 64 rounds.
#[inline(always)]
fn div_wide(n: Wide, d: u64) -> Result<u64, Error> {
    if d == 0 || n.hi >= d {
        return Err(overflow());
    }
    let mut rem = n.hi;
    let mut quotient = 0u64;
    let mut bit = 64u32;
    while bit > 0 {
        bit -= 1;
        // The remainder is below d; shifting it left may carry out of 64 bits, and then it is >= d.
        let carry = rem >> 63;
        rem = (rem << 1) | ((n.lo >> bit) & 1);
        quotient <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            quotient |= 1;
        }
    }
    Ok(quotient)
}

/// `floor(a × b / c)` without `u128`, failing when `c = 0` or the quotient exceeds 64 bits.
#[inline(always)]
pub fn mul_div(a: u64, b: u64, c: u64) -> Result<u64, Error> {
    if c == 0 {
        return Err(overflow());
    }
    match mul(a, b) {
        Ok(product) => Ok(product / c),
        Err(_) => div_wide(mul_wide(a, b), c),
    }
}

/// `floor(x × f)` for `f` given as IEEE-754 double bits (the Rent sysvar's exemption threshold), exact
/// in integers: `f = m × 2^e` with `m` the 53-bit significand. Negative, infinite and NaN factors fail.
#[inline(always)]
pub fn mul_f64_bits(x: u64, bits: u64) -> Result<u64, Error> {
    let exponent = (bits >> 52) & 0x7FF;
    let fraction = bits & ((1u64 << 52) - 1);
    if bits >> 63 != 0 || exponent == 0x7FF {
        return Err(overflow());
    }
    if exponent == 0 {
        // Zero or subnormal (below 2^-1022): the product rounds down to zero.
        return Ok(0);
    }
    let mut significand = fraction | (1u64 << 52);
    let mut shift = exponent as i64 - 1075;
    while significand & 1 == 0 {
        significand >>= 1;
        shift += 1;
    }
    let p = mul_wide(x, significand);
    if shift >= 0 {
        let s = shift as u32;
        if p.hi != 0 || s >= 64 || (s > 0 && p.lo >> (64 - s) != 0) {
            return Err(overflow());
        }
        Ok(p.lo << s)
    } else {
        let s = shift.unsigned_abs();
        if s >= 128 {
            Ok(0)
        } else if s >= 64 {
            Ok(p.hi >> (s - 64))
        } else if p.hi >> s != 0 {
            Err(overflow())
        } else {
            Ok((p.lo >> s) | (p.hi << (64 - s)))
        }
    }
}

/// A revenue split: `treasury = floor(amount × bps / 10_000)`, the remainder to the stakers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub treasury: u64,
    pub stakers: u64,
}

impl Split {
    /// Sum of two splits (debt collected under two rules is paid out together).
    pub fn plus(self, other: Split) -> Result<Split, Error> {
        Ok(Split { treasury: add(self.treasury, other.treasury)?, stakers: add(self.stakers, other.stakers)? })
    }
}

/// Splits `amount` between treasury and stakers; `treasury_bps > 10_000` is InvalidConfig.
pub fn split(amount: u64, treasury_bps: u16) -> Result<Split, Error> {
    let bps = u64::from(treasury_bps);
    if bps > BPS_DENOMINATOR {
        return Err(fail(BillingError::InvalidConfig));
    }
    let treasury = mul_div(amount, bps, BPS_DENOMINATOR)?;
    Ok(Split { treasury, stakers: amount - treasury })
}

/// Overage cost of a batch of `n` requests after `p` requests this period:
/// `max(0, p + n − max(p, included)) × price`.
#[inline(always)]
pub fn usage_cost(p: u64, n: u64, included: u64, price: u64) -> Result<u64, Error> {
    let after = add(p, n)?;
    let billable = after.saturating_sub(p.max(included));
    mul(billable, price)
}

/// What the spend cap lets through: `charged = min(cost, cap − spent)` when `cap > 0` (0 once
/// `spent ≥ cap`), the rest `waived`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capped {
    pub charged: u64,
    pub waived: u64,
}

#[inline(always)]
pub fn apply_cap(cost: u64, spent: u64, cap: u64) -> Capped {
    let charged = if cap == 0 { cost } else { cost.min(cap.saturating_sub(spent)) };
    Capped { charged, waived: cost - charged }
}

/// Base-fee difference for the rest of the period on an upgrade:
/// `floor((new_fee − old_fee) × remaining / period_secs)`, `remaining = clamp(period_end − now, 0,
/// period_secs)`. `period_secs` must be positive.
#[inline(always)]
pub fn prorated_fee(fee_increase: u64, period_end: i64, now: i64, period_secs: i64) -> Result<u64, Error> {
    if period_secs <= 0 {
        return Err(fail(BillingError::InvalidConfig));
    }
    let remaining = if now >= period_end {
        0
    } else {
        let left = period_end.checked_sub(now).ok_or(overflow())?;
        left.min(period_secs)
    };
    mul_div(fee_increase, remaining as u64, period_secs as u64)
}

/// Bounds of a billing period, unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub start: i64,
    pub end: i64,
}

/// The period containing `now` once the current one (ending at `period_end`) is over: it starts at
/// the latest `period_end + k × period_secs` not after `now` (periods nobody rolled are skipped).
pub fn next_period(period_end: i64, now: i64, period_secs: i64) -> Result<Period, Error> {
    if period_secs <= 0 {
        return Err(fail(BillingError::InvalidConfig));
    }
    if now < period_end {
        return Err(fail(BillingError::PeriodNotEnded));
    }
    let elapsed = now.checked_sub(period_end).ok_or(overflow())? as u64;
    let into_period = elapsed % period_secs as u64;
    let start = now - into_period as i64;
    let end = start.checked_add(period_secs).ok_or(overflow())?;
    Ok(Period { start, end })
}

#[cfg(test)]
#[path = "math_tests.rs"]
mod tests;
