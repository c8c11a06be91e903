//! Each point of the rule in `docs/seats.md`, with instants worked out by hand.
//! 2026-03-02, 03-09, 03-16, 03-23 and 03-30 are Mondays.

use chrono::Weekday;
use tally_seats::{LifecycleChange, SeatLedger, SeatRule, SeatStatus};

use crate::common::*;

#[test]
fn three_logins_in_three_weeks_make_a_seat_at_the_third() {
    let mut ledger = ledger();
    // Two logins in the week of 03-02 and one in the week of 03-09: two weeks.
    logins(
        &mut ledger,
        "ada",
        &["2026-03-02T09:00:00Z", "2026-03-04T09:00:00Z", "2026-03-10T09:00:00Z"],
    );
    assert_eq!(activated(&ledger, "ada"), Vec::<String>::new());
    assert_eq!(ledger.status_at("ada", at("2026-03-11T00:00:00Z")), SeatStatus::NotYetActive);
    // The week of 03-16 is the third.
    logins(&mut ledger, "ada", &["2026-03-17T08:15:00Z"]);
    assert_eq!(activated(&ledger, "ada"), ["2026-03-17T08:15:00Z"]);
    assert_eq!(ledger.status_at("ada", at("2026-03-17T08:14:59Z")), SeatStatus::NotYetActive);
    assert_eq!(ledger.status_at("ada", at("2026-03-17T08:15:00Z")), SeatStatus::Active);
}

#[test]
fn weeks_follow_the_accounts_zone() {
    // 2026-03-01T23:30Z is Sunday 23:30 in UTC (week of 02-23) but Monday 00:30 on
    // 03-02 in Berlin (CET, +1; week of 03-02).
    let instants = ["2026-02-24T10:00:00Z", "2026-03-01T23:30:00Z", "2026-03-10T10:00:00Z"];
    let terms = [term("2026-01-01..2027-01-01")];
    let berlin = calendar(chrono_tz::Europe::Berlin, Weekday::Mon);
    let mut in_berlin = SeatLedger::new(berlin, &terms, SeatRule::default()).unwrap();
    logins(&mut in_berlin, "ada", &instants);
    // Berlin: weeks of 02-23, 03-02 and 03-09.
    assert_eq!(activated(&in_berlin, "ada"), ["2026-03-10T10:00:00Z"]);
    // UTC: weeks of 02-23, 02-23 and 03-09, two weeks only.
    let mut in_utc = ledger();
    logins(&mut in_utc, "ada", &instants);
    assert_eq!(activated(&in_utc, "ada"), Vec::<String>::new());
}

#[test]
fn weeks_start_on_the_accounts_first_day() {
    // Saturday 03-07, Sunday 03-08 and Sunday 03-15.
    let instants = ["2026-03-07T12:00:00Z", "2026-03-08T12:00:00Z", "2026-03-15T12:00:00Z"];
    let terms = [term("2026-01-01..2027-01-01")];
    let sundays = calendar(chrono_tz::UTC, Weekday::Sun);
    let mut sunday_weeks = SeatLedger::new(sundays, &terms, SeatRule::default()).unwrap();
    logins(&mut sunday_weeks, "ada", &instants);
    // Weeks starting Sunday: 03-01, 03-08, 03-15.
    assert_eq!(activated(&sunday_weeks, "ada"), ["2026-03-15T12:00:00Z"]);
    // Weeks starting Monday: 03-02 (Saturday and Sunday) and 03-09.
    let mut monday_weeks = ledger();
    logins(&mut monday_weeks, "ada", &instants);
    assert_eq!(activated(&monday_weeks, "ada"), Vec::<String>::new());
}

