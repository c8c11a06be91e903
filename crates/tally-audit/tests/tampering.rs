//! Verification: someone changes the SQLite file with a connection of their own,
//! and `verify` names the first bad seq.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rusqlite::params;
use serde_json::json;
use tally_audit::{
    Alteration, Anchor, AnchorCheck, AuditError, AuditStore, NewAuditEntry, SealedRecord,
    Tampering, VerifyReport,
};
use tally_events::{AuditEntry, AuditStatus, ResourceKind};

use crate::common::*;

/// Six entries of acme with every field set (and three of globex, which no
/// tampering touches); the anchor at acme's head, seq 6, and at seq 2.
fn chain_of_six() -> (tempfile::TempDir, std::path::PathBuf, AuditStore, Anchor, Anchor) {
    let (dir, path, mut store) = fresh();
    let full = |event_id: &str, minute: u32| NewAuditEntry {
        change: AuditEntry {
            status: AuditStatus::Failure,
            error: Some(format!("error {event_id}")),
            run_id: Some(format!("r-{event_id}")),
            integration: Some("gh-main".into()),
            before: Some(json!({"replicas": minute, "labels": ["a", "b"]})),
            after: Some(json!({"replicas": minute + 1, "labels": ["a"]})),
            ..entry_change()
        },
        ..entry(event_id, &format!("2026-03-02T08:{minute:02}:00Z"))
    };
    // Event ids of different lengths: no one-byte change turns one into another,
    // which the unique index would refuse.
    store.append("acme", &[full("e1", 1), full("e-2", 2)]).unwrap();
    let early = store.head("acme").unwrap();
    store.append("globex", &[full("g1", 1), full("g-2", 2), full("g--3", 3)]).unwrap();
    store
        .append("acme", &[full("e--3", 3), full("e---4", 4), full("e----5", 5), full("e-----6", 6)])
        .unwrap();
    let head = store.head("acme").unwrap();
    (dir, path, store, head, early)
}

/// Verifies acme against `anchor` after running `sql` on the file.
fn after_sql(sql: &str) -> VerifyReport {
    let (_dir, path, store, anchor, _) = chain_of_six();
    execute(&path, sql);
    let report = store.verify("acme", Some(&anchor)).unwrap();
    assert!(store.verify("globex", None).unwrap().is_intact(), "globex is untouched");
    report
}

const ACME: &str = "(SELECT account_id FROM audit_accounts WHERE account = 'acme')";

fn altered(seq: u64, alteration: Alteration) -> Option<Tampering> {
    Some(Tampering::Altered { seq, alteration })
}

/// An entry's canonical bytes rebuilt from its columns, as docs/audit.md says:
/// sorted keys, absent fields left out, text as JSON strings, snapshots as stored.
fn canonical(path: &Path, account: &str, seq: u64) -> String {
    // The integer columns, then the text ones; `fields` sorts them by name.
    let names: Vec<&str> = ["seq", "at_us"].into_iter().chain(TEXT_COLUMNS).collect();
    let sql = format!(
        "SELECT {} FROM audit_entries WHERE seq = ?1
         AND account_id = (SELECT account_id FROM audit_accounts WHERE account = ?2)",
        names.join(", ")
    );
    raw(path)
        .query_row(&sql, params![seq as i64, account], |row| {
            let mut fields = BTreeMap::new();
            fields.insert("account", serde_json::to_string(account).unwrap());
            for (index, name) in names.into_iter().enumerate() {
                let value = match name {
                    "seq" | "at_us" => Some(row.get::<_, i64>(index)?.to_string()),
                    "before" | "after" => row.get::<_, Option<String>>(index)?,
                    _ => row
                        .get::<_, Option<String>>(index)?
                        .map(|text| serde_json::to_string(&text).unwrap()),
                };
                if let Some(value) = value {
                    fields.insert(name, value);
                }
            }
            let body: Vec<String> =
                fields.into_iter().map(|(name, value)| format!("\"{name}\":{value}")).collect();
            Ok(format!("{{{}}}", body.join(",")))
        })
        .unwrap()
}

fn stored_hash(path: &Path, table: &str, seq: u64) -> [u8; 32] {
    let hash: Vec<u8> = raw(path)
        .query_row(
            &format!("SELECT hash FROM {table} WHERE account_id = {ACME} AND seq = ?1"),
            [seq as i64],
            |row| row.get(0),
        )
        .unwrap();
    hash.try_into().unwrap()
}

