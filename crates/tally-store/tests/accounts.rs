//! Accounts and write keys.

use tally_store::StoreError;

use crate::common::*;

#[test]
fn a_write_key_finds_its_account_and_is_not_stored_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    let mut store = open(&path);
    let (acme, acme_key) = create(&mut store, "acme");
    let (globex, globex_key) = create(&mut store, "globex");
    assert!(acme_key.expose().starts_with("tally_wk_"));
    assert_ne!(acme_key.expose(), globex_key.expose());

    assert_eq!(store.account_for_write_key(acme_key.expose()).unwrap(), Some(acme));
    assert_eq!(store.account_for_write_key(globex_key.expose()).unwrap(), Some(globex));
    assert_eq!(store.account_for_write_key("tally_wk_0000").unwrap(), None);
    drop(store);

    // Scan the raw file, WAL included, for the key's text.
    let mut raw = std::fs::read(&path).unwrap();
    raw.extend(std::fs::read(dir.path().join("tally.sqlite-wal")).unwrap_or_default());
    let secret = acme_key.expose().as_bytes();
    assert!(!raw.windows(secret.len()).any(|window| window == secret));
}

#[test]
fn a_rotated_key_replaces_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("tally.sqlite"));
    let (acme, old_key) = create(&mut store, "acme");
    let new_key = store.rotate_write_key("acme").unwrap();
    assert_eq!(store.account_for_write_key(old_key.expose()).unwrap(), None);
    assert_eq!(store.account_for_write_key(new_key.expose()).unwrap(), Some(acme));
}

#[test]
fn accounts_keep_their_calendar_and_terms() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("tally.sqlite"));
    let mut new = new_account("kiwi");
    new.calendar.time_zone = chrono_tz::Pacific::Auckland;
    new.calendar.week_start = chrono::Weekday::Sun;
    new.terms = vec!["2026-01-15..2027-01-15".parse().unwrap()];
    store.create_account(&new).unwrap();
    store.add_term("kiwi", "2027-01-15..2028-01-15".parse().unwrap()).unwrap();

    let account = store.account("kiwi").unwrap();
    assert_eq!(account.calendar.time_zone, chrono_tz::Pacific::Auckland);
    assert_eq!(account.calendar.week_start, chrono::Weekday::Sun);
    let terms: Vec<String> = account.terms.iter().map(ToString::to_string).collect();
    assert_eq!(terms, ["2026-01-15..2027-01-15", "2027-01-15..2028-01-15"]);
}

#[test]
fn bad_slugs_and_repeated_slugs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir.path().join("tally.sqlite"));
    create(&mut store, "acme");
    assert!(matches!(
        store.create_account(&new_account("acme")),
        Err(StoreError::AccountExists { slug }) if slug == "acme"
    ));
    assert!(matches!(
        store.create_account(&new_account("Acme Corp")),
        Err(StoreError::InvalidSlug { slug }) if slug == "Acme Corp"
    ));
    assert!(
        matches!(store.account("nobody"), Err(StoreError::UnknownAccount { slug }) if slug == "nobody")
    );
}
