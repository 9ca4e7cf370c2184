//! Unit tests of `math.rs` (host only, `cargo test`), kept in their own file beside it.

use super::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Mostly edge-ish values: small, near powers of two, near u64::MAX, or anything.
    fn amount(&mut self) -> u64 {
        match self.next() % 5 {
            0 => self.next() % 1_000,
            1 => 1u64 << (self.next() % 64),
            2 => u64::MAX - self.next() % 3,
            3 => (1u64 << 32).wrapping_add(self.next() % 5).wrapping_sub(2),
            _ => self.next(),
        }
    }
}

#[test]
fn mul_matches_wide_arithmetic_and_fails_only_on_overflow() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..200_000 {
        let (a, b) = (rng.amount(), rng.amount());
        let exact = u128::from(a) * u128::from(b);
        match mul(a, b) {
            Ok(p) => assert_eq!(u128::from(p), exact, "{a} × {b}"),
            Err(e) => {
                assert!(exact > u128::from(u64::MAX), "{a} × {b} should fit");
                assert_eq!(e, fail(BillingError::MathOverflow));
            }
        }
        let w = mul_wide(a, b);
        assert_eq!((u128::from(w.hi) << 64) | u128::from(w.lo), exact);
    }
    assert_eq!(mul(u64::MAX, 1), Ok(u64::MAX));
    assert_eq!(mul(1 << 32, 1 << 31), Ok(1 << 63));
    assert!(mul(1 << 32, 1 << 32).is_err());
    assert!(mul(u64::MAX, 2).is_err());
    assert_eq!(mul(0, u64::MAX), Ok(0));
}

#[test]
fn mul_div_matches_wide_arithmetic() {
    let mut rng = Rng(42);
    for _ in 0..100_000 {
        let (a, b, c) = (rng.amount(), rng.amount(), rng.amount());
        let expected = if c == 0 { None } else { u64::try_from(u128::from(a) * u128::from(b) / u128::from(c)).ok() };
        assert_eq!(mul_div(a, b, c).ok(), expected, "{a} × {b} / {c}");
    }
    assert_eq!(mul_div(u64::MAX, u64::MAX, u64::MAX), Ok(u64::MAX));
    assert_eq!(mul_div(u64::MAX, 3, 4), Ok(13_835_058_055_282_163_711));
    assert!(mul_div(1, 1, 0).is_err());
}

/// Reference: the same product in u128, from the factor's exact value `m × 2^e`.
fn mul_f64_reference(x: u64, f: f64) -> Option<u64> {
    let bits = f.to_bits();
    let exponent = ((bits >> 52) & 0x7FF) as i64;
    let m = u128::from((bits & ((1u64 << 52) - 1)) | (1u64 << 52));
    let e = exponent - 1075;
    let p = u128::from(x) * m;
    let v = if e >= 0 {
        p.checked_shl(e as u32).filter(|v| v >> e == p)?
    } else if -e >= 128 {
        0
    } else {
        p >> (-e)
    };
    u64::try_from(v).ok()
}

#[test]
fn f64_factors_are_applied_exactly_and_rounded_down() {
    let mut rng = Rng(7);
    for f in [1.0f64, 2.0, 0.5, 1.5, 3.25, 0.001, 1e-300, 123_456.75, 7.0e10] {
        for _ in 0..5_000 {
            let x = rng.next() >> (rng.next() % 64);
            assert_eq!(mul_f64_bits(x, f.to_bits()).ok(), mul_f64_reference(x, f), "{x} × {f}");
        }
    }
    assert_eq!(mul_f64_bits(1_019_640, 2.0f64.to_bits()), Ok(2_039_280));
    assert_eq!(mul_f64_bits(7, 0.5f64.to_bits()), Ok(3));
    assert_eq!(mul_f64_bits(u64::MAX, 1.0f64.to_bits()), Ok(u64::MAX));
    assert!(mul_f64_bits(u64::MAX, 2.0f64.to_bits()).is_err());
    assert!(mul_f64_bits(1, (-1.0f64).to_bits()).is_err());
    assert!(mul_f64_bits(1, f64::INFINITY.to_bits()).is_err());
    assert!(mul_f64_bits(1, f64::NAN.to_bits()).is_err());
    assert_eq!(mul_f64_bits(1, 0f64.to_bits()), Ok(0));
}

