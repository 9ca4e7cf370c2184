//! One error type for the whole program: a nonzero code, returned to the runtime as `Custom(code)` and
//! logged the way Anchor logs errors so `AnchorError` decodes it in clients. Codes from 6000 are the
//! program's own (`BillingError`, generated from the IDL); lower codes are Anchor's framework codes,
//! used where the same check fails in an Anchor program (signer, mut, owner, discriminator, seeds…).
//!
//! `Error` is one register wide (`NonZeroU32`), so `Result<(), Error>` is returned in one register as
//! the BPF backend requires.

use core::num::NonZeroU32;

use super::log;
use crate::generated::interface::BillingError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error(NonZeroU32);

/// Builds a framework error constant; a zero code is rejected at compile time.
const fn framework(code: u32) -> Error {
    match NonZeroU32::new(code) {
        Some(c) => Error(c),
        None => panic!("error codes are nonzero"),
    }
}

impl Error {
    pub const INSTRUCTION_MISSING: Error = framework(100);
    pub const INSTRUCTION_FALLBACK_NOT_FOUND: Error = framework(101);
    pub const INSTRUCTION_DID_NOT_DESERIALIZE: Error = framework(102);
    pub const CONSTRAINT_MUT: Error = framework(2000);
    pub const CONSTRAINT_SEEDS: Error = framework(2006);
    pub const CONSTRAINT_ADDRESS: Error = framework(2012);
    pub const CONSTRAINT_TOKEN_MINT: Error = framework(2014);
    pub const CONSTRAINT_TOKEN_OWNER: Error = framework(2015);
    pub const ACCOUNT_DISCRIMINATOR_NOT_FOUND: Error = framework(3001);
    pub const ACCOUNT_DISCRIMINATOR_MISMATCH: Error = framework(3002);
    pub const ACCOUNT_DID_NOT_DESERIALIZE: Error = framework(3003);
    pub const ACCOUNT_DID_NOT_SERIALIZE: Error = framework(3004);
    pub const ACCOUNT_NOT_ENOUGH_KEYS: Error = framework(3005);
    pub const ACCOUNT_OWNED_BY_WRONG_PROGRAM: Error = framework(3007);
    pub const INVALID_PROGRAM_ID: Error = framework(3008);
    pub const ACCOUNT_NOT_SIGNER: Error = framework(3010);
    pub const ACCOUNT_NOT_SYSTEM_OWNED: Error = framework(3011);
    pub const ACCOUNT_NOT_INITIALIZED: Error = framework(3012);

    /// An error with a code that is not one of the named ones (e.g. passed through from a callee).
    pub fn raw(code: u32) -> Error {
        match NonZeroU32::new(code) {
            Some(c) => Error(c),
            None => Error::ACCOUNT_DID_NOT_SERIALIZE,
        }
    }

    /// The code returned to the runtime (the transaction fails with `Custom(code)`).
    pub const fn code(self) -> u32 {
        self.0.get()
    }

    /// Writes the Anchor error line: `AnchorError occurred. Error Code: <Name>. Error Number: <n>.
    /// Error Message: <msg>.` (the runtime prefixes "Program log: ").
    pub fn log(self) {
        let d = describe(self.code());
        let mut buf = [0u8; 256];
        let mut line = Line { buf: &mut buf, len: 0 };
        line.push(b"AnchorError occurred. Error Code: ");
        line.push(d.name.as_bytes());
        line.push(b". Error Number: ");
        line.push_u32(self.code());
        line.push(b". Error Message: ");
        line.push(d.message.as_bytes());
        line.push(b".");
        log::log(line.as_bytes());
    }
}

impl From<BillingError> for Error {
    fn from(e: BillingError) -> Error {
        match NonZeroU32::new(e.code()) {
            Some(c) => Error(c),
            // Unreachable: program codes start at 6000.
            None => Error::ACCOUNT_DID_NOT_SERIALIZE,
        }
    }
}

/// Shorthand for the program's own errors: `Err(fail(BillingError::Paused))`.
#[inline(always)]
pub fn fail(e: BillingError) -> Error {
    Error::from(e)
}

struct Description {
    name: &'static str,
    message: &'static str,
}

fn describe(code: u32) -> Description {
    if let Some(e) = BillingError::from_code(code) {
        return Description { name: e.name(), message: e.message() };
    }
    let (name, message) = match code {
        100 => ("InstructionMissing", "Instruction discriminator not provided"),
        101 => ("InstructionFallbackNotFound", "Fallback functions are not supported"),
        102 => ("InstructionDidNotDeserialize", "The program could not deserialize the given instruction"),
        2000 => ("ConstraintMut", "A mut constraint was violated"),
        2006 => ("ConstraintSeeds", "A seeds constraint was violated"),
        2012 => ("ConstraintAddress", "An address constraint was violated"),
        2014 => ("ConstraintTokenMint", "A token mint constraint was violated"),
        2015 => ("ConstraintTokenOwner", "A token owner constraint was violated"),
        3001 => ("AccountDiscriminatorNotFound", "No discriminator was found on the account"),
        3002 => ("AccountDiscriminatorMismatch", "Account discriminator did not match what was expected"),
        3003 => ("AccountDidNotDeserialize", "Failed to deserialize the account"),
        3004 => ("AccountDidNotSerialize", "Failed to serialize the account"),
        3005 => ("AccountNotEnoughKeys", "Not enough account keys given to the instruction"),
        3007 => ("AccountOwnedByWrongProgram", "The given account is owned by a different program than expected"),
        3008 => ("InvalidProgramId", "Program ID was not as expected"),
        3010 => ("AccountNotSigner", "The given account did not sign"),
        3011 => ("AccountNotSystemOwned", "The given account is not owned by the system program"),
        3012 => ("AccountNotInitialized", "The program expected this account to be already initialized"),
        _ => ("CrossProgramInvocationFailed", "A cross-program invocation failed"),
    };
    Description { name, message }
}

/// A log line assembled in a fixed stack buffer; text past the end is dropped.
struct Line<'a> {
    buf: &'a mut [u8; 256],
    len: usize,
}

impl<'a> Line<'a> {
    /// Appends `text` (one copy, not a byte loop: this runs on every failed transaction).
    fn push(&mut self, text: &[u8]) {
        let end = self.len.saturating_add(text.len()).min(self.buf.len());
        let n = end - self.len;
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..end), text.get(..n)) {
            dst.copy_from_slice(src);
            self.len = end;
        }
    }

    fn push_u32(&mut self, mut n: u32) {
        let mut digits = [0u8; 10];
        let mut count = 0;
        loop {
            if let Some(slot) = digits.get_mut(count) {
                *slot = b'0' + (n % 10) as u8;
            }
            count += 1;
            n /= 10;
            if n == 0 || count == digits.len() {
                break;
            }
        }
        while count > 0 {
            count -= 1;
            if let Some(d) = digits.get(count) {
                self.push(&[*d]);
            }
        }
    }

    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