/// What someone who holds the key can do: recompute every hash and seal from
/// `from` to the head, and the head's seal, consistently.
fn rechain_with_the_key(path: &Path, from: u64, head: u64) {
    let connection = raw(path);
    let mut previous = stored_hash(path, "audit_entries", from - 1);
    for seq in from..=head {
        let hash = sha256(&[&previous, canonical(path, "acme", seq).as_bytes()]);
        let entry_seal = seal("tally-audit/v1/entry", "acme", seq, &hash);
        connection
            .execute(
                &format!("UPDATE audit_entries SET hash = ?1, seal = ?2 WHERE account_id = {ACME} AND seq = ?3"),
                params![hash, entry_seal, seq as i64],
            )
            .unwrap();
        previous = hash;
    }
    let head_seal = seal("tally-audit/v1/head", "acme", head, &previous);
    connection
        .execute(
            "UPDATE audit_accounts SET head_hash = ?1, head_seal = ?2 WHERE account = 'acme'",
            params![previous, head_seal],
        )
        .unwrap();
}

#[test]
fn an_untouched_chain_verifies() {
    let (_dir, _path, store, anchor, early) = chain_of_six();
    let report = store.verify("acme", Some(&anchor)).unwrap();
    assert_eq!(
        report,
        VerifyReport {
            account: "acme".into(),
            head: anchor.clone(),
            checkpoint_seq: 0,
            entries: 6,
            tombstones: 0,
            anchor: Some(AnchorCheck::Matched),
            problem: None,
        }
    );
    assert_eq!(store.verify("acme", Some(&early)).unwrap().anchor, Some(AnchorCheck::Matched));
    assert!(store.verify("initech", None).unwrap().is_intact());
}

/// (1) A field changed in place: the hash no longer follows from the content.
#[test]
fn a_changed_field_is_caught_at_its_entry() {
    let at_entry_3 = format!("WHERE account_id = {ACME} AND seq = 3");
    for change in [
        "status = 'success'",
        "error = NULL",
        "source = 'sam@example.com'",
        "at_us = at_us + 1",
        r#"after = '{"labels":["a"],"replicas":40}'"#,
    ] {
        let report = after_sql(&format!("UPDATE audit_entries SET {change} {at_entry_3}"));
        assert_eq!(report.problem, altered(3, Alteration::Hash), "{change}");
        assert_eq!(report.anchor, Some(AnchorCheck::NotReached));
    }
    // The same value written another way is still a change to the stored bytes.
    let report = after_sql(&format!(
        r#"UPDATE audit_entries SET after = '{{"labels": ["a"], "replicas": 4}}' {at_entry_3}"#
    ));
    assert_eq!(report.problem, altered(3, Alteration::Column { column: "after" }));
    // A changed stored hash, content untouched.
    let report = after_sql(&format!("UPDATE audit_entries SET hash = zeroblob(32) {at_entry_3}"));
    assert_eq!(report.problem, altered(3, Alteration::Hash));
}

/// (1) Someone without the key recomputes the hashes after their change: the
/// seals do not follow.
#[test]
fn hashes_recomputed_without_the_key_are_caught_by_the_seal() {
    let (_dir, path, store, anchor, _) = chain_of_six();
    execute(
        &path,
        &format!(
            "UPDATE audit_entries SET source = 'sam@example.com' WHERE account_id = {ACME} AND seq = 3"
        ),
    );
    let connection = raw(&path);
    let mut previous = stored_hash(&path, "audit_entries", 2);
    for seq in 3..=6 {
        let hash = sha256(&[&previous, canonical(&path, "acme", seq).as_bytes()]);
        connection
            .execute(
                &format!(
                    "UPDATE audit_entries SET hash = ?1 WHERE account_id = {ACME} AND seq = ?2"
                ),
                params![hash, seq as i64],
            )
            .unwrap();
        previous = hash;
    }
    let report = store.verify("acme", Some(&anchor)).unwrap();
    assert_eq!(report.problem, altered(3, Alteration::Seal));
    assert_eq!(
        report.problem.unwrap().to_string(),
        "entry 3 was altered: its hash was recomputed without the key"
    );
}

