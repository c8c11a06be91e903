//! Event counts per kind and month, kept as derived state (`usage_months`) so
//! that the counts are read from a few rows instead of counted over millions of
//! events, and outlive the purge of the events they came from.
//!
//! `Store::update_usage_months` adds the events stored since the last update
//! (`usage_progress.through_seq`), in steps. A read adds the events stored since
//! then (the tail) to the kept counts, so it is exact whenever it is made. The
//! months are those of the account's time zone at the time of counting
//! (`usage_progress.counted_in`); when the zone changes, the next update counts
//! everything again.

use std::collections::HashMap;

use chrono::DateTime;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use tally_events::EventKind;
use tally_seats::Month;

use crate::kind::StoredKind;
use crate::{Account, Store, StoreError};

/// Events per (kind, month).
type MonthCounts = HashMap<(EventKind, Month), u64>;

/// Events counted per step of [`Store::update_usage_months`]: about a second of work.
pub const USAGE_EVENTS_PER_STEP: usize = 1_000_000;

impl Store {
    /// Brings the account's kept event counts up to date, committing every
    /// `events_per_step` events; answers how many events were counted.
    pub fn update_usage_months(
        &mut self,
        slug: &str,
        events_per_step: usize,
    ) -> Result<u64, StoreError> {
        let account = self.account(slug)?;
        let doing = || format!("counting the events of account {slug} per month");
        let mut counted = 0;
        loop {
            let transaction = self
                .connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(StoreError::sqlite(doing()))?;
            let (step, done) = usage_step(&transaction, &account, events_per_step.max(1))
                .map_err(StoreError::sqlite(doing()))?;
            transaction.commit().map_err(StoreError::sqlite(doing()))?;
            counted += step;
            if done {
                return Ok(counted);
            }
        }
    }

    /// The account's counts per (kind, month): the kept ones plus the tail, or
    /// `None` when they were never kept under the account's current zone.
    pub(crate) fn kept_usage_months(
        &self,
        account: &Account,
    ) -> Result<Option<MonthCounts>, StoreError> {
        let doing = || format!("reading the event counts of account {}", account.slug);
        let sqlite = |error| StoreError::sqlite(doing())(error);
        let Some(through) = progress(&self.connection, account).map_err(sqlite)? else {
            return Ok(None);
        };
        let mut counts = HashMap::new();
        let mut statement = self
            .connection
            .prepare_cached("SELECT kind, month, events FROM usage_months WHERE account_id = ?1")
            .map_err(sqlite)?;
        let mut rows = statement.query([account.id.0]).map_err(sqlite)?;
        while let Some(row) = rows.next().map_err(sqlite)? {
            let StoredKind(kind) = row.get(0).map_err(sqlite)?;
            let month: String = row.get(1).map_err(sqlite)?;
            let events: i64 = row.get(2).map_err(sqlite)?;
            let month = month.parse::<Month>().map_err(|_| StoreError::CorruptValue {
                table: "usage_months",
                column: "month",
                value: month.clone(),
            })?;
            counts.insert((kind, month), events as u64);
        }
        add_events_after(&self.connection, account, through, usize::MAX, &mut counts)
            .map_err(sqlite)?;
        Ok(Some(counts))
    }
}

/// How far the kept counts reach, if they were kept under the account's zone.
fn progress(connection: &rusqlite::Connection, account: &Account) -> rusqlite::Result<Option<i64>> {
    let row: Option<(i64, String)> = connection
        .query_row(
            "SELECT through_seq, counted_in FROM usage_progress WHERE account_id = ?1",
            [account.id.0],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    Ok(row
        .and_then(|(through, zone)| (zone == account.calendar.time_zone.name()).then_some(through)))
}

/// Adds the account's events after `through` (at most `limit`) to `counts`;
/// answers how many were read and the last one's sequence number.
fn add_events_after(
    connection: &rusqlite::Connection,
    account: &Account,
    through: i64,
    limit: usize,
    counts: &mut MonthCounts,
) -> rusqlite::Result<(usize, i64)> {
    // The unary `+` keeps SQLite on the rowid range after `through` rather than
    // the (account, kind, instant) index, which would visit every event.
    let mut statement = connection.prepare_cached(
        "SELECT seq, kind, at_us FROM events WHERE seq > ?1 AND +account_id = ?2
         ORDER BY seq LIMIT ?3",
    )?;
    let mut rows =
        statement.query(params![through, account.id.0, limit.min(i64::MAX as usize) as i64])?;
    let (mut read, mut last) = (0, through);
    while let Some(row) = rows.next()? {
        let (seq, StoredKind(kind), at_us): (i64, StoredKind, i64) =
            (row.get(0)?, row.get(1)?, row.get(2)?);
        let at = DateTime::from_timestamp_micros(at_us).unwrap_or_default();
        let month = Month::of(tally_seats::local_date(&account.calendar, at));
        *counts.entry((kind, month)).or_default() += 1;
        read += 1;
        last = seq;
    }
    Ok((read, last))
}

/// One step: the next events (at most `limit`) into `usage_months`; answers how
/// many were counted and whether that reached the end of the log.
fn usage_step(
    transaction: &Transaction<'_>,
    account: &Account,
    limit: usize,
) -> rusqlite::Result<(u64, bool)> {
    let through = match progress(transaction, account)? {
        Some(through) => through,
        None => {
            // Never counted, or counted in another zone: start again.
            transaction
                .execute("DELETE FROM usage_months WHERE account_id = ?1", [account.id.0])?;
            0
        }
    };
    let latest: i64 =
        transaction.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |row| row.get(0))?;
    let mut counts = HashMap::new();
    let (read, last) = add_events_after(transaction, account, through, limit, &mut counts)?;
    let mut upsert = transaction.prepare_cached(
        "INSERT INTO usage_months (account_id, kind, month, events) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account_id, kind, month) DO UPDATE SET events = events + excluded.events",
    )?;
    for ((kind, month), events) in &counts {
        upsert.execute(params![
            account.id.0,
            StoredKind(*kind),
            month.to_string(),
            *events as i64
        ])?;
    }
    let done = read < limit;
    // Done means every event up to `latest` was read (the write lock is held),
    // so the next update starts after it rather than rescanning other accounts'.
    let through = if done { latest.max(last) } else { last };
    transaction.execute(
        "INSERT INTO usage_progress (account_id, through_seq, counted_in) VALUES (?1, ?2, ?3)
         ON CONFLICT (account_id) DO UPDATE SET through_seq = ?2, counted_in = ?3",
        params![account.id.0, through, account.calendar.time_zone.name()],
    )?;
    Ok((read as u64, done))
}
