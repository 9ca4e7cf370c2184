//! `TeamBillingAccount`, one per owner wallet at PDA `["team_billing", owner]`, and the billing rules
//! of docs/billing-math.md applied to it. Every method computes on a copy and fails before anything is
//! stored; the instruction stores the team only when the whole instruction succeeds.
//!
//! Amounts are USDC base units (1 USDC = 1_000_000), times unix seconds. `vault` arguments are the vault
//! token account's balance before the instruction moves anything.

use crate::generated::interface::BillingError;
use crate::generated::layout::{BillingConfig, TeamBillingAccount, TierTerms};
use crate::math::{self, Capped, Period, Split};
use crate::runtime::error::{fail, Error};
use crate::runtime::Pubkey;

/// `status`: in good standing.
pub const STATUS_ACTIVE: u8 = 0;
/// `status`: has unpaid debt (base fee or overage the vault could not pay).
pub const STATUS_SUSPENDED: u8 = 1;
/// `pending_tier` when no downgrade is scheduled.
pub const NO_PENDING_TIER: u8 = 255;
/// Tiers 0 Startup, 1 Growth, 2 Enterprise.
pub const TIER_COUNT: u8 = 3;
/// Default `low_balance_threshold`: 10 USDC.
pub const DEFAULT_LOW_BALANCE_THRESHOLD: u64 = 10_000_000;

/// What a new team account starts from.
pub struct Opening<'a> {
    pub owner: &'a Pubkey,
    pub vault: &'a Pubkey,
    pub tier: u8,
    /// Creation time: the first period starts now.
    pub now: i64,
    pub period_secs: i64,
    pub bump: u8,
    pub vault_bump: u8,
}

/// Where an instruction stands when it applies a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Unix seconds (Clock sysvar).
    pub now: i64,
    /// Vault balance before the instruction moves anything, base units.
    pub vault: u64,
}

/// One usage batch as `deduct_usage` receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageBatch {
    /// Must be `last_batch_seq + 1`.
    pub seq: u64,
    /// Requests served in the batch, > 0.
    pub request_count: u64,
}

/// Outcome of one usage batch (`deduct_usage`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsageCharge {
    /// Overage cost after the spend cap.
    pub charged: u64,
    /// Part of `charged` paid from the vault now; the rest became `unpaid_overage`.
    pub paid: u64,
    /// Part of the cost above the spend cap, never charged.
    pub waived: u64,
}

/// A base fee charged by `roll_period` for one period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeriodCharge {
    pub period: Period,
    pub tier: u8,
    /// Part of the fee paid from the vault now; the rest became `unpaid_base_fee`.
    pub paid: u64,
    pub split: Split,
}

/// Outcome of `roll_period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roll {
    /// Debt collected (base-fee debt and overage debt, each split by its own rule).
    pub debt_paid: u64,
    pub debt_split: Split,
    /// Base fee of the period that was current, when it had not been charged yet.
    pub current: Option<PeriodCharge>,
    /// The period this roll started (the current one had ended) and its base fee.
    pub next: Option<PeriodCharge>,
    /// Everything to move out of the vault.
    pub payout: Split,
}

/// Outcome of `update_tier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierChange {
    pub old_tier: u8,
    pub new_tier: u8,
    /// Now for upgrades and cancellations, the period end for downgrades.
    pub effective_at: i64,
    pub prorated_fee: u64,
    pub split: Split,
}

impl TeamBillingAccount {
    /// A new team: `tier` (InvalidTier beyond 2), first period `[now, now + period_secs)` with its base
    /// fee due, default low-balance threshold, no cap.
    pub fn open(o: &Opening) -> Result<TeamBillingAccount, Error> {
        if o.tier >= TIER_COUNT {
            return Err(fail(BillingError::InvalidTier));
        }
        Ok(TeamBillingAccount {
            owner: *o.owner,
            vault: *o.vault,
            tier: o.tier,
            pending_tier: NO_PENDING_TIER,
            status: STATUS_ACTIVE,
            period_start: o.now,
            period_end: o.now.checked_add(o.period_secs).ok_or(math::overflow())?,
            base_fee_paid: false,
            low_balance_threshold: DEFAULT_LOW_BALANCE_THRESHOLD,
            bump: o.bump,
            vault_bump: o.vault_bump,
            ..TeamBillingAccount::default()
        })
    }

