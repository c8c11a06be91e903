//! Integration tests of `tally-fixtures`, in one binary.

mod audit_log;
mod calendar;
mod common;
mod determinism;
mod events;
mod identities;
mod index;
mod users;
