//! `Store::update_dashboard`: the events stored since the last update, into the
//! dashboard's tables, in steps.
//!
//! A step reads the next events in the order stored and takes in, first, their
//! lifecycle changes (so that every event of the step is attributed to the
//! role and teams its user had at its instant, whatever order they came in).
//! A lifecycle change earlier than an event counted before the step may change
//! how that event is attributed, so the user's activity from that day on, and
//! their runs since the change, are counted again. Then the step counts the
//! activity, runs and catalog changes in memory, all in a read transaction,
//! and only then takes the write lock to write the sums, so that ingest waits
//! for the writing alone.

use hashbrown::HashMap;
use std::borrow::Cow;

use chrono::{DateTime, NaiveDate};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Deserialize;
use tally_events::{EventKind, Role};

use super::people::{Change, History, read_history, write_change};
use super::sums::{ActivityRows, DayKey, DayTally, StepNames};
use super::{Catalog, latency_bucket};
use crate::kind::StoredKind;
use crate::{Account, Store, StoreError};

/// Events read per step of [`Store::update_dashboard`]: a fraction of a
/// second of work, so the write lock it holds never keeps ingest waiting long.
pub const DASHBOARD_EVENTS_PER_STEP: usize = 50_000;

/// The kinds the dashboard reads.
const READ_KINDS: [EventKind; 14] = [
    EventKind::Login,
    EventKind::PageVisit,
    EventKind::ActionRun,
    EventKind::AutomationRun,
    EventKind::AiInvocation,
    EventKind::McpCall,
    EventKind::EntityChange,
    EventKind::DataSourceChange,
    EventKind::UserAdded,
    EventKind::UserRemoved,
    EventKind::UserDisabled,
    EventKind::UserEnabled,
    EventKind::UserRoleChanged,
    EventKind::UserTeamsChanged,
];

/// The fields of a stored payload the dashboard reads; the rest is skipped.
#[derive(Debug, Default, Deserialize)]
struct Fields<'a> {
    #[serde(borrow)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow)]
    organization: Option<Cow<'a, str>>,
    #[serde(borrow)]
    page: Option<Cow<'a, str>>,
    #[serde(borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(borrow)]
    automation: Option<Cow<'a, str>>,
    #[serde(borrow)]
    run_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    trigger: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tool: Option<Cow<'a, str>>,
    duration_ms: Option<u32>,
    #[serde(borrow)]
    blueprint: Option<Cow<'a, str>>,
    #[serde(borrow)]
    entity: Option<Cow<'a, str>>,
    #[serde(borrow)]
    operation: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data_source_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    role: Option<Cow<'a, str>>,
    teams: Option<Vec<String>>,
}

fn text<'a>(value: &'a Option<Cow<'_, str>>) -> &'a str {
    value.as_deref().unwrap_or("")
}

/// One stored event, as the dashboard reads it.
struct Stored {
    seq: i64,
    kind: EventKind,
    at_us: i64,
    payload: String,
}

/// A run as `dashboard_runs` holds it.
#[derive(Debug, Clone)]
struct Run {
    subject: String,
    detail: String,
    user: String,
    role: String,
    teams: String,
    started_us: i64,
    status: String,
    status_us: i64,
    states: i64,
}

/// An entity or data source as `dashboard_items` holds it.
#[derive(Debug, Clone)]
struct Item {
    category: String,
    name: String,
    named_us: i64,
    /// (instant, +1 created or -1 deleted), in order of instant, then arrival.
    changes: Vec<(i64, i8)>,
}

/// What a step has counted and changed, written under the write lock.
struct Step<'a> {
    account: &'a Account,
    histories: HashMap<String, History>,
    /// Lifecycle changes read: (user, instant, change).
    changes: Vec<(String, i64, Change)>,
    days: HashMap<DayKey, DayTally>,
    runs: HashMap<(EventKind, String, String), Run>,
    /// Whether the events being counted were counted before, under another
    /// role or teams.
    recounting: bool,
    /// Items touched, with their creations and deletions per day before the step.
    items: HashMap<ItemKey, (Item, Vec<ItemDay>)>,
    /// Events read.
    read: u64,
    /// Whether the step read the last event.
    done: bool,
    /// The progress once the step is written.
    to: Progress,
}

/// A creation (+1) or deletion (-1) of an item of a category on a day.
type ItemDay = (NaiveDate, String, i8);

