//! `tally-export usage-reports`: the zip, read back with an independent reader
//! (calamine), against figures worked out by hand.

use std::io::{Cursor, Read};

use crate::{BINARY, acme_holding};
use calamine::{Data, DataType, Reader, Xlsx};

/// Account acme in Europe/Berlin. Reports end at 2026-12-01T00:00Z, 01:00 in
/// Berlin: the last 6 months start 2026-06-01 01:00 Berlin (summer time), which
/// is 2026-05-31T23:00Z; the last year 2025-12-01 01:00 Berlin, 00:00Z.
const EVENTS: &str = r#"{"id":"o1","kind":"sync_observation","at":"2026-03-01T10:00:00Z","system":"Jira","email":"ana@acme.test","username":"ana","display_name":"Ana Acme","interaction":"comment_author"}
{"id":"o2","kind":"sync_observation","at":"2026-07-01T10:00:00Z","system":"GitHub","email":"ana@acme.test","username":"ana-gh","interaction":"mention"}
{"id":"o3","kind":"sync_observation","at":"2026-08-01T10:00:00Z","system":"Jira","display_name":"Bo Builder","interaction":"mention"}
{"id":"o4","kind":"sync_observation","at":"2026-09-01T10:00:00Z","system":"GitHub","username":"cy","interaction":"updater","service_account":true}
{"id":"o5","kind":"sync_observation","at":"2026-05-31T22:59:59Z","system":"GitHub","username":"early","interaction":"updater"}
{"id":"s1","kind":"entity_sync","at":"2026-03-10T10:00:00Z","source_system":"Jira","target_system":"GitHub","source_project":"PAY","target_project":"acme/pay","entity_type":"Bug","entities":10}
{"id":"s2","kind":"entity_sync","at":"2026-07-10T10:00:00Z","source_system":"Jira","target_system":"GitHub","source_project":"PAY","target_project":"acme/pay","entity_type":"Bug","entities":5}
{"id":"s3","kind":"entity_sync","at":"2026-08-10T10:00:00Z","source_system":"Jira","target_system":"GitHub","source_project":"PAY","target_project":"acme/pay","entity_type":"Story","entities":2,"status":"inactive"}
{"id":"s4","kind":"entity_sync","at":"2026-09-10T10:00:00Z","source_system":"GitHub","target_system":"Jira","entity_type":"Bug"}"#;

fn workbooks() -> Vec<(String, Xlsx<Cursor<Vec<u8>>>)> {
    workbooks_with(&[])
}

/// The zip's workbooks, the command given `extra` arguments.
fn workbooks_with(extra: &[&str]) -> Vec<(String, Xlsx<Cursor<Vec<u8>>>)> {
    workbooks_of(EVENTS, extra)
}

/// The zip's workbooks for an account holding `events` (NDJSON; none if empty).
fn workbooks_of(events: &str, extra: &[&str]) -> Vec<(String, Xlsx<Cursor<Vec<u8>>>)> {
    let (dir, db) = acme_holding(events);
    let out = dir.path().join("reports.zip");
    let output = std::process::Command::new(BINARY)
        .arg("--db")
        .arg(&db)
        .args(["usage-reports", "--account", "acme", "--at", "2026-12-01T00:00:00Z", "--out"])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    (0..zip.len())
        .map(|index| {
            let mut file = zip.by_index(index).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (file.name().unwrap().to_string(), Xlsx::new(Cursor::new(bytes)).unwrap())
        })
        .collect()
}

