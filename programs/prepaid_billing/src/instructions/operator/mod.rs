//! Instructions of the operator: usage settlement by the billing authority, and the period crank
//! anyone may run.

pub mod deduct_usage;
pub mod roll_period;