    /// Unpaid base fee + unpaid overage (saturating: only compared with balances).
    pub fn debt(&self) -> u64 {
        self.unpaid_base_fee.saturating_add(self.unpaid_overage)
    }

    /// What the owner may take out of a vault holding `vault`: `vault − debt`, 0 when the debt is larger.
    pub fn withdrawable(&self, vault: u64) -> u64 {
        vault.saturating_sub(self.debt())
    }

    /// Settles usage batch `batch_seq` of `request_count` requests priced by `terms`.
    /// Replays (`batch_seq ≤ last_batch_seq`) are BatchAlreadySettled, skips BatchSequenceGap, an empty
    /// batch InvalidAmount. Unpaid overage becomes debt and suspends the team.
    #[inline(always)]
    pub fn settle_usage(&mut self, terms: &TierTerms, batch: &UsageBatch, vault: u64) -> Result<UsageCharge, Error> {
        let (batch_seq, request_count) = (batch.seq, batch.request_count);
        if batch_seq <= self.last_batch_seq {
            return Err(fail(BillingError::BatchAlreadySettled));
        }
        if batch_seq - self.last_batch_seq > 1 {
            return Err(fail(BillingError::BatchSequenceGap));
        }
        if request_count == 0 {
            return Err(fail(BillingError::InvalidAmount));
        }
        let cost = math::usage_cost(self.period_requests, request_count, terms.included_requests, terms.overage_price)?;
        let Capped { charged, waived } = math::apply_cap(cost, self.period_overage_spend, self.spend_cap);
        let paid = charged.min(vault);
        let unpaid = charged - paid;
        let period_requests = math::add(self.period_requests, request_count)?;
        let period_overage_spend = math::add(self.period_overage_spend, charged)?;
        let unpaid_overage = math::add(self.unpaid_overage, unpaid)?;
        let total_spent = math::add(self.total_spent, paid)?;
        self.period_requests = period_requests;
        self.period_overage_spend = period_overage_spend;
        self.unpaid_overage = unpaid_overage;
        self.total_spent = total_spent;
        self.last_batch_seq = batch_seq;
        if unpaid > 0 {
            self.status = STATUS_SUSPENDED;
        }
        Ok(UsageCharge { charged, paid, waived })
    }

    /// The crank: collects debt, charges the current period's base fee if still due, and when the period
    /// has ended starts the next one (pending tier applied, counters reset) and charges its fee.
    /// PeriodNotEnded when none of that changes anything.
    #[inline(always)]
    pub fn roll(&mut self, config: &BillingConfig, at: &Snapshot) -> Result<Roll, Error> {
        let (now, mut left) = (at.now, at.vault);
        // 1. Debt: base-fee debt first, then overage debt, each split by the rule of what it was.
        let base_debt_paid = self.unpaid_base_fee.min(left);
        left -= base_debt_paid;
        let overage_debt_paid = self.unpaid_overage.min(left);
        left -= overage_debt_paid;
        self.unpaid_base_fee -= base_debt_paid;
        self.unpaid_overage -= overage_debt_paid;
        let debt_paid = math::add(base_debt_paid, overage_debt_paid)?;
        let debt_split = config.split_base_fee(base_debt_paid)?.plus(config.split_overage(overage_debt_paid)?)?;
        let mut payout = debt_split;
        let mut spent = debt_paid;

        // 2. The current period's base fee, if not charged yet.
        let mut current = None;
        if !self.base_fee_paid {
            let charge = self.charge_base_fee(config, &mut left)?;
            payout = payout.plus(charge.split)?;
            spent = math::add(spent, charge.paid)?;
            current = Some(charge);
        }

        // 3. A new period once the current one is over; periods nobody rolled are skipped.
        let mut next = None;
        if now >= self.period_end {
            let period = math::next_period(self.period_end, now, config.period_secs)?;
            if self.pending_tier != NO_PENDING_TIER {
                self.tier = self.pending_tier;
                self.pending_tier = NO_PENDING_TIER;
            }
            self.period_start = period.start;
            self.period_end = period.end;
            self.period_requests = 0;
            self.period_overage_spend = 0;
            self.base_fee_paid = false;
            let charge = self.charge_base_fee(config, &mut left)?;
            payout = payout.plus(charge.split)?;
            spent = math::add(spent, charge.paid)?;
            next = Some(charge);
        }

        if debt_paid == 0 && current.is_none() && next.is_none() {
            return Err(fail(BillingError::PeriodNotEnded));
        }
        // 4. Back in good standing once nothing is owed.
        if self.unpaid_base_fee == 0 && self.unpaid_overage == 0 {
            self.status = STATUS_ACTIVE;
        }
        self.total_spent = math::add(self.total_spent, spent)?;
        Ok(Roll { debt_paid, debt_split, current, next, payout })
    }

