//! `BillingConfig`, one per deployment at PDA `["config"]`: who administers and who settles usage,
//! where revenue goes, the tier price terms and the time rules. Amounts in USDC base units
//! (1 USDC = 1_000_000), times in seconds.

use crate::generated::interface::BillingError;
use crate::generated::layout::{BillingConfig, InitConfigArgs, TierTerms, UpdateConfigArgs};
use crate::math::{self, Split, BPS_DENOMINATOR};
use crate::runtime::error::{fail, Error};
use crate::runtime::Pubkey;

/// Longest `withdrawal_notice_secs`: 30 days, in seconds. Bounds how long an admin can hold funds back
/// (money-safety invariant 4: funds can always leave) and keeps `now + notice` far from `i64::MAX`.
pub const MAX_WITHDRAWAL_NOTICE_SECS: i64 = 30 * 86_400;
/// Longest `period_secs`: 366 days, in seconds. Keeps every period end (`now + period_secs`, and
/// `period_end + k × period_secs` at a roll) far from `i64::MAX`, so opening a team cannot be blocked.
pub const MAX_PERIOD_SECS: i64 = 366 * 86_400;

/// The token accounts and mint a deployment is tied to.
pub struct ConfigLinks<'a> {
    pub usdc_mint: &'a Pubkey,
    /// Token account of `usdc_mint` receiving the treasury share.
    pub treasury: &'a Pubkey,
    /// Token account of `usdc_mint` receiving the stakers' share.
    pub staker_pool: &'a Pubkey,
}

impl BillingConfig {
    /// A new configuration; `admin` is the signer of `initialize_config`.
    pub fn new(admin: &Pubkey, links: &ConfigLinks, args: &InitConfigArgs, bump: u8) -> Result<BillingConfig, Error> {
        let config = BillingConfig {
            admin: *admin,
            billing_authority: args.billing_authority,
            usdc_mint: *links.usdc_mint,
            treasury: *links.treasury,
            staker_pool: *links.staker_pool,
            base_fee_treasury_bps: args.base_fee_treasury_bps,
            overage_treasury_bps: args.overage_treasury_bps,
            withdrawal_notice_secs: args.withdrawal_notice_secs,
            period_secs: args.period_secs,
            paused: false,
            tiers: args.tiers,
            bump,
        };
        config.validate()?;
        Ok(config)
    }

    /// Applies the fields `args` sets (the new treasury and staker pool are checked by the instruction,
    /// which sees their accounts), then re-checks the invariants.
    pub fn apply(&mut self, args: &UpdateConfigArgs) -> Result<(), Error> {
        if let Some(admin) = args.new_admin {
            self.admin = admin;
        }
        if let Some(authority) = args.billing_authority {
            self.billing_authority = authority;
        }
        if let Some(secs) = args.withdrawal_notice_secs {
            self.withdrawal_notice_secs = secs;
        }
        if let Some(secs) = args.period_secs {
            self.period_secs = secs;
        }
        if let Some(tiers) = args.tiers {
            self.tiers = tiers;
        }
        if let Some(treasury) = args.treasury {
            self.treasury = treasury;
        }
        if let Some(pool) = args.staker_pool {
            self.staker_pool = pool;
        }
        if let Some(paused) = args.paused {
            self.paused = paused;
        }
        self.validate()
    }

    /// Invariants (InvalidConfig otherwise): shares at most 10_000 bps, a period of 1 s to
    /// `MAX_PERIOD_SECS`, a notice of 0 s to `MAX_WITHDRAWAL_NOTICE_SECS`.
    pub fn validate(&self) -> Result<(), Error> {
        let shares_ok = u64::from(self.base_fee_treasury_bps) <= BPS_DENOMINATOR
            && u64::from(self.overage_treasury_bps) <= BPS_DENOMINATOR;
        let period_ok = self.period_secs > 0 && self.period_secs <= MAX_PERIOD_SECS;
        let notice_ok = self.withdrawal_notice_secs >= 0 && self.withdrawal_notice_secs <= MAX_WITHDRAWAL_NOTICE_SECS;
        if !shares_ok || !period_ok || !notice_ok {
            return Err(fail(BillingError::InvalidConfig));
        }
        Ok(())
    }

    /// Price terms of `tier` (InvalidTier beyond the three tiers).
    pub fn terms(&self, tier: u8) -> Result<TierTerms, Error> {
        self.tiers.get(usize::from(tier)).copied().ok_or(fail(BillingError::InvalidTier))
    }

    /// Split of base fees and prorations (`base_fee_treasury_bps`).
    pub fn split_base_fee(&self, amount: u64) -> Result<Split, Error> {
        math::split(amount, self.base_fee_treasury_bps)
    }

    /// Split of overage (`overage_treasury_bps`).
    pub fn split_overage(&self, amount: u64) -> Result<Split, Error> {
        math::split(amount, self.overage_treasury_bps)
    }
}

#[cfg(test)]
mod tests {
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
}
