//! The usage monitor's Activities (M4-M5): `activity` events summed per
//! account, quarter of an hour of UTC, module and action, kept as derived
//! state (`monitor_quarters`) so that a 90-day period reads a few thousand
//! rows rather than every event.
//!
//! `Store::update_monitor` adds the events stored since the last update
//! (`monitor_progress.through_seq`), in steps: each step reads and sums in a
//! read transaction and takes the write lock only to write the sums. A read
//! adds the events stored since, so it is exact at any moment; an account
//! never updated is read from the (account, kind, instant) index.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tally_access::MonitorView;
use tally_events::EventKind;

use crate::kind::StoredKind;
use crate::{Account, Store, StoreError};

/// `activity` events read per step of [`Store::update_monitor`]: a fraction
/// of a second of work.
pub const MONITOR_EVENTS_PER_STEP: usize = 200_000;

/// A quarter of an hour of UTC, counted from 1970-01-01T00:00Z.
///
/// Every time zone's offset from UTC is a whole number of quarters (India's
/// +05:30, Nepal's +05:45, the Chatham Islands' +12:45), so the first instant
/// of a day in any zone starts a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter(i64);

impl Quarter {
    const MICROS: i64 = 15 * 60 * 1_000_000;

    /// The quarter holding `at`.
    pub fn of(at: DateTime<Utc>) -> Quarter {
        Quarter(at.timestamp_micros().div_euclid(Quarter::MICROS))
    }

    /// The quarter's first instant.
    pub fn start(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0 * Quarter::MICROS).unwrap_or_default()
    }
}

/// The `activity` events of one account, quarter, module and action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorQuarter {
    /// The account's slug.
    pub account: String,
    /// The quarter of an hour they happened in.
    pub quarter: Quarter,
    /// The module, as the events name it.
    pub module: String,
    /// The action done in it.
    pub action: String,
    /// How many `activity` events.
    pub actions: u64,
    /// The sum of their `time_spent_secs`.
    pub time_spent_secs: u64,
}

/// A quarter, module and action.
type SumKey = (Quarter, String, String);

/// (actions, time spent) per quarter, module and action.
type Sums = HashMap<SumKey, (u64, u64)>;

impl Store {
    /// Brings the account's quarter sums up to date, committing every
    /// `events_per_step` `activity` events; answers how many were counted.
    pub fn update_monitor(
        &mut self,
        slug: &str,
        events_per_step: usize,
    ) -> Result<u64, StoreError> {
        let account = self.account(slug)?;
        let doing = || format!("summing the activities of account {slug} for the monitor");
        let sqlite = |error| StoreError::sqlite(doing())(error);
        let limit = events_per_step.max(1);
        let mut counted = 0;
        loop {
            let snapshot = self
                .connection
                .transaction_with_behavior(TransactionBehavior::Deferred)
                .map_err(sqlite)?;
            let from = progress(&snapshot, &account).map_err(sqlite)?;
            let latest: i64 = snapshot
                .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |row| row.get(0))
                .map_err(sqlite)?;
            let mut sums = Sums::new();
            let (read, last) =
                add_events_after(&snapshot, &account, from.unwrap_or(0), limit, None, &mut sums)
                    .map_err(sqlite)?;
            snapshot.commit().map_err(sqlite)?;
            let done = read < limit;
            // Done means every event up to `latest` was read, so the next
            // update starts after it rather than rescanning other accounts'.
            let through = if done { latest.max(last) } else { last };
            let transaction = self
                .connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sqlite)?;
            // Another connection may have counted these events meanwhile:
            // then this step's sums are dropped and the next step starts after its.
            let unmoved = progress(&transaction, &account).map_err(sqlite)? == from;
            if unmoved {
                write_step(&transaction, &account, &sums, through).map_err(sqlite)?;
            }
            transaction.commit().map_err(sqlite)?;
            if unmoved {
                counted += read as u64;
                if done {
                    return Ok(counted);
                }
            }
        }
    }

    /// Visits the `activity` sums of every account in the view's scope, per
    /// quarter, module and action, in the quarters from `from` up to (not
    /// including) `to`: by account slug, then quarter, module and action.
    ///
    /// Exact at any moment: the kept sums plus the events stored since they
    /// were last brought up to date, read in one snapshot.
    pub fn monitor_activity(
        &self,
        view: &MonitorView,
        from: Quarter,
        to: Quarter,
        mut visit: impl FnMut(MonitorQuarter),
    ) -> Result<(), StoreError> {
        let mut accounts = self.accounts()?;
        accounts.retain(|account| view.scope().includes(&account.slug));
        accounts.sort_by(|one, other| one.slug.cmp(&other.slug));
        for account in accounts {
            let doing = || format!("reading the activities of account {}", account.slug);
            let sqlite = |error| StoreError::sqlite(doing())(error);
            let snapshot = self.connection.unchecked_transaction().map_err(sqlite)?;
            let sums = quarter_sums(&snapshot, &account, from, to).map_err(sqlite)?;
            snapshot.finish().map_err(sqlite)?;
            for ((quarter, module, action), (actions, time_spent_secs)) in sums {
                visit(MonitorQuarter {
                    account: account.slug.clone(),
                    quarter,
                    module,
                    action,
                    actions,
                    time_spent_secs,
                });
            }
        }
        Ok(())
    }
}

