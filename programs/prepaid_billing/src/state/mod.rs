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
#[path = "tests.rs"]
mod tests;