/// What a [`Store::update_dashboard_for`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardUpdate {
    /// Events read.
    pub events: u64,
    /// Whether every event stored when it ended was taken in.
    pub caught_up: bool,
}

/// An item's catalog, organization, blueprint (empty for data sources) and id.
type ItemKey = (Catalog, String, String, String);

impl Store {
    /// Brings the account's dashboard tables up to date, committing every
    /// `events_per_step` events; answers how many events were read.
    ///
    /// Each step reads and counts its events in a read transaction, a
    /// snapshot of the file that ingest keeps appending to meanwhile, and
    /// takes the write lock only to apply what it counted, after checking that
    /// no other update moved the progress since its snapshot (else it counts
    /// again from there): nothing is counted twice or left out.
    pub fn update_dashboard(
        &mut self,
        slug: &str,
        events_per_step: usize,
    ) -> Result<u64, StoreError> {
        self.update_dashboard_for(slug, events_per_step, u64::MAX).map(|update| update.events)
    }

    /// [`Store::update_dashboard`], stopping after the step that brings the
    /// events read to `most_events` or more: a daemon keeping several figures
    /// current takes the dashboard's backlog a slice at a time, so that the
    /// others never wait for all of it. The next call goes on from there.
    pub fn update_dashboard_for(
        &mut self,
        slug: &str,
        events_per_step: usize,
        most_events: u64,
    ) -> Result<DashboardUpdate, StoreError> {
        let account = self.account(slug)?;
        let doing = || format!("updating the dashboard of account {slug}");
        let mut read = 0;
        loop {
            let snapshot = self
                .connection
                .transaction_with_behavior(TransactionBehavior::Deferred)
                .map_err(StoreError::sqlite(doing()))?;
            let Some(from) = progress(&snapshot, &account).map_err(StoreError::sqlite(doing()))?
            else {
                drop(snapshot);
                self.start_dashboard(&account).map_err(StoreError::sqlite(doing()))?;
                continue;
            };
            let step = count_step(&snapshot, &account, from, events_per_step.max(1))
                .map_err(StoreError::sqlite(doing()))?;
            snapshot.commit().map_err(StoreError::sqlite(doing()))?;

            let (events, done) = (step.read, step.done);
            if apply_step(&mut self.connection, &account, from, step)
                .map_err(StoreError::sqlite(doing()))?
            {
                read += events;
                if done || read >= most_events {
                    return Ok(DashboardUpdate { events: read, caught_up: done });
                }
            }
        }
    }

    /// Empties the account's dashboard tables when they were never counted,
    /// or counted in another zone, and marks them counted through no event.
    fn start_dashboard(&mut self, account: &Account) -> rusqlite::Result<()> {
        let transaction =
            self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if progress(&transaction, account)?.is_none() {
            for table in [
                "dashboard_roles",
                "dashboard_teams",
                "dashboard_presence",
                "dashboard_days",
                "dashboard_totals",
                "dashboard_team_totals",
                "dashboard_user_totals",
                "dashboard_latency",
                "dashboard_runs",
                "dashboard_items",
                "dashboard_item_days",
                "dashboard_item_floors",
            ] {
                transaction.execute(
                    &format!("DELETE FROM {table} WHERE account_id = ?1"),
                    [account.id.0],
                )?;
            }
            write_progress(&transaction, account, Progress { through_seq: 0, until_us: None })?;
        }
        transaction.commit()
    }
}

/// How far the dashboard tables reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Progress {
    /// The last event read.
    through_seq: i64,
    /// The latest instant of an event counted.
    until_us: Option<i64>,
}

/// How far the tables reach, if they were counted in the account's zone.
fn progress(
    connection: &rusqlite::Connection,
    account: &Account,
) -> rusqlite::Result<Option<Progress>> {
    let row: Option<(i64, String, Option<i64>)> = connection
        .query_row(
            "SELECT through_seq, counted_in, counted_until_us FROM dashboard_progress
             WHERE account_id = ?1",
            [account.id.0],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    Ok(row.and_then(|(through_seq, zone, until_us)| {
        (zone == account.calendar.time_zone.name()).then_some(Progress { through_seq, until_us })
    }))
}

fn write_progress(
    connection: &rusqlite::Connection,
    account: &Account,
    progress: Progress,
) -> rusqlite::Result<()> {
    connection.execute(
        "INSERT OR REPLACE INTO dashboard_progress
             (account_id, through_seq, counted_in, counted_until_us)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            account.id.0,
            progress.through_seq,
            account.calendar.time_zone.name(),
            progress.until_us
        ],
    )?;
    Ok(())
}

