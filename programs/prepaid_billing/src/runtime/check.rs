//! Account checks shared by every instruction, each failing with the code Anchor uses for the same
//! constraint, so clients see the same errors they would from an Anchor program.

use super::error::Error;
use super::{keys_eq, AccountInfo, Pubkey, SYSTEM_PROGRAM_ID};

/// The account signed the transaction (3010 AccountNotSigner).
#[inline(always)]
pub fn signer(account: &AccountInfo) -> Result<(), Error> {
    if account.is_signer() {
        Ok(())
    } else {
        Err(Error::ACCOUNT_NOT_SIGNER)
    }
}

/// The account was passed writable (2000 ConstraintMut).
#[inline(always)]
pub fn writable(account: &AccountInfo) -> Result<(), Error> {
    if account.is_writable() {
        Ok(())
    } else {
        Err(Error::CONSTRAINT_MUT)
    }
}

/// The account is the program `id` (3008 InvalidProgramId).
#[inline(always)]
pub fn program(account: &AccountInfo, id: &Pubkey) -> Result<(), Error> {
    if keys_eq(account.key(), id) {
        Ok(())
    } else {
        Err(Error::INVALID_PROGRAM_ID)
    }
}

/// The account is owned by `owner`: an empty system account is 3012 AccountNotInitialized, any other
/// owner 3007 AccountOwnedByWrongProgram.
#[inline(always)]
pub fn owned_by(account: &AccountInfo, owner: &Pubkey) -> Result<(), Error> {
    if keys_eq(account.owner(), owner) {
        Ok(())
    } else if keys_eq(account.owner(), &SYSTEM_PROGRAM_ID) && account.lamports() == 0 {
        Err(Error::ACCOUNT_NOT_INITIALIZED)
    } else {
        Err(Error::ACCOUNT_OWNED_BY_WRONG_PROGRAM)
    }
}

/// The account's address is `expected`, else `error`.
#[inline(always)]
pub fn address(account: &AccountInfo, expected: &Pubkey, error: Error) -> Result<(), Error> {
    if keys_eq(account.key(), expected) {
        Ok(())
    } else {
        Err(error)
    }
}
