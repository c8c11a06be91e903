//! Appending, reading back, idempotency and the chain hash as documented.

use serde_json::json;
use tally_audit::{AppendOutcome, AuditError, Conflict, NewAuditEntry};
use tally_events::{
    AuditEntry, AuditStatus, EventBody, Limits, Operation, OriginType, check_batch,
};

use crate::common::*;

fn first_two() -> [NewAuditEntry; 2] {
    [
        NewAuditEntry {
            change: AuditEntry {
                before: Some(json!({"replicas": 2})),
                after: Some(json!({"replicas": 3})),
                ..entry_change()
            },
            ..entry("e1", "2026-03-02T08:05:00Z")
        },
        NewAuditEntry {
            change: AuditEntry {
                operation: Operation::Create,
                origin: OriginType::PortAutomation,
                status: AuditStatus::Failure,
                error: Some("quota \"exceeded\"".into()),
                user: None,
                after: Some(json!({"replicas": 2, "labels": {"tier": "gold"}})),
                ..entry_change()
            },
            ..entry("e2", "2026-03-02T07:00:00Z")
        },
    ]
}

/// The canonical bytes below are written from the rules in docs/audit.md, and
/// the hashes computed from them with SHA-256 directly.
#[test]
fn the_chain_hash_covers_the_documented_canonical_bytes() {
    let (_dir, _path, mut store) = fresh();
    let outcome = store.append("acme", &first_two()).unwrap();
    assert_eq!(
        outcome,
        AppendOutcome { accepted: 2, duplicates: 0, conflicts: vec![], seqs: vec![1, 2] }
    );

    // 2026-03-02T08:05:00Z: 20,454 days from 1970 to 2026, + 60 days to March 2,
    // + 29,100 s: 1,772,438,700 s. The entry at 07:00 is 3,900 s earlier.
    let first = r#"{"account":"acme","after":{"replicas":3},"at_us":1772438700000000,"before":{"replicas":2},"blueprint":"service","entity":"checkout","event_id":"e1","operation":"update","origin":"UI","resource":"entity","resource_id":"checkout","seq":1,"source":"dana@example.com","source_type":"user","status":"success","user":"u-1"}"#;
    let second = r#"{"account":"acme","after":{"labels":{"tier":"gold"},"replicas":2},"at_us":1772434800000000,"blueprint":"service","entity":"checkout","error":"quota \"exceeded\"","event_id":"e2","operation":"create","origin":"PORT AUTOMATION","resource":"entity","resource_id":"checkout","seq":2,"source":"dana@example.com","source_type":"user","status":"failure"}"#;
    let first_hash = sha256(&[&[0; 32], first.as_bytes()]);
    let second_hash = sha256(&[&first_hash, second.as_bytes()]);

    assert_eq!(store.get("acme", 1).unwrap().unwrap().hash.0, first_hash);
    assert_eq!(store.get("acme", 2).unwrap().unwrap().hash.0, second_hash);
    let head = store.head("acme").unwrap();
    assert_eq!(head.to_string(), format!("acme:2:{}", hex::encode(&second_hash[..16])));
}

#[test]
fn an_entry_reads_back_with_every_field() {
    let (_dir, _path, mut store) = fresh();
    store.append("acme", &first_two()).unwrap();
    let stored = store.get("acme", 2).unwrap().unwrap();
    assert_eq!(
        (stored.account.as_str(), stored.seq, stored.event_id.as_str(), stored.at),
        ("acme", 2, "e2", at("2026-03-02T07:00:00Z"))
    );
    assert_eq!(
        (stored.change.operation, stored.change.origin, stored.change.status),
        (Operation::Create, OriginType::PortAutomation, AuditStatus::Failure)
    );
    assert_eq!(stored.change.error.as_deref(), Some("quota \"exceeded\""));
    assert_eq!((stored.change.user, stored.change.before), (None, None));
    assert_eq!(stored.change.after, Some(json!({"replicas": 2, "labels": {"tier": "gold"}})));
    assert_eq!(store.get("acme", 3).unwrap(), None);
    assert_eq!(store.get("globex", 1).unwrap(), None);
}

#[test]
fn instants_are_kept_to_the_microsecond() {
    let (_dir, _path, mut store) = fresh();
    store.append("acme", &[entry("e1", "2026-03-02T08:05:00.123456789Z")]).unwrap();
    assert_eq!(store.get("acme", 1).unwrap().unwrap().at, at("2026-03-02T08:05:00.123456Z"));
}