    /// Charges the current tier's base fee for the current period from `left` (the vault balance not yet
    /// spent by this instruction); the shortfall becomes `unpaid_base_fee` and suspends the team.
    fn charge_base_fee(&mut self, config: &BillingConfig, left: &mut u64) -> Result<PeriodCharge, Error> {
        let fee = config.terms(self.tier)?.monthly_fee;
        let paid = fee.min(*left);
        let unpaid = fee - paid;
        self.unpaid_base_fee = math::add(self.unpaid_base_fee, unpaid)?;
        if unpaid > 0 {
            self.status = STATUS_SUSPENDED;
        }
        self.base_fee_paid = true;
        *left -= paid;
        Ok(PeriodCharge {
            period: Period { start: self.period_start, end: self.period_end },
            tier: self.tier,
            paid,
            split: config.split_base_fee(paid)?,
        })
    }

    /// Tier change at `now`: an upgrade (higher monthly fee) applies at once and, if this period's base
    /// fee is already paid, charges the prorated difference (InsufficientFunds if the vault cannot);
    /// a downgrade waits for the next period; the current tier cancels a pending change. InvalidTier
    /// beyond tier 2; OutstandingDebt while suspended.
    #[inline(always)]
    pub fn change_tier(&mut self, config: &BillingConfig, new_tier: u8, at: &Snapshot) -> Result<TierChange, Error> {
        let (now, vault) = (at.now, at.vault);
        if new_tier >= TIER_COUNT {
            return Err(fail(BillingError::InvalidTier));
        }
        if self.status == STATUS_SUSPENDED {
            return Err(fail(BillingError::OutstandingDebt));
        }
        let old_tier = self.tier;
        let mut change = TierChange { old_tier, new_tier, effective_at: now, prorated_fee: 0, split: Split::default() };
        if new_tier == old_tier {
            self.pending_tier = NO_PENDING_TIER;
            return Ok(change);
        }
        let old_fee = config.terms(old_tier)?.monthly_fee;
        let new_fee = config.terms(new_tier)?.monthly_fee;
        if new_fee > old_fee {
            let prorated = if self.base_fee_paid {
                math::prorated_fee(new_fee - old_fee, self.period_end, now, config.period_secs)?
            } else {
                0
            };
            if prorated > vault {
                return Err(fail(BillingError::InsufficientFunds));
            }
            self.total_spent = math::add(self.total_spent, prorated)?;
            self.tier = new_tier;
            self.pending_tier = NO_PENDING_TIER;
            change.prorated_fee = prorated;
            change.split = config.split_base_fee(prorated)?;
        } else {
            self.pending_tier = new_tier;
            change.effective_at = self.period_end;
        }
        Ok(change)
    }

    /// Sets (or with `amount = 0` cancels) the pending withdrawal; it unlocks `notice_secs` from `now`.
    /// The amount may not exceed `vault − debt` (InsufficientFunds); cancelling nothing is
    /// NoPendingWithdrawal.
    #[inline(always)]
    pub fn request_withdrawal(&mut self, amount: u64, notice_secs: i64, at: &Snapshot) -> Result<(), Error> {
        let (now, vault) = (at.now, at.vault);
        if amount == 0 {
            if self.pending_withdrawal == 0 {
                return Err(fail(BillingError::NoPendingWithdrawal));
            }
            self.pending_withdrawal = 0;
            self.withdrawal_unlock_at = 0;
            return Ok(());
        }
        if amount > self.withdrawable(vault) {
            return Err(fail(BillingError::InsufficientFunds));
        }
        self.withdrawal_unlock_at = now.checked_add(notice_secs).ok_or(math::overflow())?;
        self.pending_withdrawal = amount;
        Ok(())
    }

