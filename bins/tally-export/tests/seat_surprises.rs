//! Where the seat tables surprised a reader (issue 14): months after now, a date
//! given as `--at`, an empty log, a removed user's explanation, unrounded
//! percentages and two definitions of a week. Figures are worked out by hand.

use tally_seats::SeatRule;
use tally_store::{Store, StoreOptions};

use crate::{acme_holding, export, stdout};

/// Account acme (Europe/Berlin: CET, +1, until 2026-03-29; CEST, +2, until
/// 10-25; term 2026). u-1, u-2 and u-3 log in on Mondays 03-02, 03-09 and
/// 03-16 at 09:00Z: seats from 03-16T09:00Z. u-1 is removed on 04-10. u-5
/// logs in on Mondays 04-06, 04-13 and 04-20: a seat from 04-20T09:00Z.
fn events() -> String {
    let mut events = Vec::new();
    let mut login = |user: &str, at: &str| {
        let id = events.len();
        events.push(format!(
            r#"{{"id":"e{id}","kind":"login","at":"{at}","user":"{user}","organization":"acme-east"}}"#
        ));
    };
    for user in ["u-1", "u-2", "u-3"] {
        for day in ["02", "09", "16"] {
            login(user, &format!("2026-03-{day}T09:00:00Z"));
        }
    }
    for day in ["06", "13", "20"] {
        login("u-5", &format!("2026-04-{day}T09:00:00Z"));
    }
    events.push(
        r#"{"id":"r1","kind":"user_removed","at":"2026-04-10T09:00:00Z","user":"u-1"}"#.to_owned(),
    );
    events.join("\n")
}

const HEADER: &str = "month,seats,change,change_percent\r\n";

fn monthly(db: &std::path::Path, at: &str) -> String {
    stdout(&export(db, &["seats", "monthly", "--account", "acme", "--at", at]))
}

#[test]
fn monthly_seats_stop_at_the_month_holding_at() {
    let (_dir, db) = acme_holding(&events());
    // March: u-1, u-2, u-3 (3, up 3 from none: no percent). April: the same
    // and u-5 (u-1 was a seat until 04-10): 4, +1, 1 * 100 / 3 = 33.33%. May:
    // u-2, u-3, u-5: 3, -1, -1 * 100 / 4 = -25.00%.
    let to_april = "2026-01,0,0,\r\n2026-02,0,0,\r\n2026-03,3,3,\r\n2026-04,4,1,33.33\r\n";
    let to_may = format!("{to_april}2026-05,3,-1,-25.00\r\n");
    // 04-30T21:59:59Z is 23:59:59 CEST on April 30th; 22:00Z is May 1st.
    assert_eq!(monthly(&db, "2026-04-30T21:59:59Z"), format!("{HEADER}{to_april}"));
    assert_eq!(monthly(&db, "2026-04-30T22:00:00Z"), format!("{HEADER}{to_may}"));
    // A date is the start of that day in Berlin.
    assert_eq!(monthly(&db, "2026-05-01"), format!("{HEADER}{to_may}"));
    assert_eq!(monthly(&db, "2026-04-30"), format!("{HEADER}{to_april}"));
    // --to still applies below --at.
    let args = ["seats", "monthly", "--account", "acme", "--at", "2026-05-01", "--to", "2026-03"];
    assert_eq!(
        stdout(&export(&db, &args)),
        format!("{HEADER}2026-01,0,0,\r\n2026-02,0,0,\r\n2026-03,3,3,\r\n")
    );
}

#[test]
fn percentages_are_rounded_in_csv_and_exact_in_json() {
    let (_dir, db) = acme_holding(&events());
    let args = ["seats", "monthly", "--account", "acme", "--at", "2026-04-15", "--format", "json"];
    let table: serde_json::Value = serde_json::from_str(&stdout(&export(&db, &args))).unwrap();
    assert_eq!(table["columns"][3]["type"], "percentage");
    // April: 3 to 4 seats, +1 of 3.
    assert_eq!(table["rows"][3]["month"], "2026-04");
    assert_eq!(table["rows"][3]["change_percent"].as_f64(), Some(1.0 * 100.0 / 3.0));
    // CSV shows 33.33 (monthly_seats_stop_at_the_month_holding_at).
    assert!(monthly(&db, "2026-04-15").ends_with("2026-04,4,1,33.33\r\n"));
}

