//! Monthly active seats, the activated seats log and one user's explanation.

use chrono::{NaiveDate, Weekday};
use tally_seats::{LifecycleChange, Month, MonthlySeats, SeatLedger, SeatRule, SeatStatus};

use crate::common::*;

fn month(year: i32, month: u32) -> Month {
    Month { year, month }
}

#[test]
fn a_seat_counts_in_every_month_it_was_active_at_some_moment() {
    let mut ledger = ledger();
    // ada: active 03-16, removed 05-10: March, April and May.
    logins(&mut ledger, "ada", &THREE_MARCH_MONDAYS);
    ledger.record_lifecycle("ada", at("2026-05-10T00:00:00Z"), LifecycleChange::Removed);
    // bob: active 04-15 (weeks of 03-30, 04-06, 04-13), from April on.
    logins(
        &mut ledger,
        "bob",
        &["2026-03-31T09:00:00Z", "2026-04-07T09:00:00Z", "2026-04-15T09:00:00Z"],
    );
    // cy: two weeks only, never a seat.
    logins(&mut ledger, "cy", &["2026-03-02T09:00:00Z", "2026-03-09T09:00:00Z"]);
    let figures = ledger.monthly_active_seats(month(2026, 2), month(2026, 6));
    let expected = [
        // February: nobody; the month before, January, nobody either.
        (month(2026, 2), 0, 0, None),
        (month(2026, 3), 1, 1, None),
        // 1 to 2 is +1, +100%.
        (month(2026, 4), 2, 1, Some(100.0)),
        (month(2026, 5), 2, 0, Some(0.0)),
        // 2 to 1 is -1, -50%.
        (month(2026, 6), 1, -1, Some(-50.0)),
    ];
    let got: Vec<(Month, u32, i64, Option<f64>)> = figures
        .iter()
        .map(|MonthlySeats { month, seats, change, change_percent }| {
            (*month, *seats, *change, *change_percent)
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn months_follow_the_accounts_zone() {
    let berlin = calendar(chrono_tz::Europe::Berlin, Weekday::Mon);
    let mut ledger =
        SeatLedger::new(berlin, &[term("2026-01-01..2027-01-01")], SeatRule::default()).unwrap();
    // The third week's login is 2026-03-31T22:30Z: 00:30 on April 1st in Berlin
    // (CEST, +2, since 03-29). Weeks of 03-16, 03-23 and 03-30.
    logins(
        &mut ledger,
        "ada",
        &["2026-03-17T09:00:00Z", "2026-03-24T09:00:00Z", "2026-03-31T22:30:00Z"],
    );
    let seats: Vec<u32> = ledger
        .monthly_active_seats(month(2026, 3), month(2026, 4))
        .iter()
        .map(|figure| figure.seats)
        .collect();
    assert_eq!(seats, [0, 1]);
}

#[test]
fn the_activated_seats_log_lists_logins_weeks_and_status() {
    let mut ledger = ledger();
    logins(
        &mut ledger,
        "ada",
        &[
            "2026-03-02T09:00:00Z",
            "2026-03-03T09:00:00Z",
            "2026-03-09T09:00:00Z",
            "2026-03-16T09:00:00Z",
            "2026-05-04T09:00:00Z",
        ],
    );
    logins(
        &mut ledger,
        "bob",
        &["2026-03-31T09:00:00Z", "2026-04-07T09:00:00Z", "2026-04-15T09:00:00Z"],
    );
    ledger.record_lifecycle("bob", at("2026-04-20T00:00:00Z"), LifecycleChange::Disabled);
    logins(&mut ledger, "cy", &["2026-03-02T09:00:00Z"]);
    let log = ledger.activated_seats(at("2026-04-30T00:00:00Z"));
    let rows: Vec<(&str, String, u32, u32, SeatStatus)> = log
        .iter()
        .map(|seat| {
            (
                seat.user.as_str(),
                seat.activated_at.to_rfc3339(),
                seat.logins,
                seat.weeks,
                seat.status,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            // ada: four logins by 04-30 (the 05-04 one is later) in three weeks.
            ("ada", "2026-03-16T09:00:00+00:00".to_owned(), 4, 3, SeatStatus::Active),
            ("bob", "2026-04-15T09:00:00+00:00".to_owned(), 3, 3, SeatStatus::Disabled),
        ]
    );
}

#[test]
fn an_explanation_groups_counted_logins_by_week() {
    let mut ledger = ledger();
    logins(
        &mut ledger,
        "cy",
        &["2026-03-02T09:00:00Z", "2026-03-05T09:00:00Z", "2026-03-10T09:00:00Z"],
    );
    let explanation = ledger.explain("cy", at("2026-03-20T00:00:00Z"));
    assert_eq!(explanation.status, SeatStatus::NotYetActive);
    assert_eq!(explanation.activation, None);
    let weeks: Vec<(NaiveDate, usize, bool)> =
        explanation.weeks.iter().map(|week| (week.week, week.logins.len(), week.counts)).collect();
    let day = |text: &str| text.parse::<NaiveDate>().unwrap();
    assert_eq!(weeks, [(day("2026-03-02"), 2, true), (day("2026-03-09"), 1, true)]);

    logins(&mut ledger, "cy", &["2026-03-18T09:00:00Z"]);
    let explanation = ledger.explain("cy", at("2026-03-20T00:00:00Z"));
    assert_eq!(explanation.status, SeatStatus::Active);
    assert_eq!(
        explanation.activation.map(|activation| activation.at),
        Some(at("2026-03-18T09:00:00Z"))
    );
    assert_eq!(explanation.weeks.len(), 3);
}

#[test]
fn a_user_in_two_organizations_is_a_seat_of_each_and_one_of_the_account() {
    let mut ledger = ledger();
    // ada: active 03-16, in eu and us. bob: active 04-15, in eu. cy: in us, never active.
    logins(&mut ledger, "ada", &THREE_MARCH_MONDAYS);
    logins(
        &mut ledger,
        "bob",
        &["2026-03-31T09:00:00Z", "2026-04-07T09:00:00Z", "2026-04-15T09:00:00Z"],
    );
    logins(&mut ledger, "cy", &["2026-03-02T09:00:00Z"]);
    for (user, organization) in
        [("ada", "eu"), ("ada", "us"), ("ada", "eu"), ("bob", "eu"), ("cy", "us")]
    {
        ledger.record_organization(user, organization);
    }
    let seats =
        |figures: &[MonthlySeats]| figures.iter().map(|figure| figure.seats).collect::<Vec<_>>();
    let by_organization =
        ledger.monthly_active_seats_by_organization(month(2026, 3), month(2026, 4));
    let got: Vec<(&str, Vec<u32>)> = by_organization
        .iter()
        .map(|(organization, figures)| (organization.as_str(), seats(figures)))
        .collect();
    // eu: ada in March; ada and bob in April. us: ada in both.
    assert_eq!(got, [("eu", vec![1, 2]), ("us", vec![1, 1])]);
    // The account: ada and bob, each once.
    assert_eq!(seats(&ledger.monthly_active_seats(month(2026, 3), month(2026, 4))), [1, 2]);
}

#[test]
fn the_log_and_the_explanation_count_the_same_qualifying_weeks() {
    // 4 weeks, 6 logins, 2 logins a week: a week with one login does not qualify.
    let rule = SeatRule { weeks_needed: 4, logins_needed: 6, logins_per_week: 2 };
    let mut ledger =
        SeatLedger::new(Default::default(), &[term("2026-01-01..2027-01-01")], rule).unwrap();
    // Weeks of 03-02 (2 logins), 03-09 (1), 03-16 (2), 03-23 (2), 03-30 (2): the
    // fourth qualifying week (03-30) is completed by its second login, 03-31.
    logins(
        &mut ledger,
        "ada",
        &[
            "2026-03-02T09:00:00Z",
            "2026-03-03T09:00:00Z",
            "2026-03-10T09:00:00Z",
            "2026-03-16T09:00:00Z",
            "2026-03-17T09:00:00Z",
            "2026-03-23T09:00:00Z",
            "2026-03-24T09:00:00Z",
            "2026-03-30T09:00:00Z",
            "2026-03-31T09:00:00Z",
        ],
    );
    let at_end = at("2026-04-30T00:00:00Z");
    assert_eq!(activated(&ledger, "ada"), ["2026-03-31T09:00:00Z"]);
    let log = ledger.activated_seats(at_end);
    // 9 logins in 5 weeks with a login, of which 4 qualify (all but 03-09).
    assert_eq!((log[0].logins, log[0].weeks), (9, 4));
    let explanation = ledger.explain("ada", at_end);
    assert_eq!((explanation.counted_logins(), explanation.counting_weeks()), (9, 4));
    assert!(explanation.reason().contains("9 counted login(s) in 4 qualifying week(s)"));
}

#[test]
fn an_explanation_names_the_activation_of_a_removed_or_disabled_user() {
    let mut ledger = ledger();
    // ada and bob: seats from 03-16 (weeks of 03-02, 03-09 and 03-16).
    for user in ["ada", "bob"] {
        logins(&mut ledger, user, &THREE_MARCH_MONDAYS);
    }
    ledger.record_lifecycle("ada", at("2026-04-01T00:00:00Z"), LifecycleChange::Removed);
    ledger.record_lifecycle("bob", at("2026-04-01T00:00:00Z"), LifecycleChange::Disabled);
    let needs = "3 logins in 3 calendar weeks with at least 1 login(s) each";

    let removed = ledger.explain("ada", at("2026-04-15T00:00:00Z"));
    assert_eq!(removed.status, SeatStatus::Removed);
    assert_eq!(
        removed.activation.map(|activation| activation.at),
        Some(at("2026-03-16T09:00:00Z"))
    );
    assert_eq!(
        removed.reason(),
        format!(
            "not a seat: removed from the account; it had been an active seat since \
             2026-03-16T09:00:00+00:00, the login that completed {needs}"
        )
    );

    let disabled = ledger.explain("bob", at("2026-04-15T00:00:00Z"));
    assert_eq!(disabled.status, SeatStatus::Disabled);
    assert_eq!(
        disabled.reason(),
        format!(
            "not a seat while disabled; an active seat since 2026-03-16T09:00:00+00:00, the \
             login that completed {needs}, and again once enabled; 3 counted login(s) in 3 \
             qualifying week(s) in this term"
        )
    );
    // The log lists both with the same activation.
    let log = ledger.activated_seats(at("2026-04-15T00:00:00Z"));
    let listed: Vec<(&str, String, SeatStatus)> = log
        .iter()
        .map(|seat| (seat.user.as_str(), seat.activated_at.to_rfc3339(), seat.status))
        .collect();
    assert_eq!(
        listed,
        [
            ("ada", "2026-03-16T09:00:00+00:00".to_owned(), SeatStatus::Removed),
            ("bob", "2026-03-16T09:00:00+00:00".to_owned(), SeatStatus::Disabled),
        ]
    );
}

#[test]
fn the_log_lists_a_user_from_their_activation_instant_on() {
    let mut ledger = ledger();
    // ada: a seat at her third week's login, 03-16T09:00Z.
    logins(&mut ledger, "ada", &THREE_MARCH_MONDAYS);
    assert!(ledger.activated_seats(at("2026-03-16T08:59:59.999999Z")).is_empty());
    let log = ledger.activated_seats(at("2026-03-16T09:00:00Z"));
    assert_eq!((log.len(), log[0].user.as_str(), log[0].status), (1, "ada", SeatStatus::Active));
}

#[test]
fn an_explanation_in_a_new_term_names_no_activation_of_the_term_before() {
    let terms = [term("2026-01-01..2027-01-01"), term("2027-01-01..2028-01-01")];
    let mut ledger = SeatLedger::new(Default::default(), &terms, SeatRule::default()).unwrap();
    // ada: a seat of 2026 from 03-16; one login in 2027 (Tuesday 01-05).
    logins(
        &mut ledger,
        "ada",
        &[
            "2026-03-02T09:00:00Z",
            "2026-03-09T09:00:00Z",
            "2026-03-16T09:00:00Z",
            "2027-01-05T09:00:00Z",
        ],
    );
    let explanation = ledger.explain("ada", at("2027-02-01T00:00:00Z"));
    assert_eq!(explanation.status, SeatStatus::NotYetActive);
    assert_eq!(explanation.term, Some(term("2027-01-01..2028-01-01")));
    assert_eq!(explanation.activation, None);
    assert_eq!(explanation.counted_logins(), 1);
}

#[test]
fn an_explanation_counts_only_logins_of_the_current_membership_while_enabled() {
    let mut ledger = ledger();
    // bob: 03-02 counts; 03-06, while disabled (03-05 to 03-08), does not;
    // 03-10 counts: 2 counted logins by 03-11.
    logins(&mut ledger, "bob", &["2026-03-02T09:00:00Z"]);
    ledger.record_lifecycle("bob", at("2026-03-05T00:00:00Z"), LifecycleChange::Disabled);
    logins(&mut ledger, "bob", &["2026-03-06T09:00:00Z"]);
    ledger.record_lifecycle("bob", at("2026-03-08T00:00:00Z"), LifecycleChange::Enabled);
    logins(&mut ledger, "bob", &["2026-03-10T09:00:00Z"]);
    assert_eq!(ledger.explain("bob", at("2026-03-11T00:00:00Z")).counted_logins(), 2);

    // ada: two logins (03-02, 03-09), removed on 03-12, added again on 03-13,
    // one login on 03-17: her new membership has 1 counted login.
    logins(&mut ledger, "ada", &["2026-03-02T09:00:00Z", "2026-03-09T09:00:00Z"]);
    ledger.record_lifecycle("ada", at("2026-03-12T00:00:00Z"), LifecycleChange::Removed);
    ledger.record_lifecycle("ada", at("2026-03-13T00:00:00Z"), LifecycleChange::Added);
    logins(&mut ledger, "ada", &["2026-03-17T09:00:00Z"]);
    let explanation = ledger.explain("ada", at("2026-03-18T00:00:00Z"));
    assert_eq!(explanation.status, SeatStatus::NotYetActive);
    assert_eq!(explanation.counted_logins(), 1);
}
