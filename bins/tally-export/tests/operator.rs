//! Operator mistakes the exporter refuses or survives (issue 13).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::{BINARY, export, fixture, stdout};

/// acme's audit log with one entry, sealed with a key beside the database.
fn with_audit_entry(db: &Path) {
    let key = tally_audit::load_or_create_key(&tally_audit::key_file_for(db)).unwrap();
    let mut log = tally_audit::AuditStore::open(db, &tally_audit::AuditOptions::new(key)).unwrap();
    let line = r#"{"id":"au1","kind":"audit_entry","at":"2026-03-02T09:00:00Z","resource":"entity","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success"}"#;
    let batch =
        tally_events::check_batch(line.as_bytes(), &tally_events::Limits::default()).unwrap();
    let tally_events::EventBody::AuditEntry(entry) = &batch.events[0].event.body else {
        panic!("an audit entry")
    };
    let entry = tally_audit::NewAuditEntry::from_event("au1", batch.events[0].event.at, entry);
    log.append("acme", &[entry]).unwrap();
}

/// The names of the files in `dir` but the database's own, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("tally.sqlite"))
        .collect();
    names.sort();
    names
}

/// Issue 13: `audit verify --account` of an account that does not exist said
/// "intact: 0 entries" and exited 0; `audit anchor` printed a zero anchor.
#[test]
fn audit_commands_fail_naming_an_unknown_account() {
    let (_dir, db) = fixture();
    with_audit_entry(&db);
    for args in [
        &["audit", "verify", "--account", "acne"][..],
        &["audit", "anchor", "--account", "acne"],
        &["audit", "entries", "--account", "acne"],
        &["seats", "monthly", "--account", "acne"],
        &["seats", "log", "--account", "acne", "--no-update"],
        &["seats", "explain", "--account", "acne", "--user", "u-1"],
    ] {
        let output = export(&db, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(stderr.contains(r#"no account has the slug "acne""#), "{args:?}: {stderr}");
    }
    let verified = stdout(&export(&db, &["audit", "verify", "--account", "acme"]));
    assert!(verified.starts_with("intact: 1 entries"), "{verified}");
}

/// Issue 13: a failed `usage-reports` left a 0-byte `Usage Reports.zip`.
#[test]
fn a_failed_usage_reports_export_leaves_no_file() {
    let (dir, db) = fixture();
    let out = dir.path().join("Usage Reports.zip");
    let output =
        export(&db, &["usage-reports", "--account", "acne", "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(r#"no account has the slug "acne""#),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(files_in(dir.path()), Vec::<String>::new());
}

/// An export that fails part way, here on a row of the audit log that does not
/// hold what the schema promises, leaves no file under the name asked for, and
/// no temporary file either; one that succeeds leaves exactly its file.
#[test]
fn an_output_file_appears_only_once_complete() {
    let (dir, db) = fixture();
    with_audit_entry(&db);
    let out = dir.path().join("entries.csv");
    let args = ["audit", "entries", "--account", "acme", "--format", "csv", "--output"];
    let mut args = args.to_vec();
    args.push(out.to_str().unwrap());
    let before = files_in(dir.path());

    let written = export(&db, &args);
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    let mut expected = before.clone();
    expected.push("entries.csv".into());
    expected.sort();
    assert_eq!(files_in(dir.path()), expected);
    std::fs::remove_file(&out).unwrap();

    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("UPDATE audit_entries SET operation = 'bogus'", [])
        .unwrap();
    let failed = export(&db, &args);
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("bogus"),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert_eq!(files_in(dir.path()), before);
}

/// Issue 13: `tally-export ... | head` printed "error: … Broken pipe" and
/// exited 1 once `head` had its lines and closed the pipe.
#[test]
fn a_closed_pipe_is_success() {
    let (_dir, db) = fixture();
    // The reading end is closed before the exporter starts, so that its first
    // write meets a pipe with no reader, as after `head` has exited.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    for format in ["csv", "json"] {
        let output = Command::new(BINARY)
            .arg("--db")
            .arg(&db)
            .args(["seats", "monthly", "--account", "acme", "--format", format])
            .stdout(Stdio::from(writer.try_clone().unwrap()))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{format}: {stderr}");
        assert_eq!(stderr, "", "{format}");
    }
}
