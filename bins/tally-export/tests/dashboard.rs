//! `tally-export dashboard`: a tab written whole in three formats, one widget,
//! and the mistakes. Figures are worked out by hand from the fixture in
//! `tests.rs` (Europe/Berlin), whose dashboard the exporter brings up to date.

use calamine::Reader;

use crate::{export, fixture, stdout};

#[test]
fn a_tab_as_json_xlsx_and_csv_sections_and_one_widget_as_a_table() {
    let (dir, db) = fixture();
    let tab = ["dashboard", "--account", "acme", "--tab", "users-activity", "--at", "2026-04-20"];

    let json = stdout(&export(&db, &[&tab[..], &["--format", "json"]].concat()));
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(document["account"], "acme");
    // 2026-04-20 is the start of that day in Berlin: 2026-04-19T22:00:00Z.
    assert_eq!(document["at"], "2026-04-19T22:00:00Z");
    let latest = &document["widgets"][5];
    assert_eq!(latest["widget"], "latest-logins");
    // The 7 days are April 14 to 20; the last login (Bo's, April 1) is older.
    assert_eq!(latest["first_day"], "2026-04-14");
    assert_eq!(latest["table"]["rows"], serde_json::json!([]));
    // Ana's logins on March 2, 9 and 16 (Mondays) make her a seat in March.
    let seats: Vec<i64> = document["widgets"][0]["table"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["seats"].as_i64().unwrap())
        .collect();
    assert_eq!(seats, [0, 0, 1, 1]);

    let file = dir.path().join("users-activity.xlsx");
    let output = export(
        &db,
        &[&tab[..], &["--format", "xlsx", "--output", file.to_str().unwrap()]].concat(),
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    assert_eq!(workbook.sheet_names().len(), 11, "About and ten widgets");
    // The least engaged users, over March 22 to April 20: Ana (no login in
    // it) and Bo (one login on April 1) are not members (no user_added for
    // Bo): Ana only, with 0.
    let users = workbook.worksheet_range("Least engaged users").unwrap();
    assert_eq!(users.get((1, 0)).unwrap().to_string(), "u-1");
    assert_eq!(users.get((1, 7)).unwrap().to_string(), "0");

    let csv = stdout(&export(&db, &tab));
    assert!(csv.starts_with("# about\r\n"), "{csv}");
    assert_eq!(csv.matches("\r\n# ").count(), 10, "{csv}");

    let widget = stdout(&export(
        &db,
        &[&tab[..], &["--widget", "monthly-active-seats", "--from", "2026-03-01"]].concat(),
    ));
    assert_eq!(widget, "month,seats,change,change_percent\r\n2026-03,1,1,\r\n2026-04,1,0,0.00\r\n");
}

#[test]
fn an_unknown_widget_or_tab_is_refused_naming_the_choices() {
    let (_dir, db) = fixture();
    let widget = export(
        &db,
        &["dashboard", "--account", "acme", "--tab", "entities", "--widget", "monthly-seats"],
    );
    assert!(!widget.status.success());
    let stderr = String::from_utf8_lossy(&widget.stderr);
    assert!(stderr.contains("monthly-entities, entities-total"), "{stderr}");
    let tab = export(&db, &["dashboard", "--account", "acme", "--tab", "usage"]);
    assert!(!tab.status.success());
    let stderr = String::from_utf8_lossy(&tab.stderr);
    assert!(stderr.contains("users-activity, entities, actions-automations"), "{stderr}");
    let backwards = export(
        &db,
        &[
            "dashboard",
            "--account",
            "acme",
            "--tab",
            "entities",
            "--from",
            "2026-05-01",
            "--to",
            "2026-04-01",
        ],
    );
    assert!(!backwards.status.success());
    let stderr = String::from_utf8_lossy(&backwards.stderr);
    assert!(stderr.contains("from (2026-05-01) is after to (2026-04-01)"), "{stderr}");
}
