//! The idempotency index: which (account, event id) keys the event log holds.
//!
//! Keys of all events up to `event_ids_through_seq` are in the `event_ids` table;
//! keys of later events are held in memory, rebuilt from `events` when the store
//! opens. When the in-memory part reaches an eighth of the table it is merged in,
//! in key order, in one transaction: each page of `event_ids` is then written at
//! most once per merge, and merges come rarer as the table grows, so the cost per
//! event stays flat instead of one random page write per event.
//!
//! Several processes may append to one file (the daemon and an import): every
//! write transaction first reads the rows others appended since it last looked.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use rusqlite::{Transaction, params};

use crate::filter::KeyFilter;

/// Merge once the in-memory keys reach this share of the table, within the
/// range `StoreOptions::keys_in_memory` allows.
const MERGE_RATIO: u64 = 8;

pub(crate) struct IdIndex {
    keys_in_memory: RangeInclusive<usize>,
    /// Every hash in `event_ids`, so most lookups of new keys skip the table.
    merged_filter: KeyFilter,
    /// Every event with `seq` up to this has its key in `event_ids`.
    merged_through: i64,
    /// Rows in `event_ids`.
    merged_rows: u64,
    /// Every event with `seq` up to this has its key in `event_ids` or in `recent`.
    seen_through: i64,
    /// Keys of events after `merged_through`: hash to seq. A second event with the
    /// same hash (a 64-bit collision or a conflict) goes to `recent_more`.
    recent: HashMap<i64, i64>,
    recent_more: HashMap<i64, Vec<i64>>,
}

/// Keys written by a transaction that has not committed yet.
#[derive(Default)]
pub(crate) struct PendingKeys {
    keys: HashMap<i64, Vec<i64>>,
    /// Set when the transaction also merged: `(through_seq, rows_added)`.
    merged: Option<(i64, u64)>,
}

impl PendingKeys {
    pub(crate) fn add(&mut self, hash: i64, seq: i64) {
        self.keys.entry(hash).or_default().push(seq);
    }
}

impl IdIndex {
    pub(crate) fn load(
        transaction: &Transaction<'_>,
        keys_in_memory: RangeInclusive<usize>,
    ) -> rusqlite::Result<IdIndex> {
        let mut index = IdIndex {
            keys_in_memory,
            merged_filter: KeyFilter::with_capacity(0),
            merged_through: 0,
            merged_rows: 0,
            seen_through: 0,
            recent: HashMap::new(),
            recent_more: HashMap::new(),
        };
        index.catch_up(transaction)?;
        Ok(index)
    }

    /// Reads what other connections merged and appended since this one last looked.
    /// Call at the start of every write transaction, holding the write lock.
    pub(crate) fn catch_up(&mut self, transaction: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut statement = transaction
            .prepare_cached("SELECT seq, id_hash FROM events WHERE seq > ?1 ORDER BY seq")?;
        let mut rows = statement.query([self.seen_through])?;
        while let Some(row) = rows.next()? {
            let (seq, hash): (i64, i64) = (row.get(0)?, row.get(1)?);
            self.remember(hash, seq);
            self.seen_through = seq;
        }
        let (merged_through, merged_rows) = read_state(transaction)?;
        if self.merged_filter.capacity() == 0
            || merged_rows as usize > self.merged_filter.capacity()
        {
            self.merged_filter = load_filter(transaction, merged_rows)?;
        } else if merged_through > self.merged_through {
            // Another connection merged: its keys are ours in `recent`, move them.
            let filter = &mut self.merged_filter;
            self.recent.retain(|hash, seq| {
                let keep = *seq > merged_through;
                if !keep {
                    filter.insert(*hash);
                }
                keep
            });
            self.recent_more.retain(|hash, seqs| {
                seqs.retain(|seq| {
                    let keep = *seq > merged_through;
                    if !keep {
                        filter.insert(*hash);
                    }
                    keep
                });
                !seqs.is_empty()
            });
        }
        if merged_through > self.merged_through {
            self.recent.retain(|_, seq| *seq > merged_through);
            self.recent_more.retain(|_, seqs| {
                seqs.retain(|seq| *seq > merged_through);
                !seqs.is_empty()
            });
            self.merged_through = merged_through;
        }
        self.merged_rows = merged_rows;
        Ok(())
    }

