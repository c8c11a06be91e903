//! A fixture set written to a directory, and its `accounts.json`.

use tally_calendar::AccountCalendar;
use tally_fixtures::{AccountFixture, WrittenFile, write_fixture_set};

#[test]
fn the_index_lists_each_account_with_its_set_up_in_alphabetical_fields() {
    let account = AccountFixture {
        slug: "acme".into(),
        name: "Acme Corp".into(),
        calendar: AccountCalendar {
            time_zone: chrono_tz::Europe::Berlin,
            week_start: chrono::Weekday::Sun,
        },
        terms: vec!["2026-01-15..2027-01-15".parse().unwrap()],
        organizations: vec!["emea".into()],
        teams: vec!["Platform".into(), "Data".into()],
        events: Vec::new(),
    };
    let directory = tempfile::tempdir().unwrap();
    let out = directory.path().join("set");
    let written = write_fixture_set(&[account], &out).unwrap();
    assert_eq!(written, [WrittenFile { path: out.join("acme.ndjson"), events: 0 }]);
    assert_eq!(std::fs::read(out.join("acme.ndjson")).unwrap(), b"");
    let expected = r#"[
  {
    "events": 0,
    "name": "Acme Corp",
    "organizations": [
      "emea"
    ],
    "slug": "acme",
    "teams": [
      "Platform",
      "Data"
    ],
    "terms": [
      "2026-01-15..2027-01-15"
    ],
    "time_zone": "Europe/Berlin",
    "week_start": "Sun"
  }
]
"#;
    assert_eq!(std::fs::read_to_string(out.join("accounts.json")).unwrap(), expected);
}
