//! The audit tables, as a list of migrations, and how they are applied to a file
//! that may belong to another program.
//!
//! rusqlite_migration keeps its version in `PRAGMA user_version`, and a file has
//! only one. Tally's own store keeps its version there, so the audit tables cannot:
//! sharing it would make each program take the other's version for its own. The
//! audit tables keep their version in `audit_schema` instead, and the migrations
//! run on a connection of their own whose main database is an empty in-memory one
//! and which attaches the file as `store`: `user_version` is then the in-memory
//! database's, set from `audit_schema` before the run, and every statement names
//! `store.` explicitly. Each migration also writes its number to
//! `store.audit_schema`, in the same transaction as its tables.
//!
//! Never edit a migration that has shipped: add a new one.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite_migration::{M, Migrations};

use crate::AuditError;
use crate::chain::as_hash;
use crate::seal::{Keys, Record};

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = 2;

/// Schema version 1.
///
/// - `audit_accounts`: one row per account with the chain's sealed head (the last
///   seq and its hash) and its signed checkpoint (every entry up to
///   `checkpoint_seq` is purged; `checkpoint_hash` is the chain hash there). A
///   fresh account has both at seq 0 with the all-zero hash.
/// - `audit_entries`: one row per retained entry, every field a column. The
///   entry's canonical bytes are rebuilt from the columns (see `canonical.rs`), so
///   no column can change without changing the hash. Snapshots are canonical JSON
///   text, after redaction. A rowid table: rows with snapshots are large.
/// - `audit_tombstones`: a purged entry whose seq is above the checkpoint keeps its
///   seq and chain hash here, sealed as purged; once every entry below it is gone
///   too, it folds into the checkpoint.
/// - `audit_retention`: an account's own retention periods; no row means the
///   defaults.
///
/// Indexes: (account, seq) for reads and verification in chain order, (account,
/// event id) for idempotency, (account, instant) for the listing's default order
/// and date ranges, (account, resource, instant) for one kind's tab and for purges.
const V1: &str = "
CREATE TABLE store.audit_schema (
    version INTEGER NOT NULL
) STRICT;

INSERT INTO store.audit_schema (version) VALUES (1);

CREATE TABLE store.audit_accounts (
    account_id           INTEGER PRIMARY KEY,
    account              TEXT NOT NULL UNIQUE,
    head_seq             INTEGER NOT NULL,
    head_hash            BLOB NOT NULL,
    head_seal            BLOB NOT NULL,
    checkpoint_seq       INTEGER NOT NULL,
    checkpoint_hash      BLOB NOT NULL,
    checkpoint_signature BLOB NOT NULL
) STRICT;

CREATE TABLE store.audit_entries (
    entry_id    INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    at_us       INTEGER NOT NULL,
    resource    TEXT NOT NULL,
    resource_id TEXT,
    operation   TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source      TEXT NOT NULL,
    origin      TEXT NOT NULL,
    status      TEXT NOT NULL,
    error       TEXT,
    user        TEXT,
    blueprint   TEXT,
    entity      TEXT,
    run_id      TEXT,
    integration TEXT,
    before      TEXT,
    after       TEXT,
    hash        BLOB NOT NULL,
    seal        BLOB NOT NULL
) STRICT;

CREATE UNIQUE INDEX store.audit_entries_by_seq ON audit_entries (account_id, seq);
CREATE UNIQUE INDEX store.audit_entries_by_event_id ON audit_entries (account_id, event_id);
CREATE INDEX store.audit_entries_by_at ON audit_entries (account_id, at_us, seq);
CREATE INDEX store.audit_entries_by_resource ON audit_entries (account_id, resource, at_us, seq);

CREATE TABLE store.audit_tombstones (
    account_id INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    hash       BLOB NOT NULL,
    seal       BLOB NOT NULL,
    PRIMARY KEY (account_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE store.audit_retention (
    account      TEXT PRIMARY KEY,
    audit_days   INTEGER NOT NULL,
    sign_in_days INTEGER NOT NULL
) STRICT;
";

/// Schema version 2: an account's retention periods live in its
/// `audit_accounts` row, sealed (`retention_seal`), so that whoever holds the
/// file but not the key cannot shorten them. Every account gets explicit
/// periods: its own from v1's `audit_retention`, or the defaults (90 and 30
/// days). An account with periods of its own and no entries yet gets an empty
/// chain record to hold them. The seals are made with the store's key, through
/// the SQL functions [`upgrade`] gives the migrating connection: v1's periods
/// are taken as they are found when the file is upgraded.
const V2: &str = "
ALTER TABLE store.audit_accounts ADD COLUMN audit_days INTEGER NOT NULL DEFAULT 90;
ALTER TABLE store.audit_accounts ADD COLUMN sign_in_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE store.audit_accounts ADD COLUMN retention_seal BLOB NOT NULL DEFAULT x'';

UPDATE store.audit_accounts
SET audit_days = retention.audit_days, sign_in_days = retention.sign_in_days
FROM store.audit_retention AS retention
WHERE retention.account = audit_accounts.account;

INSERT INTO store.audit_accounts (account, head_seq, head_hash, head_seal,
    checkpoint_seq, checkpoint_hash, checkpoint_signature, audit_days, sign_in_days)
SELECT account, 0, zeroblob(32), audit_seal('head', account, 0, zeroblob(32)),
    0, zeroblob(32), audit_seal('checkpoint', account, 0, zeroblob(32)),
    audit_days, sign_in_days
FROM store.audit_retention
WHERE account NOT IN (SELECT account FROM store.audit_accounts);

UPDATE store.audit_accounts
SET retention_seal = audit_retention_seal(account, audit_days, sign_in_days);

DROP TABLE store.audit_retention;

INSERT INTO store.audit_schema (version) VALUES (2);
";

/// All migrations, oldest first. Each names `store.` and ends by recording its
/// number in `store.audit_schema`. They run on a connection given the SQL
/// functions of [`seal_functions`].
pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1), M::up(V2)])
}

