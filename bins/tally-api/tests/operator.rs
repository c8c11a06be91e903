//! Operator mistakes the token commands and the service refuse (issue 13).

use std::process::Command;

use crate::common::*;

fn tally_api(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BINARY).arg("--db").arg(db).args(args).output().unwrap()
}

/// Issue 13: `--expires-in-days 0` and a past `--expires-at` made tokens that
/// never worked, silently.
#[test]
fn a_token_expired_when_made_is_refused() {
    let fixture = fixture();
    let before = tally_api(&fixture.db, &["token", "list"]).stdout;
    for expiry in [&["--expires-in-days", "0"][..], &["--expires-at", "2020-01-01T00:00:00Z"]] {
        let mut args = vec!["token", "create", "--role", "administrator", "--account", "acme"];
        args.extend_from_slice(expiry);
        let output = tally_api(&fixture.db, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{expiry:?}: {stderr}");
        assert!(stderr.contains("a token must expire in the future"), "{expiry:?}: {stderr}");
        assert!(output.stdout.is_empty(), "no token is printed");
    }
    assert_eq!(tally_api(&fixture.db, &["token", "list"]).stdout, before, "no token was made");
    let tomorrow = tally_api(
        &fixture.db,
        &[
            "token",
            "create",
            "--role",
            "administrator",
            "--account",
            "acme",
            "--expires-in-days",
            "1",
        ],
    );
    assert!(tomorrow.status.success(), "{}", String::from_utf8_lossy(&tomorrow.stderr));
}

/// Issue 13: every command that names an account fails naming it when it does
/// not exist.
#[test]
fn commands_naming_an_unknown_account_fail_naming_it() {
    let fixture = fixture();
    for args in [
        &["token", "create", "--role", "administrator", "--account", "acne"][..],
        &["token", "create", "--role", "member", "--account", "acne", "--user", "u-1"],
        &["staff-team", "set", "--team", "care", "--accounts", "acme,acne"],
    ] {
        let output = tally_api(&fixture.db, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(r#"no account has the slug "acne""#), "{args:?}: {stderr}");
    }
}

/// Issue 13: a mistyped --db is refused naming the path, and no file is made.
#[test]
fn commands_refuse_a_missing_database_without_making_one() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("tally-dmeo.sqlite");
    for args in [
        &["token", "list"][..],
        &["token", "create", "--role", "administrator", "--account", "acme"],
        &["token", "revoke", "0123456789ab"],
        &["staff-team", "set", "--team", "care", "--all-accounts"],
        &["serve", "--listen", "127.0.0.1:0"],
    ] {
        let output = tally_api(&typo, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(&format!("no database at {}", typo.display())), "{stderr}");
        assert!(!typo.exists(), "{args:?} made {}", typo.display());
    }
}

/// Issue 13: `--listen localhost:PORT` was refused for not being an IP address.
#[test]
fn the_service_listens_on_a_host_name() {
    let fixture = fixture();
    let api = Api::start_on(&fixture.db, "localhost:0");
    assert_eq!(api.get("/healthz", None).status, 200);
    let output = tally_api(&fixture.db, &["serve", "--listen", "localhost"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(r#""localhost" is not HOST:PORT"#), "{stderr}");
}
