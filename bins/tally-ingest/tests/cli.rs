//! The import and account commands.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::*;

#[test]
fn import_keeps_good_lines_names_bad_ones_by_file_line_and_is_idempotent() {
    let (dir, db) = temp_db();
    create_account(&db, "acme");
    let file = dir.path().join("backfill.ndjson");
    let lines = [
        login("a", "u1"),
        String::new(),
        login("b", "u2"),
        r#"{"id":"c","kind":"login","at":"2026-03-02T08:00:00Z"}"#.to_owned(),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();

    let first = run(&db, &["import", "--account", "acme", file.to_str().unwrap()]);
    let stdout = String::from_utf8(first.stdout).unwrap();
    assert_eq!(first.status.code(), Some(3), "some lines were not stored: {stdout}");
    assert_eq!(
        stdout,
        "accepted 2, duplicates 0, conflicting 0, rejected 1\n  line 4, field `user`: required field is missing\n"
    );

    let again = run(&db, &["import", "--account", "acme", file.to_str().unwrap()]);
    let stdout = String::from_utf8(again.stdout).unwrap();
    assert!(
        stdout.starts_with("accepted 0, duplicates 2, conflicting 0, rejected 1\n"),
        "{stdout}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 2);
}

#[test]
fn import_reads_standard_input_and_json_arrays() {
    let (_dir, db) = temp_db();
    create_account(&db, "acme");
    let mut child = Command::new(BINARY)
        .arg("--db")
        .arg(&db)
        .args(["import", "--account", "acme", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let body = format!("  [{}, {}]", login("a", "u1"), login("b", "u1"));
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "accepted 2, duplicates 0, conflicting 0, rejected 0\n"
    );
}

#[test]
fn import_into_an_unknown_account_fails_with_its_name() {
    let (dir, db) = temp_db();
    create_account(&db, "acme");
    let file = dir.path().join("events.ndjson");
    std::fs::write(&file, login("a", "u1")).unwrap();
    let output = run(&db, &["import", "--account", "acne", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains(r#"no account has the slug "acne""#), "{stderr}");
}

#[test]
fn account_create_validates_its_calendar() {
    let (_dir, db) = temp_db();
    let output = run(
        &db,
        &["account", "create", "--slug", "acme", "--name", "Acme", "--time-zone", "Mars/Olympus"],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains(r#""Mars/Olympus" is not an IANA time zone name"#), "{stderr}");

    let output = run(
        &db,
        &[
            "account",
            "create",
            "--slug",
            "acme",
            "--name",
            "Acme",
            "--term",
            "2026-05-01..2026-04-01",
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("ends on or before it starts"), "{stderr}");
}

#[test]
fn account_list_shows_calendars_and_terms() {
    let (_dir, db) = temp_db();
    let created = run(
        &db,
        &[
            "account",
            "create",
            "--slug",
            "kiwi",
            "--name",
            "Kiwi Ltd",
            "--time-zone",
            "Pacific/Auckland",
            "--week-start",
            "sunday",
            "--term",
            "2026-01-15..2027-01-15",
        ],
    );
    assert!(created.status.success());
    assert!(
        run(&db, &["account", "add-term", "--account", "kiwi", "2027-01-15..2028-01-15"])
            .status
            .success()
    );
    let listed = String::from_utf8(run(&db, &["account", "list"]).stdout).unwrap();
    assert_eq!(
        listed,
        "kiwi\tKiwi Ltd\tPacific/Auckland\tweek starts Sun\tterms 2026-01-15..2027-01-15, 2027-01-15..2028-01-15\n"
    );
}

/// `fixtures/small` is what `tally-ingest fixtures --scale small --seed 7` writes:
/// regenerate it with that command when the generator changes on purpose.
#[test]
fn the_checked_in_small_fixtures_are_the_generators_output() {
    let (dir, db) = temp_db();
    let out = dir.path().join("small");
    let output =
        run(&db, &["fixtures", "--scale", "small", "--seed", "7", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let checked_in = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/small");
    let mut names: Vec<String> = std::fs::read_dir(&checked_in)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "accounts.json",
            "acme-robotics.ndjson",
            "equator-labs.ndjson",
            "globex.ndjson",
            "initech.ndjson"
        ]
    );
    for name in names {
        let expected = std::fs::read(checked_in.join(&name)).unwrap();
        let generated = std::fs::read(out.join(&name)).unwrap();
        assert!(expected == generated, "fixtures/small/{name} differs from the generator's output");
    }
}

/// The checked-in fixtures import cleanly, and a second import is all duplicates.
#[test]
fn the_small_fixtures_import_without_rejections() {
    let (_dir, db) = temp_db();
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/small/globex.ndjson");
    let lines = std::fs::read_to_string(&file).unwrap().lines().count();
    create_account(&db, "globex");
    // The fixtures' year ends in 2026-11: their audit entries are kept a
    // century here, so that none is past retention (and refused) as time goes on.
    set_retention(&db, "globex", "36500", "36500");
    let first = run(&db, &["import", "--account", "globex", file.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8(first.stdout).unwrap(),
        format!("accepted {lines}, duplicates 0, conflicting 0, rejected 0\n")
    );
    let second = run(&db, &["import", "--account", "globex", file.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8(second.stdout).unwrap(),
        format!("accepted 0, duplicates {lines}, conflicting 0, rejected 0\n")
    );
}

#[test]
fn the_demo_counts_each_accounts_seats_this_month() {
    let (_dir, db) = temp_db();
    let output = run(&db, &["demo", "--no-serve"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let seats: Vec<&str> = stdout
        .lines()
        .skip_while(|line| !line.starts_with("active seats this month"))
        .skip(1)
        .take_while(|line| !line.is_empty())
        .collect();
    let slugs: Vec<&str> = seats.iter().filter_map(|line| line.split_whitespace().next()).collect();
    assert_eq!(slugs, ["acme-robotics", "globex", "initech", "equator-labs"], "{stdout}");
    assert!(seats.iter().all(|line| line.contains(" seats in ")), "{stdout}");
    // The state is in the file: every account's months were counted.
    let connection = rusqlite::Connection::open(&db).unwrap();
    let counted: i64 = connection
        .query_row("SELECT count(DISTINCT account_id) FROM seat_progress", [], |row| row.get(0))
        .unwrap();
    assert_eq!(counted, 4);
}

#[test]
fn an_accounts_seat_rule_is_set_by_command_and_checked() {
    let (_dir, db) = temp_db();
    create_account(&db, "acme");
    let set = run(&db, &["account", "set-seat-rule", "--account", "acme", "--weeks-needed", "2"]);
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    assert_eq!(
        count(
            &db,
            "SELECT weeks_needed * 100 + logins_needed * 10 + logins_per_week FROM seat_rules"
        ),
        231
    );
    let zero = run(&db, &["account", "set-seat-rule", "--account", "acme", "--logins-needed", "0"]);
    assert_eq!(zero.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&zero.stderr).contains("the seat rule's logins_needed is 0"),
        "{}",
        String::from_utf8_lossy(&zero.stderr)
    );
}

/// Sets an account's audit retention with the CLI.
fn set_retention(db: &Path, account: &str, audit_days: &str, sign_in_days: &str) {
    let set = run(
        db,
        &[
            "audit",
            "set-retention",
            "--account",
            account,
            "--audit-days",
            audit_days,
            "--sign-in-days",
            sign_in_days,
        ],
    );
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
}

/// Entries past their retention go at `audit purge`; sign-ins sooner than the
/// rest; what is left still verifies as a chain.
#[test]
fn audit_purge_removes_what_retention_expired_and_the_chain_still_verifies() {
    let (dir, db) = temp_db();
    create_account(&db, "acme");
    // Kept a year while they are imported: an entry already past retention
    // when it arrives is refused (`past_retention`).
    set_retention(&db, "acme", "365", "365");
    let entry = |id: &str, days_ago: i64, resource: &str| {
        let at = chrono::Utc::now() - chrono::Duration::days(days_ago);
        format!(
            r#"{{"id":"{id}","kind":"audit_entry","at":"{}","resource":"{resource}","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success"}}"#,
            at.to_rfc3339()
        )
    };
    // Kept 90 days, sign-ins 30: a1 (100 days) and s1 (40 days) are past it;
    // a2 (10 days) and s2 (10 days) are not.
    let lines = [
        entry("a1", 100, "entity"),
        entry("s1", 40, "sign_in"),
        entry("a2", 10, "entity"),
        entry("s2", 10, "sign_in"),
    ];
    let file = dir.path().join("audit.ndjson");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let imported = run(&db, &["import", "--account", "acme", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    assert_eq!(count(&db, "SELECT count(*) FROM audit_entries"), 4);

    set_retention(&db, "acme", "90", "30");
    let purged = run(&db, &["audit", "purge", "--batch", "1"]);
    assert!(purged.status.success(), "{}", String::from_utf8_lossy(&purged.stderr));
    assert_eq!(String::from_utf8_lossy(&purged.stdout).trim(), "purged 2 expired audit entries");
    assert_eq!(count(&db, "SELECT count(*) FROM audit_entries"), 2);

    // A shorter retention removes the rest.
    set_retention(&db, "acme", "5", "5");
    run(&db, &["audit", "purge", "--account", "acme"]);
    assert_eq!(count(&db, "SELECT count(*) FROM audit_entries"), 0);

    let key = tally_audit::load_key(&tally_audit::key_file_for(&db)).unwrap();
    let log = tally_audit::AuditStore::open(&db, &tally_audit::AuditOptions::new(key)).unwrap();
    let report = log.verify("acme", None).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.checkpoint_seq, 4);
}

/// An account whose retention was shortened without the key is not purged, and
/// the command fails naming it, but the other accounts are purged.
#[test]
fn audit_purge_goes_on_past_an_account_whose_retention_was_tampered_with() {
    let (dir, db) = temp_db();
    let entry = |id: &str| {
        let at = chrono::Utc::now() - chrono::Duration::days(100);
        format!(
            r#"{{"id":"{id}","kind":"audit_entry","at":"{}","resource":"entity","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success"}}"#,
            at.to_rfc3339()
        )
    };
    // Both accounts keep entries 90 days: each one's entry, 100 days old, expired.
    // (Imported while kept a year: past retention on arrival, it would be refused.)
    for account in ["acme", "globex"] {
        create_account(&db, account);
        set_retention(&db, account, "365", "30");
        let file = dir.path().join(format!("{account}.ndjson"));
        std::fs::write(&file, entry(&format!("{account}-1"))).unwrap();
        let imported = run(&db, &["import", "--account", account, file.to_str().unwrap()]);
        assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
        set_retention(&db, account, "90", "30");
    }
    // acme (the first purged, by name) now claims to keep entries one day.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("UPDATE audit_accounts SET audit_days = 1 WHERE account = 'acme'", [])
        .unwrap();

    let purged = run(&db, &["audit", "purge"]);
    assert!(!purged.status.success());
    let stderr = String::from_utf8_lossy(&purged.stderr);
    assert!(stderr.contains("(1 purged in all)"), "{stderr}");
    assert!(
        stderr.contains(r#"the audit log of account "acme" has been tampered with"#)
            && stderr.contains("(retention periods)"),
        "{stderr}"
    );
    let left = |account: &str| {
        count(
            &db,
            &format!(
                "SELECT count(*) FROM audit_entries WHERE account_id =
                     (SELECT account_id FROM audit_accounts WHERE account = '{account}')"
            ),
        )
    };
    assert_eq!((left("acme"), left("globex")), (1, 0));
}
