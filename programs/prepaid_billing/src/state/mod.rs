//! Program accounts: their seeds, and loading/storing them in Anchor's layout (8-byte discriminator,
//! then the Borsh struct generated from the IDL). The business rules live on the state types
//! (`config.rs`, `team.rs`); instructions only load, call and store.

pub mod config;
pub mod team;

use crate::generated::interface::{CONFIG_ADDRESS, CONFIG_BUMP, PROGRAM_ID};
use crate::generated::layout::{BillingConfig, TeamBillingAccount};
use crate::runtime::aligned::{self, AccountLayout};
use crate::runtime::borsh::Discriminator;
use crate::runtime::cpi::Seeds;
use crate::runtime::{check, keys_eq, pda, AccountInfo, Error, Pubkey};

/// Seed of the deployment's `BillingConfig`: `["config"]`.
pub const CONFIG_SEED: &[u8] = b"config";
/// Seed of an owner's `TeamBillingAccount`: `["team_billing", owner]`.
pub const TEAM_SEED: &[u8] = b"team_billing";
/// Seed of an owner's team vault (SPL token account, authority = the team PDA): `["team_usdc", owner]`.
pub const VAULT_SEED: &[u8] = b"team_usdc";

/// The program id declared in Anchor.toml (the IDL's address).
pub const DECLARED_PROGRAM_ID: Pubkey = Pubkey(PROGRAM_ID);

/// Loads the deployment's `BillingConfig` and checks that `account` is its PDA `["config"]` with the
/// stored bump (2006 ConstraintSeeds). Under the declared program id the address is known at build time.
pub fn load_config(account: &AccountInfo, program_id: &Pubkey) -> Result<BillingConfig, Error> {
    let config: BillingConfig = load(account, program_id)?;
    if keys_eq(program_id, &DECLARED_PROGRAM_ID) {
        if keys_eq(account.key(), &Pubkey(CONFIG_ADDRESS)) && config.bump == CONFIG_BUMP {
            return Ok(config);
        }
        return Err(Error::CONSTRAINT_SEEDS);
    }
    let bump = [config.bump];
    pda::verify(&Seeds::new(&[CONFIG_SEED, &bump]), program_id, account.key())?;
    Ok(config)
}

/// Loads a `TeamBillingAccount` and checks that `account` is the PDA `["team_billing", team.owner]` with
/// the stored bump (2006 ConstraintSeeds). Its `vault` was stored from the vault PDA at creation.
pub fn load_team(account: &AccountInfo, program_id: &Pubkey) -> Result<TeamBillingAccount, Error> {
    let team: TeamBillingAccount = load(account, program_id)?;
    let bump = [team.bump];
    pda::verify(&Seeds::new(&[TEAM_SEED, &team.owner.0, &bump]), program_id, account.key())?;
    Ok(team)
}

/// Reads a `T` this program owns from `account`, checking owner (3012/3007) and discriminator
/// (3001/3002); data too short for `T` is 3003. The address is checked by `load_config`/`load_team`.
pub fn load<T: AccountLayout + Discriminator>(account: &AccountInfo, program_id: &Pubkey) -> Result<T, Error> {
    check::owned_by(account, program_id)?;
    let data = account.data();
    let prefix = data.get(..8).ok_or(Error::ACCOUNT_DISCRIMINATOR_NOT_FOUND)?;
    let prefix = aligned::view::<8>(prefix).ok_or(Error::ACCOUNT_DID_NOT_DESERIALIZE)?;
    if aligned::u64_at::<8, 0>(prefix) != u64::from_le_bytes(T::DISCRIMINATOR) {
        return Err(Error::ACCOUNT_DISCRIMINATOR_MISMATCH);
    }
    T::read(data)
}

/// Writes `value` back into `account` (the discriminator is left as it is).
pub fn store<T: AccountLayout>(account: &mut AccountInfo, value: &T) -> Result<(), Error> {
    value.write(account.data_mut())
}

/// Writes the discriminator and `value` into a freshly created `account`.
pub fn init<T: AccountLayout + Discriminator>(account: &mut AccountInfo, value: &T) -> Result<(), Error> {
    let data = account.data_mut();
    let prefix = data.get_mut(..8).and_then(aligned::view_mut::<8>).ok_or(Error::ACCOUNT_DID_NOT_SERIALIZE)?;
    aligned::put_u64::<8, 0>(prefix, u64::from_le_bytes(T::DISCRIMINATOR));
    value.write(data)
}

/// Space of an account holding a `T`, bytes.
pub const fn space<T: AccountLayout>() -> u64 {
    T::SPACE as u64
}

#[cfg(test)]
mod tests {
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
    fn assert_in_place_matches_borsh<T: AccountLayout + Borsh + PartialEq + core::fmt::Debug, const N: usize>(
        value: T,
    ) {
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
}
