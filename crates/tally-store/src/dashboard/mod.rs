//! What the usage dashboard reads (D4-D10, D12), kept as derived state.
//!
//! `Store::update_dashboard` reads the events stored since its last update, in
//! steps, into the `dashboard_*` tables (see `schema.rs`, version 6): each
//! user's role, teams and membership over time; activity per local day, kind,
//! organization, subject, user, role and teams; each action and automation run
//! once; and each entity and data source with its creations and deletions. The
//! reads below answer from those tables, never from the raw events, so a
//! widget reads few rows and its figures outlive the events' purge.
//!
//! Every event is attributed to the role and teams its user had at the event's
//! instant. A lifecycle event that arrives after events it precedes in time has
//! its user's later activity counted again from the stored events
//! (`update.rs`), so the result does not depend on the order events arrive in.

mod people;
mod sums;
mod totals;
mod update;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Value;
use tally_access::AccountUsage;
use tally_events::{EventKind, Role};

use crate::kind::StoredKind;
use crate::{Store, StoreError};

pub use people::Member;
pub use totals::Tally;
pub use update::{DASHBOARD_EVENTS_PER_STEP, DashboardUpdate};

/// The kinds whose events `dashboard_days` counts, each under a subject.
pub const ACTIVITY_KINDS: [EventKind; 6] = [
    EventKind::Login,
    EventKind::PageVisit,
    EventKind::ActionRun,
    EventKind::AutomationRun,
    EventKind::AiInvocation,
    EventKind::McpCall,
];

/// Upper bounds, in milliseconds, of the latency buckets MCP calls are counted
/// in: bucket `i` holds calls of more than `LATENCY_BUCKETS_MS[i - 1]` and at
/// most `LATENCY_BUCKETS_MS[i]` ms. Each bound is about 1.19 times the last (a
/// quarter of a binary order, rounded up to a whole millisecond), so a
/// percentile read as its bucket's bound is at most 19% (and 1 ms) above the
/// exact one; the last bucket ends at a day, the longest call accepted.
pub const LATENCY_BUCKETS_MS: [u32; 99] = latency_buckets();

const fn latency_buckets() -> [u32; 99] {
    // 1, 2, 3, 4 ms exactly, then each bound the last times 2^(1/4), rounded
    // up, computed in integers: (bound * 1189207 + 999999) / 1000000.
    let mut bounds = [0u32; 99];
    let mut index = 0;
    let mut bound: u64 = 1;
    while index < 99 {
        bounds[index] = if bound > 86_400_000 { 86_400_000 } else { bound as u32 };
        let next = (bound * 1_189_207).div_ceil(1_000_000);
        bound = if next > bound { next } else { bound + 1 };
        index += 1;
    }
    bounds
}

/// The latency bucket a call of `duration_ms` is counted in.
pub fn latency_bucket(duration_ms: u32) -> usize {
    LATENCY_BUCKETS_MS
        .partition_point(|bound| *bound < duration_ms)
        .min(LATENCY_BUCKETS_MS.len() - 1)
}

/// Local days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    /// The first day.
    pub first: NaiveDate,
    /// The last day.
    pub last: NaiveDate,
}

/// Which activity to read: kinds in a range of days, optionally narrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFilter {
    /// The kinds to read; each must be one of [`ACTIVITY_KINDS`].
    pub kinds: Vec<EventKind>,
    /// The days.
    pub days: DayRange,
    /// Only this organization's.
    pub organization: Option<String>,
    /// Only what users did while in this team.
    pub team: Option<String>,
    /// Only what users did while in this role.
    pub role: Option<Role>,
    /// Only this subject (page, action, automation, source, tool).
    pub subject: Option<String>,
    /// Only this user's.
    pub user: Option<String>,
}

