//! The structured difference between an entry's before and after snapshots,
//! computed when it is read.

use serde::Serialize;
use serde_json::{Map, Value};
use tally_events::Operation;

use crate::redact::push_pointer_token;

/// What changed in an entry, or why that cannot be said.
///
/// - Both snapshots present: [`Diff::Changes`], possibly empty when they are equal.
/// - A create without a before snapshot, or a delete without an after snapshot:
///   the missing side is the resource not existing, so the diff is every
///   top-level field added (or removed); a snapshot that is not an object is one
///   change at the root.
/// - Otherwise a missing snapshot is [`Diff::NoSnapshot`], never an empty diff.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Diff {
    /// The snapshots needed were not captured.
    NoSnapshot {
        /// Which.
        missing: MissingSnapshot,
    },
    /// The changes, in document order: object keys by their bytes, array items
    /// by index.
    Changes {
        /// One per changed leaf or added or removed field.
        changes: Vec<Change>,
    },
}

/// Which snapshot an entry lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingSnapshot {
    /// No before snapshot (and the operation is not a create).
    Before,
    /// No after snapshot (and the operation is not a delete).
    After,
    /// Neither, as for sign-ins and other entries without a resource state.
    Both,
}

/// One difference between the snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Where, as a JSON pointer (RFC 6901): `/spec/replicas`, `/ports/0`; `""` is
    /// the whole snapshot. `~` and `/` in keys are written `~0` and `~1`.
    pub path: String,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// The value before (absent when added).
    pub before: Option<Value>,
    /// The value after (absent when removed).
    pub after: Option<Value>,
}

/// How a value differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Only in the after snapshot.
    Added,
    /// Only in the before snapshot.
    Removed,
    /// In both, with different values.
    Changed,
}

