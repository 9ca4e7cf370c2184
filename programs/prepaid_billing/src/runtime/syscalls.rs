//! The Solana syscalls this program calls. On BPF the loader binds each by name (the linker emits one
//! relocation per call site). On the host they are inert stand-ins so that the crate builds and its pure
//! parts (math, state codecs, input parsing) run under `cargo test`; everything that needs the real
//! runtime is exercised in litesvm instead.

#[cfg(target_arch = "bpf")]
extern "C" {
    pub fn sol_log_(message: *const u8, len: u64);
    pub fn sol_log_data(data: *const u8, data_len: u64);
    pub fn sol_invoke_signed_c(
        instruction: *const u8,
        account_infos: *const u8,
        account_infos_len: u64,
        signers_seeds: *const u8,
        signers_seeds_len: u64,
    ) -> u64;
    pub fn sol_create_program_address(seeds: *const u8, seeds_len: u64, program_id: *const u8, address: *mut u8)
        -> u64;
    pub fn sol_try_find_program_address(
        seeds: *const u8,
        seeds_len: u64,
        program_id: *const u8,
        address: *mut u8,
        bump_seed: *mut u8,
    ) -> u64;
    pub fn sol_get_clock_sysvar(addr: *mut u8) -> u64;
    pub fn sol_get_rent_sysvar(addr: *mut u8) -> u64;
    pub fn sol_memcmp_(s1: *const u8, s2: *const u8, n: u64, result: *mut i32);
    pub fn sol_sha256(vals: *const u8, val_len: u64, hash_result: *mut u8) -> u64;
    pub fn sol_curve_validate_point(curve_id: u64, point: *const u8, result: *mut u8) -> u64;
    pub fn abort() -> !;
}

/// Host stand-ins: logging does nothing, and anything that would need the runtime reports failure (1).
/// They are `unsafe` only to match the on-chain declarations; the same pointer contracts apply.
#[cfg(not(target_arch = "bpf"))]
#[allow(clippy::missing_safety_doc)]
mod host {
    pub unsafe fn sol_log_(_message: *const u8, _len: u64) {}
    pub unsafe fn sol_log_data(_data: *const u8, _data_len: u64) {}
    pub unsafe fn sol_invoke_signed_c(_: *const u8, _: *const u8, _: u64, _: *const u8, _: u64) -> u64 {
        1
    }
    pub unsafe fn sol_create_program_address(_: *const u8, _: u64, _: *const u8, _: *mut u8) -> u64 {
        1
    }
    pub unsafe fn sol_try_find_program_address(_: *const u8, _: u64, _: *const u8, _: *mut u8, _: *mut u8) -> u64 {
        1
    }
    pub unsafe fn sol_sha256(_vals: *const u8, _val_len: u64, _hash_result: *mut u8) -> u64 {
        1
    }
    pub unsafe fn sol_curve_validate_point(_curve_id: u64, _point: *const u8, _result: *mut u8) -> u64 {
        u64::MAX
    }
    pub unsafe fn sol_get_clock_sysvar(_addr: *mut u8) -> u64 {
        1
    }
    pub unsafe fn sol_get_rent_sysvar(_addr: *mut u8) -> u64 {
        1
    }
    /// # Safety
    /// Two readable regions of `n` bytes and a writable `i32`, as the syscall requires.
    pub unsafe fn sol_memcmp_(s1: *const u8, s2: *const u8, n: u64, result: *mut i32) {
        let (a, b) = (core::slice::from_raw_parts(s1, n as usize), core::slice::from_raw_parts(s2, n as usize));
        let mut r = 0i32;
        for (x, y) in a.iter().zip(b.iter()) {
            if x != y {
                r = i32::from(*x) - i32::from(*y);
                break;
            }
        }
        *result = r;
    }
}

#[cfg(not(target_arch = "bpf"))]
pub use host::*;
