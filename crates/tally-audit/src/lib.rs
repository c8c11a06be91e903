//! Tally's audit log as an embeddable store: an append-only record of every
//! change to an account's resources, kept in SQLite next to (or apart from)
//! Tally's own tables.
//!
//! - [`AuditStore::append`] stores entries idempotently by (account, event id),
//!   after replacing secrets and sensitive fields by keyed hashes.
//! - [`AuditStore::get`] and [`AuditStore::query`] read them back, filtered and
//!   sorted by any column, a keyset page at a time; [`AuditEntry::diff`] says
//!   what changed.
//! - [`AuditStore::purge`] removes expired entries in small batches under each
//!   account's [`RetentionPolicy`], which is sealed with the key like the chain.
//! - Each account's entries form a hash chain. [`AuditStore::head`] gives an
//!   [`Anchor`] to keep elsewhere; [`AuditStore::verify`] rechecks the chain
//!   offline and names the first entry altered, inserted or removed.
//!
//! The API is synchronous; async callers use `spawn_blocking`. The design and its
//! guarantees are in `docs/audit.md`.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use serde_json::json;
//! use tally_audit::{AuditOptions, AuditStore, ChangeKind, Diff, NewAuditEntry};
//! use tally_events::{AuditEntry, AuditStatus, Operation, OriginType, ResourceKind, SourceType};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let options = AuditOptions::new([42; 32]);
//! let mut store = AuditStore::open(&dir.path().join("audit.sqlite"), &options).unwrap();
//!
//! let entry = NewAuditEntry {
//!     at: Utc.with_ymd_and_hms(2026, 3, 2, 8, 5, 0).unwrap(),
//!     event_id: "evt-0018".into(),
//!     change: AuditEntry {
//!         resource: ResourceKind::Entity,
//!         resource_id: Some("checkout-api".into()),
//!         operation: Operation::Update,
//!         source_type: SourceType::Integration,
//!         source: "k8s-prod-exporter".into(),
//!         origin: OriginType::K8sExporter,
//!         status: AuditStatus::Success,
//!         error: None,
//!         user: None,
//!         blueprint: Some("service".into()),
//!         entity: Some("checkout-api".into()),
//!         run_id: None,
//!         integration: None,
//!         before: Some(json!({"replicas": 2, "token": "s3cr3t"})),
//!         after: Some(json!({"replicas": 3, "token": "s3cr3t"})),
//!     },
//! };
//! let outcome = store.append("acme", &[entry.clone()]).unwrap();
//! assert_eq!(outcome.accepted, 1);
//! // Sending it again stores nothing new.
//! assert_eq!(store.append("acme", &[entry]).unwrap().duplicates, 1);
//!
//! let stored = store.get("acme", 1).unwrap().unwrap();
//! // The token is stored as a keyed hash; it did not change, so the diff is the replicas.
//! assert!(stored.change.after.as_ref().unwrap()["token"].as_str().unwrap().starts_with("hmac-sha256:"));
//! let Diff::Changes { changes } = stored.diff() else { panic!("both snapshots are there") };
//! assert_eq!((changes[0].path.as_str(), changes[0].kind), ("/replicas", ChangeKind::Changed));
//!
//! // Keep the anchor somewhere else; verifying against it later proves nothing
//! // before it was rewritten.
//! let anchor = store.head("acme").unwrap();
//! assert!(anchor.to_string().starts_with("acme:1:"));
//! assert!(store.verify("acme", Some(&anchor)).unwrap().is_intact());
//! ```

#![deny(missing_docs)]

mod append;
mod canonical;
mod chain;
mod diff;
mod entry;
mod error;
mod key;
mod options;
mod query;
mod redact;
mod retention;
mod schema;
mod seal;
mod verify;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;

pub use append::{AppendOutcome, Conflict};
pub use diff::{Change, ChangeKind, Diff, MissingSnapshot};
pub use entry::{AuditEntry, ChainHash, NewAuditEntry};
pub use error::AuditError;
pub use key::{
    KeyCheck, check_key, key_file_for, load_key, load_key_for, load_or_create_key,
    load_or_create_key_for,
};
pub use options::{AuditOptions, DEFAULT_SENSITIVE_FIELDS};
pub use query::{AuditAfter, AuditColumn, AuditKey, AuditQuery};
pub use retention::{PurgeOutcome, RetentionPeriod, RetentionPolicy};
pub use schema::SCHEMA_VERSION;
pub use verify::{Alteration, Anchor, AnchorCheck, SealedRecord, Tampering, VerifyReport};

/// An open audit log file.
pub struct AuditStore {
    connection: Connection,
    path: PathBuf,
    keys: seal::Keys,
    /// [`AuditOptions::sensitive_fields`], folded by `redact::fold_field_name`.
    sensitive_fields: HashSet<String>,
}

impl std::fmt::Debug for AuditStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl AuditStore {
    /// Opens (creating if needed) the audit tables in the SQLite file at `path`,
    /// which may be a file of its own or one shared with other tables (Tally's
    /// store): every table is named `audit_*`, and the audit schema's version is
    /// kept apart from the file's `user_version`.
    ///
    /// Tables written by a newer Tally are refused with [`AuditError::NewerSchema`]
    /// and left untouched. The file is put in WAL mode and commits are synced
    /// (`synchronous = FULL`): an acknowledged audit entry survives power loss.
    pub fn open(path: &Path, options: &AuditOptions) -> Result<AuditStore, AuditError> {
        let open_error = |source| AuditError::Open { path: path.to_owned(), source };
        let connection = Connection::open(path).map_err(open_error)?;
        connection.busy_timeout(options.busy_timeout).map_err(open_error)?;
        let found = schema::stored_version(&connection).map_err(open_error)?;
        if found > SCHEMA_VERSION as i64 {
            return Err(AuditError::NewerSchema {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(open_error)?;
        let keys = seal::Keys::new(options.secret_key);
        if found < SCHEMA_VERSION as i64 {
            schema::upgrade(path, &connection, found, options.busy_timeout, &keys)?;
        }
        connection
            .create_scalar_function(
                "audit_fold",
                1,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                |context| {
                    Ok(match context.get_raw(0) {
                        rusqlite::types::ValueRef::Text(bytes) => {
                            Some(String::from_utf8_lossy(bytes).to_lowercase())
                        }
                        _ => None,
                    })
                },
            )
            .map_err(open_error)?;
        Ok(AuditStore {
            connection,
            path: path.to_owned(),
            keys,
            sensitive_fields: options
                .sensitive_fields
                .iter()
                .map(|name| redact::fold_field_name(name))
                .collect(),
        })
    }

    /// The file this store was opened on.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every account with a chain (that is, with at least one entry appended,
    /// even if all have been purged since, or with retention periods of its
    /// own), sorted.
    pub fn accounts(&self) -> Result<Vec<String>, AuditError> {
        self.connection
            .prepare_cached("SELECT account FROM audit_accounts ORDER BY account")
            .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
            .map_err(AuditError::sqlite("listing the accounts of the audit log"))
    }
}

/// Refuses an empty account name.
fn check_account(account: &str) -> Result<(), AuditError> {
    if account.is_empty() {
        return Err(AuditError::InvalidAccount { account: account.to_owned() });
    }
    Ok(())
}
