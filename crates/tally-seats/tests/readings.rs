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
    logins(
        &mut ledger,
        "ada",
        &["2026-03-02T09:00:00Z", "2026-03-09T09:00:00Z", "2026-03-16T09:00:00Z"],
    );
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
    logins(
        &mut ledger,
        "ada",
        &["2026-03-02T09:00:00Z", "2026-03-09T09:00:00Z", "2026-03-16T09:00:00Z"],
    );
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
