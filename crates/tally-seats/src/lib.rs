//! Tally's active-seat rule: which users of an account are billable seats, since
//! when, and the monthly figures customers are billed on.
//!
//! A pure engine: no I/O, no clock, no async runtime. Feed a [`SeatLedger`] the
//! account's logins and user lifecycle changes, in any order; ask it who is an
//! active seat at an instant, for the monthly counts, or why a user is or is not a
//! seat. The exact semantics are in `docs/seats.md`.
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use tally_calendar::AccountCalendar;
//! use tally_seats::{SeatLedger, SeatRule, SeatStatus};
//!
//! let term = "2026-01-01..2027-01-01".parse().unwrap();
//! let mut ledger = SeatLedger::new(AccountCalendar::default(), &[term], SeatRule::default()).unwrap();
//! let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
//! // Three logins in three different weeks (Mondays 2026-03-02, 03-09 and 03-16).
//! for login in ["2026-03-02T09:00:00Z", "2026-03-10T09:00:00Z", "2026-03-18T09:00:00Z"] {
//!     ledger.record_login("ada", at(login));
//! }
//! assert_eq!(ledger.activations("ada")[0].at, at("2026-03-18T09:00:00Z"));
//! assert_eq!(ledger.status_at("ada", at("2026-06-01T00:00:00Z")), SeatStatus::Active);
//! ```

#![deny(missing_docs)]

mod counts;
mod ledger;
mod readings;
mod recompute;
mod rule;

pub use counts::{
    KeptActivation, KeptLogAt, KeptLogin, KeptUser, SeatCountChanges, UserEvent, counted_under,
    term_months,
};
pub use ledger::{Activation, LifecycleChange, SeatError, SeatLedger, SeatStatus, UserHistory};
pub use readings::{ActivatedSeat, MonthlySeats, SeatExplanation, WeekOfLogins};
pub use rule::{SeatRule, SeatRuleError};
pub use tally_calendar::{Month, MonthError, local_date, start_of_day, week_of, week_of_date};