#[test]
fn only_logins_inside_the_term_count() {
    let terms = [term("2026-01-15..2027-01-15")];
    let mut ledger = SeatLedger::new(Default::default(), &terms, SeatRule::default()).unwrap();
    // Two logins before the term (weeks of 01-05 and 01-12), one inside (01-19).
    assert!(!ledger.record_login("ada", at("2026-01-05T09:00:00Z")));
    assert!(!ledger.record_login("ada", at("2026-01-14T23:59:59Z")));
    assert!(ledger.record_login("ada", at("2026-01-19T09:00:00Z")));
    assert_eq!(activated(&ledger, "ada"), Vec::<String>::new());
    logins(&mut ledger, "ada", &["2026-01-26T09:00:00Z", "2026-02-02T09:00:00Z"]);
    assert_eq!(activated(&ledger, "ada"), ["2026-02-02T09:00:00Z"]);
    assert_eq!(ledger.status_at("ada", at("2027-01-15T00:00:00Z")), SeatStatus::OutsideTerm);
}

#[test]
fn the_term_begins_at_midnight_in_the_accounts_zone() {
    let berlin = calendar(chrono_tz::Europe::Berlin, Weekday::Mon);
    let terms = [term("2026-01-15..2027-01-15")];
    let mut ledger = SeatLedger::new(berlin, &terms, SeatRule::default()).unwrap();
    // 2026-01-14T23:30Z is 00:30 on 01-15 in Berlin: inside. 22:59Z is 23:59 on 01-14: outside.
    assert!(ledger.record_login("ada", at("2026-01-14T23:30:00Z")));
    assert!(!ledger.record_login("ada", at("2026-01-14T22:59:00Z")));
}

#[test]
fn a_new_term_starts_from_zero() {
    let terms = [term("2026-01-01..2027-01-01"), term("2027-01-01..2028-01-01")];
    let mut ledger = SeatLedger::new(Default::default(), &terms, SeatRule::default()).unwrap();
    // Logins on Mondays 12-07, 12-14 and 12-28: three weeks, active at 12-28.
    logins(
        &mut ledger,
        "ada",
        &["2026-12-07T09:00:00Z", "2026-12-14T09:00:00Z", "2026-12-28T09:00:00Z"],
    );
    assert_eq!(activated(&ledger, "ada"), ["2026-12-28T09:00:00Z"]);
    assert_eq!(ledger.status_at("ada", at("2026-12-31T23:59:59Z")), SeatStatus::Active);
    // 2027-01-01 is a Friday in the week of 2026-12-28, but a new term: from zero.
    assert_eq!(ledger.status_at("ada", at("2027-01-01T00:00:00Z")), SeatStatus::NotYetActive);
    logins(&mut ledger, "ada", &["2027-01-01T09:00:00Z", "2027-01-04T09:00:00Z"]);
    assert_eq!(activated(&ledger, "ada").len(), 1);
    // Weeks of 2026-12-28 (01-01), 2027-01-04 and 2027-01-11: the third completes it.
    logins(&mut ledger, "ada", &["2027-01-11T09:00:00Z"]);
    assert_eq!(activated(&ledger, "ada"), ["2026-12-28T09:00:00Z", "2027-01-11T09:00:00Z"]);
}

#[test]
fn a_seat_stays_active_without_logins_until_the_term_ends() {
    let mut ledger = ledger();
    logins(&mut ledger, "ada", &THREE_MARCH_MONDAYS);
    assert_eq!(ledger.status_at("ada", at("2026-12-31T23:59:59Z")), SeatStatus::Active);
}

#[test]
fn disabled_stops_counting_and_enabled_counts_again_at_once() {
    let mut ledger = ledger();
    logins(&mut ledger, "ada", &THREE_MARCH_MONDAYS);
    ledger.record_lifecycle("ada", at("2026-04-01T00:00:00Z"), LifecycleChange::Disabled);
    assert_eq!(ledger.status_at("ada", at("2026-03-31T23:59:59Z")), SeatStatus::Active);
    assert_eq!(ledger.status_at("ada", at("2026-04-01T00:00:00Z")), SeatStatus::Disabled);
    ledger.record_lifecycle("ada", at("2026-04-20T12:00:00Z"), LifecycleChange::Enabled);
    assert_eq!(ledger.status_at("ada", at("2026-04-20T12:00:00Z")), SeatStatus::Active);
    assert_eq!(activated(&ledger, "ada"), ["2026-03-16T09:00:00Z"]);
}

