//! Placing instants in an account's calendar: local days, weeks and months.

use crate::account::AccountCalendar;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// The calendar day of `at` in the account's zone.
pub fn local_date(calendar: &AccountCalendar, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&calendar.time_zone).date_naive()
}

/// The first day of the calendar week holding `at`, in the account's zone and
/// with its first day of the week. Weeks are named by that day.
pub fn week_of(calendar: &AccountCalendar, at: DateTime<Utc>) -> NaiveDate {
    week_of_date(calendar, local_date(calendar, at))
}

/// The first day of the calendar week holding `day`.
pub fn week_of_date(calendar: &AccountCalendar, day: NaiveDate) -> NaiveDate {
    let days_in =
        (7 + day.weekday().num_days_from_monday() - calendar.week_start.num_days_from_monday()) % 7;
    day - Duration::days(i64::from(days_in))
}

/// The instant `day` begins in the account's zone.
///
/// Where a time-zone change skips local midnight (clocks jumping from 00:00 to
/// 01:00), the day begins at the first local time that exists.
pub fn start_of_day(calendar: &AccountCalendar, day: NaiveDate) -> DateTime<Utc> {
    let zone = calendar.time_zone;
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists on every date");
    // Every gap in the tz database is a whole number of quarter hours, and shorter
    // than a day.
    (0..96)
        .find_map(|quarter| {
            zone.from_local_datetime(&(midnight + Duration::minutes(15 * quarter))).earliest()
        })
        .expect("some quarter hour of every day exists")
        .with_timezone(&Utc)
}

/// A calendar month, in the account's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

impl Month {
    /// The month holding `day`.
    pub fn of(day: NaiveDate) -> Month {
        Month { year: day.year(), month: day.month() }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month")
    }

    /// The month before it.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { year: self.year, month: self.month - 1 }
        }
    }

    /// The month after it.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Text that is not a month written `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not a month such as 2026-03 (YYYY-MM)")]
pub struct MonthError {
    /// The text given.
    pub given: String,
}

impl std::str::FromStr for Month {
    type Err = MonthError;

    /// Reads `YYYY-MM`: four digits, a dash, two digits from 01 to 12.
    fn from_str(text: &str) -> Result<Month, MonthError> {
        let bad = || MonthError { given: text.to_owned() };
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        let digits =
            |part: &str, len| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return Err(bad());
        }
        let month: u32 = month.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year: year.parse().map_err(|_| bad())?, month })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Weekday;

    use super::*;

    fn calendar(zone: chrono_tz::Tz, week_start: Weekday) -> AccountCalendar {
        AccountCalendar { time_zone: zone, week_start }
    }

    fn check_week(calendar: &AccountCalendar, at: &str, expected: &str) {
        let at: DateTime<Utc> = at.parse().unwrap();
        assert_eq!(week_of(calendar, at), expected.parse::<NaiveDate>().unwrap(), "{at}");
    }

    #[test]
    fn weeks_start_on_the_accounts_day_in_its_zone() {
        let berlin = calendar(chrono_tz::Europe::Berlin, Weekday::Mon);
        // 2026-03-01 is a Sunday. 22:30 UTC on Sunday is 23:30 in Berlin (CET, +1):
        // still Sunday, so the week that began on Monday 2026-02-23.
        check_week(&berlin, "2026-03-01T22:30:00Z", "2026-02-23");
        // 23:30 UTC is 00:30 on Monday 2026-03-02 in Berlin: the next week.
        check_week(&berlin, "2026-03-01T23:30:00Z", "2026-03-02");

        let sunday_weeks = calendar(chrono_tz::America::New_York, Weekday::Sun);
        // 2026-03-08 03:30 UTC is Saturday 22:30 in New York (EST, -5): the week
        // that began on Sunday 2026-03-01.
        check_week(&sunday_weeks, "2026-03-08T03:30:00Z", "2026-03-01");
        // 2026-03-08 05:30 UTC is Sunday 00:30 (still EST): a new week.
        check_week(&sunday_weeks, "2026-03-08T05:30:00Z", "2026-03-08");

        let auckland = calendar(chrono_tz::Pacific::Auckland, Weekday::Mon);
        // Sunday 2026-06-14 12:30 UTC is Monday 00:30 in Auckland (NZST, +12).
        check_week(&auckland, "2026-06-14T12:30:00Z", "2026-06-15");
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_begins_after_the_gap() {
        // Chile (America/Santiago) moved its clocks from 00:00 to 01:00 on
        // 2026-09-06: that day begins at 01:00 local, -03:00, which is 04:00 UTC.
        let santiago = calendar(chrono_tz::America::Santiago, Weekday::Mon);
        let day = "2026-09-06".parse().unwrap();
        assert_eq!(
            start_of_day(&santiago, day),
            "2026-09-06T04:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // An ordinary day: midnight at -03:00 is 03:00 UTC.
        let day = "2026-09-07".parse().unwrap();
        assert_eq!(
            start_of_day(&santiago, day),
            "2026-09-07T03:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn months_read_back_from_their_text() {
        for (text, expected) in [("2026-03", Some((2026, 3))), ("0999-12", Some((999, 12)))] {
            let month: Month = text.parse().unwrap();
            assert_eq!(Some((month.year, month.month)), expected);
            assert_eq!(month.to_string(), text);
        }
        for bad in
            ["2026-13", "2026-00", "2026-3", "26-03", "2026/03", "2026-03-01", "+026-03", "march"]
        {
            assert_eq!(bad.parse::<Month>(), Err(MonthError { given: bad.to_owned() }), "{bad}");
        }
    }
}
