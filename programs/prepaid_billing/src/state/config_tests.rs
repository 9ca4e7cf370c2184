//! Unit tests of `state/config.rs` (host only, `cargo test`), kept in their own file beside it.

use super::*;
use crate::runtime::borsh::{Borsh, Reader, Writer};

pub(crate) fn default_args() -> InitConfigArgs {
    InitConfigArgs {
        billing_authority: Pubkey([2; 32]),
        withdrawal_notice_secs: 900,
        period_secs: 2_592_000,
        base_fee_treasury_bps: 9_000,
        overage_treasury_bps: 0,
        tiers: [
            TierTerms { monthly_fee: 50_000_000, included_requests: 10_000, overage_price: 10_000 },
            TierTerms { monthly_fee: 250_000_000, included_requests: 100_000, overage_price: 5_000 },
            TierTerms { monthly_fee: 1_000_000_000, included_requests: 500_000, overage_price: 2_000 },
        ],
    }
}

fn links() -> (Pubkey, Pubkey, Pubkey) {
    (Pubkey([3; 32]), Pubkey([4; 32]), Pubkey([5; 32]))
}

#[test]
fn a_new_config_takes_the_args_and_links() {
    let (mint, treasury, pool) = links();
    let config = BillingConfig::new(
        &Pubkey([1; 32]),
        &ConfigLinks { usdc_mint: &mint, treasury: &treasury, staker_pool: &pool },
        &default_args(),
        254,
    )
    .unwrap();
    assert_eq!(config.admin, Pubkey([1; 32]));
    assert_eq!(config.treasury, treasury);
    assert_eq!(config.bump, 254);
    assert!(!config.paused);
    assert_eq!(config.terms(1).unwrap().monthly_fee, 250_000_000);
    assert_eq!(config.terms(3), Err(fail(BillingError::InvalidTier)));
    assert_eq!(config.split_base_fee(50_000_000).unwrap(), Split { treasury: 45_000_000, stakers: 5_000_000 });
    assert_eq!(config.split_overage(10_000_000).unwrap(), Split { treasury: 0, stakers: 10_000_000 });
}

#[test]
fn invalid_shares_periods_and_notices_are_refused() {
    let (mint, treasury, pool) = links();
    let l = ConfigLinks { usdc_mint: &mint, treasury: &treasury, staker_pool: &pool };
    let invalid = Err(fail(BillingError::InvalidConfig));
    let mut args = default_args();
    args.base_fee_treasury_bps = 10_001;
    assert_eq!(BillingConfig::new(&Pubkey([1; 32]), &l, &args, 1).map(|_| ()), invalid);
    let mut args = default_args();
    args.overage_treasury_bps = u16::MAX;
    assert_eq!(BillingConfig::new(&Pubkey([1; 32]), &l, &args, 1).map(|_| ()), invalid);
    let mut args = default_args();
    args.period_secs = 0;
    assert_eq!(BillingConfig::new(&Pubkey([1; 32]), &l, &args, 1).map(|_| ()), invalid);
    let mut args = default_args();
    args.withdrawal_notice_secs = -1;
    assert_eq!(BillingConfig::new(&Pubkey([1; 32]), &l, &args, 1).map(|_| ()), invalid);
    let mut args = default_args();
    args.base_fee_treasury_bps = 10_000;
    args.withdrawal_notice_secs = 0;
    args.period_secs = 1;
    assert!(BillingConfig::new(&Pubkey([1; 32]), &l, &args, 1).is_ok());
}

#[test]
fn the_notice_is_at_most_30_days_and_the_period_at_most_366_days() {
    assert_eq!(MAX_WITHDRAWAL_NOTICE_SECS, 2_592_000);
    assert_eq!(MAX_PERIOD_SECS, 31_622_400);
    let (mint, treasury, pool) = links();
    let l = ConfigLinks { usdc_mint: &mint, treasury: &treasury, staker_pool: &pool };
    let invalid = Err(fail(BillingError::InvalidConfig));
    let mut args = default_args();
    args.withdrawal_notice_secs = MAX_WITHDRAWAL_NOTICE_SECS;
    args.period_secs = MAX_PERIOD_SECS;
    let config = BillingConfig::new(&Pubkey([1; 32]), &l, &args, 1).unwrap();
    assert_eq!((config.withdrawal_notice_secs, config.period_secs), (2_592_000, 31_622_400));
    for notice in [MAX_WITHDRAWAL_NOTICE_SECS + 1, i64::MAX] {
        let mut args = default_args();
        args.withdrawal_notice_secs = notice;
        assert_eq!(BillingConfig::new(&Pubkey([1; 32]), &l, &args, 1).map(|_| ()), invalid, "notice {}", notice);
    }
    for period in [MAX_PERIOD_SECS + 1, i64::MAX] {
        let mut args = default_args();
        args.period_secs = period;
        assert_eq!(BillingConfig::new(&Pubkey([1; 32]), &l, &args, 1).map(|_| ()), invalid, "period {}", period);
    }
}

