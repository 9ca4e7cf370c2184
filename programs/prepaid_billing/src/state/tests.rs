//! Unit tests of `state/mod.rs` (host only, `cargo test`), kept in their own file beside it.

use super::*;
use crate::generated::layout::{BillingConfig, TeamBillingAccount, TierTerms};
use crate::runtime::aligned::Aligned;
use crate::runtime::borsh::{Borsh, Reader, Writer};

fn sample_team() -> TeamBillingAccount {
    TeamBillingAccount {
        owner: Pubkey([1; 32]),
        vault: Pubkey([2; 32]),
        period_start: -3,
        period_end: 4,
        period_requests: 5,
        period_overage_spend: 6,
        spend_cap: 7,
        low_balance_threshold: 8,
        last_batch_seq: 9,
        unpaid_base_fee: 10,
        unpaid_overage: 11,
        pending_withdrawal: 12,
        withdrawal_unlock_at: 13,
        total_deposited: 14,
        total_withdrawn: 15,
        total_spent: u64::MAX,
        tier: 2,
        pending_tier: 255,
        status: 1,
        base_fee_paid: true,
        low_balance_alerted: false,
        bump: 250,
        vault_bump: 251,
    }
}

fn sample_config() -> BillingConfig {
    BillingConfig {
        admin: Pubkey([1; 32]),
        billing_authority: Pubkey([2; 32]),
        usdc_mint: Pubkey([3; 32]),
        treasury: Pubkey([4; 32]),
        staker_pool: Pubkey([5; 32]),
        withdrawal_notice_secs: 900,
        period_secs: 2_592_000,
        tiers: [
            TierTerms { monthly_fee: 1, included_requests: 2, overage_price: 3 },
            TierTerms { monthly_fee: 4, included_requests: 5, overage_price: 6 },
            TierTerms { monthly_fee: 7, included_requests: 8, overage_price: u64::MAX },
        ],
        base_fee_treasury_bps: 9_000,
        overage_treasury_bps: 10_000,
        paused: true,
        bump: 253,
    }
}

/// The in-place layout writes exactly the Borsh encoding after the discriminator, and reads it back.
fn assert_in_place_matches_borsh<T: AccountLayout + Borsh + PartialEq + core::fmt::Debug, const N: usize>(value: T) {
    let mut data = Aligned([0xEEu8; N]);
    value.write(&mut data.0).unwrap();
    let mut borsh = [0u8; N];
    let mut w = Writer::new(&mut borsh, Error::ACCOUNT_DID_NOT_SERIALIZE);
    value.encode(&mut w).unwrap();
    let len = w.position();
    assert_eq!(&data.0[8..8 + len], &borsh[..len]);
    assert!(data.0[..8].iter().all(|b| *b == 0xEE), "the discriminator is not touched");
    assert_eq!(T::read(&data.0).unwrap(), value);
    let mut r = Reader::new(&data.0[8..], Error::ACCOUNT_DID_NOT_DESERIALIZE);
    assert_eq!(T::decode(&mut r).unwrap(), value);
}

#[test]
fn accounts_in_place_are_their_borsh_encoding() {
    assert_in_place_matches_borsh::<_, 192>(sample_team());
    assert_in_place_matches_borsh::<_, 264>(sample_config());
    assert_eq!(space::<TeamBillingAccount>(), 192);
    assert_eq!(space::<BillingConfig>(), 264);
}

#[test]
fn in_place_reads_refuse_short_unaligned_or_malformed_data() {
    let mut data = Aligned([0u8; 200]);
    sample_team().write(&mut data.0).unwrap();
    assert!(TeamBillingAccount::read(&data.0[..191]).is_err());
    assert!(TeamBillingAccount::read(&data.0[1..193]).is_err());
    // base_fee_paid is the byte after tier, pending_tier and status.
    data.0[8 + 179] = 2;
    assert_eq!(TeamBillingAccount::read(&data.0), Err(Error::ACCOUNT_DID_NOT_DESERIALIZE));
    assert_eq!(sample_team().write(&mut data.0[..190]), Err(Error::ACCOUNT_DID_NOT_SERIALIZE));
}