#[test]
fn logins_while_disabled_do_not_count() {
    let mut ledger = ledger();
    ledger.record_lifecycle("bob", at("2026-03-12T00:00:00Z"), LifecycleChange::Disabled);
    ledger.record_lifecycle("bob", at("2026-03-25T00:00:00Z"), LifecycleChange::Enabled);
    // Weeks of 03-02 and 03-09 count; 03-17 is while disabled; 03-31 (week of 03-30) counts.
    logins(
        &mut ledger,
        "bob",
        &["2026-03-02T09:00:00Z", "2026-03-09T09:00:00Z", "2026-03-17T09:00:00Z"],
    );
    assert_eq!(activated(&ledger, "bob"), Vec::<String>::new());
    logins(&mut ledger, "bob", &["2026-03-31T09:00:00Z"]);
    assert_eq!(activated(&ledger, "bob"), ["2026-03-31T09:00:00Z"]);
}

#[test]
fn a_removed_user_added_again_must_qualify_again() {
    let mut ledger = ledger();
    logins(&mut ledger, "ada", &THREE_MARCH_MONDAYS);
    ledger.record_lifecycle("ada", at("2026-04-01T00:00:00Z"), LifecycleChange::Removed);
    assert_eq!(ledger.status_at("ada", at("2026-04-05T00:00:00Z")), SeatStatus::Removed);
    // A login while removed counts for nothing.
    logins(&mut ledger, "ada", &["2026-04-06T09:00:00Z"]);
    ledger.record_lifecycle("ada", at("2026-04-10T00:00:00Z"), LifecycleChange::Added);
    assert_eq!(ledger.status_at("ada", at("2026-04-10T00:00:00Z")), SeatStatus::NotYetActive);
    // Weeks of 04-13 and 04-20: two weeks since re-adding; the earlier ones are gone.
    logins(&mut ledger, "ada", &["2026-04-13T09:00:00Z", "2026-04-20T09:00:00Z"]);
    assert_eq!(activated(&ledger, "ada"), ["2026-03-16T09:00:00Z"]);
    logins(&mut ledger, "ada", &["2026-04-27T09:00:00Z"]);
    assert_eq!(activated(&ledger, "ada"), ["2026-03-16T09:00:00Z", "2026-04-27T09:00:00Z"]);
    assert_eq!(ledger.activations("ada")[1].membership, 1);
}

#[test]
fn a_late_login_moves_the_activation_earlier() {
    let mut ledger = ledger();
    logins(
        &mut ledger,
        "ada",
        &["2026-03-25T09:00:00Z", "2026-03-02T09:00:00Z", "2026-03-10T09:00:00Z"],
    );
    // Weeks of 03-02, 03-09 and 03-23: the third week's login is 03-25.
    assert_eq!(activated(&ledger, "ada"), ["2026-03-25T09:00:00Z"]);
    // A login of 03-17 (week of 03-16) arrives late: the third week is now 03-16.
    logins(&mut ledger, "ada", &["2026-03-17T09:00:00Z"]);
    assert_eq!(activated(&ledger, "ada"), ["2026-03-17T09:00:00Z"]);
    // A late login after the activation changes nothing.
    logins(&mut ledger, "ada", &["2026-03-20T09:00:00Z"]);
    assert_eq!(activated(&ledger, "ada"), ["2026-03-17T09:00:00Z"]);
}

#[test]
fn a_late_removal_takes_back_what_came_after_it() {
    let mut ledger = ledger();
    logins(&mut ledger, "ada", &THREE_MARCH_MONDAYS);
    assert_eq!(activated(&ledger, "ada"), ["2026-03-16T09:00:00Z"]);
    // The removal of 03-12 arrives after the logins: the third login was while removed.
    ledger.record_lifecycle("ada", at("2026-03-12T00:00:00Z"), LifecycleChange::Removed);
    assert_eq!(activated(&ledger, "ada"), Vec::<String>::new());
    assert_eq!(ledger.status_at("ada", at("2026-03-20T00:00:00Z")), SeatStatus::Removed);
}

