//! The audit log's key: a log that holds entries is never given a new key, and
//! a key that did not seal it is refused before anything is served or written.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::*;

/// An audit entry of a day ago: within any retention.
fn audit_entry(id: &str) -> String {
    let at = chrono::Utc::now() - chrono::Duration::days(1);
    format!(
        r#"{{"id":"{id}","kind":"audit_entry","at":"{}","resource":"entity","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success"}}"#,
        at.to_rfc3339()
    )
}

/// Runs `tally-ingest --db DB ARGS...`, which must exit by itself within 30 s
/// (a daemon that started instead is killed and the test fails); answers its
/// exit code and standard error.
fn run_to_exit(db: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BINARY)
        .arg("--db")
        .arg(db)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tally-ingest");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            return (status.code(), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tally-ingest {args:?} did not exit within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Issue 13: restarted without its key file, the daemon made a new key beside
/// the database, started, and answered every batch holding an audit entry
/// with a 503, for ever. Now it refuses to start, naming the key file, and
/// makes no key; so do `import` and the audit commands; a key that sealed
/// nothing of the log is refused likewise; the key that sealed it works.
#[test]
fn a_log_with_entries_is_never_given_a_new_key() {
    let (dir, db) = temp_db();
    let write_key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let (status, answer) = daemon.post(Some(&write_key), audit_entry("au1"));
    assert_eq!((status, &answer["accepted"]), (200, &json!(1)), "{answer}");
    drop(daemon);
    // The key is kept elsewhere, as for backups.
    let key_file = tally_audit::key_file_for(&db);
    let kept = dir.path().join("kept.audit-key");
    std::fs::rename(&key_file, &kept).unwrap();
    let batch = dir.path().join("batch.ndjson");
    std::fs::write(&batch, audit_entry("au2")).unwrap();
    let batch = batch.to_str().unwrap();

    let missing = key_file.display().to_string();
    for args in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["import", "--account", "acme", batch],
        &["audit", "purge"],
    ] {
        let (code, stderr) = run_to_exit(&db, args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("but its key file {missing} does not exist"))
                && stderr.contains("--audit-key-file"),
            "{args:?}: {stderr}"
        );
        assert!(!key_file.exists(), "{args:?} made a new key");
    }

    let other = dir.path().join("other.audit-key");
    std::fs::write(&other, format!("{}\n", "ab".repeat(32))).unwrap();
    let other = other.to_str().unwrap();
    for args in [
        &["--audit-key-file", other, "serve", "--listen", "127.0.0.1:0"][..],
        &["--audit-key-file", other, "import", "--account", "acme", batch],
    ] {
        let (code, stderr) = run_to_exit(&db, args);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(
            stderr
                .contains(&format!("the key in {other} is not the key that sealed the audit log")),
            "{args:?}: {stderr}"
        );
    }
    assert_eq!(count(&db, "SELECT count(*) FROM audit_entries"), 1);

    // With the key that sealed the log, batches with audit entries are stored.
    let daemon = Daemon::start(&db, &["--audit-key-file", kept.to_str().unwrap()]);
    let (status, answer) = daemon.post(Some(&write_key), audit_entry("au2"));
    assert_eq!((status, &answer["accepted"]), (200, &json!(1)), "{answer}");
    drop(daemon);
    assert_eq!(count(&db, "SELECT count(*) FROM audit_entries"), 2);
}

/// A log that holds nothing yet gets a new key, whichever command opens it
/// first; and an account created without any audit entry needs none.
#[test]
fn an_empty_log_gets_a_new_key() {
    let (_dir, db) = temp_db();
    let write_key = create_account(&db, "acme");
    let key_file = tally_audit::key_file_for(&db);
    let daemon = Daemon::start(&db, &[]);
    assert!(key_file.exists());
    drop(daemon);
    // No entry was sealed with it: losing it loses nothing, and a new one is made.
    std::fs::remove_file(&key_file).unwrap();
    let daemon = Daemon::start(&db, &[]);
    assert!(key_file.exists());
    let (status, answer) = daemon.post(Some(&write_key), audit_entry("au1"));
    assert_eq!((status, &answer["accepted"]), (200, &json!(1)), "{answer}");
}
