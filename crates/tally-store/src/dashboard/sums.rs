//! Writing what a step counted: each day row of `dashboard_days`, and its share
//! of the sums the widgets read (`dashboard_totals`, `dashboard_team_totals`,
//! `dashboard_user_totals`, `dashboard_latency`), each per day and per month.
//! A negative tally (a run moved to another day, activity counted again under
//! another role) takes away; a row taken to nothing is deleted. The rows are
//! summed and put in key order (`ActivityRows::of`) before the write lock is
//! taken, which it is only to write them.

use hashbrown::HashMap;

use chrono::NaiveDate;
use rusqlite::{Transaction, params};
use tally_events::EventKind;
use tally_seats::Month;

use crate::Account;
use crate::kind::StoredKind;

/// The key of a `dashboard_days` row, with the latency bucket of MCP calls
/// that carried a duration (`-1` for none, and for activity counted again,
/// whose latency was kept already).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct DayKey {
    pub kind: EventKind,
    pub day: NaiveDate,
    pub organization: String,
    pub subject: String,
    pub detail: String,
    pub user: String,
    pub role: String,
    pub teams: String,
    pub bucket: i64,
}

/// What a step adds to a row.
#[derive(Debug, Clone, Copy)]
pub(super) struct DayTally {
    pub events: i64,
    pub failures: i64,
    pub first_us: i64,
    pub last_us: i64,
}

impl DayTally {
    pub(super) const NONE: DayTally =
        DayTally { events: 0, failures: 0, first_us: i64::MAX, last_us: i64::MIN };

    pub(super) fn add(&mut self, other: DayTally) {
        self.events += other.events;
        self.failures += other.failures;
        self.first_us = self.first_us.min(other.first_us);
        self.last_us = self.last_us.max(other.last_us);
    }
}

/// A `dashboard_days` key: kind, day (as stored), organization, subject,
/// detail, user, role and teams.
type DayRowKey<'a> = (EventKind, &'a str, &'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

/// The text of each distinct day's two periods and each distinct team list
/// of a step, made once: a step has tens of thousands of keys but few days and
/// team lists.
pub(super) struct StepNames<'a> {
    periods: HashMap<NaiveDate, [String; 2]>,
    team_lists: HashMap<&'a str, Vec<String>>,
}

impl<'a> StepNames<'a> {
    pub(super) fn of(days: &'a HashMap<DayKey, DayTally>) -> StepNames<'a> {
        let mut names = StepNames { periods: HashMap::new(), team_lists: HashMap::new() };
        for key in days.keys() {
            names
                .periods
                .entry(key.day)
                .or_insert_with(|| [key.day.to_string(), Month::of(key.day).to_string()]);
            names
                .team_lists
                .entry(key.teams.as_str())
                .or_insert_with(|| serde_json::from_str(&key.teams).unwrap_or_default());
        }
        names
    }
}

/// The rows a step adds to `dashboard_days` and the sums, each table's in the
/// order of its key, made before the write lock is taken.
pub(super) struct ActivityRows<'a> {
    days: Vec<(DayRowKey<'a>, DayTally)>,
    totals: Vec<(TotalKey<'a>, DayTally)>,
    teams: Vec<(NamedKey<'a>, i64)>,
    users: Vec<(NamedKey<'a>, DayTally)>,
    latency: Vec<(LatencyKey<'a>, i64)>,
}

/// A `dashboard_totals` key: kind, period, organization, subject, detail and
/// role.
type TotalKey<'a> = (EventKind, &'a str, &'a str, &'a str, &'a str, &'a str);

/// A `dashboard_team_totals` or `dashboard_user_totals` key: kind, period,
/// organization, and the team or user.
type NamedKey<'a> = (EventKind, &'a str, &'a str, &'a str);

/// A `dashboard_latency` key: period, organization, tool and bucket.
type LatencyKey<'a> = (&'a str, &'a str, &'a str, i64);

impl<'a> ActivityRows<'a> {
    pub(super) fn of(
        days: &'a HashMap<DayKey, DayTally>,
        names: &'a StepNames<'a>,
    ) -> ActivityRows<'a> {
        let mut totals: HashMap<_, DayTally> = HashMap::new();
        let mut teams: HashMap<_, i64> = HashMap::new();
        let mut users: HashMap<_, DayTally> = HashMap::new();
        let mut latency: HashMap<_, i64> = HashMap::new();
        // Latency buckets are dropped here: several keys differ by bucket only.
        let mut per_user: HashMap<DayRowKey<'a>, DayTally> = HashMap::new();
        for (key, tally) in days {
            let day_periods = &names.periods[&key.day];
            per_user
                .entry((
                    key.kind,
                    day_periods[0].as_str(),
                    key.organization.as_str(),
                    key.subject.as_str(),
                    key.detail.as_str(),
                    key.user.as_str(),
                    key.role.as_str(),
                    key.teams.as_str(),
                ))
                .or_insert(DayTally::NONE)
                .add(*tally);
            let team_list = &names.team_lists[key.teams.as_str()];
            for period in day_periods {
                let period = period.as_str();
                let organization = key.organization.as_str();
                totals
                    .entry((
                        key.kind,
                        period,
                        organization,
                        key.subject.as_str(),
                        key.detail.as_str(),
                        key.role.as_str(),
                    ))
                    .or_insert(DayTally::NONE)
                    .add(*tally);
                for team in team_list {
                    *teams.entry((key.kind, period, organization, team.as_str())).or_default() +=
                        tally.events;
                }
                if !key.user.is_empty() {
                    users
                        .entry((key.kind, period, organization, key.user.as_str()))
                        .or_insert(DayTally::NONE)
                        .add(*tally);
                }
                if key.bucket >= 0 {
                    *latency
                        .entry((period, organization, key.subject.as_str(), key.bucket))
                        .or_default() += tally.events;
                }
            }
        }
        ActivityRows {
            days: in_key_order(per_user),
            totals: in_key_order(totals),
            teams: in_key_order(teams),
            users: in_key_order(users),
            latency: in_key_order(latency),
        }
    }

    /// Writes the rows; the caller holds the write lock.
    pub(super) fn write(
        &self,
        transaction: &Transaction<'_>,
        account: &Account,
    ) -> rusqlite::Result<()> {
        let id = account.id.0;
        let mut upsert_day = transaction.prepare_cached(
            "INSERT INTO dashboard_days (account_id, kind, day, organization, subject, detail,
                 user, role, teams, events, failures, first_us, last_us)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT DO UPDATE SET events = events + excluded.events,
                 failures = failures + excluded.failures,
                 first_us = min(first_us, excluded.first_us),
                 last_us = max(last_us, excluded.last_us)",
        )?;
        let mut emptied_day = transaction.prepare_cached(
            "DELETE FROM dashboard_days
             WHERE account_id = ?1 AND kind = ?2 AND day = ?3 AND organization = ?4
               AND subject = ?5 AND detail = ?6 AND user = ?7 AND role = ?8 AND teams = ?9
               AND events <= 0",
        )?;
        for ((kind, day, organization, subject, detail, user, role, teams_json), tally) in
            &self.days
        {
            if tally.events == 0 && tally.failures == 0 {
                continue;
            }
            upsert_day.execute(params![
                id,
                StoredKind(*kind),
                day,
                organization,
                subject,
                detail,
                user,
                role,
                teams_json,
                tally.events,
                tally.failures,
                tally.first_us,
                tally.last_us,
            ])?;
            if tally.events < 0 {
                emptied_day.execute(params![
                    id,
                    StoredKind(*kind),
                    day,
                    organization,
                    subject,
                    detail,
                    user,
                    role,
                    teams_json
                ])?;
            }
        }

        let mut upsert_total = transaction.prepare_cached(
            "INSERT INTO dashboard_totals (account_id, kind, period, organization, subject, detail,
                 role, events, failures, first_us, last_us)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT DO UPDATE SET events = events + excluded.events,
                 failures = failures + excluded.failures,
                 first_us = min(first_us, excluded.first_us),
                 last_us = max(last_us, excluded.last_us)",
        )?;
        let mut emptied_total = transaction.prepare_cached(
            "DELETE FROM dashboard_totals
             WHERE account_id = ?1 AND kind = ?2 AND period = ?3 AND organization = ?4
               AND subject = ?5 AND detail = ?6 AND role = ?7 AND events <= 0",
        )?;
        for ((kind, period, organization, subject, detail, role), tally) in &self.totals {
            if tally.events == 0 && tally.failures == 0 {
                continue;
            }
            upsert_total.execute(params![
                id,
                StoredKind(*kind),
                period,
                organization,
                subject,
                detail,
                role,
                tally.events,
                tally.failures,
                tally.first_us,
                tally.last_us,
            ])?;
            if tally.events < 0 {
                emptied_total.execute(params![
                    id,
                    StoredKind(*kind),
                    period,
                    organization,
                    subject,
                    detail,
                    role
                ])?;
            }
        }