/// Writes what `step` counted from `from`, under the write lock, unless
/// another update moved the progress since (then the step's events were
/// counted by it); answers whether it wrote.
fn apply_step(
    connection: &mut rusqlite::Connection,
    account: &Account,
    from: Progress,
    step: Step<'_>,
) -> rusqlite::Result<bool> {
    let names = StepNames::of(&step.days);
    let activity = ActivityRows::of(&step.days, &names);
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let unmoved = progress(&transaction, account)? == Some(from);
    if unmoved {
        step.write(&transaction, &activity)?;
    }
    transaction.commit()?;
    Ok(unmoved)
}

/// Reads and counts the events after `from` (at most `limit`), in memory.
fn count_step<'a>(
    snapshot: &Transaction<'_>,
    account: &'a Account,
    from: Progress,
    limit: usize,
) -> rusqlite::Result<Step<'a>> {
    let Progress { through_seq: through, until_us: counted_until } = from;
    let latest: i64 =
        snapshot.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |row| row.get(0))?;
    // The unary `+` keeps SQLite on the rowid range after `through`.
    let mut statement = snapshot.prepare_cached(&format!(
        "SELECT seq, kind, at_us, payload FROM events
         WHERE seq > ?1 AND +account_id = ?2 AND +kind IN ({}) ORDER BY seq LIMIT ?3",
        StoredKind::sql_list(READ_KINDS.iter())
    ))?;
    let stored: Vec<Stored> = statement
        .query_map(params![through, account.id.0, limit as i64], |row| {
            let StoredKind(kind) = row.get(1)?;
            Ok(Stored { seq: row.get(0)?, kind, at_us: row.get(2)?, payload: row.get(3)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let read = stored.len();
    let last = stored.last().map_or(through, |event| event.seq);
    let done = read < limit;
    // Done means every event up to `latest` was read (appends commit one at a
    // time in `seq` order, so the snapshot holds every event up to its
    // latest), so the next update starts after it rather than rescanning
    // other accounts'.
    let through_seq = if done { latest.max(last) } else { last };
    let until_us =
        stored.iter().map(|event| event.at_us).max().into_iter().chain(counted_until).max();

    let mut step = Step {
        account,
        histories: HashMap::new(),
        changes: Vec::new(),
        days: HashMap::new(),
        runs: HashMap::new(),
        recounting: false,
        items: HashMap::new(),
        read: read as u64,
        done,
        to: Progress { through_seq, until_us },
    };
    let mut recount: HashMap<String, i64> = HashMap::new();
    for event in &stored {
        let Some((user, changes)) = lifecycle(event) else { continue };
        let history = step.history(snapshot, &user)?;
        for change in &changes {
            history.apply(event.at_us, change);
        }
        step.changes.extend(changes.into_iter().map(|change| (user.clone(), event.at_us, change)));
        if counted_until.is_some_and(|until| event.at_us <= until) {
            let from = recount.entry(user).or_insert(event.at_us);
            *from = (*from).min(event.at_us);
        }
    }
    for (user, from_us) in &recount {
        step.recount_user(snapshot, user, *from_us, through)?;
    }
    for event in &stored {
        step.count(snapshot, event)?;
    }
    Ok(step)
}

/// The user and what a lifecycle event changes of them; `None` for other kinds.
fn lifecycle(event: &Stored) -> Option<(String, Vec<Change>)> {
    let presence = match event.kind {
        EventKind::UserAdded | EventKind::UserEnabled => Some(true),
        EventKind::UserRemoved | EventKind::UserDisabled => Some(false),
        EventKind::UserRoleChanged | EventKind::UserTeamsChanged => None,
        EventKind::Login
        | EventKind::PageVisit
        | EventKind::EntityChange
        | EventKind::ActionRun
        | EventKind::AutomationRun
        | EventKind::DataSourceChange
        | EventKind::AiInvocation
        | EventKind::McpCall
        | EventKind::Activity
        | EventKind::SyncObservation
        | EventKind::EntitySync
        | EventKind::AuditEntry => return None,
    };
    let fields: Fields<'_> = serde_json::from_str(&event.payload).unwrap_or_default();
    let user = fields.user.as_deref()?.to_owned();
    let mut changes: Vec<Change> = presence.into_iter().map(Change::Presence).collect();
    if let Some(role) = fields.role.as_deref().and_then(Role::parse) {
        let organization = text(&fields.organization).to_owned();
        changes.push(Change::Role { organization, role });
    }
    if let Some(teams) = fields.teams {
        changes.push(Change::Teams(serde_json::to_string(&teams).expect("strings serialise")));
    } else if event.kind == EventKind::UserAdded {
        // `user_added` leaves out an empty team list.
        changes.push(Change::Teams("[]".to_owned()));
    }
    Some((user, changes))
}

impl Step<'_> {
    fn history(
        &mut self,
        connection: &rusqlite::Connection,
        user: &str,
    ) -> rusqlite::Result<&mut History> {
        if !self.histories.contains_key(user) {
            let history = read_history(connection, self.account, user)?;
            self.histories.insert(user.to_owned(), history);
        }
        Ok(self.histories.get_mut(user).expect("just inserted"))
    }

    /// The role (wire name) and teams an event of `user` in `organization` is
    /// attributed to; empty for no user.
    fn attribution(
        &mut self,
        connection: &rusqlite::Connection,
        user: &str,
        organization: Option<&str>,
        at_us: i64,
    ) -> rusqlite::Result<(String, String)> {
        if user.is_empty() {
            return Ok((String::new(), "[]".to_owned()));
        }
        let history = self.history(connection, user)?;
        Ok((
            history.role_at(organization, at_us).as_str().to_owned(),
            history.teams_at(at_us).to_owned(),
        ))
    }

    fn local_day(&self, at_us: i64) -> NaiveDate {
        let at = DateTime::from_timestamp_micros(at_us).unwrap_or_default();
        tally_calendar::local_date(&self.account.calendar, at)
    }

    /// Counts again `user`'s activity from the day of `from_us` on, among the
    /// events read before this step, and re-attributes their runs started
    /// since `from_us`, now that their history before then has changed.
    fn recount_user(
        &mut self,
        transaction: &Transaction<'_>,
        user: &str,
        from_us: i64,
        through: i64,
    ) -> rusqlite::Result<()> {
        let first_day = self.local_day(from_us);
        let day_start =
            tally_calendar::start_of_day(&self.account.calendar, first_day).timestamp_micros();
        let kinds =
            [EventKind::Login, EventKind::PageVisit, EventKind::AiInvocation, EventKind::McpCall];
        // Take away what was counted of the user from that day on, from the
        // day rows and every sum of them, then count the events again.
        let mut counted = transaction.prepare_cached(
            "SELECT day, organization, subject, detail, role, teams, events, failures, first_us,
                    last_us
             FROM dashboard_days
             WHERE account_id = ?1 AND kind = ?2 AND day >= ?3 AND user = ?4",
        )?;
        for kind in kinds {
            let mut rows = counted.query(params![
                self.account.id.0,
                StoredKind(kind),
                first_day.to_string(),
                user
            ])?;
            while let Some(row) = rows.next()? {
                let day: String = row.get(0)?;
                let key = DayKey {
                    kind,
                    day: day.parse().map_err(|error| {
                        rusqlite::Error::FromSqlConversionFailure(
                            0,
                            rusqlite::types::Type::Text,
                            Box::new(error),
                        )
                    })?,
                    organization: row.get(1)?,
                    subject: row.get(2)?,
                    detail: row.get(3)?,
                    user: user.to_owned(),
                    role: row.get(4)?,
                    teams: row.get(5)?,
                    bucket: -1,
                };
                let taken = DayTally {
                    events: -row.get::<_, i64>(6)?,
                    failures: -row.get::<_, i64>(7)?,
                    first_us: row.get(8)?,
                    last_us: row.get(9)?,
                };
                self.days.entry(key).or_insert(DayTally::NONE).add(taken);
            }
        }
        let mut statement = transaction.prepare_cached(&format!(
            "SELECT seq, kind, at_us, payload FROM events
             WHERE account_id = ?1 AND kind IN ({}) AND at_us >= ?2 AND seq <= ?3
               AND payload ->> '$.user' = ?4",
            StoredKind::sql_list(kinds.iter())
        ))?;
        let earlier: Vec<Stored> = statement
            .query_map(params![self.account.id.0, day_start, through, user], |row| {
                let StoredKind(kind) = row.get(1)?;
                Ok(Stored { seq: row.get(0)?, kind, at_us: row.get(2)?, payload: row.get(3)? })
            })?
            .collect::<rusqlite::Result<_>>()?;
        self.recounting = true;
        for event in &earlier {
            self.count(transaction, event)?;
        }
        self.recounting = false;
        let mut statement = transaction.prepare_cached(
            "SELECT kind, organization, run_id FROM dashboard_runs
             WHERE account_id = ?1 AND user = ?2 AND started_us >= ?3",
        )?;
        let runs: Vec<(StoredKind, String, String)> = statement
            .query_map(params![self.account.id.0, user, from_us], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (StoredKind(kind), organization, run_id) in runs {
            let Some(mut run) = self.run(transaction, kind, &organization, &run_id)? else {
                continue;
            };
            self.tally_run(kind, &organization, &run, -1);
            let (role, teams) =
                self.attribution(transaction, &run.user, Some(&organization), run.started_us)?;
            (run.role, run.teams) = (role, teams);
            self.tally_run(kind, &organization, &run, 1);
            self.runs.insert((kind, organization, run_id), run);
        }
        Ok(())
    }

    /// Takes in one event.
    fn count(&mut self, connection: &rusqlite::Connection, event: &Stored) -> rusqlite::Result<()> {
        let fields: Fields<'_> = match event.kind {
            EventKind::Login
            | EventKind::PageVisit
            | EventKind::ActionRun
            | EventKind::AutomationRun
            | EventKind::AiInvocation
            | EventKind::McpCall
            | EventKind::EntityChange
            | EventKind::DataSourceChange => {
                serde_json::from_str(&event.payload).unwrap_or_default()
            }
            EventKind::Activity
            | EventKind::SyncObservation
            | EventKind::EntitySync
            | EventKind::UserAdded
            | EventKind::UserRemoved
            | EventKind::UserDisabled
            | EventKind::UserEnabled
            | EventKind::UserRoleChanged
            | EventKind::UserTeamsChanged
            | EventKind::AuditEntry => return Ok(()),
        };
        let organization = fields.organization.as_deref();
        match event.kind {
            EventKind::ActionRun | EventKind::AutomationRun => {
                return self.count_run(connection, event, &fields);
            }
            EventKind::EntityChange => {
                let item = (text(&fields.blueprint), text(&fields.entity));
                return self.count_item(connection, Catalog::Entities, event, &fields, item);
            }
            EventKind::DataSourceChange => {
                let item = ("", text(&fields.data_source));
                return self.count_item(connection, Catalog::DataSources, event, &fields, item);
            }
            _ => {}
        }
        let user = text(&fields.user);
        let (role, teams) = self.attribution(connection, user, organization, event.at_us)?;
        let subject = match event.kind {
            EventKind::PageVisit => text(&fields.page),
            EventKind::AiInvocation => text(&fields.source),
            EventKind::McpCall => text(&fields.tool),
            _ => "",
        };
        // Counted again, a call's latency is kept already: it does not
        // depend on its user's role or teams.
        let bucket = match (event.kind, fields.duration_ms, self.recounting) {
            (EventKind::McpCall, Some(duration), false) => latency_bucket(duration) as i64,
            _ => -1,
        };
        let failed = event.kind == EventKind::McpCall && text(&fields.status) == "failure";
        let key = DayKey {
            kind: event.kind,
            day: self.local_day(event.at_us),
            organization: text(&fields.organization).to_owned(),
            subject: subject.to_owned(),
            detail: String::new(),
            user: user.to_owned(),
            role,
            teams,
            bucket,
        };
        let one = DayTally {
            events: 1,
            failures: i64::from(failed),
            first_us: event.at_us,
            last_us: event.at_us,
        };
        self.days.entry(key).or_insert(DayTally::NONE).add(one);
        Ok(())
    }

    fn run(
        &mut self,
        connection: &rusqlite::Connection,
        kind: EventKind,
        organization: &str,
        run_id: &str,
    ) -> rusqlite::Result<Option<Run>> {
        let key = (kind, organization.to_owned(), run_id.to_owned());
        if let Some(run) = self.runs.get(&key) {
            return Ok(Some(run.clone()));
        }
        connection
            .prepare_cached(
                "SELECT subject, detail, user, role, teams, started_us, status, status_us, states
                 FROM dashboard_runs
                 WHERE account_id = ?1 AND kind = ?2 AND organization = ?3 AND run_id = ?4",
            )?
            .query_row(params![self.account.id.0, StoredKind(kind), organization, run_id], |row| {
                Ok(Run {
                    subject: row.get(0)?,
                    detail: row.get(1)?,
                    user: row.get(2)?,
                    role: row.get(3)?,
                    teams: row.get(4)?,
                    started_us: row.get(5)?,
                    status: row.get(6)?,
                    status_us: row.get(7)?,
                    states: row.get(8)?,
                })
            })
            .optional()
    }

    /// Adds `sign` (1 or -1) runs to the day row a run is counted in.
    fn tally_run(&mut self, kind: EventKind, organization: &str, run: &Run, sign: i64) {
        let key = DayKey {
            kind,
            day: self.local_day(run.started_us),
            organization: organization.to_owned(),
            subject: run.subject.clone(),
            detail: run.detail.clone(),
            user: run.user.clone(),
            role: run.role.clone(),
            teams: run.teams.clone(),
            bucket: -1,
        };
        let tally = DayTally {
            events: sign,
            failures: 0,
            first_us: run.started_us,
            last_us: run.started_us,
        };
        self.days.entry(key).or_insert(DayTally::NONE).add(tally);
    }

    /// A run counts once, on the day of its earliest state, attributed to what
    /// that state says; its status is its latest state's.
    fn count_run(
        &mut self,
        connection: &rusqlite::Connection,
        event: &Stored,
        fields: &Fields<'_>,
    ) -> rusqlite::Result<()> {
        let organization = text(&fields.organization).to_owned();
        let run_id = text(&fields.run_id).to_owned();
        let status = text(&fields.status).to_owned();
        let held = self.run(connection, event.kind, &organization, &run_id)?;
        let mut run = match held {
            Some(mut run) => {
                run.states += 1;
                if event.at_us >= run.status_us {
                    (run.status, run.status_us) = (status, event.at_us);
                }
                if event.at_us >= run.started_us {
                    self.runs.insert((event.kind, organization, run_id), run);
                    return Ok(());
                }
                // An earlier state arrived late: the run moves to its day.
                self.tally_run(event.kind, &organization, &run, -1);
                run
            }
            None => Run {
                subject: String::new(),
                detail: String::new(),
                user: String::new(),
                role: String::new(),
                teams: String::new(),
                started_us: event.at_us,
                status,
                status_us: event.at_us,
                states: 1,
            },
        };
        run.subject = match event.kind {
            EventKind::ActionRun => text(&fields.action),
            _ => text(&fields.automation),
        }
        .to_owned();
        run.detail = text(&fields.trigger).to_owned();
        run.user = text(&fields.user).to_owned();
        run.started_us = event.at_us;
        let (role, teams) =
            self.attribution(connection, &run.user.clone(), Some(&organization), event.at_us)?;
        (run.role, run.teams) = (role, teams);
        self.tally_run(event.kind, &organization, &run, 1);
        self.runs.insert((event.kind, organization, run_id), run);
        Ok(())
    }

    /// Takes in a creation, deletion or update of an entity or data source.
    fn count_item(
        &mut self,
        connection: &rusqlite::Connection,
        catalog: Catalog,
        event: &Stored,
        fields: &Fields<'_>,
        (blueprint, item): (&str, &str),
    ) -> rusqlite::Result<()> {
        let key =
            (catalog, text(&fields.organization).to_owned(), blueprint.to_owned(), item.to_owned());
        if !self.items.contains_key(&key) {
            let held = read_item(connection, self.account, &key)?;
            let item = held.unwrap_or(Item {
                category: String::new(),
                name: String::new(),
                named_us: i64::MIN,
                changes: Vec::new(),
            });
            let before = self.item_days(&item);
            self.items.insert(key.clone(), (item, before));
        }
        let (item, _) = self.items.get_mut(&key).expect("just inserted");
        let category = match catalog {
            Catalog::Entities => blueprint,
            Catalog::DataSources => text(&fields.data_source_type),
        };
        let operation = text(&fields.operation);
        if matches!(operation, "create" | "update") && event.at_us >= item.named_us {
            item.category = category.to_owned();
            item.name = text(&fields.name).to_owned();
            item.named_us = event.at_us;
        }
        let sign = match operation {
            "create" => 1,
            "delete" => -1,
            _ => return Ok(()),
        };
        let index = item.changes.partition_point(|(at, _)| *at <= event.at_us);
        item.changes.insert(index, (event.at_us, sign));
        Ok(())
    }

    /// An item's creations and deletions per day, from its lives.
    fn item_days(&self, item: &Item) -> Vec<ItemDay> {
        let mut days = Vec::new();
        for (created, deleted) in lives(&item.changes) {
            days.push((self.local_day(created), item.category.clone(), 1));
            if let Some(deleted) = deleted {
                days.push((self.local_day(deleted), item.category.clone(), -1));
            }
        }
        days
    }

    /// Writes what the step counted and changed.
    fn write(
        &self,
        transaction: &Transaction<'_>,
        activity: &ActivityRows<'_>,
    ) -> rusqlite::Result<()> {
        let account = self.account.id.0;
        for (user, at_us, change) in &self.changes {
            write_change(transaction, self.account, user, *at_us, change)?;
        }
        activity.write(transaction, self.account)?;
        let mut save_run = transaction.prepare_cached(
            "INSERT OR REPLACE INTO dashboard_runs (account_id, kind, organization, run_id,
                 subject, detail, user, role, teams, started_us, status, status_us, states)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        // In key order, as the activity rows are (see `sums::in_key_order`).
        let mut runs: Vec<_> = self.runs.iter().collect();
        runs.sort_unstable_by_key(|(key, _)| *key);
        for ((kind, organization, run_id), run) in runs {
            save_run.execute(params![
                account,
                StoredKind(*kind),
                organization,
                run_id,
                run.subject,
                run.detail,
                run.user,
                run.role,
                run.teams,
                run.started_us,
                run.status,
                run.status_us,
                run.states,
            ])?;
        }
        let mut save_item = transaction.prepare_cached(
            "INSERT OR REPLACE INTO dashboard_items (account_id, catalog, organization, blueprint,
                 item, category, name, named_us, changes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut add_day = transaction.prepare_cached(
            "INSERT INTO dashboard_item_days (account_id, catalog, day, organization, category,
                 created, deleted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT DO UPDATE SET created = created + excluded.created,
                 deleted = deleted + excluded.deleted",
        )?;
        let mut emptied_day = transaction.prepare_cached(
            "DELETE FROM dashboard_item_days
             WHERE account_id = ?1 AND catalog = ?2 AND day = ?3 AND organization = ?4
               AND category = ?5 AND created = 0 AND deleted = 0",
        )?;
        let mut lower_floor = transaction.prepare_cached(
            "INSERT INTO dashboard_item_floors (account_id, catalog, first_us) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET first_us = min(first_us, excluded.first_us)",
        )?;
        // Changes are only ever added, so a catalog's floor only moves earlier.
        let mut floors: HashMap<Catalog, i64> = HashMap::new();
        for ((catalog, _, _, _), (item, _)) in &self.items {
            if let Some((first_us, _)) = item.changes.first() {
                let floor = floors.entry(*catalog).or_insert(*first_us);
                *floor = (*floor).min(*first_us);
            }
        }
        for (catalog, first_us) in floors {
            lower_floor.execute(params![account, catalog.stored_name(), first_us])?;
        }
        for ((catalog, organization, blueprint, item_id), (item, before)) in &self.items {
            save_item.execute(params![
                account,
                catalog.stored_name(),
                organization,
                blueprint,
                item_id,
                item.category,
                item.name,
                item.named_us,
                write_changes(&item.changes),
            ])?;
            let after = self.item_days(item);
            for ((day, category, sign), weight) in
                before.iter().map(|day| (day, -1)).chain(after.iter().map(|day| (day, 1)))
            {
                let (created, deleted) = if *sign > 0 { (weight, 0) } else { (0, weight) };
                add_day.execute(params![
                    account,
                    catalog.stored_name(),
                    day.to_string(),
                    organization,
                    category,
                    created,
                    deleted,
                ])?;
                if weight < 0 {
                    emptied_day.execute(params![
                        account,
                        catalog.stored_name(),
                        day.to_string(),
                        organization,
                        category,
                    ])?;
                }
            }
        }
        write_progress(transaction, self.account, self.to)
    }
}

fn read_item(
    connection: &rusqlite::Connection,
    account: &Account,
    (catalog, organization, blueprint, item): &ItemKey,
) -> rusqlite::Result<Option<Item>> {
    connection
        .prepare_cached(
            "SELECT category, name, named_us, changes FROM dashboard_items
             WHERE account_id = ?1 AND catalog = ?2 AND organization = ?3 AND blueprint = ?4
               AND item = ?5",
        )?
        .query_row(
            params![account.id.0, catalog.stored_name(), organization, blueprint, item],
            |row| {
                let changes: String = row.get(3)?;
                Ok(Item {
                    category: row.get(0)?,
                    name: row.get(1)?,
                    named_us: row.get(2)?,
                    changes: read_changes(&changes).map_err(|error| {
                        rusqlite::Error::FromSqlConversionFailure(
                            3,
                            rusqlite::types::Type::Text,
                            Box::new(error),
                        )
                    })?,
                })
            },
        )
        .optional()
}

fn write_changes(changes: &[(i64, i8)]) -> String {
    serde_json::to_string(changes).expect("numbers serialise")
}

pub(crate) fn read_changes(text: &str) -> Result<Vec<(i64, i8)>, serde_json::Error> {
    serde_json::from_str(text)
}

/// An item's lives from its creations and deletions in order: it lives from a
/// creation while it does not live, until the next deletion. A second creation
/// while it lives, or a deletion while it does not, changes nothing (a resent
/// or replayed change).
pub(crate) fn lives(changes: &[(i64, i8)]) -> Vec<(i64, Option<i64>)> {
    let mut lives = Vec::new();
    let mut living: Option<i64> = None;
    for (at, sign) in changes {
        match (living, *sign > 0) {
            (None, true) => living = Some(*at),
            (Some(since), false) => {
                lives.push((since, Some(*at)));
                living = None;
            }
            (None, false) | (Some(_), true) => {}
        }
    }
    lives.extend(living.map(|since| (since, None)));
    lives
}

#[cfg(test)]
mod tests {
    use tally_calendar::AccountCalendar;
    use tally_events::{Limits, check_batch};

    use super::*;
    use crate::{NewAccount, StoreOptions};

    fn logins_counted(store: &Store) -> i64 {
        store
            .connection
            .query_row(
                "SELECT coalesce(sum(events), 0) FROM dashboard_days WHERE kind = 'login'",
                [],
                |row| row.get(0),
            )
            .unwrap()
    }

    #[test]
    fn a_step_counted_while_another_update_moved_the_progress_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::open(&dir.path().join("tally.sqlite"), &StoreOptions::default()).unwrap();
        let (account, _) = store
            .create_account(&NewAccount {
                slug: "acme".into(),
                name: "Acme".into(),
                calendar: AccountCalendar::default(),
                terms: vec!["2026-01-01..2027-01-01".parse().unwrap()],
            })
            .unwrap();
        let body = br#"{"id":"e1","kind":"login","at":"2026-03-02T08:00:00Z","user":"u1"}
{"id":"e2","kind":"login","at":"2026-03-02T09:00:00Z","user":"u2"}
{"id":"e3","kind":"login","at":"2026-03-03T08:00:00Z","user":"u1"}"#;
        let batch = check_batch(body, &Limits::default()).unwrap();
        store.append(account.id, &batch.events).unwrap();
        store.start_dashboard(&account).unwrap();
        let from = progress(&store.connection, &account).unwrap().unwrap();
        assert_eq!(from, Progress { through_seq: 0, until_us: None });

        // Counted from the start, then another update counts the same events.
        let snapshot = store.connection.transaction().unwrap();
        let step = count_step(&snapshot, &account, from, 10).unwrap();
        snapshot.commit().unwrap();
        assert_eq!(store.update_dashboard("acme", 10).unwrap(), 3);
        assert_eq!(logins_counted(&store), 3);

        // The progress moved: the step is dropped, the three logins stay three.
        assert!(!apply_step(&mut store.connection, &account, from, step).unwrap());
        assert_eq!(logins_counted(&store), 3);
    }

    #[test]
    fn an_item_lives_from_a_creation_to_the_next_deletion() {
        assert_eq!(lives(&[]), vec![]);
        assert_eq!(lives(&[(10, 1)]), vec![(10, None)]);
        assert_eq!(lives(&[(10, 1), (20, -1)]), vec![(10, Some(20))]);
        // Deleted, then created again: two lives.
        assert_eq!(lives(&[(10, 1), (20, -1), (30, 1)]), vec![(10, Some(20)), (30, None)]);
        // A second creation while alive, a deletion while dead: nothing.
        assert_eq!(lives(&[(5, -1), (10, 1), (15, 1), (20, -1), (25, -1)]), vec![(10, Some(20))]);
    }
}
