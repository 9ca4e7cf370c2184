//! Program accounts: their seeds, and loading/storing them in Anchor's layout (8-byte discriminator,
//! then the Borsh struct generated from the IDL). The business rules live on the state types
//! (`config.rs`, `team.rs`); instructions only load, call and store.

pub mod config;
pub mod team;

use crate::runtime::borsh::{Borsh, Discriminator, Reader, Writer};
use crate::runtime::{check, AccountInfo, Error, Pubkey};

/// Seed of the deployment's `BillingConfig`: `["config"]`.
pub const CONFIG_SEED: &[u8] = b"config";
/// Seed of an owner's `TeamBillingAccount`: `["team_billing", owner]`.
pub const TEAM_SEED: &[u8] = b"team_billing";
/// Seed of an owner's team vault (SPL token account, authority = the team PDA): `["team_usdc", owner]`.
pub const VAULT_SEED: &[u8] = b"team_usdc";

/// Reads a `T` this program owns from `account`, checking owner (3012/3007) and discriminator
/// (3001/3002); a body too short for `T` is 3003. An account that passes was written by this program
/// when it created it at its PDA, so owner + discriminator authenticate it without re-deriving the PDA.
pub fn load<T: Borsh + Discriminator>(account: &AccountInfo, program_id: &Pubkey) -> Result<T, Error> {
    check::owned_by(account, program_id)?;
    let data = account.data();
    let prefix: [u8; 8] = data
        .get(..8)
        .and_then(|d| d.try_into().ok())
        .ok_or(Error::ACCOUNT_DISCRIMINATOR_NOT_FOUND)?;
    if u64::from_le_bytes(prefix) != u64::from_le_bytes(T::DISCRIMINATOR) {
        return Err(Error::ACCOUNT_DISCRIMINATOR_MISMATCH);
    }
    let body = data.get(8..).unwrap_or(&[]);
    T::decode(&mut Reader::new(body, Error::ACCOUNT_DID_NOT_DESERIALIZE))
}

/// Writes `value` back into `account` after its discriminator.
pub fn store<T: Borsh>(account: &mut AccountInfo, value: &T) -> Result<(), Error> {
    let body = account.data_mut().get_mut(8..).ok_or(Error::ACCOUNT_DID_NOT_SERIALIZE)?;
    value.encode(&mut Writer::new(body, Error::ACCOUNT_DID_NOT_SERIALIZE))
}

/// Writes the discriminator and `value` into a freshly created `account`.
pub fn init<T: Borsh + Discriminator>(account: &mut AccountInfo, value: &T) -> Result<(), Error> {
    let mut w = Writer::new(account.data_mut(), Error::ACCOUNT_DID_NOT_SERIALIZE);
    w.bytes(&T::DISCRIMINATOR)?;
    value.encode(&mut w)
}

/// Space of an account holding a `T`: discriminator + Borsh body, bytes.
pub const fn space<T: Borsh>() -> u64 {
    8 + T::MAX_LEN as u64
}
