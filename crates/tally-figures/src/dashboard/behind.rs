//! The activity behind a widget's figure (drill-down): the day rows the
//! figure was summed from, by day, kind, organization, subject, user, role and
//! teams.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tally_access::AccountUsage;
use tally_events::EventKind;
use tally_report::{Cell, ColumnKind};
use tally_store::{ActivityFilter, Store, StoreError};
use utoipa::ToSchema;

use crate::{FigureColumn, FigureTable, optional_text, text};

/// Events of one kind on one day by one user in one role and set of teams,
/// about one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActivityRow {
    /// The local day, YYYY-MM-DD.
    #[serde(serialize_with = "crate::display")]
    #[schema(value_type = String, example = "2026-04-01")]
    pub day: NaiveDate,
    /// The event kind.
    #[schema(value_type = String, example = "page_visit")]
    pub kind: EventKind,
    /// The organization, if the events named one.
    pub organization: Option<String>,
    /// The page, action, automation, AI source or MCP tool; null when the
    /// events had none (logins, AI invocations of source "Other").
    pub subject: Option<String>,
    /// An action run's trigger.
    pub detail: Option<String>,
    /// The user, if a person did it.
    pub user: Option<String>,
    /// Their role at the events' instants.
    pub role: Option<String>,
    /// Their teams at the events' instants.
    pub teams: Vec<String>,
    /// Events (runs, for action and automation runs).
    pub events: u64,
    /// MCP calls that failed.
    pub failures: u64,
    /// The earliest event.
    pub first_at: DateTime<Utc>,
    /// The latest event.
    pub last_at: DateTime<Utc>,
}

/// The activity listing.
pub static ACTIVITY: FigureTable<ActivityRow> = FigureTable {
    title: "Activity",
    columns: &[
        FigureColumn {
            name: "day",
            title: "Day",
            kind: ColumnKind::Date,
            cell: |row| Cell::Date(row.day),
        },
        FigureColumn {
            name: "kind",
            title: "Kind",
            kind: ColumnKind::Text,
            cell: |row| text(row.kind.wire_name()),
        },
        FigureColumn {
            name: "organization",
            title: "Organization",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.organization.as_deref()),
        },
        FigureColumn {
            name: "subject",
            title: "Page, action, source or tool",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.subject.as_deref()),
        },
        FigureColumn {
            name: "detail",
            title: "Trigger",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.detail.as_deref()),
        },
        FigureColumn {
            name: "user",
            title: "User",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.user.as_deref()),
        },
        FigureColumn {
            name: "role",
            title: "Role",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.role.as_deref()),
        },
        FigureColumn {
            name: "teams",
            title: "Teams",
            kind: ColumnKind::Text,
            cell: |row| text(&row.teams.join("; ")),
        },
        FigureColumn {
            name: "events",
            title: "Events",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.events as i64),
        },
        FigureColumn {
            name: "failures",
            title: "Failures",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.failures as i64),
        },
        FigureColumn {
            name: "first_at",
            title: "First",
            kind: ColumnKind::DateTime,
            cell: |row| Cell::DateTime(row.first_at),
        },
        FigureColumn {
            name: "last_at",
            title: "Last",
            kind: ColumnKind::DateTime,
            cell: |row| Cell::DateTime(row.last_at),
        },
    ],
    key: &["day", "kind", "organization", "subject", "detail", "user", "role", "teams"],
    default_sort: "day",
};

/// The activity `filter` keeps, latency buckets summed.
pub fn activity_rows(
    store: &Store,
    usage: &AccountUsage,
    filter: &ActivityFilter,
) -> Result<Vec<ActivityRow>, StoreError> {
    type Key = (
        NaiveDate,
        EventKind,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Vec<String>,
    );
    let mut rows: BTreeMap<Key, ActivityRow> = BTreeMap::new();
    store.for_each_activity(usage, filter, |count| {
        let role = count.role.map(|role| role.as_str().to_owned());
        let key = (
            count.day,
            count.kind,
            count.organization.clone(),
            count.subject.clone(),
            count.detail.clone(),
            count.user.clone(),
            role.clone(),
            count.teams.clone(),
        );
        rows.entry(key)
            .and_modify(|row| {
                row.events += count.events;
                row.failures += count.failures;
                row.first_at = row.first_at.min(count.first);
                row.last_at = row.last_at.max(count.last);
            })
            .or_insert(ActivityRow {
                day: count.day,
                kind: count.kind,
                organization: count.organization,
                subject: count.subject,
                detail: count.detail,
                user: count.user,
                role,
                teams: count.teams,
                events: count.events,
                failures: count.failures,
                first_at: count.first,
                last_at: count.last,
            });
    })?;
    Ok(rows.into_values().collect())
}