/// (2) An entry deleted, in the middle or at the end.
#[test]
fn a_deleted_entry_is_caught() {
    let report =
        after_sql(&format!("DELETE FROM audit_entries WHERE account_id = {ACME} AND seq = 4"));
    assert_eq!((report.problem, report.entries), (Some(Tampering::Removed { seq: 4 }), 3));
    let report =
        after_sql(&format!("DELETE FROM audit_entries WHERE account_id = {ACME} AND seq = 6"));
    assert_eq!(report.problem, Some(Tampering::Removed { seq: 6 }));
    assert_eq!(report.problem.unwrap().to_string(), "entry 6 was removed without being purged");
    // Cutting the tail and moving the head back needs the key for the head's seal.
    let report = after_sql(&format!(
        "DELETE FROM audit_entries WHERE account_id = {ACME} AND seq > 4;
         UPDATE audit_accounts SET head_seq = 4,
             head_hash = (SELECT hash FROM audit_entries WHERE account_id = {ACME} AND seq = 4)
         WHERE account = 'acme';"
    ));
    assert_eq!(report.problem, Some(Tampering::BadSeal { record: SealedRecord::Head, seq: 4 }));
}

/// (2) The whole log of the account deleted: only an anchor can tell.
#[test]
fn a_deleted_account_log_is_caught_only_by_the_anchor() {
    let (_dir, path, store, anchor, _) = chain_of_six();
    execute(
        &path,
        &format!(
            "DELETE FROM audit_entries WHERE account_id = {ACME}; DELETE FROM audit_accounts WHERE account = 'acme';"
        ),
    );
    assert!(store.verify("acme", None).unwrap().is_intact());
    let report = store.verify("acme", Some(&anchor)).unwrap();
    assert_eq!(report.problem, Some(Tampering::AnchorMismatch { seq: 6, found: None }));
    assert_eq!(report.anchor, Some(AnchorCheck::Mismatched));
    assert_eq!(
        report.problem.unwrap().to_string(),
        "the chain was cut short: it ends before the anchored seq 6"
    );
}

/// (3) A forged entry appended after the head, its hash linked correctly.
#[test]
fn a_forged_entry_is_caught() {
    let (_dir, path, store, anchor, _) = chain_of_six();
    execute(
        &path,
        &format!(
            "INSERT INTO audit_entries (account_id, seq, event_id, at_us, resource, resource_id, operation,
                 source_type, source, origin, status, error, user, blueprint, entity, run_id, integration,
                 before, after, hash, seal)
             SELECT account_id, 7, 'forged', at_us, resource, resource_id, operation, source_type, source,
                 origin, status, error, user, blueprint, entity, run_id, integration, before, after,
                 zeroblob(32), zeroblob(32)
             FROM audit_entries WHERE account_id = {ACME} AND seq = 6"
        ),
    );
    let hash =
        sha256(&[&stored_hash(&path, "audit_entries", 6), canonical(&path, "acme", 7).as_bytes()]);
    raw(&path)
        .execute(
            &format!("UPDATE audit_entries SET hash = ?1 WHERE account_id = {ACME} AND seq = 7"),
            [hash],
        )
        .unwrap();
    let report = store.verify("acme", Some(&anchor)).unwrap();
    assert_eq!(report.problem, Some(Tampering::Inserted { seq: 7 }));
    assert_eq!(report.anchor, Some(AnchorCheck::Matched), "the anchor at 6 was reached first");

    // Moving the head onto the forgery needs the key: the head's seal fails,
    // and the forged entry's own seal is found first.
    execute(&path, "UPDATE audit_accounts SET head_seq = 7 WHERE account = 'acme'");
    assert_eq!(store.verify("acme", None).unwrap().problem, altered(7, Alteration::Seal));
}

/// (3) Records at seqs that are not in the chain.
#[test]
fn records_outside_the_chain_are_caught() {
    let copy_of_6_as = |seq: i64| {
        format!(
            "INSERT INTO audit_tombstones (account_id, seq, hash, seal)
             SELECT account_id, {seq}, hash, seal FROM audit_entries WHERE account_id = {ACME} AND seq = 6"
        )
    };
    assert_eq!(after_sql(&copy_of_6_as(7)).problem, Some(Tampering::Inserted { seq: 7 }));
    // A tombstone and an entry at one seq: the tombstone is the extra record.
    assert_eq!(after_sql(&copy_of_6_as(3)).problem, Some(Tampering::Inserted { seq: 3 }));
    let report = after_sql(&format!(
        "UPDATE audit_entries SET seq = 0 WHERE account_id = {ACME} AND seq = 1"
    ));
    assert_eq!(report.problem, Some(Tampering::Inserted { seq: 0 }));
}

