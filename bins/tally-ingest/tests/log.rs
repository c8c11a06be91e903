//! The daemon's log: one line per batch, as text or as JSON.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use crate::common::*;

/// A daemon whose log lines arrive on a channel as they are written.
fn logging_daemon(db: &std::path::Path, extra: &[&str]) -> (Daemon, mpsc::Receiver<String>) {
    let mut daemon = Daemon::start_with_log(db, extra, Stdio::piped());
    let stderr = daemon.child.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    (daemon, received)
}

/// Log lines up to and including the first that `is_wanted`, waiting for it
/// (not for a fixed time).
fn lines_until(received: &mpsc::Receiver<String>, is_wanted: impl Fn(&str) -> bool) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let line = received
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no such log line in 30 s; saw {seen:#?}"));
        let wanted = is_wanted(&line);
        seen.push(line);
        if wanted {
            return seen;
        }
    }
}

/// Two good logins and a line that is not JSON.
fn mixed_batch() -> String {
    [login("a", "u1"), "not json".to_owned(), login("b", "u2")].join("\n")
}

#[test]
fn each_batch_is_logged_in_one_json_line() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let (daemon, received) = logging_daemon(&db, &["--log-format", "json"]);
    let body = mixed_batch();
    let (status, _) = daemon.post(Some(&key), &body);
    assert_eq!(status, 200);
    let (status, _) = daemon.post(None, "");
    assert_eq!(status, 401);

    let lines = lines_until(&received, |line| line.contains("\"batch refused\""));
    let records: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let batches: Vec<&serde_json::Value> = records
        .iter()
        .map(|record| &record["fields"])
        .filter(|fields| fields["message"] == "batch" || fields["message"] == "batch refused")
        .collect();
    assert_eq!(batches.len(), 2, "{lines:#?}");
    let stored = batches[0];
    assert!(stored["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{stored}");
    // Lines 1 and 3 are stored, line 2 is rejected.
    let counts = ["status", "bytes", "accepted", "duplicates", "conflicting", "rejected"]
        .map(|name| stored[name].as_u64());
    assert_eq!(counts, [200, body.len() as u64, 2, 0, 0, 1].map(Some), "{stored}");
    assert_eq!(stored["account"], "acme");
    // Refused before its body was read: no bytes, nothing stored.
    let refused = batches[1];
    assert_eq!(refused["status"], 401);
    assert_eq!(refused["code"], "missing_write_key");
    assert_eq!(refused["bytes"], serde_json::Value::Null);
    assert_eq!(refused["accepted"], 0);
}

#[test]
fn text_log_lines_carry_no_colours_when_not_on_a_terminal() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let (daemon, received) = logging_daemon(&db, &[]);
    let (status, _) = daemon.post(Some(&key), mixed_batch());
    assert_eq!(status, 200);
    let lines = lines_until(&received, |line| line.contains(" batch "));
    let batch = lines.last().unwrap();
    for field in ["status=200", "accepted=2", "duplicates=0", "conflicting=0", "rejected=1"] {
        assert!(batch.contains(field), "{field} missing from {batch:?}");
    }
    assert!(!lines.iter().any(|line| line.contains('\u{1b}')), "escape codes in {lines:#?}");
}
