//! Logins at the exact first instant of a week, a month and a term, and at the
//! last microsecond of a term, in Berlin around its 2026 daylight-saving changes.
//!
//! Berlin is on CET (UTC+1) until 2026-03-29T01:00Z, on CEST (UTC+2) until
//! 2026-10-25T01:00Z, then on CET again. 2026-03-02 is a Monday, so the weeks
//! (Monday first) begin on 03-16, 03-23, 03-30, 04-06, ..., 10-05, 10-12,
//! 10-19 and 10-26 (10-26 is day 299 of a year that began on a Thursday:
//! 298 = 42 * 7 + 4 days after a Thursday is a Monday).

use chrono::Weekday;
use tally_seats::{LifecycleChange, Month, SeatLedger, SeatRule, SeatStatus};

use crate::common::*;

/// A Berlin account with Monday weeks, the seed's rule (3 logins in 3 weeks)
/// and these terms.
fn berlin(terms: &[&str]) -> SeatLedger {
    let terms: Vec<_> = terms.iter().map(|text| term(text)).collect();
    let berlin = calendar(chrono_tz::Europe::Berlin, Weekday::Mon);
    SeatLedger::new(berlin, &terms, SeatRule::default()).unwrap()
}

fn month(year: i32, month: u32) -> Month {
    Month { year, month }
}

/// Seats per month from `first` to `last`, without the changes.
fn seats(ledger: &SeatLedger, first: Month, last: Month) -> Vec<(Month, u32)> {
    ledger.monthly_active_seats(first, last).iter().map(|row| (row.month, row.seats)).collect()
}

#[test]
fn a_login_at_the_first_instant_of_a_week_after_the_march_change_counts_in_that_week() {
    let mut ledger = berlin(&["2026-01-01..2027-01-01"]);
    // Weeks of 03-16 and 03-23 (Tuesdays, 11:00 CET).
    logins(&mut ledger, "ada", &["2026-03-17T10:00:00Z", "2026-03-24T10:00:00Z"]);
    // Sunday 03-29 23:59:59.999999 CEST = 21:59:59.999999Z: still the week of 03-23.
    logins(&mut ledger, "ada", &["2026-03-29T21:59:59.999999Z"]);
    assert_eq!(activated(&ledger, "ada"), Vec::<String>::new());
    // Monday 03-30 00:00 CEST = 03-29T22:00Z (not 23:00Z, as on CET): the week of
    // 03-30, the third.
    logins(&mut ledger, "ada", &["2026-03-29T22:00:00Z"]);
    assert_eq!(activated(&ledger, "ada"), ["2026-03-29T22:00:00Z"]);

    // The explanation and the log place the logins in the same weeks: 03-16 (1),
    // 03-23 (2: Tuesday and the last microsecond of Sunday), 03-30 (1).
    let explanation = ledger.explain("ada", at("2026-03-29T22:00:00Z"));
    let weeks: Vec<(String, usize)> =
        explanation.weeks.iter().map(|week| (week.week.to_string(), week.logins.len())).collect();
    assert_eq!(
        weeks,
        [("2026-03-16".to_owned(), 1), ("2026-03-23".to_owned(), 2), ("2026-03-30".to_owned(), 1)]
    );
    let log = ledger.activated_seats(at("2026-03-29T22:00:00Z"));
    assert_eq!((log[0].logins, log[0].weeks), (4, 3));
}

