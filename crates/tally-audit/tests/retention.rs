//! Retention periods and purges in small batches; the chain verifies after them.

use std::num::NonZeroUsize;

use tally_audit::{
    AnchorCheck, AuditError, AuditQuery, NewAuditEntry, PurgeOutcome, RetentionPolicy,
};
use tally_events::{AuditEntry, ResourceKind};

use crate::common::*;

fn batch(size: usize) -> NonZeroUsize {
    NonZeroUsize::new(size).unwrap()
}

fn kind(resource: ResourceKind, base: NewAuditEntry) -> NewAuditEntry {
    NewAuditEntry { change: AuditEntry { resource, ..base.change }, ..base }
}

fn tombstones(path: &std::path::Path) -> Vec<i64> {
    let connection = raw(path);
    let mut statement =
        connection.prepare("SELECT seq FROM audit_tombstones ORDER BY seq").unwrap();
    statement.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn seqs(store: &tally_audit::AuditStore, account: &str) -> Vec<u64> {
    let query = AuditQuery {
        sort: tally_audit::AuditColumn::Seq,
        descending: false,
        ..AuditQuery::default()
    };
    store.query(account, &query).unwrap().iter().map(|entry| entry.seq).collect()
}

/// Purging on 2026-06-01T00:00Z with the default policy: audit entries before
/// 2026-03-03T00:00Z (90 days earlier) and sign-ins and account access before
/// 2026-05-02T00:00Z (30 days earlier) expire; an entry exactly at the cutoff
/// stays.
#[test]
fn both_periods_expire_entries_in_small_batches() {
    let (_dir, path, mut store) = fresh();
    store
        .append(
            "acme",
            &[
                entry("s1", "2026-03-01T00:00:00Z"), // 1 expired
                kind(ResourceKind::SignIn, entry("s2", "2026-05-01T12:00:00Z")), // 2 expired
            ],
        )
        .unwrap();
    let early_anchor = store.head("acme").unwrap();
    store
        .append(
            "acme",
            &[
                entry("s3", "2026-03-02T23:59:59Z"), // 3 expired
                entry("s4", "2026-03-03T00:00:00Z"), // 4 kept: at the cutoff
                kind(ResourceKind::AccountAccess, entry("s5", "2026-05-02T00:00:00Z")), // 5 kept: at the cutoff
                kind(ResourceKind::SignIn, entry("s6", "2026-04-15T00:00:00Z")),        // 6 expired
                entry("s7", "2026-02-01T00:00:00Z"), // 7 expired, arrived late
            ],
        )
        .unwrap();
    let tombstone_anchor = store.head("acme").unwrap();
    store
        .append("acme", &[kind(ResourceKind::Blueprint, entry("s8", "2026-05-20T00:00:00Z"))])
        .unwrap(); // 8 kept
    let head_anchor = store.head("acme").unwrap();
    assert_eq!(
        store.retention("acme").unwrap(),
        RetentionPolicy { audit_days: 90, sign_in_days: 30 }
    );

    let now = at("2026-06-01T00:00:00Z");
    // Oldest instants first: s7, s1 | s3, s6 | s2. Seq 1 is gone after the first
    // batch and folds into the checkpoint; seq 2 and 3 fold after the third.
    let outcomes: Vec<PurgeOutcome> =
        (0..4).map(|_| store.purge("acme", now, batch(2)).unwrap()).collect();
    assert_eq!(
        outcomes,
        [
            PurgeOutcome { purged: 2, folded: 1, checkpoint_seq: 1, more: true },
            PurgeOutcome { purged: 2, folded: 0, checkpoint_seq: 1, more: true },
            PurgeOutcome { purged: 1, folded: 2, checkpoint_seq: 3, more: false },
            PurgeOutcome { purged: 0, folded: 0, checkpoint_seq: 3, more: false },
        ]
    );
    assert_eq!(seqs(&store, "acme"), [4, 5, 8]);
    // Seq 6 and 7 are tombstones: 4 and 5 are still kept below them.
    assert_eq!(tombstones(&path), [6, 7]);

    let report = store.verify("acme", Some(&head_anchor)).unwrap();
    assert_eq!((report.problem, report.anchor), (None, Some(AnchorCheck::Matched)));
    assert_eq!((report.checkpoint_seq, report.entries, report.tombstones), (3, 3, 2));
    // An anchor on a purged entry still checks against its tombstone.
    let report = store.verify("acme", Some(&tombstone_anchor)).unwrap();
    assert_eq!(report.anchor, Some(AnchorCheck::Matched));
    // An anchor inside the checkpoint has nothing left to protect.
    let report = store.verify("acme", Some(&early_anchor)).unwrap();
    assert_eq!(
        (report.problem, report.anchor),
        (None, Some(AnchorCheck::Purged { checkpoint_seq: 3 }))
    );
}

/// globex keeps audit entries 10 days and sign-ins 5; acme keeps the defaults.
#[test]
fn each_account_has_its_own_periods() {
    let (_dir, _path, mut store) = fresh();
    let policy = RetentionPolicy { audit_days: 10, sign_in_days: 5 };
    store.set_retention("globex", policy).unwrap();
    assert_eq!(store.retention("globex").unwrap(), policy);
    assert_eq!(store.retention("acme").unwrap(), RetentionPolicy::default());
    let entries = [
        entry("g1", "2026-05-21T00:00:00Z"), // 11 days old: expired
        entry("g2", "2026-05-23T00:00:00Z"), // 9 days: kept
        kind(ResourceKind::SignIn, entry("g3", "2026-05-26T00:00:00Z")), // 6 days: expired
        kind(ResourceKind::SignIn, entry("g4", "2026-05-28T00:00:00Z")), // 4 days: kept
    ];
    store.append("globex", &entries).unwrap();
    store.append("acme", &entries).unwrap();
    let now = at("2026-06-01T00:00:00Z");
    assert_eq!(store.purge("globex", now, batch(100)).unwrap().purged, 2);
    assert_eq!(store.purge("acme", now, batch(100)).unwrap().purged, 0);
    assert_eq!(seqs(&store, "globex"), [2, 4]);
    assert_eq!(seqs(&store, "acme"), [1, 2, 3, 4]);

    // Changing the policy again replaces it.
    store.set_retention("globex", RetentionPolicy { audit_days: 1, sign_in_days: 1 }).unwrap();
    assert_eq!(store.purge("globex", now, batch(100)).unwrap().purged, 2);
    assert!(store.verify("globex", None).unwrap().is_intact());
}

#[test]
fn a_period_of_zero_days_is_refused() {
    let (_dir, _path, mut store) = fresh();
    let error = store
        .set_retention("acme", RetentionPolicy { audit_days: 0, sign_in_days: 30 })
        .unwrap_err();
    assert!(matches!(error, AuditError::InvalidRetention { audit_days: 0, sign_in_days: 30, .. }));
    assert_eq!(
        error.to_string(),
        r#"retention for account "acme" must keep entries at least one day: got 0 days for audit entries and 30 for sign-in and account-access entries"#
    );
}

/// When everything expires, the checkpoint reaches the head; later appends go
/// on from it, and the chain still verifies.
#[test]
fn a_chain_purged_to_its_head_goes_on() {
    let (_dir, path, mut store) = fresh();
    store
        .append("acme", &[entry("a1", "2026-01-01T00:00:00Z"), entry("a2", "2026-01-02T00:00:00Z")])
        .unwrap();
    let anchor = store.head("acme").unwrap();
    let outcome = store.purge("acme", at("2026-06-01T00:00:00Z"), batch(10)).unwrap();
    assert_eq!(outcome, PurgeOutcome { purged: 2, folded: 2, checkpoint_seq: 2, more: false });
    assert_eq!(count(&path, "SELECT count(*) FROM audit_tombstones"), 0);
    let report = store.verify("acme", Some(&anchor)).unwrap();
    // The anchor is the checkpoint itself: its hash is still there to compare.
    assert_eq!((report.problem, report.anchor), (None, Some(AnchorCheck::Matched)));

    assert_eq!(store.append("acme", &[entry("a3", "2026-06-01T00:00:00Z")]).unwrap().seqs, [3]);
    let report = store.verify("acme", Some(&anchor)).unwrap();
    assert_eq!((report.problem, report.entries, report.checkpoint_seq), (None, 1, 2));
    // Purged event ids are forgotten: the same id is a new entry.
    assert_eq!(store.append("acme", &[entry("a1", "2026-06-01T00:00:00Z")]).unwrap().seqs, [4]);
}

/// Folding is capped by the batch size too, so a long run of tombstones folds
/// over several calls.
#[test]
fn folding_goes_a_batch_at_a_time() {
    let (_dir, _path, mut store) = fresh();
    // Seq 1 is an entity kept 90 days; seq 2 to 6 are sign-ins kept 30.
    let mut entries = vec![entry("keep", "2026-04-01T00:00:00Z")];
    entries.extend(
        (2..=6).map(|seq| {
            kind(ResourceKind::SignIn, entry(&format!("in{seq}"), "2026-04-01T00:00:00Z"))
        }),
    );
    store.append("acme", &entries).unwrap();
    let now = at("2026-06-01T00:00:00Z");
    assert_eq!(
        store.purge("acme", now, batch(5)).unwrap(),
        PurgeOutcome { purged: 5, folded: 0, checkpoint_seq: 0, more: false }
    );
    // Two months later seq 1 expires; the checkpoint then moves over 1 to 6,
    // two at a time.
    let later = at("2026-08-01T00:00:00Z");
    let outcomes: Vec<PurgeOutcome> =
        (0..3).map(|_| store.purge("acme", later, batch(2)).unwrap()).collect();
    assert_eq!(
        outcomes,
        [
            PurgeOutcome { purged: 1, folded: 2, checkpoint_seq: 2, more: true },
            PurgeOutcome { purged: 0, folded: 2, checkpoint_seq: 4, more: true },
            PurgeOutcome { purged: 0, folded: 2, checkpoint_seq: 6, more: false },
        ]
    );
    assert!(store.verify("acme", None).unwrap().is_intact());
}

#[test]
fn purging_an_account_without_entries_does_nothing() {
    let (_dir, _path, mut store) = fresh();
    assert_eq!(
        store.purge("acme", at("2026-06-01T00:00:00Z"), batch(10)).unwrap(),
        PurgeOutcome::default()
    );
}

/// Someone with the file but not the key shortens acme's periods, or gives
/// it globex's sealed periods: nothing is purged by them, and verify says so.
#[test]
fn periods_changed_without_the_key_are_refused_and_reported() {
    let (_dir, path, mut store) = fresh();
    store.set_retention("acme", RetentionPolicy { audit_days: 400, sign_in_days: 60 }).unwrap();
    store.set_retention("globex", RetentionPolicy { audit_days: 1, sign_in_days: 1 }).unwrap();
    store.append("acme", &[entry("a1", "2026-03-01T00:00:00Z")]).unwrap();
    let now = at("2026-06-01T00:00:00Z");
    assert!(store.verify("acme", None).unwrap().is_intact());

    let tampered = |error: AuditError, doing: &str| match error {
        AuditError::Tampered { account, record, doing: refused, .. } => {
            assert_eq!((account.as_str(), record, refused), ("acme", "retention periods", doing));
        }
        other => panic!("expected Tampered, got {other:?}"),
    };
    let attempts = [
        // Shortened in place: the seal no longer matches.
        "UPDATE audit_accounts SET audit_days = 1 WHERE account = 'acme'",
        // globex's periods with globex's seal: the seal names its account.
        "UPDATE audit_accounts SET (audit_days, sign_in_days, retention_seal) =
             (SELECT audit_days, sign_in_days, retention_seal FROM audit_accounts
              WHERE account = 'globex')
         WHERE account = 'acme'",
    ];
    for sql in attempts {
        let saved: (i64, i64, Vec<u8>) = raw(&path)
            .query_row(
                "SELECT audit_days, sign_in_days, retention_seal FROM audit_accounts
                 WHERE account = 'acme'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        execute(&path, sql);
        tampered(store.purge("acme", now, batch(100)).unwrap_err(), "purge");
        assert_eq!(seqs(&store, "acme"), [1], "{sql}");
        tampered(store.retention("acme").unwrap_err(), "read the retention");
        let report = store.verify("acme", None).unwrap();
        assert_eq!(report.problem, Some(tally_audit::Tampering::Retention), "{sql}");
        assert_eq!(
            report.problem.unwrap().to_string(),
            "the retention periods were changed without the key"
        );
        let policy = RetentionPolicy { audit_days: 30, sign_in_days: 30 };
        tampered(store.set_retention("acme", policy).unwrap_err(), "set the retention");
        // Put back as they were, the periods hold again.
        raw(&path)
            .execute(
                "UPDATE audit_accounts SET audit_days = ?1, sign_in_days = ?2, retention_seal = ?3
                 WHERE account = 'acme'",
                rusqlite::params![saved.0, saved.1, saved.2],
            )
            .unwrap();
        assert!(store.verify("acme", None).unwrap().is_intact());
        assert_eq!(store.purge("acme", now, batch(100)).unwrap().purged, 0);
    }
}
