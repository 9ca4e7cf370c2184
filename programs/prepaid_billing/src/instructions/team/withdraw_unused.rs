//! `withdraw_unused()`: after the notice, the owner takes the pending amount (never more than the vault
//! holds above the team's debt) to a token account of their own. Works while paused and without the
//! operator: funds can always leave.

use crate::generated::interface::BillingError;
use crate::generated::layout::instruction::WithdrawUnused;
use crate::generated::layout::{FundsWithdrawn, TeamBillingAccount};
use crate::instructions::{decode_args, emit_low_balance, now};
use crate::runtime::cpi::{self, Seeds};
use crate::runtime::error::fail;
use crate::runtime::{check, keys_eq, log, token, AccountInfo, Error, Pubkey, TOKEN_PROGRAM_ID};
use crate::state::team::Snapshot;
use crate::state::{self, TEAM_SEED};

/// No arguments: the amount is the pending request.
pub type Args = WithdrawUnused;

pub struct Accounts<'a> {
    pub owner: &'a AccountInfo,
    pub owner_token: &'a AccountInfo,
    pub config: &'a AccountInfo,
    pub team: &'a mut AccountInfo,
    pub vault: &'a AccountInfo,
    pub token_program: &'a AccountInfo,
}

impl<'a> Accounts<'a> {
    pub fn parse(accounts: &'a mut [AccountInfo]) -> Result<Accounts<'a>, Error> {
        match accounts {
            [owner, owner_token, config, team, vault, token_program, ..] => {
                Ok(Accounts { owner, owner_token, config, team, vault, token_program })
            }
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

struct Validated {
    team: TeamBillingAccount,
    /// Vault balance before the withdrawal, base units.
    vault_balance: u64,
}

fn validate(a: &Accounts, program_id: &Pubkey) -> Result<Validated, Error> {
    // owner: signer.
    check::signer(a.owner)?;
    // config: the PDA ["config"] with its stored bump (2006), owned by this program, BillingConfig
    // discriminator (read for the mint; `paused` is deliberately not checked).
    let config = state::load_config(a.config, program_id)?;
    // owner_token: writable token account of the configured mint (InvalidMint) whose authority is the
    // owner (2015 ConstraintTokenOwner): funds only go back to the owner.
    check::writable(a.owner_token)?;
    let destination = token::account(a.owner_token)?;
    if !keys_eq(&destination.mint, &config.usdc_mint) {
        return Err(fail(BillingError::InvalidMint));
    }
    if !keys_eq(&destination.owner, a.owner.key()) {
        return Err(Error::CONSTRAINT_TOKEN_OWNER);
    }
    // team: writable, the PDA ["team_billing", team.owner] with its stored bump, owned by this program,
    // TeamBillingAccount discriminator; `team.owner` must be the signer (2006 ConstraintSeeds).
    check::writable(a.team)?;
    let team = state::load_team(a.team, program_id)?;
    check::address(a.owner, &team.owner, Error::CONSTRAINT_SEEDS)?;
    // vault: the team's stored vault (InvalidVault), writable.
    check::address(a.vault, &team.vault, fail(BillingError::InvalidVault))?;
    check::writable(a.vault)?;
    let vault_balance = token::amount(a.vault, fail(BillingError::InvalidVault))?;
    // token_program: Tokenkeg only.
    check::program(a.token_program, &TOKEN_PROGRAM_ID)?;
    Ok(Validated { team, vault_balance })
}

pub fn process(program_id: &Pubkey, accounts: &mut [AccountInfo], data: &[u8]) -> Result<(), Error> {
    let _: Args = decode_args(data)?;
    let a = Accounts::parse(accounts)?;
    let Validated { mut team, vault_balance } = validate(&a, program_id)?;

    let now = now()?;
    let amount = team.withdraw(&Snapshot { now, vault: vault_balance })?;
    let balance_after = vault_balance - amount;
    let alert = team.crossed_low_balance(balance_after);
    state::store(a.team, &team)?;

    if amount > 0 {
        let bump = [team.bump];
        let seeds = Seeds::new(&[TEAM_SEED, &team.owner.0, &bump]);
        cpi::token_transfer(a.vault, a.owner_token, a.team, amount, Some(&seeds))?;
    }

    log::emit(&FundsWithdrawn { team: *a.team.key(), owner: team.owner, amount, balance_after })?;
    if alert {
        emit_low_balance(a.team, &team, balance_after, Some(now))?;
    }
    Ok(())
}
