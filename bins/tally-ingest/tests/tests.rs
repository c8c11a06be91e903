//! End-to-end tests of the `tally-ingest` binary: a real process, real HTTP on
//! loopback, the real SQLite file read back by an independent connection.

mod common;

mod cli;
mod compat;
mod connections;
mod crash;
mod event_mappings;
mod full_disk;
mod http;
mod input;
mod keys;
mod log;
mod openapi;
mod operator;
mod retention;
mod sdk;
