//! The program's narrow runtime layer, in the manner of Pinocchio: input parsing, syscalls, CPI, PDAs,
//! sysvars, SPL Token account views, events and errors. Every `unsafe` block of the program lives here;
//! the instructions only see safe accessors.

pub mod aligned;
pub mod borsh;
pub mod check;
pub mod cpi;
pub mod entrypoint;
pub mod error;
pub mod log;
pub mod pda;
pub mod syscalls;
pub mod sysvar;
pub mod token;

pub use entrypoint::AccountInfo;
pub use error::Error;

/// A 32-byte account address.
pub type Pubkey = [u8; 32];

/// `11111111111111111111111111111111`
pub const SYSTEM_PROGRAM_ID: Pubkey = [0; 32];

/// `TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA`, the only token program this program accepts.
pub const TOKEN_PROGRAM_ID: Pubkey = [
    6, 221, 246, 225, 215, 101, 161, 147, 217, 203, 225, 70, 206, 235, 121, 172, 28, 180, 133, 237, 95, 91, 55, 145,
    58, 140, 245, 133, 126, 255, 0, 169,
];

/// Compares two addresses. Addresses in the input region and in account data are 8-byte aligned, so the
/// common case is four word compares; otherwise the `sol_memcmp_` syscall (10 CU) does it.
#[inline(always)]
pub fn keys_eq(a: &Pubkey, b: &Pubkey) -> bool {
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    if (pa as usize | pb as usize) & 7 == 0 {
        let (wa, wb) = (pa as *const u64, pb as *const u64);
        // SAFETY: both pointers are 8-byte aligned and point at 32 readable bytes (4 words).
        unsafe {
            *wa == *wb && *wa.add(1) == *wb.add(1) && *wa.add(2) == *wb.add(2) && *wa.add(3) == *wb.add(3)
        }
    } else {
        let mut result = 0i32;
        // SAFETY: two readable 32-byte regions and a writable i32, as the syscall requires.
        unsafe { syscalls::sol_memcmp_(pa, pb, 32, &mut result) };
        result == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_equal_only_when_every_byte_matches() {
        #[repr(align(8))]
        struct Aligned([u8; 40]);
        let mut a = Aligned([7; 40]);
        let b = Aligned([7; 40]);
        let ka: &Pubkey = a.0[..32].try_into().unwrap();
        let kb: &Pubkey = b.0[..32].try_into().unwrap();
        assert!(keys_eq(ka, kb));
        // Unaligned views take the syscall path.
        let ua: &Pubkey = a.0[1..33].try_into().unwrap();
        assert!(keys_eq(ua, kb));
        a.0[31] = 8;
        let ka: &Pubkey = a.0[..32].try_into().unwrap();
        assert!(!keys_eq(ka, kb));
        let ua: &Pubkey = a.0[1..33].try_into().unwrap();
        assert!(!keys_eq(ua, kb));
    }
}
