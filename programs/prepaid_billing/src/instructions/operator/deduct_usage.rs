//! `deduct_usage(batch_seq, request_count, usage_root)`: the billing authority settles one usage batch
//! of a team. The price is computed here from the tier terms, capped by the team's spend cap; what the
//! vault cannot pay becomes debt.

use crate::generated::interface::BillingError;
use crate::generated::layout::instruction::DeductUsage;
use crate::generated::layout::{BillingConfig, TeamBillingAccount, UsageDeducted};
use crate::instructions::{decode_args, emit_low_balance, emit_revenue, Payout, SOURCE_OVERAGE};
use crate::runtime::error::fail;
use crate::runtime::{check, log, token, AccountInfo, Error, Pubkey, TOKEN_PROGRAM_ID};
use crate::state;
use crate::state::team::UsageBatch;

/// `batch_seq` (must be `last_batch_seq + 1`), `request_count` (> 0), `usage_root` (Merkle root of the
/// batch's usage records, reported in the event).
pub type Args = DeductUsage;

pub struct Accounts<'a> {
    pub billing_authority: &'a AccountInfo,
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
            [billing_authority, config, team, vault, treasury, staker_pool, token_program, ..] => {
                Ok(Accounts { billing_authority, config, team, vault, treasury, staker_pool, token_program })
            }
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

struct Validated {
    config: BillingConfig,
    team: TeamBillingAccount,
    /// Vault balance before the batch, base units.
    vault_balance: u64,
}

fn validate(a: &Accounts, program_id: &Pubkey) -> Result<Validated, Error> {
    // billing_authority: signer, and the key the config names (Unauthorized).
    check::signer(a.billing_authority)?;
    // config: the PDA ["config"] with its stored bump (2006), owned by this program, BillingConfig discriminator.
    let config = state::load_config(a.config, program_id)?;
    check::address(a.billing_authority, &config.billing_authority, fail(BillingError::Unauthorized))?;
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
    let args: Args = decode_args(data)?;
    let a = Accounts::parse(accounts)?;
    let Validated { config, mut team, vault_balance } = validate(&a, program_id)?;

    let terms = config.terms(team.tier)?;
    let charge = team.settle_usage(
        &terms,
        &UsageBatch { seq: args.batch_seq, request_count: args.request_count },
        vault_balance,
    )?;
    let split = config.split_overage(charge.paid)?;
    let balance_after = vault_balance - charge.paid; // paid ≤ vault_balance by construction
    let alert = team.crossed_low_balance(balance_after);
    state::store(a.team, &team)?;

    Payout { vault: a.vault, treasury: a.treasury, staker_pool: a.staker_pool, team: a.team }.pay(&team, split)?;

    log::emit(&UsageDeducted {
        team: *a.team.key(),
        batch_seq: args.batch_seq,
        request_count: args.request_count,
        amount_charged: charge.charged,
        amount_paid: charge.paid,
        amount_waived: charge.waived,
        period_requests: team.period_requests,
        balance_after,
        usage_root: args.usage_root,
    })?;
    emit_revenue(a.team, SOURCE_OVERAGE, split)?;
    if alert {
        emit_low_balance(a.team, &team, balance_after, None)?;
    }
    Ok(())
}
