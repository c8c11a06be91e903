//! The audit tables' schema: its own version, next to another program's tables.

use rusqlite_migration::{M, Migrations};
use std::num::NonZeroUsize;

use tally_audit::{AuditError, AuditOptions, AuditStore, RetentionPolicy, SCHEMA_VERSION};

use crate::common::*;

/// A stand-in for Tally's own store: its schema versioned by `user_version`.
fn host_migrations(count: usize) -> Migrations<'static> {
    let all = [
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL);",
        "CREATE TABLE accounts (slug TEXT PRIMARY KEY);",
        "ALTER TABLE accounts ADD COLUMN name TEXT;",
    ];
    Migrations::new(all[..count].iter().map(|sql| M::up(sql)).collect())
}

#[test]
fn a_new_file_gets_the_audit_tables_and_leaves_user_version_alone() {
    let (_dir, path, store) = fresh();
    drop(store);
    assert_eq!(SCHEMA_VERSION, 2);
    assert_eq!(count(&path, "SELECT max(version) FROM audit_schema"), 2);
    assert_eq!(count(&path, "PRAGMA user_version"), 0);
    let journal: String =
        raw(&path).query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(journal, "wal");
    // SQLite names the indexes of UNIQUE and text PRIMARY KEY constraints itself,
    // after their table.
    let others = count(
        &path,
        "SELECT count(*) FROM sqlite_master
         WHERE name NOT LIKE 'audit\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_autoindex\\_audit\\_%' ESCAPE '\\'",
    );
    assert_eq!(others, 0, "every table and index is named after audit_*");
}

#[test]
fn the_store_shares_a_file_with_a_program_that_versions_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    let mut host = raw(&path);
    host_migrations(2).to_latest(&mut host).unwrap();
    host.execute("INSERT INTO events (payload) VALUES ('login')", []).unwrap();

    let mut store = open(&path);
    store.append("acme", &[entry("e1", "2026-03-02T08:05:00Z")]).unwrap();
    assert_eq!(count(&path, "PRAGMA user_version"), 2);

    // The host upgrades itself as usual, the audit store reopens as usual.
    host_migrations(3).to_latest(&mut host).unwrap();
    assert_eq!(count(&path, "PRAGMA user_version"), 3);
    drop(store);
    let mut store = open(&path);
    store.append("acme", &[entry("e2", "2026-03-02T08:06:00Z")]).unwrap();
    assert!(store.verify("acme", None).unwrap().is_intact());
    assert_eq!(count(&path, "SELECT count(*) FROM events"), 1);
    assert_eq!(count(&path, "SELECT count(*) FROM audit_entries"), 2);
}

#[test]
fn a_program_can_version_a_file_that_already_holds_the_audit_tables() {
    let (_dir, path, store) = fresh();
    drop(store);
    let mut host = raw(&path);
    host_migrations(3).to_latest(&mut host).unwrap();
    assert_eq!(count(&path, "PRAGMA user_version"), 3);
    assert_eq!(count(&path, "SELECT max(version) FROM audit_schema"), 2);
    drop(open(&path));
}

#[test]
fn tables_from_a_newer_tally_are_refused_and_left_alone() {
    let (_dir, path, store) = fresh();
    drop(store);
    execute(&path, "INSERT INTO audit_schema (version) VALUES (3)");
    let error = AuditStore::open(&path, &AuditOptions::new(KEY)).unwrap_err();
    assert!(matches!(error, AuditError::NewerSchema { found: 3, supported: 2, .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "the audit tables in {} have schema version 3, but this build of Tally knows versions up to 2: upgrade Tally, or open a copy made before the upgrade",
            path.display()
        )
    );
    assert_eq!(count(&path, "SELECT max(version) FROM audit_schema"), 3);
}

#[test]
fn two_stores_open_one_file() {
    let (_dir, path, mut first) = fresh();
    let mut second = open(&path);
    first.append("acme", &[entry("e1", "2026-03-02T08:05:00Z")]).unwrap();
    second.append("acme", &[entry("e2", "2026-03-02T08:06:00Z")]).unwrap();
    assert_eq!(first.head("acme").unwrap(), second.head("acme").unwrap());
    assert_eq!(first.head("acme").unwrap().seq, 2);
    assert!(first.verify("acme", None).unwrap().is_intact());
}

/// A copy of `fixtures/audit-schema/<name>` in a fresh directory.
fn fixture(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let source = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/audit-schema")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.sqlite");
    std::fs::copy(source, &path).unwrap();
    (dir, path)
}

/// `fixtures/audit-schema/v1.sqlite` was written by the version-1 schema with
/// the tests' key: acme has entries e1 and e2 (2026-03-01 and 02) and its own
/// periods, 400 and 60 days; globex had g1 (2026-03-01) purged on 2026-12-01
/// under the defaults, folded into its checkpoint, and keeps g2; initech has
/// periods of its own, 365 and 365 days, and no entries.
#[test]
fn version_1_tables_are_upgraded_with_their_retention_sealed() {
    let (_dir, path) = fixture("v1.sqlite");
    assert_eq!(count(&path, "SELECT max(version) FROM audit_schema"), 1);
    let mut store = open(&path);
    assert_eq!(count(&path, "SELECT max(version) FROM audit_schema"), 2);
    assert_eq!(
        count(&path, "SELECT count(*) FROM sqlite_master WHERE name = 'audit_retention'"),
        0
    );
    let policy = |audit_days, sign_in_days| RetentionPolicy { audit_days, sign_in_days };
    assert_eq!(store.retention("acme").unwrap(), policy(400, 60));
    assert_eq!(store.retention("globex").unwrap(), policy(90, 30));
    assert_eq!(store.retention("initech").unwrap(), policy(365, 365));
    // initech got an empty chain to hold its periods.
    assert_eq!(store.accounts().unwrap(), ["acme", "globex", "initech"]);
    for account in ["acme", "globex", "initech"] {
        let report = store.verify(account, None).unwrap();
        assert!(report.is_intact(), "{account}: {:?}", report.problem);
    }
    assert_eq!(store.head("acme").unwrap().seq, 2);
    assert_eq!(store.verify("globex", None).unwrap().checkpoint_seq, 1);
    // The chains go on: acme's 400 days keep e1 on 2027-03-01, 365 days after it.
    store.append("acme", &[entry("e3", "2027-03-01T00:00:00Z")]).unwrap();
    let outcome = store.purge("acme", at("2027-03-01T10:00:00Z"), NonZeroUsize::MIN).unwrap();
    assert_eq!(outcome.purged, 0);
    store.append("initech", &[entry("i1", "2026-12-02T00:00:00Z")]).unwrap();
    assert_eq!(store.head("initech").unwrap().seq, 1);
    assert!(store.verify("acme", None).unwrap().is_intact());
}
