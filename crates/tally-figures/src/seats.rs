//! Active seats (D1-D3) as tables: monthly figures, the activated seats log,
//! and one user's explanation. The columns are documented in docs/seats.md.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tally_access::AccountUsage;
use tally_calendar::SubscriptionTerm;
use tally_report::{Cell, ColumnKind};
use tally_seats::{Month, SeatStatus, local_date};
use tally_store::{Account, Store, StoreError};
use utoipa::ToSchema;

use crate::{FigureColumn, FigureTable, MonthRange, optional_text, text};

/// Active seats in one calendar month of the account's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MonthlySeatsRow {
    /// The month, `YYYY-MM`.
    #[serde(serialize_with = "crate::display")]
    #[schema(value_type = String, example = "2026-03")]
    pub month: Month,
    /// Users who were an active seat at some moment of the month.
    pub seats: u32,
    /// `seats` minus the month before's.
    pub change: i64,
    /// `change` as a percentage of the month before's seats (25.0 is +25%); null
    /// when the month before had none.
    pub change_percent: Option<f64>,
}

/// Monthly active seats.
pub static MONTHLY_SEATS: FigureTable<MonthlySeatsRow> = FigureTable {
    title: "Monthly active seats",
    columns: &[
        FigureColumn {
            name: "month",
            title: "Month",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.month.to_string()),
        },
        FigureColumn {
            name: "seats",
            title: "Active seats",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.seats.into()),
        },
        FigureColumn {
            name: "change",
            title: "Change",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.change),
        },
        FigureColumn {
            name: "change_percent",
            title: "Change (%)",
            kind: ColumnKind::Percentage,
            cell: |row| row.change_percent.map_or(Cell::Empty, Cell::Percentage),
        },
    ],
    key: &["month"],
    default_sort: "month",
};

/// Monthly active seats over the account's terms, of the account or of one
/// organization, from the persisted seat state.
pub fn monthly_seats(
    store: &Store,
    usage: &AccountUsage,
    organization: Option<&str>,
) -> Result<Vec<MonthlySeatsRow>, StoreError> {
    Ok(store
        .monthly_seats(usage, organization)?
        .into_iter()
        .map(|figure| MonthlySeatsRow {
            month: figure.month,
            seats: figure.seats,
            change: figure.change,
            change_percent: figure.change_percent,
        })
        .collect())
}

/// [`monthly_seats`] in `months` only, up to the month holding `at` in the
/// account's time zone: later months would only carry today's seats forward,
/// since a seat stays active to the end of its term.
pub fn monthly_seats_between(
    store: &Store,
    usage: &AccountUsage,
    organization: Option<&str>,
    months: MonthRange,
    at: DateTime<Utc>,
) -> Result<Vec<MonthlySeatsRow>, StoreError> {
    let calendar = store.account(usage.account())?.calendar;
    let last = Month::of(local_date(&calendar, at));
    let mut rows = monthly_seats(store, usage, organization)?;
    rows.retain(|row| months.contains(row.month) && row.month <= last);
    Ok(rows)
}

/// The term of `account` holding `at`, in the account's time zone; `None`
/// when `at` is in none of them.
pub fn term_holding(account: &Account, at: DateTime<Utc>) -> Option<SubscriptionTerm> {
    let day = local_date(&account.calendar, at);
    account.terms.iter().find(|term| term.contains(day)).copied()
}

fn status_name<S: serde::Serializer>(
    status: &SeatStatus,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(status.as_str())
}

/// Which users of the activated seats log to keep: those with one status, and
/// those seen in one organization.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivatedSeatFilter {
    /// Only users with this status at the log's instant.
    pub status: Option<SeatStatus>,
    /// Only users seen in this organization.
    pub organization: Option<String>,
}

impl ActivatedSeatFilter {
    /// Whether `row` is kept.
    pub fn keeps(&self, row: &ActivatedSeatRow) -> bool {
        self.status.is_none_or(|status| row.status == status)
            && self
                .organization
                .as_ref()
                .is_none_or(|organization| row.organizations.contains(organization))
    }

    /// The rows of `log` that are kept, in order.
    pub fn select(&self, log: &[ActivatedSeatRow]) -> Vec<ActivatedSeatRow> {
        log.iter().filter(|row| self.keeps(row)).cloned().collect()
    }
}

