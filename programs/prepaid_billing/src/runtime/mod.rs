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

/// A 32-byte account address, 8-byte aligned: addresses in the loader's input and in this program's
/// account layouts sit at 8-byte aligned offsets, so copies and comparisons are four word operations
/// instead of byte loops or `sol_memcpy_`/`sol_memcmp_` syscalls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, align(8))]
pub struct Pubkey(pub [u8; 32]);

impl AsRef<[u8]> for Pubkey {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// `11111111111111111111111111111111`
pub const SYSTEM_PROGRAM_ID: Pubkey = Pubkey([0; 32]);

/// `TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA`, the only token program this program accepts.
pub const TOKEN_PROGRAM_ID: Pubkey = Pubkey([
    6, 221, 246, 225, 215, 101, 161, 147, 217, 203, 225, 70, 206, 235, 121, 172, 28, 180, 133, 237, 95, 91, 55, 145,
    58, 140, 245, 133, 126, 255, 0, 169,
]);

/// Compares two addresses as four aligned words (no `==` on byte arrays, which would call `bcmp`).
#[inline(always)]
pub fn keys_eq(a: &Pubkey, b: &Pubkey) -> bool {
    let word = |k: &Pubkey, i: usize| -> u64 {
        let mut w = [0u8; 8];
        if let Some(src) = k.0.get(i * 8..i * 8 + 8) {
            w.copy_from_slice(src);
        }
        u64::from_le_bytes(w)
    };
    word(a, 0) == word(b, 0) && word(a, 1) == word(b, 1) && word(a, 2) == word(b, 2) && word(a, 3) == word(b, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_equal_only_when_every_byte_matches() {
        let a = Pubkey([7; 32]);
        let mut b = Pubkey([7; 32]);
        assert!(keys_eq(&a, &b));
        for i in 0..32 {
            b.0[i] = 8;
            assert!(!keys_eq(&a, &b), "byte {i}");
            b.0[i] = 7;
        }
        assert_eq!(core::mem::align_of::<Pubkey>(), 8);
        assert_eq!(core::mem::size_of::<Pubkey>(), 32);
    }
}
