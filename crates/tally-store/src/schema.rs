//! The schema, as a list of migrations. A file's `user_version` says how many have run.
//!
//! Never edit a migration that has shipped: add a new one. `tests/` upgrades a file
//! made by every earlier version (kept in `fixtures/schema/`).

use rusqlite_migration::{M, Migrations};

/// Schema version 1: accounts, their terms, and the event log.
///
/// `events.id_hash` is a 64-bit hash of (account, event id). Senders use random
/// UUIDs, and a B-tree keyed on random 36-byte text grows so large and scattered
/// that every insert dirties a different page; a narrow integer key keeps the
/// idempotency index a fraction of the size. Equal hashes are compared on
/// `event_id`, so a collision can never merge two events.
const V1: &str = "
CREATE TABLE accounts (
    account_id     INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    time_zone      TEXT NOT NULL,
    week_start     TEXT NOT NULL,
    write_key_hash BLOB NOT NULL UNIQUE,
    created_at     TEXT NOT NULL
) STRICT;

CREATE TABLE subscription_terms (
    account_id INTEGER NOT NULL REFERENCES accounts (account_id),
    start_date TEXT NOT NULL,
    end_date   TEXT NOT NULL,
    PRIMARY KEY (account_id, start_date)
) STRICT;

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    id_hash    INTEGER NOT NULL,
    event_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at_us      INTEGER NOT NULL,
    payload    TEXT NOT NULL
) STRICT;

CREATE INDEX events_by_id_hash ON events (id_hash);
";

/// Schema version 2: organizations and teams as account configuration, and the
/// (account, kind, instant) index every per-kind figure and monthly count reads.
///
/// Events may name an organization or team that was never configured: the sender
/// knows its organizations before Tally does. Configuration adds display names.
const V2: &str = "
CREATE TABLE organizations (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    organization TEXT NOT NULL,
    name         TEXT NOT NULL,
    PRIMARY KEY (account_id, organization)
) STRICT;

CREATE TABLE teams (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    team         TEXT NOT NULL,
    name         TEXT NOT NULL,
    organization TEXT,
    PRIMARY KEY (account_id, team)
) STRICT;

CREATE INDEX events_by_account_kind_at ON events (account_id, kind, at_us);
";

/// All migrations, oldest first.
pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1), M::up(V2)])
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = 2;

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
        assert_eq!(
            super::migrations()
                .pending_migrations(&mut rusqlite::Connection::open_in_memory().unwrap())
                .unwrap(),
            super::SCHEMA_VERSION as i32
        );
    }
}