#[test]
fn a_login_at_the_first_instant_of_a_week_around_the_october_change_counts_in_that_week() {
    let mut ledger = berlin(&["2026-01-01..2027-01-01"]);
    // bob: weeks of 10-05 and 10-12, then Sunday 10-18 23:59:59.999999 CEST
    // (21:59:59.999999Z, week of 10-12), then Monday 10-19 00:00 CEST (22:00Z).
    logins(
        &mut ledger,
        "bob",
        &["2026-10-06T10:00:00Z", "2026-10-13T10:00:00Z", "2026-10-18T21:59:59.999999Z"],
    );
    assert_eq!(activated(&ledger, "bob"), Vec::<String>::new());
    logins(&mut ledger, "bob", &["2026-10-18T22:00:00Z"]);
    assert_eq!(activated(&ledger, "bob"), ["2026-10-18T22:00:00Z"]);

    // cy: weeks of 10-12 and 10-19, then Sunday 10-25 23:59:59.999999 CET (back
    // on +1 since 01:00Z that day: 22:59:59.999999Z, week of 10-19), then Monday
    // 10-26 00:00 CET (23:00Z, not 22:00Z as on CEST).
    logins(
        &mut ledger,
        "cy",
        &["2026-10-13T10:00:00Z", "2026-10-20T10:00:00Z", "2026-10-25T22:59:59.999999Z"],
    );
    assert_eq!(activated(&ledger, "cy"), Vec::<String>::new());
    logins(&mut ledger, "cy", &["2026-10-25T23:00:00Z"]);
    assert_eq!(activated(&ledger, "cy"), ["2026-10-25T23:00:00Z"]);
    assert_eq!(ledger.status_at("cy", at("2026-10-25T22:59:59.999999Z")), SeatStatus::NotYetActive);
    assert_eq!(ledger.status_at("cy", at("2026-10-25T23:00:00Z")), SeatStatus::Active);
}

#[test]
fn a_seat_activated_at_the_first_instant_of_a_month_counts_from_that_month() {
    // April 1st 00:00 CEST is 2026-03-31T22:00Z. Both users log in in the weeks
    // of 03-16 and 03-23; ada's third login is that instant (Wednesday of the
    // week of 03-30), bob's one microsecond before it (still March 31st).
    let mut ledger = berlin(&["2026-01-01..2027-01-01"]);
    logins(
        &mut ledger,
        "ada",
        &["2026-03-17T10:00:00Z", "2026-03-24T10:00:00Z", "2026-03-31T22:00:00Z"],
    );
    logins(
        &mut ledger,
        "bob",
        &["2026-03-17T10:00:00Z", "2026-03-24T10:00:00Z", "2026-03-31T21:59:59.999999Z"],
    );
    assert_eq!(ledger.active_months("ada", month(2026, 3), month(2026, 4)), [month(2026, 4)]);
    assert_eq!(
        ledger.active_months("bob", month(2026, 3), month(2026, 4)),
        [month(2026, 3), month(2026, 4)]
    );
    // March: bob only (1). April: both (2).
    assert_eq!(
        seats(&ledger, month(2026, 3), month(2026, 4)),
        [(month(2026, 3), 1), (month(2026, 4), 2)]
    );

    // November 1st 00:00 CET is 2026-10-31T23:00Z (22:00Z is still October 31st,
    // 23:00 CET). cy's third week's login is that instant: November only.
    logins(
        &mut ledger,
        "cy",
        &["2026-10-13T10:00:00Z", "2026-10-20T10:00:00Z", "2026-10-31T23:00:00Z"],
    );
    assert_eq!(ledger.active_months("cy", month(2026, 10), month(2026, 11)), [month(2026, 11)]);
    // October: ada and bob (2). November: ada, bob and cy (3).
    assert_eq!(
        seats(&ledger, month(2026, 10), month(2026, 11)),
        [(month(2026, 10), 2), (month(2026, 11), 3)]
    );
}