fn sheet(workbook: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<Data>> {
    let range = workbook.worksheet_range(name).unwrap();
    range.rows().map(|row| row.to_vec()).collect()
}

fn text(cell: &Data) -> String {
    match cell {
        Data::String(text) => text.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn number(cell: &Data) -> i64 {
    match cell {
        Data::Int(value) => *value,
        Data::Float(value) => *value as i64,
        other => panic!("not a number: {other:?}"),
    }
}

/// The seed's sheets, in its order, each with the seed's columns.
const SHEETS: [(&str, &[&str]); 6] = [
    ("Summary", &["Metric", "Count"]),
    ("Unique User Count", &["System / Source", "Count", "Identifiers"]),
    ("Entity Type Count", &["System Pairs", "End System", "Entity Types", "Status", "Last Synced"]),
    (
        "Integrated Project Count",
        &[
            "End System 1",
            "End System 2",
            "End System 1 Project",
            "End System 2 Project",
            "Status",
            "Last Updated",
            "Last Synced",
        ],
    ),
    (
        "Synced Data Count",
        &["End System 1", "End System 2", "Counts Based on System Pair", "Last Synced"],
    ),
    (
        "Detailed User Report",
        &[
            "Email",
            "Username",
            "Display Name",
            "Interaction Types",
            "Observed In",
            "Service Account",
            "Last Seen",
            "Duplicates",
        ],
    ),
];

#[test]
fn the_zip_holds_both_workbooks_with_the_seeds_sheets_and_columns() {
    let mut workbooks = workbooks();
    let names: Vec<&str> = workbooks.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["Usage Report (Last 6 Months).xlsx", "Usage Report (Last 1 Year).xlsx"]);
    for (_, workbook) in &mut workbooks {
        let sheet_names: Vec<String> = workbook.sheet_names().to_vec();
        assert_eq!(sheet_names, SHEETS.map(|(name, _)| name.to_owned()));
        for (name, columns) in SHEETS {
            let header: Vec<String> = sheet(workbook, name)[0].iter().map(text).collect();
            // Every seed column is there, in order; the breakdown of
            // "Identifiers" takes one column per rule, and date-time headers
            // name the zone.
            let mut next = header.iter();
            for column in columns {
                assert!(
                    next.any(|found| found.starts_with(column)),
                    "{name}: {column} in {header:?}"
                );
            }
        }
    }
}

#[test]
fn the_summary_adds_up_to_the_detail_sheets_and_to_the_hand_count() {
    let mut workbooks = workbooks();
    // Last 6 months: o2 (Ana, rule 1), o3 (Bo, display name), o4 (cy, username);
    // o5 is a second before the period. Syncs s2, s3, s4: entity types Bug and
    // Story; projects PAY and acme/pay (s4 names none); 5 + 2 + 1 entities.
    // Last year: o1 joins Ana through the local part "ana"; o5 (early, a
    // username) is a fourth person; s1 adds 10 entities.
    let expected = [[3, 1, 0, 1, 1, 2, 2, 8], [4, 1, 0, 1, 2, 2, 2, 18]];
    for ((_, workbook), expected) in workbooks.iter_mut().zip(expected) {
        let summary = sheet(workbook, "Summary");
        let values: Vec<i64> = summary[1..].iter().map(|row| number(&row[1])).collect();
        assert_eq!(values, expected);
        // Total unique users: one row each in the detailed report; the
        // breakdown adds up to it.
        let detailed = sheet(workbook, "Detailed User Report");
        assert_eq!(detailed.len() as i64 - 1, values[0]);
        assert_eq!(values[1..5].iter().sum::<i64>(), values[0]);
        // Entities synced: the sum of the system pairs' counts.
        let synced = sheet(workbook, "Synced Data Count");
        assert_eq!(synced[1..].iter().map(|row| number(&row[2])).sum::<i64>(), values[7]);
        // Entity types: the distinct types of the entity type sheet.
        let types: std::collections::BTreeSet<String> =
            sheet(workbook, "Entity Type Count")[1..].iter().map(|row| text(&row[2])).collect();
        assert_eq!(types.len() as i64, values[5]);
    }
    // Per system in the last 6 months: GitHub has Ana (rule 1) and cy (username,
    // a service account); Jira has Bo (display name).
    let systems = sheet(&mut workbooks[0].1, "Unique User Count");
    let rows: Vec<(String, Vec<i64>)> = systems[1..]
        .iter()
        .map(|row| (text(&row[0]), row[1..].iter().map(number).collect()))
        .collect();
    assert_eq!(
        rows,
        [
            ("GitHub".to_owned(), vec![2, 1, 0, 0, 1, 1]),
            ("Jira".to_owned(), vec![1, 0, 0, 1, 0, 0])
        ]
    );
    // The project pair's last state is s3's: inactive, updated 2026-08-10, last
    // synced while active on 2026-07-10 (s2).
    let projects = sheet(&mut workbooks[0].1, "Integrated Project Count");
    let pay = projects.iter().find(|row| text(&row[2]) == "PAY").unwrap();
    assert_eq!(text(&pay[4]), "Inactive");
    // 12:00 in Berlin (summer time) on both days.
    assert_eq!(pay[5].as_datetime().unwrap().to_string(), "2026-08-10 12:00:00");
    assert_eq!(pay[6].as_datetime().unwrap().to_string(), "2026-07-10 12:00:00");
    // Over the year, Ana's email was seen with usernames ana (Jira) and ana-gh
    // (GitHub): a duplicate.
    let detailed = sheet(&mut workbooks[1].1, "Detailed User Report");
    let ana = detailed.iter().find(|row| text(&row[0]) == "ana@acme.test").unwrap();
    assert_eq!(text(&ana[1]), "ana; ana-gh");
    let duplicates = text(&ana[7]);
    assert!(
        duplicates.contains("ana (Jira)") && duplicates.contains("ana-gh (GitHub)"),
        "{duplicates}"
    );
    let cy = detailed.iter().find(|row| text(&row[1]) == "cy").unwrap();
    assert_eq!(text(&cy[5]), "Yes");
}

#[test]
fn generic_identities_from_the_command_line_join_no_one() {
    // With `ana` generic, o1's username and its email's local part are generic,
    // leaving its display name (rule 3); o2 keeps its username ana-gh (rule 4).
    // Nothing joins them: over the year Ana is two people, 5 in all, of whom
    // 2 by display name (o1, Bo) and 3 by username (o2, cy, early).
    let mut workbooks = workbooks_with(&["--generic-identity", "Ana"]);
    let summary = sheet(&mut workbooks[1].1, "Summary");
    let values: Vec<i64> = summary[1..6].iter().map(|row| number(&row[1])).collect();
    assert_eq!(values, [5, 0, 0, 2, 3]);
}

#[test]
fn an_account_with_nothing_synced_gets_both_workbooks_with_headers_and_zeros() {
    let mut workbooks = workbooks_of("", &[]);
    assert_eq!(workbooks.len(), 2);
    for (name, workbook) in &mut workbooks {
        let summary = sheet(workbook, "Summary");
        let values: Vec<i64> = summary[1..].iter().map(|row| number(&row[1])).collect();
        assert_eq!(values, [0; 8], "{name}");
        for detail in [
            "Unique User Count",
            "Entity Type Count",
            "Integrated Project Count",
            "Synced Data Count",
            "Detailed User Report",
        ] {
            assert_eq!(sheet(workbook, detail).len(), 1, "{name}: {detail} holds its header only");
        }
    }
}
