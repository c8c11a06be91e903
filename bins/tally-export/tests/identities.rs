//! `tally-export identities`: the real binary on a small file of observations,
//! compared with tables worked out by hand (docs/identity.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::BINARY;

/// Ana is seen in Jira (rule 1: username ana, local part ana.lopez), GitHub
/// (rule 1: local part ana, her Jira username) and Slack (rule 3: her Jira
/// display name). `admin` is generic: one person in Jira, another in GitHub.
/// Bo: GitHub by email (rule 2), Jira and GitHub again (rule 1 on "bo"), with
/// usernames bo and bobby for one email: a duplicate. The Slack line's values
/// are placeholders. The blank line is skipped: observation 3 is on line 5.
const OBSERVATIONS: &str = r#"{"system":"Jira","project":"OPS","email":"Ana.Lopez+jira@acme.test","username":"ana","display_name":"Ana López","interaction":"COMMENT AUTHOR","at":"2026-03-02T09:00:00Z"}
{"system":"GitHub","project":"web","email":"ana@home.test","username":"ana-l","interaction":"MENTION","at":"2026-03-03T10:00:00+01:00"}
{"system":"Slack","display_name":"ANA LÓPEZ","at":"2026-03-04T09:00:00Z"}

{"system":"Jira","project":"OPS","username":"admin","at":"2026-03-05T09:00:00Z","service_account":true}
{"system":"GitHub","project":"web","username":"Admin","at":"2026-03-05T09:00:00Z","service_account":true}
{"system":"GitHub","project":"web","email":"bo@acme.test","at":"2026-03-06T09:00:00Z"}
{"system":"Jira","project":"OPS","email":"BO@acme.test","username":"bo","at":"2026-03-06T09:00:00Z"}
{"system":"Slack","email":"n/a","display_name":"-","at":"2026-03-07T09:00:00Z"}
{"system":"GitHub","project":"web","email":"bo@acme.test","username":"bobby","at":"2026-03-08T09:00:00Z"}
"#;

const HEADER: &str = "observation,system,project,email,username,display_name,interaction,at,\
                      service_account,identified_by,person,rule,key,within_system\r\n";

/// Ana's id is her smallest email ("ana.lopez@…" < "ana@…"); of the two admin
/// people GitHub's sorts first and keeps the plain id. 0 is in the joins on
/// "ana" (rule 1, with 1) and "ana lópez" (rule 3, with 2): rule 1 explains it.
/// 6 is in "bo" (rule 1, with 8) and bo@acme.test (rule 2, with 5 and 8). 1's
/// instant is 10:00 at +01:00, 09:00 UTC. The display name "-" is written
/// "'-" in CSV, as text that starts like a formula is.
const ASSIGNMENTS: &[&str] = &[
    "0,Jira,OPS,Ana.Lopez+jira@acme.test,ana,Ana López,COMMENT AUTHOR,2026-03-02T09:00:00+00:00,no,username_or_email,ana.lopez@acme.test,username_or_email,ana,",
    "1,GitHub,web,ana@home.test,ana-l,,MENTION,2026-03-03T09:00:00+00:00,no,username_or_email,ana.lopez@acme.test,username_or_email,ana,",
    "2,Slack,,,,ANA LÓPEZ,,2026-03-04T09:00:00+00:00,no,display_name,ana.lopez@acme.test,display_name,ana lópez,",
    "3,Jira,OPS,,admin,,,2026-03-05T09:00:00+00:00,yes,username,admin#2,,,",
    "4,GitHub,web,,Admin,,,2026-03-05T09:00:00+00:00,yes,username,admin,,,",
    "5,GitHub,web,bo@acme.test,,,,2026-03-06T09:00:00+00:00,no,email,bo@acme.test,email,bo@acme.test,",
    "6,Jira,OPS,BO@acme.test,bo,,,2026-03-06T09:00:00+00:00,no,username_or_email,bo@acme.test,username_or_email,bo,",
    "7,Slack,,n/a,,'-,,2026-03-07T09:00:00+00:00,no,,,,,",
    "8,GitHub,web,bo@acme.test,bobby,,,2026-03-08T09:00:00+00:00,no,username_or_email,bo@acme.test,username_or_email,bo,",
];

fn assignments_csv(rows: &[&str]) -> String {
    let mut csv = HEADER.to_owned();
    for row in rows {
        csv.push_str(row);
        csv.push_str("\r\n");
    }
    csv
}

/// A directory holding `observations.ndjson` with [`OBSERVATIONS`].
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("observations.ndjson");
    std::fs::write(&file, OBSERVATIONS).unwrap();
    (dir, file)
}

/// Runs `tally-export identities --observations file args…` with a database
/// path that does not exist, which the command must not need.
fn identities(file: &Path, args: &[&str]) -> Output {
    let missing_db = file.with_file_name("no-such.sqlite");
    let output = Command::new(BINARY)
        .arg("--db")
        .arg(&missing_db)
        .arg("identities")
        .arg("--observations")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    assert!(!missing_db.exists());
    output
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn each_observation_with_its_person_rule_and_key() {
    let (_dir, file) = fixture();
    let output = identities(&file, &[]);
    assert_eq!(stdout(&output), assignments_csv(ASSIGNMENTS));
    // People: Ana, admin (Jira), admin (GitHub), Bo; 7 has no value left.
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "observations: 9, people: 4, observations without an identifier: 1, \
         generic identities held by several people: 1\n"
    );
}

