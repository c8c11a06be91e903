//! Idempotent, transactional appends.

use std::time::Duration;

use proptest::prelude::*;
use tally_store::{Conflict, Store, StoreOptions};

use crate::common::*;

#[test]
fn a_resent_batch_counts_once() {
    let (_dir, path, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    let batch = events(
        &[
            login("a", "u1", "2026-03-02T08:00:00Z"),
            login("b", "u1", "2026-03-09T08:00:00Z"),
            login("c", "u2", "2026-03-09T08:00:00Z"),
        ]
        .join("\n"),
    );

    let first = store.append(account.id, &batch).unwrap();
    assert_eq!((first.accepted, first.duplicates, first.conflicts.len()), (3, 0, 0));
    let again = store.append(account.id, &batch).unwrap();
    assert_eq!((again.accepted, again.duplicates, again.conflicts.len()), (0, 3, 0));
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), 3);
}

#[test]
fn the_same_event_in_another_spelling_is_a_duplicate() {
    let (_dir, _, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    store.append(account.id, &events(&login("a", "u1", "2026-03-02T08:00:00Z"))).unwrap();
    // Same instant written with an offset, keys in another order.
    let respelled = r#"{"user":" u1 ","at":"2026-03-02T09:00:00+01:00","kind":"login","id":"a"}"#;
    let outcome = store.append(account.id, &events(respelled)).unwrap();
    assert_eq!((outcome.accepted, outcome.duplicates), (0, 1));
}

#[test]
fn an_event_stored_with_a_number_earlier_versions_rounded_is_a_duplicate_when_resent() {
    let (_dir, path, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    let line = r#"{"id":"a","kind":"login","at":"2026-03-02T08:00:00Z","user":"u1","properties":{"big":123456789012345678901234567890}}"#;
    // The payload earlier versions stored for `line`: the number read as a
    // 64-bit float and written back as 1.2345678901234568e+29.
    let stored_earlier = r#"{"id":"a","at":"2026-03-02T08:00:00Z","kind":"login","user":"u1","properties":{"big":1.2345678901234568e+29}}"#;
    let mut earlier = tally_store::EventRecord::from(events(line).remove(0));
    earlier.canonical_json = stored_earlier.to_owned();
    earlier.earlier_canonical_json = None;
    let first = store.append_records(account.id, &[earlier]).unwrap();
    assert_eq!(first.accepted, 1);

    let resent = store.append(account.id, &events(line)).unwrap();
    assert_eq!((resent.accepted, resent.duplicates, resent.conflicts.len()), (0, 1, 0));
    // A new event keeps the number exactly.
    let new_line = line.replace(r#""id":"a""#, r#""id":"b""#);
    store.append(account.id, &events(&new_line)).unwrap();
    assert_eq!(
        stored_text(&path, "SELECT payload FROM events WHERE payload ->> '$.id' = 'b'"),
        r#"{"id":"b","at":"2026-03-02T08:00:00Z","kind":"login","user":"u1","properties":{"big":123456789012345678901234567890}}"#
    );
}

#[test]
fn a_reused_id_with_other_contents_is_a_conflict_and_keeps_the_first() {
    let (_dir, path, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    store.append(account.id, &events(&login("a", "u1", "2026-03-02T08:00:00Z"))).unwrap();
    let batch =
        [login("b", "u2", "2026-03-02T08:00:00Z"), login("a", "u9", "2026-03-02T08:00:00Z")];
    let outcome = store.append(account.id, &events(&batch.join("\n"))).unwrap();
    assert_eq!(outcome.accepted, 1);
    assert_eq!(outcome.conflicts, vec![Conflict { line: 2, id: "a".into() }]);
    assert_eq!(
        stored_rows(
            &path,
            "SELECT count(*) FROM events WHERE payload ->> '$.id' = 'a' AND payload LIKE '%\"u1\"%'"
        ),
        1
    );
}

#[test]
fn a_repeated_id_within_one_batch_is_caught() {
    let (_dir, _, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    let batch = [
        login("a", "u1", "2026-03-02T08:00:00Z"),
        login("a", "u1", "2026-03-02T08:00:00Z"),
        login("a", "u2", "2026-03-02T08:00:00Z"),
    ];
    let outcome = store.append(account.id, &events(&batch.join("\n"))).unwrap();
    assert_eq!((outcome.accepted, outcome.duplicates), (1, 1));
    assert_eq!(outcome.conflicts, vec![Conflict { line: 3, id: "a".into() }]);
}

#[test]
fn ids_are_scoped_to_their_account() {
    let (_dir, _, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    let (globex, _) = create(&mut store, "globex");
    let batch = events(&login("a", "u1", "2026-03-02T08:00:00Z"));
    assert_eq!(store.append(acme.id, &batch).unwrap().accepted, 1);
    assert_eq!(store.append(globex.id, &batch).unwrap().accepted, 1);
}

/// Event `e{number}` of user `user`: each number has its own instant, so the
/// same number and user is the same event.
fn numbered(number: usize, user: &str) -> String {
    let at = format!("2026-03-02T08:{:02}:{:02}Z", number / 60, number % 60);
    login(&format!("e{number}"), user, &at)
}

/// The writer inserts new events 64 rows per statement. An id repeated while its
/// first sending still waits for its row, and one repeated after, must both be
/// counted as when every event was written on its own.
#[test]
fn a_repeated_id_is_counted_alike_inside_and_across_insert_windows() {
    let (_dir, path, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    let stored = login("s1", "u1", "2026-03-01T00:00:00Z");
    assert_eq!(store.append(account.id, &events(&stored)).unwrap().accepted, 1);

    // Line n holds e{n} of u1, except these lines, which repeat an id.
    let repeats = [
        (10, numbered(3, "u1")),  // e3 waits since line 3: a duplicate
        (11, numbered(3, "u2")),  // e3 again, another user: a conflict
        (20, numbered(15, "u2")), // e15 waits since line 15: a conflict
        (100, numbered(1, "u1")), // e1, written with lines 1 to 9: a duplicate
        (101, numbered(2, "u2")), // e2, likewise: a conflict
        (150, stored.clone()),    // s1, from the earlier batch: a duplicate
        (151, login("s1", "u9", "2026-03-01T00:00:00Z")), // a conflict
        (160, numbered(155, "u1")), // e155 waits since line 155: a duplicate
        (199, numbered(130, "u1")), // e130, written 64 rows ago: a duplicate
    ];
    let lines: Vec<String> = (1..=200)
        .map(|line| match repeats.iter().find(|(at, _)| *at == line) {
            Some((_, repeat)) => repeat.clone(),
            None => numbered(line, "u1"),
        })
        .collect();
    let outcome = store.append(account.id, &events(&lines.join("\n"))).unwrap();

    // 200 lines less 9 repeats are new; 5 repeats are duplicates, 4 conflicts.
    assert_eq!((outcome.accepted, outcome.duplicates), (191, 5));
    assert_eq!(
        outcome.conflicts,
        [(11, "e3"), (20, "e15"), (101, "e2"), (151, "s1")]
            .map(|(line, id)| Conflict { line, id: id.into() })
    );
    // s1 and the 191 new events, each once, each with its first sending's user.
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), 192);
    assert_eq!(stored_rows(&path, "SELECT count(DISTINCT payload ->> '$.id') FROM events"), 192);
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM events WHERE login_user <> 'u1'"), 0);

    // The same lines again, each sent alone, are all known: the 4 lines of
    // another user than the first sending's conflict, the other 196 are duplicates.
    let mut one_by_one = (0, 0, 0);
    for line in &lines {
        let alone = store.append(account.id, &events(line)).unwrap();
        one_by_one.0 += alone.accepted;
        one_by_one.1 += alone.duplicates;
        one_by_one.2 += alone.conflicts.len();
    }
    assert_eq!(one_by_one, (0, 196, 4));
}

/// The daemon's writer appends the batches waiting at once in one transaction:
/// an id repeated in a later batch, while its first sending still waits for its
/// row, is a duplicate of it; the same id in another account is not.
#[test]
fn a_repeated_id_in_a_later_batch_of_one_transaction_is_counted_once() {
    let (_dir, path, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    let (globex, _) = create(&mut store, "globex");
    let records = |lines: &[String]| -> Vec<tally_store::EventRecord> {
        events(&lines.join("\n")).into_iter().map(tally_store::EventRecord::from).collect()
    };
    let first = records(&(1..=10).map(|n| numbered(n, "u1")).collect::<Vec<_>>());
    let second = records(&[numbered(5, "u1"), numbered(6, "u2"), numbered(11, "u1")]);
    let other = records(&[numbered(5, "u1")]);
    let outcomes = store
        .append_batches(&[
            tally_store::PendingBatch { account: acme.id, events: &first },
            tally_store::PendingBatch { account: acme.id, events: &second },
            tally_store::PendingBatch { account: globex.id, events: &other },
        ])
        .unwrap();
    let counts: Vec<(usize, usize, usize)> = outcomes
        .iter()
        .map(|outcome| (outcome.accepted, outcome.duplicates, outcome.conflicts.len()))
        .collect();
    // acme: e1..e10 new; then e5 again (duplicate), e6 of u2 (conflict), e11 new.
    // globex: e5 is its own.
    assert_eq!(counts, [(10, 0, 0), (1, 1, 1), (1, 0, 0)]);
    assert_eq!(outcomes[1].conflicts, [Conflict { line: 2, id: "e6".into() }]);
    // 10 + 1 + 1 rows.
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), 12);
}

/// A write that fails (here: another process holds the write lock) is not
/// acknowledged and leaves nothing behind, so the sender's retry stores every
/// event exactly once.
#[test]
fn a_failed_write_remembers_no_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    let options =
        StoreOptions { busy_timeout: Duration::from_millis(50), ..StoreOptions::default() };
    let mut store = Store::open(&path, &options).unwrap();
    let (account, _) = create(&mut store, "acme");
    let batch = events(
        &[login("a", "u1", "2026-03-02T08:00:00Z"), login("b", "u1", "2026-03-09T08:00:00Z")]
            .join("\n"),
    );

    let locker = rusqlite::Connection::open(&path).unwrap();
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let error = store.append(account.id, &batch).unwrap_err();
    assert!(error.is_transient(), "a lock is worth retrying: {error}");
    locker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), 0);

    let retry = store.append(account.id, &batch).unwrap();
    assert_eq!((retry.accepted, retry.duplicates), (2, 0));
}

/// The same failure when the file cannot grow: SQLite stops at `max_page_count`
/// exactly as it stops at a full disk (SQLITE_FULL).
#[test]
fn a_full_disk_rolls_back_the_whole_batch() {
    let (_dir, path, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    let pages = stored_rows(&path, "PRAGMA page_count");
    // Leave room for a few pages only, then send far more than fits.
    let lines: Vec<String> = (0..2_000)
        .map(|n| format!(
            r#"{{"id":"e{n}","kind":"page_visit","at":"2026-03-02T08:00:00Z","user":"u1","page":"/{}"}}"#,
            "p".repeat(1_000)
        ))
        .collect();
    let batch = events(&lines.join("\n"));
    drop(store);
    let capped =
        StoreOptions { max_file_bytes: Some((pages + 4) as u64 * 4096), ..StoreOptions::default() };
    let mut store = Store::open(&path, &capped).unwrap();
    let error = store.append(account.id, &batch).unwrap_err();
    assert!(error.is_transient(), "a full disk is worth retrying: {error}");
    drop(store);
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), 0);

    // The operator makes room; the sender's retry lands whole.
    let mut store = open(&path);
    let retry = store.append(account.id, &batch).unwrap();
    assert_eq!(retry.accepted, 2_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// However a sender splits, repeats and reorders its events, the store ends up
    /// with each distinct id once.
    #[test]
    fn any_resending_stores_each_id_once(
        sends in proptest::collection::vec(proptest::collection::vec(0u8..20, 1..15), 1..6)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tally.sqlite");
        let mut store = open(&path);
        let (account, _) = create(&mut store, "acme");
        let mut accepted = 0;
        for send in &sends {
            let lines: Vec<String> = send
                .iter()
                .map(|n| login(&format!("id-{n}"), &format!("u{n}"), "2026-03-02T08:00:00Z"))
                .collect();
            accepted += store.append(account.id, &events(&lines.join("\n"))).unwrap().accepted;
        }
        let mut distinct: Vec<u8> = sends.concat();
        distinct.sort();
        distinct.dedup();
        prop_assert_eq!(accepted, distinct.len());
        prop_assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), distinct.len() as i64);
    }

    /// A batch longer than one insert, with ids repeated near and far, users
    /// changing: counted as the same events sent one at a time are counted.
    #[test]
    fn a_long_batch_counts_as_its_events_sent_one_at_a_time(
        picks in proptest::collection::vec((0usize..150, 0u8..3), 1..300)
    ) {
        let lines: Vec<String> =
            picks.iter().map(|(n, user)| numbered(*n, &format!("u{user}"))).collect();
        let (_dir, _, mut batched) = fresh();
        let (account, _) = create(&mut batched, "acme");
        let whole = batched.append(account.id, &events(&lines.join("\n"))).unwrap();

        let (_dir_alone, _, mut alone) = fresh();
        let (account, _) = create(&mut alone, "acme");
        let mut expected = (0, 0, Vec::new());
        for (index, line) in lines.iter().enumerate() {
            let outcome = alone.append(account.id, &events(line)).unwrap();
            expected.0 += outcome.accepted;
            expected.1 += outcome.duplicates;
            expected.2.extend(
                outcome.conflicts.into_iter().map(|conflict| Conflict { line: index + 1, ..conflict }),
            );
        }
        prop_assert_eq!((whole.accepted, whole.duplicates, whole.conflicts), expected);
    }
}
