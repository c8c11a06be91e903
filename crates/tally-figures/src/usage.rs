//! Usage from the event log: event counts per kind and month, of one account or
//! across the accounts a staff team may see.

use serde::Serialize;
use tally_access::{AccountUsage, MonitorView};
use tally_events::EventKind;
use tally_report::{Cell, ColumnKind};
use tally_store::{Store, StoreError};
use utoipa::ToSchema;

use crate::{FigureColumn, FigureTable, text};

/// Events of one kind in one calendar month of the account's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EventCount {
    /// The month, `YYYY-MM`, in the account's time zone.
    #[schema(example = "2026-03")]
    pub month: String,
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
            cell: |row| text(&row.month),
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

/// The account's event counts, by month then kind.
pub fn event_counts(store: &Store, usage: &AccountUsage) -> Result<Vec<EventCount>, StoreError> {
    Ok(store
        .monthly_event_counts(usage)?
        .into_iter()
        .map(|count| EventCount {
            month: count.month.to_string(),
            kind: count.kind,
            events: count.events,
        })
        .collect())
}

/// Events of one kind in one month of one account's time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AccountEventCount {
    /// The account's slug.
    pub account: String,
    /// The month, `YYYY-MM`, in the account's time zone.
    pub month: String,
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
            cell: |row| text(&row.month),
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

/// Event counts of every account in the monitor's scope.
pub fn monitor_event_counts(
    store: &Store,
    view: &MonitorView,
) -> Result<Vec<AccountEventCount>, StoreError> {
    Ok(store
        .monitor_event_counts(view)?
        .into_iter()
        .map(|(account, count)| AccountEventCount {
            account,
            month: count.month.to_string(),
            kind: count.kind,
            events: count.events,
        })
        .collect())
}
