//! `prepaid_billing`: prepaid USDC billing for APIs, settled on Solana. Teams prepay into a vault this
//! program controls; the billing authority settles usage in batches priced on-chain from the tier
//! terms; revenue is split between a treasury and stakers. `no_std`, no crates, Anchor's wire format
//! (see docs/billing-math.md and the IDL in idl/).
//!
//! This file is the table of contents: the entrypoint and one line per instruction.
#![cfg_attr(not(test), no_std)]

pub mod generated {
    //! Produced by tools/idl/generate.ts from idl/prepaid_billing.source.json; never edited by hand
    //! (nor reformatted: the freshness check compares them with the generator's output byte for byte).
    #[rustfmt::skip]
    pub mod interface;
    #[rustfmt::skip]
    pub mod layout;
}
pub mod instructions;
pub mod math;
pub mod runtime;
pub mod state;

use generated::interface::ix;
use runtime::{AccountInfo, Error, Pubkey};

/// Admin creates the deployment's config (PDA ["config"]).
pub use instructions::admin::initialize_config;
/// Admin changes any subset of the config.
pub use instructions::admin::update_config;
/// The billing authority settles one usage batch, priced on-chain from the tier terms.
pub use instructions::operator::deduct_usage;
/// Anyone cranks a team: debt, the base fee due, the next period.
pub use instructions::operator::roll_period;
/// Owner closes an empty, debt-free team; rent back to the owner.
pub use instructions::team::close_team_account;
/// Owner opens a team account and its vault; the first period starts now.
pub use instructions::team::create_team_account;
/// Any wallet deposits USDC into a team's vault (not while paused).
pub use instructions::team::deposit_funds;
/// Owner announces (or cancels) a withdrawal.
pub use instructions::team::request_withdrawal;
/// Owner sets the low-balance threshold and the overage spend cap.
pub use instructions::team::set_team_limits;
/// Owner or admin changes the tier: upgrades now (prorated), downgrades next period.
pub use instructions::team::update_tier;
/// Owner withdraws after the notice, even while paused.
pub use instructions::team::withdraw_unused;

const INITIALIZE_CONFIG: u64 = u64::from_le_bytes(ix::INITIALIZE_CONFIG);
const UPDATE_CONFIG: u64 = u64::from_le_bytes(ix::UPDATE_CONFIG);
const CREATE_TEAM_ACCOUNT: u64 = u64::from_le_bytes(ix::CREATE_TEAM_ACCOUNT);
const DEPOSIT_FUNDS: u64 = u64::from_le_bytes(ix::DEPOSIT_FUNDS);
const ROLL_PERIOD: u64 = u64::from_le_bytes(ix::ROLL_PERIOD);
const DEDUCT_USAGE: u64 = u64::from_le_bytes(ix::DEDUCT_USAGE);
const UPDATE_TIER: u64 = u64::from_le_bytes(ix::UPDATE_TIER);
const SET_TEAM_LIMITS: u64 = u64::from_le_bytes(ix::SET_TEAM_LIMITS);
const REQUEST_WITHDRAWAL: u64 = u64::from_le_bytes(ix::REQUEST_WITHDRAWAL);
const WITHDRAW_UNUSED: u64 = u64::from_le_bytes(ix::WITHDRAW_UNUSED);
const CLOSE_TEAM_ACCOUNT: u64 = u64::from_le_bytes(ix::CLOSE_TEAM_ACCOUNT);

/// Routes an instruction by its 8-byte discriminator (100 without one, 101 for an unknown one).
pub fn process_instruction(program_id: &Pubkey, accounts: &mut [AccountInfo], data: &[u8]) -> Result<(), Error> {
    let discriminator: [u8; 8] = data.get(..8).and_then(|d| d.try_into().ok()).ok_or(Error::INSTRUCTION_MISSING)?;
    let args = data.get(8..).unwrap_or(&[]);
    match u64::from_le_bytes(discriminator) {
        INITIALIZE_CONFIG => initialize_config::process(program_id, accounts, args),
        UPDATE_CONFIG => update_config::process(program_id, accounts, args),
        CREATE_TEAM_ACCOUNT => create_team_account::process(program_id, accounts, args),
        DEPOSIT_FUNDS => deposit_funds::process(program_id, accounts, args),
        ROLL_PERIOD => roll_period::process(program_id, accounts, args),
        DEDUCT_USAGE => deduct_usage::process(program_id, accounts, args),
        UPDATE_TIER => update_tier::process(program_id, accounts, args),
        SET_TEAM_LIMITS => set_team_limits::process(program_id, accounts, args),
        REQUEST_WITHDRAWAL => request_withdrawal::process(program_id, accounts, args),
        WITHDRAW_UNUSED => withdraw_unused::process(program_id, accounts, args),
        CLOSE_TEAM_ACCOUNT => close_team_account::process(program_id, accounts, args),
        _ => Err(Error::INSTRUCTION_FALLBACK_NOT_FOUND),
    }
}

/// The program's entrypoint, called by the SBPF loader with its serialized input region.
///
/// # Safety
/// `input` must be the loader's input region (see `runtime::entrypoint`).
#[cfg(target_arch = "bpf")]
#[no_mangle]
pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
    runtime::entrypoint::run(input, process_instruction)
}

#[cfg(target_arch = "bpf")]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    runtime::entrypoint::abort()
}
