//! Unit tests of `runtime/entrypoint.rs` (host only, `cargo test`), kept in their own file beside it.

extern crate std;
use super::*;
use std::vec::Vec;

/// Serializes accounts (key, owner, lamports, data, signer, writable) or duplicates as the loader does.
enum Entry<'a> {
    Account { key: u8, owner: u8, lamports: u64, data: &'a [u8], signer: bool, writable: bool },
    Dup(u8),
}

fn serialize(entries: &[Entry], ix_data: &[u8], program_id: u8) -> Vec<u64> {
    let mut bytes: Vec<u8> = Vec::new();
    bytes.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for e in entries {
        match e {
            Entry::Account { key, owner, lamports, data, signer, writable } => {
                bytes.extend_from_slice(&[0xFF, *signer as u8, *writable as u8, 0, 0, 0, 0, 0]);
                bytes.extend_from_slice(&[*key; 32]);
                bytes.extend_from_slice(&[*owner; 32]);
                bytes.extend_from_slice(&lamports.to_le_bytes());
                bytes.extend_from_slice(&(data.len() as u64).to_le_bytes());
                bytes.extend_from_slice(data);
                bytes.resize(bytes.len() + MAX_PERMITTED_DATA_INCREASE, 0);
                while bytes.len() & 7 != 0 {
                    bytes.push(0);
                }
                bytes.extend_from_slice(&0u64.to_le_bytes());
            }
            Entry::Dup(i) => bytes.extend_from_slice(&[*i, 0, 0, 0, 0, 0, 0, 0]),
        }
    }
    bytes.extend_from_slice(&(ix_data.len() as u64).to_le_bytes());
    bytes.extend_from_slice(ix_data);
    bytes.extend_from_slice(&[program_id; 32]);
    while bytes.len() & 7 != 0 {
        bytes.push(0);
    }
    // Back the bytes with u64s so the region is 8-byte aligned like the loader's.
    bytes.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect()
}

#[test]
fn accounts_data_and_program_id_are_found_in_place() {
    let mut region = serialize(
        &[
            Entry::Account { key: 1, owner: 9, lamports: 5, data: &[1, 2, 3], signer: true, writable: false },
            Entry::Account { key: 2, owner: 8, lamports: 7, data: &[], signer: false, writable: true },
        ],
        &[10, 11, 12, 13],
        42,
    );
    let mut accounts = empty_accounts();
    let input = unsafe { deserialize(region.as_mut_ptr() as *mut u8, &mut accounts) };
    assert_eq!(input.account_count, 2);
    let [a, b, ..] = &accounts;
    assert_eq!(a.key(), &Pubkey([1; 32]));
    assert_eq!(a.owner(), &Pubkey([9; 32]));
    assert_eq!(a.lamports(), 5);
    assert_eq!(a.data(), &[1, 2, 3]);
    assert!(a.is_signer() && !a.is_writable());
    assert_eq!(b.key(), &Pubkey([2; 32]));
    assert!(!b.is_signer() && b.is_writable());
    assert_eq!(b.data_len(), 0);
    let data = unsafe { core::slice::from_raw_parts(input.data, input.data_len) };
    assert_eq!(data, &[10, 11, 12, 13]);
    assert_eq!(unsafe { *input.program_id }, [42; 32]);
}

#[test]
fn duplicates_resolve_to_their_first_occurrence() {
    let mut region = serialize(
        &[
            Entry::Account { key: 1, owner: 9, lamports: 5, data: &[7; 9], signer: false, writable: true },
            Entry::Account { key: 2, owner: 9, lamports: 6, data: &[], signer: false, writable: false },
            Entry::Dup(0),
        ],
        &[],
        3,
    );
    let mut accounts = empty_accounts();
    let input = unsafe { deserialize(region.as_mut_ptr() as *mut u8, &mut accounts) };
    assert_eq!(input.account_count, 3);
    assert_eq!(accounts[2].key(), &Pubkey([1; 32]));
    accounts[0].data_mut()[0] = 99;
    assert_eq!(accounts[2].data()[0], 99);
    assert_eq!(input.data_len, 0);
    assert_eq!(unsafe { *input.program_id }, [3; 32]);
}

#[test]
fn accounts_beyond_the_kept_ones_are_skipped_to_reach_the_data() {
    let mut entries = Vec::new();
    for k in 0..(MAX_ACCOUNTS as u8 + 3) {
        entries.push(Entry::Account { key: k, owner: 0, lamports: 1, data: &[1, 2], signer: false, writable: false });
    }
    entries.push(Entry::Dup(9));
    let mut region = serialize(&entries, &[5, 6], 4);
    let mut accounts = empty_accounts();
    let input = unsafe { deserialize(region.as_mut_ptr() as *mut u8, &mut accounts) };
    assert_eq!(input.account_count, MAX_ACCOUNTS + 4);
    assert_eq!(accounts[MAX_ACCOUNTS - 1].key(), &Pubkey([MAX_ACCOUNTS as u8 - 1; 32]));
    let data = unsafe { core::slice::from_raw_parts(input.data, input.data_len) };
    assert_eq!(data, &[5, 6]);
}

#[test]
fn run_reports_the_processor_result_as_the_return_value() {
    let mut region = serialize(
        &[Entry::Account { key: 1, owner: 9, lamports: 5, data: &[], signer: true, writable: true }],
        &[1, 2, 3],
        7,
    );
    let seen = unsafe {
        run(region.as_mut_ptr() as *mut u8, |program_id, accounts, data| {
            assert_eq!(program_id, &Pubkey([7; 32]));
            assert_eq!(accounts.len(), 1);
            assert_eq!(data, &[1, 2, 3]);
            Ok(())
        })
    };
    assert_eq!(seen, 0);
    let failed = unsafe { run(region.as_mut_ptr() as *mut u8, |_, _, _| Err(Error::ACCOUNT_NOT_SIGNER)) };
    assert_eq!(failed, 3010);
}

#[test]
fn closing_an_account_hands_it_to_the_new_owner_with_no_data() {
    let mut region = serialize(
        &[Entry::Account { key: 1, owner: 9, lamports: 5, data: &[1; 16], signer: false, writable: true }],
        &[],
        3,
    );
    let mut accounts = empty_accounts();
    unsafe { deserialize(region.as_mut_ptr() as *mut u8, &mut accounts) };
    accounts[0].set_lamports(0);
    accounts[0].close_to(&Pubkey([0; 32]));
    assert_eq!(accounts[0].lamports(), 0);
    assert_eq!(accounts[0].owner(), &Pubkey([0; 32]));
    assert_eq!(accounts[0].data_len(), 0);
}
