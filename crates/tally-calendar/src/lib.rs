//! The calendar every figure of an account is computed in.
//!
//! An account (a customer) has a time zone, a first day of the week and
//! subscription terms; weeks, months, "today" and "yesterday" are those of its
//! zone. This crate holds those settings ([`AccountCalendar`],
//! [`SubscriptionTerm`]) and places instants in the account's days, weeks and
//! months ([`local_date`], [`week_of`], [`start_of_day`], [`Month`]). It is
//! shared by the event parser, the seat engine and the store, so none of them
//! needs another for it. No I/O, no clock: "now" is always an argument.
//!
//! ```
//! use chrono::{DateTime, Utc, Weekday};
//! use tally_calendar::{AccountCalendar, Month, SubscriptionTerm, local_date, parse_time_zone, week_of};
//!
//! let calendar = AccountCalendar {
//!     time_zone: parse_time_zone("Europe/Berlin").unwrap(),
//!     week_start: Weekday::Mon,
//! };
//! // 23:30 UTC on Sunday 2026-03-01 is 00:30 on Monday in Berlin (CET, +1).
//! let at: DateTime<Utc> = "2026-03-01T23:30:00Z".parse().unwrap();
//! assert_eq!(local_date(&calendar, at).to_string(), "2026-03-02");
//! assert_eq!(week_of(&calendar, at).to_string(), "2026-03-02");
//! assert_eq!(Month::of(local_date(&calendar, at)).to_string(), "2026-03");
//!
//! let term: SubscriptionTerm = "2026-01-01..2027-01-01".parse().unwrap();
//! assert!(term.contains(local_date(&calendar, at)));
//! ```

#![deny(missing_docs)]

mod account;
mod calendar;

pub use account::{
    AccountCalendar, AccountConfigError, SubscriptionTerm, parse_time_zone, parse_weekday,
};
pub use calendar::{Month, MonthError, local_date, start_of_day, week_of, week_of_date};
