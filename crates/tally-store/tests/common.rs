//! Helpers shared by the store's tests.

use std::path::Path;

use tally_calendar::AccountCalendar;
use tally_events::{CheckedEvent, Limits, check_batch};
use tally_store::{Account, NewAccount, Store, StoreOptions, WriteKey};

pub fn open(path: &Path) -> Store {
    Store::open(path, &StoreOptions::default()).expect("open store")
}

/// A new store in a new directory (kept while the returned guard lives), and
/// its file's path.
pub fn fresh() -> (tempfile::TempDir, std::path::PathBuf, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    let store = open(&path);
    (dir, path, store)
}

pub fn new_account(slug: &str) -> NewAccount {
    NewAccount {
        slug: slug.to_owned(),
        name: format!("{slug} Inc."),
        calendar: AccountCalendar::default(),
        terms: vec!["2026-01-01..2027-01-01".parse().unwrap()],
    }
}

pub fn create(store: &mut Store, slug: &str) -> (Account, WriteKey) {
    store.create_account(&new_account(slug)).expect("create account")
}

/// Checks an NDJSON body, insisting that every line passes.
pub fn events(ndjson: &str) -> Vec<CheckedEvent> {
    let batch = check_batch(ndjson.as_bytes(), &Limits::default()).expect("a readable batch");
    assert_eq!(batch.rejections, vec![], "test batches are valid");
    batch.events
}

pub fn login(id: &str, user: &str, at: &str) -> String {
    format!(r#"{{"id":"{id}","kind":"login","at":"{at}","user":"{user}"}}"#)
}

/// Counts rows with an independent connection, not through the store.
pub fn stored_rows(path: &Path, sql: &str) -> i64 {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.query_row(sql, [], |row| row.get(0)).unwrap()
}

/// Reads one text value with an independent connection.
pub fn stored_text(path: &Path, sql: &str) -> String {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.query_row(sql, [], |row| row.get(0)).unwrap()
}

/// Leave to read an account's usage, as its administrator.
pub fn usage(slug: &str) -> tally_access::AccountUsage {
    tally_access::Principal::Administrator { account: slug.into(), server_management_read: false }
        .read_usage(slug)
        .unwrap()
}
