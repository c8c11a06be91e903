//! The idempotency index: which (account, event id) keys the event log holds.
//!
//! Senders' ids are random, so an index kept in key order takes each new key on a
//! random page: past a few million events every commit rewrites thousands of pages.
//! Instead the keys form a log-structured merge inside the SQLite file:
//!
//! - Keys of the newest events are held in memory (`recent`), rebuilt from
//!   `events` when the store opens.
//! - When they reach `StoreOptions::keys_in_memory` they are written, sorted, as a
//!   new *run*: rows of `event_id_blocks`, each a blob of up to
//!   [`KEYS_PER_BLOCK`] keys in order. A run is written once, in order, a block per
//!   row, so writing a key costs its 16 bytes and not a row of its own.
//!   `event_id_runs` lists the runs with a Bloom filter of each.
//! - When four runs are of about the same size (the same power of four times the
//!   flush size) they are merged into one and deleted. Each key is therefore
//!   rewritten once per size step, and only a few runs exist at any time.
//!
//! A key is looked up in memory, then in each run whose filter may hold it: a new
//! key (almost every key) costs a few cache lines and no disk read.
//!
//! Several processes may append to one file (the daemon and an import): every
//! write transaction first reads what others appended, flushed and merged since it
//! last looked.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hasher, RandomState};

use rusqlite::{Transaction, params};

use crate::filter::KeyFilter;

/// Runs of about the same size merged into one: a key is rewritten once each
/// time its run grows fourfold.
const RUNS_PER_MERGE: usize = 4;

/// Keys per block: 16 bytes each, so that a block's row fits in one 4 KiB page.
/// A block never splits the keys of one hash, so it can hold more.
const KEYS_PER_BLOCK: usize = 240;

/// An idempotency key: the (account, event id) hash and the event's `seq`.
type Key = (i64, i64);

/// A map from a key's hash, which is already an xxh3 hash.
type KeyMap<V> = HashMap<i64, V, KeyHashing>;

/// Hashing for [`KeyMap`]: the writer looks up and adds every appended event's
/// key several times, and SipHash cost more than the lookups themselves. The
/// key is already a 64-bit hash, but of ids the sender chooses; it is mixed
/// with a secret drawn per map, so that a sender cannot pick ids that crowd one
/// place of the map.
#[derive(Clone)]
struct KeyHashing {
    secret: u64,
}

impl Default for KeyHashing {
    fn default() -> KeyHashing {
        KeyHashing { secret: RandomState::new().hash_one(0_u64) }
    }
}

impl BuildHasher for KeyHashing {
    type Hasher = KeyHasher;

    fn build_hasher(&self) -> KeyHasher {
        KeyHasher { secret: self.secret, hash: 0 }
    }
}

struct KeyHasher {
    secret: u64,
    hash: u64,
}

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.hash
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_i64(&mut self, key: i64) {
        self.write_u64(key as u64);
    }

    fn write_u64(&mut self, key: u64) {
        // A folded multiply: every bit of the product's halves depends on every
        // bit of the key and the secret.
        let product =
            u128::from(self.hash ^ key ^ self.secret) * u128::from(0x9E37_79B9_7F4A_7C15_u64);
        self.hash = (product as u64) ^ ((product >> 64) as u64);
    }
}

pub(crate) struct IdIndex {
    /// Keys held in memory before they are written as a run.
    flush_keys: usize,
    /// The runs in the file, oldest first.
    runs: Vec<Run>,
    /// Every event with `seq` up to this has its key in a run.
    runs_through: i64,
    /// Every event with `seq` up to this has its key in a run or in `recent`.
    seen_through: i64,
    /// Keys of events after `runs_through`: hash to seq. Another event with the
    /// same hash (a 64-bit collision or a conflict) goes to `recent_more`.
    recent: KeyMap<i64>,
    recent_more: KeyMap<Vec<i64>>,
}

