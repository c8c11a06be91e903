//! Schema migrations: every version upgrades, a newer file is refused.

use std::path::{Path, PathBuf};

use tally_store::{SCHEMA_VERSION, Store, StoreError, StoreOptions};

use crate::common::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/schema").join(name)
}

/// A copy of `fixtures/schema/v{version}.sqlite` in a new directory, checked to be
/// of that version still.
fn copy_of_version(version: i64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    std::fs::copy(fixture(&format!("v{version}.sqlite")), &path).unwrap();
    assert_eq!(stored_rows(&path, "PRAGMA user_version"), version);
    (dir, path)
}

/// Opens the file at `path`, checking that opening brought it to the latest schema.
fn upgraded(path: &Path) -> Store {
    let store = open(path);
    assert_eq!(stored_rows(path, "PRAGMA user_version"), SCHEMA_VERSION as i64);
    store
}

#[test]
fn a_new_file_gets_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    drop(open(&path));
    assert_eq!(stored_rows(&path, "PRAGMA user_version"), SCHEMA_VERSION as i64);
    assert_eq!(SCHEMA_VERSION, 9);
}

/// `fixtures/schema/v1.sqlite` was written by the version-1 schema: one account
/// (acme, Europe/Berlin, term 2026-01-15..2027-01-15) and three events.
#[test]
fn a_version_1_file_upgrades_and_keeps_its_data() {
    let (_dir, path) = copy_of_version(1);

    let mut store = upgraded(&path);
    let account = store.account("acme").unwrap();
    assert_eq!(account.calendar.time_zone, chrono_tz::Europe::Berlin);
    let counts: Vec<(String, u64)> = store
        .event_counts(account.id)
        .unwrap()
        .into_iter()
        .map(|count| (count.kind.wire_name().to_owned(), count.events))
        .collect();
    assert_eq!(counts, [("login".to_owned(), 2), ("page_visit".to_owned(), 1)]);

    // Idempotency survives the upgrade: the v1 events are still recognised.
    let resent = events(&login("v1-e1", "u-1", "2026-02-02T08:00:00Z"));
    assert_eq!(store.append(account.id, &resent).unwrap().duplicates, 1);
    // And what version 2 added works on the upgraded file.
    store
        .set_organization(
            "acme",
            &tally_store::Organization { organization: "eu".into(), name: "Europe".into() },
        )
        .unwrap();
    assert_eq!(store.organizations("acme").unwrap().len(), 1);
    assert_eq!(
        stored_rows(
            &path,
            "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_account_kind_at'"
        ),
        1
    );
}

