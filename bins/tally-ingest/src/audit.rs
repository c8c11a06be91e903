//! Audit entries arrive with usage events but are kept in the audit log
//! (`tally-audit`), not in the event log: their snapshots may hold secrets,
//! which the audit log replaces by a keyed hash before anything reaches the file.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Utc};

use tally_audit::{
    AuditError, AuditOptions, AuditStore, NewAuditEntry, RetentionPeriod, RetentionPolicy,
};
use tally_events::{CheckedEvent, EventBody, Problem, Rejection, ResourceKind};
use tally_store::{Conflict, EventRecord};

use crate::outcome::BatchOutcome;

/// How much longer than a purge batch took the purge rests before the next.
const PURGE_REST_RATIO: u32 = 2;

/// The audit log, shared by the requests that write to it.
pub struct AuditLog {
    store: Mutex<AuditStore>,
}

impl AuditLog {
    /// Opens the audit log kept in `database`, with the key in `key_file`
    /// (`tally_audit::key_file_for(database)` by default), made when missing
    /// only while the log holds nothing sealed; a missing or wrong key for a log
    /// that holds chains is refused, since every append would then fail.
    pub fn open(database: &Path, key_file: &Path) -> Result<AuditLog, AuditError> {
        let key = tally_audit::load_or_create_key_for(database, key_file)?;
        let store = AuditStore::open(database, &AuditOptions::new(key))?;
        Ok(AuditLog { store: Mutex::new(store) })
    }

    /// Appends a batch's audit entries to `account`'s log, idempotently by event
    /// id; conflicts are reported with the batch's line numbers.
    ///
    /// An entry already past the account's retention at `now` is refused
    /// (`past_retention`) rather than appended: it would be purged at once,
    /// and its event id forgotten with it, so that a resend after a lost
    /// answer would be stored again. Refused, it is refused again when resent.
    pub fn append(
        &self,
        account: &str,
        batch: AuditBatch,
        now: DateTime<Utc>,
    ) -> Result<BatchOutcome, AuditError> {
        if batch.entries.is_empty() {
            return Ok(BatchOutcome::default());
        }
        let mut store = self.lock();
        let policy = match store.retention(account) {
            Ok(policy) => Some(policy),
            // Periods changed without the key: the purge refuses this account
            // too, so nothing appended now is purged and forgotten; the entries
            // are kept, and `verify` reports the periods.
            Err(AuditError::Tampered { .. }) => None,
            Err(error) => return Err(error),
        };
        let mut rejections = Vec::new();
        let mut lines = Vec::with_capacity(batch.lines.len());
        let mut entries = Vec::with_capacity(batch.entries.len());
        for (line, entry) in batch.lines.into_iter().zip(batch.entries) {
            if let Some(policy) = &policy
                && policy.has_expired(entry.change.resource, entry.at, now)
            {
                rejections.push(past_retention(line, entry.change.resource, policy));
            } else {
                lines.push(line);
                entries.push(entry);
            }
        }
        let outcome = if entries.is_empty() {
            tally_audit::AppendOutcome::default()
        } else {
            store.append(account, &entries)?
        };
        Ok(BatchOutcome {
            accepted: outcome.accepted,
            duplicates: outcome.duplicates,
            conflicts: outcome
                .conflicts
                .into_iter()
                .map(|conflict| Conflict { line: lines[conflict.index], id: conflict.event_id })
                .collect(),
            rejections,
        })
    }
}

impl AuditLog {
    /// Removes the entries of `account` (or of every account) that expired by
    /// `now` under their account's retention, `batch_size` at a time, each batch
    /// its own short transaction so that writers wait little; answers how many
    /// were removed.
    ///
    /// An account that cannot be purged (its log was tampered with, say) does
    /// not hold the others back: they are purged, then the first account's
    /// error is returned with what was removed meanwhile.
    pub fn purge_expired(
        &self,
        account: Option<&str>,
        now: DateTime<Utc>,
        batch_size: NonZeroUsize,
    ) -> Result<usize, PurgeError> {
        let accounts = match account {
            Some(account) => vec![account.to_owned()],
            None => self
                .lock()
                .accounts()
                .map_err(|error| PurgeError { purged: 0, error: Box::new(error) })?,
        };
        let mut purged = 0;
        let mut first_error = None;
        for account in accounts {
            if let Err(error) = self.purge_account(&account, now, batch_size, &mut purged) {
                first_error.get_or_insert(error);
            }
        }
        match first_error {
            None => Ok(purged),
            Some(error) => Err(PurgeError { purged, error: Box::new(error) }),
        }
    }

    fn purge_account(
        &self,
        account: &str,
        now: DateTime<Utc>,
        batch_size: NonZeroUsize,
        purged: &mut usize,
    ) -> Result<(), AuditError> {
        loop {
            let started = Instant::now();
            // The lock is taken per batch, so appends interleave with a long purge.
            let outcome = self.lock().purge(account, now, batch_size)?;
            *purged += outcome.purged;
            if !outcome.more {
                return Ok(());
            }
            // SQLite lets the writer that asks first have the file: without a
            // pause the purge would take it again at once and appends would
            // wait behind it. Resting twice as long as a batch took keeps the
            // purge to a third of the time at most.
            std::thread::sleep(started.elapsed() * PURGE_REST_RATIO);
        }
    }

    /// Whether the log holds a chain for `account`: it had entries (purged or
    /// not) or retention periods of its own.
    pub fn has_chain(&self, account: &str) -> Result<bool, AuditError> {
        Ok(self.lock().accounts()?.iter().any(|known| known == account))
    }

    /// Sets how long `account`'s entries are kept.
    pub fn set_retention(&self, account: &str, policy: RetentionPolicy) -> Result<(), AuditError> {
        self.lock().set_retention(account, policy)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AuditStore> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The rejection of the audit entry on `line`, about `resource`, past `policy`.
fn past_retention(line: usize, resource: ResourceKind, policy: &RetentionPolicy) -> Rejection {
    let period = RetentionPeriod::of(resource);
    Rejection {
        line,
        field: Some("at".to_owned()),
        problem: Problem::PastRetention { days: policy.days(period), resources: period.entries() },
    }
}

/// A purge that stopped for one account, after purging the others.
#[derive(Debug, thiserror::Error)]
#[error("the purge of expired audit entries stopped for an account ({purged} purged in all)")]
pub struct PurgeError {
    /// Entries removed before and after the failure.
    pub purged: usize,
    /// The first account's error.
    #[source]
    pub error: Box<AuditError>,
}

/// A batch's audit entries, with their line numbers.
#[derive(Debug, Default)]
pub struct AuditBatch {
    lines: Vec<usize>,
    entries: Vec<NewAuditEntry>,
}

impl AuditBatch {
    /// Whether the batch held no audit entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds `later`'s entries, which came after this batch's in the body.
    pub fn append(&mut self, later: AuditBatch) {
        self.lines.extend(later.lines);
        self.entries.extend(later.entries);
    }

    /// Keeps `checked` if it is an audit entry, or gives it back as what the event
    /// log writes.
    pub fn take(&mut self, checked: CheckedEvent) -> Option<EventRecord> {
        match &checked.event.body {
            EventBody::AuditEntry(entry) => {
                self.entries.push(NewAuditEntry::from_event(
                    &checked.event.id,
                    checked.event.at,
                    entry,
                ));
                self.lines.push(checked.line);
                None
            }
            _ => Some(EventRecord::from(checked)),
        }
    }
}