/// (4) Someone with the key rewrites entry 3 and recomputes everything after it:
/// the chain is consistent, and only an anchor kept elsewhere shows the rewrite.
#[test]
fn a_consistent_rewrite_is_caught_only_by_the_anchor() {
    let (_dir, path, store, anchor, early) = chain_of_six();
    execute(
        &path,
        &format!(
            "UPDATE audit_entries SET status = 'success', error = NULL WHERE account_id = {ACME} AND seq = 3"
        ),
    );
    rechain_with_the_key(&path, 3, 6);

    let report = store.verify("acme", None).unwrap();
    assert_eq!((report.problem, report.entries), (None, 6), "consistent without an anchor");
    let report = store.verify("acme", Some(&anchor)).unwrap();
    let rewritten_head = store.head("acme").unwrap();
    assert_ne!(rewritten_head.digest, anchor.digest);
    assert_eq!(
        report.problem,
        Some(Tampering::AnchorMismatch { seq: 6, found: Some(rewritten_head.digest) })
    );
    assert_eq!(report.anchor, Some(AnchorCheck::Mismatched));
    // An anchor taken before the rewritten entry still matches: the rewrite is
    // after seq 2.
    assert_eq!(store.verify("acme", Some(&early)).unwrap().anchor, Some(AnchorCheck::Matched));
}

/// A head sealed with the key over a hash the chain does not end with.
#[test]
fn a_head_that_does_not_match_the_chain_is_caught() {
    let (_dir, path, store, _, _) = chain_of_six();
    let zero = [0u8; 32];
    raw(&path)
        .execute(
            "UPDATE audit_accounts SET head_hash = ?1, head_seal = ?2 WHERE account = 'acme'",
            params![zero, seal("tally-audit/v1/head", "acme", 6, &zero)],
        )
        .unwrap();
    let problem = store.verify("acme", None).unwrap().problem.unwrap();
    assert_eq!(problem, Tampering::HeadMismatch { seq: 6 });
    assert_eq!(
        problem.to_string(),
        "the chain head at seq 6 names a hash the chain does not end with"
    );
}

/// A chain with a checkpoint and a tombstone: seq 1 and 2 purged and folded,
/// seq 4 purged, 3, 5 and 6 kept.
fn purged_chain() -> (tempfile::TempDir, std::path::PathBuf, AuditStore) {
    let (dir, path, mut store) = fresh();
    let sign_in = |event_id: &str, instant: &str| NewAuditEntry {
        change: AuditEntry { resource: ResourceKind::SignIn, ..entry_change() },
        ..entry(event_id, instant)
    };
    store
        .append(
            "acme",
            &[
                entry("p1", "2026-01-01T00:00:00Z"),
                sign_in("p2", "2026-04-01T00:00:00Z"),
                entry("p3", "2026-04-01T00:00:00Z"),
                sign_in("p4", "2026-04-01T00:00:00Z"),
                entry("p5", "2026-05-01T00:00:00Z"),
                entry("p6", "2026-05-01T00:00:00Z"),
            ],
        )
        .unwrap();
    let outcome =
        store.purge("acme", at("2026-06-01T00:00:00Z"), NonZeroUsize::new(10).unwrap()).unwrap();
    assert_eq!((outcome.purged, outcome.checkpoint_seq), (3, 2));
    let report = store.verify("acme", None).unwrap();
    assert_eq!(
        (report.problem, report.entries, report.tombstones, report.checkpoint_seq),
        (None, 3, 1, 2)
    );
    (dir, path, store)
}

fn purged_after_sql(sql: &str) -> Option<Tampering> {
    let (_dir, path, store) = purged_chain();
    execute(&path, sql);
    store.verify("acme", None).unwrap().problem
}