#[test]
fn splits_send_the_floor_to_the_treasury_and_the_rest_to_the_stakers() {
    assert_eq!(split(50_000_000, 9_000), Ok(Split { treasury: 45_000_000, stakers: 5_000_000 }));
    assert_eq!(split(10_000_000, 0), Ok(Split { treasury: 0, stakers: 10_000_000 }));
    assert_eq!(split(3, 5_000), Ok(Split { treasury: 1, stakers: 2 }));
    assert_eq!(split(u64::MAX, 10_000), Ok(Split { treasury: u64::MAX, stakers: 0 }));
    assert_eq!(split(u64::MAX, 9_000).unwrap().treasury, (u128::from(u64::MAX) * 9_000 / 10_000) as u64);
    assert_eq!(split(1, 10_001), Err(fail(BillingError::InvalidConfig)));
    let mut rng = Rng(3);
    for _ in 0..50_000 {
        let amount = rng.amount();
        let bps = (rng.next() % 10_001) as u16;
        let s = split(amount, bps).unwrap();
        assert_eq!(s.treasury as u128, u128::from(amount) * u128::from(bps) / 10_000);
        assert_eq!(u128::from(s.treasury) + u128::from(s.stakers), u128::from(amount));
    }
}

#[test]
fn usage_costs_only_requests_beyond_the_quota() {
    // Startup: 10,000 included at 10,000 base units each beyond.
    assert_eq!(usage_cost(0, 10_000, 10_000, 10_000), Ok(0));
    assert_eq!(usage_cost(10_000, 1_000, 10_000, 10_000), Ok(10_000_000));
    assert_eq!(usage_cost(9_500, 1_000, 10_000, 10_000), Ok(5_000_000));
    assert_eq!(usage_cost(20_000, 5, 10_000, 10_000), Ok(50_000));
    assert_eq!(usage_cost(0, 0, 0, 7), Ok(0));
    assert_eq!(usage_cost(u64::MAX, 1, 0, 1), Err(overflow()));
    assert_eq!(usage_cost(0, u64::MAX, 0, 2), Err(overflow()));
    assert_eq!(usage_cost(0, u64::MAX, u64::MAX, 2), Ok(0));
}

#[test]
fn the_spend_cap_waives_what_exceeds_it() {
    assert_eq!(apply_cap(100, 0, 0), Capped { charged: 100, waived: 0 });
    assert_eq!(apply_cap(100, 50, 120), Capped { charged: 70, waived: 30 });
    assert_eq!(apply_cap(100, 150, 120), Capped { charged: 0, waived: 100 });
    assert_eq!(apply_cap(10, 0, 120), Capped { charged: 10, waived: 0 });
}

#[test]
fn proration_charges_the_remaining_share_of_the_fee_increase() {
    // 200 USDC more, half a 30-day period left.
    assert_eq!(prorated_fee(200_000_000, 2_592_000, 1_296_000, 2_592_000), Ok(100_000_000));
    assert_eq!(prorated_fee(200_000_000, 100, 100, 2_592_000), Ok(0));
    assert_eq!(prorated_fee(200_000_000, 100, 200, 2_592_000), Ok(0));
    // More than a period left (period_secs shortened since) clamps to the whole increase.
    assert_eq!(prorated_fee(7, 10_000, 0, 100), Ok(7));
    assert_eq!(prorated_fee(u64::MAX, i64::MAX, 0, i64::MAX), Ok(u64::MAX));
    assert_eq!(prorated_fee(u64::MAX, i64::MAX, i64::MIN, 3), Err(overflow()));
    assert_eq!(prorated_fee(1, 10, 0, 0), Err(fail(BillingError::InvalidConfig)));
    assert_eq!(prorated_fee(10, 3, 0, 9), Ok(3));
}

#[test]
fn the_next_period_is_the_latest_boundary_not_after_now() {
    assert_eq!(next_period(1_000, 1_000, 100), Ok(Period { start: 1_000, end: 1_100 }));
    assert_eq!(next_period(1_000, 1_099, 100), Ok(Period { start: 1_000, end: 1_100 }));
    assert_eq!(next_period(1_000, 1_350, 100), Ok(Period { start: 1_300, end: 1_400 }));
    assert_eq!(next_period(-50, 75, 100), Ok(Period { start: 50, end: 150 }));
    assert_eq!(next_period(1_000, 999, 100), Err(fail(BillingError::PeriodNotEnded)));
    assert_eq!(next_period(0, 5, 0), Err(fail(BillingError::InvalidConfig)));
    assert_eq!(next_period(i64::MAX - 5, i64::MAX, 10), Err(overflow()));
    assert_eq!(next_period(i64::MIN, i64::MAX, i64::MAX), Err(overflow()));
}
