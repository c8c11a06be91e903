//! Local-time arithmetic in an account's calendar: the fixture places events at local
//! wall-clock times (09:30 on a Tuesday, 23:59 before a week starts) and stores them in UTC.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use tally_calendar::AccountCalendar;

/// An account's calendar plus the year of data generated for it.
pub(crate) struct LocalClock {
    /// The account's zone and week start.
    pub(crate) calendar: AccountCalendar,
    /// The first local day events are generated on (the day after the year began).
    pub(crate) first_day: NaiveDate,
    /// The local day holding the fixed clock's instant.
    pub(crate) last_day: NaiveDate,
}

impl LocalClock {
    /// The clock for the year that ends at `end`.
    pub(crate) fn new(calendar: AccountCalendar, end: DateTime<Utc>) -> LocalClock {
        let zone = calendar.time_zone;
        let year_start = end - TimeDelta::days(365);
        let first_day = year_start.with_timezone(&zone).date_naive() + Days::new(1);
        let last_day = end.with_timezone(&zone).date_naive();
        LocalClock { calendar, first_day, last_day }
    }

    fn zone(&self) -> Tz {
        self.calendar.time_zone
    }

    /// The instant of a local wall-clock time. An ambiguous time (the repeated hour
    /// when clocks go back) takes its first occurrence; a time that does not exist
    /// (the skipped hour when clocks go forward) moves one hour later, as a person's
    /// watch would.
    pub(crate) fn at(&self, day: NaiveDate, hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
        let wall = day
            .and_hms_opt(hour, minute, second)
            .expect("fixture times are valid wall-clock times");
        match self.zone().from_local_datetime(&wall) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
            LocalResult::None => {
                let later = wall + TimeDelta::hours(1);
                self.zone()
                    .from_local_datetime(&later)
                    .earliest()
                    .expect("one hour after a skipped time exists")
                    .with_timezone(&Utc)
            }
        }
    }

    /// The local day of an instant.
    pub(crate) fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone()).date_naive()
    }

    /// The first day of the account's week that holds `day`.
    pub(crate) fn week_start_of(&self, day: NaiveDate) -> NaiveDate {
        let into_week = days_since(day.weekday(), self.calendar.week_start);
        day - Days::new(u64::from(into_week))
    }

    /// The first days of every account week that overlaps the generated year.
    pub(crate) fn week_starts(&self) -> Vec<NaiveDate> {
        let mut week = self.week_start_of(self.first_day);
        let mut weeks = Vec::new();
        while week <= self.last_day {
            weeks.push(week);
            week = week + Days::new(7);
        }
        weeks
    }

    /// The day `fraction` of the way through the generated year.
    pub(crate) fn day_at_fraction(&self, fraction: f64) -> NaiveDate {
        let span = (self.last_day - self.first_day).num_days() as f64;
        self.first_day + Days::new((span * fraction).round() as u64)
    }

    /// Whether a day lies in the generated year.
    pub(crate) fn covers(&self, day: NaiveDate) -> bool {
        self.first_day <= day && day <= self.last_day
    }
}

/// Days from `from` forward to `day`'s weekday, 0 to 6.
pub(crate) fn days_since(day: Weekday, from: Weekday) -> u32 {
    (7 + day.num_days_from_monday() - from.num_days_from_monday()) % 7
}

/// Day `day` (1 to 28) of the month `months` after (or before, when negative) the
/// month of `anchor`.
pub(crate) fn month_offset(anchor: NaiveDate, months: i32, day: u32) -> NaiveDate {
    let month_index = anchor.year() * 12 + anchor.month0() as i32 + months;
    let year = month_index.div_euclid(12);
    let month = month_index.rem_euclid(12) as u32 + 1;
    NaiveDate::from_ymd_opt(year, month, day).expect("days 1 to 28 exist in every month")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn check_month(anchor: &str, months: i32, day: u32, expected: &str) {
        assert_eq!(month_offset(date(anchor), months, day), date(expected), "{anchor} {months:+}");
    }

    #[test]
    fn months_wrap_across_years() {
        check_month("2026-06-30", -9, 15, "2025-09-15");
        check_month("2026-01-31", -1, 15, "2025-12-15");
        check_month("2026-11-02", 3, 20, "2027-02-20");
        // -24 months from January 2026 is January 2024.
        check_month("2026-01-01", -24, 1, "2024-01-01");
    }

    #[test]
    fn local_times_around_dst_and_week_starts() {
        let end = "2026-06-30T12:00:00Z".parse().unwrap();
        let berlin = LocalClock::new(
            AccountCalendar { time_zone: chrono_tz::Europe::Berlin, week_start: Weekday::Mon },
            end,
        );
        // 2026-03-29 02:30 does not exist in Berlin (02:00 CET -> 03:00 CEST): 03:30 CEST = 01:30Z.
        assert_eq!(
            berlin.at(date("2026-03-29"), 2, 30, 0).to_rfc3339(),
            "2026-03-29T01:30:00+00:00"
        );
        // 2026-10-25 02:30 happens twice; the first is still CEST (+02:00) = 00:30Z.
        assert_eq!(
            berlin.at(date("2026-10-25"), 2, 30, 0).to_rfc3339(),
            "2026-10-25T00:30:00+00:00"
        );
        // 2026-06-28 is a Sunday, so its Monday-start week began on the 22nd.
        assert_eq!(berlin.week_start_of(date("2026-06-28")), date("2026-06-22"));
        // 2025-06-30T12:00Z + 1 day in Berlin.
        assert_eq!(berlin.first_day, date("2025-07-01"));
        assert_eq!(berlin.last_day, date("2026-06-30"));

        let los_angeles = LocalClock::new(
            AccountCalendar {
                time_zone: chrono_tz::America::Los_Angeles,
                week_start: Weekday::Sun,
            },
            end,
        );
        // Sunday-start: a Sunday starts its own week, the Saturday before belongs to the previous one.
        assert_eq!(los_angeles.week_start_of(date("2026-06-28")), date("2026-06-28"));
        assert_eq!(los_angeles.week_start_of(date("2026-06-27")), date("2026-06-21"));
    }
}
