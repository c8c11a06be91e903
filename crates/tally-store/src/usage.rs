//! Usage read straight from the event log: event counts per month and the action
//! runs listing. Each read takes the capability `tally-access` grants for it.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use tally_access::{AccountUsage, MonitorView, RunsView, TrackingChange};
use tally_events::EventKind;
use tally_seats::{Month, start_of_day};

use crate::kind::StoredKind;
use crate::{Store, StoreError};

/// Events of one kind in one calendar month of the account's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyKindCount {
    /// The month, in the account's time zone.
    pub month: Month,
    /// The kind.
    pub kind: EventKind,
    /// Events stored.
    pub events: u64,
}

/// A module, or one activity of a module, that the usage monitor tracks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TrackedActivity {
    /// The module, as `activity` events name it.
    pub module: String,
    /// One activity of the module, or `None` for all of them.
    pub activity: Option<String>,
}

/// A column the runs listing can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunColumn {
    /// When the state was reported.
    At,
    /// The run's id.
    RunId,
    /// The action.
    Action,
    /// The organization the action belongs to.
    Organization,
    /// How the run was started.
    Trigger,
    /// The run's state.
    Status,
    /// Who ran it (empty when no person did).
    User,
}

impl RunColumn {
    /// Every column, in listing order.
    pub const ALL: [RunColumn; 7] = [
        RunColumn::At,
        RunColumn::RunId,
        RunColumn::Action,
        RunColumn::Organization,
        RunColumn::Trigger,
        RunColumn::Status,
        RunColumn::User,
    ];

    /// The column's name in the listing.
    pub fn name(self) -> &'static str {
        match self {
            RunColumn::At => "at",
            RunColumn::RunId => "run_id",
            RunColumn::Action => "action",
            RunColumn::Organization => "organization",
            RunColumn::Trigger => "trigger",
            RunColumn::Status => "status",
            RunColumn::User => "user",
        }
    }

    /// The column's value in SQL: never null, so that row-value comparisons
    /// (the keyset) order every row.
    fn sql(self) -> &'static str {
        match self {
            RunColumn::At => "at_us",
            RunColumn::RunId => "payload ->> '$.run_id'",
            RunColumn::Action => "payload ->> '$.action'",
            RunColumn::Organization => "payload ->> '$.organization'",
            RunColumn::Trigger => "payload ->> '$.trigger'",
            RunColumn::Status => "payload ->> '$.status'",
            RunColumn::User => "coalesce(payload ->> '$.user', '')",
        }
    }
}

/// A sort key value of the runs listing: an instant's microseconds or text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RunKey {
    /// Microseconds since the epoch (the `at` column).
    Micros(i64),
    /// Text (every other column).
    Text(String),
}

/// Where a page of runs starts: after the row with this sort value and sequence
/// number. Rows are ordered by the sort column, then by arrival, so the order is
/// total and a row that arrives later never shifts the rows already paged through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunsAfter {
    /// The sort column's value in the last row seen.
    pub key: RunKey,
    /// The last row's sequence number.
    pub seq: i64,
}

/// Which run states to list, in which order, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunQuery {
    /// Only this user's runs.
    pub user: Option<String>,
    /// Only this action's runs.
    pub action: Option<String>,
    /// Only runs in this state.
    pub status: Option<String>,
    /// Only this run.
    pub run_id: Option<String>,
    /// Only states reported at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only states reported before this instant.
    pub to: Option<DateTime<Utc>>,
    /// The sort column.
    pub sort: RunColumn,
    /// Whether from the largest value down.
    pub descending: bool,
    /// Start after this row (from the previous page's last row).
    pub after: Option<RunsAfter>,
    /// At most this many rows.
    pub limit: usize,
}

/// One reported state of an action run, with its place in the event log for
/// paging; the runs listing shows it as `tally_figures::runs::RunRow`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunState {
    /// The event's sequence number in the log.
    pub seq: i64,
    /// When the state was reported.
    pub at: DateTime<Utc>,
    /// The run's id.
    pub run_id: String,
    /// The action.
    pub action: String,
    /// The organization the action belongs to.
    pub organization: String,
    /// How the run was started.
    pub trigger: String,
    /// The run's state.
    pub status: String,
    /// Who ran it, if a person did.
    pub user: Option<String>,
}

impl RunState {
    /// This row's value of `column`, to resume after it.
    pub fn key(&self, column: RunColumn) -> RunKey {
        match column {
            RunColumn::At => RunKey::Micros(self.at.timestamp_micros()),
            RunColumn::RunId => RunKey::Text(self.run_id.clone()),
            RunColumn::Action => RunKey::Text(self.action.clone()),
            RunColumn::Organization => RunKey::Text(self.organization.clone()),
            RunColumn::Trigger => RunKey::Text(self.trigger.clone()),
            RunColumn::Status => RunKey::Text(self.status.clone()),
            RunColumn::User => RunKey::Text(self.user.clone().unwrap_or_default()),
        }
    }
}