struct Run {
    run: i64,
    keys: u64,
    filter: KeyFilter,
}

/// What a write transaction changed in the index, applied to memory only once it
/// has committed.
#[derive(Default)]
pub(crate) struct PendingKeys {
    keys: KeyMap<i64>,
    keys_more: Vec<Key>,
    flush: Option<Flush>,
}

/// A flush of the in-memory keys as a run, with any merges it set off.
struct Flush {
    through: i64,
    added: Vec<Run>,
    removed: Vec<i64>,
}

impl PendingKeys {
    /// Room for the keys of `events` new events.
    pub(crate) fn for_events(events: usize) -> PendingKeys {
        PendingKeys {
            keys: KeyMap::with_capacity_and_hasher(events, KeyHashing::default()),
            ..PendingKeys::default()
        }
    }

    pub(crate) fn add(&mut self, hash: i64, seq: i64) {
        if let Some(first) = self.keys.insert(hash, seq) {
            self.keys.insert(hash, first);
            self.keys_more.push((hash, seq));
        }
    }
}

impl IdIndex {
    pub(crate) fn load(
        transaction: &Transaction<'_>,
        flush_keys: usize,
    ) -> rusqlite::Result<IdIndex> {
        let mut index = IdIndex {
            flush_keys: flush_keys.max(1),
            runs: Vec::new(),
            runs_through: 0,
            seen_through: 0,
            // Sized for the keys held before a flush, so that it never grows
            // (rehashing every key) while appends wait.
            recent: KeyMap::with_capacity_and_hasher(flush_keys.max(1), KeyHashing::default()),
            recent_more: KeyMap::default(),
        };
        index.catch_up(transaction)?;
        Ok(index)
    }

    /// Reads what other connections flushed, merged and appended since this one
    /// last looked. Call at the start of every write transaction, holding the
    /// write lock, so that nothing changes underneath.
    pub(crate) fn catch_up(&mut self, transaction: &Transaction<'_>) -> rusqlite::Result<()> {
        let runs_through = transaction.query_row(
            "SELECT value FROM store_state WHERE key = 'event_ids_through_seq'",
            [],
            |row| row.get(0),
        )?;
        // Runs change only with a flush, and a flush always moves `runs_through`.
        if runs_through > self.runs_through || self.runs.is_empty() {
            self.forget_through(runs_through);
            self.runs = load_runs(transaction, std::mem::take(&mut self.runs))?;
        }
        self.runs_through = runs_through;
        self.seen_through = self.seen_through.max(runs_through);
        let mut statement = transaction
            .prepare_cached("SELECT seq, id_hash FROM events WHERE seq > ?1 ORDER BY seq")?;
        let mut rows = statement.query([self.seen_through])?;
        while let Some(row) = rows.next()? {
            let (seq, hash): Key = (row.get(0)?, row.get(1)?);
            self.remember(hash, seq);
            self.seen_through = seq;
        }
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
        out.extend(pending.keys.get(&hash));
        out.extend(pending.keys_more.iter().filter(|(more, _)| *more == hash).map(|(_, seq)| seq));
        let (added, removed): (&[Run], &[i64]) = match &pending.flush {
            Some(flush) => (&flush.added, &flush.removed),
            None => (&[], &[]),
        };
        let runs = self.runs.iter().filter(|run| !removed.contains(&run.run)).chain(added);
        for run in runs {
            if run.filter.may_contain(hash) {
                find_in_run(transaction, run.run, hash, out)?;
            }
        }
        Ok(())
    }

