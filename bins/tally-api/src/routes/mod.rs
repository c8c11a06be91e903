//! The endpoints, one module per area.

pub mod audit;
pub mod meta;
pub mod monitor;
pub mod reports;
pub mod runs;
pub mod seats;
pub mod usage;
