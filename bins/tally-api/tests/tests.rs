//! End-to-end tests of `tally-api`: the real binary serving a real SQLite file on
//! loopback, read with a plain HTTP client.

mod common;

mod access;
mod cli;
mod connections;
mod conventions;
mod dashboard;
mod event_mappings;
mod live;
mod monitor_activities;
mod operator;
mod problems;
mod seat_surprises;
mod whole_tables;
