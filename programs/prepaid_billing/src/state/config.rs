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
#[path = "config_tests.rs"]
mod tests;
