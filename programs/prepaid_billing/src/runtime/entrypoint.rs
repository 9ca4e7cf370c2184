//! Reading the loader's input: the serialized parameters region of the SBPF loader (aligned format).
//!
//! ```text
//! u64 number of accounts
//! per account, either a duplicate:   u8 index of the first occurrence, 7 bytes padding
//!              or the account itself: u8 0xFF, u8 is_signer, u8 is_writable, u8 executable, 4 bytes padding,
//!                                     [u8; 32] key, [u8; 32] owner, u64 lamports, u64 data length,
//!                                     data, 10_240 bytes of room to grow, padding to 8, u64 rent epoch
//! u64 instruction data length, instruction data, [u8; 32] program id
//! ```
//! `AccountInfo` points into that region, so what the runtime writes back after a CPI (lamports, owner,
//! data length, data) is what the program reads next.

use core::ptr;

use super::error::Error;
#[cfg(target_arch = "bpf")]
use super::syscalls;
use super::Pubkey;

/// Marker byte of an account that is not a duplicate.
const NON_DUP_MARKER: u8 = u8::MAX;
/// Room the loader leaves after each account's data so it may grow within one instruction, bytes.
const MAX_PERMITTED_DATA_INCREASE: usize = 10 * 1024;
/// Accounts kept by `deserialize`; later ones are skipped (no instruction takes more than 7, plus the 2
/// optional remaining accounts of `update_config`).
pub const MAX_ACCOUNTS: usize = 8;

/// The fixed header the loader writes before each account's data.
#[repr(C)]
pub(crate) struct RawAccount {
    dup: u8,
    is_signer: u8,
    is_writable: u8,
    executable: u8,
    padding: [u8; 4],
    pub(crate) key: Pubkey,
    pub(crate) owner: Pubkey,
    pub(crate) lamports: u64,
    pub(crate) data_len: u64,
}

/// One account of the instruction, read in place. Not `Copy`: the instruction handlers borrow each
/// account once, mutably only where they write it.
pub struct AccountInfo {
    raw: *mut RawAccount,
}

impl AccountInfo {
    #[inline(always)]
    fn raw(&self) -> &RawAccount {
        // SAFETY: `raw` points at an account header inside the loader's input region, which stays valid
        // and is only changed by this program or by the runtime during a CPI (no reference is held across
        // a CPI: accessors copy or return borrows of `self`).
        unsafe { &*self.raw }
    }

    #[inline(always)]
    pub fn key(&self) -> &Pubkey {
        &self.raw().key
    }

    /// The program that owns the account.
    #[inline(always)]
    pub fn owner(&self) -> &Pubkey {
        &self.raw().owner
    }

    #[inline(always)]
    pub fn is_signer(&self) -> bool {
        self.raw().is_signer != 0
    }

    #[inline(always)]
    pub fn is_writable(&self) -> bool {
        self.raw().is_writable != 0
    }

    #[inline(always)]
    pub fn executable(&self) -> bool {
        self.raw().executable != 0
    }

    /// Balance, lamports.
    #[inline(always)]
    pub fn lamports(&self) -> u64 {
        self.raw().lamports
    }

    #[inline(always)]
    pub fn data_len(&self) -> usize {
        self.raw().data_len as usize
    }

    #[inline(always)]
    fn data_ptr(&self) -> *mut u8 {
        // The data follows the header directly.
        self.raw.wrapping_add(1) as *mut u8
    }

    #[inline(always)]
    pub fn data(&self) -> &[u8] {
        // SAFETY: the loader wrote `data_len` bytes of data right after the header; the borrow is tied to
        // `self`, and no mutable borrow of this account's data is live (those need `&mut self`).
        unsafe { core::slice::from_raw_parts(self.data_ptr(), self.data_len()) }
    }