/// Gives `connection` the seals a migration makes, with `keys`:
/// `audit_seal(record, account, seq, hash)` for `'head'` and `'checkpoint'`,
/// and `audit_retention_seal(account, audit_days, sign_in_days)`.
pub(crate) fn seal_functions(connection: &Connection, keys: &Keys) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let seal_keys = keys.clone();
    connection.create_scalar_function("audit_seal", 4, flags, move |context| {
        let record = match context.get::<String>(0)?.as_str() {
            "head" => Record::Head,
            "checkpoint" => Record::Checkpoint,
            other => {
                return Err(rusqlite::Error::UserFunctionError(
                    format!("no such sealed record: {other}").into(),
                ));
            }
        };
        let account: String = context.get(1)?;
        let seq: i64 = context.get(2)?;
        let hash: Vec<u8> = context.get(3)?;
        let hash = as_hash(&hash)
            .ok_or_else(|| rusqlite::Error::UserFunctionError("a chain hash is 32 bytes".into()))?;
        Ok(seal_keys.seal(record, &account, seq.max(0) as u64, &hash).to_vec())
    })?;
    let retention_keys = keys.clone();
    connection.create_scalar_function("audit_retention_seal", 3, flags, move |context| {
        let account: String = context.get(0)?;
        let days = |index| -> rusqlite::Result<u32> {
            u32::try_from(context.get::<i64>(index)?).map_err(|error| {
                rusqlite::Error::UserFunctionError(format!("a retention period: {error}").into())
            })
        };
        Ok(retention_keys.retention_seal(&account, days(1)?, days(2)?).to_vec())
    })
}

/// The audit tables' version in the file: 0 before they exist.
pub(crate) fn stored_version(connection: &Connection) -> rusqlite::Result<i64> {
    let exists: i64 = connection.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_schema'",
        [],
        |row| row.get(0),
    )?;
    if exists == 0 {
        return Ok(0);
    }
    connection.query_row("SELECT max(version) FROM audit_schema", [], |row| row.get(0))
}

/// Brings the audit tables of the file at `path` from version `found` to
/// [`SCHEMA_VERSION`]; `connection` is the store's own, used to see whether
/// another process did it meanwhile.
pub(crate) fn upgrade(
    path: &Path,
    connection: &Connection,
    found: i64,
    busy_timeout: Duration,
    keys: &Keys,
) -> Result<(), AuditError> {
    let open_error = |source| AuditError::Open { path: path.to_owned(), source };
    let migrate_error = |source| AuditError::Migrate { path: path.to_owned(), source };
    let mut migrating = Connection::open_in_memory().map_err(open_error)?;
    migrating.busy_timeout(busy_timeout).map_err(open_error)?;
    let path_text =
        path.to_str().ok_or_else(|| open_error(rusqlite::Error::InvalidPath(path.to_owned())))?;
    migrating.execute("ATTACH DATABASE ?1 AS store", [path_text]).map_err(open_error)?;
    migrating.pragma_update(None, "user_version", found).map_err(open_error)?;
    seal_functions(&migrating, keys).map_err(open_error)?;
    match migrations().to_latest(&mut migrating) {
        Ok(()) => Ok(()),
        // Two processes opening a new file at once both start from the version they
        // read; the second's `CREATE TABLE` fails. Its work is done if the first's is.
        Err(source) => match stored_version(connection) {
            Ok(now) if now == SCHEMA_VERSION as i64 => Ok(()),
            _ => Err(migrate_error(source)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Migrations::validate` runs on a bare in-memory database, which has no
    /// `store` to create tables in; this is the same check with one attached.
    fn validate() -> rusqlite_migration::Result<i64> {
        let mut connection = Connection::open_in_memory().unwrap();
        connection.execute("ATTACH DATABASE ':memory:' AS store", []).unwrap();
        seal_functions(&connection, &Keys::new([7; 32])).unwrap();
        migrations().to_latest(&mut connection)?;
        Ok(connection
            .query_row("SELECT max(version) FROM store.audit_schema", [], |row| row.get(0))
            .unwrap())
    }

    #[test]
    fn migrations_are_valid_and_record_their_version() {
        assert_eq!(validate().unwrap(), SCHEMA_VERSION as i64);
        let fresh = Connection::open_in_memory().unwrap();
        assert_eq!(migrations().pending_migrations(&fresh).unwrap(), SCHEMA_VERSION as i32);
    }
}
