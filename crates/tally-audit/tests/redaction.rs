//! Secrets and sensitive fields never reach the file in clear.

use std::path::Path;

use serde_json::json;
use tally_audit::{AuditOptions, AuditStore, NewAuditEntry};
use tally_events::{AuditEntry, ResourceKind};

use crate::common::*;

/// The database file and its write-ahead log, as bytes.
fn file_bytes(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let wal = path.with_extension("sqlite-wal");
    if wal.exists() {
        bytes.extend(std::fs::read(wal).unwrap());
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

#[test]
fn secret_values_and_sensitive_fields_never_reach_the_file() {
    let (_dir, path, mut store) = fresh();
    store
        .append(
            "acme",
            &[
                NewAuditEntry { change: AuditEntry { resource: ResourceKind::Secret, resource_id: Some("GH_TOKEN".into()), before: Some(json!({"value": "ghp-OLD-value-1111"})), after: Some(json!({"value": "ghp-NEW-value-2222", "note": "rotated-by-sre"})), ..entry_change() }, ..entry("e1", "2026-03-02T08:05:00Z") },
                NewAuditEntry { change: AuditEntry { resource: ResourceKind::Integration, integration: Some("pagerduty".into()), after: Some(json!({
                        "name": "pagerduty-visible",
                        "config": {"apiKey": "pd-live-3333", "routes": [{"Authorization": "Bearer tok-4444"}]},
                        "Client-Secret": {"current": "cs-5555"},
                    })), ..entry_change() }, ..entry("e2", "2026-03-02T08:06:00Z") },
            ],
        )
        .unwrap();
    // Read while the store is open (the values may sit in the WAL) and after it
    // closed (checkpointed into the file).
    let while_open = file_bytes(&path);
    drop(store);
    assert!(!path.with_extension("sqlite-wal").exists(), "closing checkpointed the log");
    for bytes in [while_open, file_bytes(&path)] {
        for secret in [
            "ghp-OLD-value-1111",
            "ghp-NEW-value-2222",
            "rotated-by-sre",
            "pd-live-3333",
            "tok-4444",
            "cs-5555",
        ] {
            assert!(!contains(&bytes, secret), "{secret} is in the file");
        }
        // What is not secret is there: the search does find stored text.
        assert!(contains(&bytes, "pagerduty-visible"));
    }
}

#[test]
fn sensitive_fields_are_hidden_at_any_depth_with_the_documented_hash() {
    let (_dir, _path, mut store) = fresh();
    store
        .append(
            "acme",
            &[NewAuditEntry { change: AuditEntry { resource: ResourceKind::Integration, after: Some(json!({"name": "pd", "config": {"API_KEY": "k1", "hooks": [{"password": {"old": 42}}]}})), ..entry_change() }, ..entry("e1", "2026-03-02T08:05:00Z") }],
        )
        .unwrap();
    let stored = store.get("acme", 1).unwrap().unwrap();
    assert_eq!(
        stored.change.after,
        Some(json!({
            "name": "pd",
            "config": {
                "API_KEY": redacted("acme", "/config/API_KEY", "\"k1\""),
                "hooks": [{"password": {"old": redacted("acme", "/config/hooks/0/password/old", "42")}}],
            },
        }))
    );
}

#[test]
fn the_same_value_hashes_alike_in_one_account_and_differently_in_another() {
    let (_dir, _path, mut store) = fresh();
    let secret = NewAuditEntry {
        change: AuditEntry {
            resource: ResourceKind::Secret,
            before: Some(json!({"value": "same"})),
            after: Some(json!({"value": "same"})),
            ..entry_change()
        },
        ..entry("e1", "2026-03-02T08:05:00Z")
    };
    store.append("acme", std::slice::from_ref(&secret)).unwrap();
    store.append("globex", &[secret]).unwrap();
    let acme = store.get("acme", 1).unwrap().unwrap();
    let globex = store.get("globex", 1).unwrap().unwrap();
    assert_eq!(acme.change.before, acme.change.after);
    assert_ne!(acme.change.after, globex.change.after);
    assert_eq!(acme.change.after, Some(json!({"value": redacted("acme", "/value", "\"same\"")})));
}

#[test]
fn the_sensitive_field_list_is_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let options = AuditOptions { sensitive_fields: vec!["SSN".into()], ..AuditOptions::new(KEY) };
    let mut store = AuditStore::open(&dir.path().join("audit.sqlite"), &options).unwrap();
    store
        .append(
            "acme",
            &[NewAuditEntry {
                change: AuditEntry {
                    after: Some(json!({"ssn": "123-45-6789", "password": "visible-now"})),
                    ..entry_change()
                },
                ..entry("e1", "2026-03-02T08:05:00Z")
            }],
        )
        .unwrap();
    let stored = store.get("acme", 1).unwrap().unwrap();
    assert_eq!(
        stored.change.after,
        Some(
            json!({"ssn": redacted("acme", "/ssn", "\"123-45-6789\""), "password": "visible-now"})
        )
    );
}

#[test]
fn the_options_do_not_print_the_key() {
    let printed = format!("{:?}", AuditOptions::new(KEY));
    assert!(
        printed.starts_with(
            r#"AuditOptions { secret_key: "[hidden]", sensitive_fields: ["password", "#
        ),
        "{printed}"
    );
    assert!(!printed.contains("7, 7"));
}