    /// Completes the pending withdrawal at `now`: returns `min(pending, vault − debt)` and clears the
    /// request. NoPendingWithdrawal without a request, WithdrawalNotReady before the unlock time.
    #[inline(always)]
    pub fn withdraw(&mut self, at: &Snapshot) -> Result<u64, Error> {
        let (now, vault) = (at.now, at.vault);
        if self.pending_withdrawal == 0 {
            return Err(fail(BillingError::NoPendingWithdrawal));
        }
        if now < self.withdrawal_unlock_at {
            return Err(fail(BillingError::WithdrawalNotReady));
        }
        let amount = self.pending_withdrawal.min(self.withdrawable(vault));
        self.total_withdrawn = math::add(self.total_withdrawn, amount)?;
        self.pending_withdrawal = 0;
        self.withdrawal_unlock_at = 0;
        Ok(amount)
    }

    /// Books a deposit of `amount` that left the vault at `balance_after`; reaching the threshold again
    /// re-arms the low-balance alert.
    pub fn record_deposit(&mut self, amount: u64, balance_after: u64) -> Result<(), Error> {
        self.total_deposited = math::add(self.total_deposited, amount)?;
        if balance_after >= self.low_balance_threshold {
            self.low_balance_alerted = false;
        }
        Ok(())
    }

    /// After an instruction that can lower the vault: true (and the alert is marked sent) when the
    /// balance is below the threshold and no alert was sent since the last time it was above.
    pub fn crossed_low_balance(&mut self, balance: u64) -> bool {
        if balance < self.low_balance_threshold && !self.low_balance_alerted {
            self.low_balance_alerted = true;
            true
        } else {
            false
        }
    }

