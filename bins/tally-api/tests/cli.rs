//! The token commands, and the service stopping cleanly on SIGTERM.

use std::process::Command;

use crate::common::*;

fn tally_api(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BINARY).arg("--db").arg(db).args(args).output().unwrap()
}

#[test]
fn a_token_made_on_the_command_line_works_until_revoked() {
    let fixture = fixture();
    let made = tally_api(
        &fixture.db,
        &[
            "token",
            "create",
            "--role",
            "member",
            "--account",
            "acme",
            "--user",
            "u-2",
            "--label",
            "Bo's laptop",
        ],
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let token = String::from_utf8(made.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("tally_at_"), "{token}");
    let id = &token["tally_at_".len().."tally_at_".len() + 12];

    let listed = String::from_utf8(tally_api(&fixture.db, &["token", "list"]).stdout).unwrap();
    let line = listed.lines().find(|line| line.starts_with(id)).unwrap();
    assert!(line.contains("member u-2 of acme") && line.contains("Bo's laptop"), "{line}");
    assert!(!listed.contains(&token[token.len() - 48..]), "the secret is never shown again");

    let api = Api::start(&fixture.db);
    assert_eq!(api.get("/v1/me", Some(&token)).json()["user"], "u-2");
    let revoked = tally_api(&fixture.db, &["token", "revoke", id]);
    assert!(revoked.status.success());
    assert_eq!(api.get("/v1/me", Some(&token)).status, 401);
}

#[test]
fn token_commands_refuse_what_does_not_fit_the_role() {
    let fixture = fixture();
    for (args, message) in [
        (&["token", "create", "--role", "member", "--account", "acme"][..], "needs --user"),
        (&["token", "create", "--role", "administrator"][..], "needs --account"),
        (
            &["token", "create", "--role", "staff", "--account", "acme", "--team", "acme-care"][..],
            "does not take --account",
        ),
        (
            &["token", "create", "--role", "staff", "--team", "nobody"][..],
            "no staff team is called \"nobody\"",
        ),
        (&["token", "create", "--role", "owner", "--account", "acme"][..], "not a role"),
        (&["token", "revoke", "nope"][..], "not a token id"),
    ] {
        let output = tally_api(&fixture.db, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn the_service_stops_cleanly_on_sigterm() {
    let fixture = fixture();
    let mut api = Api::start(&fixture.db);
    assert_eq!(api.get("/healthz", None).status, 200);
    let killed =
        Command::new("kill").args(["-TERM", &api.child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = api.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// A service manager may stop the service as soon as it has announced its
/// address: the signal listeners are in place before that line is printed.
#[test]
fn a_sigterm_right_after_the_address_is_printed_stops_cleanly() {
    for _ in 0..5 {
        let fixture = fixture();
        let mut api = Api::start(&fixture.db);
        let killed =
            Command::new("kill").args(["-TERM", &api.child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let status = api.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

/// For operators who ship logs: with `--log-format json` every line the service
/// writes to standard error is one JSON object, its requests' lines included.
#[test]
fn json_log_lines_parse_as_json() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;

    let fixture = fixture();
    let mut child = Command::new(BINARY)
        .arg("--db")
        .arg(&fixture.db)
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line
        .strip_prefix("tally-api listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let api = Api { child, url };
    assert_eq!(api.get("/healthz", None).status, 200);
    assert_eq!(api.get("/v1/me", None).status, 401);
    let mut api = api;
    let killed =
        Command::new("kill").args(["-TERM", &api.child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    assert!(api.child.wait().unwrap().success());
    let mut log = String::new();
    api.child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line:?}")))
        .collect();
    let messages: Vec<&str> =
        records.iter().filter_map(|record| record["fields"]["message"].as_str()).collect();
    // tower-http's request lines (`finished processing request`), then the stop.
    assert!(messages.contains(&"finished processing request"), "{log}");
    assert!(messages.contains(&"shutting down: finishing the requests in flight"), "{log}");
}

/// Issue 13: started without its audit key file, the service made a new key
/// beside the database, which sealed nothing of the log (and which the ingest
/// daemon then found instead of the real one). A log with entries is never
/// given a new key: the service refuses to start, naming the key file.
#[test]
fn the_service_refuses_to_start_without_the_key_that_sealed_the_audit_log() {
    let fixture = fixture();
    let key_file = tally_audit::key_file_for(&fixture.db);
    let kept = fixture.db.with_extension("kept-key");
    std::fs::rename(&key_file, &kept).unwrap();
    let mut child = Command::new(BINARY)
        .arg("--db")
        .arg(&fixture.db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tally-api serve started without its key");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("but its key file {} does not exist", key_file.display())),
        "{stderr}"
    );
    assert!(!key_file.exists(), "a new key was made");
    // Given the key that sealed it, it serves.
    std::fs::rename(&kept, &key_file).unwrap();
    let api = Api::start(&fixture.db);
    assert_eq!(api.get("/healthz", None).status, 200);
}