#[test]
fn a_date_is_accepted_as_at_and_a_bad_at_names_the_accepted_forms() {
    let (_dir, db) = acme_holding(&events());
    let log = |at: &str| export(&db, &["seats", "log", "--account", "acme", "--at", at]);
    // 2026-03-17 is 2026-03-16T23:00Z in Berlin: u-1, u-2 and u-3 are seats.
    let csv = stdout(&log("2026-03-17"));
    assert_eq!(csv.lines().count(), 4, "{csv}");
    for bad in ["31.12.2024", "2024-12-31T09:00"] {
        let output = log(bad);
        assert!(!output.status.success(), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "{bad:?} is neither an RFC 3339 instant such as 2024-12-31T09:00:00Z nor a date \
                 such as 2024-12-31 (the start of that day in the account's time zone)"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn an_empty_log_says_which_term_it_looked_at() {
    let (_dir, db) = acme_holding(&events());
    let header = "user,email,display_name,organizations,teams,activated_at,logins,weeks,status\r\n";
    let log = |at: &str| export(&db, &["seats", "log", "--account", "acme", "--at", at]);
    // 2024-12-31 in Berlin begins at 2024-12-30T23:00Z: in no term.
    let outside = log("2024-12-31");
    assert_eq!(stdout(&outside), header);
    assert_eq!(
        String::from_utf8_lossy(&outside.stderr),
        "2024-12-30T23:00:00Z is in none of the account's terms (2026-01-01..2027-01-01): \
         nobody is in the log\n"
    );
    // 2026-03-16 begins at 2026-03-15T23:00Z, before the first seat (09:00Z).
    let before = log("2026-03-16");
    assert_eq!(stdout(&before), header);
    assert_eq!(
        String::from_utf8_lossy(&before.stderr),
        "nobody became an active seat in term 2026-01-01..2027-01-01 by 2026-03-15T23:00:00Z\n"
    );
    // A log with someone in it says nothing more.
    assert_eq!(String::from_utf8_lossy(&log("2026-03-17").stderr), "");
}

#[test]
fn a_removed_users_explanation_names_the_activation_the_log_lists() {
    let (_dir, db) = acme_holding(&events());
    let args = ["seats", "explain", "--account", "acme", "--user", "u-1", "--at", "2026-05-01"];
    let output = export(&db, &args);
    stdout(&output);
    // May 1st begins at 2026-04-30T22:00Z in Berlin (CEST).
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "u-1 at 2026-04-30T22:00:00+00:00: not a seat: removed from the account; it had been an \
         active seat since 2026-03-16T09:00:00+00:00, the login that completed 3 logins in 3 \
         calendar weeks with at least 1 login(s) each\n"
    );
    let log = stdout(&export(&db, &["seats", "log", "--account", "acme", "--at", "2026-05-01"]));
    assert!(log.contains("u-1,,,acme-east,,2026-03-16T10:00:00+01:00,3,3,removed\r\n"), "{log}");
}

#[test]
fn the_log_and_the_explanation_count_the_rules_qualifying_weeks() {
    // u-1 logs in twice in the weeks of 03-02, 03-16, 03-23 and 03-30 and once
    // in the week of 03-09 (all at 09:00Z): 9 logins in 5 weeks, 4 of which
    // hold the 2 logins a week the rule below needs.
    let days = ["02", "03", "10", "16", "17", "23", "24", "30", "31"];
    let events: Vec<String> = days
        .iter()
        .map(|day| {
            format!(
                r#"{{"id":"l{day}","kind":"login","at":"2026-03-{day}T09:00:00Z","user":"u-1"}}"#
            )
        })
        .collect();
    let (_dir, db) = acme_holding(&events.join("\n"));
    let mut store = Store::open(&db, &StoreOptions::default()).unwrap();
    let rule = SeatRule { weeks_needed: 4, logins_needed: 6, logins_per_week: 2 };
    store.set_seat_rule("acme", rule).unwrap();
    drop(store);
    // The fourth qualifying week (03-30) is completed by 03-31T09:00Z (11:00 CEST).
    let log = stdout(&export(&db, &["seats", "log", "--account", "acme", "--at", "2026-04-30"]));
    assert!(log.ends_with("u-1,,,,,2026-03-31T11:00:00+02:00,9,4,active\r\n"), "{log}");
    let args = ["seats", "explain", "--account", "acme", "--user", "u-1", "--at", "2026-04-30"];
    let stderr = String::from_utf8_lossy(&export(&db, &args).stderr).into_owned();
    assert!(stderr.contains("9 counted login(s) in 4 qualifying week(s)"), "{stderr}");
}
