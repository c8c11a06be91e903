//! Account configuration: the calendar every figure of an account is computed in.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;

/// The calendar settings of one account (a customer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCalendar {
    /// The zone in which weeks, months, "today" and "yesterday" are evaluated.
    pub time_zone: Tz,
    /// The first day of the account's calendar week.
    pub week_start: Weekday,
}

impl Default for AccountCalendar {
    fn default() -> Self {
        AccountCalendar { time_zone: Tz::UTC, week_start: Weekday::Mon }
    }
}

/// A subscription term: the dates during which logins count towards active seats.
///
/// `start` is the first day of the term and `end` the first day after it, both in
/// the account's time zone, so consecutive terms share a boundary and never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubscriptionTerm {
    /// First day of the term (inclusive).
    pub start: NaiveDate,
    /// First day after the term (exclusive).
    pub end: NaiveDate,
}

/// Why an account setting could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountConfigError {
    /// The time zone is not an IANA name.
    #[error(
        "{value:?} is not an IANA time zone name (for example Europe/Berlin or America/New_York)"
    )]
    UnknownTimeZone {
        /// The text given.
        value: String,
    },
    /// The week start is not a day of the week.
    #[error("{value:?} is not a day of the week (expected monday ... sunday)")]
    UnknownWeekday {
        /// The text given.
        value: String,
    },
    /// The term is not `START..END` with two ISO dates.
    #[error(
        "{value:?} is not a term: expected START..END with ISO dates, for example 2026-01-01..2027-01-01"
    )]
    MalformedTerm {
        /// The text given.
        value: String,
    },
    /// The term ends on or before its start.
    #[error("term {value:?} ends on or before it starts")]
    EmptyTerm {
        /// The text given.
        value: String,
    },
}

/// Parses an IANA time zone name such as `Europe/Berlin`.
pub fn parse_time_zone(text: &str) -> Result<Tz, AccountConfigError> {
    Tz::from_str(text.trim())
        .map_err(|_| AccountConfigError::UnknownTimeZone { value: text.to_owned() })
}

/// Parses a day of the week in English, full or abbreviated, any case.
pub fn parse_weekday(text: &str) -> Result<Weekday, AccountConfigError> {
    Weekday::from_str(text.trim())
        .map_err(|_| AccountConfigError::UnknownWeekday { value: text.to_owned() })
}

impl SubscriptionTerm {
    /// Whether a calendar day (in the account's zone) falls inside the term.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day < self.end
    }
}

impl FromStr for SubscriptionTerm {
    type Err = AccountConfigError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || AccountConfigError::MalformedTerm { value: text.to_owned() };
        let (start, end) = text.trim().split_once("..").ok_or_else(malformed)?;
        let start = NaiveDate::parse_from_str(start, "%Y-%m-%d").map_err(|_| malformed())?;
        let end = NaiveDate::parse_from_str(end, "%Y-%m-%d").map_err(|_| malformed())?;
        if end <= start {
            return Err(AccountConfigError::EmptyTerm { value: text.to_owned() });
        }
        Ok(SubscriptionTerm { start, end })
    }
}

impl fmt::Display for SubscriptionTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_term(input: &str, expected: Result<(&str, &str), AccountConfigError>) {
        let expected = expected.map(|(start, end)| SubscriptionTerm {
            start: start.parse().unwrap(),
            end: end.parse().unwrap(),
        });
        assert_eq!(input.parse::<SubscriptionTerm>(), expected, "input {input:?}");
    }

    #[test]
    fn terms_are_half_open_date_ranges() {
        check_term("2026-01-15..2027-01-15", Ok(("2026-01-15", "2027-01-15")));
        check_term(
            "2026-01-15",
            Err(AccountConfigError::MalformedTerm { value: "2026-01-15".into() }),
        );
        check_term(
            "2026-02-30..2027-01-01",
            Err(AccountConfigError::MalformedTerm { value: "2026-02-30..2027-01-01".into() }),
        );
        check_term(
            "2026-01-01..2026-01-01",
            Err(AccountConfigError::EmptyTerm { value: "2026-01-01..2026-01-01".into() }),
        );
        let term: SubscriptionTerm = "2026-01-15..2027-01-15".parse().unwrap();
        assert!(term.contains("2026-01-15".parse().unwrap()));
        assert!(term.contains("2027-01-14".parse().unwrap()));
        assert!(!term.contains("2027-01-15".parse().unwrap()));
    }

    #[test]
    fn zones_and_weekdays_name_the_bad_input() {
        assert_eq!(parse_time_zone("Europe/Berlin"), Ok(chrono_tz::Europe::Berlin));
        assert_eq!(
            parse_time_zone("Mars/Olympus"),
            Err(AccountConfigError::UnknownTimeZone { value: "Mars/Olympus".into() })
        );
        assert_eq!(parse_weekday("Sunday"), Ok(Weekday::Sun));
        assert_eq!(parse_weekday("mon"), Ok(Weekday::Mon));
        assert_eq!(
            parse_weekday("funday"),
            Err(AccountConfigError::UnknownWeekday { value: "funday".into() })
        );
    }
}
