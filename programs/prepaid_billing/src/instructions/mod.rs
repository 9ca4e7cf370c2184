//! One module per instruction, grouped by caller. Each file holds, in order: the args (generated from
//! the IDL), the accounts in IDL order, `validate()` saying where each account is checked, and the
//! handler. Helpers shared by several instructions are below.

pub mod admin;
pub mod operator;
pub mod team;

use crate::generated::layout::{LowBalanceAlert, RevenueDistributed, TeamBillingAccount};
use crate::math::Split;
use crate::runtime::borsh::{Borsh, Reader};
use crate::runtime::cpi::{self, Seeds};
use crate::runtime::{log, sysvar, AccountInfo, Error};
use crate::state::TEAM_SEED;

/// `RevenueDistributed.source` values.
pub const SOURCE_BASE_FEE: u8 = 0;
pub const SOURCE_OVERAGE: u8 = 1;
pub const SOURCE_PRORATION: u8 = 2;
pub const SOURCE_DEBT: u8 = 3;

/// Decodes instruction arguments as Anchor does (trailing bytes are ignored); 102 on failure.
pub fn decode_args<T: Borsh>(data: &[u8]) -> Result<T, Error> {
    T::decode(&mut Reader::new(data, Error::INSTRUCTION_DID_NOT_DESERIALIZE))
}

/// Current unix time, seconds.
#[inline(always)]
pub fn now() -> Result<i64, Error> {
    Ok(sysvar::clock()?.unix_timestamp)
}

/// The vault and revenue accounts that money leaves and reaches, with the team PDA as the vault's
/// authority.
pub struct Payout<'a> {
    pub vault: &'a AccountInfo,
    pub treasury: &'a AccountInfo,
    pub staker_pool: &'a AccountInfo,
    pub team: &'a AccountInfo,
}

impl<'a> Payout<'a> {
    /// Moves `split` out of the vault (treasury share, then stakers' share), skipping zero amounts; the
    /// team PDA signs with its stored bump.
    pub fn pay(&self, team: &TeamBillingAccount, split: Split) -> Result<(), Error> {
        let bump = [team.bump];
        let seeds = Seeds::new(&[TEAM_SEED, &team.owner.0, &bump]);
        if split.treasury > 0 {
            cpi::token_transfer(self.vault, self.treasury, self.team, split.treasury, Some(&seeds))?;
        }
        if split.stakers > 0 {
            cpi::token_transfer(self.vault, self.staker_pool, self.team, split.stakers, Some(&seeds))?;
        }
        Ok(())
    }
}

/// Emits `RevenueDistributed` for a nonzero `split`.
pub fn emit_revenue(team: &AccountInfo, source: u8, split: Split) -> Result<(), Error> {
    if split.treasury == 0 && split.stakers == 0 {
        return Ok(());
    }
    log::emit(&RevenueDistributed {
        team: *team.key(),
        source,
        treasury_amount: split.treasury,
        staker_amount: split.stakers,
    })
}

/// Emits `LowBalanceAlert` at `now` (read from the clock only when the alert fires).
pub fn emit_low_balance(
    team_key: &AccountInfo,
    team: &TeamBillingAccount,
    balance: u64,
    now: Option<i64>,
) -> Result<(), Error> {
    let timestamp = match now {
        Some(t) => t,
        None => sysvar::clock()?.unix_timestamp,
    };
    log::emit(&LowBalanceAlert {
        team: *team_key.key(),
        owner: team.owner,
        balance,
        threshold: team.low_balance_threshold,
        timestamp,
    })
}