#[test]
fn unique_users_per_system_and_in_all() {
    let (_dir, file) = fixture();
    // GitHub: Ana (1, rule 1), admin (4, rule 4, service account), Bo (5 by
    // rule 2, 8 by rule 1: counted under rule 1; a duplicate). Jira: Ana (0,
    // rule 1), admin (3, rule 4, service account), Bo (6, rule 1, a duplicate).
    // Slack: Ana (2, rule 3); 7 unidentified. All: Ana and Bo under rule 1, the
    // two admins under rule 4.
    assert_eq!(
        stdout(&identities(&file, &["--table", "systems"])),
        "system,unique_users,by_username_or_email,by_email,by_display_name,by_username,\
         service_accounts,duplicates,unidentified_observations\r\n\
         GitHub,3,2,0,0,1,1,1,0\r\n\
         Jira,3,2,0,0,1,1,1,0\r\n\
         Slack,1,0,0,1,0,0,0,1\r\n\
         ,4,2,0,0,2,2,1,1\r\n"
    );
    assert_eq!(
        stdout(&identities(&file, &["--table", "generic-identities"])),
        "identity,observations,people\r\nadmin,3; 4,2\r\n"
    );
}

#[test]
fn a_json_array_gives_the_same_rows() {
    let (dir, _) = fixture();
    let lines: Vec<&str> = OBSERVATIONS.lines().filter(|line| !line.is_empty()).collect();
    let file = dir.path().join("observations.json");
    std::fs::write(&file, format!("[\n{}\n]\n", lines.join(",\n"))).unwrap();
    assert_eq!(stdout(&identities(&file, &[])), assignments_csv(ASSIGNMENTS));
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&identities(&file, &["--format", "json"]))).unwrap();
    assert_eq!(json["title"], "Identity assignments");
    let row = &json["rows"][3];
    assert_eq!(row["observation"], 3);
    assert_eq!(row["person"], "admin#2");
    assert_eq!(row["rule"], serde_json::Value::Null);
    // JSON keeps text as it is: no formula quote.
    assert_eq!(json["rows"][7]["display_name"], "-");
}

#[test]
fn the_generic_identities_can_be_changed() {
    let (_dir, file) = fixture();
    // Without the defaults, admin is a username like any other: rule 4 joins
    // 3 and 4 (each looks for it, both hold it).
    let output = identities(&file, &["--no-default-generic-identities"]);
    let mut rows = ASSIGNMENTS.to_vec();
    rows[3] = "3,Jira,OPS,,admin,,,2026-03-05T09:00:00+00:00,yes,username,admin,username,admin,";
    rows[4] = "4,GitHub,web,,Admin,,,2026-03-05T09:00:00+00:00,yes,username,admin,username,admin,";
    assert_eq!(stdout(&output), assignments_csv(&rows));
    // "Ana López" made generic: Slack's observation, which has nothing else,
    // is left alone; Jira's keeps its email and username.
    let args = ["--generic-identity", "ANA LÓPEZ", "--table", "generic-identities"];
    assert_eq!(
        stdout(&identities(&file, &args)),
        "identity,observations,people\r\nadmin,3; 4,2\r\nana lópez,0; 2,2\r\n"
    );
    let output = stdout(&identities(&file, &["--generic-identity", "ANA LÓPEZ"]));
    assert_eq!(
        output.lines().nth(3),
        Some("2,Slack,,,,ANA LÓPEZ,,2026-03-04T09:00:00+00:00,no,display_name,ana lópez,,,")
    );
}

#[test]
fn an_xlsx_file_is_written_where_asked() {
    let (dir, file) = fixture();
    let xlsx = dir.path().join("identities.xlsx");
    let output = identities(&file, &["--format", "xlsx", "--output", xlsx.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(&std::fs::read(&xlsx).unwrap()[..2], b"PK");
    assert!(String::from_utf8_lossy(&output.stderr).contains("wrote 9 rows"));
}

#[test]
fn a_bad_observation_is_reported_by_line_and_nothing_is_written() {
    let (dir, _) = fixture();
    // Lines count from 1 in the file, blank ones included. serde_json's column
    // is where it noticed: the end of the key `"emial"` (columns 18 to 24), or
    // the object's closing brace (column 44) for a missing field.
    for (name, text, message) in [
        (
            "misspelt.ndjson",
            "{\"system\":\"Jira\",\"username\":\"a\",\"at\":\"2026-03-02T09:00:00Z\"}\n\n\
             {\"system\":\"Jira\",\"emial\":\"a@x.test\",\"at\":\"2026-03-02T09:00:00Z\"}\n",
            "misspelt.ndjson: line 3, column 24: unknown field `emial`",
        ),
        (
            "no-system.json",
            "[\n{\"system\":\"Jira\",\"username\":\"a\",\"at\":\"2026-03-02T09:00:00Z\"},\n\
             {\"username\":\"b\",\"at\":\"2026-03-02T09:00:00Z\"}\n]",
            "no-system.json: line 3, column 44: missing field `system`",
        ),
        ("missing.ndjson", "", "reading "),
    ] {
        let file = dir.path().join(name);
        if name != "missing.ndjson" {
            std::fs::write(&file, text).unwrap();
        }
        let output = identities(&file, &[]);
        assert!(!output.status.success(), "{name}");
        assert!(output.stdout.is_empty(), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{name}: {stderr}");
    }
    let (_dir, file) = fixture();
    let output = identities(&file, &["--placeholder", " "]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("placeholder \" \" is empty once whitespace is removed")
    );
}
