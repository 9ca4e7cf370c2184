//! Program-derived addresses. `find` searches the canonical bump (up to 255 `create` rounds, 1,500 CU
//! each), so it runs only where an account is created. Afterwards an account is checked against its
//! seeds and stored bump with `verify`, which decides exactly what `create_program_address` decides
//! (the sha256 of seeds ‖ program id ‖ "ProgramDerivedAddress", which must not be a curve point) for
//! about 300 CU instead of 1,500.

use super::cpi::{Seeds, SolBytes};
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
        syscalls::sol_create_program_address(
            seeds.as_ptr() as *const u8,
            seeds.len(),
            program_id.0.as_ptr(),
            address.0.as_mut_ptr(),
        )
    };
    if ret == 0 {
        Ok(address)
    } else {
        Err(Error::CONSTRAINT_SEEDS)
    }
}

/// Marker appended to the seeds of every program-derived address.
const PDA_MARKER: &[u8] = b"ProgramDerivedAddress";
/// `sol_curve_validate_point` curve id of Curve25519 in Edwards form.
const CURVE25519_EDWARDS: u64 = 0;

/// Checks that `address` is the PDA of `seeds` (bump included) under `program_id`: 2006
/// ConstraintSeeds otherwise, as Anchor's `seeds = [...], bump = stored` fails.
pub fn verify(seeds: &Seeds, program_id: &Pubkey, address: &Pubkey) -> Result<(), Error> {
    let mut parts = [SolBytes::of(&[]); 5];
    let given = seeds.parts();
    let count = given.len();
    for (slot, part) in parts.iter_mut().zip(given.iter()) {
        *slot = *part;
    }
    let tail = parts.get_mut(count..count + 2).ok_or(Error::CONSTRAINT_SEEDS)?;
    if let [id, marker] = tail {
        *id = SolBytes::of(&program_id.0);
        *marker = SolBytes::of(PDA_MARKER);
    }
    let mut hash = Pubkey::default();
    // SAFETY: `count + 2` SolBytes over live slices and a writable 32-byte result.
    let ret = unsafe { syscalls::sol_sha256(parts.as_ptr() as *const u8, (count + 2) as u64, hash.0.as_mut_ptr()) };
    if ret != 0 || !super::keys_eq(&hash, address) {
        return Err(Error::CONSTRAINT_SEEDS);
    }
    let mut unused = 0u8;
    // SAFETY: a readable 32-byte point; the syscall answers 0 for a curve point, 1 otherwise.
    let on_curve = unsafe { syscalls::sol_curve_validate_point(CURVE25519_EDWARDS, hash.0.as_ptr(), &mut unused) };
    if on_curve == 1 {
        Ok(())
    } else {
        Err(Error::CONSTRAINT_SEEDS)
    }
}
