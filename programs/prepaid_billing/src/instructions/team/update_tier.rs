//! `update_tier(new_tier)`: the owner or the config admin changes a team's tier. Upgrades apply at once
//! with the prorated base-fee difference; downgrades wait for the next period.

use crate::generated::interface::BillingError;
use crate::generated::layout::instruction::UpdateTier;
use crate::generated::layout::{BillingConfig, TeamBillingAccount, TierUpdated};
use crate::instructions::{decode_args, emit_low_balance, emit_revenue, now, Payout, SOURCE_PRORATION};
use crate::runtime::error::fail;
use crate::runtime::{check, keys_eq, log, token, AccountInfo, Error, Pubkey, TOKEN_PROGRAM_ID};
use crate::state;
use crate::state::team::Snapshot;

/// `new_tier`: 0 Startup, 1 Growth, 2 Enterprise.
pub type Args = UpdateTier;

pub struct Accounts<'a> {
    pub authority: &'a AccountInfo,
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
            [authority, config, team, vault, treasury, staker_pool, token_program, ..] => {
                Ok(Accounts { authority, config, team, vault, treasury, staker_pool, token_program })
            }
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

struct Validated {
    config: BillingConfig,
    team: TeamBillingAccount,
    /// Vault balance before the change, base units.
    vault_balance: u64,
}

fn validate(a: &Accounts, program_id: &Pubkey) -> Result<Validated, Error> {
    // authority: signer.
    check::signer(a.authority)?;
    // config: the PDA ["config"] with its stored bump (2006), owned by this program, BillingConfig discriminator.
    let config = state::load_config(a.config, program_id)?;
    // team: writable, the PDA ["team_billing", team.owner] with its stored bump (2006), owned by this
    // program, TeamBillingAccount discriminator.
    check::writable(a.team)?;
    let team = state::load_team(a.team, program_id)?;
    // authority: the team's owner or the config admin (Unauthorized).
    if !keys_eq(a.authority.key(), &team.owner) && !keys_eq(a.authority.key(), &config.admin) {
        return Err(fail(BillingError::Unauthorized));
    }
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
    let args: Args = decode_args(data)?;
    let a = Accounts::parse(accounts)?;
    let Validated { config, mut team, vault_balance } = validate(&a, program_id)?;

    let now = now()?;
    let change = team.change_tier(&config, args.new_tier, &Snapshot { now, vault: vault_balance })?;
    let balance_after = vault_balance - change.prorated_fee;
    let alert = team.crossed_low_balance(balance_after);
    state::store(a.team, &team)?;

    Payout { vault: a.vault, treasury: a.treasury, staker_pool: a.staker_pool, team: a.team }
        .pay(&team, change.split)?;

    log::emit(&TierUpdated {
        team: *a.team.key(),
        old_tier: change.old_tier,
        new_tier: change.new_tier,
        effective_at: change.effective_at,
        prorated_fee: change.prorated_fee,
    })?;
    emit_revenue(a.team, SOURCE_PRORATION, change.split)?;
    if alert {
        emit_low_balance(a.team, &team, balance_after, Some(now))?;
    }
    Ok(())
}
