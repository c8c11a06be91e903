//! A disk that fills up (issue 13): the daemon runs on a small file system of its
//! own, which the test fills. A batch that cannot be written is refused with 503
//! and `Retry-After`, nothing acknowledged is lost, and once space is freed the
//! same daemon takes the batch again without a restart.
//!
//! Mounting a tmpfs needs root, as CI runs (`bash .ci/run` as root); elsewhere
//! the test fails saying so rather than pass without having run.

use std::collections::HashSet;
use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// A size-limited tmpfs mounted on a temporary directory, unmounted when dropped
/// (on a failed assertion too).
struct SmallDisk {
    mount_point: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
        let uid = status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .expect("an effective uid in /proc/self/status");
        assert_eq!(
            uid, "0",
            "this test mounts a small tmpfs to fill, which needs root (CI runs `bash .ci/run` as \
             root): run it as root, for example `sudo -E cargo test -p tally-ingest --test tests full_disk`"
        );
        let dir = tempfile::tempdir().unwrap();
        let mount_point = dir.path().to_owned();
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount_point)
            .output()
            .expect("run mount");
        assert!(
            output.status.success(),
            "mount -t tmpfs failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        SmallDisk { mount_point, _dir: dir }
    }

    /// Writes `path` until the file system has no space left.
    fn fill(&self, path: &Path) {
        let mut filler = File::create(path).unwrap();
        let chunk = vec![0x5a_u8; 64 * 1024];
        loop {
            match filler.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) if error.kind() == ErrorKind::StorageFull => break,
                Err(error) => panic!("filling {}: {error}", path.display()),
            }
        }
        // Smaller writes take the last partial chunk.
        loop {
            match filler.write(&chunk[..512]) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) if error.kind() == ErrorKind::StorageFull => break,
                Err(error) => panic!("filling {}: {error}", path.display()),
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.mount_point).status();
        if !unmounted.is_ok_and(|status| status.success()) {
            // Something still holds a file open: detach it now, freed when closed.
            let _ = Command::new("umount").arg("-l").arg(&self.mount_point).status();
        }
    }
}

/// A batch of 100 logins and one audit entry, each event carrying about 1 KiB,
/// so that a few dozen batches fill what is left of a full disk's last pages.
fn batch(number: usize) -> (Vec<String>, String) {
    let padding = "x".repeat(1000);
    let mut ids = Vec::new();
    let mut lines = Vec::new();
    for n in 0..100 {
        let id = format!("b{number}-e{n}");
        lines.push(format!(
            r#"{{"id":"{id}","kind":"login","at":"2026-03-02T08:00:00Z","user":"u{n}","properties":{{"padding":"{padding}"}}}}"#
        ));
        ids.push(id);
    }
    let id = format!("b{number}-audit");
    lines.push(format!(
        r#"{{"id":"{id}","kind":"audit_entry","at":"2026-03-02T08:00:00Z","resource":"entity","operation":"update","source_type":"user","source":"dana@example.com","origin":"UI","status":"success","after":{{"note":"{padding}"}}}}"#
    ));
    ids.push(id);
    (ids, lines.join("\n"))
}