/// (5) The checkpoint and tombstones carry seals; changing them without the key
/// is caught, and so is passing a deleted entry off as purged.
#[test]
fn altered_checkpoints_and_tombstones_are_caught() {
    assert_eq!(
        purged_after_sql("UPDATE audit_accounts SET checkpoint_seq = 3 WHERE account = 'acme'"),
        Some(Tampering::BadSeal { record: SealedRecord::Checkpoint, seq: 3 })
    );
    assert_eq!(
        purged_after_sql(
            "UPDATE audit_accounts SET checkpoint_hash = zeroblob(32) WHERE account = 'acme'"
        ),
        Some(Tampering::BadSeal { record: SealedRecord::Checkpoint, seq: 2 })
    );
    assert_eq!(
        purged_after_sql(&format!(
            "UPDATE audit_tombstones SET hash = zeroblob(32) WHERE account_id = {ACME} AND seq = 4"
        )),
        Some(Tampering::BadSeal { record: SealedRecord::Tombstone, seq: 4 })
    );
    assert_eq!(
        purged_after_sql(&format!(
            "DELETE FROM audit_tombstones WHERE account_id = {ACME} AND seq = 4"
        )),
        Some(Tampering::Removed { seq: 4 })
    );
    // Entry 5 deleted and "tombstoned" with its own hash and seal: an entry's
    // seal is not a tombstone's.
    assert_eq!(
        purged_after_sql(&format!(
            "INSERT INTO audit_tombstones (account_id, seq, hash, seal)
                 SELECT account_id, seq, hash, seal FROM audit_entries WHERE account_id = {ACME} AND seq = 5;
             DELETE FROM audit_entries WHERE account_id = {ACME} AND seq = 5;"
        )),
        Some(Tampering::BadSeal { record: SealedRecord::Tombstone, seq: 5 })
    );
    // A purged entry put back below the checkpoint.
    assert_eq!(
        purged_after_sql(&format!(
            "INSERT INTO audit_entries (account_id, seq, event_id, at_us, resource, operation, source_type,
                 source, origin, status, hash, seal)
             SELECT account_id, 1, 'p1', at_us, resource, operation, source_type, source, origin, status, hash, seal
             FROM audit_entries WHERE account_id = {ACME} AND seq = 3"
        )),
        Some(Tampering::Inserted { seq: 1 })
    );
    assert_eq!(
        purged_after_sql("UPDATE audit_accounts SET head_seq = 5 WHERE account = 'acme'"),
        Some(Tampering::BadSeal { record: SealedRecord::Head, seq: 5 })
    );
}

/// Writes refuse to seal over tampering, so that it stays visible.
#[test]
fn appends_and_purges_refuse_to_build_on_a_broken_seal() {
    let (_dir, path, mut store, _, _) = chain_of_six();
    execute(
        &path,
        &format!(
            "UPDATE audit_entries SET seal = zeroblob(32) WHERE account_id = {ACME} AND seq = 2"
        ),
    );
    let error = store
        .purge("acme", at("2026-12-01T00:00:00Z"), NonZeroUsize::new(10).unwrap())
        .unwrap_err();
    assert!(
        matches!(error, AuditError::Tampered { seq: 2, record: "entry", doing: "purge", .. }),
        "{error:?}"
    );
    assert_eq!(count(&path, "SELECT count(*) FROM audit_tombstones"), 0, "the purge wrote nothing");

    execute(&path, "UPDATE audit_accounts SET head_seq = 5 WHERE account = 'acme'");
    let error = store.append("acme", &[entry("e7", "2026-03-02T09:00:00Z")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"the audit log of account "acme" has been tampered with at seq 5 (chain head); refusing to append on top of it: run verify"#
    );
    assert!(matches!(store.head("acme"), Err(AuditError::Tampered { doing: "read the head", .. })));
}

#[test]
fn anchors_read_back_from_their_text() {
    let (_dir, _path, store, anchor, _) = chain_of_six();
    let text = anchor.to_string();
    assert_eq!(text.len(), "acme:6:".len() + 32);
    assert_eq!(text.parse::<Anchor>().unwrap(), anchor);
    let colons: Anchor = "team:eu:12:000102030405060708090a0b0c0d0e0f".parse().unwrap();
    assert_eq!((colons.account.as_str(), colons.seq, colons.digest[15]), ("team:eu", 12, 15));
    for (bad, reason) in [
        ("acme:6", "it has fewer than three parts"),
        (":6:000102030405060708090a0b0c0d0e0f", "the account is empty"),
        ("acme:six:000102030405060708090a0b0c0d0e0f", "the seq is not a whole number"),
        ("acme:6:0001", "the digest is not 32 hexadecimal digits"),
    ] {
        assert!(
            matches!(bad.parse::<Anchor>(), Err(AuditError::InvalidAnchor { reason: found, .. }) if found == reason),
            "{bad}"
        );
    }
    let other = Anchor { account: "globex".into(), ..anchor };
    assert!(matches!(store.verify("acme", Some(&other)), Err(AuditError::AnchorAccount { .. })));
}

/// The file of [`chain_of_six`], closed (so the WAL is checkpointed into it).
fn template() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let (_dir, path, store, _, _) = chain_of_six();
        drop(store);
        std::fs::read(path).unwrap()
    })
}

