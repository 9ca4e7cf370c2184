//! Instructions of the deployment's admin.

pub mod initialize_config;
pub mod update_config;
