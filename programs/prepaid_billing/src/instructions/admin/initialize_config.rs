//! `initialize_config(args)`: creates the deployment's `BillingConfig` at PDA `["config"]`; the signer
//! becomes its admin.

use crate::generated::interface::BillingError;
use crate::generated::layout::instruction::InitializeConfig;
use crate::generated::layout::BillingConfig;
use crate::instructions::decode_args;
use crate::runtime::cpi::{self, Seeds};
use crate::runtime::error::fail;
use crate::runtime::pda::{self, Pda};
use crate::runtime::{check, keys_eq, token, AccountInfo, Error, Pubkey, SYSTEM_PROGRAM_ID};
use crate::state::config::ConfigLinks;
use crate::state::{self, CONFIG_SEED};

/// `args`: billing authority, notice and period lengths (seconds), revenue shares (bps), tier terms.
pub type Args = InitializeConfig;

pub struct Accounts<'a> {
    pub admin: &'a AccountInfo,
    pub config: &'a mut AccountInfo,
    pub usdc_mint: &'a AccountInfo,
    pub treasury: &'a AccountInfo,
    pub staker_pool: &'a AccountInfo,
    pub system_program: &'a AccountInfo,
}

impl<'a> Accounts<'a> {
    pub fn parse(accounts: &'a mut [AccountInfo]) -> Result<Accounts<'a>, Error> {
        match accounts {
            [admin, config, usdc_mint, treasury, staker_pool, system_program, ..] => {
                Ok(Accounts { admin, config, usdc_mint, treasury, staker_pool, system_program })
            }
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

/// Checks that `account` is a token account of `mint` (InvalidTreasury otherwise).
pub fn revenue_account(account: &AccountInfo, mint: &Pubkey) -> Result<(), Error> {
    let invalid = fail(BillingError::InvalidTreasury);
    let view = token::account(account).map_err(|_| invalid)?;
    if keys_eq(&view.mint, mint) {
        Ok(())
    } else {
        Err(invalid)
    }
}

fn validate(a: &Accounts, program_id: &Pubkey) -> Result<Pda, Error> {
    // admin: signer, writable (pays the rent).
    check::signer(a.admin)?;
    check::writable(a.admin)?;
    // config: writable, the canonical PDA ["config"] (2006 ConstraintSeeds); the system program refuses
    // to create it twice.
    check::writable(a.config)?;
    let config = pda::find(&Seeds::new(&[CONFIG_SEED]), program_id)?;
    check::address(a.config, &config.address, Error::CONSTRAINT_SEEDS)?;
    // usdc_mint: an initialized mint of the Tokenkeg program (InvalidMint).
    token::mint(a.usdc_mint, fail(BillingError::InvalidMint))?;
    // treasury, staker_pool: token accounts of usdc_mint (InvalidTreasury).
    revenue_account(a.treasury, a.usdc_mint.key())?;
    revenue_account(a.staker_pool, a.usdc_mint.key())?;
    // system_program: the system program.
    check::program(a.system_program, &SYSTEM_PROGRAM_ID)?;
    Ok(config)
}

pub fn process(program_id: &Pubkey, accounts: &mut [AccountInfo], data: &[u8]) -> Result<(), Error> {
    let args: Args = decode_args(data)?;
    let a = Accounts::parse(accounts)?;
    let config_pda = validate(&a, program_id)?;

    let links =
        ConfigLinks { usdc_mint: a.usdc_mint.key(), treasury: a.treasury.key(), staker_pool: a.staker_pool.key() };
    let config = BillingConfig::new(a.admin.key(), &links, &args.args, config_pda.bump)?;

    let bump = [config_pda.bump];
    let seeds = Seeds::new(&[CONFIG_SEED, &bump]);
    cpi::create_pda_account(a.admin, a.config, state::space::<BillingConfig>(), program_id, &seeds)?;
    state::init(a.config, &config)
}