#[test]
fn a_seat_removed_at_the_first_instant_of_a_month_does_not_count_in_it() {
    // ada is a seat from 03-30T10:00Z (weeks of 03-16, 03-23, 03-30).
    let mut ledger = berlin(&["2026-01-01..2027-01-01"]);
    logins(
        &mut ledger,
        "ada",
        &["2026-03-17T10:00:00Z", "2026-03-24T10:00:00Z", "2026-03-30T10:00:00Z"],
    );
    // bob the same, removed one microsecond later than ada.
    logins(
        &mut ledger,
        "bob",
        &["2026-03-17T10:00:00Z", "2026-03-24T10:00:00Z", "2026-03-30T10:00:00Z"],
    );
    // ada removed at April 1st 00:00 CEST (03-31T22:00Z): a seat in March only.
    ledger.record_lifecycle("ada", at("2026-03-31T22:00:00Z"), LifecycleChange::Removed);
    // bob removed at 22:00:00.000001Z: a seat for a microsecond of April too.
    ledger.record_lifecycle("bob", at("2026-03-31T22:00:00.000001Z"), LifecycleChange::Removed);
    assert_eq!(ledger.active_months("ada", month(2026, 3), month(2026, 4)), [month(2026, 3)]);
    // Active from the third login to the removal, which is not included.
    assert_eq!(
        ledger.active_spans("ada"),
        [(at("2026-03-30T10:00:00Z"), at("2026-03-31T22:00:00Z"))]
    );
    assert_eq!(
        ledger.active_months("bob", month(2026, 3), month(2026, 4)),
        [month(2026, 3), month(2026, 4)]
    );
    // March: ada and bob (2). April: bob (1). May: nobody.
    assert_eq!(
        seats(&ledger, month(2026, 3), month(2026, 5)),
        [(month(2026, 3), 2), (month(2026, 4), 1), (month(2026, 5), 0)]
    );
    assert_eq!(ledger.status_at("ada", at("2026-03-31T21:59:59.999999Z")), SeatStatus::Active);
    assert_eq!(ledger.status_at("ada", at("2026-03-31T22:00:00Z")), SeatStatus::Removed);
}

#[test]
fn a_term_holds_its_first_instant_and_its_last_microsecond() {
    // The term's first instant is Monday 03-30 00:00 CEST (03-29T22:00Z); it ends
    // at Monday 10-26 00:00 CET (10-25T23:00Z), so its last microsecond is
    // 10-25T22:59:59.999999Z (Sunday 23:59:59.999999 CET).
    let mut ledger = berlin(&["2026-03-30..2026-10-26"]);
    assert!(!ledger.record_login("ada", at("2026-03-29T21:59:59.999999Z")));
    assert!(ledger.record_login("ada", at("2026-03-29T22:00:00Z")));
    assert!(ledger.record_login("ada", at("2026-04-07T10:00:00Z")));
    assert!(!ledger.record_login("ada", at("2026-10-25T23:00:00Z")));
    assert_eq!(activated(&ledger, "ada"), Vec::<String>::new());
    // The third week's login (week of 10-19) at the last microsecond of the term.
    assert!(ledger.record_login("ada", at("2026-10-25T22:59:59.999999Z")));
    let activations = ledger.activations("ada");
    assert_eq!(activations.len(), 1);
    assert_eq!(activations[0].at, at("2026-10-25T22:59:59.999999Z"));
    assert_eq!(activations[0].term, term("2026-03-30..2026-10-26"));
    assert_eq!(ledger.status_at("ada", at("2026-10-25T22:59:59.999999Z")), SeatStatus::Active);
    assert_eq!(ledger.status_at("ada", at("2026-10-25T23:00:00Z")), SeatStatus::OutsideTerm);
    assert_eq!(ledger.status_at("ada", at("2026-03-29T21:59:59.999999Z")), SeatStatus::OutsideTerm);
    // A seat for exactly that microsecond.
    assert_eq!(
        ledger.active_spans("ada"),
        [(at("2026-10-25T22:59:59.999999Z"), at("2026-10-25T23:00:00Z"))]
    );
    // Only logins inside the term make the ledger know a user.
    assert!(!ledger.record_login("bob", at("2026-10-25T23:00:00Z")));
    assert_eq!(ledger.users().collect::<Vec<_>>(), ["ada"]);
    // A seat for the last microsecond of October 25th: October only.
    assert_eq!(
        seats(&ledger, month(2026, 10), month(2026, 11)),
        [(month(2026, 10), 1), (month(2026, 11), 0)]
    );
    // The log at that microsecond lists ada with her 3 logins in 3 weeks.
    let log = ledger.activated_seats(at("2026-10-25T22:59:59.999999Z"));
    assert_eq!((log.len(), log[0].logins, log[0].weeks), (1, 3, 3));
    assert!(ledger.activated_seats(at("2026-10-25T23:00:00Z")).is_empty());
}

