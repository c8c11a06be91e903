//! End-to-end tests of `tally-export`: the real binary on a real SQLite file.

mod audit;
mod dashboard;
mod filters;
mod identities;
mod operator;
mod pdf;
mod seat_surprises;
mod usage_reports;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tally_calendar::AccountCalendar;
use tally_events::{Limits, check_batch};
use tally_store::{NewAccount, Store, StoreOptions};

/// The exporter binary under test.
pub const BINARY: &str = env!("CARGO_BIN_EXE_tally-export");

/// Account acme (Europe/Berlin, term 2026). Ana (u-1) logs in on Mondays
/// 2026-03-02, 03-09 and 03-16 at 09:00Z (10:00 in Berlin): three calendar
/// weeks, so an active seat from her third login. Bo (u-2) logs in once.
const EVENTS: &str = r#"{"id":"a0","kind":"user_added","at":"2026-02-20T09:00:00Z","user":"u-1","email":"ana@acme.test","display_name":"Ana Acme","role":"member","organization":"acme-east"}
{"id":"a1","kind":"login","at":"2026-03-02T09:00:00Z","user":"u-1","organization":"acme-east"}
{"id":"a2","kind":"login","at":"2026-03-09T09:00:00Z","user":"u-1","organization":"acme-east"}
{"id":"a3","kind":"login","at":"2026-03-16T09:00:00Z","user":"u-1","organization":"acme-east"}
{"id":"a4","kind":"login","at":"2026-04-01T09:00:00Z","user":"u-2","organization":"acme-east"}"#;

/// A store with the events above, whose seat state has not been brought up to
/// date: the exporter does it.
fn fixture() -> (tempfile::TempDir, PathBuf) {
    acme_holding(EVENTS)
}

/// A store whose account acme (Europe/Berlin, term 2026) holds `events`
/// (NDJSON; none if empty).
fn acme_holding(events: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tally.sqlite");
    let mut store = Store::open(&db, &StoreOptions::default()).unwrap();
    let (account, _) = store
        .create_account(&NewAccount {
            slug: "acme".into(),
            name: "Acme".into(),
            calendar: AccountCalendar {
                time_zone: "Europe/Berlin".parse().unwrap(),
                ..AccountCalendar::default()
            },
            terms: vec!["2026-01-01..2027-01-01".parse().unwrap()],
        })
        .unwrap();
    if !events.is_empty() {
        let batch = check_batch(events.as_bytes(), &Limits::default()).unwrap();
        assert!(batch.rejections.is_empty(), "{:?}", batch.rejections);
        store.append(account.id, &batch.events).unwrap();
    }
    (dir, db)
}