    #[inline(always)]
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`; `&mut self` makes this the only live borrow through this handle, and the
        // instructions never write the data of an account that also appears under another handle (each
        // written account's owner and discriminator differ from every other account of its instruction).
        unsafe { core::slice::from_raw_parts_mut(self.data_ptr(), self.data_len()) }
    }

    /// Sets the balance, lamports. The runtime checks at the end of the instruction that lamports are
    /// conserved and that only the owning program debited an account.
    #[inline(always)]
    pub fn set_lamports(&mut self, lamports: u64) {
        // SAFETY: `raw` is valid (see `raw`) and `&mut self` is the only handle being written.
        unsafe { (*self.raw).lamports = lamports };
    }

    /// Gives the account to `owner` and shrinks its data to zero bytes: how a program closes an account
    /// it owns (the runtime accepts the owner change because the data is then empty).
    pub fn close_to(&mut self, owner: &Pubkey) {
        // SAFETY: `raw` is valid; shrinking the length only forgets bytes the loader already mapped.
        unsafe {
            (*self.raw).owner = *owner;
            (*self.raw).data_len = 0;
        }
    }

    /// Pointers the C ABI of `sol_invoke_signed_c` needs: they must point into the input region so the
    /// runtime can find and update the caller's copy of the account.
    #[inline(always)]
    pub(crate) fn raw_ptr(&self) -> *mut RawAccount {
        self.raw
    }

    #[inline(always)]
    pub(crate) fn data_ptr_for_cpi(&self) -> *mut u8 {
        self.data_ptr()
    }
}

/// What `deserialize` found besides the accounts.
pub struct Input {
    /// Follows the instruction data, so it is not 8-byte aligned in general: copy it out before use.
    pub program_id: *const [u8; 32],
    pub data: *const u8,
    pub data_len: usize,
    /// Accounts the instruction carries (may exceed `MAX_ACCOUNTS`; only that many are kept).
    pub account_count: usize,
}

/// Handles to fill; entries past the parsed count stay null and are never handed out.
pub fn empty_accounts() -> [AccountInfo; MAX_ACCOUNTS] {
    core::array::from_fn(|_| AccountInfo { raw: ptr::null_mut() })
}

/// Header plus the room to grow that follows every account's data, bytes.
const HEADER_AND_ROOM: usize = core::mem::size_of::<RawAccount>() + MAX_PERMITTED_DATA_INCREASE;

#[inline(always)]
fn align_up_8(n: usize) -> usize {
    n.wrapping_add(7) & !7
}

/// Parses the loader's input region into `accounts` (the first `MAX_ACCOUNTS`, duplicates resolved to
/// their first occurrence) and returns where the instruction data and program id are.
///
/// # Safety
/// `input` must be the start of a region in the loader's serialized format (as the runtime passes to
/// `entrypoint`), or a buffer built the same way, valid for as long as the handles are used.
pub unsafe fn deserialize(input: *mut u8, accounts: &mut [AccountInfo; MAX_ACCOUNTS]) -> Input {
    // SAFETY (whole body): every offset below follows the layout in the module documentation, which the
    // loader guarantees; the region is 8-byte aligned and each u64 read is at an 8-aligned offset.
    let mut cursor = input;
    let count = ptr::read(cursor as *const u64) as usize;
    cursor = cursor.add(8);
    for i in 0..count {
        let dup = *cursor;
        if dup == NON_DUP_MARKER {
            let raw = cursor as *mut RawAccount;
            let data_len = (*raw).data_len as usize;
            if let Some(slot) = accounts.get_mut(i) {
                slot.raw = raw;
            }
            // Header, data, its room to grow, padding to 8, then the u64 rent epoch. Wrapping arithmetic:
            // the loader bounds data lengths far below usize::MAX, and overflow checks here would cost
            // about 30 instructions per account.
            let after_data = HEADER_AND_ROOM.wrapping_add(data_len);
            cursor = cursor.add(align_up_8(after_data).wrapping_add(8));
        } else {
            let original = accounts.get(dup as usize).map(|a| a.raw);
            if let (Some(slot), Some(raw)) = (accounts.get_mut(i), original) {
                slot.raw = raw;
            }
            cursor = cursor.add(8);
        }
    }
    let data_len = ptr::read(cursor as *const u64) as usize;
    let data = cursor.add(8) as *const u8;
    let program_id = data.add(data_len) as *const [u8; 32];
    Input { program_id, data, data_len, account_count: count }
}

/// Runs `process` on the loader's input and turns its result into the entrypoint's return value: 0,
/// or the error's code after logging it the way Anchor does.
///
/// # Safety
/// As for `deserialize`.
pub unsafe fn run<F>(input: *mut u8, process: F) -> u64
where
    F: FnOnce(&Pubkey, &mut [AccountInfo], &[u8]) -> Result<(), Error>,
{
    let mut accounts = empty_accounts();
    let parsed = deserialize(input, &mut accounts);
    let kept = parsed.account_count.min(MAX_ACCOUNTS);
    // SAFETY: `deserialize` located the program id and instruction data inside the input region; the id
    // is read as bytes (alignment 1) into an aligned `Pubkey`.
    let (program_id, data) =
        (Pubkey(ptr::read(parsed.program_id)), core::slice::from_raw_parts(parsed.data, parsed.data_len));
    let accounts = accounts.get_mut(..kept).unwrap_or(&mut []);
    match process(&program_id, accounts, data) {
        Ok(()) => 0,
        Err(e) => {
            e.log();
            u64::from(e.code())
        }
    }
}

/// Ends the program on a panic (there is no unwinding on BPF): the transaction fails.
#[cfg(target_arch = "bpf")]
pub fn abort() -> ! {
    // SAFETY: the `abort` syscall takes no arguments and does not return.
    unsafe { syscalls::abort() }
}

#[cfg(test)]
#[path = "entrypoint_tests.rs"]
mod tests;