    /// Writes the in-memory keys as a run once there are enough, and merges runs
    /// that have become alike in size. Writes inside the caller's transaction;
    /// memory changes only in [`Self::committed`].
    pub(crate) fn flush_if_due(
        &self,
        transaction: &Transaction<'_>,
        pending: &mut PendingKeys,
    ) -> rusqlite::Result<()> {
        let in_memory = self.recent.len() + self.recent_more.values().map(Vec::len).sum::<usize>();
        if in_memory < self.flush_keys {
            return Ok(());
        }
        let mut keys: Vec<Key> = self.recent.iter().map(|(hash, seq)| (*hash, *seq)).collect();
        keys.extend(
            self.recent_more
                .iter()
                .flat_map(|(hash, seqs)| seqs.iter().map(move |seq| (*hash, *seq))),
        );
        let started = std::time::Instant::now();
        keys.sort_unstable();
        let flushed = write_run(transaction, keys.len(), keys.into_iter().map(Ok))?;
        tracing::debug!(run = flushed.run, keys = flushed.keys, elapsed = ?started.elapsed(), "flushed idempotency keys");
        transaction.execute(
            "UPDATE store_state SET value = ?1 WHERE key = 'event_ids_through_seq'",
            [self.seen_through],
        )?;

        let mut sizes: Vec<(i64, u64)> = self.runs.iter().map(|run| (run.run, run.keys)).collect();
        sizes.push((flushed.run, flushed.keys));
        let mut flush = Flush { through: self.seen_through, added: vec![flushed], removed: vec![] };
        while let Some(alike) = runs_to_merge(&sizes, self.flush_keys) {
            let keys: u64 =
                sizes.iter().filter(|(run, _)| alike.contains(run)).map(|(_, keys)| keys).sum();
            let started = std::time::Instant::now();
            let merged = merge_runs(transaction, &alike, keys as usize)?;
            tracing::debug!(runs = ?alike, into = merged.run, keys = merged.keys, elapsed = ?started.elapsed(), "merged idempotency runs");
            sizes.retain(|(run, _)| !alike.contains(run));
            sizes.push((merged.run, merged.keys));
            flush.added.retain(|run| !alike.contains(&run.run));
            flush.added.push(merged);
            flush
                .removed
                .extend(alike.iter().filter(|run| self.runs.iter().any(|r| r.run == **run)));
        }
        pending.flush = Some(flush);
        Ok(())
    }

    /// Applies a committed transaction's keys (and flush) to memory.
    pub(crate) fn committed(&mut self, pending: PendingKeys) {
        if let Some(flush) = pending.flush {
            self.runs.retain(|run| !flush.removed.contains(&run.run));
            self.runs.extend(flush.added);
            self.recent.clear();
            self.recent_more.clear();
            self.runs_through = flush.through;
        }
        for (hash, seq) in pending.keys.into_iter().chain(pending.keys_more) {
            self.remember(hash, seq);
            self.seen_through = self.seen_through.max(seq);
        }
    }

    fn forget_through(&mut self, through: i64) {
        self.recent.retain(|_, seq| *seq > through);
        self.recent_more.retain(|_, seqs| {
            seqs.retain(|seq| *seq > through);
            !seqs.is_empty()
        });
    }

    fn remember(&mut self, hash: i64, seq: i64) {
        match self.recent.entry(hash) {
            Entry::Occupied(first) => {
                if *first.get() != seq {
                    self.recent_more.entry(hash).or_default().push(seq);
                }
            }
            Entry::Vacant(place) => {
                place.insert(seq);
            }
        }
    }
}

/// The runs `event_id_runs` lists, reusing the filters of those already loaded.
fn load_runs(transaction: &Transaction<'_>, mut loaded: Vec<Run>) -> rusqlite::Result<Vec<Run>> {
    let listed: Vec<(i64, u64)> = transaction
        .prepare_cached("SELECT run, keys FROM event_id_runs ORDER BY run")?
        .query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as u64)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut runs = Vec::with_capacity(listed.len());
    for (run, keys) in listed {
        if let Some(at) = loaded.iter().position(|loaded| loaded.run == run) {
            runs.push(loaded.swap_remove(at));
            continue;
        }
        let stored: Vec<u8> = transaction.query_row(
            "SELECT filter FROM event_id_runs WHERE run = ?1",
            [run],
            |row| row.get(0),
        )?;
        let filter = match KeyFilter::from_bytes(&stored) {
            Some(filter) => filter,
            // Not written by this code: rebuild it from the run rather than trust it.
            None => {
                let mut filter = KeyFilter::for_keys(keys as usize);
                let mut reader = RunReader::new(run);
                while let Some((hash, _)) = reader.next(transaction)? {
                    filter.insert(hash);
                }
                filter
            }
        };
        runs.push(Run { run, keys, filter });
    }
    Ok(runs)
}