/// A user in the activated seats log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActivatedSeatRow {
    /// The user's id in the account's events.
    pub user: String,
    /// From the user's latest `user_added`.
    pub email: Option<String>,
    /// From the user's latest `user_added`.
    pub display_name: Option<String>,
    /// The organizations the user was seen in.
    pub organizations: Vec<String>,
    /// From the user's latest `user_added` or `user_teams_changed`.
    pub teams: Vec<String>,
    /// When the user became an active seat in the term (RFC 3339, UTC).
    pub activated_at: DateTime<Utc>,
    /// Counted logins in the term up to the log's instant.
    pub logins: u32,
    /// Distinct calendar weeks with a counted login in the term up to the log's instant.
    pub weeks: u32,
    /// The user's status at the log's instant: active, not_yet_active, disabled, removed or outside_term.
    #[serde(serialize_with = "status_name")]
    #[schema(value_type = String)]
    pub status: SeatStatus,
}

/// The activated seats log. Lists of organizations and teams are joined with
/// `"; "` in files.
pub static ACTIVATED_SEATS: FigureTable<ActivatedSeatRow> = FigureTable {
    title: "Activated seats",
    columns: &[
        FigureColumn {
            name: "user",
            title: "User",
            kind: ColumnKind::Text,
            cell: |row| text(&row.user),
        },
        FigureColumn {
            name: "email",
            title: "Email",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.email.as_deref()),
        },
        FigureColumn {
            name: "display_name",
            title: "Display name",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.display_name.as_deref()),
        },
        FigureColumn {
            name: "organizations",
            title: "Organizations",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.organizations.join("; ")),
        },
        FigureColumn {
            name: "teams",
            title: "Teams",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.teams.join("; ")),
        },
        FigureColumn {
            name: "activated_at",
            title: "Activated at",
            kind: ColumnKind::DateTime,
            cell: |row| Cell::DateTime(row.activated_at),
        },
        FigureColumn {
            name: "logins",
            title: "Logins",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.logins.into()),
        },
        FigureColumn {
            name: "weeks",
            title: "Weeks",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.weeks.into()),
        },
        FigureColumn {
            name: "status",
            title: "Status",
            kind: ColumnKind::Text,
            cell: |row| text(row.status.as_str()),
        },
    ],
    key: &["user"],
    default_sort: "activated_at",
};

/// The activated seats log at `at`, by user.
pub fn activated_seats(
    store: &Store,
    usage: &AccountUsage,
    at: DateTime<Utc>,
) -> Result<Vec<ActivatedSeatRow>, StoreError> {
    Ok(store
        .activated_seats(usage, at)?
        .into_iter()
        .map(|entry| ActivatedSeatRow {
            user: entry.seat.user,
            email: entry.email,
            display_name: entry.display_name,
            organizations: entry.organizations,
            teams: entry.teams,
            activated_at: entry.seat.activated_at,
            logins: entry.seat.logins,
            weeks: entry.seat.weeks,
            status: entry.seat.status,
        })
        .collect())
}

/// Why one user is or is not an active seat at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SeatExplanationBody {
    /// The user.
    pub user: String,
    /// The instant explained.
    pub at: DateTime<Utc>,
    /// The user's status at `at`: active, not_yet_active, disabled, removed or outside_term.
    #[serde(serialize_with = "status_name")]
    #[schema(value_type = String)]
    pub status: SeatStatus,
    /// Why, in one sentence.
    pub reason: String,
    /// The term holding `at`, if any.
    pub term: Option<TermBody>,
    /// The rule applied.
    pub rule: RuleBody,
    /// The login that made the user a seat in this term, if any.
    pub activated_at: Option<DateTime<Utc>>,
    /// Counted logins in the term up to `at`, by calendar week.
    pub weeks: Vec<WeekBody>,
}

/// A subscription term: from `start` up to but not including `end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TermBody {
    /// The first day.
    pub start: NaiveDate,
    /// The day after the last.
    pub end: NaiveDate,
}

/// The seat rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RuleBody {
    /// Distinct calendar weeks needed.
    pub weeks_needed: u32,
    /// Counted logins needed.
    pub logins_needed: u32,
    /// Logins a week needs to count.
    pub logins_per_week: u32,
}

