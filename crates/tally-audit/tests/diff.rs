//! Diffs of stored entries, computed on read.

use serde_json::{Value, json};
use tally_audit::{Change, ChangeKind, Diff, MissingSnapshot, NewAuditEntry};
use tally_events::{AuditEntry, Operation, ResourceKind};

use crate::common::*;

/// The diff of `change`, stored as the entry e1 of 2026-03-02T08:05:00Z.
fn stored_diff(change: AuditEntry) -> Diff {
    let (_dir, _path, mut store) = fresh();
    let entry = NewAuditEntry { change, ..entry("e1", "2026-03-02T08:05:00Z") };
    store.append("acme", &[entry]).unwrap();
    store.get("acme", 1).unwrap().unwrap().diff()
}

fn change(path: &str, kind: ChangeKind, before: Option<Value>, after: Option<Value>) -> Change {
    Change { path: path.to_owned(), kind, before, after }
}

#[test]
fn nested_fields_and_array_items_are_compared() {
    let diff = stored_diff(AuditEntry {
        before: Some(json!({"spec": {"replicas": 2, "env": {"REGION": "eu"}}, "ports": [80, 443]})),
        after: Some(
            json!({"spec": {"replicas": 3, "env": {}}, "ports": [80, 443, 8080], "owner": "sre"}),
        ),
        ..entry_change()
    });
    assert_eq!(
        diff,
        Diff::Changes {
            changes: vec![
                change("/owner", ChangeKind::Added, None, Some(json!("sre"))),
                change("/ports/2", ChangeKind::Added, None, Some(json!(8080))),
                change("/spec/env/REGION", ChangeKind::Removed, Some(json!("eu")), None),
                change("/spec/replicas", ChangeKind::Changed, Some(json!(2)), Some(json!(3))),
            ]
        }
    );
}

#[test]
fn an_entry_without_snapshots_says_so() {
    let sign_in = AuditEntry { resource: ResourceKind::SignIn, ..entry_change() };
    assert_eq!(stored_diff(sign_in), Diff::NoSnapshot { missing: MissingSnapshot::Both });
    let only_after = AuditEntry { after: Some(json!({"a": 1})), ..entry_change() };
    assert_eq!(stored_diff(only_after), Diff::NoSnapshot { missing: MissingSnapshot::Before });
    let only_before = AuditEntry { before: Some(json!({"a": 1})), ..entry_change() };
    assert_eq!(stored_diff(only_before), Diff::NoSnapshot { missing: MissingSnapshot::After });
}

#[test]
fn a_create_adds_its_fields_and_a_delete_removes_them() {
    let created = AuditEntry {
        operation: Operation::Create,
        after: Some(json!({"name": "checkout", "tags": ["a"]})),
        ..entry_change()
    };
    assert_eq!(
        stored_diff(created),
        Diff::Changes {
            changes: vec![
                change("/name", ChangeKind::Added, None, Some(json!("checkout"))),
                change("/tags", ChangeKind::Added, None, Some(json!(["a"]))),
            ]
        }
    );
    let deleted = AuditEntry {
        operation: Operation::Delete,
        before: Some(json!({"name": "checkout"})),
        ..entry_change()
    };
    assert_eq!(
        stored_diff(deleted),
        Diff::Changes {
            changes: vec![change("/name", ChangeKind::Removed, Some(json!("checkout")), None)]
        }
    );
}

/// A secret's values are hashes; an unchanged value keeps its hash, so only the
/// rotated value shows, as a change between two hashes.
#[test]
fn a_rotated_secret_shows_as_a_change_without_its_values() {
    let diff = stored_diff(AuditEntry {
        resource: ResourceKind::Secret,
        before: Some(json!({"name": "GH_TOKEN", "value": "old"})),
        after: Some(json!({"name": "GH_TOKEN", "value": "new"})),
        ..entry_change()
    });
    let hidden = |value: &str| Some(json!(redacted("acme", "/value", value)));
    assert_eq!(
        diff,
        Diff::Changes {
            changes: vec![change(
                "/value",
                ChangeKind::Changed,
                hidden("\"old\""),
                hidden("\"new\"")
            )]
        }
    );
}

#[test]
fn a_diff_serialises_for_the_api() {
    let diff = stored_diff(AuditEntry {
        before: Some(json!({"a": 1})),
        after: Some(json!({"a": 2})),
        ..entry_change()
    });
    assert_eq!(
        serde_json::to_value(&diff).unwrap(),
        json!({"kind": "changes", "changes": [{"path": "/a", "kind": "changed", "before": 1, "after": 2}]})
    );
    assert_eq!(
        serde_json::to_value(Diff::NoSnapshot { missing: MissingSnapshot::Before }).unwrap(),
        json!({"kind": "no_snapshot", "missing": "before"})
    );
}

#[test]
fn a_value_that_changes_type_is_one_change_at_its_path() {
    // A string become a number, an object become text, an array become null:
    // each is changed whole where it stands, not compared inside.
    let diff = stored_diff(AuditEntry {
        before: Some(json!({"replicas": "2", "labels": {"team": "sre"}, "ports": [80]})),
        after: Some(json!({"replicas": 2, "labels": "none", "ports": null})),
        ..entry_change()
    });
    assert_eq!(
        diff,
        Diff::Changes {
            changes: vec![
                change(
                    "/labels",
                    ChangeKind::Changed,
                    Some(json!({"team": "sre"})),
                    Some(json!("none"))
                ),
                change("/ports", ChangeKind::Changed, Some(json!([80])), Some(json!(null))),
                change("/replicas", ChangeKind::Changed, Some(json!("2")), Some(json!(2))),
            ]
        }
    );
}
