//! Running the daemon and talking to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const BINARY: &str = env!("CARGO_BIN_EXE_tally-ingest");

/// Runs `tally-ingest --db DB ARGS...` to completion.
pub fn run(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BINARY).arg("--db").arg(db).args(args).output().expect("run tally-ingest")
}

/// Creates an account with the CLI and returns its write key.
pub fn create_account(db: &Path, slug: &str) -> String {
    let output = run(
        db,
        &["account", "create", "--slug", slug, "--name", slug, "--term", "2026-01-01..2027-01-01"],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("write key (shown once, store it now): "))
        .expect("the key line")
        .to_owned()
}

/// A daemon on a free loopback port, killed when dropped.
pub struct Daemon {
    pub child: Child,
    pub url: String,
}

impl Daemon {
    pub fn start(db: &Path, extra: &[&str]) -> Daemon {
        Daemon::start_with_log(db, extra, Stdio::null())
    }

    /// Starts the daemon with its log (standard error) going to `log`. The
    /// database is made when missing (`--create`), as tests of the HTTP
    /// answers need no account.
    pub fn start_with_log(db: &Path, extra: &[&str], log: Stdio) -> Daemon {
        Daemon::spawn(Command::new(BINARY), db, extra, log)
    }

    /// Starts the daemon under `prlimit` with `limit` (such as `--nofile=1024:1024`),
    /// so that the daemon's own process has it and the test's does not.
    pub fn start_under_prlimit(db: &Path, limit: &str, extra: &[&str]) -> Daemon {
        let mut prlimit = Command::new("/usr/bin/prlimit");
        prlimit.arg(limit).arg(BINARY);
        Daemon::spawn(prlimit, db, extra, Stdio::null())
    }

    fn spawn(mut command: Command, db: &Path, extra: &[&str], log: Stdio) -> Daemon {
        let child = command
            .arg("--db")
            .arg(db)
            .args(["serve", "--create", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn tally-ingest serve");
        Daemon::ready(child)
    }

    /// The daemon `child` once it prints its address, which it does after binding.
    pub fn ready(mut child: Child) -> Daemon {
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line
            .strip_prefix("tally-ingest listening on ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Daemon { child, url }
    }

    pub fn post(&self, key: Option<&str>, body: impl AsRef<[u8]>) -> (u16, serde_json::Value) {
        post(&format!("{}/v1/batch", self.url), key, body.as_ref())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Sends `method` to `url` without a body, answering the status, the headers
/// named in `headers` (empty when absent) and the body as JSON.
pub fn request(method: &str, url: &str, headers: &[&str]) -> (u16, Vec<String>, serde_json::Value) {
    let request = ureq::http::Request::builder().method(method).uri(url).body(()).unwrap();
    let mut response = agent().run(request).expect("a response");
    let status = response.status().as_u16();
    let values = headers
        .iter()
        .map(|name| {
            let value = response.headers().get(*name).and_then(|value| value.to_str().ok());
            value.unwrap_or("").to_owned()
        })
        .collect();
    let text = response.body_mut().read_to_string().unwrap();
    (status, values, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

pub fn post(url: &str, key: Option<&str>, body: &[u8]) -> (u16, serde_json::Value) {
    let mut request = agent().post(url).header("Content-Type", "application/x-ndjson");
    if let Some(key) = key {
        request = request.header("Authorization", &format!("Bearer {key}"));
    }
    let mut response = request.send(body).expect("a response");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

pub fn login(id: &str, user: &str) -> String {
    format!(r#"{{"id":"{id}","kind":"login","at":"2026-03-02T08:00:00Z","user":"{user}"}}"#)
}

/// Counts rows with an independent connection.
pub fn count(db: &Path, sql: &str) -> i64 {
    let connection = rusqlite::Connection::open(db).unwrap();
    connection.query_row(sql, [], |row| row.get(0)).unwrap()
}

pub fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tally.sqlite");
    (dir, db)
}
