//! The event log: idempotent, transactional appends.

use std::sync::LazyLock;

use rusqlite::{OptionalExtension, Statement, Transaction, TransactionBehavior};
use tally_events::{CheckedEvent, EventBody, EventKind};

use crate::checkpoint::Checkpointer;
use crate::ids::{IdIndex, PendingKeys};
use crate::kind::StoredKind;
use crate::{AccountId, Store, StoreError};

/// What became of one batch's checked events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Events stored for the first time.
    pub accepted: usize,
    /// Events whose id was stored before with the same contents: acknowledged, not stored again.
    pub duplicates: usize,
    /// Events whose id was stored before with different contents: not stored.
    pub conflicts: Vec<Conflict>,
}

/// An event that reuses a stored id with different contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// 1-based position in the batch.
    pub line: usize,
    /// The reused id.
    pub id: String,
}

/// What the store writes of a checked event: its key, kind, instant and canonical
/// JSON. Made from a [`CheckedEvent`], whose typed form it leaves behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// 1-based position in the batch, for conflicts.
    pub line: usize,
    /// The event's id, as sent.
    pub id: String,
    /// What kind of event it is.
    pub kind: EventKind,
    /// The event's instant, in microseconds since the Unix epoch.
    pub at_us: i64,
    /// [`tally_events::Event::canonical_json`]: what is stored and compared.
    pub canonical_json: String,
    /// [`CheckedEvent::earlier_canonical_json`]: a stored event equal to it is
    /// this event too.
    pub earlier_canonical_json: Option<String>,
    /// For a login, who logged in: kept in a column of its own, which the seat
    /// state reads instead of the JSON. `None` for other kinds.
    pub login_user: Option<String>,
    /// For a login, the organization logged in to, when named.
    pub login_organization: Option<String>,
}

/// A login's user and organization, for [`EventRecord`]'s columns.
fn login_columns(body: &EventBody) -> (Option<String>, Option<String>) {
    if let EventBody::Login(login) = body {
        (Some(login.user.clone()), login.organization.clone())
    } else {
        (None, None)
    }
}

impl From<&CheckedEvent> for EventRecord {
    fn from(checked: &CheckedEvent) -> EventRecord {
        let (login_user, login_organization) = login_columns(&checked.event.body);
        EventRecord {
            line: checked.line,
            kind: checked.event.body.kind(),
            at_us: checked.event.at.timestamp_micros(),
            id: checked.event.id.clone(),
            canonical_json: checked.canonical_json.clone(),
            earlier_canonical_json: checked.earlier_canonical_json.clone(),
            login_user,
            login_organization,
        }
    }
}

impl From<CheckedEvent> for EventRecord {
    fn from(checked: CheckedEvent) -> EventRecord {
        let (login_user, login_organization) = login_columns(&checked.event.body);
        EventRecord {
            line: checked.line,
            kind: checked.event.body.kind(),
            at_us: checked.event.at.timestamp_micros(),
            id: checked.event.id,
            canonical_json: checked.canonical_json,
            earlier_canonical_json: checked.earlier_canonical_json,
            login_user,
            login_organization,
        }
    }
}

/// One account's events, waiting to be appended.
#[derive(Debug, Clone, Copy)]
pub struct PendingBatch<'a> {
    /// The account the events belong to.
    pub account: AccountId,
    /// The events, in batch order.
    pub events: &'a [EventRecord],
}

/// Number of stored events of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindCount {
    /// The kind.
    pub kind: EventKind,
    /// Events stored.
    pub events: u64,
}

/// Event ids up to this many bytes are hashed from a buffer on the stack.
const STACK_HASHED_ID_BYTES: usize = 128;