/// `fixtures/schema/v2.sqlite` was written by the version-2 schema with four keys
/// merged into `event_ids`: one account (acme, America/Sao_Paulo, term
/// 2026-03-10..2027-03-10), organization `br` (Brasil) and six logins `v2-e1` to
/// `v2-e6`, two by each of `u-0`, `u-1` and `u-2`, of which `v2-e1` to `v2-e4` had
/// been merged and `v2-e5`, `v2-e6` were still only in memory.
#[test]
fn a_version_2_file_upgrades_and_keeps_its_data_and_keys() {
    let (_dir, path) = copy_of_version(2);
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM event_ids"), 4);

    let mut store = upgraded(&path);
    let account = store.account("acme").unwrap();
    assert_eq!(account.calendar.time_zone, chrono_tz::America::Sao_Paulo);
    assert_eq!(store.organizations("acme").unwrap()[0].name, "Brasil");
    assert_eq!(
        store.event_counts(account.id).unwrap()[0],
        tally_store::KindCount { kind: tally_events::EventKind::Login, events: 6 }
    );
    // The merged keys became run 1: one block of four 16-byte keys.
    assert_eq!(stored_rows(&path, "SELECT keys FROM event_id_runs WHERE run = 1"), 4);
    assert_eq!(stored_rows(&path, "SELECT length(keys) FROM event_id_blocks WHERE run = 1"), 64);
    assert_eq!(
        stored_rows(&path, "SELECT count(*) FROM sqlite_master WHERE name = 'event_ids'"),
        0
    );

    // Merged and unmerged ids are both still recognised, as duplicates and conflicts.
    let line = |id: &str, user: &str, day: u32| {
        format!(r#"{{"id":"{id}","kind":"login","at":"2026-04-0{day}T12:00:00Z","user":"{user}"}}"#)
    };
    let resent = [line("v2-e1", "u-0", 1), line("v2-e6", "u-2", 3)].join("\n");
    assert_eq!(store.append(account.id, &events(&resent)).unwrap().duplicates, 2);
    let reused = [line("v2-e3", "u-9", 2), line("v2-e5", "u-9", 3), line("v2-e7", "u-9", 4)];
    let outcome = store.append(account.id, &events(&reused.join("\n"))).unwrap();
    assert_eq!((outcome.accepted, outcome.conflicts.len()), (1, 2));
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM events"), 7);
}

/// `fixtures/schema/v3.sqlite` was written by the version-3 schema: account acme
/// (Asia/Tokyo, weeks from Sunday, term 2026-02-01..2027-02-01), organization `jp`
/// and three logins of `u-1` to `jp` at 01:00Z (10:00 in Tokyo) on Mondays
/// 2026-03-02, 03-09 and 03-16: three weeks (from Sundays 03-01, 03-08, 03-15).
#[test]
fn a_version_3_file_upgrades_and_its_seats_are_counted() {
    let (_dir, path) = copy_of_version(3);

    let mut store = upgraded(&path);
    let update = store.update_seats("acme").unwrap();
    assert_eq!((update.events, update.users, update.rebuilt), (3, 1, true));
    let seats: Vec<(String, u32)> = store
        .monthly_seats(&usage("acme"), None)
        .unwrap()
        .iter()
        .map(|figure| (figure.month.to_string(), figure.seats))
        .collect();
    // February 2026 to January 2027: a seat from March on.
    let mut expected = vec![("2026-02".to_owned(), 0)];
    expected.extend((3..=12).map(|month| (format!("2026-{month:02}"), 1)));
    expected.push(("2027-01".to_owned(), 1));
    assert_eq!(seats, expected);
    let explanation =
        store.explain_seat(&usage("acme"), "u-1", "2026-04-01T00:00:00Z".parse().unwrap()).unwrap();
    assert_eq!(
        explanation.activation.map(|activation| activation.at.to_rfc3339()),
        Some("2026-03-16T01:00:00+00:00".to_owned())
    );
}

/// `fixtures/schema/v4.sqlite` was written by the version-4 schema: account acme
/// (America/New_York, weeks from Monday, term 2026-01-01..2027-01-01) with its own
/// seat rule of 2 logins in 2 weeks, `u-1` added as Ana <ana@acme.test>, and
/// logins of `u-1` on 2026-03-02 and 03-10 (two weeks) and of `u-2` on 03-10 (one),
/// all to organization `east`, counted by the daemon's seat refresher.
#[test]
fn a_version_4_file_upgrades_with_its_seat_state_and_takes_tokens() {
    let (_dir, path) = copy_of_version(4);

    let mut store = upgraded(&path);
    // The state counted under version 4 is read as it is: nothing to recount.
    let update = store.update_seats("acme").unwrap();
    assert_eq!((update.events, update.rebuilt), (0, false));
    assert_eq!(store.seat_rule("acme").unwrap().weeks_needed, 2);
    let seats: Vec<u32> = store
        .monthly_seats(&usage("acme"), Some("east"))
        .unwrap()
        .iter()
        .map(|figure| figure.seats)
        .collect();
    // The term's months: January and February 2026 without a seat, then Ana from
    // March to December, 10 months.
    assert_eq!(seats, [vec![0, 0], vec![1; 10]].concat());
    let log = store.activated_seats(&usage("acme"), "2026-04-01T00:00:00Z".parse().unwrap());
    let log = log.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].seat.user.as_str(), log[0].email.as_deref()),
        ("u-1", Some("ana@acme.test"))
    );

    // Version 5's tables are there and work.
    let (_, token) = store
        .create_token(&tally_store::NewToken {
            grant: tally_store::TokenGrant::Administrator {
                account: "acme".into(),
                server_management_read: false,
            },
            label: "after the upgrade".into(),
            expires_at: None,
        })
        .unwrap();
    let principal = store.authenticate(&token, chrono::Utc::now()).unwrap();
    assert_eq!(
        principal.and_then(|principal| principal.account().map(str::to_owned)),
        Some("acme".into())
    );
}

