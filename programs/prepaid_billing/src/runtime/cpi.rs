//! Cross-program invocations through `sol_invoke_signed_c`: the few System and SPL Token instructions
//! the program needs. The C ABI structures hold pointers into the loader's input region (key, lamports,
//! owner, data), so the runtime can match each account to the caller's copy and write the results back.

use core::marker::PhantomData;

use super::error::Error;
use super::{syscalls, sysvar};
use super::{AccountInfo, Pubkey, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID};

/// `SolBytes` of the C ABI: one byte string (a seed, or a `sol_log_data` field).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SolBytes {
    pub addr: *const u8,
    pub len: u64,
}

impl SolBytes {
    const EMPTY: SolBytes = SolBytes { addr: core::ptr::null(), len: 0 };

    #[inline(always)]
    pub fn of(bytes: &[u8]) -> SolBytes {
        SolBytes { addr: bytes.as_ptr(), len: bytes.len() as u64 }
    }
}

/// The seeds of one program-derived address (at most three parts, the bump included when signing).
pub struct Seeds<'a> {
    parts: [SolBytes; 3],
    len: u64,
    borrowed: PhantomData<&'a [u8]>,
}

impl<'a> Seeds<'a> {
    /// Takes up to the first three parts; every seed list of this program has two or three.
    pub fn new(parts: &[&'a [u8]]) -> Seeds<'a> {
        let mut seeds = Seeds { parts: [SolBytes::EMPTY; 3], len: 0, borrowed: PhantomData };
        for (slot, part) in seeds.parts.iter_mut().zip(parts.iter()) {
            *slot = SolBytes::of(part);
            seeds.len += 1;
        }
        seeds
    }

    #[inline(always)]
    pub(crate) fn as_ptr(&self) -> *const SolBytes {
        self.parts.as_ptr()
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The parts given to `new`.
    #[inline(always)]
    pub(crate) fn parts(&self) -> &[SolBytes] {
        self.parts.get(..self.len as usize).unwrap_or(&[])
    }
}

#[repr(C)]
struct SolAccountMeta {
    pubkey: *const Pubkey,
    is_writable: bool,
    is_signer: bool,
}

#[repr(C)]
struct SolInstruction {
    program_id: *const Pubkey,
    accounts: *const SolAccountMeta,
    account_len: u64,
    data: *const u8,
    data_len: u64,
}

#[repr(C)]
struct SolAccountInfo {
    key: *const Pubkey,
    lamports: *mut u64,
    data_len: u64,
    data: *mut u8,
    owner: *const Pubkey,
    rent_epoch: u64,
    is_signer: bool,
    is_writable: bool,
    executable: bool,
}

#[repr(C)]
struct SolSignerSeeds {
    addr: *const SolBytes,
    len: u64,
}

impl SolAccountInfo {
    fn of(account: &AccountInfo) -> SolAccountInfo {
        let raw = account.raw_ptr();
        // SAFETY: only field addresses are taken (no reads or references); `raw` points at a valid header.
        let (key, lamports, owner) = unsafe {
            (
                core::ptr::addr_of!((*raw).key),
                core::ptr::addr_of_mut!((*raw).lamports),
                core::ptr::addr_of!((*raw).owner),
            )
        };
        SolAccountInfo {
            key,
            lamports,
            data_len: account.data_len() as u64,
            data: account.data_ptr_for_cpi(),
            owner,
            rent_epoch: 0,
            is_signer: account.is_signer(),
            is_writable: account.is_writable(),
            executable: account.executable(),
        }
    }
}

/// One account of a CPI with the privileges the callee needs.
#[derive(Clone, Copy)]
struct Meta<'a> {
    account: &'a AccountInfo,
    writable: bool,
    signer: bool,
}

#[inline(always)]
fn meta(account: &AccountInfo, writable: bool, signer: bool) -> Meta<'_> {
    Meta { account, writable, signer }
}

/// Invokes `program_id` with `data` over `metas` (in the callee's account order), signing for the PDA of
/// `signer` when given.
fn invoke<const N: usize>(
    program_id: &Pubkey,
    metas: &[Meta; N],
    data: &[u8],
    signer: Option<&Seeds>,
) -> Result<(), Error> {
    let sol_metas: [SolAccountMeta; N] = metas.map(|m| SolAccountMeta {
        pubkey: m.account.key() as *const Pubkey,
        is_writable: m.writable,
        is_signer: m.signer,
    });
    let infos: [SolAccountInfo; N] = metas.map(|m| SolAccountInfo::of(m.account));
    let instruction = SolInstruction {
        program_id,
        accounts: sol_metas.as_ptr(),
        account_len: N as u64,
        data: data.as_ptr(),
        data_len: data.len() as u64,
    };
    let signer_seeds = signer.map(|s| SolSignerSeeds { addr: s.as_ptr(), len: s.len() });
    let (seeds_ptr, seeds_len) = match &signer_seeds {
        Some(s) => (s as *const SolSignerSeeds, 1),
        None => (core::ptr::null(), 0),
    };
    // SAFETY: every pointer refers to a live local or to the input region, laid out as the C ABI of
    // `sol_invoke_signed_c` requires; lengths match the arrays.
    let ret = unsafe {
        syscalls::sol_invoke_signed_c(
            &instruction as *const SolInstruction as *const u8,
            infos.as_ptr() as *const u8,
            N as u64,
            seeds_ptr as *const u8,
            seeds_len,
        )
    };
    result_of(ret)
}

/// A nonzero return of the invoke syscall (in practice a failing callee aborts the transaction first):
/// the callee's custom code when it has one, else the runtime's error number.
fn result_of(ret: u64) -> Result<(), Error> {
    if ret == 0 {
        return Ok(());
    }
    let low = ret as u32;
    let code = if low != 0 { low } else { (ret >> 32) as u32 };
    Err(Error::raw(code))
}

/// What `create_account` makes: `space` bytes owned by `owner`, holding `lamports`.
pub struct NewAccount<'a> {
    pub lamports: u64,
    pub space: u64,
    pub owner: &'a Pubkey,
}

