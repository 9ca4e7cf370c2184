//! `update_config(args)`: the admin changes any subset of the configuration. A new treasury and/or
//! staker pool is passed as remaining accounts, in that order, and must be a token account of the
//! configured mint.

use crate::generated::interface::BillingError;
use crate::generated::layout::instruction::UpdateConfig;
use crate::generated::layout::{BillingConfig, ConfigUpdated};
use crate::instructions::admin::initialize_config::revenue_account;
use crate::instructions::decode_args;
use crate::runtime::error::fail;
use crate::runtime::{check, log, AccountInfo, Error, Pubkey};
use crate::state;

/// `args`: each field optional; only the fields set change.
pub type Args = UpdateConfig;

pub struct Accounts<'a> {
    pub admin: &'a AccountInfo,
    pub config: &'a mut AccountInfo,
    /// The new treasury (if `args.treasury` is set), then the new staker pool (if set).
    pub remaining: &'a [AccountInfo],
}

impl<'a> Accounts<'a> {
    pub fn parse(accounts: &'a mut [AccountInfo]) -> Result<Accounts<'a>, Error> {
        match accounts {
            [admin, config, remaining @ ..] => Ok(Accounts { admin, config, remaining }),
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

fn validate(a: &Accounts, args: &Args, program_id: &Pubkey) -> Result<BillingConfig, Error> {
    // admin: signer, and the config's admin (Unauthorized).
    check::signer(a.admin)?;
    // config: writable, the PDA ["config"] with its stored bump (2006), owned by this program,
    // BillingConfig discriminator.
    check::writable(a.config)?;
    let config = state::load_config(a.config, program_id)?;
    check::address(a.admin, &config.admin, fail(BillingError::Unauthorized))?;
    // remaining: the new treasury / staker pool, each the address in the args (InvalidTreasury) and a
    // token account of the configured mint (InvalidTreasury); missing ones are 3005.
    let mut remaining = a.remaining.iter();
    for new_key in [args.args.treasury, args.args.staker_pool].iter().flatten() {
        let account = remaining.next().ok_or(Error::ACCOUNT_NOT_ENOUGH_KEYS)?;
        check::address(account, new_key, fail(BillingError::InvalidTreasury))?;
        revenue_account(account, &config.usdc_mint)?;
    }
    Ok(config)
}

pub fn process(program_id: &Pubkey, accounts: &mut [AccountInfo], data: &[u8]) -> Result<(), Error> {
    let args: Args = decode_args(data)?;
    let a = Accounts::parse(accounts)?;
    let mut config = validate(&a, &args, program_id)?;
    config.apply(&args.args)?;
    state::store(a.config, &config)?;
    log::emit(&ConfigUpdated { admin: config.admin })
}