/// Adds the seqs stored under `hash` in `run` to `out`.
fn find_in_run(
    transaction: &Transaction<'_>,
    run: i64,
    hash: i64,
    out: &mut Vec<i64>,
) -> rusqlite::Result<()> {
    // A block holds every key of the hashes it covers, so the one block that
    // starts at or before `hash` is the only place it can be.
    let mut statement = transaction.prepare_cached(
        "SELECT keys FROM event_id_blocks WHERE run = ?1 AND first_hash <= ?2
         ORDER BY first_hash DESC LIMIT 1",
    )?;
    let mut rows = statement.query([run, hash])?;
    if let Some(row) = rows.next()? {
        let block = row.get_ref(0)?.as_blob()?;
        let keys = decode_block(block);
        let start = keys.partition_point(|(key, _)| *key < hash);
        out.extend(keys[start..].iter().take_while(|(key, _)| *key == hash).map(|(_, seq)| seq));
    }
    Ok(())
}

/// Creates the next run from `keys`, which come in (hash, seq) order, building its
/// filter on the way.
fn write_run(
    transaction: &Transaction<'_>,
    expected_keys: usize,
    keys: impl Iterator<Item = rusqlite::Result<Key>>,
) -> rusqlite::Result<Run> {
    let run: i64 = transaction.query_row(
        "SELECT coalesce(max(run), 0) + 1 FROM event_id_runs",
        [],
        |row| row.get(0),
    )?;
    let mut filter = KeyFilter::for_keys(expected_keys);
    let mut written = 0u64;
    let mut insert = transaction.prepare_cached(
        "INSERT INTO event_id_blocks (run, first_hash, keys) VALUES (?1, ?2, ?3)",
    )?;
    let mut block: Vec<u8> = Vec::with_capacity(KEYS_PER_BLOCK * 16);
    let mut block_first = 0;
    let mut last_hash = None;
    for key in keys {
        let (hash, seq) = key?;
        let full = block.len() >= KEYS_PER_BLOCK * 16;
        if full && last_hash != Some(hash) {
            insert.execute(params![run, block_first, block])?;
            block.clear();
        }
        if block.is_empty() {
            block_first = hash;
        }
        block.extend_from_slice(&hash.to_le_bytes());
        block.extend_from_slice(&seq.to_le_bytes());
        filter.insert(hash);
        last_hash = Some(hash);
        written += 1;
    }
    if !block.is_empty() {
        insert.execute(params![run, block_first, block])?;
    }
    transaction.execute(
        "INSERT INTO event_id_runs (run, keys, filter) VALUES (?1, ?2, ?3)",
        params![run, written as i64, filter.to_bytes()],
    )?;
    Ok(Run { run, keys: written, filter })
}

/// Schema version 3's upgrade: the keys version 2 kept in `event_ids` become the
/// first run.
pub(crate) fn upgrade_version_2_keys(transaction: &Transaction<'_>) -> rusqlite::Result<()> {
    let keys: i64 =
        transaction.query_row("SELECT count(*) FROM event_ids", [], |row| row.get(0))?;
    if keys > 0 {
        let mut statement =
            transaction.prepare("SELECT id_hash, seq FROM event_ids ORDER BY id_hash, seq")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        write_run(transaction, keys as usize, rows)?;
    }
    transaction.execute_batch("DROP TABLE event_ids")
}

