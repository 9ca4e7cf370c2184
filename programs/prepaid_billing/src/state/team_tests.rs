//! Unit tests of `state/team.rs` (host only, `cargo test`), kept in their own file beside it.

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
