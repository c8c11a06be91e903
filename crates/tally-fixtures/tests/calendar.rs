//! Calendars, terms, and logins placed around local week boundaries and midnights.
//!
//! Local times are computed here with chrono-tz directly, not with the generator's
//! helpers, so a mistake in those cannot hide itself.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Offset, TimeZone, Utc, Weekday};
use tally_calendar::AccountCalendar;
use tally_events::EventBody;
use tally_fixtures::AccountFixture;

use crate::common::{end, small};

fn logins(account: &AccountFixture) -> Vec<(&str, DateTime<Utc>)> {
    account
        .events
        .iter()
        .filter_map(|event| match &event.body {
            EventBody::Login(login) => Some((login.user.as_str(), event.at)),
            _ => None,
        })
        .collect()
}

/// The first day of the account week holding the instant's local date.
fn local_week(calendar: &AccountCalendar, at: DateTime<Utc>) -> NaiveDate {
    let day = at.with_timezone(&calendar.time_zone).date_naive();
    let into_week =
        (7 + day.weekday().num_days_from_monday() - calendar.week_start.num_days_from_monday()) % 7;
    day - Days::new(u64::from(into_week))
}

#[test]
fn the_accounts_cover_the_calendars_that_matter() {
    let calendars: Vec<(&str, chrono_tz::Tz, Weekday)> = small()
        .iter()
        .map(|account| {
            (account.slug.as_str(), account.calendar.time_zone, account.calendar.week_start)
        })
        .collect();
    assert_eq!(
        calendars,
        vec![
            ("acme-robotics", chrono_tz::Europe::Berlin, Weekday::Mon),
            ("globex", chrono_tz::America::Los_Angeles, Weekday::Sun),
            ("initech", chrono_tz::UTC, Weekday::Mon),
            ("equator-labs", chrono_tz::Pacific::Kiritimati, Weekday::Sat),
        ]
    );
    // Kiritimati is UTC+14 all year: 14 * 3600 = 50,400 seconds.
    let kiritimati = chrono_tz::Pacific::Kiritimati.offset_from_utc_datetime(&end().naive_utc());
    assert_eq!(kiritimati.fix().local_minus_utc(), 50_400);
    for account in small() {
        assert!((1..=3).contains(&account.organizations.len()), "{}", account.slug);
        assert!(account.teams.len() >= 2, "{}", account.slug);
    }
}

#[test]
fn terms_start_mid_month_and_one_account_renews() {
    // The clock's local day is 2026-06-30 everywhere but Kiritimati (2026-07-01 02:00).
    let terms: BTreeMap<&str, Vec<String>> = small()
        .iter()
        .map(|account| {
            (account.slug.as_str(), account.terms.iter().map(ToString::to_string).collect())
        })
        .collect();
    // June 2026 - 9 months = September 2025.
    assert_eq!(terms["acme-robotics"], ["2025-09-15..2026-09-15"]);
    // June 2026 - 10 months = August 2025, a six-month pilot, then a year from February.
    assert_eq!(terms["globex"], ["2025-08-15..2026-02-15", "2026-02-15..2027-02-15"]);
    // June 2026 - 4 months = February 2026.
    assert_eq!(terms["initech"], ["2026-02-15..2027-02-15"]);
    // July 2026 - 7 months = December 2025.
    assert_eq!(terms["equator-labs"], ["2025-12-10..2026-12-10"]);
}

/// The local days of the account with a login in the last `margin_minutes`
/// before they begin and one in the first `margin_minutes` after, among the
/// days `counts` accepts.
fn days_begun_between_logins(
    account: &AccountFixture,
    margin_minutes: u32,
    counts: impl Fn(NaiveDate) -> bool,
) -> BTreeSet<NaiveDate> {
    let early = NaiveTime::from_hms_opt(0, margin_minutes, 0).unwrap();
    let late = NaiveTime::from_hms_opt(23, 60 - margin_minutes, 0).unwrap();
    let mut after = BTreeSet::new();
    let mut before = BTreeSet::new();
    for (_, at) in logins(account) {
        let local = at.with_timezone(&account.calendar.time_zone);
        let day = local.date_naive();
        if local.time() < early && counts(day) {
            after.insert(day);
        }
        if local.time() >= late && counts(day + Days::new(1)) {
            before.insert(day + Days::new(1));
        }
    }
    after.intersection(&before).copied().collect()
}

