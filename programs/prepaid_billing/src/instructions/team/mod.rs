//! Instructions of team owners and depositors.

pub mod close_team_account;
pub mod create_team_account;
pub mod deposit_funds;
pub mod request_withdrawal;
pub mod set_team_limits;
pub mod update_tier;
pub mod withdraw_unused;