/// The 64-bit key under which (account, event id) is indexed; see the schema.
fn id_hash(account: AccountId, event_id: &str) -> i64 {
    let id = event_id.as_bytes();
    // xxh3 of the account's bytes followed by the id's. Hashing them in one call
    // gives the same key as feeding them to a streaming hasher in turn, at a
    // fraction of the cost: the writer hashes every event it appends.
    let digest = if id.len() <= STACK_HASHED_ID_BYTES {
        let mut input = [0u8; 8 + STACK_HASHED_ID_BYTES];
        input[..8].copy_from_slice(&account.0.to_le_bytes());
        input[8..8 + id.len()].copy_from_slice(id);
        xxhash_rust::xxh3::xxh3_64(&input[..8 + id.len()])
    } else {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&account.0.to_le_bytes());
        hasher.update(id);
        hasher.digest()
    };
    // SQLite integers are signed; the bit pattern is what matters.
    digest as i64
}

enum Seen {
    New,
    Same,
    Different,
}

/// Rows one `INSERT` writes at most. With a statement per row, SQLite's work per
/// statement (binding, opening the table and index, finding the table's end)
/// was paid for every row.
const ROWS_PER_INSERT: usize = 64;

/// Values bound per row, in [`INSERT_COLUMNS`]' order.
const VALUES_PER_ROW: usize = 8;
const INSERT_COLUMNS: &str = "INSERT INTO events
    (seq, account_id, id_hash, kind, at_us, payload, login_user, login_organization) VALUES ";

/// An `INSERT` of one row.
static INSERT_ONE: LazyLock<String> = LazyLock::new(|| insert_rows(1));
/// An `INSERT` of [`ROWS_PER_INSERT`] rows.
static INSERT_FULL: LazyLock<String> = LazyLock::new(|| insert_rows(ROWS_PER_INSERT));

fn insert_rows(rows: usize) -> String {
    let row = format!("({})", ["?"; VALUES_PER_ROW].join(", "));
    format!("{INSERT_COLUMNS}{}", vec![row.as_str(); rows].join(", "))
}

/// A new event waiting for its row, with its key.
struct NewRow<'e> {
    account: AccountId,
    hash: i64,
    event: &'e EventRecord,
}

/// New events waiting to be inserted [`ROWS_PER_INSERT`] at a time, and the
/// `seq` the next one gets.
///
/// No two waiting events have the same key: an event whose key is waiting
/// must be compared with that row, so [`NewRows::insert_before`] writes the
/// waiting rows first. Each row is given its `seq` here, one past the largest
/// in the file as SQLite itself would choose, so that its key is known without
/// reading it back (`RETURNING` cost more than the statements it saved).
struct NewRows<'e> {
    rows: Vec<NewRow<'e>>,
    next_seq: i64,
}