        let mut upsert_team = transaction.prepare_cached(
        "INSERT INTO dashboard_team_totals (account_id, kind, period, organization, team, events)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT DO UPDATE SET events = events + excluded.events",
    )?;
        let mut emptied_team = transaction.prepare_cached(
            "DELETE FROM dashboard_team_totals
             WHERE account_id = ?1 AND kind = ?2 AND period = ?3 AND organization = ?4 AND team = ?5
               AND events <= 0",
        )?;
        for ((kind, period, organization, team), events) in &self.teams {
            if *events == 0 {
                continue;
            }
            upsert_team.execute(params![
                id,
                StoredKind(*kind),
                period,
                organization,
                team,
                events
            ])?;
            if *events < 0 {
                emptied_team.execute(params![id, StoredKind(*kind), period, organization, team])?;
            }
        }

        let mut upsert_user = transaction.prepare_cached(
        "INSERT INTO dashboard_user_totals (account_id, kind, period, organization, user, events,
                 last_us)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT DO UPDATE SET events = events + excluded.events,
                 last_us = max(last_us, excluded.last_us)",
    )?;
        let mut emptied_user = transaction.prepare_cached(
            "DELETE FROM dashboard_user_totals
             WHERE account_id = ?1 AND kind = ?2 AND period = ?3 AND organization = ?4 AND user = ?5
               AND events <= 0",
        )?;
        for ((kind, period, organization, user), tally) in &self.users {
            if tally.events == 0 {
                continue;
            }
            upsert_user.execute(params![
                id,
                StoredKind(*kind),
                period,
                organization,
                user,
                tally.events,
                tally.last_us
            ])?;
            if tally.events < 0 {
                emptied_user.execute(params![id, StoredKind(*kind), period, organization, user])?;
            }
        }

        let mut upsert_latency = transaction.prepare_cached(
            "INSERT INTO dashboard_latency (account_id, period, organization, tool, bucket, calls)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT DO UPDATE SET calls = calls + excluded.calls",
        )?;
        for ((period, organization, tool, bucket), calls) in &self.latency {
            upsert_latency.execute(params![id, period, organization, tool, bucket, calls])?;
        }
        Ok(())
    }
}

/// A step's rows in the order of their table's key: consecutive upserts then
/// land on the same B-tree pages rather than all over the table.
pub(super) fn in_key_order<K: Ord, V>(rows: HashMap<K, V>) -> Vec<(K, V)> {
    let mut ordered: Vec<(K, V)> = rows.into_iter().collect();
    ordered.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    ordered
}