impl Store {
    /// Stored events per kind and calendar month of the account's time zone,
    /// by month then kind; months and kinds without events are left out.
    ///
    /// Read from the kept counts plus the events stored since they were last
    /// brought up to date ([`Store::update_usage_months`]); for an account whose
    /// counts were never kept, counted over the (account, kind, instant) index,
    /// which grows with the account's events.
    pub fn monthly_event_counts(
        &self,
        usage: &AccountUsage,
    ) -> Result<Vec<MonthlyKindCount>, StoreError> {
        self.monthly_event_counts_of(&self.account(usage.account())?)
    }

    /// [`Store::monthly_event_counts`] of every account in the monitor's scope,
    /// by account slug.
    pub fn monitor_event_counts(
        &self,
        view: &MonitorView,
    ) -> Result<Vec<(String, MonthlyKindCount)>, StoreError> {
        let mut counts = Vec::new();
        for account in self.accounts()? {
            if view.scope().includes(&account.slug) {
                let of_account = self.monthly_event_counts_of(&account)?;
                counts.extend(of_account.into_iter().map(|count| (account.slug.clone(), count)));
            }
        }
        Ok(counts)
    }

    /// What the usage monitor tracks, read for no one: for the API's live
    /// monitor, which computes the figures of every staff scope at once and
    /// so acts for no principal. The list names modules and activities, never
    /// an account, so reading it needs no leave; a forged staff view would
    /// have been a capability for every account's figures.
    pub fn monitor_tracking_in_force(&self) -> Result<Vec<TrackedActivity>, StoreError> {
        read_tracking(&self.connection)
            .map_err(StoreError::sqlite("reading what the monitor tracks"))
    }

    /// The modules and activities the usage monitor tracks; empty means all.
    /// The list is the same for every staff team, so the view is asked for as
    /// leave only.
    pub fn monitor_tracking(
        &self,
        _leave: &MonitorView,
    ) -> Result<Vec<TrackedActivity>, StoreError> {
        read_tracking(&self.connection)
            .map_err(StoreError::sqlite("reading what the monitor tracks"))
    }

