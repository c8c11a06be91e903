//! Integration tests of the audit store, on real SQLite files in temporary
//! directories. Tampering tests change the file with a connection of their own.

mod common;

mod append;
mod diff;
mod query;
mod redaction;
mod retention;
mod schema;
mod tampering;