/// Counted logins in one calendar week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WeekBody {
    /// The week's first day, in the account's time zone.
    pub week: NaiveDate,
    /// The logins' instants.
    pub logins: Vec<DateTime<Utc>>,
    /// Whether the week counts towards the rule.
    pub counts: bool,
}

/// `user`'s seat explanation at `at`, from the persisted seat state.
pub fn seat_explanation(
    store: &Store,
    usage: &AccountUsage,
    user: &str,
    at: DateTime<Utc>,
) -> Result<SeatExplanationBody, StoreError> {
    let explanation = store.explain_seat(usage, user, at)?;
    Ok(SeatExplanationBody {
        user: user.to_owned(),
        at,
        status: explanation.status,
        reason: explanation.reason(),
        term: explanation.term.map(|term| TermBody { start: term.start, end: term.end }),
        rule: RuleBody {
            weeks_needed: explanation.rule.weeks_needed,
            logins_needed: explanation.rule.logins_needed,
            logins_per_week: explanation.rule.logins_per_week,
        },
        activated_at: explanation.activation.map(|activation| activation.at),
        weeks: explanation
            .weeks
            .into_iter()
            .map(|week| WeekBody { week: week.week, logins: week.logins, counts: week.counts })
            .collect(),
    })
}

/// One counted login of an explanation, as a table row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountedLogin {
    /// The first day of the login's calendar week, in the account's time zone.
    pub week: NaiveDate,
    /// The login.
    pub login_at: DateTime<Utc>,
    /// Counted logins in that week.
    pub week_logins: u32,
    /// Whether that week counts towards the rule.
    pub week_counts: bool,
}

impl SeatExplanationBody {
    /// The counted logins, one row each, in order.
    pub fn counted_logins(&self) -> Vec<CountedLogin> {
        self.weeks
            .iter()
            .flat_map(|week| {
                week.logins.iter().map(|login| CountedLogin {
                    week: week.week,
                    login_at: *login,
                    week_logins: week.logins.len() as u32,
                    week_counts: week.counts,
                })
            })
            .collect()
    }
}

/// An explanation's counted logins as a table; the explanation's reason is its
/// title where a format has one.
pub static COUNTED_LOGINS: FigureTable<CountedLogin> = FigureTable {
    title: "Counted logins",
    columns: &[
        FigureColumn {
            name: "week",
            title: "Week of",
            kind: ColumnKind::Date,
            cell: |row| Cell::Date(row.week),
        },
        FigureColumn {
            name: "login_at",
            title: "Login",
            kind: ColumnKind::DateTime,
            cell: |row| Cell::DateTime(row.login_at),
        },
        FigureColumn {
            name: "week_logins",
            title: "Logins that week",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.week_logins.into()),
        },
        FigureColumn {
            name: "week_counts",
            title: "Week counts",
            kind: ColumnKind::Text,
            cell: |row| text(if row.week_counts { "yes" } else { "no" }),
        },
    ],
    key: &["login_at"],
    default_sort: "login_at",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn row(user: &str, organizations: &[&str], status: SeatStatus) -> ActivatedSeatRow {
        ActivatedSeatRow {
            user: user.into(),
            email: None,
            display_name: None,
            organizations: organizations.iter().map(|name| name.to_string()).collect(),
            teams: Vec::new(),
            activated_at: "2026-03-16T09:00:00Z".parse().unwrap(),
            logins: 3,
            weeks: 3,
            status,
        }
    }

    fn check(filter: ActivatedSeatFilter, expected: &[&str]) {
        let log = [
            row("u-1", &["east"], SeatStatus::Active),
            row("u-2", &["east", "west"], SeatStatus::Removed),
            row("u-3", &["west"], SeatStatus::Active),
        ];
        let kept: Vec<String> = filter.select(&log).into_iter().map(|row| row.user).collect();
        assert_eq!(kept, expected, "{filter:?}");
    }

    #[test]
    fn the_activated_log_is_filtered_by_status_and_organization() {
        check(ActivatedSeatFilter::default(), &["u-1", "u-2", "u-3"]);
        let active = Some(SeatStatus::Active);
        check(ActivatedSeatFilter { status: active, organization: None }, &["u-1", "u-3"]);
        let west = Some("west".to_owned());
        check(ActivatedSeatFilter { status: None, organization: west.clone() }, &["u-2", "u-3"]);
        check(ActivatedSeatFilter { status: active, organization: west }, &["u-3"]);
    }
}