#[test]
fn resending_is_a_duplicate_and_other_content_a_conflict() {
    let (_dir, _path, mut store) = fresh();
    store.append("acme", &first_two()).unwrap();
    let [first, second] = first_two();
    let changed = NewAuditEntry {
        change: AuditEntry { source: "sam@example.com".into(), ..second.change },
        ..second
    };
    let outcome =
        store.append("acme", &[first, changed, entry("e3", "2026-03-03T00:00:00Z")]).unwrap();
    assert_eq!(
        outcome,
        AppendOutcome {
            accepted: 1,
            duplicates: 1,
            conflicts: vec![Conflict { index: 1, event_id: "e2".into(), stored_seq: 2 }],
            seqs: vec![3],
        }
    );

    // Within one batch, the second sending meets the first.
    let again = entry("e4", "2026-03-03T00:00:00Z");
    let other = NewAuditEntry {
        change: AuditEntry { status: AuditStatus::Failure, ..entry_change() },
        ..entry("e5", "2026-03-03T00:00:00Z")
    };
    let outcome = store
        .append("acme", &[again.clone(), again, entry("e5", "2026-03-03T00:00:00Z"), other])
        .unwrap();
    assert_eq!((outcome.accepted, outcome.duplicates, outcome.seqs), (2, 1, vec![4, 5]));
    assert_eq!(
        outcome.conflicts,
        vec![Conflict { index: 3, event_id: "e5".into(), stored_seq: 5 }]
    );

    // Event ids are per account.
    assert_eq!(
        store.append("globex", &[entry("e1", "2026-03-02T08:05:00Z")]).unwrap().seqs,
        vec![1]
    );
    assert_eq!(store.head("acme").unwrap().seq, 5);
}

#[test]
fn a_resent_secret_is_a_duplicate_because_redaction_is_deterministic() {
    let (_dir, _path, mut store) = fresh();
    let secret = NewAuditEntry {
        change: AuditEntry {
            resource: tally_events::ResourceKind::Secret,
            after: Some(json!({"value": "s3cr3t"})),
            ..entry_change()
        },
        ..entry("e1", "2026-03-02T08:05:00Z")
    };
    store.append("acme", std::slice::from_ref(&secret)).unwrap();
    assert_eq!(store.append("acme", std::slice::from_ref(&secret)).unwrap().duplicates, 1);
    let rotated = NewAuditEntry {
        change: AuditEntry { after: Some(json!({"value": "other"})), ..secret.change },
        ..secret
    };
    assert_eq!(store.append("acme", &[rotated]).unwrap().conflicts.len(), 1);
}

/// The audit_entry example of docs/events.md, checked, converted and stored.
#[test]
fn a_checked_audit_event_is_stored_with_every_field() {
    let line = br#"{"id":"evt-0018","kind":"audit_entry","at":"2026-03-02T08:05:00Z","resource":"entity","resource_id":"checkout-api","operation":"update","source_type":"integration","source":"k8s-prod-exporter","origin":"K8S EXPORTER","status":"success","blueprint":"service","entity":"checkout-api","run_id":"r_7f3a","before":{"replicas":2},"after":{"replicas":3}}"#;
    let batch = check_batch(line, &Limits::default()).unwrap();
    let event = &batch.events[0].event;
    let EventBody::AuditEntry(audit) = &event.body else { panic!("an audit entry") };
    let (_dir, _path, mut store) = fresh();
    store.append("acme", &[NewAuditEntry::from_event(&event.id, event.at, audit)]).unwrap();

    let stored = store.get("acme", 1).unwrap().unwrap();
    assert_eq!(
        (
            stored.event_id.as_str(),
            stored.at,
            stored.change.resource_id.as_deref(),
            stored.change.source.as_str()
        ),
        ("evt-0018", at("2026-03-02T08:05:00Z"), Some("checkout-api"), "k8s-prod-exporter")
    );
    assert_eq!(
        (stored.change.origin, stored.change.source_type),
        (OriginType::K8sExporter, tally_events::SourceType::Integration)
    );
    assert_eq!(
        (
            stored.change.blueprint.as_deref(),
            stored.change.entity.as_deref(),
            stored.change.run_id.as_deref()
        ),
        (Some("service"), Some("checkout-api"), Some("r_7f3a"))
    );
    assert_eq!(
        (stored.change.before, stored.change.after),
        (Some(json!({"replicas": 2})), Some(json!({"replicas": 3})))
    );
}

#[test]
fn an_empty_account_or_event_id_is_refused() {
    let (_dir, path, mut store) = fresh();
    let error = store.append("", &[entry("e1", "2026-03-02T08:05:00Z")]).unwrap_err();
    assert_eq!(error.to_string(), r#""" is not a valid account: it must not be empty"#);
    let error = store
        .append("acme", &[entry("e1", "2026-03-02T08:05:00Z"), entry("", "2026-03-02T08:05:00Z")])
        .unwrap_err();
    assert!(matches!(&error, AuditError::InvalidEntry { index: 1, .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        r#"entry 1 of the batch for account "acme" (event id ""): the event id is empty"#
    );
    // Nothing of the batch was written.
    assert_eq!(count(&path, "SELECT count(*) FROM audit_entries"), 0);
}

#[test]
fn accounts_are_listed_once_they_have_a_chain() {
    let (_dir, _path, mut store) = fresh();
    store.append("globex", &[entry("e1", "2026-03-02T08:05:00Z")]).unwrap();
    store.append("acme", &[entry("e1", "2026-03-02T08:05:00Z")]).unwrap();
    store.append("acme", &[entry("e2", "2026-03-02T08:05:00Z")]).unwrap();
    assert_eq!(store.accounts().unwrap(), ["acme", "globex"]);
}

#[test]
fn an_empty_batch_writes_nothing() {
    let (_dir, path, mut store) = fresh();
    assert_eq!(store.append("acme", &[]).unwrap(), AppendOutcome::default());
    assert_eq!(store.accounts().unwrap(), Vec::<String>::new());
    assert_eq!(count(&path, "SELECT count(*) FROM audit_accounts"), 0);
}