    /// A team can be closed only without debt (OutstandingDebt) and with an empty vault (TeamNotEmpty).
    pub fn ensure_closable(&self, vault: u64) -> Result<(), Error> {
        if self.unpaid_base_fee > 0 || self.unpaid_overage > 0 {
            return Err(fail(BillingError::OutstandingDebt));
        }
        if vault > 0 {
            return Err(fail(BillingError::TeamNotEmpty));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::layout::InitConfigArgs;
    use crate::runtime::borsh::{Borsh, Reader, Writer};
    use crate::state::config::ConfigLinks;

    const USDC: u64 = 1_000_000;
    const PERIOD: i64 = 2_592_000;

    fn config() -> BillingConfig {
        let args = InitConfigArgs {
            billing_authority: Pubkey([2; 32]),
            withdrawal_notice_secs: 900,
            period_secs: PERIOD,
            base_fee_treasury_bps: 9_000,
            overage_treasury_bps: 0,
            tiers: [
                TierTerms { monthly_fee: 50 * USDC, included_requests: 10_000, overage_price: 10_000 },
                TierTerms { monthly_fee: 250 * USDC, included_requests: 100_000, overage_price: 5_000 },
                TierTerms { monthly_fee: 1_000 * USDC, included_requests: 500_000, overage_price: 2_000 },
            ],
        };
        let (m, t, s) = (Pubkey([3; 32]), Pubkey([4; 32]), Pubkey([5; 32]));
        BillingConfig::new(&Pubkey([1; 32]), &ConfigLinks { usdc_mint: &m, treasury: &t, staker_pool: &s }, &args, 255)
            .unwrap()
    }

    fn team(tier: u8) -> TeamBillingAccount {
        TeamBillingAccount::open(&Opening {
            owner: &Pubkey([7; 32]),
            vault: &Pubkey([8; 32]),
            tier,
            now: 1_000,
            period_secs: PERIOD,
            bump: 250,
            vault_bump: 251,
        })
        .unwrap()
    }

    fn err(e: BillingError) -> Error {
        fail(e)
    }

    #[test]
    fn a_new_team_starts_a_period_with_its_base_fee_due() {
        let t = team(1);
        assert_eq!(
            (t.owner, t.vault, t.tier, t.pending_tier, t.status),
            (Pubkey([7; 32]), Pubkey([8; 32]), 1, NO_PENDING_TIER, STATUS_ACTIVE)
        );
        assert_eq!((t.period_start, t.period_end), (1_000, 1_000 + PERIOD));
        assert!(!t.base_fee_paid);
        assert_eq!(t.low_balance_threshold, 10 * USDC);
        assert_eq!((t.bump, t.vault_bump, t.spend_cap, t.last_batch_seq), (250, 251, 0, 0));
        let bad = Opening {
            owner: &Pubkey([7; 32]),
            vault: &Pubkey([8; 32]),
            tier: 3,
            now: 0,
            period_secs: 1,
            bump: 0,
            vault_bump: 0,
        };
        assert_eq!(TeamBillingAccount::open(&bad), Err(err(BillingError::InvalidTier)));
        let late = Opening {
            owner: &Pubkey([7; 32]),
            vault: &Pubkey([8; 32]),
            tier: 0,
            now: i64::MAX,
            period_secs: 1,
            bump: 0,
            vault_bump: 0,
        };
        assert_eq!(TeamBillingAccount::open(&late), Err(math::overflow()));
    }

    #[test]
    fn usage_within_the_quota_is_free_and_beyond_it_is_priced_from_the_tier() {
        let c = config();
        let mut t = team(0);
        let terms = c.terms(0).unwrap();
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 1, request_count: 10_000 }, 100 * USDC),
            Ok(UsageCharge { charged: 0, paid: 0, waived: 0 })
        );
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 2, request_count: 1_000 }, 100 * USDC),
            Ok(UsageCharge { charged: 10 * USDC, paid: 10 * USDC, waived: 0 })
        );
        assert_eq!(
            (t.period_requests, t.period_overage_spend, t.total_spent, t.last_batch_seq),
            (11_000, 10 * USDC, 10 * USDC, 2)
        );
        assert_eq!(c.split_overage(10 * USDC).unwrap(), Split { treasury: 0, stakers: 10 * USDC });
    }

    #[test]
    fn batches_are_charged_once_and_in_sequence() {
        let terms = config().terms(0).unwrap();
        let mut t = team(0);
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 0, request_count: 5 }, 0),
            Err(err(BillingError::BatchAlreadySettled))
        );
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 2, request_count: 5 }, 0),
            Err(err(BillingError::BatchSequenceGap))
        );
        t.settle_usage(&terms, &UsageBatch { seq: 1, request_count: 5 }, 0).unwrap();
        let before = t;
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 1, request_count: 5 }, 0),
            Err(err(BillingError::BatchAlreadySettled))
        );
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: u64::MAX, request_count: 5 }, 0),
            Err(err(BillingError::BatchSequenceGap))
        );
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 2, request_count: 0 }, 0),
            Err(err(BillingError::InvalidAmount))
        );
        assert_eq!(t, before);
        t.last_batch_seq = u64::MAX;
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: u64::MAX, request_count: 5 }, 0),
            Err(err(BillingError::BatchAlreadySettled))
        );
    }

    #[test]
    fn the_spend_cap_waives_overage_beyond_it_for_the_period() {
        let terms = config().terms(0).unwrap();
        let mut t = team(0);
        t.spend_cap = 15 * USDC;
        t.period_requests = 10_000;
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 1, request_count: 1_000 }, 100 * USDC).unwrap(),
            UsageCharge { charged: 10 * USDC, paid: 10 * USDC, waived: 0 }
        );
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 2, request_count: 1_000 }, 100 * USDC).unwrap(),
            UsageCharge { charged: 5 * USDC, paid: 5 * USDC, waived: 5 * USDC }
        );
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 3, request_count: 1_000 }, 100 * USDC).unwrap(),
            UsageCharge { charged: 0, paid: 0, waived: 10 * USDC }
        );
        assert_eq!(t.period_overage_spend, 15 * USDC);
        assert_eq!(t.period_requests, 13_000);
    }

    #[test]
    fn what_the_vault_cannot_pay_becomes_debt_and_suspends_the_team() {
        let terms = config().terms(0).unwrap();
        let mut t = team(0);
        t.period_requests = 10_000;
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 1, request_count: 1_000 }, 4 * USDC).unwrap(),
            UsageCharge { charged: 10 * USDC, paid: 4 * USDC, waived: 0 }
        );
        assert_eq!((t.unpaid_overage, t.status, t.total_spent), (6 * USDC, STATUS_SUSPENDED, 4 * USDC));
    }

    #[test]
    fn usage_that_would_overflow_fails_without_changes() {
        let terms = TierTerms { monthly_fee: 0, included_requests: 0, overage_price: u64::MAX };
        let mut t = team(0);
        let before = t;
        assert_eq!(t.settle_usage(&terms, &UsageBatch { seq: 1, request_count: 2 }, u64::MAX), Err(math::overflow()));
        assert_eq!(
            t.settle_usage(&terms, &UsageBatch { seq: 1, request_count: u64::MAX }, u64::MAX),
            Err(math::overflow())
        );
        assert_eq!(t, before);
        t.period_requests = u64::MAX;
        let free = TierTerms { monthly_fee: 0, included_requests: u64::MAX, overage_price: 1 };
        assert_eq!(t.settle_usage(&free, &UsageBatch { seq: 1, request_count: 1 }, 0), Err(math::overflow()));
    }

    #[test]
    fn the_first_roll_charges_the_base_fee_and_splits_it() {
        let c = config();
        let mut t = team(0);
        let r = t.roll(&c, &Snapshot { now: 2_000, vault: 100 * USDC }).unwrap();
        let charge = r.current.unwrap();
        assert_eq!(charge.paid, 50 * USDC);
        assert_eq!(charge.split, Split { treasury: 45 * USDC, stakers: 5 * USDC });
        assert_eq!(charge.period, Period { start: 1_000, end: 1_000 + PERIOD });
        assert_eq!(r.next, None);
        assert_eq!(r.payout, charge.split);
        assert!(t.base_fee_paid);
        assert_eq!(t.total_spent, 50 * USDC);
        assert_eq!(t.roll(&c, &Snapshot { now: 2_000, vault: 50 * USDC }), Err(err(BillingError::PeriodNotEnded)));
    }

    #[test]
    fn a_base_fee_shortfall_becomes_debt_collected_by_a_later_roll() {
        let c = config();
        let mut t = team(0);
        let r = t.roll(&c, &Snapshot { now: 2_000, vault: 20 * USDC }).unwrap();
        assert_eq!(r.current.unwrap().paid, 20 * USDC);
        assert_eq!((t.unpaid_base_fee, t.status), (30 * USDC, STATUS_SUSPENDED));
        t.unpaid_overage = 5 * USDC;
        // Nothing in the vault: nothing changes.
        assert_eq!(t.roll(&c, &Snapshot { now: 3_000, vault: 0 }), Err(err(BillingError::PeriodNotEnded)));
        // Part of the debt: base-fee debt first.
        let r = t.roll(&c, &Snapshot { now: 3_000, vault: 32 * USDC }).unwrap();
        assert_eq!(r.debt_paid, 32 * USDC);
        assert_eq!(r.debt_split, Split { treasury: 27 * USDC, stakers: 3 * USDC + 2 * USDC });
        assert_eq!((t.unpaid_base_fee, t.unpaid_overage, t.status), (0, 3 * USDC, STATUS_SUSPENDED));
        let r = t.roll(&c, &Snapshot { now: 3_000, vault: 10 * USDC }).unwrap();
        assert_eq!(r.debt_paid, 3 * USDC);
        assert_eq!(t.status, STATUS_ACTIVE);
        assert_eq!(t.total_spent, 20 * USDC + 32 * USDC + 3 * USDC);
    }

    #[test]
    fn rolling_after_the_period_starts_the_latest_one_applies_the_pending_tier_and_resets_counters() {
        let c = config();
        let mut t = team(1);
        t.roll(&c, &Snapshot { now: 2_000, vault: 250 * USDC }).unwrap();
        t.pending_tier = 0;
        t.period_requests = 77;
        t.period_overage_spend = 5;
        // Three periods later (two never rolled): only the current one is billed.
        let now = 1_000 + 3 * PERIOD + 10;
        let r = t.roll(&c, &Snapshot { now, vault: 100 * USDC }).unwrap();
        assert_eq!(r.current, None);
        let next = r.next.unwrap();
        assert_eq!(next.period, Period { start: 1_000 + 3 * PERIOD, end: 1_000 + 4 * PERIOD });
        assert_eq!((next.tier, next.paid), (0, 50 * USDC));
        assert_eq!((t.tier, t.pending_tier, t.period_requests, t.period_overage_spend), (0, NO_PENDING_TIER, 0, 0));
        assert!(t.base_fee_paid);
    }

    #[test]
    fn an_unpaid_ended_period_is_billed_before_the_next_one_starts() {
        let c = config();
        let mut t = team(0);
        let r = t.roll(&c, &Snapshot { now: 1_000 + PERIOD, vault: 70 * USDC }).unwrap();
        assert_eq!(r.current.unwrap().paid, 50 * USDC);
        assert_eq!(r.next.unwrap().paid, 20 * USDC);
        assert_eq!(r.payout, Split { treasury: 63 * USDC, stakers: 7 * USDC });
        assert_eq!((t.unpaid_base_fee, t.status), (30 * USDC, STATUS_SUSPENDED));
    }

    #[test]
    fn upgrades_charge_the_prorated_difference_once_the_fee_is_paid() {
        let c = config();
        let mut t = team(0);
        // Fee not yet paid: nothing now, the roll will charge the new tier.
        let change = t.change_tier(&c, 1, &Snapshot { now: 2_000, vault: 0 }).unwrap();
        assert_eq!((change.old_tier, change.new_tier, change.prorated_fee, change.effective_at), (0, 1, 0, 2_000));
        assert_eq!(t.tier, 1);
        let mut t = team(0);
        t.base_fee_paid = true;
        t.pending_tier = 0;
        let half = 1_000 + PERIOD / 2;
        assert_eq!(
            t.change_tier(&c, 2, &Snapshot { now: half, vault: 100 * USDC }),
            Err(err(BillingError::InsufficientFunds))
        );
        let change = t.change_tier(&c, 2, &Snapshot { now: half, vault: 475 * USDC }).unwrap();
        assert_eq!(change.prorated_fee, 475 * USDC);
        assert_eq!(change.split, Split { treasury: 427_500_000, stakers: 47_500_000 });
        assert_eq!((t.tier, t.pending_tier, t.total_spent), (2, NO_PENDING_TIER, 475 * USDC));
    }

    #[test]
    fn downgrades_wait_for_the_next_period_and_the_current_tier_cancels_them() {
        let c = config();
        let mut t = team(2);
        let change = t.change_tier(&c, 0, &Snapshot { now: 5_000, vault: 0 }).unwrap();
        assert_eq!((change.effective_at, change.prorated_fee, t.tier, t.pending_tier), (t.period_end, 0, 2, 0));
        let change = t.change_tier(&c, 2, &Snapshot { now: 6_000, vault: 0 }).unwrap();
        assert_eq!((change.old_tier, change.new_tier, change.effective_at), (2, 2, 6_000));
        assert_eq!(t.pending_tier, NO_PENDING_TIER);
    }

    #[test]
    fn tier_changes_refuse_unknown_tiers_and_suspended_teams() {
        let c = config();
        let mut t = team(0);
        assert_eq!(t.change_tier(&c, 3, &Snapshot { now: 0, vault: 0 }), Err(err(BillingError::InvalidTier)));
        t.status = STATUS_SUSPENDED;
        assert_eq!(t.change_tier(&c, 1, &Snapshot { now: 0, vault: 0 }), Err(err(BillingError::OutstandingDebt)));
    }

    #[test]
    fn withdrawals_wait_for_the_notice_and_never_take_the_debt() {
        let mut t = team(0);
        assert_eq!(
            t.request_withdrawal(0, 900, &Snapshot { now: 10, vault: 50 }),
            Err(err(BillingError::NoPendingWithdrawal))
        );
        t.unpaid_overage = 20;
        assert_eq!(
            t.request_withdrawal(31, 900, &Snapshot { now: 10, vault: 50 }),
            Err(err(BillingError::InsufficientFunds))
        );
        t.request_withdrawal(30, 900, &Snapshot { now: 10, vault: 50 }).unwrap();
        assert_eq!((t.pending_withdrawal, t.withdrawal_unlock_at), (30, 910));
        assert_eq!(t.withdraw(&Snapshot { now: 909, vault: 50 }), Err(err(BillingError::WithdrawalNotReady)));
        // The vault shrank meanwhile: only what is left above the debt goes out.
        assert_eq!(t.withdraw(&Snapshot { now: 910, vault: 40 }), Ok(20));
        assert_eq!((t.pending_withdrawal, t.withdrawal_unlock_at, t.total_withdrawn), (0, 0, 20));
        assert_eq!(t.withdraw(&Snapshot { now: 2_000, vault: 40 }), Err(err(BillingError::NoPendingWithdrawal)));
        t.request_withdrawal(5, 900, &Snapshot { now: 10, vault: 50 }).unwrap();
        t.request_withdrawal(0, 900, &Snapshot { now: 11, vault: 50 }).unwrap();
        assert_eq!((t.pending_withdrawal, t.withdrawal_unlock_at), (0, 0));
        assert_eq!(t.request_withdrawal(1, 1, &Snapshot { now: i64::MAX, vault: 50 }), Err(math::overflow()));
    }

    #[test]
    fn the_low_balance_alert_fires_once_per_crossing() {
        let mut t = team(0);
        t.low_balance_threshold = 10;
        assert!(!t.crossed_low_balance(12));
        assert!(t.crossed_low_balance(9));
        assert!(!t.crossed_low_balance(8));
        t.record_deposit(1, 9).unwrap();
        assert!(!t.crossed_low_balance(9));
        t.record_deposit(4, 13).unwrap();
        assert!(!t.low_balance_alerted);
        assert!(t.crossed_low_balance(9));
        assert_eq!(t.total_deposited, 5);
        t.total_deposited = u64::MAX;
        assert_eq!(t.record_deposit(1, 1), Err(math::overflow()));
    }

    #[test]
    fn closing_needs_no_debt_and_an_empty_vault() {
        let mut t = team(0);
        assert_eq!(t.ensure_closable(1), Err(err(BillingError::TeamNotEmpty)));
        assert_eq!(t.ensure_closable(0), Ok(()));
        t.unpaid_base_fee = 1;
        assert_eq!(t.ensure_closable(0), Err(err(BillingError::OutstandingDebt)));
    }

    #[test]
    fn the_team_codec_round_trips_at_the_idl_size() {
        let mut t = team(2);
        t.last_batch_seq = 0x0102_0304_0506_0708;
        t.total_spent = u64::MAX;
        let mut buf = [0u8; 183];
        let mut w = Writer::new(&mut buf, Error::ACCOUNT_DID_NOT_SERIALIZE);
        t.encode(&mut w).unwrap();
        assert_eq!(w.position(), crate::generated::interface::account::TEAM_BILLING_ACCOUNT_LEN);
        // IDL order, integers 8-aligned: owner 0, vault 32, period_start 64, ..., last_batch_seq 112, ...,
        // total_spent 168; then tier 176, pending_tier 177, ..., bump 181, vault_bump 182.
        assert_eq!(&buf[64..72], &1_000i64.to_le_bytes());
        assert_eq!(&buf[112..120], &0x0102_0304_0506_0708u64.to_le_bytes());
        assert_eq!(&buf[168..176], &u64::MAX.to_le_bytes());
        assert_eq!((buf[176], buf[177]), (2, NO_PENDING_TIER));
        assert_eq!((buf[181], buf[182]), (250, 251));
        let mut r = Reader::new(&buf, Error::ACCOUNT_DID_NOT_DESERIALIZE);
        assert_eq!(TeamBillingAccount::decode(&mut r).unwrap(), t);
    }
}
