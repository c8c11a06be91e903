//! Usage from the event log: event counts per kind and month, of one account or
//! across the accounts a staff team may see.

use serde::Serialize;
use tally_access::{AccountUsage, MonitorView};
use tally_events::EventKind;
use tally_report::{Cell, ColumnKind};
use tally_seats::Month;
use tally_store::{Store, StoreError};
use utoipa::ToSchema;

use crate::{FigureColumn, FigureTable, FilterError, MonthRange, text};

/// Which event counts to keep: of one kind, in a range of months.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountFilter {
    kind: Option<EventKind>,
    months: MonthRange,
}

impl CountFilter {
    /// Counts of `kind` (every kind when `None`) in `months`; a kind no event
    /// has is refused.
    pub fn new(kind: Option<String>, months: MonthRange) -> Result<CountFilter, FilterError> {
        let kind = match kind {
            None => None,
            Some(text) => {
                Some(EventKind::parse(&text).ok_or(FilterError::UnknownKind { kind: text })?)
            }
        };
        Ok(CountFilter { kind, months })
    }

    /// Whether a count of `kind` in `month` is kept.
    pub fn keeps(&self, month: Month, kind: EventKind) -> bool {
        self.kind.is_none_or(|wanted| wanted == kind) && self.months.contains(month)
    }
}

/// Events of one kind in one calendar month of the account's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventCount {
    /// The month, `YYYY-MM`, in the account's time zone.
    #[serde(serialize_with = "crate::display")]
    #[schema(value_type = String, example = "2026-03")]
    pub month: Month,
    /// The event kind.
    #[schema(value_type = String, example = "login")]
    pub kind: EventKind,
    /// Events stored.
    pub events: u64,
}

/// An account's event counts.
pub static EVENT_COUNTS: FigureTable<EventCount> = FigureTable {
    title: "Event counts",
    columns: &[
        FigureColumn {
            name: "month",
            title: "Month",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.month.to_string()),
        },
        FigureColumn {
            name: "kind",
            title: "Kind",
            kind: ColumnKind::Text,
            cell: |row| text(row.kind.wire_name()),
        },
        FigureColumn {
            name: "events",
            title: "Events",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.events as i64),
        },
    ],
    key: &["month", "kind"],
    default_sort: "month",
};

/// The account's event counts that `filter` keeps, by month then kind.
pub fn event_counts(
    store: &Store,
    usage: &AccountUsage,
    filter: &CountFilter,
) -> Result<Vec<EventCount>, StoreError> {
    Ok(store
        .monthly_event_counts(usage)?
        .into_iter()
        .filter(|count| filter.keeps(count.month, count.kind))
        .map(|count| EventCount { month: count.month, kind: count.kind, events: count.events })
        .collect())
}

/// Events of one kind in one month of one account's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccountEventCount {
    /// The account's slug.
    pub account: String,
    /// The month, `YYYY-MM`, in the account's time zone.
    #[serde(serialize_with = "crate::display")]
    #[schema(value_type = String)]
    pub month: Month,
    /// The event kind.
    #[schema(value_type = String)]
    pub kind: EventKind,
    /// Events stored.
    pub events: u64,
}

/// Event counts across accounts, for the usage monitor.
pub static MONITOR_EVENT_COUNTS: FigureTable<AccountEventCount> = FigureTable {
    title: "Event counts by account",
    columns: &[
        FigureColumn {
            name: "account",
            title: "Account",
            kind: ColumnKind::Text,
            cell: |row| text(&row.account),
        },
        FigureColumn {
            name: "month",
            title: "Month",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.month.to_string()),
        },
        FigureColumn {
            name: "kind",
            title: "Kind",
            kind: ColumnKind::Text,
            cell: |row| text(row.kind.wire_name()),
        },
        FigureColumn {
            name: "events",
            title: "Events",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.events as i64),
        },
    ],
    key: &["account", "month", "kind"],
    default_sort: "account",
};

/// Event counts of every account in the monitor's scope, or of the one called
/// `account`, that `filter` keeps.
pub fn monitor_event_counts(
    store: &Store,
    view: &MonitorView,
    account: Option<&str>,
    filter: &CountFilter,
) -> Result<Vec<AccountEventCount>, StoreError> {
    Ok(store
        .monitor_event_counts(view)?
        .into_iter()
        .filter(|(slug, count)| {
            account.is_none_or(|account| account == slug) && filter.keeps(count.month, count.kind)
        })
        .map(|(account, count)| AccountEventCount {
            account,
            month: count.month,
            kind: count.kind,
            events: count.events,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(text: &str) -> Month {
        text.parse().unwrap()
    }

    fn check(filter: &CountFilter, expected: &[(&str, &str, bool)]) {
        for (month_text, kind, kept) in expected {
            assert_eq!(
                filter.keeps(month(month_text), EventKind::parse(kind).unwrap()),
                *kept,
                "{filter:?} {month_text} {kind}"
            );
        }
    }

    #[test]
    fn a_count_filter_keeps_one_kind_in_a_range_of_months() {
        let months = MonthRange::new(Some(month("2026-03")), Some(month("2026-04"))).unwrap();
        let logins = CountFilter::new(Some("login".into()), months).unwrap();
        check(
            &logins,
            &[
                ("2026-03", "login", true),
                ("2026-04", "login", true),
                ("2026-03", "page_visit", false),
                ("2026-02", "login", false),
                ("2026-05", "login", false),
            ],
        );
        check(
            &CountFilter::default(),
            &[("1999-01", "login", true), ("2026-03", "mcp_call", true)],
        );
    }

    #[test]
    fn a_kind_no_event_has_is_refused() {
        assert_eq!(
            CountFilter::new(Some("logins".into()), MonthRange::default()),
            Err(FilterError::UnknownKind { kind: "logins".into() })
        );
    }
}
