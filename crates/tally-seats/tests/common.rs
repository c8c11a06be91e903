//! Helpers shared by the seat tests.

use chrono::{DateTime, Utc, Weekday};
use tally_calendar::{AccountCalendar, SubscriptionTerm};
use tally_seats::{SeatLedger, SeatRule};

pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_else(|_| panic!("{text} is an RFC 3339 instant"))
}

pub fn term(text: &str) -> SubscriptionTerm {
    text.parse().unwrap()
}

pub fn calendar(zone: chrono_tz::Tz, week_start: Weekday) -> AccountCalendar {
    AccountCalendar { time_zone: zone, week_start }
}

/// A UTC account with Monday weeks, the seed's rule and one term, 2026.
pub fn ledger() -> SeatLedger {
    SeatLedger::new(
        AccountCalendar::default(),
        &[term("2026-01-01..2027-01-01")],
        SeatRule::default(),
    )
    .unwrap()
}

/// Mondays 2026-03-02, 03-09 and 03-16 at 09:00Z: one
/// login in each of three calendar weeks, so a seat from the third under the
/// default rule.
pub const THREE_MARCH_MONDAYS: [&str; 3] =
    ["2026-03-02T09:00:00Z", "2026-03-09T09:00:00Z", "2026-03-16T09:00:00Z"];

pub fn logins(ledger: &mut SeatLedger, user: &str, instants: &[&str]) {
    for instant in instants {
        ledger.record_login(user, at(instant));
    }
}

/// The instants of a user's activations, as RFC 3339 text.
pub fn activated(ledger: &SeatLedger, user: &str) -> Vec<String> {
    ledger
        .activations(user)
        .iter()
        .map(|activation| activation.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .collect()
}
