//! `roll_period()`: the crank anyone may run. Collects debt and the current period's base fee when
//! due, and once the period has ended starts the next one and charges its base fee.

use crate::generated::interface::BillingError;
use crate::generated::layout::instruction::RollPeriod;
use crate::generated::layout::{BillingConfig, PeriodRolled, TeamBillingAccount};
use crate::instructions::{decode_args, emit_low_balance, emit_revenue, now, Payout, SOURCE_BASE_FEE, SOURCE_DEBT};
use crate::math;
use crate::runtime::error::fail;
use crate::runtime::{check, log, token, AccountInfo, Error, Pubkey, TOKEN_PROGRAM_ID};
use crate::state;
use crate::state::team::{PeriodCharge, Snapshot};

/// No arguments.
pub type Args = RollPeriod;

pub struct Accounts<'a> {
    pub config: &'a AccountInfo,
    pub team: &'a mut AccountInfo,
    pub vault: &'a AccountInfo,
    pub treasury: &'a AccountInfo,
    pub staker_pool: &'a AccountInfo,
    pub token_program: &'a AccountInfo,
}

impl<'a> Accounts<'a> {
    pub fn parse(accounts: &'a mut [AccountInfo]) -> Result<Accounts<'a>, Error> {
        match accounts {
            [config, team, vault, treasury, staker_pool, token_program, ..] => {
                Ok(Accounts { config, team, vault, treasury, staker_pool, token_program })
            }
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

struct Validated {
    config: BillingConfig,
    team: TeamBillingAccount,
    /// Vault balance before the roll, base units.
    vault_balance: u64,
}

fn validate(a: &Accounts, program_id: &Pubkey) -> Result<Validated, Error> {
    // config: the PDA ["config"] with its stored bump (2006), owned by this program, BillingConfig discriminator.
    let config = state::load_config(a.config, program_id)?;
    // team: writable, the PDA ["team_billing", team.owner] with its stored bump (2006), owned by this
    // program, TeamBillingAccount discriminator.
    check::writable(a.team)?;
    let team = state::load_team(a.team, program_id)?;
    // vault: the team's stored vault (InvalidVault), writable.
    check::address(a.vault, &team.vault, fail(BillingError::InvalidVault))?;
    check::writable(a.vault)?;
    let vault_balance = token::amount(a.vault, fail(BillingError::InvalidVault))?;
    // treasury, staker_pool: the config's accounts (InvalidTreasury), writable.
    check::address(a.treasury, &config.treasury, fail(BillingError::InvalidTreasury))?;
    check::address(a.staker_pool, &config.staker_pool, fail(BillingError::InvalidTreasury))?;
    check::writable(a.treasury)?;
    check::writable(a.staker_pool)?;
    // token_program: Tokenkeg only.
    check::program(a.token_program, &TOKEN_PROGRAM_ID)?;
    Ok(Validated { config, team, vault_balance })
}

pub fn process(program_id: &Pubkey, accounts: &mut [AccountInfo], data: &[u8]) -> Result<(), Error> {
    let _: Args = decode_args(data)?;
    let a = Accounts::parse(accounts)?;
    let Validated { config, mut team, vault_balance } = validate(&a, program_id)?;

    let now = now()?;
    let roll = team.roll(&config, &Snapshot { now, vault: vault_balance })?;
    let paid = math::add(roll.payout.treasury, roll.payout.stakers)?;
    let balance_after = math::sub(vault_balance, paid)?;
    let alert = team.crossed_low_balance(balance_after);
    state::store(a.team, &team)?;

    Payout { vault: a.vault, treasury: a.treasury, staker_pool: a.staker_pool, team: a.team }
        .pay(&team, roll.payout)?;

    emit_revenue(a.team, SOURCE_DEBT, roll.debt_split)?;
    if let Some(charge) = roll.current {
        emit_period(a.team, &charge)?;
    }
    if let Some(charge) = roll.next {
        emit_period(a.team, &charge)?;
    }
    if alert {
        emit_low_balance(a.team, &team, balance_after, Some(now))?;
    }
    Ok(())
}

/// `PeriodRolled` for a period whose base fee was charged, then its `RevenueDistributed`.
fn emit_period(team: &AccountInfo, charge: &PeriodCharge) -> Result<(), Error> {
    log::emit(&PeriodRolled {
        team: *team.key(),
        period_start: charge.period.start,
        period_end: charge.period.end,
        tier: charge.tier,
        base_fee_charged: charge.paid,
    })?;
    emit_revenue(team, SOURCE_BASE_FEE, charge.split)
}