/// Posts a batch; answers the status, the `Retry-After` header and the body.
fn send(daemon: &Daemon, key: &str, body: &str) -> (u16, Option<String>, serde_json::Value) {
    let mut response = agent()
        .post(&format!("{}/v1/batch", daemon.url))
        .header("Authorization", &format!("Bearer {key}"))
        .send(body)
        .expect("a response");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("Retry-After")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let text = response.body_mut().read_to_string().unwrap();
    (status, retry_after, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

/// The ids stored in the event log and in the audit log, read by an independent
/// connection.
fn stored_ids(db: &Path) -> HashSet<String> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut ids = HashSet::new();
    for sql in ["SELECT payload ->> '$.id' FROM events", "SELECT event_id FROM audit_entries"] {
        let mut statement = connection.prepare(sql).unwrap();
        let rows = statement.query_map([], |row| row.get::<_, String>(0)).unwrap();
        for id in rows {
            assert!(ids.insert(id.unwrap()), "an id stored twice");
        }
    }
    ids
}

/// A batch of one audit entry whose snapshot is about 60 KiB.
fn audit_batch(number: usize) -> (Vec<String>, String) {
    let id = format!("audit-only-{number}");
    let note = "y".repeat(60_000);
    let line = format!(
        r#"{{"id":"{id}","kind":"audit_entry","at":"2026-03-02T08:00:00Z","resource":"entity","operation":"update","source_type":"user","source":"dana@example.com","origin":"UI","status":"success","after":{{"note":"{note}"}}}}"#
    );
    (vec![id], line)
}

/// Sends `make(1)`, `make(2)`, ... until one is refused, which must be with 503
/// `store_unavailable` and `Retry-After: 1`; the ids of those stored are added
/// to `acknowledged`, and the refused batch is returned.
fn send_until_refused(
    daemon: &Daemon,
    key: &str,
    make: fn(usize) -> (Vec<String>, String),
    acknowledged: &mut Vec<String>,
) -> (Vec<String>, String) {
    for number in 1..=200 {
        let (ids, body) = make(number);
        let (status, retry_after, answer) = send(daemon, key, &body);
        match status {
            200 => acknowledged.extend(ids),
            503 => {
                assert_eq!(answer["code"], "store_unavailable", "{answer}");
                assert_eq!(retry_after.as_deref(), Some("1"), "a 503 says when to retry");
                return (ids, body);
            }
            other => panic!("batch {number} on a full disk: {other} {answer}"),
        }
    }
    panic!("no batch refused within 200 on a full disk");
}

#[test]
fn regression_13_a_full_disk_refuses_batches_with_503_and_ingest_resumes_once_space_is_freed() {
    let disk = SmallDisk::mount("8m");
    let db = disk.mount_point.join("tally.sqlite");
    let filler = disk.mount_point.join("filler");
    let key = create_account(&db, "acme");
    // The batches' audit entries are dated 2026-03-02: keep them ten years, so
    // that ingest does not refuse them as past the default 90 days.
    let kept = run(&db, &["audit", "set-retention", "--account", "acme", "--audit-days", "3650"]);
    assert!(kept.status.success(), "{}", String::from_utf8_lossy(&kept.stderr));
    let daemon = Daemon::start(&db, &[]);
    let mut acknowledged: Vec<String> = Vec::new();

    let (ids, body) = batch(0);
    let (status, _, answer) = send(&daemon, &key, &body);
    assert_eq!(status, 200, "{answer}");
    acknowledged.extend(ids);

    disk.fill(&filler);
    // What the WAL already holds may take a few batches; then one is refused.
    // Usage events go through the writer thread, audit entries through the
    // audit log's own connection: each is refused in its turn.
    let (refused_ids, refused_body) = send_until_refused(&daemon, &key, batch, &mut acknowledged);
    let (audit_ids, audit_body) = send_until_refused(&daemon, &key, audit_batch, &mut acknowledged);
    // Still full: a resend is refused again.
    let (status, _, answer) = send(&daemon, &key, &refused_body);
    assert_eq!(status, 503, "{answer}");

    std::fs::remove_file(&filler).unwrap();
    let (status, _, answer) = send(&daemon, &key, &refused_body);
    assert_eq!(status, 200, "the same daemon takes the batch once space is freed: {answer}");
    // The audit entry may have been written before the events' commit failed:
    // then the resend finds it a duplicate. Every login is new.
    assert_eq!(answer["conflicting"], 0, "{answer}");
    assert_eq!(answer["accepted"].as_u64().unwrap() + answer["duplicates"].as_u64().unwrap(), 101);
    assert!(answer["accepted"].as_u64().unwrap() >= 100, "{answer}");
    acknowledged.extend(refused_ids);
    let (status, _, answer) = send(&daemon, &key, &audit_body);
    assert_eq!((status, answer["accepted"].as_u64()), (200, Some(1)), "{answer}");
    acknowledged.extend(audit_ids);
    // And the next new batch goes in as usual.
    let (ids, body) = batch(1000);
    let (status, _, answer) = send(&daemon, &key, &body);
    assert_eq!((status, answer["accepted"].as_u64()), (200, Some(101)), "{answer}");
    acknowledged.extend(ids);

    drop(daemon);
    let stored = stored_ids(&db);
    let missing: Vec<&String> = acknowledged.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(missing.is_empty(), "{} acknowledged events lost: {missing:?}", missing.len());
    assert_eq!(stored.len(), acknowledged.len(), "only acknowledged events are stored");
}
