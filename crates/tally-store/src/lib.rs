//! Tally's embedded store: one SQLite file holding accounts, their write keys and
//! the event log.
//!
//! The API is synchronous; async callers use `spawn_blocking` or a writer thread.
//! Appends are idempotent by (account, event id) and transactional: a batch is
//! written whole or not at all.
//!
//! ```
//! use tally_calendar::AccountCalendar;
//! use tally_events::{check_batch, Limits};
//! use tally_store::{NewAccount, Store, StoreOptions};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut store = Store::open(&dir.path().join("tally.sqlite"), &StoreOptions::default()).unwrap();
//! let (account, _write_key) = store
//!     .create_account(&NewAccount {
//!         slug: "acme".into(),
//!         name: "Acme".into(),
//!         calendar: AccountCalendar::default(),
//!         terms: vec!["2026-01-01..2027-01-01".parse().unwrap()],
//!     })
//!     .unwrap();
//! let body = br#"{"id":"e1","kind":"login","at":"2026-03-02T08:00:00Z","user":"u1"}"#;
//! let batch = check_batch(body, &Limits::default()).unwrap();
//! assert_eq!(store.append(account.id, &batch.events).unwrap().accepted, 1);
//! // Sending the same batch again stores nothing new.
//! assert_eq!(store.append(account.id, &batch.events).unwrap().duplicates, 1);
//! ```

#![deny(missing_docs)]

mod account;
mod checkpoint;
mod dashboard;
mod error;
mod event_mappings;
mod filter;
mod ids;
mod kind;
mod log;
mod monitor;
mod monitor_quarters;
mod organization;
mod schema;
mod seats;
mod syncs;
mod tokens;
mod usage;
mod usage_months;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

pub use account::{
    Account, AccountId, DEPLOYMENT_AUDIT_CHAIN, DeletedAccount, NewAccount, WriteKey, is_valid_slug,
};
pub use dashboard::{
    ACTIVITY_KINDS, ActivityCount, ActivityFilter, Catalog, CatalogDay, CatalogItem,
    DASHBOARD_EVENTS_PER_STEP, DashboardRun, DashboardUpdate, DayRange, FloorOf,
    LATENCY_BUCKETS_MS, Member, RunFilter, Tally, latency_bucket,
};
pub use error::{EventMappingProblem, StoreError};
pub use log::{AppendOutcome, Conflict, EventRecord, KindCount, PendingBatch};
pub use monitor::{ItemEvent, ItemQuery};
pub use monitor_quarters::{MONITOR_EVENTS_PER_STEP, MonitorQuarter, Quarter};
pub use organization::{Organization, Team};
pub use schema::SCHEMA_VERSION;
pub use seats::{SEAT_EVENTS_PER_STEP, SeatLogEntry, SeatStateVersion, SeatUpdate};
pub use syncs::{EntitySyncRecord, SyncObservationRecord};
pub use tokens::{NewToken, StaffTeam, TokenGrant, TokenInfo};
pub use usage::{
    MonthlyKindCount, RunColumn, RunKey, RunQuery, RunState, RunsAfter, TrackedActivity,
};
pub use usage_months::USAGE_EVENTS_PER_STEP;

/// WAL pages written before a commit also checkpoints. Checkpoints are the
/// checkpoint thread's job (`checkpoint.rs`); this is the writer's backstop, which
/// finishes what that thread copied and lets the WAL start over, so that the WAL
/// stays near 64 MB (16,384 pages) instead of growing while appends never pause.
const WAL_PAGES_BEFORE_CHECKPOINT: u32 = 16_384;

/// How durable a commit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// A committed batch survives the process being killed (WAL, `synchronous=NORMAL`);
    /// the last commits may be lost if the machine loses power.
    #[default]
    Process,
    /// A committed batch survives power loss too (`synchronous=FULL`), at the cost of
    /// an fsync per commit.
    PowerLoss,
}

/// How to open the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// What a commit survives.
    pub durability: Durability,
    /// How long a statement waits for another connection's lock before failing.
    pub busy_timeout: Duration,
    /// SQLite's page cache for this connection, in KiB.
    pub cache_kib: u32,
    /// A cap on the file's size: past it, appends fail as on a full disk and write
    /// nothing. `None` lets the file grow as the disk allows.
    pub max_file_bytes: Option<u64>,
    /// How many idempotency keys of recent events are held in memory before they
    /// are written to the file as a sorted run. Each costs about 34 bytes; fewer
    /// means more, smaller runs and so more merging.
    pub keys_in_memory: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Process,
            busy_timeout: Duration::from_secs(5),
            cache_kib: 16 * 1024,
            max_file_bytes: None,
            keys_in_memory: 262_144,
        }
    }
}

/// An open store file.
pub struct Store {
    connection: Connection,
    path: PathBuf,
    /// Loaded on the first append: a store opened only to read never builds it.
    ids: Option<ids::IdIndex>,
    keys_in_memory: usize,
    busy_timeout: Duration,
    /// Started on the first append, like `ids`.
    checkpointer: Option<checkpoint::Checkpointer>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Store {
    /// Every row `select` answers for `params`, each read by `read`; a failure
    /// is a [`StoreError::Sqlite`] saying what the store was `doing`.
    pub(crate) fn collect_rows<T, C: FromIterator<T>>(
        &self,
        select: &str,
        params: impl rusqlite::Params,
        doing: &str,
        read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<C, StoreError> {
        let mut statement =
            self.connection.prepare_cached(select).map_err(StoreError::sqlite(doing))?;
        statement
            .query_map(params, read)
            .and_then(|rows| rows.collect())
            .map_err(StoreError::sqlite(doing))
    }

    /// Opens (creating if needed) the store at `path` and upgrades its schema.
    ///
    /// A file written by a newer Tally is refused with [`StoreError::NewerSchema`]
    /// and left untouched.
    pub fn open(path: &Path, options: &StoreOptions) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open { path: path.to_owned(), source };
        let mut connection = Connection::open(path).map_err(open_error)?;
        connection.busy_timeout(options.busy_timeout).map_err(open_error)?;
        let found: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(open_error)?;
        if found > SCHEMA_VERSION as i64 {
            return Err(StoreError::NewerSchema {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let synchronous = match options.durability {
            Durability::Process => "NORMAL",
            Durability::PowerLoss => "FULL",
        };
        connection
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = {synchronous};
                 PRAGMA foreign_keys = ON;
                 PRAGMA wal_autocheckpoint = {};
                 PRAGMA cache_size = -{};",
                WAL_PAGES_BEFORE_CHECKPOINT, options.cache_kib
            ))
            .map_err(open_error)?;
        schema::migrations()
            .to_latest(&mut connection)
            .map_err(|source| StoreError::Migrate { path: path.to_owned(), source })?;
        if let Some(max_file_bytes) = options.max_file_bytes {
            let page_size: i64 = connection
                .query_row("PRAGMA page_size", [], |row| row.get(0))
                .map_err(open_error)?;
            // The pragma answers with the limit it applied; nothing to read back.
            connection
                .query_row(
                    &format!("PRAGMA max_page_count = {}", max_file_bytes / page_size as u64),
                    [],
                    |_| Ok(()),
                )
                .map_err(open_error)?;
        }
        Ok(Store {
            connection,
            path: path.to_owned(),
            ids: None,
            keys_in_memory: options.keys_in_memory,
            busy_timeout: options.busy_timeout,
            checkpointer: None,
        })
    }

    /// The file this store was opened on.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
