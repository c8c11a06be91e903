//! The idempotency index across merges, reopenings and two writers on one file.

use std::path::Path;

use proptest::prelude::*;
use tally_store::{AccountId, Store, StoreOptions};

use crate::common::*;

/// Merges after a handful of keys, so a small test crosses many merges.
fn eager(path: &Path) -> Store {
    Store::open(path, &StoreOptions { keys_in_memory: 4, ..StoreOptions::default() }).unwrap()
}

fn send(store: &mut Store, account: AccountId, ids: &[u32], user: &str) -> (usize, usize, usize) {
    let lines: Vec<String> =
        ids.iter().map(|id| login(&format!("id-{id}"), user, "2026-03-02T08:00:00Z")).collect();
    let outcome = store.append(account, &events(&lines.join("\n"))).unwrap();
    (outcome.accepted, outcome.duplicates, outcome.conflicts.len())
}

#[test]
fn merged_keys_still_catch_duplicates_and_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    let mut store = eager(&path);
    let (account, _) = create(&mut store, "acme");
    for chunk in (0..40).collect::<Vec<u32>>().chunks(4) {
        assert_eq!(send(&mut store, account.id, chunk, "u1"), (4, 0, 0));
    }
    // Ten sendings of four: each from the second on first flushes the four keys in
    // memory, so 36 keys are in runs. Four runs of 4 merged into one of 16, twice,
    // and the ninth flush left a run of 4.
    assert_eq!(stored_rows(&path, "SELECT sum(keys) FROM event_id_runs"), 36);
    assert_eq!(
        stored_text(&path, "SELECT group_concat(keys, ',' ORDER BY run) FROM event_id_runs"),
        "16,16,4"
    );
    assert_eq!(send(&mut store, account.id, &[0, 17, 39], "u1"), (0, 3, 0));
    assert_eq!(send(&mut store, account.id, &[1, 38], "u2"), (0, 0, 2));
    drop(store);

    // A reopened store rebuilds its in-memory keys from the events table.
    let mut store = eager(&path);
    assert_eq!(send(&mut store, account.id, &[2, 39, 40], "u1"), (1, 2, 0));
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), 41);
}

#[test]
fn keys_in_runs_of_many_blocks_are_found_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    let options = StoreOptions { keys_in_memory: 1_000, ..StoreOptions::default() };
    let mut store = Store::open(&path, &options).unwrap();
    let (account, _) = create(&mut store, "acme");
    let ids: Vec<u32> = (0..6_000).collect();
    for chunk in ids.chunks(500) {
        assert_eq!(send(&mut store, account.id, chunk, "u1"), (500, 0, 0));
    }
    // Every second sending of 500 first flushes 1,000 keys: five flushes, the
    // first four merged into one run. Blocks hold 240 keys: 17 and 5 of them.
    assert_eq!(
        stored_text(&path, "SELECT group_concat(keys, ',' ORDER BY run) FROM event_id_runs"),
        "4000,1000"
    );
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM event_id_blocks"), 22);
    drop(store);

    let mut store = Store::open(&path, &options).unwrap();
    for chunk in ids.chunks(1_000) {
        assert_eq!(send(&mut store, account.id, chunk, "u1"), (0, 1_000, 0));
        assert_eq!(send(&mut store, account.id, chunk, "u2"), (0, 0, 1_000));
    }
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), 6_000);
}

#[test]
fn two_writers_on_one_file_see_each_others_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    let mut daemon = eager(&path);
    let (account, _) = create(&mut daemon, "acme");
    let mut import = eager(&path);
    assert_eq!(send(&mut daemon, account.id, &[1, 2, 3], "u1"), (3, 0, 0));
    assert_eq!(send(&mut import, account.id, &[2, 3, 4], "u1"), (1, 2, 0));
    // The import's writes push a merge; the daemon must pick it up, not miss keys.
    assert_eq!(send(&mut import, account.id, &[5, 6, 7, 8, 9, 10], "u1"), (6, 0, 0));
    assert_eq!(send(&mut daemon, account.id, &[4, 9, 10, 11], "u1"), (1, 3, 0));
    assert_eq!(send(&mut daemon, account.id, &[1], "u2"), (0, 0, 1));
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), 11);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Two writers on one file, sending overlapping ids in any order, with merges
    /// happening all along: every id is stored once, and a reused id with another
    /// user is a conflict exactly when the id was stored before.
    #[test]
    fn two_writers_agree_with_a_model(
        sends in proptest::collection::vec(
            (any::<bool>(), proptest::collection::vec(0u32..30, 1..8), any::<bool>()),
            1..12,
        )
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tally.sqlite");
        let mut writers = [eager(&path), eager(&path)];
        let (account, _) = create(&mut writers[0], "acme");
        let mut stored = std::collections::BTreeSet::new();
        for (second_writer, ids, other_user) in &sends {
            let user = if *other_user { "u2" } else { "u1" };
            let mut expected = (0, 0, 0);
            let mut seen_in_batch = std::collections::BTreeMap::new();
            for id in ids {
                // The model: the first sending of an id (stored or earlier in the
                // batch) decides; same user is a duplicate, the other a conflict.
                let first_user = stored_user(&stored, *id).or(seen_in_batch.get(id).copied());
                match first_user {
                    None => { expected.0 += 1; seen_in_batch.insert(*id, user); }
                    Some(first) if first == user => expected.1 += 1,
                    Some(_) => expected.2 += 1,
                }
            }
            let writer = &mut writers[usize::from(*second_writer)];
            prop_assert_eq!(send(writer, account.id, ids, user), expected);
            for (id, user) in seen_in_batch {
                stored.insert((id, user));
            }
        }
        prop_assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), stored.len() as i64);
    }
}

fn stored_user(
    stored: &std::collections::BTreeSet<(u32, &'static str)>,
    id: u32,
) -> Option<&'static str> {
    stored.iter().find(|(stored_id, _)| *stored_id == id).map(|(_, user)| *user)
}