#[test]
fn a_removal_at_the_same_instant_as_a_login_wins() {
    let mut ledger = ledger();
    ledger.record_lifecycle("ada", at("2026-03-16T09:00:00Z"), LifecycleChange::Removed);
    logins(&mut ledger, "ada", &THREE_MARCH_MONDAYS);
    assert_eq!(activated(&ledger, "ada"), Vec::<String>::new());
}

#[test]
fn the_rule_is_configurable_per_account() {
    // Two logins a week, in two weeks, four logins in all.
    let rule = SeatRule { weeks_needed: 2, logins_needed: 4, logins_per_week: 2 };
    let terms = [term("2026-01-01..2027-01-01")];
    let mut ledger = SeatLedger::new(Default::default(), &terms, rule).unwrap();
    // Week of 03-02: two logins (counts). Week of 03-09: one (does not), then a second.
    logins(
        &mut ledger,
        "ada",
        &["2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z", "2026-03-09T09:00:00Z"],
    );
    assert_eq!(activated(&ledger, "ada"), Vec::<String>::new());
    logins(&mut ledger, "ada", &["2026-03-12T09:00:00Z"]);
    assert_eq!(activated(&ledger, "ada"), ["2026-03-12T09:00:00Z"]);
    let zero = SeatRule { weeks_needed: 0, ..SeatRule::default() };
    let error = SeatLedger::new(Default::default(), &terms, zero).unwrap_err();
    assert_eq!(error.to_string(), "the seat rule's weeks_needed is 0; it must be at least 1");
}

#[test]
fn overlapping_terms_are_refused() {
    let terms = [term("2026-01-01..2027-01-01"), term("2026-12-01..2027-12-01")];
    let error = SeatLedger::new(Default::default(), &terms, SeatRule::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "subscription terms 2026-01-01..2027-01-01 and 2026-12-01..2027-12-01 overlap; terms must follow each other"
    );
}

#[test]
fn an_added_for_a_user_already_in_the_account_changes_nothing() {
    let mut ledger = ledger();
    // ada is disabled on 03-01; a late first sighting (added) on 03-05 does not
    // enable her, so her logins in the weeks of 03-09, 03-16 and 03-23 do not count.
    ledger.record_lifecycle("ada", at("2026-03-01T00:00:00Z"), LifecycleChange::Disabled);
    ledger.record_lifecycle("ada", at("2026-03-05T00:00:00Z"), LifecycleChange::Added);
    logins(
        &mut ledger,
        "ada",
        &["2026-03-09T09:00:00Z", "2026-03-16T09:00:00Z", "2026-03-23T09:00:00Z"],
    );
    assert_eq!(activated(&ledger, "ada"), Vec::<String>::new());
    assert_eq!(ledger.status_at("ada", at("2026-03-24T00:00:00Z")), SeatStatus::Disabled);
}

#[test]
fn a_membership_added_and_removed_at_one_instant_is_no_membership() {
    let mut ledger = ledger();
    // ada: a seat from 03-16 (weeks of 03-02, 03-09, 03-16), removed on 04-01,
    // then added and removed at the same instant on 04-10: the removal wins, and
    // the membership it would have begun never counted anything.
    logins(&mut ledger, "ada", &THREE_MARCH_MONDAYS);
    ledger.record_lifecycle("ada", at("2026-04-01T00:00:00Z"), LifecycleChange::Removed);
    ledger.record_lifecycle("ada", at("2026-04-10T00:00:00Z"), LifecycleChange::Added);
    ledger.record_lifecycle("ada", at("2026-04-10T00:00:00Z"), LifecycleChange::Removed);
    assert_eq!(ledger.status_at("ada", at("2026-04-10T00:00:00Z")), SeatStatus::Removed);
    // The explanation still names the activation of her last real membership.
    let explanation = ledger.explain("ada", at("2026-04-20T00:00:00Z"));
    assert_eq!(explanation.status, SeatStatus::Removed);
    assert_eq!(
        explanation.activation.map(|activation| activation.at),
        Some(at("2026-03-16T09:00:00Z"))
    );
    assert_eq!(explanation.counted_logins(), 3);
}