/// Events of one kind on one day, by one user in one role and set of teams,
/// about one subject: a row of `dashboard_days`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCount {
    /// The kind.
    pub kind: EventKind,
    /// The local day.
    pub day: NaiveDate,
    /// The organization, `None` when the events named none.
    pub organization: Option<String>,
    /// The page, action, automation, AI source or MCP tool; `None` when the
    /// events had none (logins; AI invocations without a source).
    pub subject: Option<String>,
    /// An action run's trigger (`ui`, `api`, `automation`).
    pub detail: Option<String>,
    /// The user, `None` when no person did it.
    pub user: Option<String>,
    /// The user's role at the events' instants, `None` without a user.
    pub role: Option<Role>,
    /// The user's teams at the events' instants.
    pub teams: Vec<String>,
    /// Events (runs, for action and automation runs).
    pub events: u64,
    /// MCP calls with status `failure`.
    pub failures: u64,
    /// The earliest event's instant.
    pub first: DateTime<Utc>,
    /// The latest event's instant.
    pub last: DateTime<Utc>,
}

/// A run of an action or an automation, counted once however many states it
/// reported, as the runs log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardRun {
    /// `action_run` or `automation_run`.
    pub kind: EventKind,
    /// The organization.
    pub organization: String,
    /// The run's id.
    pub run_id: String,
    /// The action or automation.
    pub name: String,
    /// How an action run was started; `None` for automations.
    pub trigger: Option<String>,
    /// The earliest state's instant.
    pub started: DateTime<Utc>,
    /// The latest state (by instant).
    pub status: String,
    /// When the latest state was reported.
    pub status_at: DateTime<Utc>,
    /// States reported.
    pub states: u64,
}

/// Which runs to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFilter {
    /// `action_run` or `automation_run`.
    pub kind: EventKind,
    /// Runs started at or after this instant.
    pub from: DateTime<Utc>,
    /// Runs started before this instant.
    pub to: DateTime<Utc>,
    /// Only this organization's.
    pub organization: Option<String>,
}

/// What the dashboard keeps a catalog of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Catalog {
    /// Entities, each identified by organization, blueprint and id.
    Entities,
    /// Data sources, each identified by organization and id.
    DataSources,
}

impl Catalog {
    pub(crate) fn stored_name(self) -> &'static str {
        match self {
            Catalog::Entities => "entity",
            Catalog::DataSources => "data_source",
        }
    }
}

/// Creations and deletions of one category (an entity's blueprint, a data
/// source's type) in one organization on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogDay {
    /// The local day.
    pub day: NaiveDate,
    /// The organization.
    pub organization: String,
    /// The blueprint or data source type.
    pub category: String,
    /// Items created that day.
    pub created: u64,
    /// Items deleted that day.
    pub deleted: u64,
}

/// One entity or data source and its lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogItem {
    /// The organization.
    pub organization: String,
    /// The entity's or data source's id.
    pub item: String,
    /// The blueprint or data source type.
    pub category: String,
    /// The data source's display name (empty for entities).
    pub name: String,
    /// Each life: created, and deleted if it was.
    pub lives: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
}

/// What a data-availability floor is asked of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorOf {
    /// The activity of one kind.
    Activity(EventKind),
    /// A catalog's changes.
    Catalog(Catalog),
}