/// System program `CreateAccount`: creates the PDA `new` (signing with `signer`), funded by `payer`.
pub fn create_account(payer: &AccountInfo, new: &AccountInfo, spec: &NewAccount, signer: &Seeds) -> Result<(), Error> {
    let mut data = [0u8; 52];
    write(&mut data, 0, &0u32.to_le_bytes());
    write(&mut data, 4, &spec.lamports.to_le_bytes());
    write(&mut data, 12, &spec.space.to_le_bytes());
    write(&mut data, 20, &spec.owner.0);
    invoke(&SYSTEM_PROGRAM_ID, &[meta(payer, true, true), meta(new, true, true)], &data, Some(signer))
}

/// Creates the PDA `account` (signing with `signer`) with `space` bytes owned by `owner`, rent-exempt
/// at the Rent sysvar's current rate, paid by `payer`. An address someone already sent lamports to is
/// topped up, allocated and assigned instead (`CreateAccount` refuses funded addresses), as Anchor does.
pub fn create_pda_account(
    payer: &AccountInfo,
    account: &AccountInfo,
    space: u64,
    owner: &Pubkey,
    signer: &Seeds,
) -> Result<(), Error> {
    let needed = sysvar::rent()?.minimum_balance(space)?;
    let current = account.lamports();
    if current == 0 {
        return create_account(payer, account, &NewAccount { lamports: needed, space, owner }, signer);
    }
    if current < needed {
        transfer_lamports(payer, account, needed - current)?;
    }
    allocate(account, space, signer)?;
    assign(account, owner, signer)
}

/// System program: moves `lamports` from `from` (a signer of the transaction) to `to`.
pub fn transfer_lamports(from: &AccountInfo, to: &AccountInfo, lamports: u64) -> Result<(), Error> {
    let mut data = [0u8; 12];
    write(&mut data, 0, &2u32.to_le_bytes());
    write(&mut data, 4, &lamports.to_le_bytes());
    invoke(&SYSTEM_PROGRAM_ID, &[meta(from, true, true), meta(to, true, false)], &data, None)
}