impl<'e> NewRows<'e> {
    /// Reads the next `seq`; call holding the write lock.
    fn start(transaction: &Transaction<'_>) -> rusqlite::Result<NewRows<'e>> {
        let last: Option<i64> =
            transaction.query_row("SELECT max(seq) FROM events", [], |row| row.get(0))?;
        // At i64::MAX the insert fails on the existing row instead of wrapping.
        let next_seq = last.map_or(1, |last| last.saturating_add(1));
        Ok(NewRows { rows: Vec::with_capacity(ROWS_PER_INSERT), next_seq })
    }

    /// Writes the waiting rows if one of them has the key `hash`, so that
    /// looking `hash` up next finds it.
    fn insert_before(
        &mut self,
        transaction: &Transaction<'_>,
        pending: &mut PendingKeys,
        hash: i64,
    ) -> rusqlite::Result<()> {
        if self.rows.iter().any(|row| row.hash == hash) {
            self.insert(transaction, pending)?;
        }
        Ok(())
    }

    /// Adds a new event, writing the waiting rows once there are enough.
    fn push(
        &mut self,
        transaction: &Transaction<'_>,
        pending: &mut PendingKeys,
        row: NewRow<'e>,
    ) -> rusqlite::Result<()> {
        self.rows.push(row);
        if self.rows.len() == ROWS_PER_INSERT {
            self.insert(transaction, pending)?;
        }
        Ok(())
    }

    /// Inserts every waiting row and adds their keys to `pending`.
    fn insert(
        &mut self,
        transaction: &Transaction<'_>,
        pending: &mut PendingKeys,
    ) -> rusqlite::Result<()> {
        if self.rows.len() == ROWS_PER_INSERT {
            let mut insert = transaction.prepare_cached(&INSERT_FULL)?;
            for (index, row) in self.rows.iter().enumerate() {
                bind(&mut insert, VALUES_PER_ROW * index, self.next_seq + index as i64, row)?;
            }
            insert.raw_execute()?;
        } else if !self.rows.is_empty() {
            let mut insert = transaction.prepare_cached(&INSERT_ONE)?;
            for (index, row) in self.rows.iter().enumerate() {
                bind(&mut insert, 0, self.next_seq + index as i64, row)?;
                insert.raw_execute()?;
            }
        }
        for row in self.rows.drain(..) {
            pending.add(row.hash, self.next_seq);
            self.next_seq += 1;
        }
        Ok(())
    }
}

/// Binds `row` with its `seq` to the parameters after the first `after`.
fn bind(
    insert: &mut Statement<'_>,
    after: usize,
    seq: i64,
    row: &NewRow<'_>,
) -> rusqlite::Result<()> {
    insert.raw_bind_parameter(after + 1, seq)?;
    insert.raw_bind_parameter(after + 2, row.account.0)?;
    insert.raw_bind_parameter(after + 3, row.hash)?;
    insert.raw_bind_parameter(after + 4, StoredKind(row.event.kind))?;
    insert.raw_bind_parameter(after + 5, row.event.at_us)?;
    insert.raw_bind_parameter(after + 6, &row.event.canonical_json)?;
    insert.raw_bind_parameter(after + 7, &row.event.login_user)?;
    insert.raw_bind_parameter(after + 8, &row.event.login_organization)
}

fn append_in(
    transaction: &Transaction<'_>,
    index: &IdIndex,
    pending: &mut PendingKeys,
    batches: &[PendingBatch<'_>],
) -> rusqlite::Result<Vec<AppendOutcome>> {
    let mut read = transaction.prepare_cached(
        "SELECT account_id, payload ->> '$.id', payload FROM events WHERE seq = ?1",
    )?;
    let mut candidates = Vec::new();
    let mut new_rows = NewRows::start(transaction)?;
    let mut outcomes = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut outcome = AppendOutcome::default();
        for event in batch.events {
            let hash = id_hash(batch.account, &event.id);
            new_rows.insert_before(transaction, pending, hash)?;
            index.candidates(transaction, pending, hash, &mut candidates)?;
            let mut seen = Seen::New;
            for seq in &candidates {
                // A key outlives its event when the event's account was deleted:
                // no row, so not this event. A payload stored by an earlier
                // version in the form it wrote is the same event.
                let same_key = read
                    .query_row([seq], |row| {
                        let same_key = row.get::<_, i64>(0)? == batch.account.0
                            && row.get_ref(1)?.as_str()? == event.id;
                        let stored = row.get_ref(2)?.as_str()?;
                        let same_payload = stored == event.canonical_json
                            || event.earlier_canonical_json.as_deref() == Some(stored);
                        Ok(same_key.then_some(same_payload))
                    })
                    .optional()?
                    .flatten();
                if let Some(same_payload) = same_key {
                    seen = if same_payload { Seen::Same } else { Seen::Different };
                    break;
                }
            }
            match seen {
                Seen::New => {
                    new_rows.push(
                        transaction,
                        pending,
                        NewRow { account: batch.account, hash, event },
                    )?;
                    outcome.accepted += 1;
                }
                Seen::Same => outcome.duplicates += 1,
                Seen::Different => {
                    outcome.conflicts.push(Conflict { line: event.line, id: event.id.clone() })
                }
            }
        }
        outcomes.push(outcome);
    }
    new_rows.insert(transaction, pending)?;
    Ok(outcomes)
}

impl Store {
    /// Appends one batch of checked events in one transaction; see
    /// [`Store::append_batches`].
    pub fn append(
        &mut self,
        account: AccountId,
        events: &[CheckedEvent],
    ) -> Result<AppendOutcome, StoreError> {
        let records: Vec<EventRecord> = events.iter().map(EventRecord::from).collect();
        self.append_records(account, &records)
    }

