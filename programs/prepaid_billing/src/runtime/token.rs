//! Read-only views of SPL Token accounts and mints (the Tokenkeg program's packed layouts).

use super::check;
use super::error::Error;
use super::{AccountInfo, Pubkey, TOKEN_PROGRAM_ID};

/// Size of a token account, bytes.
pub const ACCOUNT_LEN: usize = 165;
/// Size of a mint, bytes.
pub const MINT_LEN: usize = 82;

/// `AccountState::Initialized` at byte 108 of a token account.
const STATE_INITIALIZED: u8 = 1;

/// The fields of a token account this program checks.
pub struct TokenAccount {
    pub mint: Pubkey,
    /// The authority that may move its tokens.
    pub owner: Pubkey,
    /// Balance, base units.
    pub amount: u64,
}

/// Reads `account` as an initialized token account of the Tokenkeg program, failing as Anchor's
/// `Account<TokenAccount>` does: 3012/3007 for the owner, 3003 for data that is not an initialized
/// token account.
pub fn account(account: &AccountInfo) -> Result<TokenAccount, Error> {
    check::owned_by(account, &TOKEN_PROGRAM_ID)?;
    let error = Error::ACCOUNT_DID_NOT_DESERIALIZE;
    let data = account.data();
    if data.len() != ACCOUNT_LEN || data.get(108) != Some(&STATE_INITIALIZED) {
        return Err(error);
    }
    Ok(TokenAccount {
        mint: key_at(data, 0).ok_or(error)?,
        owner: key_at(data, 32).ok_or(error)?,
        amount: amount_of(data).ok_or(error)?,
    })
}

/// The balance of a token account already known to be genuine (its address is a stored link), base
/// units; `error` if the data is not a token account's.
#[inline(always)]
pub fn amount(account: &AccountInfo, error: Error) -> Result<u64, Error> {
    let data = account.data();
    if data.len() != ACCOUNT_LEN {
        return Err(error);
    }
    amount_of(data).ok_or(error)
}

#[inline(always)]
fn key_at(data: &[u8], at: usize) -> Option<Pubkey> {
    data.get(at..at + 32)?.try_into().ok().map(Pubkey)
}

#[inline(always)]
fn amount_of(data: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = data.get(64..72)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// Checks that `account` is an initialized mint of the Tokenkeg program, else `error`.
pub fn mint(account: &AccountInfo, error: Error) -> Result<(), Error> {
    check::owned_by(account, &TOKEN_PROGRAM_ID).map_err(|_| error)?;
    let data = account.data();
    // `is_initialized` is byte 45 of a mint.
    if data.len() != MINT_LEN || data.get(45) != Some(&1) {
        return Err(error);
    }
    Ok(())
}