#[test]
fn updates_beyond_the_notice_and_period_bounds_are_refused() {
    let (mint, treasury, pool) = links();
    let l = ConfigLinks { usdc_mint: &mint, treasury: &treasury, staker_pool: &pool };
    let mut config = BillingConfig::new(&Pubkey([1; 32]), &l, &default_args(), 7).unwrap();
    let invalid = Err(fail(BillingError::InvalidConfig));
    let update = |notice: Option<i64>, period: Option<i64>| UpdateConfigArgs {
        withdrawal_notice_secs: notice,
        period_secs: period,
        ..Default::default()
    };
    config.apply(&update(Some(MAX_WITHDRAWAL_NOTICE_SECS), Some(MAX_PERIOD_SECS))).unwrap();
    assert_eq!((config.withdrawal_notice_secs, config.period_secs), (MAX_WITHDRAWAL_NOTICE_SECS, MAX_PERIOD_SECS));
    for args in [
        update(Some(MAX_WITHDRAWAL_NOTICE_SECS + 1), None),
        update(Some(i64::MAX), None),
        update(None, Some(MAX_PERIOD_SECS + 1)),
        update(None, Some(i64::MAX)),
    ] {
        // The instruction stores nothing when `apply` fails; a copy stands in for the account.
        let mut copy = config;
        assert_eq!(copy.apply(&args), invalid);
    }
    config.apply(&update(Some(0), Some(1))).unwrap();
    assert_eq!((config.withdrawal_notice_secs, config.period_secs), (0, 1));
}

#[test]
fn updates_change_only_the_fields_they_set() {
    let (mint, treasury, pool) = links();
    let l = ConfigLinks { usdc_mint: &mint, treasury: &treasury, staker_pool: &pool };
    let mut config = BillingConfig::new(&Pubkey([1; 32]), &l, &default_args(), 7).unwrap();
    let before = config;
    config.apply(&UpdateConfigArgs::default()).unwrap();
    assert_eq!(config, before);
    config
        .apply(&UpdateConfigArgs {
            paused: Some(true),
            new_admin: Some(Pubkey([9; 32])),
            treasury: Some(Pubkey([8; 32])),
            ..Default::default()
        })
        .unwrap();
    assert!(config.paused);
    assert_eq!(config.admin, Pubkey([9; 32]));
    assert_eq!(config.treasury, Pubkey([8; 32]));
    assert_eq!(config.staker_pool, pool);
    assert_eq!(
        config.apply(&UpdateConfigArgs { period_secs: Some(-5), ..Default::default() }),
        Err(fail(BillingError::InvalidConfig))
    );
}

#[test]
fn the_config_codec_round_trips_at_the_idl_size() {
    let (mint, treasury, pool) = links();
    let l = ConfigLinks { usdc_mint: &mint, treasury: &treasury, staker_pool: &pool };
    let config = BillingConfig::new(&Pubkey([1; 32]), &l, &default_args(), 7).unwrap();
    let mut buf = [0u8; 254];
    let mut w = Writer::new(&mut buf, Error::ACCOUNT_DID_NOT_SERIALIZE);
    config.encode(&mut w).unwrap();
    assert_eq!(w.position(), crate::generated::interface::account::BILLING_CONFIG_LEN);
    // IDL order, integers aligned to their size: keys 0..160, notice 160, period 168, tiers 176..248,
    // bps 248 and 250, paused 252, bump 253.
    assert_eq!(&buf[0..32], &[1; 32]);
    assert_eq!(&buf[160..168], &900i64.to_le_bytes());
    assert_eq!(&buf[168..176], &2_592_000i64.to_le_bytes());
    assert_eq!(&buf[176..184], &50_000_000u64.to_le_bytes());
    assert_eq!(&buf[248..250], &9_000u16.to_le_bytes());
    assert_eq!(buf[252], 0);
    assert_eq!(buf[253], 7);
    let mut r = Reader::new(&buf, Error::ACCOUNT_DID_NOT_DESERIALIZE);
    assert_eq!(BillingConfig::decode(&mut r).unwrap(), config);
    let mut short = Reader::new(&buf[..253], Error::ACCOUNT_DID_NOT_DESERIALIZE);
    assert_eq!(BillingConfig::decode(&mut short), Err(Error::ACCOUNT_DID_NOT_DESERIALIZE));
}
