//! `deposit_funds(amount)`: any wallet moves USDC from one of its token accounts into a team's vault.
//! Refused while the deployment is paused.

use crate::generated::interface::BillingError;
use crate::generated::layout::instruction::DepositFunds;
use crate::generated::layout::{FundsDeposited, TeamBillingAccount};
use crate::instructions::decode_args;
use crate::math;
use crate::runtime::error::fail;
use crate::runtime::{check, cpi, keys_eq, log, token, AccountInfo, Error, Pubkey, TOKEN_PROGRAM_ID};
use crate::state;

/// `amount`: base units, > 0.
pub type Args = DepositFunds;

pub struct Accounts<'a> {
    pub depositor: &'a AccountInfo,
    pub depositor_token: &'a AccountInfo,
    pub config: &'a AccountInfo,
    pub team: &'a mut AccountInfo,
    pub vault: &'a AccountInfo,
    pub token_program: &'a AccountInfo,
}

impl<'a> Accounts<'a> {
    pub fn parse(accounts: &'a mut [AccountInfo]) -> Result<Accounts<'a>, Error> {
        match accounts {
            [depositor, depositor_token, config, team, vault, token_program, ..] => {
                Ok(Accounts { depositor, depositor_token, config, team, vault, token_program })
            }
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

struct Validated {
    team: TeamBillingAccount,
    /// Vault balance before the deposit, base units.
    vault_balance: u64,
}

fn validate(a: &Accounts, program_id: &Pubkey) -> Result<Validated, Error> {
    // depositor: signer (the token program checks it may move depositor_token's tokens).
    check::signer(a.depositor)?;
    // config: the PDA ["config"] with its stored bump (2006), owned by this program, BillingConfig
    // discriminator; not paused.
    let config = state::load_config(a.config, program_id)?;
    if config.paused {
        return Err(fail(BillingError::Paused));
    }
    // depositor_token: writable token account of the configured mint (InvalidMint).
    check::writable(a.depositor_token)?;
    let source = token::account(a.depositor_token)?;
    if !keys_eq(&source.mint, &config.usdc_mint) {
        return Err(fail(BillingError::InvalidMint));
    }
    // team: writable, the PDA ["team_billing", team.owner] with its stored bump (2006), owned by this
    // program, TeamBillingAccount discriminator.
    check::writable(a.team)?;
    let team = state::load_team(a.team, program_id)?;
    // vault: the team's stored vault (InvalidVault), writable.
    check::address(a.vault, &team.vault, fail(BillingError::InvalidVault))?;
    check::writable(a.vault)?;
    let vault_balance = token::amount(a.vault, fail(BillingError::InvalidVault))?;
    // token_program: Tokenkeg only.
    check::program(a.token_program, &TOKEN_PROGRAM_ID)?;
    Ok(Validated { team, vault_balance })
}

pub fn process(program_id: &Pubkey, accounts: &mut [AccountInfo], data: &[u8]) -> Result<(), Error> {
    let args: Args = decode_args(data)?;
    let a = Accounts::parse(accounts)?;
    let Validated { mut team, vault_balance } = validate(&a, program_id)?;
    if args.amount == 0 {
        return Err(fail(BillingError::InvalidAmount));
    }

    let balance_after = math::add(vault_balance, args.amount)?;
    team.record_deposit(args.amount, balance_after)?;
    state::store(a.team, &team)?;

    cpi::token_transfer(a.depositor_token, a.vault, a.depositor, args.amount, None)?;

    log::emit(&FundsDeposited {
        team: *a.team.key(),
        depositor: *a.depositor.key(),
        amount: args.amount,
        balance_after,
    })
}
