//! Reading the sums the widgets read: a range of days is read as one row per
//! whole month where it can be, and per day elsewhere.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;
use rusqlite::types::Value;
use tally_access::AccountUsage;
use tally_events::{EventKind, Role};
use tally_seats::Month;

use super::{ActivityCount, ActivityFilter, DayRange, day_of, instant, non_empty};
use crate::kind::StoredKind;
use crate::{Account, Store, StoreError};

/// Part of a range of days, read from one granularity of a sum table.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Span {
    /// The month's row stands for the part of the month in the range.
    Month(Month),
    /// Day rows from the first to the last day, both included.
    Days(NaiveDate, NaiveDate),
}

impl Span {
    /// The `period` condition and its values.
    fn condition(&self, first: usize) -> (String, Vec<Value>) {
        match self {
            Span::Month(month) => {
                (format!("period = ?{first}"), vec![Value::Text(month.to_string())])
            }
            Span::Days(from, to) => (
                // Month rows (`YYYY-MM`) sort among the days: keep days only.
                format!("length(period) = 10 AND period BETWEEN ?{first} AND ?{}", first + 1),
                vec![Value::Text(from.to_string()), Value::Text(to.to_string())],
            ),
        }
    }
}

/// Events of one kind by one user, or in one team, over a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The kind.
    pub kind: EventKind,
    /// The user, or the team.
    pub name: String,
    /// Events (runs, for action and automation runs).
    pub events: u64,
    /// The latest event's instant (users only; the range's start for teams).
    pub last: DateTime<Utc>,
}

impl Store {
    /// How to read `days` of `table` (of `kind`, for tables that have one): a
    /// month wholly inside the range, or whose rows outside the range hold
    /// nothing (the range ends with the latest data), is read as its month row.
    fn spans(
        &self,
        account: &Account,
        table: &str,
        kind: Option<EventKind>,
        days: DayRange,
    ) -> rusqlite::Result<Vec<Span>> {
        let mut spans = Vec::new();
        let mut month = Month::of(days.first);
        while month <= Month::of(days.last) {
            let (start, end) =
                (month.first_day(), month.next().first_day().pred_opt().expect("a last day"));
            let (from, to) = (start.max(days.first), end.min(days.last));
            let whole = (from == start
                || self.nothing_between(account, table, kind, start, from)?)
                && (to == end
                    || self.nothing_between(
                        account,
                        table,
                        kind,
                        to.succ_opt().unwrap_or(to),
                        end.succ_opt().unwrap_or(end),
                    )?);
            spans.push(if whole { Span::Month(month) } else { Span::Days(from, to) });
            month = month.next();
        }
        Ok(spans)
    }

