//! Audit entries past their account's retention when they arrive.

use serde_json::json;

use crate::common::*;

fn audit_entry(id: &str, days_ago: i64, resource: &str) -> String {
    let at = chrono::Utc::now() - chrono::Duration::days(days_ago);
    format!(
        r#"{{"id":"{id}","kind":"audit_entry","at":"{}","resource":"{resource}","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success"}}"#,
        at.to_rfc3339()
    )
}

/// Issue 13: an audit entry already past its retention was acknowledged,
/// purged within a second, and stored again when the client resent the batch
/// after a lost answer, so a retry duplicated history. Now it is refused
/// (`past_retention`, field `at`) when sent and again when resent, and never
/// stored; an entry within retention in the same batch is stored once.
#[test]
fn an_audit_entry_past_its_retention_is_refused_and_never_stored_twice() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &["--figures-every", "1"]);
    // Kept 90 days, sign-ins 30: the 100-day-old entity change and the
    // 40-day-old sign-in are past it, the day-old change is not.
    let body = [
        audit_entry("old-change", 100, "entity"),
        audit_entry("old-sign-in", 40, "sign_in"),
        audit_entry("new-change", 1, "entity"),
    ]
    .join("\n");
    let refused = json!([
        {"line": 1, "field": "at", "code": "past_retention"},
        {"line": 2, "field": "at", "code": "past_retention"},
    ]);
    let rejections = |answer: &serde_json::Value| {
        let found: Vec<serde_json::Value> = answer["rejections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|rejection| {
                json!({"line": rejection["line"], "field": rejection["field"], "code": rejection["code"]})
            })
            .collect();
        serde_json::Value::Array(found)
    };
    let (status, answer) = daemon.post(Some(&key), &body);
    assert_eq!(
        (status, &answer["accepted"], rejections(&answer)),
        (200, &json!(1), refused.clone()),
        "{answer}"
    );
    assert!(
        answer["rejections"][1]["reason"].as_str().unwrap().contains(
            "older than the 30 days its account keeps sign-in and account-access entries"
        ),
        "{answer}"
    );

    let purged = run(&db, &["audit", "purge"]);
    assert_eq!(String::from_utf8_lossy(&purged.stdout).trim(), "purged 0 expired audit entries");
    // The answer was lost: the client sends the batch again.
    let (status, answer) = daemon.post(Some(&key), &body);
    assert_eq!(
        (status, &answer["accepted"], &answer["duplicates"], rejections(&answer)),
        (200, &json!(0), &json!(1), refused),
        "{answer}"
    );
    drop(daemon);
    // One entry was ever appended: seq 1, no tombstone, nothing purged.
    assert_eq!(count(&db, "SELECT count(*) FROM audit_entries"), 1);
    assert_eq!(count(&db, "SELECT head_seq FROM audit_accounts WHERE account = 'acme'"), 1);
    assert_eq!(count(&db, "SELECT checkpoint_seq FROM audit_accounts WHERE account = 'acme'"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM audit_tombstones"), 0);
}