/// `fixtures/schema/v5.sqlite` was written by the version-5 schema: account acme
/// (Europe/Lisbon, weeks from Monday, term 2026-01-01..2027-01-01); `u-1` added
/// to organization `west` as Una <una@acme.test> on 2026-02-01, logging in to
/// `west` at 10:00Z on Mondays 03-02, 03-09, 03-16 (a seat from then) and on
/// Wednesday 03-18; `u-2` logging in on 03-02 and Tuesday 03-10 (two weeks).
/// The daemon's seat refresher counted those seven events; then `u-2` logged in
/// on Wednesday 03-25 and `u-1` to `west` on Wednesday 04-01, not yet counted.
#[test]
fn a_version_5_file_upgrades_with_its_activations_kept_and_logins_in_columns() {
    let (_dir, path) = copy_of_version(5);

    let mut store = upgraded(&path);
    // The upgrade put the logins' users in their column and kept u-1's
    // activation, the only one, in a row.
    assert_eq!(stored_rows(&path, "SELECT count(login_user) FROM events"), 8);
    assert_eq!(
        stored_text(&path, "SELECT login_user FROM events WHERE payload ->> '$.id' = 'v5-e8'"),
        "u-2"
    );
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM seat_activations"), 1);
    // Nothing to recount: the two new logins are read from their columns.
    let update = store.update_seats("acme").unwrap();
    assert_eq!((update.events, update.users, update.rebuilt), (2, 2, false));
    let log = store.activated_seats(&usage("acme"), "2026-04-02T00:00:00Z".parse().unwrap());
    // User, activation, logins, weeks, organizations, email.
    type LogRow = (String, String, u32, u32, Vec<String>, Option<String>);
    let rows: Vec<LogRow> = log
        .unwrap()
        .into_iter()
        .map(|entry| {
            (
                entry.seat.user,
                entry.seat.activated_at.to_rfc3339(),
                entry.seat.logins,
                entry.seat.weeks,
                entry.organizations,
                entry.email,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            // Five logins in the weeks of 03-02, 03-09, 03-16 (two) and 03-30.
            (
                "u-1".to_owned(),
                "2026-03-16T10:00:00+00:00".to_owned(),
                5,
                4,
                vec!["west".to_owned()],
                Some("una@acme.test".to_owned())
            ),
            // Three logins in the weeks of 03-02, 03-09 and 03-23: a seat from 03-25.
            ("u-2".to_owned(), "2026-03-25T10:00:00+00:00".to_owned(), 3, 3, vec![], None),
        ]
    );
    let seats = |organization| -> Vec<u32> {
        store
            .monthly_seats(&usage("acme"), organization)
            .unwrap()
            .iter()
            .map(|figure| figure.seats)
            .collect()
    };
    // January and February without a seat, then both from March to December;
    // west has only u-1.
    assert_eq!(seats(None), [vec![0, 0], vec![2; 10]].concat());
    assert_eq!(seats(Some("west")), [vec![0, 0], vec![1; 10]].concat());
}

/// `fixtures/schema/v7.sqlite` was written by the version-7 schema: account acme
/// (Asia/Kathmandu, term 2026-01-01..2027-01-01) with a login and four
/// `activity` events: `u-1` in Dashboard / export at 08:00:00Z (120 s) and
/// 08:14:59.999999Z (60 s) on 2026-03-02, `u-2` in Dashboard / view at 08:15Z
/// (30 s), and in Reports / run at 23:59Z on 03-03 (300 s).
#[test]
fn a_version_7_file_upgrades_and_its_activities_are_summed_per_quarter() {
    let (_dir, path) = copy_of_version(7);

    let mut store = upgraded(&path);
    let view = tally_access::Principal::Staff {
        team: "support".into(),
        scope: tally_access::StaffScope::AllAccounts,
        admin: false,
    }
    .read_monitor()
    .unwrap();
    let read = |store: &Store| {
        let mut rows = Vec::new();
        let from = tally_store::Quarter::of("2026-03-01T00:00:00Z".parse().unwrap());
        let to = tally_store::Quarter::of("2026-03-04T00:00:00Z".parse().unwrap());
        store
            .monitor_activity(&view, from, to, |sum| {
                rows.push((
                    sum.quarter.start().to_rfc3339(),
                    sum.module,
                    sum.action,
                    sum.actions,
                    sum.time_spent_secs,
                ))
            })
            .unwrap();
        rows
    };
    // The quarters 08:00 (two events, 120 + 60 s), 08:15 and 23:45.
    let expected = vec![
        (
            "2026-03-02T08:00:00+00:00".to_owned(),
            "Dashboard".to_owned(),
            "export".to_owned(),
            2,
            180,
        ),
        ("2026-03-02T08:15:00+00:00".to_owned(), "Dashboard".to_owned(), "view".to_owned(), 1, 30),
        ("2026-03-03T23:45:00+00:00".to_owned(), "Reports".to_owned(), "run".to_owned(), 1, 300),
    ];
    // Read from the events before any update, then from the kept sums.
    assert_eq!(read(&store), expected);
    assert_eq!(store.update_monitor("acme", 1000).unwrap(), 4);
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM monitor_quarters"), 3);
    assert_eq!(read(&store), expected);
}

/// `fixtures/schema/v8.sqlite` was written by the version-8 schema: account acme
/// (Europe/Paris, term 2026-01-01..2027-01-01) with two events: a login `v8-e1`
/// of `u-1` at 2026-03-02T08:00Z and an action run `v8-e2` (deploy_service,
/// run `r-1`, organization `eu`) at 09:00Z.
#[test]
fn a_version_8_file_upgrades_keeps_its_events_and_takes_event_mappings() {
    let (_dir, path) = copy_of_version(8);

    let mut store = upgraded(&path);
    let account = store.account("acme").unwrap();
    assert_eq!(account.calendar.time_zone, chrono_tz::Europe::Paris);
    let counts: Vec<(&str, u64)> = store
        .event_counts(account.id)
        .unwrap()
        .into_iter()
        .map(|count| (count.kind.wire_name(), count.events))
        .collect();
    assert_eq!(counts, [("action_run", 1), ("login", 1)]);
    assert_eq!(store.event_mappings(account.id).unwrap(), []);

    let rule = tally_compat::MappingRule::new(
        "Signed In",
        tally_events::EventKind::Login,
        Default::default(),
        [("user".to_owned(), "userId".to_owned())].into_iter().collect(),
    )
    .unwrap();
    store.set_event_mapping(account.id, &rule).unwrap();
    assert_eq!(store.event_mappings(account.id).unwrap(), [rule]);
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM event_mappings"), 1);
}

#[test]
fn a_file_from_a_newer_tally_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tally.sqlite");
    drop(open(&path));
    rusqlite::Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();

    let error = Store::open(&path, &StoreOptions::default()).unwrap_err();
    assert!(matches!(error, StoreError::NewerSchema { found: 99, supported: 9, .. }));
    let message = error.to_string();
    assert!(message.contains("schema version 99"), "{message}");
    assert!(message.contains("up to 9"), "{message}");
    assert_eq!(stored_rows(&path, "PRAGMA user_version"), 99);
}