#[test]
fn every_account_has_logins_a_minute_either_side_of_a_local_week_boundary() {
    for account in small() {
        let week_start = account.calendar.week_start;
        // Within two minutes: 00:00 to 00:01:59 and 23:58 to 23:59:59.
        let straddled = days_begun_between_logins(account, 2, |day| day.weekday() == week_start);
        assert!(!straddled.is_empty(), "{}: no login pair around a week boundary", account.slug);
    }
}

#[test]
fn every_account_has_logins_either_side_of_a_local_midnight() {
    for account in small() {
        // Within one minute: 00:00 to 00:00:59 and 23:59 to 23:59:59.
        let straddled = days_begun_between_logins(account, 1, |_| true);
        assert!(!straddled.is_empty(), "{}", account.slug);
    }
}

#[test]
fn every_account_has_logins_before_and_during_its_terms() {
    for account in small() {
        let local_day =
            |at: DateTime<Utc>| at.with_timezone(&account.calendar.time_zone).date_naive();
        let in_term = |at| account.terms.iter().any(|term| term.contains(local_day(at)));
        let (inside, outside): (Vec<_>, Vec<_>) =
            logins(account).into_iter().partition(|(_, at)| in_term(*at));
        assert!(
            outside.len() >= 10,
            "{}: {} logins outside the terms",
            account.slug,
            outside.len()
        );
        assert!(inside.len() >= 100, "{}: {} logins in the terms", account.slug, inside.len());
    }
}

#[test]
fn seat_edge_cases_depend_on_cutting_weeks_in_the_account_zone() {
    for account in small() {
        let mut weeks_by_user: BTreeMap<&str, (usize, BTreeSet<NaiveDate>, BTreeSet<NaiveDate>)> =
            BTreeMap::new();
        let utc =
            AccountCalendar { time_zone: chrono_tz::UTC, week_start: account.calendar.week_start };
        for (user, at) in logins(account) {
            let (count, local_weeks, utc_weeks) = weeks_by_user.entry(user).or_default();
            *count += 1;
            local_weeks.insert(local_week(&account.calendar, at));
            utc_weeks.insert(local_week(&utc, at));
        }
        let shapes: BTreeSet<(usize, usize, usize)> = weeks_by_user
            .values()
            .map(|(count, local, utc)| (*count, local.len(), utc.len()))
            .collect();
        if account.calendar.time_zone == chrono_tz::UTC {
            assert!(
                shapes.contains(&(3, 3, 3)) && shapes.contains(&(3, 2, 2)),
                "{}: {shapes:?}",
                account.slug
            );
        } else {
            // Three logins in three local weeks that UTC sees as two, and three in two
            // local weeks that UTC sees as three.
            assert!(shapes.contains(&(3, 3, 2)), "{}: {shapes:?}", account.slug);
            assert!(shapes.contains(&(3, 2, 3)), "{}: {shapes:?}", account.slug);
        }
    }
}

#[test]
fn daily_weekly_and_one_off_users_all_exist() {
    for account in small() {
        let mut per_user: BTreeMap<&str, usize> = BTreeMap::new();
        for (user, _) in logins(account) {
            *per_user.entry(user).or_default() += 1;
        }
        let counts: Vec<usize> = per_user.values().copied().collect();
        // 52 weeks of five working days, less holidays of chance: well over 200.
        assert!(counts.iter().any(|&count| count > 200), "{}: {counts:?}", account.slug);
        assert!(
            counts.iter().any(|&count| (25..=52).contains(&count)),
            "{}: {counts:?}",
            account.slug
        );
        assert!(counts.contains(&1), "{}: {counts:?}", account.slug);
    }
}