impl Store {
    /// Calls `visit` with every `dashboard_days` row of the account that
    /// `filter` keeps, in (kind, day) order.
    pub fn for_each_activity(
        &self,
        usage: &AccountUsage,
        filter: &ActivityFilter,
        mut visit: impl FnMut(ActivityCount),
    ) -> Result<(), StoreError> {
        let account = self.account(usage.account())?;
        let doing = || format!("reading the dashboard activity of account {}", account.slug);
        let sqlite = |error| StoreError::sqlite(doing())(error);
        let mut sql = String::from(
            "SELECT kind, day, organization, subject, detail, user, role, teams, events,
                    failures, first_us, last_us
             FROM dashboard_days
             WHERE account_id = ?1 AND kind = ?2 AND day BETWEEN ?3 AND ?4",
        );
        let mut values = vec![Value::Null; 4];
        let mut narrow = |column: &str, value: Option<String>| {
            if let Some(value) = value {
                values.push(Value::Text(value));
                sql.push_str(&format!(" AND {column} = ?{}", values.len()));
            }
        };
        narrow("organization", filter.organization.clone());
        narrow("subject", filter.subject.clone());
        narrow("user", filter.user.clone());
        narrow("role", filter.role.map(|role| role.as_str().to_owned()));
        if let Some(team) = &filter.team {
            values.push(Value::Text(team.clone()));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM json_each(teams) WHERE value = ?{})",
                values.len()
            ));
        }
        sql.push_str(" ORDER BY kind, day");
        let mut statement = self.connection.prepare_cached(&sql).map_err(sqlite)?;
        values[0] = Value::Integer(account.id.0);
        values[2] = Value::Text(filter.days.first.to_string());
        values[3] = Value::Text(filter.days.last.to_string());
        for kind in &filter.kinds {
            values[1] = StoredKind(*kind).into();
            let mut rows =
                statement.query(rusqlite::params_from_iter(values.iter())).map_err(sqlite)?;
            while let Some(row) = rows.next().map_err(sqlite)? {
                visit(activity_count(row).map_err(sqlite)?);
            }
        }
        Ok(())
    }

    /// The account's runs of one kind that `filter` keeps, earliest first.
    pub fn dashboard_runs(
        &self,
        usage: &AccountUsage,
        filter: &RunFilter,
    ) -> Result<Vec<DashboardRun>, StoreError> {
        let account = self.account(usage.account())?;
        let doing = format!("reading the runs of account {}", account.slug);
        // Only columns of `dashboard_runs_by_start`: a month of runs is read
        // from the index without a lookup of each run's row.
        self.collect_rows(
            "SELECT organization, run_id, subject, detail, started_us, status, status_us, states
             FROM dashboard_runs
             WHERE account_id = ?1 AND kind = ?2 AND started_us >= ?3 AND started_us < ?4
               AND (?5 IS NULL OR organization = ?5)
             ORDER BY started_us, organization, run_id",
            rusqlite::params![
                account.id.0,
                StoredKind(filter.kind),
                filter.from.timestamp_micros(),
                filter.to.timestamp_micros(),
                filter.organization,
            ],
            &doing,
            |row| {
                Ok(DashboardRun {
                    kind: filter.kind,
                    organization: row.get(0)?,
                    run_id: row.get(1)?,
                    name: row.get(2)?,
                    trigger: non_empty(row.get(3)?),
                    started: instant(row.get(4)?),
                    status: row.get(5)?,
                    status_at: instant(row.get(6)?),
                    states: row.get::<_, i64>(7)? as u64,
                })
            },
        )
    }

    /// The account's creations and deletions of a catalog's items per day, in
    /// day order, optionally of one organization.
    pub fn catalog_days(
        &self,
        usage: &AccountUsage,
        catalog: Catalog,
        organization: Option<&str>,
    ) -> Result<Vec<CatalogDay>, StoreError> {
        let account = self.account(usage.account())?;
        let doing = format!("reading the {} of account {}", catalog.stored_name(), account.slug);
        self.collect_rows(
            "SELECT day, organization, category, created, deleted FROM dashboard_item_days
             WHERE account_id = ?1 AND catalog = ?2 AND (?3 IS NULL OR organization = ?3)
             ORDER BY day, organization, category",
            rusqlite::params![account.id.0, catalog.stored_name(), organization],
            &doing,
            |row| {
                Ok(CatalogDay {
                    day: day_of(&row.get::<_, String>(0)?)?,
                    organization: row.get(1)?,
                    category: row.get(2)?,
                    created: row.get::<_, i64>(3)? as u64,
                    deleted: row.get::<_, i64>(4)? as u64,
                })
            },
        )
    }

    /// The account's items of a catalog that were ever created, with their
    /// lives, optionally of one organization, by organization and id.
    pub fn catalog_items(
        &self,
        usage: &AccountUsage,
        catalog: Catalog,
        organization: Option<&str>,
    ) -> Result<Vec<CatalogItem>, StoreError> {
        let account = self.account(usage.account())?;
        let doing = format!("reading the {} of account {}", catalog.stored_name(), account.slug);
        let rows: Vec<(String, String, String, String, String)> = self.collect_rows(
            "SELECT organization, item, category, name, changes FROM dashboard_items
             WHERE account_id = ?1 AND catalog = ?2 AND (?3 IS NULL OR organization = ?3)
             ORDER BY organization, blueprint, item",
            rusqlite::params![account.id.0, catalog.stored_name(), organization],
            &doing,
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
        )?;
        let mut items = Vec::with_capacity(rows.len());
        for (organization, item, category, name, changes) in rows {
            let changes = update::read_changes(&changes).map_err(|_| StoreError::CorruptValue {
                table: "dashboard_items",
                column: "changes",
                value: changes.clone(),
            })?;
            let lives = update::lives(&changes)
                .into_iter()
                .map(|(created, deleted)| (instant(created), deleted.map(instant)))
                .collect::<Vec<_>>();
            if !lives.is_empty() {
                items.push(CatalogItem { organization, item, category, name, lives });
            }
        }
        Ok(items)
    }

    /// The first instant the dashboard has data for, `None` when it has none.
    pub fn dashboard_floor(
        &self,
        usage: &AccountUsage,
        of: FloorOf,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let account = self.account(usage.account())?;
        let doing = || format!("reading the dashboard's first data of account {}", account.slug);
        let first: Option<i64> = match of {
            FloorOf::Activity(kind) => self.connection.query_row(
                "SELECT min(first_us) FROM dashboard_days WHERE account_id = ?1 AND kind = ?2
                   AND day = (SELECT min(day) FROM dashboard_days
                              WHERE account_id = ?1 AND kind = ?2)",
                rusqlite::params![account.id.0, StoredKind(kind)],
                |row| row.get(0),
            ),
            FloorOf::Catalog(catalog) => self.connection.query_row(
                "SELECT min(first_us) FROM dashboard_item_floors
                 WHERE account_id = ?1 AND catalog = ?2",
                rusqlite::params![account.id.0, catalog.stored_name()],
                |row| row.get(0),
            ),
        }
        .map_err(StoreError::sqlite(doing()))?;
        Ok(first.map(instant))
    }
}

