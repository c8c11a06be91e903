//! Action runs, as the runs listing shows them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tally_report::{Cell, ColumnKind};
use tally_store::RunState;
use utoipa::ToSchema;

use crate::{FigureColumn, FigureTable, optional_text, text};

// The store's `tally_store::RunState` less its sequence number in the event
// log, which only the store's keyset paging needs. It is its own struct
// because it is what the listing's table, its JSON and its OpenAPI schema
// describe, which the store knows nothing of; `From<RunState>` is the one
// place the two meet.
/// One reported state of an action run: a run that reports progress has a row
/// per report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RunRow {
    /// When the state was reported.
    pub at: DateTime<Utc>,
    /// The run's id.
    pub run_id: String,
    /// The action.
    pub action: String,
    /// The organization the action belongs to.
    pub organization: String,
    /// `ui`, `api` or `automation`.
    pub trigger: String,
    /// `in_progress`, `success`, `failure` or `cancelled`.
    pub status: String,
    /// Who ran it, if a person did.
    pub user: Option<String>,
}

impl From<RunState> for RunRow {
    fn from(state: RunState) -> RunRow {
        RunRow {
            at: state.at,
            run_id: state.run_id,
            action: state.action,
            organization: state.organization,
            trigger: state.trigger,
            status: state.status,
            user: state.user,
        }
    }
}

/// The runs listing, its columns in `tally_store::RunColumn::ALL` order. Ties
/// are ordered by arrival, which the store keeps (not a column).
pub static RUNS: FigureTable<RunRow> = FigureTable {
    title: "Action runs",
    columns: &[
        FigureColumn {
            name: "at",
            title: "At",
            kind: ColumnKind::DateTime,
            cell: |row| Cell::DateTime(row.at),
        },
        FigureColumn {
            name: "run_id",
            title: "Run",
            kind: ColumnKind::Text,
            cell: |row| text(&row.run_id),
        },
        FigureColumn {
            name: "action",
            title: "Action",
            kind: ColumnKind::Text,
            cell: |row| text(&row.action),
        },
        FigureColumn {
            name: "organization",
            title: "Organization",
            kind: ColumnKind::Text,
            cell: |row| text(&row.organization),
        },
        FigureColumn {
            name: "trigger",
            title: "Trigger",
            kind: ColumnKind::Text,
            cell: |row| text(&row.trigger),
        },
        FigureColumn {
            name: "status",
            title: "Status",
            kind: ColumnKind::Text,
            cell: |row| text(&row.status),
        },
        FigureColumn {
            name: "user",
            title: "User",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.user.as_deref()),
        },
    ],
    key: &[],
    default_sort: "-at",
};

#[cfg(test)]
mod tests {
    use tally_store::RunColumn;

    #[test]
    fn the_columns_are_the_stores_sort_columns_in_order() {
        let names: Vec<&str> = super::RUNS.columns.iter().map(|column| column.name).collect();
        let store: Vec<&str> = RunColumn::ALL.iter().map(|column| column.name()).collect();
        assert_eq!(names, store);
    }
}