    /// Appends one batch in one transaction; see [`Store::append_batches`].
    pub fn append_records(
        &mut self,
        account: AccountId,
        events: &[EventRecord],
    ) -> Result<AppendOutcome, StoreError> {
        let mut outcomes = self.append_batches(&[PendingBatch { account, events }])?;
        Ok(outcomes.pop().expect("one outcome per batch"))
    }

    /// Appends several batches in one transaction, returning one outcome per batch.
    ///
    /// Either every batch is written or none is: on error nothing of any batch is
    /// in the file, so a sender that retries counts each event exactly once.
    /// An event whose id the account already has is a duplicate when its canonical
    /// JSON is equal, and a conflict otherwise; neither is written. This holds within
    /// one batch too: a repeated id's second sending is a duplicate or a conflict.
    pub fn append_batches(
        &mut self,
        batches: &[PendingBatch<'_>],
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        let event_count: usize = batches.iter().map(|batch| batch.events.len()).sum();
        let doing = || format!("appending {event_count} events in {} batches", batches.len());
        let Store { connection, ids, keys_in_memory, checkpointer, path, busy_timeout } = self;
        if checkpointer.is_none() {
            *checkpointer = Some(
                Checkpointer::start(path, *busy_timeout).map_err(StoreError::sqlite(doing()))?,
            );
        }
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::sqlite(doing()))?;
        let index = match ids {
            Some(index) => {
                index.catch_up(&transaction).map_err(StoreError::sqlite(doing()))?;
                index
            }
            None => ids.insert(
                IdIndex::load(&transaction, *keys_in_memory)
                    .map_err(StoreError::sqlite(doing()))?,
            ),
        };
        let mut pending = PendingKeys::for_events(event_count);
        index.flush_if_due(&transaction, &mut pending).map_err(StoreError::sqlite(doing()))?;
        let outcomes = append_in(&transaction, index, &mut pending, batches)
            .map_err(StoreError::sqlite(doing()))?;
        transaction.commit().map_err(StoreError::sqlite(doing()))?;
        index.committed(pending);
        if let Some(checkpointer) = checkpointer {
            checkpointer.committed();
        }
        Ok(outcomes)
    }

    /// Stored events of an account, per kind, in kind order.
    pub fn event_counts(&self, account: AccountId) -> Result<Vec<KindCount>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT kind, count(*) FROM events WHERE account_id = ?1 GROUP BY kind ORDER BY kind",
            )
            .map_err(StoreError::sqlite("counting events"))?;
        let rows = statement
            .query_map([account.0], |row| {
                let StoredKind(kind) = row.get(0)?;
                Ok(KindCount { kind, events: row.get::<_, i64>(1)? as u64 })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(StoreError::sqlite("counting events"))?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key as the streaming hasher makes it, fed the account and the id in
    /// turn, as every earlier version of the store did: files already hold it.
    fn streamed(account: AccountId, event_id: &str) -> i64 {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&account.0.to_le_bytes());
        hasher.update(event_id.as_bytes());
        hasher.digest() as i64
    }

    fn check(account: i64, event_id: &str) {
        let account = AccountId(account);
        assert_eq!(id_hash(account, event_id), streamed(account, event_id), "{event_id:?}");
    }

    #[test]
    fn keys_are_those_earlier_versions_stored_for_every_id_length() {
        // Empty, a UUID, the last length hashed on the stack, the first past it,
        // and ids far longer than any limit (the limits are configurable).
        for id_bytes in
            [0, 1, 36, 127, STACK_HASHED_ID_BYTES, STACK_HASHED_ID_BYTES + 1, 240, 5_000]
        {
            check(1, &"é".repeat(id_bytes / 2));
            check(i64::MAX, &"x".repeat(id_bytes));
        }
        check(7, "0b8f2c1e-4d6a-4f3b-9a7e-2c5d8e1f0a3b");
    }
}