/// The account's sums in `[from, to)`, in key order: the kept ones plus the
/// events after the progress, or, for an account never updated, read from the
/// events' (account, kind, instant) index.
fn quarter_sums(
    connection: &Connection,
    account: &Account,
    from: Quarter,
    to: Quarter,
) -> rusqlite::Result<BTreeMap<SumKey, (u64, u64)>> {
    let mut sums = BTreeMap::new();
    let Some(through) = progress(connection, account)? else {
        let mut statement = connection.prepare_cached(
            "SELECT at_us, payload ->> '$.module', payload ->> '$.action',
                    payload ->> '$.time_spent_secs'
             FROM events WHERE account_id = ?1 AND kind = ?2 AND at_us >= ?3 AND at_us < ?4",
        )?;
        let mut rows = statement.query(params![
            account.id.0,
            StoredKind(EventKind::Activity),
            from.start().timestamp_micros(),
            to.start().timestamp_micros()
        ])?;
        while let Some(row) = rows.next()? {
            let at = DateTime::from_timestamp_micros(row.get(0)?).unwrap_or_default();
            let sum: &mut (u64, u64) =
                sums.entry((Quarter::of(at), row.get(1)?, row.get(2)?)).or_default();
            sum.0 += 1;
            sum.1 += row.get::<_, i64>(3)? as u64;
        }
        return Ok(sums);
    };
    let mut statement = connection.prepare_cached(
        "SELECT quarter, module, action, actions, time_spent_secs FROM monitor_quarters
         WHERE account_id = ?1 AND quarter >= ?2 AND quarter < ?3",
    )?;
    let mut rows = statement.query(params![account.id.0, from.0, to.0])?;
    while let Some(row) = rows.next()? {
        let key = (Quarter(row.get(0)?), row.get(1)?, row.get(2)?);
        sums.insert(key, (row.get::<_, i64>(3)? as u64, row.get::<_, i64>(4)? as u64));
    }
    let mut tail = Sums::new();
    add_events_after(connection, account, through, usize::MAX, Some((from, to)), &mut tail)?;
    for (key, (actions, time_spent_secs)) in tail {
        let sum = sums.entry(key).or_default();
        sum.0 += actions;
        sum.1 += time_spent_secs;
    }
    Ok(sums)
}

/// How far the kept sums reach, if they were ever kept.
fn progress(connection: &Connection, account: &Account) -> rusqlite::Result<Option<i64>> {
    connection
        .query_row(
            "SELECT through_seq FROM monitor_progress WHERE account_id = ?1",
            [account.id.0],
            |row| row.get(0),
        )
        .optional()
}

/// Adds the account's `activity` events after `through` (at most `limit`, and
/// only those in `within` when given) to `sums`; answers how many were read
/// and the last one's sequence number.
fn add_events_after(
    connection: &Connection,
    account: &Account,
    through: i64,
    limit: usize,
    within: Option<(Quarter, Quarter)>,
    sums: &mut Sums,
) -> rusqlite::Result<(usize, i64)> {
    // The unary `+` keeps SQLite on the rowid range after `through` rather
    // than the (account, kind, instant) index, which would visit every event.
    let mut statement = connection.prepare_cached(
        "SELECT seq, at_us, payload ->> '$.module', payload ->> '$.action',
                payload ->> '$.time_spent_secs'
         FROM events WHERE seq > ?1 AND +account_id = ?2 AND +kind = ?3 ORDER BY seq LIMIT ?4",
    )?;
    let mut rows = statement.query(params![
        through,
        account.id.0,
        StoredKind(EventKind::Activity),
        limit.min(i64::MAX as usize) as i64
    ])?;
    let (mut read, mut last) = (0, through);
    while let Some(row) = rows.next()? {
        read += 1;
        last = row.get(0)?;
        let at = DateTime::from_timestamp_micros(row.get(1)?).unwrap_or_default();
        let quarter = Quarter::of(at);
        if within.is_some_and(|(from, to)| quarter < from || quarter >= to) {
            continue;
        }
        let sum = sums.entry((quarter, row.get(2)?, row.get(3)?)).or_default();
        sum.0 += 1;
        sum.1 += row.get::<_, i64>(4)? as u64;
    }
    Ok((read, last))
}

/// Writes a step's sums and moves the progress to `through`.
fn write_step(
    transaction: &Transaction<'_>,
    account: &Account,
    sums: &Sums,
    through: i64,
) -> rusqlite::Result<()> {
    let mut upsert = transaction.prepare_cached(
        "INSERT INTO monitor_quarters (account_id, quarter, module, action, actions, time_spent_secs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (account_id, quarter, module, action) DO UPDATE
         SET actions = actions + excluded.actions,
             time_spent_secs = time_spent_secs + excluded.time_spent_secs",
    )?;
    for ((quarter, module, action), (actions, time_spent_secs)) in sums {
        upsert.execute(params![
            account.id.0,
            quarter.0,
            module,
            action,
            *actions as i64,
            *time_spent_secs as i64
        ])?;
    }
    transaction.execute(
        "INSERT INTO monitor_progress (account_id, through_seq) VALUES (?1, ?2)
         ON CONFLICT (account_id) DO UPDATE SET through_seq = ?2",
        params![account.id.0, through],
    )?;
    Ok(())
}