    /// Whether `table` has no day row from `from` to the day before `until`.
    fn nothing_between(
        &self,
        account: &Account,
        table: &str,
        kind: Option<EventKind>,
        from: NaiveDate,
        until: NaiveDate,
    ) -> rusqlite::Result<bool> {
        if from >= until {
            return Ok(true);
        }
        let last = until.pred_opt().expect("after a day");
        let (sql, kind_value) = match kind {
            Some(kind) => (
                format!(
                    "SELECT EXISTS (SELECT 1 FROM {table} WHERE account_id = ?1 AND kind = ?4
                       AND length(period) = 10 AND period BETWEEN ?2 AND ?3)"
                ),
                Value::from(StoredKind(kind)),
            ),
            None => (
                format!(
                    "SELECT EXISTS (SELECT 1 FROM {table} WHERE account_id = ?1 AND ?4 IS NULL
                       AND length(period) = 10 AND period BETWEEN ?2 AND ?3)"
                ),
                Value::Null,
            ),
        };
        let found: bool = self.connection.prepare_cached(&sql)?.query_row(
            params![account.id.0, from.to_string(), last.to_string(), kind_value],
            |row| row.get(0),
        )?;
        Ok(!found)
    }

    /// Calls `visit` with the activity `filter` keeps, summed over users and
    /// teams: per day when `by_day`, else per month where a whole month can be
    /// read at once (its `day` is then the month's first). With a team or a
    /// user, the day rows of [`Store::for_each_activity`] are visited instead.
    pub fn for_each_activity_sum(
        &self,
        usage: &AccountUsage,
        filter: &ActivityFilter,
        by_day: bool,
        mut visit: impl FnMut(ActivityCount),
    ) -> Result<(), StoreError> {
        if filter.team.is_some() || filter.user.is_some() {
            return self.for_each_activity(usage, filter, visit);
        }
        let account = self.account(usage.account())?;
        let doing = || format!("reading the dashboard sums of account {}", account.slug);
        let sqlite = |error| StoreError::sqlite(doing())(error);
        for kind in &filter.kinds {
            let spans = if by_day {
                vec![Span::Days(filter.days.first, filter.days.last)]
            } else {
                self.spans(&account, "dashboard_totals", Some(*kind), filter.days)
                    .map_err(sqlite)?
            };
            for span in spans {
                let (period, period_values) = span.condition(3);
                let mut sql = format!(
                    "SELECT period, organization, subject, detail, role, events, failures, first_us,
                            last_us
                     FROM dashboard_totals WHERE account_id = ?1 AND kind = ?2 AND {period}"
                );
                let mut values = vec![Value::Integer(account.id.0), StoredKind(*kind).into()];
                values.extend(period_values);
                for (column, value) in [
                    ("organization", filter.organization.clone()),
                    ("subject", filter.subject.clone()),
                    ("role", filter.role.map(|role| role.as_str().to_owned())),
                ] {
                    if let Some(value) = value {
                        values.push(Value::Text(value));
                        sql.push_str(&format!(" AND {column} = ?{}", values.len()));
                    }
                }
                let mut statement = self.connection.prepare_cached(&sql).map_err(sqlite)?;
                let mut rows =
                    statement.query(rusqlite::params_from_iter(values.iter())).map_err(sqlite)?;
                while let Some(row) = rows.next().map_err(sqlite)? {
                    let period: String = row.get(0).map_err(sqlite)?;
                    let day = match &span {
                        Span::Month(month) => month.first_day(),
                        Span::Days(..) => day_of(&period).map_err(sqlite)?,
                    };
                    visit(ActivityCount {
                        kind: *kind,
                        day,
                        organization: non_empty(row.get(1).map_err(sqlite)?),
                        subject: non_empty(row.get(2).map_err(sqlite)?),
                        detail: non_empty(row.get(3).map_err(sqlite)?),
                        user: None,
                        role: Role::parse(&row.get::<_, String>(4).map_err(sqlite)?),
                        teams: Vec::new(),
                        events: row.get::<_, i64>(5).map_err(sqlite)? as u64,
                        failures: row.get::<_, i64>(6).map_err(sqlite)? as u64,
                        first: instant(row.get(7).map_err(sqlite)?),
                        last: instant(row.get(8).map_err(sqlite)?),
                    });
                }
            }
        }
        Ok(())
    }

    /// Events of `kinds` in `days` (of one organization) per user, or per team
    /// when `by_team` (an event counts in each team its user was in).
    pub fn activity_tallies(
        &self,
        usage: &AccountUsage,
        kinds: &[EventKind],
        days: DayRange,
        organization: Option<&str>,
        by_team: bool,
    ) -> Result<Vec<Tally>, StoreError> {
        let account = self.account(usage.account())?;
        let doing = || format!("reading the dashboard sums of account {}", account.slug);
        let sqlite = |error| StoreError::sqlite(doing())(error);
        let (table, name, last) = if by_team {
            ("dashboard_team_totals", "team", "0")
        } else {
            ("dashboard_user_totals", "user", "last_us")
        };
        let mut tallies: std::collections::HashMap<(EventKind, String), Tally> = Default::default();
        for kind in kinds {
            for span in self.spans(&account, table, Some(*kind), days).map_err(sqlite)? {
                let (period, period_values) = span.condition(4);
                let sql = format!(
                    "SELECT {name}, events, {last} FROM {table}
                     WHERE account_id = ?1 AND kind = ?2 AND (?3 IS NULL OR organization = ?3)
                       AND {period}"
                );
                let mut values = vec![
                    Value::Integer(account.id.0),
                    StoredKind(*kind).into(),
                    organization.map_or(Value::Null, |text| Value::Text(text.to_owned())),
                ];
                values.extend(period_values);
                let mut statement = self.connection.prepare_cached(&sql).map_err(sqlite)?;
                let mut rows =
                    statement.query(rusqlite::params_from_iter(values.iter())).map_err(sqlite)?;
                while let Some(row) = rows.next().map_err(sqlite)? {
                    let who: String = row.get(0).map_err(sqlite)?;
                    let events = row.get::<_, i64>(1).map_err(sqlite)? as u64;
                    let at = instant(row.get(2).map_err(sqlite)?);
                    let tally = tallies.entry((*kind, who.clone())).or_insert(Tally {
                        kind: *kind,
                        name: who,
                        events: 0,
                        last: at,
                    });
                    tally.events += events;
                    tally.last = tally.last.max(at);
                }
            }
        }
        let mut tallies: Vec<Tally> = tallies.into_values().collect();
        tallies.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        Ok(tallies)
    }

    /// MCP calls with a duration in `days` (of one organization) per tool
    /// (`None` for calls without one) and latency bucket.
    pub fn latency_tallies(
        &self,
        usage: &AccountUsage,
        days: DayRange,
        organization: Option<&str>,
    ) -> Result<Vec<(Option<String>, usize, u64)>, StoreError> {
        let account = self.account(usage.account())?;
        let doing = || format!("reading the MCP latencies of account {}", account.slug);
        let sqlite = |error| StoreError::sqlite(doing())(error);
        let mut calls: std::collections::BTreeMap<(Option<String>, usize), u64> =
            Default::default();
        for span in self.spans(&account, "dashboard_latency", None, days).map_err(sqlite)? {
            let (period, period_values) = span.condition(3);
            let sql = format!(
                "SELECT tool, bucket, calls FROM dashboard_latency
                 WHERE account_id = ?1 AND (?2 IS NULL OR organization = ?2) AND {period}"
            );
            let mut values = vec![
                Value::Integer(account.id.0),
                organization.map_or(Value::Null, |text| Value::Text(text.to_owned())),
            ];
            values.extend(period_values);
            let mut statement = self.connection.prepare_cached(&sql).map_err(sqlite)?;
            let mut rows =
                statement.query(rusqlite::params_from_iter(values.iter())).map_err(sqlite)?;
            while let Some(row) = rows.next().map_err(sqlite)? {
                let tool = non_empty(row.get(0).map_err(sqlite)?);
                let bucket = row.get::<_, i64>(1).map_err(sqlite)? as usize;
                *calls.entry((tool, bucket)).or_default() +=
                    row.get::<_, i64>(2).map_err(sqlite)? as u64;
            }
        }
        Ok(calls.into_iter().map(|((tool, bucket), calls)| (tool, bucket, calls)).collect())
    }
}
