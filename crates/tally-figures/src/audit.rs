//! The audit log as a table, read with the leave `tally-access` grants: all of
//! an account's entries for its administrators, the audit details of their own
//! action runs for a member.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tally_access::AuditView;
use tally_audit::{AuditEntry, AuditError, AuditQuery, AuditStore, Diff};
use tally_report::{Cell, ColumnKind};
use tally_store::{RunColumn, RunQuery, Store, StoreError};
use utoipa::ToSchema;

use crate::{FigureColumn, FigureTable, optional_text, text};

/// Why an audit read was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditReadError {
    /// A member asked for entries without naming one of their runs.
    #[error("a member reads the audit details of one of their own action runs: give its run_id")]
    RunRequired,
    /// A member named a run that is not theirs (or does not exist).
    #[error("no action run {run_id:?} of yours")]
    NotYourRun {
        /// The run asked for.
        run_id: String,
    },
    /// The event store failed.
    #[error("reading the action runs")]
    Store(#[from] StoreError),
    /// The audit log failed.
    #[error("reading the audit log")]
    Audit(#[from] AuditError),
}

// The stored `tally_audit::AuditEntry` (its change) less what a listing does not show
// (the account, which is the listing's, the sender's event id, the snapshots
// and the chain hash), read from it by `From`. It is its own struct because it
// is what the listing's table, its JSON and its OpenAPI schema describe, none
// of which belongs in the audit store.
/// One audit log entry as the listing shows it (snapshots are in its detail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AuditRow {
    /// Its place in the account's chain, in arrival order.
    pub seq: u64,
    /// When the change happened.
    pub at: DateTime<Utc>,
    /// The resource kind.
    pub resource: String,
    /// The resource's identifier.
    pub resource_id: Option<String>,
    /// `create`, `update`, `delete` or `timer_expired`.
    pub operation: String,
    /// `user`, `integration` or `webhook`.
    pub source_type: String,
    /// The user's name or email, or the integration's or webhook's name.
    pub source: String,
    /// The system that made the change.
    pub origin: String,
    /// `success` or `failure`.
    pub status: String,
    /// What went wrong, for failures.
    pub error: Option<String>,
    /// The user's id when the source is a user of the account.
    pub user: Option<String>,
    /// For entities: the blueprint.
    pub blueprint: Option<String>,
    /// For entities: the entity.
    pub entity: Option<String>,
    /// The action run that caused the change.
    pub run_id: Option<String>,
    /// For integrations: the integration.
    pub integration: Option<String>,
}

impl From<&AuditEntry> for AuditRow {
    fn from(entry: &AuditEntry) -> AuditRow {
        let change = &entry.change;
        AuditRow {
            seq: entry.seq,
            at: entry.at,
            resource: change.resource.as_str().to_owned(),
            resource_id: change.resource_id.clone(),
            operation: change.operation.as_str().to_owned(),
            source_type: change.source_type.as_str().to_owned(),
            source: change.source.clone(),
            origin: change.origin.as_str().to_owned(),
            status: change.status.as_str().to_owned(),
            error: change.error.clone(),
            user: change.user.clone(),
            blueprint: change.blueprint.clone(),
            entity: change.entity.clone(),
            run_id: change.run_id.clone(),
            integration: change.integration.clone(),
        }
    }
}

/// The audit log listing. Sorts are done by the audit store; ties by arrival.
pub static AUDIT_ENTRIES: FigureTable<AuditRow> = FigureTable {
    title: "Audit log",
    columns: &[
        FigureColumn {
            name: "at",
            title: "Date",
            kind: ColumnKind::DateTime,
            cell: |row| Cell::DateTime(row.at),
        },
        FigureColumn {
            name: "seq",
            title: "Seq",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.seq as i64),
        },
        FigureColumn {
            name: "resource",
            title: "Resource",
            kind: ColumnKind::Text,
            cell: |row| text(&row.resource),
        },
        FigureColumn {
            name: "resource_id",
            title: "Resource id",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.resource_id.as_deref()),
        },
        FigureColumn {
            name: "operation",
            title: "Operation",
            kind: ColumnKind::Text,
            cell: |row| text(&row.operation),
        },
        FigureColumn {
            name: "source_type",
            title: "Source type",
            kind: ColumnKind::Text,
            cell: |row| text(&row.source_type),
        },
        FigureColumn {
            name: "source",
            title: "Source",
            kind: ColumnKind::Text,
            cell: |row| text(&row.source),
        },
        FigureColumn {
            name: "origin",
            title: "Origin",
            kind: ColumnKind::Text,
            cell: |row| text(&row.origin),
        },
        FigureColumn {
            name: "status",
            title: "Status",
            kind: ColumnKind::Text,
            cell: |row| text(&row.status),
        },
        FigureColumn {
            name: "error",
            title: "Error",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.error.as_deref()),
        },
        FigureColumn {
            name: "user",
            title: "User",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.user.as_deref()),
        },
        FigureColumn {
            name: "blueprint",
            title: "Blueprint",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.blueprint.as_deref()),
        },
        FigureColumn {
            name: "entity",
            title: "Entity",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.entity.as_deref()),
        },
        FigureColumn {
            name: "run_id",
            title: "Run",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.run_id.as_deref()),
        },
        FigureColumn {
            name: "integration",
            title: "Integration",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.integration.as_deref()),
        },
    ],
    key: &[],
    default_sort: "-at",
};

