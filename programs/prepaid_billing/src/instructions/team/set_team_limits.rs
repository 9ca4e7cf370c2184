//! `set_team_limits(low_balance_threshold, spend_cap)`: the owner sets when the low-balance alert fires
//! and how much overage a period may cost at most (0 = no cap).

use crate::generated::layout::instruction::SetTeamLimits;
use crate::generated::layout::TeamBillingAccount;
use crate::instructions::decode_args;
use crate::runtime::{check, AccountInfo, Error, Pubkey};
use crate::state;

/// `low_balance_threshold`, `spend_cap`: base units.
pub type Args = SetTeamLimits;

pub struct Accounts<'a> {
    pub owner: &'a AccountInfo,
    pub team: &'a mut AccountInfo,
}

impl<'a> Accounts<'a> {
    pub fn parse(accounts: &'a mut [AccountInfo]) -> Result<Accounts<'a>, Error> {
        match accounts {
            [owner, team, ..] => Ok(Accounts { owner, team }),
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

fn validate(a: &Accounts, program_id: &Pubkey) -> Result<TeamBillingAccount, Error> {
    // owner: signer.
    check::signer(a.owner)?;
    // team: writable, the PDA ["team_billing", team.owner] with its stored bump, owned by this program,
    // TeamBillingAccount discriminator; `team.owner` must be the signer (2006 ConstraintSeeds).
    check::writable(a.team)?;
    let team = state::load_team(a.team, program_id)?;
    check::address(a.owner, &team.owner, Error::CONSTRAINT_SEEDS)?;
    Ok(team)
}

pub fn process(program_id: &Pubkey, accounts: &mut [AccountInfo], data: &[u8]) -> Result<(), Error> {
    let args: Args = decode_args(data)?;
    let a = Accounts::parse(accounts)?;
    let mut team = validate(&a, program_id)?;
    team.low_balance_threshold = args.low_balance_threshold;
    team.spend_cap = args.spend_cap;
    state::store(a.team, &team)
}
