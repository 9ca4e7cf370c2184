//! `create_team_account(tier)`: a wallet opens its team: the team account at PDA
//! `["team_billing", owner]` and its vault, an SPL token account of the configured mint at PDA
//! `["team_usdc", owner]` whose authority is the team PDA. The first period starts now and its base fee
//! is due (charged by the first `roll_period`).

use crate::generated::interface::BillingError;
use crate::generated::layout::instruction::CreateTeamAccount;
use crate::generated::layout::{BillingConfig, TeamAccountCreated, TeamBillingAccount};
use crate::instructions::{decode_args, now};
use crate::runtime::cpi::{self, Seeds};
use crate::runtime::error::fail;
use crate::runtime::pda::{self, Pda};
use crate::runtime::{check, keys_eq, log, token, AccountInfo, Error, Pubkey, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID};
use crate::state::team::Opening;
use crate::state::{self, TEAM_SEED, VAULT_SEED};

/// `tier`: 0 Startup, 1 Growth, 2 Enterprise.
pub type Args = CreateTeamAccount;

pub struct Accounts<'a> {
    pub owner: &'a AccountInfo,
    pub config: &'a AccountInfo,
    pub team: &'a mut AccountInfo,
    pub vault: &'a AccountInfo,
    pub usdc_mint: &'a AccountInfo,
    pub token_program: &'a AccountInfo,
    pub system_program: &'a AccountInfo,
}

impl<'a> Accounts<'a> {
    pub fn parse(accounts: &'a mut [AccountInfo]) -> Result<Accounts<'a>, Error> {
        match accounts {
            [owner, config, team, vault, usdc_mint, token_program, system_program, ..] => {
                Ok(Accounts { owner, config, team, vault, usdc_mint, token_program, system_program })
            }
            _ => Err(Error::ACCOUNT_NOT_ENOUGH_KEYS),
        }
    }
}

struct Validated {
    config: BillingConfig,
    team: Pda,
    vault: Pda,
}

fn validate(a: &Accounts, program_id: &Pubkey) -> Result<Validated, Error> {
    // owner: signer, writable (pays the rent of both accounts).
    check::signer(a.owner)?;
    check::writable(a.owner)?;
    // config: the PDA ["config"] with its stored bump (2006), owned by this program, BillingConfig discriminator.
    let config = state::load_config(a.config, program_id)?;
    // team: writable, the canonical PDA ["team_billing", owner] (2006 ConstraintSeeds); the system
    // program refuses to create it if it already exists.
    check::writable(a.team)?;
    let team = pda::find(&Seeds::new(&[TEAM_SEED, &a.owner.key().0]), program_id)?;
    check::address(a.team, &team.address, Error::CONSTRAINT_SEEDS)?;
    // vault: writable, the canonical PDA ["team_usdc", owner] (2006 ConstraintSeeds).
    check::writable(a.vault)?;
    let vault = pda::find(&Seeds::new(&[VAULT_SEED, &a.owner.key().0]), program_id)?;
    check::address(a.vault, &vault.address, Error::CONSTRAINT_SEEDS)?;
    // usdc_mint: the configured mint (InvalidMint).
    if !keys_eq(a.usdc_mint.key(), &config.usdc_mint) {
        return Err(fail(BillingError::InvalidMint));
    }
    token::mint(a.usdc_mint, fail(BillingError::InvalidMint))?;
    // token_program: Tokenkeg only; system_program: the system program.
    check::program(a.token_program, &TOKEN_PROGRAM_ID)?;
    check::program(a.system_program, &SYSTEM_PROGRAM_ID)?;
    Ok(Validated { config, team, vault })
}

pub fn process(program_id: &Pubkey, accounts: &mut [AccountInfo], data: &[u8]) -> Result<(), Error> {
    let args: Args = decode_args(data)?;
    let a = Accounts::parse(accounts)?;
    let Validated { config, team: team_pda, vault: vault_pda } = validate(&a, program_id)?;

    let team = TeamBillingAccount::open(&Opening {
        owner: a.owner.key(),
        vault: &vault_pda.address,
        tier: args.tier,
        now: now()?,
        period_secs: config.period_secs,
        bump: team_pda.bump,
        vault_bump: vault_pda.bump,
    })?;

    let team_bump = [team_pda.bump];
    let team_seeds = Seeds::new(&[TEAM_SEED, &a.owner.key().0, &team_bump]);
    cpi::create_pda_account(a.owner, a.team, state::space::<TeamBillingAccount>(), program_id, &team_seeds)?;
    let vault_bump = [vault_pda.bump];
    let vault_seeds = Seeds::new(&[VAULT_SEED, &a.owner.key().0, &vault_bump]);
    cpi::create_pda_account(a.owner, a.vault, token::ACCOUNT_LEN as u64, &TOKEN_PROGRAM_ID, &vault_seeds)?;
    cpi::token_initialize_account3(a.vault, a.usdc_mint, &team_pda.address)?;
    state::init(a.team, &team)?;

    log::emit(&TeamAccountCreated {
        team: team_pda.address,
        owner: team.owner,
        vault: team.vault,
        tier: team.tier,
        period_end: team.period_end,
    })
}