    /// Replaces what the usage monitor tracks; an empty list tracks everything.
    /// Answers the list it replaced, read in the same transaction, so that the
    /// change can be recorded as it was made.
    pub fn set_monitor_tracking(
        &mut self,
        change: &TrackingChange,
        tracked: &[TrackedActivity],
    ) -> Result<Vec<TrackedActivity>, StoreError> {
        let doing = || format!("setting what the monitor tracks (staff team {})", change.team());
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::sqlite(doing()))?;
        let replaced = read_tracking(&transaction).map_err(StoreError::sqlite(doing()))?;
        transaction
            .execute("DELETE FROM monitor_tracking", [])
            .map_err(StoreError::sqlite(doing()))?;
        for item in tracked {
            transaction
                .execute(
                    "INSERT OR IGNORE INTO monitor_tracking (module, activity) VALUES (?1, ?2)",
                    rusqlite::params![item.module, item.activity.as_deref().unwrap_or("")],
                )
                .map_err(StoreError::sqlite(doing()))?;
        }
        transaction.commit().map_err(StoreError::sqlite(doing()))?;
        Ok(replaced)
    }

    fn monthly_event_counts_of(
        &self,
        account: &crate::Account,
    ) -> Result<Vec<MonthlyKindCount>, StoreError> {
        if let Some(kept) = self.kept_usage_months(account)? {
            let mut counts: Vec<MonthlyKindCount> = kept
                .into_iter()
                .filter(|(_, events)| *events > 0)
                .map(|((kind, month), events)| MonthlyKindCount { month, kind, events })
                .collect();
            counts.sort_by_key(|count| (count.month, count.kind));
            return Ok(counts);
        }
        self.counted_over_the_index(account)
    }

    fn counted_over_the_index(
        &self,
        account: &crate::Account,
    ) -> Result<Vec<MonthlyKindCount>, StoreError> {
        let doing = || format!("counting the events of account {} per month", account.slug);
        let sqlite = |error| StoreError::sqlite(doing())(error);
        let mut span = self
            .connection
            .prepare_cached(
                "SELECT min(at_us), max(at_us) FROM events WHERE account_id = ?1 AND kind = ?2",
            )
            .map_err(sqlite)?;
        let mut count = self
            .connection
            .prepare_cached(
                "SELECT count(*) FROM events
                 WHERE account_id = ?1 AND kind = ?2 AND at_us >= ?3 AND at_us < ?4",
            )
            .map_err(sqlite)?;
        let calendar = &account.calendar;
        let month_of = |at_us: i64| {
            let at = DateTime::from_timestamp_micros(at_us).unwrap_or_default();
            Month::of(tally_seats::local_date(calendar, at))
        };
        let start_us = |month: Month| start_of_day(calendar, month.first_day()).timestamp_micros();
        let mut counts = Vec::new();
        for &kind in EventKind::ALL {
            let (first, last): (Option<i64>, Option<i64>) = span
                .query_row(rusqlite::params![account.id.0, StoredKind(kind)], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .map_err(sqlite)?;
            let (Some(first), Some(last)) = (first, last) else { continue };
            let mut month = month_of(first);
            let last = month_of(last);
            while month <= last {
                let events: i64 = count
                    .query_row(
                        rusqlite::params![
                            account.id.0,
                            StoredKind(kind),
                            start_us(month),
                            start_us(month.next())
                        ],
                        |row| row.get(0),
                    )
                    .map_err(sqlite)?;
                if events > 0 {
                    counts.push(MonthlyKindCount { month, kind, events: events as u64 });
                }
                month = month.next();
            }
        }
        counts.sort_by_key(|count| (count.month, count.kind));
        Ok(counts)
    }

    /// A page of the account's action run states: every run for an administrator,
    /// their own for a member, whatever `query.user` asks.
    pub fn runs(&self, view: &RunsView, query: &RunQuery) -> Result<Vec<RunState>, StoreError> {
        let account = self.account(view.account())?;
        let doing = || format!("listing the action runs of account {}", account.slug);
        let sqlite = |error| StoreError::sqlite(doing())(error);
        let mut sql = String::from(
            "SELECT seq, at_us, payload ->> '$.run_id', payload ->> '$.action',
                    payload ->> '$.organization', payload ->> '$.trigger',
                    payload ->> '$.status', payload ->> '$.user'
             FROM events WHERE account_id = ?1 AND kind = ?2",
        );
        let mut values: Vec<Value> =
            vec![Value::Integer(account.id.0), StoredKind(EventKind::ActionRun).into()];
        let mut bind = |sql: &mut String, condition: &str, value: Value| {
            values.push(value);
            sql.push_str(&format!(" AND {condition} ?{}", values.len()));
        };
        let text = |value: &str| Value::Text(value.to_owned());
        if let Some(user) = view.only_user() {
            bind(&mut sql, "payload ->> '$.user' =", text(user));
        }
        if let Some(user) = &query.user {
            bind(&mut sql, "payload ->> '$.user' =", text(user));
        }
        if let Some(action) = &query.action {
            bind(&mut sql, "payload ->> '$.action' =", text(action));
        }
        if let Some(status) = &query.status {
            bind(&mut sql, "payload ->> '$.status' =", text(status));
        }
        if let Some(run_id) = &query.run_id {
            bind(&mut sql, "payload ->> '$.run_id' =", text(run_id));
        }
        if let Some(from) = query.from {
            bind(&mut sql, "at_us >=", Value::Integer(from.timestamp_micros()));
        }
        if let Some(to) = query.to {
            bind(&mut sql, "at_us <", Value::Integer(to.timestamp_micros()));
        }
        let column = query.sort.sql();
        let (order, beyond) = if query.descending { ("DESC", "<") } else { ("ASC", ">") };
        if let Some(after) = &query.after {
            let key = match &after.key {
                RunKey::Micros(micros) => Value::Integer(*micros),
                RunKey::Text(text) => Value::Text(text.clone()),
            };
            values.push(key);
            values.push(Value::Integer(after.seq));
            sql.push_str(&format!(
                " AND ({column}, seq) {beyond} (?{}, ?{})",
                values.len() - 1,
                values.len()
            ));
        }
        values.push(Value::Integer(query.limit as i64));
        sql.push_str(&format!(" ORDER BY {column} {order}, seq {order} LIMIT ?{}", values.len()));
        let mut statement = self.connection.prepare(&sql).map_err(sqlite)?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(values), |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    [row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?],
                    row.get::<_, Option<String>>(7)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(sqlite)?;
        rows.into_iter()
            .map(|(seq, at_us, fields, user): (i64, i64, [String; 5], Option<String>)| {
                let at = DateTime::from_timestamp_micros(at_us).ok_or_else(|| {
                    StoreError::CorruptValue {
                        table: "events",
                        column: "at_us",
                        value: at_us.to_string(),
                    }
                })?;
                let [run_id, action, organization, trigger, status] = fields;
                Ok(RunState { seq, at, run_id, action, organization, trigger, status, user })
            })
            .collect()
    }
}

/// The tracked modules and activities, by module then activity.
fn read_tracking(connection: &rusqlite::Connection) -> rusqlite::Result<Vec<TrackedActivity>> {
    let mut statement = connection.prepare_cached(
        "SELECT module, activity FROM monitor_tracking ORDER BY module, activity",
    )?;
    let rows = statement.query_map([], |row| {
        let activity: String = row.get(1)?;
        Ok(TrackedActivity {
            module: row.get(0)?,
            activity: (!activity.is_empty()).then_some(activity),
        })
    })?;
    rows.collect()
}
