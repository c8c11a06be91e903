//! Schema migrations: every version upgrades, a newer file is refused.

use std::path::PathBuf;

use tally_store::{SCHEMA_VERSION, Store, StoreError, StoreOptions};

use crate::common::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/schema").join(name)
}

#[test]
fn a_new_file_gets_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    drop(open(&path));
    assert_eq!(stored_rows(&path, "PRAGMA user_version"), SCHEMA_VERSION as i64);
    assert_eq!(SCHEMA_VERSION, 2);
}

/// `fixtures/schema/v1.sqlite` was written by the version-1 schema: one account
/// (acme, Europe/Berlin, term 2026-01-15..2027-01-15) and three events.
#[test]
fn a_version_1_file_upgrades_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    std::fs::copy(fixture("v1.sqlite"), &path).unwrap();
    assert_eq!(stored_rows(&path, "PRAGMA user_version"), 1);

    let mut store = open(&path);
    assert_eq!(stored_rows(&path, "PRAGMA user_version"), 2);
    let account = store.account("acme").unwrap();
    assert_eq!(account.calendar.time_zone, chrono_tz::Europe::Berlin);
    let counts: Vec<(String, u64)> = store
        .event_counts(account.id)
        .unwrap()
        .into_iter()
        .map(|count| (count.kind, count.events))
        .collect();
    assert_eq!(counts, [("login".to_owned(), 2), ("page_visit".to_owned(), 1)]);

    // Idempotency survives the upgrade: the v1 events are still recognised.
    let resent = events(&login("v1-e1", "u-1", "2026-02-02T08:00:00Z"));
    assert_eq!(store.append(account.id, &resent).unwrap().duplicates, 1);
    // And what version 2 added works on the upgraded file.
    store
        .set_organization(
            "acme",
            &tally_store::Organization { organization: "eu".into(), name: "Europe".into() },
        )
        .unwrap();
    assert_eq!(store.organizations("acme").unwrap().len(), 1);
    assert_eq!(
        stored_rows(
            &path,
            "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_account_kind_at'"
        ),
        1
    );
}

#[test]
fn a_file_from_a_newer_tally_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    drop(open(&path));
    rusqlite::Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();

    let error = Store::open(&path, &StoreOptions::default()).unwrap_err();
    assert!(matches!(error, StoreError::NewerSchema { found: 99, supported: 2, .. }));
    let message = error.to_string();
    assert!(message.contains("schema version 99"), "{message}");
    assert!(message.contains("up to 2"), "{message}");
    assert_eq!(stored_rows(&path, "PRAGMA user_version"), 99);
}
