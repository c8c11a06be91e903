//! The audit store's errors: each names the file, account, entry or text it is about.

use std::path::PathBuf;

/// What went wrong in the audit store.
///
/// Tampering found by [`AuditStore::verify`](crate::AuditStore::verify) is not an
/// error: it is the report's finding. [`AuditError::Tampered`] is for writes that
/// refuse to build on a record whose seal is broken.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The key file could not be read or made.
    #[error("cannot use the audit log's key file {path}: {reason}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The log holds sealed chains but its key file is missing: a new key would
    /// make every seal fail, so none is made.
    #[error(
        "the audit log in {database} holds the sealed chains of {accounts} account(s), but its key file {key_file} does not exist: put the key file that sealed them there, or give its path; no new key was made, since a new key would make every seal fail"
    )]
    MissingKey {
        /// The database file.
        database: PathBuf,
        /// The key file looked for.
        key_file: PathBuf,
        /// Accounts with a sealed chain.
        accounts: usize,
    },
    /// The key file holds a key that sealed none of the log's chains.
    #[error(
        "the key in {key_file} is not the key that sealed the audit log in {database}: no chain of its {accounts} account(s) verifies with it; give the key file that sealed them"
    )]
    WrongKey {
        /// The database file.
        database: PathBuf,
        /// The key file read.
        key_file: PathBuf,
        /// Accounts with a sealed chain.
        accounts: usize,
    },
    /// The file could not be opened or configured.
    #[error("cannot open the audit log database {path}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The audit tables were written by a newer Tally.
    #[error(
        "the audit tables in {path} have schema version {found}, but this build of Tally knows versions up to {supported}: upgrade Tally, or open a copy made before the upgrade"
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// The audit tables' schema version.
        found: i64,
        /// The newest version this build knows.
        supported: usize,
    },
    /// Creating or upgrading the audit tables failed; the file is left as it was.
    #[error("cannot create or upgrade the audit tables in {path}")]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The migration error.
        #[source]
        source: rusqlite_migration::Error,
    },
    /// An account name that cannot be used.
    #[error("{account:?} is not a valid account: it must not be empty")]
    InvalidAccount {
        /// The account given.
        account: String,
    },
    /// An entry that cannot be stored.
    #[error("entry {index} of the batch for account {account:?} (event id {event_id:?}): {reason}")]
    InvalidEntry {
        /// The account.
        account: String,
        /// 0-based position in the batch.
        index: usize,
        /// The entry's event id.
        event_id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A retention period of zero days.
    #[error(
        "retention for account {account:?} must keep entries at least one day: got {audit_days} days for audit entries and {sign_in_days} for sign-in and account-access entries"
    )]
    InvalidRetention {
        /// The account.
        account: String,
        /// Days asked for audit entries.
        audit_days: u32,
        /// Days asked for sign-in and account-access entries.
        sign_in_days: u32,
    },
    /// A write refused to build on a record whose seal does not match: someone
    /// changed the file without the key. Run `verify` to see the first problem.
    #[error(
        "the audit log of account {account:?} has been tampered with at seq {seq} ({record}); refusing to {doing} on top of it: run verify"
    )]
    Tampered {
        /// The account.
        account: String,
        /// The record's sequence number.
        seq: u64,
        /// Which record: `chain head`, `checkpoint`, `entry` or `tombstone`.
        record: &'static str,
        /// What was refused: `append`, `purge` or `read the head`.
        doing: &'static str,
    },
    /// An anchor of another account was given to verify this one.
    #[error("the anchor {anchor} belongs to account {anchor_account:?}, not {account:?}")]
    AnchorAccount {
        /// The account verified.
        account: String,
        /// The anchor's account.
        anchor_account: String,
        /// The anchor, as text.
        anchor: String,
    },
    /// Text that is not an anchor.
    #[error(
        "{text:?} is not an audit anchor: expected account:seq:digest, the digest 32 hexadecimal digits ({reason})"
    )]
    InvalidAnchor {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A page's starting key whose type does not fit the sort column: integers
    /// for `at` and `seq`, text for every other column.
    #[error("the listing is sorted by `{column}`, but the page starts after the key {key:?}")]
    KeyMismatch {
        /// The sort column's name.
        column: &'static str,
        /// The key given.
        key: crate::AuditKey,
    },
    /// A stored value does not read back as what the schema promises (the file was
    /// changed by hand; `verify` names the entry).
    #[error("account {account:?}, entry {seq}: {column} holds {value:?}, which is not valid")]
    CorruptValue {
        /// The account.
        account: String,
        /// The entry's sequence number.
        seq: u64,
        /// The column.
        column: &'static str,
        /// The value found (lossily decoded).
        value: String,
    },
    /// A statement failed.
    #[error("database error while {doing}")]
    Sqlite {
        /// What the store was doing, such as "appending 3 entries to account acme".
        doing: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
}

impl AuditError {
    pub(crate) fn sqlite(doing: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> AuditError {
        move |source| AuditError::Sqlite { doing: doing.into(), source }
    }

    /// Whether retrying later may succeed: the file was locked or busy, or the disk
    /// was full. Nothing was written in that case.
    pub fn is_transient(&self) -> bool {
        use rusqlite::ffi::ErrorCode;
        match self {
            AuditError::Sqlite { source: rusqlite::Error::SqliteFailure(error, _), .. } => {
                matches!(
                    error.code,
                    ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::DiskFull
                )
            }
            _ => false,
        }
    }
}