fn export(db: &Path, args: &[&str]) -> Output {
    Command::new(BINARY).arg("--db").arg(db).args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn monthly_seats_as_csv_per_account_and_organization() {
    let (_dir, db) = fixture();
    // Ana is a seat from March on; no month before March had one, so March's
    // change has no percent, and every later month changes by 0, 0.00%.
    // (Run in or after December 2026: no month of the term is after now.)
    let mut expected = String::from("month,seats,change,change_percent\r\n");
    expected.push_str("2026-01,0,0,\r\n2026-02,0,0,\r\n2026-03,1,1,\r\n");
    for month in 4..=12 {
        expected.push_str(&format!("2026-{month:02},1,0,0.00\r\n"));
    }
    let args = ["seats", "monthly", "--account", "acme", "--format", "csv"];
    assert_eq!(stdout(&export(&db, &args)), expected);
    let east = ["seats", "monthly", "--account", "acme", "--organization", "acme-east"];
    assert_eq!(stdout(&export(&db, &east)), expected);
    let elsewhere = ["seats", "monthly", "--account", "acme", "--organization", "acme-west"];
    let zeros = stdout(&export(&db, &elsewhere));
    assert_eq!(zeros.lines().count(), 13);
    assert!(zeros.lines().skip(1).all(|line| line.contains(",0,0,")), "{zeros}");
}

#[test]
fn the_activated_seats_log_as_csv_and_json() {
    let (_dir, db) = fixture();
    let at = ["--at", "2026-04-01T00:00:00Z"];
    let csv = stdout(&export(&db, &[&["seats", "log", "--account", "acme"][..], &at].concat()));
    assert_eq!(
        csv,
        "user,email,display_name,organizations,teams,activated_at,logins,weeks,status\r\n\
         u-1,ana@acme.test,Ana Acme,acme-east,,2026-03-16T10:00:00+01:00,3,3,active\r\n"
    );
    let json = stdout(&export(
        &db,
        &[&["seats", "log", "--account", "acme", "--format", "json"][..], &at].concat(),
    ));
    let table: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(table["title"], "Activated seats");
    assert_eq!(table["columns"][5]["type"], "date_time");
    assert_eq!(table["rows"][0]["activated_at"], "2026-03-16T09:00:00Z");
    assert_eq!(table["rows"][0]["logins"], 3);
}

#[test]
fn bom_starts_the_csv_with_a_byte_order_mark_and_is_refused_for_other_formats() {
    // Ana's name spelt with an accent: "í" is C3 AD in UTF-8.
    let (_dir, db) = acme_holding(&EVENTS.replace("Ana Acme", "Ana García"));
    let log = ["seats", "log", "--account", "acme", "--at", "2026-04-01T00:00:00Z"];
    let marked = export(&db, &[&log[..], &["--bom"]].concat());
    assert!(marked.status.success(), "{}", String::from_utf8_lossy(&marked.stderr));
    let header = "user,email,display_name,organizations,teams,activated_at,logins,weeks,status\r\n";
    let ana = "u-1,ana@acme.test,Ana García,acme-east,,2026-03-16T10:00:00+01:00,3,3,active\r\n";
    let mut expected = b"\xEF\xBB\xBF".to_vec();
    expected.extend_from_slice(format!("{header}{ana}").as_bytes());
    assert_eq!(marked.stdout, expected);
    // Without the flag, no mark.
    assert_eq!(stdout(&export(&db, &log)), format!("{header}{ana}"));
    for format in ["json", "xlsx"] {
        let refused = export(&db, &[&log[..], &["--bom", "--format", format]].concat());
        assert!(!refused.status.success());
        assert!(refused.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("--bom is for CSV only") && stderr.contains(format), "{stderr}");
    }
}

#[test]
fn an_explanation_lists_counted_logins_by_week_and_says_why() {
    let (_dir, db) = fixture();
    let args =
        ["seats", "explain", "--account", "acme", "--user", "u-1", "--at", "2026-04-01T00:00:00Z"];
    let output = export(&db, &[&args[..], &["--format", "json"]].concat());
    let table: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let title = table["title"].as_str().unwrap();
    assert!(
        title.starts_with(
            "u-1 at 2026-04-01T00:00:00+00:00: an active seat since 2026-03-16T09:00:00+00:00"
        ),
        "{title}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains(title));
    let rows: Vec<(String, String, i64, String)> = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["week"].as_str().unwrap().to_owned(),
                row["login_at"].as_str().unwrap().to_owned(),
                row["week_logins"].as_i64().unwrap(),
                row["week_counts"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, i64, String)> = ["02", "09", "16"]
        .iter()
        .map(|day| {
            (format!("2026-03-{day}"), format!("2026-03-{day}T09:00:00Z"), 1, "yes".to_owned())
        })
        .collect();
    assert_eq!(rows, expected);
}

#[test]
fn an_xlsx_file_is_written_where_asked() {
    let (dir, db) = fixture();
    let file = dir.path().join("seats.xlsx");
    let output = export(
        &db,
        &[
            "seats",
            "monthly",
            "--account",
            "acme",
            "--format",
            "xlsx",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(&std::fs::read(&file).unwrap()[..2], b"PK");
    assert!(String::from_utf8_lossy(&output.stderr).contains("wrote 12 rows"));
}

#[test]
fn mistakes_are_reported_with_what_to_do() {
    let (dir, db) = fixture();
    for (db, args, message) in [
        (
            db.clone(),
            vec!["seats", "monthly", "--account", "globex"],
            "no account has the slug \"globex\"",
        ),
        (db.clone(), vec!["seats", "monthly", "--account", "acme", "--format", "pdf"], "pdf"),
        (
            dir.path().join("missing.sqlite"),
            vec!["seats", "monthly", "--account", "acme"],
            "no database at",
        ),
    ] {
        let output = export(&db, &args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}