/// The columns of `audit_entries` stored as text (JSON text for the snapshots).
const TEXT_COLUMNS: [&str; 16] = [
    "event_id",
    "resource",
    "resource_id",
    "operation",
    "source_type",
    "source",
    "origin",
    "status",
    "error",
    "user",
    "blueprint",
    "entity",
    "run_id",
    "integration",
    "before",
    "after",
];

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/tampering.txt"))),
        ..ProptestConfig::default()
    })]

    /// Any one byte of any column of a stored entry, changed: verification
    /// names that entry.
    #[test]
    fn any_single_byte_change_to_an_entry_is_caught(
        seq in 1u64..=6,
        column in prop::sample::select(TEXT_COLUMNS.iter().copied().chain(["at_us", "hash", "seal"]).collect::<Vec<_>>()),
        position in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.sqlite");
        std::fs::write(&path, template()).unwrap();
        let connection = raw(&path);
        let at_entry = format!("WHERE account_id = {ACME} AND seq = {seq}");
        if column == "at_us" {
            let at_us: i64 = connection.query_row(&format!("SELECT at_us FROM audit_entries {at_entry}"), [], |row| row.get(0)).unwrap();
            let flipped = at_us ^ (i64::from(mask) << position.index(56));
            connection.execute(&format!("UPDATE audit_entries SET at_us = ?1 {at_entry}"), [flipped]).unwrap();
        } else {
            let mut bytes: Vec<u8> = connection
                .query_row(&format!("SELECT CAST({column} AS BLOB) FROM audit_entries {at_entry}"), [], |row| row.get(0))
                .unwrap();
            let index = position.index(bytes.len());
            bytes[index] ^= mask;
            let cast = if matches!(column, "hash" | "seal") { "?1" } else { "CAST(?1 AS TEXT)" };
            connection.execute(&format!("UPDATE audit_entries SET {column} = {cast} {at_entry}"), [bytes]).unwrap();
        }
        drop(connection);
        let store = open(&path);
        let problem = store.verify("acme", None).unwrap().problem;
        prop_assert!(
            matches!(problem, Some(Tampering::Altered { seq: found, .. }) if found == seq),
            "{column} of entry {seq}: {problem:?}"
        );
    }

    /// Whatever mix of appends and purges, the chain verifies, every seq is an
    /// entry, a tombstone or under the checkpoint, and an anchor taken early is
    /// matched or purged.
    #[test]
    fn appends_and_purges_keep_the_chain_verifiable(
        steps in prop::collection::vec(
            prop_oneof![
                prop::collection::vec((any::<bool>(), 0u32..150), 1..6).prop_map(Step::Append),
                (1usize..4, 0u32..60).prop_map(|(batch, days)| Step::Purge { batch, days }),
            ],
            1..12,
        ),
    ) {
        let (_dir, _path, mut store) = fresh();
        let mut now = at("2026-06-01T00:00:00Z");
        let mut next_id = 0;
        store.append("acme", &[entry("first", "2026-06-01T00:00:00Z")]).unwrap();
        let anchor = store.head("acme").unwrap();
        for step in steps {
            match step {
                Step::Append(entries) => {
                    let entries: Vec<NewAuditEntry> = entries
                        .into_iter()
                        .map(|(sign_in, age_days)| {
                            next_id += 1;
                            NewAuditEntry {
                                at: now - chrono::Days::new(age_days.into()),
                                change: AuditEntry {
                                    resource: if sign_in { ResourceKind::SignIn } else { ResourceKind::Entity },
                                    ..entry_change()
                                },
                                ..entry(&format!("e{next_id}"), "2026-01-01T00:00:00Z")
                            }
                        })
                        .collect();
                    store.append("acme", &entries).unwrap();
                }
                Step::Purge { batch, days } => {
                    now = now + chrono::Days::new(days.into());
                    store.purge("acme", now, NonZeroUsize::new(batch).unwrap()).unwrap();
                }
            }
        }
        let report = store.verify("acme", Some(&anchor)).unwrap();
        prop_assert_eq!(&report.problem, &None);
        let anchor_held = matches!(report.anchor, Some(AnchorCheck::Matched | AnchorCheck::Purged { .. }));
        prop_assert!(anchor_held, "anchor: {:?}", report.anchor);
        prop_assert_eq!(report.checkpoint_seq + report.entries + report.tombstones, report.head.seq);
    }
}

#[derive(Debug, Clone)]
enum Step {
    /// Entries, each a sign-in or not, and how many days before "now" it happened.
    Append(Vec<(bool, u32)>),
    /// Advance "now" by `days` and purge one batch.
    Purge { batch: usize, days: u32 },
}