/// Reads a run's keys in order, a block at a time, so that a run of millions of
/// keys is never all in memory.
struct RunReader {
    run: i64,
    /// The next block starts at or after this hash; `None` once the run is read.
    next_first: Option<i64>,
    block: std::vec::IntoIter<Key>,
}

impl RunReader {
    fn new(run: i64) -> RunReader {
        RunReader { run, next_first: Some(i64::MIN), block: Vec::new().into_iter() }
    }

    fn next(&mut self, transaction: &Transaction<'_>) -> rusqlite::Result<Option<Key>> {
        loop {
            if let Some(key) = self.block.next() {
                return Ok(Some(key));
            }
            let Some(from) = self.next_first else { return Ok(None) };
            let mut statement = transaction.prepare_cached(
                "SELECT first_hash, keys FROM event_id_blocks WHERE run = ?1 AND first_hash >= ?2
                 ORDER BY first_hash LIMIT 1",
            )?;
            let mut rows = statement.query([self.run, from])?;
            match rows.next()? {
                Some(row) => {
                    let first: i64 = row.get(0)?;
                    self.next_first = first.checked_add(1);
                    self.block = decode_block(row.get_ref(1)?.as_blob()?).into_iter();
                }
                None => self.next_first = None,
            }
        }
    }
}

fn decode_block(block: &[u8]) -> Vec<Key> {
    block
        .chunks_exact(16)
        .map(|key| {
            let hash = i64::from_le_bytes(key[..8].try_into().expect("8 bytes"));
            let seq = i64::from_le_bytes(key[8..].try_into().expect("8 bytes"));
            (hash, seq)
        })
        .collect()
}

/// The runs to merge next: the smallest size step that holds `RUNS_PER_MERGE` runs.
/// A run's step is how many times its size fits fourfold over the flush size.
fn runs_to_merge(sizes: &[(i64, u64)], flush_keys: usize) -> Option<Vec<i64>> {
    let step = |keys: u64| {
        let mut step = 0;
        let mut bound = flush_keys as u64 * RUNS_PER_MERGE as u64;
        while keys >= bound {
            step += 1;
            bound = bound.saturating_mul(RUNS_PER_MERGE as u64);
        }
        step
    };
    let mut by_step: std::collections::BTreeMap<u32, Vec<i64>> = Default::default();
    for (run, keys) in sizes {
        by_step.entry(step(*keys)).or_default().push(*run);
    }
    by_step.into_values().find(|runs| runs.len() >= RUNS_PER_MERGE)
}

