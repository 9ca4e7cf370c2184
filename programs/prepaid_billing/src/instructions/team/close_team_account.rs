//! `close_team_account()`: the owner closes an empty, debt-free team: the vault is closed through the
//! token program and the team account here; all rent goes back to the owner.

use crate::generated::interface::BillingError;
use crate::generated::layout::instruction::CloseTeamAccount;
use crate::generated::layout::TeamBillingAccount;
use crate::instructions::decode_args;
use crate::math;
use crate::runtime::cpi::{self, Seeds};
use crate::runtime::error::fail;
use crate::runtime::{check, token, AccountInfo, Error, Pubkey, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID};
use crate::state::{self, TEAM_SEED};

/// No arguments.
pub type Args = CloseTeamAccount;

pub struct Accounts<'a> {
    pub owner: &'a mut AccountInfo,
    pub team: &'a mut AccountInfo,
    pub vault: &'a AccountInfo,
    pub token_program: &'a AccountInfo,
}

impl<'a> Accounts<'a> {
    pub fn parse(accounts: &'a mut [AccountInfo]) -> Result<Accounts<'a>, Error> {
        match accounts {
            [owner, team, vault, token_program, ..] => Ok(Accounts { owner, team, vault, token_program }),
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

struct Validated {
    team: TeamBillingAccount,
    vault_balance: u64,
}

fn validate(a: &Accounts, program_id: &Pubkey) -> Result<Validated, Error> {
    // owner: signer, writable (receives the rent).
    check::signer(a.owner)?;
    check::writable(a.owner)?;
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
    let Validated { team, vault_balance } = validate(&a, program_id)?;
    team.ensure_closable(vault_balance)?;

    let bump = [team.bump];
    let seeds = Seeds::new(&[TEAM_SEED, &team.owner.0, &bump]);
    cpi::token_close_account(a.vault, a.owner, a.team, &seeds)?;

    // The team account: its lamports to the owner, then handed back to the system program empty.
    let refund = math::add(a.owner.lamports(), a.team.lamports())?;
    a.owner.set_lamports(refund);
    a.team.set_lamports(0);
    a.team.close_to(&SYSTEM_PROGRAM_ID);
    Ok(())
}