/// One entry with its snapshots and their diff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditDetail {
    /// The entry's fields.
    #[serde(flatten)]
    pub entry: AuditRow,
    /// The resource before the change, secrets and sensitive fields hashed.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The resource after the change, secrets and sensitive fields hashed.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// What changed, or why that cannot be said (a snapshot is missing).
    #[schema(value_type = Object)]
    pub diff: Diff,
}

/// Checks that a member's `run_id` is one of their runs.
fn check_member_run(
    store: &Store,
    view: &AuditView,
    run_id: Option<&str>,
) -> Result<(), AuditReadError> {
    let Some(runs) = view.member_runs() else { return Ok(()) };
    let run_id = run_id.ok_or(AuditReadError::RunRequired)?;
    let query = RunQuery {
        user: None,
        action: None,
        status: None,
        run_id: Some(run_id.to_owned()),
        from: None,
        to: None,
        sort: RunColumn::At,
        descending: false,
        after: None,
        limit: 1,
    };
    if store.runs(runs, &query)?.is_empty() {
        return Err(AuditReadError::NotYourRun { run_id: run_id.to_owned() });
    }
    Ok(())
}

/// A page of the account's audit log under `view`: a member must name one of
/// their own runs in `query.run_id`.
pub fn audit_entries(
    store: &Store,
    log: &AuditStore,
    view: &AuditView,
    query: &AuditQuery,
) -> Result<Vec<AuditEntry>, AuditReadError> {
    check_member_run(store, view, query.run_id.as_deref())?;
    Ok(log.query(view.account(), query)?)
}

/// Every entry of the account's audit log under `view` that matches `query`'s
/// filters, in its order, handed to `visit` one at a time: read a page of
/// `query.limit` entries at a time (each page after the last entry of the one
/// before), so that memory does not grow with the number of entries. A member
/// must name one of their own runs, as for [`audit_entries`]. Stops at the
/// first error, `visit`'s own included.
pub fn for_each_audit_entry<E: From<AuditReadError>>(
    store: &Store,
    log: &AuditStore,
    view: &AuditView,
    query: &AuditQuery,
    mut visit: impl FnMut(&AuditEntry) -> Result<(), E>,
) -> Result<(), E> {
    let mut page_query = query.clone();
    loop {
        let page = audit_entries(store, log, view, &page_query)?;
        for entry in &page {
            visit(entry)?;
        }
        match page.last() {
            Some(last) if page.len() == page_query.limit => {
                page_query.after = Some(last.after(page_query.sort));
            }
            _ => return Ok(()),
        }
    }
}

/// The entry `seq` of the account's audit log under `view`, if it may be read: a
/// member reads only entries of their own runs.
pub fn audit_entry(
    store: &Store,
    log: &AuditStore,
    view: &AuditView,
    seq: u64,
) -> Result<Option<AuditDetail>, AuditReadError> {
    let Some(entry) = log.get(view.account(), seq)? else { return Ok(None) };
    if view.member_runs().is_some() {
        match check_member_run(store, view, entry.change.run_id.as_deref()) {
            Ok(()) => {}
            // Someone else's entry is as absent as a missing one.
            Err(AuditReadError::RunRequired | AuditReadError::NotYourRun { .. }) => {
                return Ok(None);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(Some(AuditDetail {
        entry: AuditRow::from(&entry),
        diff: entry.diff(),
        before: entry.change.before,
        after: entry.change.after,
    }))
}

#[cfg(test)]
mod tests {
    use tally_access::Principal;
    use tally_audit::{AuditColumn, AuditOptions, AuditQuery, AuditStore, NewAuditEntry};
    use tally_store::{Store, StoreOptions};

    use super::for_each_audit_entry;

    fn entry(id: &str, hour: u32) -> NewAuditEntry {
        let line = format!(
            r#"{{"id":"{id}","kind":"audit_entry","at":"2026-03-02T{hour:02}:00:00Z","resource":"secret","resource_id":"s","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success"}}"#
        );
        let batch =
            tally_events::check_batch(line.as_bytes(), &tally_events::Limits::default()).unwrap();
        let tally_events::EventBody::AuditEntry(audit) = &batch.events[0].event.body else {
            panic!("an audit entry")
        };
        NewAuditEntry::from_event(id, batch.events[0].event.at, audit)
    }

    /// Visits every entry with pages of `limit`, answering the ids in order.
    fn check(entries: usize, limit: usize, expected: &[&str]) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("tally.sqlite");
        let store = Store::open(&db, &StoreOptions::default()).unwrap();
        let key = tally_audit::load_or_create_key(&tally_audit::key_file_for(&db)).unwrap();
        let mut log = AuditStore::open(&db, &AuditOptions::new(key)).unwrap();
        let appended: Vec<NewAuditEntry> =
            (0..entries).map(|n| entry(&format!("e{n}"), 8 + n as u32)).collect();
        log.append("acme", &appended).unwrap();
        let view = Principal::database_holder("acme").read_audit("acme").unwrap();
        let query =
            AuditQuery { sort: AuditColumn::At, descending: false, limit, ..AuditQuery::default() };
        let mut seen = Vec::new();
        for_each_audit_entry::<super::AuditReadError>(&store, &log, &view, &query, |entry| {
            seen.push(entry.event_id.clone());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, expected, "{entries} entries, pages of {limit}");
    }

    #[test]
    fn every_entry_is_visited_once_across_pages() {
        // 5 entries in pages of 2: 2 + 2 + 1.
        check(5, 2, &["e0", "e1", "e2", "e3", "e4"]);
        // 4 in pages of 2: two full pages, then an empty one ends it.
        check(4, 2, &["e0", "e1", "e2", "e3"]);
        check(0, 2, &[]);
    }
}