/// The diff of an entry with this operation and snapshots.
pub(crate) fn diff_entry(
    operation: Operation,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Diff {
    let empty = Value::Object(Map::new());
    let root = |kind, before: Option<&Value>, after: Option<&Value>| Diff::Changes {
        changes: vec![Change {
            path: String::new(),
            kind,
            before: before.cloned(),
            after: after.cloned(),
        }],
    };
    let (before, after) = match (before, after) {
        (Some(before), Some(after)) => (before, after),
        (None, None) => return Diff::NoSnapshot { missing: MissingSnapshot::Both },
        // A created object's fields are each added; anything else is added whole.
        (None, Some(after)) if operation == Operation::Create => match after {
            Value::Object(_) => (&empty, after),
            _ => return root(ChangeKind::Added, None, Some(after)),
        },
        (Some(before), None) if operation == Operation::Delete => match before {
            Value::Object(_) => (before, &empty),
            _ => return root(ChangeKind::Removed, Some(before), None),
        },
        (None, Some(_)) => return Diff::NoSnapshot { missing: MissingSnapshot::Before },
        (Some(_), None) => return Diff::NoSnapshot { missing: MissingSnapshot::After },
    };
    let mut changes = Vec::new();
    compare(&mut String::new(), Some(before), Some(after), &mut changes);
    Diff::Changes { changes }
}

fn compare(
    path: &mut String,
    before: Option<&Value>,
    after: Option<&Value>,
    changes: &mut Vec<Change>,
) {
    match (before, after) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => {
            let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
            keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            keys.dedup();
            for key in keys {
                let length = path.len();
                path.push('/');
                push_pointer_token(key, path);
                compare(path, before.get(key), after.get(key), changes);
                path.truncate(length);
            }
        }
        (Some(Value::Array(before)), Some(Value::Array(after))) => {
            for index in 0..before.len().max(after.len()) {
                let length = path.len();
                path.push('/');
                path.push_str(&index.to_string());
                compare(path, before.get(index), after.get(index), changes);
                path.truncate(length);
            }
        }
        (Some(before), Some(after)) if before == after => {}
        (None, None) => {}
        (before, after) => {
            let kind = match (before, after) {
                (None, _) => ChangeKind::Added,
                (_, None) => ChangeKind::Removed,
                _ => ChangeKind::Changed,
            };
            changes.push(Change {
                path: path.clone(),
                kind,
                before: before.cloned(),
                after: after.cloned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn change(path: &str, kind: ChangeKind, before: Option<Value>, after: Option<Value>) -> Change {
        Change { path: path.to_owned(), kind, before, after }
    }

    fn check(operation: Operation, before: Option<Value>, after: Option<Value>, expected: Diff) {
        assert_eq!(diff_entry(operation, before.as_ref(), after.as_ref()), expected);
    }

    #[test]
    fn nested_objects_are_recursed_and_arrays_compared_by_index() {
        check(
            Operation::Update,
            Some(
                json!({"spec": {"replicas": 2, "image": "a:1"}, "ports": [80, 443], "owner": "sre"}),
            ),
            Some(json!({"spec": {"replicas": 3, "image": "a:1"}, "ports": [443], "team": "sre"})),
            Diff::Changes {
                changes: vec![
                    change("/owner", ChangeKind::Removed, Some(json!("sre")), None),
                    change("/ports/0", ChangeKind::Changed, Some(json!(80)), Some(json!(443))),
                    change("/ports/1", ChangeKind::Removed, Some(json!(443)), None),
                    change("/spec/replicas", ChangeKind::Changed, Some(json!(2)), Some(json!(3))),
                    change("/team", ChangeKind::Added, None, Some(json!("sre"))),
                ],
            },
        );
    }

    #[test]
    fn a_type_change_is_one_change_with_both_values() {
        check(
            Operation::Update,
            Some(json!({"a": {"b": 1}})),
            Some(json!({"a": [1]})),
            Diff::Changes {
                changes: vec![change(
                    "/a",
                    ChangeKind::Changed,
                    Some(json!({"b": 1})),
                    Some(json!([1])),
                )],
            },
        );
    }

    #[test]
    fn null_is_a_value_and_keys_are_escaped() {
        check(
            Operation::Update,
            Some(json!({"a/b": null, "c~d": 1})),
            Some(json!({"c~d": 1})),
            Diff::Changes {
                changes: vec![change("/a~1b", ChangeKind::Removed, Some(Value::Null), None)],
            },
        );
    }

    #[test]
    fn equal_snapshots_give_no_changes() {
        check(
            Operation::Update,
            Some(json!({"a": 1})),
            Some(json!({"a": 1})),
            Diff::Changes { changes: vec![] },
        );
    }

    #[test]
    fn a_create_adds_and_a_delete_removes_each_top_level_field() {
        check(
            Operation::Create,
            None,
            Some(json!({"b": {"c": 1}, "a": 2})),
            Diff::Changes {
                changes: vec![
                    change("/a", ChangeKind::Added, None, Some(json!(2))),
                    change("/b", ChangeKind::Added, None, Some(json!({"c": 1}))),
                ],
            },
        );
        check(
            Operation::Delete,
            Some(json!({"a": 2})),
            None,
            Diff::Changes {
                changes: vec![change("/a", ChangeKind::Removed, Some(json!(2)), None)],
            },
        );
        check(
            Operation::Create,
            None,
            Some(json!("on")),
            Diff::Changes { changes: vec![change("", ChangeKind::Added, None, Some(json!("on")))] },
        );
    }

    #[test]
    fn a_missing_snapshot_is_said_so() {
        check(
            Operation::Update,
            None,
            Some(json!({"a": 1})),
            Diff::NoSnapshot { missing: MissingSnapshot::Before },
        );
        check(
            Operation::TimerExpired,
            Some(json!({"a": 1})),
            None,
            Diff::NoSnapshot { missing: MissingSnapshot::After },
        );
        check(
            Operation::Create,
            Some(json!({"a": 1})),
            None,
            Diff::NoSnapshot { missing: MissingSnapshot::After },
        );
        check(Operation::Delete, None, None, Diff::NoSnapshot { missing: MissingSnapshot::Both });
    }
}