fn activity_count(row: &rusqlite::Row<'_>) -> rusqlite::Result<ActivityCount> {
    let StoredKind(kind) = row.get(0)?;
    Ok(ActivityCount {
        kind,
        day: day_of(&row.get::<_, String>(1)?)?,
        organization: non_empty(row.get(2)?),
        subject: non_empty(row.get(3)?),
        detail: non_empty(row.get(4)?),
        user: non_empty(row.get(5)?),
        role: Role::parse(&row.get::<_, String>(6)?),
        teams: teams_of(&row.get::<_, String>(7)?),
        events: row.get::<_, i64>(8)? as u64,
        failures: row.get::<_, i64>(9)? as u64,
        first: instant(row.get(10)?),
        last: instant(row.get(11)?),
    })
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// Instants in the dashboard tables were checked events' instants.
fn instant(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

fn teams_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn day_of(text: &str) -> rusqlite::Result<NaiveDate> {
    text.parse().map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(error))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_buckets_grow_by_a_quarter_of_a_binary_order() {
        assert_eq!(&LATENCY_BUCKETS_MS[..6], &[1, 2, 3, 4, 5, 6]);
        for pair in LATENCY_BUCKETS_MS.windows(2) {
            assert!(pair[1] > pair[0], "{pair:?}");
            // Past the first few, where rounding up to whole milliseconds
            // dominates, each bound is at most 1.19 times the last.
            if pair[0] >= 16 {
                assert!(f64::from(pair[1]) <= f64::from(pair[0]) * 1.19 + 1.0, "{pair:?}");
            }
        }
        assert_eq!(LATENCY_BUCKETS_MS[98], 86_400_000);
        assert!(LATENCY_BUCKETS_MS[97] < 86_400_000);
    }

    #[test]
    fn a_call_falls_in_the_first_bucket_whose_bound_holds_it() {
        assert_eq!(latency_bucket(0), 0);
        assert_eq!(latency_bucket(1), 0);
        assert_eq!(latency_bucket(2), 1);
        let index = latency_bucket(1_000);
        assert!(LATENCY_BUCKETS_MS[index] >= 1_000 && LATENCY_BUCKETS_MS[index - 1] < 1_000);
        assert_eq!(latency_bucket(86_400_000), 98);
    }
}