#[test]
fn a_login_at_the_first_instant_of_a_term_counts_in_that_term_not_the_one_before() {
    // Two terms meeting at Monday 03-30 00:00 CEST (03-29T22:00Z).
    let mut ledger = berlin(&["2026-01-01..2026-03-30", "2026-03-30..2027-01-01"]);
    // Weeks of 03-16 and 03-23 in the first term, then the first instant of the
    // second: two weeks in the first term, one in the second. Nobody is a seat.
    logins(
        &mut ledger,
        "ada",
        &["2026-03-17T10:00:00Z", "2026-03-24T10:00:00Z", "2026-03-29T22:00:00Z"],
    );
    assert_eq!(activated(&ledger, "ada"), Vec::<String>::new());
    // Two more weeks of the second term (04-06 and 04-13): a seat of it.
    logins(&mut ledger, "ada", &["2026-04-07T10:00:00Z", "2026-04-14T10:00:00Z"]);
    let activations = ledger.activations("ada");
    assert_eq!(activations.len(), 1);
    assert_eq!(activations[0].at, at("2026-04-14T10:00:00Z"));
    assert_eq!(activations[0].term, term("2026-03-30..2027-01-01"));
    // The explanation at the second term's first instant counts that login only.
    let explanation = ledger.explain("ada", at("2026-03-29T22:00:00Z"));
    assert_eq!(explanation.term, Some(term("2026-03-30..2027-01-01")));
    assert_eq!(explanation.counted_logins(), 1);
    // The last microsecond of the first term: its two logins.
    let explanation = ledger.explain("ada", at("2026-03-29T21:59:59.999999Z"));
    assert_eq!(explanation.term, Some(term("2026-01-01..2026-03-30")));
    assert_eq!(explanation.counted_logins(), 2);
}

#[test]
fn a_user_enabled_at_the_first_instant_of_a_term_is_no_seat_of_it() {
    // Two terms meeting at Monday 03-16 00:00 CET (03-15T23:00Z).
    let mut ledger = berlin(&["2026-01-01..2026-03-16", "2026-03-16..2027-01-01"]);
    // ada: a seat of the first term from 01-19T09:00Z (weeks of 01-05, 01-12 and
    // 01-19), disabled on 02-10T00:00Z, enabled at the second term's first
    // instant, and never logs in again: a seat of the first term only.
    logins(
        &mut ledger,
        "ada",
        &["2026-01-05T09:00:00Z", "2026-01-12T09:00:00Z", "2026-01-19T09:00:00Z"],
    );
    ledger.record_lifecycle("ada", at("2026-02-10T00:00:00Z"), LifecycleChange::Disabled);
    ledger.record_lifecycle("ada", at("2026-03-15T23:00:00Z"), LifecycleChange::Enabled);
    assert_eq!(
        ledger.active_spans("ada"),
        [(at("2026-01-19T09:00:00Z"), at("2026-02-10T00:00:00Z"))]
    );
    // January and February; nothing in March.
    assert_eq!(
        seats(&ledger, month(2026, 1), month(2026, 3)),
        [(month(2026, 1), 1), (month(2026, 2), 1), (month(2026, 3), 0)]
    );
    assert_eq!(ledger.status_at("ada", at("2026-03-15T23:00:00Z")), SeatStatus::NotYetActive);
}
