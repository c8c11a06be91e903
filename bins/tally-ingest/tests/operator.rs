//! Operator mistakes the commands refuse (issue 13): nothing is destroyed, and
//! nothing is made, by a slip of the keyboard.

use std::process::{Command, Stdio};

use crate::common::*;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// An audit entry of `account`'s, imported with the CLI.
fn import_audit_entry(dir: &std::path::Path, db: &std::path::Path, account: &str) {
    let file = dir.join("audit.ndjson");
    std::fs::write(
        &file,
        r#"{"id":"au1","kind":"audit_entry","at":"2026-03-02T08:00:00Z","resource":"entity","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success"}"#,
    )
    .unwrap();
    // The entry is older than the default 90 days, which ingest now refuses
    // as past retention: keep ten years.
    let kept = run(db, &["audit", "set-retention", "--account", account, "--audit-days", "3650"]);
    assert!(kept.status.success(), "{}", stderr(&kept));
    let imported = run(db, &["import", "--account", account, file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
}

/// Issue 13: `--db prod.sqlite demo` replaced the operator's data with the
/// demo's and exited 0.
#[test]
fn the_demo_never_overwrites_an_existing_database() {
    let (dir, _) = temp_db();
    let prod = dir.path().join("prod.sqlite");
    create_account(&prod, "prod-customer");
    let before = std::fs::read(&prod).unwrap();

    let output = run(&prod, &["demo", "--no-serve"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message.contains(&format!(
            "{} exists, and the demo never overwrites a database",
            prod.display()
        )) && message.contains("pass --db (or TALLY_DB) a path where no file is"),
        "{message}"
    );
    assert_eq!(std::fs::read(&prod).unwrap(), before, "the file is untouched");
    let listed = stdout(&run(&prod, &["account", "list"]));
    assert!(listed.starts_with("prod-customer\t"), "{listed}");
    assert_eq!(listed.lines().count(), 1, "{listed}");

    // The README's demo command, run a second time, is refused the same way.
    let demo = dir.path().join("tally-demo.sqlite");
    assert!(run(&demo, &["demo", "--no-serve"]).status.success());
    let again = run(&demo, &["demo", "--no-serve"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("tally-demo.sqlite serve`"), "{}", stderr(&again));
}

/// Issue 13: an overlapping term was stored, and then every seat command of the
/// account failed, with no command to take the term back.
#[test]
fn an_overlapping_term_is_refused_and_a_term_can_be_removed() {
    let (_dir, db) = temp_db();
    create_account(&db, "acme"); // term 2026-01-01..2027-01-01
    let overlapping =
        run(&db, &["account", "add-term", "--account", "acme", "2026-12-01..2027-12-01"]);
    assert_eq!(overlapping.status.code(), Some(1));
    assert!(
        stderr(&overlapping).contains(
            r#"term 2026-12-01..2027-12-01 of account "acme" overlaps its term 2026-01-01..2027-01-01"#
        ),
        "{}",
        stderr(&overlapping)
    );
    let created = run(
        &db,
        &[
            "account",
            "create",
            "--slug",
            "globex",
            "--name",
            "Globex",
            "--term",
            "2026-01-01..2027-01-01",
            "--term",
            "2026-06-01..2027-06-01",
        ],
    );
    assert_eq!(created.status.code(), Some(1));
    assert!(
        stderr(&created).contains("overlaps its term 2026-01-01..2027-01-01"),
        "{}",
        stderr(&created)
    );

    // Seat figures still count: the account was not broken.
    let list = run(&db, &["account", "list"]);
    assert_eq!(stdout(&list).lines().count(), 1, "{}", stdout(&list));
    assert!(stdout(&list).contains("terms 2026-01-01..2027-01-01\n"), "{}", stdout(&list));

    let unconfirmed =
        run(&db, &["account", "remove-term", "--account", "acme", "2026-01-01..2027-01-01"]);
    assert_eq!(unconfirmed.status.code(), Some(1));
    assert!(stderr(&unconfirmed).contains("run again with --yes"), "{}", stderr(&unconfirmed));
    assert_eq!(count(&db, "SELECT count(*) FROM subscription_terms"), 1);
    let removed = run(
        &db,
        &["account", "remove-term", "--account", "acme", "2026-01-01..2027-01-01", "--yes"],
    );
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert_eq!(count(&db, "SELECT count(*) FROM subscription_terms"), 0);
    // Now the renewal that overlapped the removed term fits.
    let renewed = run(&db, &["account", "add-term", "--account", "acme", "2026-12-01..2027-12-01"]);
    assert!(renewed.status.success(), "{}", stderr(&renewed));
}

#[test]
fn an_account_is_deleted_only_when_confirmed_and_with_everything_it_held() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    create_account(&db, "globex");
    {
        let mut store = tally_store::Store::open(&db, &Default::default()).unwrap();
        store
            .create_token(&tally_store::NewToken {
                grant: tally_store::TokenGrant::Administrator {
                    account: "acme".into(),
                    server_management_read: false,
                },
                label: String::new(),
                expires_at: None,
            })
            .unwrap();
    }
    {
        let daemon = Daemon::start(&db, &[]);
        let (status, _) = daemon.post(Some(&key), [login("a", "u1"), login("b", "u2")].join("\n"));
        assert_eq!(status, 200);
    }

    let unconfirmed = run(&db, &["account", "delete", "--account", "acme"]);
    assert_eq!(unconfirmed.status.code(), Some(1));
    assert!(
        stderr(&unconfirmed).contains("deleting account acme removes its events")
            && stderr(&unconfirmed).contains("run again with --yes"),
        "{}",
        stderr(&unconfirmed)
    );
    assert_eq!(count(&db, "SELECT count(*) FROM accounts"), 2);

    let deleted = run(&db, &["account", "delete", "--account", "acme", "--yes"]);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(stdout(&deleted), "deleted account acme: 2 events, 1 API tokens\n");
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM api_tokens"), 0);
    let listed = stdout(&run(&db, &["account", "list"]));
    assert!(listed.starts_with("globex\t") && listed.lines().count() == 1, "{listed}");
}

/// The audit log is append-only evidence: an account with a chain in it is
/// not deleted (docs/RELIABILITY.md).
#[test]
fn an_account_with_audit_history_is_not_deleted() {
    let (dir, db) = temp_db();
    create_account(&db, "acme");
    import_audit_entry(dir.path(), &db, "acme");
    let refused = run(&db, &["account", "delete", "--account", "acme", "--yes"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("the audit log holds a chain for account acme"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(count(&db, "SELECT count(*) FROM accounts"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM audit_entries"), 1);
}

/// Issue 13: `audit purge --account` and `audit set-retention` on an account
/// that does not exist answered "purged 0" and "kept 90 days", exit 0.
#[test]
fn commands_naming_an_unknown_account_fail_naming_it() {
    let (dir, db) = temp_db();
    create_account(&db, "acme");
    let file = dir.path().join("events.ndjson");
    std::fs::write(&file, login("a", "u1")).unwrap();
    let file = file.to_str().unwrap();
    for args in [
        &["audit", "purge", "--account", "acne"][..],
        &["audit", "set-retention", "--account", "acne", "--audit-days", "10"],
        &["import", "--account", "acne", file],
        &["account", "add-term", "--account", "acne", "2027-01-01..2028-01-01"],
        &["account", "remove-term", "--account", "acne", "2026-01-01..2027-01-01", "--yes"],
        &["account", "delete", "--account", "acne", "--yes"],
        &["account", "delete", "--account", "acne"],
        &["account", "rotate-key", "--account", "acne"],
        &["account", "set-organization", "--account", "acne", "--id", "east", "--name", "East"],
        &["account", "set-team", "--account", "acne", "--id", "ops", "--name", "Ops"],
        &["account", "set-seat-rule", "--account", "acne"],
        &["account", "map-event", "--account", "acne", "--event", "Signed In", "--kind", "login"],
        &["account", "unmap-event", "--account", "acne", "--event", "Signed In"],
        &["account", "event-mappings", "--account", "acne"],
    ] {
        let output = run(&db, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", stdout(&output));
        assert!(
            stderr(&output).contains(r#"no account has the slug "acne""#),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // An account the store has, or one the audit log has a chain for, is known.
    assert!(run(&db, &["audit", "purge", "--account", "acme"]).status.success());
}

/// Issue 13: `tally-ingest --db typo.sqlite account list` made the file and
/// exited 0.
#[test]
fn only_commands_that_create_make_a_database() {
    let (dir, _) = temp_db();
    let typo = dir.path().join("tally-dmeo.sqlite");
    let file = dir.path().join("events.ndjson");
    std::fs::write(&file, login("a", "u1")).unwrap();
    let file = file.to_str().unwrap();
    for args in [
        &["account", "list"][..],
        &["account", "add-term", "--account", "acme", "2027-01-01..2028-01-01"],
        &["account", "rotate-key", "--account", "acme"],
        &["account", "delete", "--account", "acme", "--yes"],
        &["import", "--account", "acme", file],
        &["audit", "purge"],
        &["audit", "set-retention", "--account", "acme"],
        &["serve", "--listen", "127.0.0.1:0"],
    ] {
        let output = run(&typo, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", stdout(&output));
        assert!(
            stderr(&output).contains(&format!("no database at {}", typo.display())),
            "{args:?}: {}",
            stderr(&output)
        );
        let made: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("tally-dmeo"))
            .collect();
        assert_eq!(made, Vec::<String>::new(), "{args:?}");
    }
    // `serve --create` makes it, as `account create` and `demo` do.
    let daemon = Daemon::start(&typo, &[]);
    assert_eq!(daemon.post(None, "").0, 401);
    assert!(typo.exists());
}

/// Issue 13: `--listen localhost:7999` was refused for not being an IP address.
#[test]
fn the_daemon_listens_on_a_host_name() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let child = Command::new(BINARY)
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", "localhost:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let daemon = Daemon::ready(child);
    let (status, answer) = daemon.post(Some(&key), login("a", "u1"));
    assert_eq!((status, &answer["accepted"]), (200, &serde_json::json!(1)));

    let bad = run(&db, &["serve", "--listen", "localhost"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains(r#""localhost" is not HOST:PORT"#), "{}", stderr(&bad));
}

/// Issue 19: the README's demo command ends by printing the dashboard's URL
/// and a token to sign in with, and both work.
#[test]
fn the_demo_ends_by_printing_the_dashboard_and_a_token_that_signs_in() {
    use std::io::{BufRead, BufReader};

    let (_dir, db) = temp_db();
    let mut child = Command::new(BINARY)
        .arg("--db")
        .arg(&db)
        .args(["demo", "--listen", "127.0.0.1:0", "--dashboard-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    // The last three lines: the URL, then the administrator's and the staff's tokens.
    while !lines.last().is_some_and(|line: &String| line.contains("the vendor's staff")) {
        let mut line = String::new();
        assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "the demo stopped: {lines:#?}");
        lines.push(line.trim_end().to_owned());
    }
    let url = lines[lines.len() - 3]
        .strip_prefix("the dashboard: ")
        .unwrap_or_else(|| panic!("{lines:#?}"))
        .trim_end_matches('/')
        .to_owned();
    let token = lines[lines.len() - 2].rsplit(' ').next().unwrap().to_owned();
    assert!(lines[lines.len() - 2].contains("administrator of acme-robotics"), "{lines:#?}");

    // The token signs in through the page's form and opens the dashboard.
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let signed_in = agent
        .post(format!("{url}/sign-in"))
        .header("Cookie", "tally_csrf=feed")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(format!("token={token}&csrf=feed"))
        .unwrap();
    assert_eq!(signed_in.status().as_u16(), 303);
    let home = agent
        .get(format!("{url}/"))
        .header("Cookie", format!("tally_token={token}; tally_csrf=feed"))
        .call()
        .unwrap();
    assert_eq!(home.status().as_u16(), 303);
    assert_eq!(home.headers()["location"], "/dashboard/users-activity");
    let _ = child.kill();
    let _ = child.wait();
}
