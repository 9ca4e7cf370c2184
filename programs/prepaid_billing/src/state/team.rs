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
#[path = "team_tests.rs"]
mod tests;