/// Merges `runs` into a new run, reading each in key order, and deletes them.
fn merge_runs(transaction: &Transaction<'_>, runs: &[i64], keys: usize) -> rusqlite::Result<Run> {
    let mut readers: Vec<RunReader> = runs.iter().map(|run| RunReader::new(*run)).collect();
    let mut heads = Vec::with_capacity(runs.len());
    for reader in &mut readers {
        heads.push(reader.next(transaction)?);
    }
    let merged_keys = std::iter::from_fn(|| {
        let (at, key) = heads
            .iter()
            .enumerate()
            .filter_map(|(at, head)| head.map(|key| (at, key)))
            .min_by_key(|(_, key)| *key)?;
        Some(readers[at].next(transaction).map(|next| {
            heads[at] = next;
            key
        }))
    });
    let merged = write_run(transaction, keys, merged_keys)?;
    for run in runs {
        transaction.execute("DELETE FROM event_id_blocks WHERE run = ?1", [run])?;
        transaction.execute("DELETE FROM event_id_runs WHERE run = ?1", [run])?;
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_file() -> rusqlite::Connection {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrations().to_latest(&mut connection).unwrap();
        connection
    }

    #[test]
    fn a_hash_repeated_across_a_block_boundary_stays_in_one_block() {
        let mut connection = store_file();
        let transaction = connection.transaction().unwrap();
        // 239 keys, then three events under one hash at positions 240 to 242, then
        // more keys: the first block must take all three and end at 242 keys.
        let mut keys: Vec<Key> = (0..239).map(|n| (n * 10, n)).collect();
        keys.extend([(5_000, 1_000), (5_000, 1_001), (5_000, 1_002)]);
        keys.extend((0..300).map(|n| (10_000 + n, 2_000 + n)));
        let run = write_run(&transaction, keys.len(), keys.iter().copied().map(Ok)).unwrap();
        assert_eq!(run.keys, 542);

        let block_sizes: Vec<i64> = transaction
            .prepare("SELECT length(keys) / 16 FROM event_id_blocks ORDER BY first_hash")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(block_sizes, [242, 240, 60]);

        let mut found = Vec::new();
        find_in_run(&transaction, run.run, 5_000, &mut found).unwrap();
        assert_eq!(found, [1_000, 1_001, 1_002]);
        for (hash, seq) in [(0, 0), (2_380, 238), (10_000, 2_000), (10_239, 2_239), (10_299, 2_299)]
        {
            found.clear();
            find_in_run(&transaction, run.run, hash, &mut found).unwrap();
            assert_eq!(found, [seq], "hash {hash}");
        }
        for absent in [-1, 5, 4_999, 5_001, 10_300, i64::MAX] {
            found.clear();
            find_in_run(&transaction, run.run, absent, &mut found).unwrap();
            assert!(found.is_empty(), "hash {absent} found {found:?}");
        }

        let mut reader = RunReader::new(run.run);
        let mut read = Vec::new();
        while let Some(key) = reader.next(&transaction).unwrap() {
            read.push(key);
        }
        assert_eq!(read, keys);
    }

    #[test]
    fn merging_interleaves_runs_in_key_order() {
        let mut connection = store_file();
        let transaction = connection.transaction().unwrap();
        let odd: Vec<Key> = (0..500).map(|n| (2 * n + 1, n)).collect();
        let even: Vec<Key> = (0..700).map(|n| (2 * n, 1_000 + n)).collect();
        let first = write_run(&transaction, 500, odd.iter().copied().map(Ok)).unwrap();
        let second = write_run(&transaction, 700, even.iter().copied().map(Ok)).unwrap();
        let merged = merge_runs(&transaction, &[first.run, second.run], 1_200).unwrap();

        let mut expected: Vec<Key> = odd.into_iter().chain(even).collect();
        expected.sort_unstable();
        let mut reader = RunReader::new(merged.run);
        let mut read = Vec::new();
        while let Some(key) = reader.next(&transaction).unwrap() {
            read.push(key);
        }
        assert_eq!(read, expected);
        let runs: Vec<(i64, i64)> = transaction
            .prepare("SELECT run, keys FROM event_id_runs")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(runs, [(merged.run, 1_200)]);
        let blocks_left: i64 = transaction
            .query_row(
                "SELECT count(*) FROM event_id_blocks WHERE run <> ?1",
                [merged.run],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(blocks_left, 0);
        assert!((0..1_400).all(|hash| merged.filter.may_contain(hash)));
    }

    #[test]
    fn runs_merge_four_of_a_size() {
        // Flushes of 10: runs below 40 keys are one size, 40 to 159 the next.
        assert_eq!(runs_to_merge(&[(1, 10), (2, 10), (3, 10)], 10), None);
        assert_eq!(
            runs_to_merge(&[(1, 40), (2, 10), (3, 10), (4, 10), (5, 39)], 10),
            Some(vec![2, 3, 4, 5])
        );
        assert_eq!(
            runs_to_merge(&[(1, 40), (2, 150), (3, 60), (4, 159), (5, 10)], 10),
            Some(vec![1, 2, 3, 4])
        );
        assert_eq!(runs_to_merge(&[(1, 160), (2, 150), (3, 60), (4, 159)], 10), None);
    }
}
