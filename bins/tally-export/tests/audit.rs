//! `tally-export audit anchor|verify` on an audit log in a real SQLite file,
//! then tampered with directly in SQLite.

use std::process::Command;

use crate::BINARY;

fn export(db: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(BINARY).arg("--db").arg(db).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn entry(id: &str, at: &str, before: &str, after: &str) -> tally_audit::NewAuditEntry {
    let line = format!(
        r#"{{"id":"{id}","kind":"audit_entry","at":"{at}","resource":"entity","resource_id":"svc-1","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success","blueprint":"service","entity":"svc-1","before":{{"tier":"{before}"}},"after":{{"tier":"{after}"}}}}"#
    );
    let batch =
        tally_events::check_batch(line.as_bytes(), &tally_events::Limits::default()).unwrap();
    let tally_events::EventBody::AuditEntry(audit) = &batch.events[0].event.body else {
        panic!("an audit entry")
    };
    tally_audit::NewAuditEntry::from_event(id, batch.events[0].event.at, audit)
}

#[test]
fn verify_passes_an_intact_log_and_names_the_first_altered_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tally.sqlite");
    let key = tally_audit::load_or_create_key(&tally_audit::key_file_for(&db)).unwrap();
    let mut log = tally_audit::AuditStore::open(&db, &tally_audit::AuditOptions::new(key)).unwrap();
    log.append(
        "acme",
        &[
            entry("e1", "2026-03-02T09:00:00Z", "bronze", "silver"),
            entry("e2", "2026-03-02T10:00:00Z", "silver", "gold"),
            entry("e3", "2026-03-02T11:00:00Z", "gold", "platinum"),
        ],
    )
    .unwrap();
    drop(log);

    let (code, anchor, stderr) = export(&db, &["audit", "anchor", "--account", "acme"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(anchor.starts_with("acme:3:"), "{anchor}");
    let anchor = anchor.trim().to_owned();
    let (code, report, _) =
        export(&db, &["audit", "verify", "--account", "acme", "--anchor", &anchor]);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.starts_with("intact: 3 entries") && report.contains("the anchor matches"),
        "{report}"
    );

    // The second entry's after-snapshot rewritten in the file, as an intruder would.
    let connection = rusqlite::Connection::open(&db).unwrap();
    let changed = connection
        .execute(
            "UPDATE audit_entries SET after = replace(after, 'gold', 'iron') WHERE seq = 2",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(connection);
    let (code, report, _) = export(&db, &["audit", "verify", "--account", "acme"]);
    assert_eq!(code, 3, "{report}");
    assert!(report.starts_with("tampered:") && report.contains('2'), "{report}");

    // Without the key the log cannot be checked, and none is made up.
    let elsewhere = dir.path().join("other.audit-key");
    let (code, _, stderr) = export(
        &db,
        &["--audit-key-file", elsewhere.to_str().unwrap(), "audit", "verify", "--account", "acme"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("--audit-key-file"), "{stderr}");
    assert!(!elsewhere.exists());
}

#[test]
fn every_matching_entry_is_exported_past_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tally.sqlite");
    let mut store = tally_store::Store::open(&db, &tally_store::StoreOptions::default()).unwrap();
    store
        .create_account(&tally_store::NewAccount {
            slug: "acme".into(),
            name: "Acme".into(),
            calendar: tally_calendar::AccountCalendar::default(),
            terms: vec![],
        })
        .unwrap();
    drop(store);
    let key = tally_audit::load_or_create_key(&tally_audit::key_file_for(&db)).unwrap();
    let mut log = tally_audit::AuditStore::open(&db, &tally_audit::AuditOptions::new(key)).unwrap();
    // 1,205 entries a minute apart from 2026-03-02T00:00Z, more than a page of
    // 1,000; every fifth (n = 4, 9, ...) a failure: 241 of them.
    let entries: Vec<_> = (0..1205)
        .map(|n| {
            let at =
                chrono::DateTime::<chrono::Utc>::from_timestamp(1_772_409_600 + 60 * n, 0).unwrap();
            let mut entry = entry(&format!("e{n}"), &at.to_rfc3339(), "a", "b");
            if n % 5 == 4 {
                entry.change.status = tally_events::AuditStatus::Failure;
                entry.change.error = Some("quota exceeded".into());
            }
            entry
        })
        .collect();
    assert_eq!(log.append("acme", &entries).unwrap().accepted, 1205);
    drop(log);

    let (code, csv, stderr) =
        export(&db, &["audit", "entries", "--account", "acme", "--format", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 1205);
    assert!(lines[0].starts_with("at,seq,resource"), "{}", lines[0]);
    // Oldest first: 2026-03-02T00:00Z, and the last 1,204 minutes later,
    // 2026-03-02T20:04Z.
    assert!(lines[1].starts_with("2026-03-02T00:00:00+00:00,1,"), "{}", lines[1]);
    assert!(lines[1205].starts_with("2026-03-02T20:04:00+00:00,1205,"), "{}", lines[1205]);
    let (_, failures, _) = export(
        &db,
        &["audit", "entries", "--account", "acme", "--status", "failure", "--format", "csv"],
    );
    assert_eq!(failures.lines().count(), 1 + 241);
}

/// Issue 13: verified with a key that did not seal it, an intact log was
/// reported as tampered with (exit 3). The key is named as wrong instead, with
/// an exit code of its own, and the log is not reported on.
#[test]
fn a_wrong_key_is_named_as_such_not_as_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tally.sqlite");
    let key = tally_audit::load_or_create_key(&tally_audit::key_file_for(&db)).unwrap();
    let mut log = tally_audit::AuditStore::open(&db, &tally_audit::AuditOptions::new(key)).unwrap();
    log.append("acme", &[entry("e1", "2026-03-02T09:00:00Z", "bronze", "silver")]).unwrap();
    log.append("globex", &[entry("g1", "2026-03-02T09:00:00Z", "bronze", "silver")]).unwrap();
    drop(log);
    let other = dir.path().join("other.audit-key");
    std::fs::write(&other, format!("{}\n", "ab".repeat(32))).unwrap();
    let other_arg = other.to_str().unwrap();

    for command in
        [&["audit", "verify", "--account", "acme"][..], &["audit", "anchor", "--account", "acme"]]
    {
        let mut args = vec!["--audit-key-file", other_arg];
        args.extend_from_slice(command);
        let (code, stdout, stderr) = export(&db, &args);
        assert_eq!(code, 4, "{command:?}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "{command:?}: {stdout}");
        assert!(
            stderr.contains(&format!(
                "the key in {other_arg} is not the key that sealed the audit log"
            )) && stderr.contains("2 account(s)")
                && !stderr.contains("tampered"),
            "{command:?}: {stderr}"
        );
    }
    // The right key still verifies it.
    let (code, report, _) = export(&db, &["audit", "verify", "--account", "acme"]);
    assert_eq!(code, 0, "{report}");
}
