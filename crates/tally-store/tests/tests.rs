//! Integration tests of the store, on real SQLite files in temporary directories.

mod common;

mod accounts;
mod append;
mod dashboard_update;
mod event_mappings;
mod merge;
mod monitor;
mod monitor_quarters;
mod schema;
mod seat_properties;
mod seats;
mod syncs;
mod tokens;
mod usage;