/// System program: gives the PDA `account` `space` bytes of data.
pub fn allocate(account: &AccountInfo, space: u64, signer: &Seeds) -> Result<(), Error> {
    let mut data = [0u8; 12];
    write(&mut data, 0, &8u32.to_le_bytes());
    write(&mut data, 4, &space.to_le_bytes());
    invoke(&SYSTEM_PROGRAM_ID, &[meta(account, true, true)], &data, Some(signer))
}

/// System program: makes `owner` the owner of the PDA `account`.
pub fn assign(account: &AccountInfo, owner: &Pubkey, signer: &Seeds) -> Result<(), Error> {
    let mut data = [0u8; 36];
    write(&mut data, 0, &1u32.to_le_bytes());
    write(&mut data, 4, &owner.0);
    invoke(&SYSTEM_PROGRAM_ID, &[meta(account, true, true)], &data, Some(signer))
}

/// SPL Token `Transfer` (3): `amount` base units from `from` to `to`; `authority` signs, through
/// `signer` seeds when it is a PDA of this program.
pub fn token_transfer(
    from: &AccountInfo,
    to: &AccountInfo,
    authority: &AccountInfo,
    amount: u64,
    signer: Option<&Seeds>,
) -> Result<(), Error> {
    let mut data = [0u8; 9];
    write(&mut data, 0, &[3]);
    write(&mut data, 1, &amount.to_le_bytes());
    let metas = [meta(from, true, false), meta(to, true, false), meta(authority, false, true)];
    invoke(&TOKEN_PROGRAM_ID, &metas, &data, signer)
}

/// SPL Token `InitializeAccount3` (18): `account` holds `mint`, with `owner` as its authority.
pub fn token_initialize_account3(account: &AccountInfo, mint: &AccountInfo, owner: &Pubkey) -> Result<(), Error> {
    let mut data = [0u8; 33];
    write(&mut data, 0, &[18]);
    write(&mut data, 1, &owner.0);
    invoke(&TOKEN_PROGRAM_ID, &[meta(account, true, false), meta(mint, false, false)], &data, None)
}

/// SPL Token `CloseAccount` (9): closes the empty `account`, its rent to `destination`; `authority` is a
/// PDA of this program signing through `signer`.
pub fn token_close_account(
    account: &AccountInfo,
    destination: &AccountInfo,
    authority: &AccountInfo,
    signer: &Seeds,
) -> Result<(), Error> {
    let metas = [meta(account, true, false), meta(destination, true, false), meta(authority, false, true)];
    invoke(&TOKEN_PROGRAM_ID, &metas, &[9], Some(signer))
}

/// Copies `src` into `dst` at `at` (instruction data assembly; fixed sizes that always fit).
fn write(dst: &mut [u8], at: usize, src: &[u8]) {
    if let Some(window) = dst.get_mut(at..) {
        for (d, s) in window.iter_mut().zip(src.iter()) {
            *d = *s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_keep_at_most_three_parts() {
        let bump = [254u8];
        let seeds = Seeds::new(&[b"team_billing", &[1u8; 32], &bump]);
        assert_eq!(seeds.len(), 3);
        let two = Seeds::new(&[b"config", &bump]);
        assert_eq!(two.len(), 2);
        let many = Seeds::new(&[b"a", b"b", b"c", b"d"]);
        assert_eq!(many.len(), 3);
    }

    #[test]
    fn a_zero_return_is_success_and_anything_else_an_error() {
        assert_eq!(result_of(0), Ok(()));
        assert_eq!(result_of(6009).unwrap_err().code(), 6009);
        assert_eq!(result_of(3u64 << 32).unwrap_err().code(), 3);
    }

    #[test]
    fn c_abi_structures_have_the_runtime_sizes() {
        assert_eq!(core::mem::size_of::<SolAccountMeta>(), 16);
        assert_eq!(core::mem::size_of::<SolInstruction>(), 40);
        assert_eq!(core::mem::size_of::<SolAccountInfo>(), 56);
        assert_eq!(core::mem::size_of::<SolBytes>(), 16);
        assert_eq!(core::mem::size_of::<SolSignerSeeds>(), 16);
    }
}