    /// The seqs of stored events whose key hash is `hash`, pending ones included.
    pub(crate) fn candidates(
        &self,
        transaction: &Transaction<'_>,
        pending: &PendingKeys,
        hash: i64,
        out: &mut Vec<i64>,
    ) -> rusqlite::Result<()> {
        out.clear();
        out.extend(self.recent.get(&hash));
        out.extend(self.recent_more.get(&hash).into_iter().flatten());
        out.extend(pending.keys.get(&hash).into_iter().flatten());
        if self.merged_filter.may_contain(hash) {
            let mut statement =
                transaction.prepare_cached("SELECT seq FROM event_ids WHERE id_hash = ?1")?;
            let mut rows = statement.query([hash])?;
            while let Some(row) = rows.next()? {
                out.push(row.get(0)?);
            }
        }
        Ok(())
    }

    /// Merges the in-memory keys into `event_ids` when they have grown enough.
    /// Writes inside the caller's transaction; memory changes only in [`Self::committed`].
    pub(crate) fn merge_if_due(
        &self,
        transaction: &Transaction<'_>,
        pending: &mut PendingKeys,
    ) -> rusqlite::Result<()> {
        let in_memory = self.recent.len() + self.recent_more.values().map(Vec::len).sum::<usize>();
        let due = (self.merged_rows / MERGE_RATIO)
            .clamp(*self.keys_in_memory.start() as u64, *self.keys_in_memory.end() as u64);
        if (in_memory as u64) < due {
            return Ok(());
        }
        let mut keys: Vec<(i64, i64)> =
            self.recent.iter().map(|(hash, seq)| (*hash, *seq)).collect();
        keys.extend(
            self.recent_more
                .iter()
                .flat_map(|(hash, seqs)| seqs.iter().map(move |seq| (*hash, *seq))),
        );
        keys.sort_unstable();
        let mut insert =
            transaction.prepare_cached("INSERT INTO event_ids (id_hash, seq) VALUES (?1, ?2)")?;
        for (hash, seq) in &keys {
            insert.execute(params![hash, seq])?;
        }
        let merged_rows = self.merged_rows + keys.len() as u64;
        write_state(transaction, self.seen_through, merged_rows)?;
        pending.merged = Some((self.seen_through, merged_rows));
        Ok(())
    }

    /// Applies a committed transaction's keys (and merge) to memory.
    pub(crate) fn committed(&mut self, pending: PendingKeys) {
        if let Some((through, rows)) = pending.merged {
            for hash in self.recent.keys().chain(self.recent_more.keys()) {
                self.merged_filter.insert(*hash);
            }
            self.recent.clear();
            self.recent_more.clear();
            self.merged_through = through;
            self.merged_rows = rows;
        }
        for (hash, seqs) in pending.keys {
            for seq in seqs {
                self.remember(hash, seq);
                self.seen_through = self.seen_through.max(seq);
            }
        }
    }

    fn remember(&mut self, hash: i64, seq: i64) {
        if let Some(first) = self.recent.get(&hash) {
            if *first != seq {
                self.recent_more.entry(hash).or_default().push(seq);
            }
        } else {
            self.recent.insert(hash, seq);
        }
    }
}

/// Builds the filter from `event_ids`, sized for twice its rows so it is rebuilt
/// only each time the table doubles.
fn load_filter(transaction: &Transaction<'_>, merged_rows: u64) -> rusqlite::Result<KeyFilter> {
    let mut filter = KeyFilter::with_capacity((2 * merged_rows as usize).max(1 << 20));
    let mut statement = transaction.prepare_cached("SELECT id_hash FROM event_ids")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        filter.insert(row.get(0)?);
    }
    Ok(filter)
}

fn read_state(transaction: &Transaction<'_>) -> rusqlite::Result<(i64, u64)> {
    let mut statement = transaction.prepare_cached(
        "SELECT (SELECT value FROM store_state WHERE key = 'event_ids_through_seq'),
                (SELECT value FROM store_state WHERE key = 'event_ids_rows')",
    )?;
    statement.query_row([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as u64)))
}

fn write_state(transaction: &Transaction<'_>, through: i64, rows: u64) -> rusqlite::Result<()> {
    let mut statement =
        transaction.prepare_cached("UPDATE store_state SET value = ?2 WHERE key = ?1")?;
    statement.execute(params!["event_ids_through_seq", through])?;
    statement.execute(params!["event_ids_rows", rows as i64])?;
    Ok(())
}
