//! `request_withdrawal(amount)`: the owner announces a withdrawal, which unlocks after the configured
//! notice; `amount = 0` cancels the pending one.

use crate::generated::interface::BillingError;
use crate::generated::layout::instruction::RequestWithdrawal;
use crate::generated::layout::{BillingConfig, TeamBillingAccount, WithdrawalRequested};
use crate::instructions::{decode_args, now};
use crate::runtime::error::fail;
use crate::runtime::{check, log, token, AccountInfo, Error, Pubkey};
use crate::state;
use crate::state::team::Snapshot;

/// `amount`: base units, at most vault − unpaid debt; 0 cancels.
pub type Args = RequestWithdrawal;

pub struct Accounts<'a> {
    pub owner: &'a AccountInfo,
    pub config: &'a AccountInfo,
    pub team: &'a mut AccountInfo,
    pub vault: &'a AccountInfo,
}

impl<'a> Accounts<'a> {
    pub fn parse(accounts: &'a mut [AccountInfo]) -> Result<Accounts<'a>, Error> {
        match accounts {
            [owner, config, team, vault, ..] => Ok(Accounts { owner, config, team, vault }),
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

struct Validated {
    config: BillingConfig,
    team: TeamBillingAccount,
    /// Vault balance, base units.
    vault_balance: u64,
}

fn validate(a: &Accounts, program_id: &Pubkey) -> Result<Validated, Error> {
    // owner: signer.
    check::signer(a.owner)?;
    // config: the PDA ["config"] with its stored bump (2006), owned by this program, BillingConfig discriminator.
    let config = state::load_config(a.config, program_id)?;
    // team: writable, the PDA ["team_billing", team.owner] with its stored bump, owned by this program,
    // TeamBillingAccount discriminator; `team.owner` must be the signer (2006 ConstraintSeeds).
    check::writable(a.team)?;
    let team = state::load_team(a.team, program_id)?;
    check::address(a.owner, &team.owner, Error::CONSTRAINT_SEEDS)?;
    // vault: the team's stored vault (InvalidVault), read for its balance.
    check::address(a.vault, &team.vault, fail(BillingError::InvalidVault))?;
    let vault_balance = token::amount(a.vault, fail(BillingError::InvalidVault))?;
    Ok(Validated { config, team, vault_balance })
}

pub fn process(program_id: &Pubkey, accounts: &mut [AccountInfo], data: &[u8]) -> Result<(), Error> {
    let args: Args = decode_args(data)?;
    let a = Accounts::parse(accounts)?;
    let Validated { config, mut team, vault_balance } = validate(&a, program_id)?;

    let now = now()?;
    team.request_withdrawal(args.amount, config.withdrawal_notice_secs, &Snapshot { now, vault: vault_balance })?;
    state::store(a.team, &team)?;

    log::emit(&WithdrawalRequested {
        team: *a.team.key(),
        amount: team.pending_withdrawal,
        unlock_at: team.withdrawal_unlock_at,
    })
}
