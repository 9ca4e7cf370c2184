//! Clock and Rent, read through their syscalls (no sysvar accounts needed).

use super::error::Error;
use super::syscalls;
use crate::math;

/// The Clock sysvar; the program only uses `unix_timestamp`.
#[repr(C)]
#[derive(Default)]
pub struct Clock {
    pub slot: u64,
    pub epoch_start_timestamp: i64,
    pub epoch: u64,
    pub leader_schedule_epoch: u64,
    /// Unix seconds.
    pub unix_timestamp: i64,
}

pub fn clock() -> Result<Clock, Error> {
    let mut clock = Clock::default();
    // SAFETY: `Clock` is the 40-byte repr(C) layout the syscall writes.
    let ret = unsafe { syscalls::sol_get_clock_sysvar(&mut clock as *mut Clock as *mut u8) };
    if ret == 0 {
        Ok(clock)
    } else {
        Err(Error::raw(ret as u32))
    }
}

/// The Rent sysvar. `exemption_threshold` is an f64 in the runtime; this program keeps its bits and
/// evaluates it with integer arithmetic (no floating point on BPF).
#[repr(C)]
#[derive(Default)]
pub struct Rent {
    /// Lamports per byte-year.
    pub lamports_per_byte_year: u64,
    /// IEEE-754 bits of the exemption threshold, years (2.0 on mainnet, 1.0 in litesvm).
    pub exemption_threshold_bits: u64,
    pub burn_percent: u8,
}

/// Bytes the runtime counts for every account on top of its data.
const ACCOUNT_STORAGE_OVERHEAD: u64 = 128;

impl Rent {
    /// Lamports that make an account of `data_len` bytes rent-exempt:
    /// `floor((128 + data_len) × lamports_per_byte_year × exemption_threshold)`.
    #[inline(always)]
    pub fn minimum_balance(&self, data_len: u64) -> Result<u64, Error> {
        let bytes = data_len.checked_add(ACCOUNT_STORAGE_OVERHEAD).ok_or(math::overflow())?;
        let per_year = math::mul(bytes, self.lamports_per_byte_year)?;
        math::mul_f64_bits(per_year, self.exemption_threshold_bits)
    }
}

pub fn rent() -> Result<Rent, Error> {
    let mut rent = Rent::default();
    // SAFETY: `Rent` is the 24-byte repr(C) layout (u64, f64 bits, u8 + padding) the syscall writes.
    let ret = unsafe { syscalls::sol_get_rent_sysvar(&mut rent as *mut Rent as *mut u8) };
    if ret == 0 {
        Ok(rent)
    } else {
        Err(Error::raw(ret as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sysvar_layouts_have_the_runtime_sizes() {
        assert_eq!(core::mem::size_of::<Clock>(), 40);
        assert_eq!(core::mem::size_of::<Rent>(), 24);
    }

    #[test]
    fn the_minimum_balance_follows_the_threshold() {
        // Mainnet: 3480 lamports per byte-year, threshold 2.0: 165-byte token account = 2_039_280.
        let mainnet =
            Rent { lamports_per_byte_year: 3480, exemption_threshold_bits: 2.0f64.to_bits(), burn_percent: 50 };
        assert_eq!(mainnet.minimum_balance(165), Ok(2_039_280));
        assert_eq!(mainnet.minimum_balance(0), Ok(890_880));
        let one = Rent { lamports_per_byte_year: 6960, exemption_threshold_bits: 1.0f64.to_bits(), burn_percent: 50 };
        assert_eq!(one.minimum_balance(165), Ok(2_039_280));
        let half = Rent { lamports_per_byte_year: 3, exemption_threshold_bits: 0.5f64.to_bits(), burn_percent: 0 };
        assert_eq!(half.minimum_balance(1), Ok(193));
    }
}
