//! Program-derived addresses. `find` searches the canonical bump (up to 255 `create` rounds, 1,500 CU
//! each), so it runs only where an account is created; afterwards the bump stored in the account is
//! used to sign, and PDA accounts are recognised by their owner, discriminator and stored links.

use super::cpi::Seeds;
use super::error::Error;
use super::syscalls;
use super::Pubkey;

/// A program-derived address and its bump seed.
pub struct Pda {
    pub address: Pubkey,
    pub bump: u8,
}

/// The canonical PDA of `seeds` (without bump) under `program_id`; fails (2006 ConstraintSeeds) only
/// if no bump gives an off-curve address.
pub fn find(seeds: &Seeds, program_id: &Pubkey) -> Result<Pda, Error> {
    let mut pda = Pda { address: Pubkey::default(), bump: 0 };
    // SAFETY: `seeds` is an array of `len` SolBytes over live slices; the outputs are writable locals.
    let ret = unsafe {
        syscalls::sol_try_find_program_address(
            seeds.as_ptr() as *const u8,
            seeds.len(),
            program_id.0.as_ptr(),
            pda.address.0.as_mut_ptr(),
            &mut pda.bump,
        )
    };
    if ret == 0 {
        Ok(pda)
    } else {
        Err(Error::CONSTRAINT_SEEDS)
    }
}

/// The PDA of `seeds` (bump included) under `program_id` (2006 ConstraintSeeds if on the curve).
pub fn create(seeds: &Seeds, program_id: &Pubkey) -> Result<Pubkey, Error> {
    let mut address = Pubkey::default();
    // SAFETY: as in `find`.
    let ret = unsafe {
        syscalls::sol_create_program_address(seeds.as_ptr() as *const u8, seeds.len(), program_id.0.as_ptr(), address.0.as_mut_ptr())
    };
    if ret == 0 {
        Ok(address)
    } else {
        Err(Error::CONSTRAINT_SEEDS)
    }
}
