//! Retention: how long an account keeps its entries, and the purge that removes
//! expired ones a small batch at a time.

use std::num::NonZeroUsize;

use chrono::{DateTime, Days, Utc};
use rusqlite::{Connection, TransactionBehavior, params};

use tally_events::ResourceKind;

use crate::chain::{ChainEnd, ChainRecord, as_hash};
use crate::seal::{Keys, Record};
use crate::{AuditError, AuditStore, check_account};

/// How long an account keeps its entries, in days of 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Every entry but sign-ins and account access: 90 days by default.
    pub audit_days: u32,
    /// Sign-in and account-access entries: 30 days by default.
    pub sign_in_days: u32,
}

impl Default for RetentionPolicy {
    fn default() -> RetentionPolicy {
        RetentionPolicy { audit_days: 90, sign_in_days: 30 }
    }
}

/// Which of an account's two periods keeps the entries of a resource kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionPeriod {
    /// Sign-ins and account access: [`RetentionPolicy::sign_in_days`].
    SignIn,
    /// Every other kind: [`RetentionPolicy::audit_days`].
    Audit,
}

impl RetentionPeriod {
    /// The period that keeps entries about `resource`.
    pub fn of(resource: ResourceKind) -> RetentionPeriod {
        match resource {
            ResourceKind::SignIn | ResourceKind::AccountAccess => RetentionPeriod::SignIn,
            ResourceKind::Entity
            | ResourceKind::Blueprint
            | ResourceKind::Action
            | ResourceKind::Automation
            | ResourceKind::Scorecard
            | ResourceKind::Run
            | ResourceKind::Integration
            | ResourceKind::Secret
            | ResourceKind::MonitorTracking => RetentionPeriod::Audit,
        }
    }

    /// The entries it keeps, in words: `sign-in and account-access`, or `audit`.
    pub fn entries(self) -> &'static str {
        match self {
            RetentionPeriod::SignIn => "sign-in and account-access",
            RetentionPeriod::Audit => "audit",
        }
    }
}

impl RetentionPolicy {
    /// How many days the entries of `period` are kept.
    pub fn days(&self, period: RetentionPeriod) -> u32 {
        match period {
            RetentionPeriod::SignIn => self.sign_in_days,
            RetentionPeriod::Audit => self.audit_days,
        }
    }

    /// Whether an entry about `resource` at `at` has expired by `now`: `at <
    /// now - days`, the rule [`AuditStore::purge`] removes entries by. A sender
    /// refuses such an entry rather than append it: it would be purged at once,
    /// its event id forgotten with it, and a resend stored again.
    pub fn has_expired(
        &self,
        resource: ResourceKind,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now.checked_sub_days(Days::new(self.days(RetentionPeriod::of(resource)).into()))
            .is_some_and(|cutoff| at.timestamp_micros() < cutoff.timestamp_micros())
    }
}

/// What one call of [`AuditStore::purge`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// Entries removed (each leaves a tombstone with its seq and chain hash).
    pub purged: usize,
    /// Tombstones folded into the account's checkpoint, because every entry
    /// before them is gone too.
    pub folded: usize,
    /// Every entry up to this seq is purged and covered by the checkpoint.
    pub checkpoint_seq: u64,
    /// Whether expired entries or foldable tombstones remain: call again.
    pub more: bool,
}

/// A record's seq with its stored chain hash and seal, as raw bytes.
struct SealedRow {
    seq: i64,
    hash: Vec<u8>,
    seal: Vec<u8>,
}

/// The resource kinds kept for [`RetentionPolicy::sign_in_days`], as
/// [`RetentionPeriod::of`] says.
const SIGN_IN_KINDS: &str = "'sign_in', 'account_access'";

impl AuditStore {
    /// Sets the account's retention periods, sealed with the store's key so
    /// that they cannot be changed without it. An account with no entries yet
    /// gets an empty chain record to hold them.
    ///
    /// Fails with [`AuditError::Tampered`], changing nothing, when the periods
    /// stored now are not sealed by the key: overwriting them would hide that.
    pub fn set_retention(
        &mut self,
        account: &str,
        policy: RetentionPolicy,
    ) -> Result<(), AuditError> {
        check_account(account)?;
        if policy.audit_days == 0 || policy.sign_in_days == 0 {
            return Err(AuditError::InvalidRetention {
                account: account.to_owned(),
                audit_days: policy.audit_days,
                sign_in_days: policy.sign_in_days,
            });
        }
        let doing = || format!("setting the retention of account {account}");
        let sqlite = |error| AuditError::sqlite(doing())(error);
        let (transaction, chain) =
            ChainRecord::begin_change(&mut self.connection, account, &self.keys).map_err(sqlite)?;
        if chain.retention(&self.keys, account).is_none() {
            return Err(tampered_retention(account, &chain, "set the retention"));
        }
        ChainRecord::save_retention(&transaction, &self.keys, account, chain.account_id, policy)
            .map_err(sqlite)?;
        transaction.commit().map_err(sqlite)
    }

    /// The account's retention periods: its own, or the defaults before it has
    /// any entry or periods of its own.
    ///
    /// Fails with [`AuditError::Tampered`] when the stored periods are not
    /// sealed by the key.
    pub fn retention(&self, account: &str) -> Result<RetentionPolicy, AuditError> {
        let chain = ChainRecord::load(&self.connection, account)
            .map_err(AuditError::sqlite(format!("reading the retention of account {account}")))?;
        match chain {
            None => Ok(RetentionPolicy::default()),
            Some(chain) => chain
                .retention(&self.keys, account)
                .ok_or_else(|| tampered_retention(account, &chain, "read the retention")),
        }
    }

    /// Removes at most `batch_size` of the account's expired entries, in one short
    /// transaction, so that writers wait for one batch at most; call again while
    /// [`PurgeOutcome::more`].
    ///
    /// An entry expires once it is older than its period: `at < now - days`.
    /// Sign-in and account-access entries use [`RetentionPolicy::sign_in_days`],
    /// the others [`RetentionPolicy::audit_days`]. A removed entry leaves a
    /// tombstone (seq and chain hash, sealed as purged) so that the chain still
    /// verifies; tombstones that every earlier entry has joined fold into the
    /// account's signed checkpoint (at most `batch_size` per call as well).
    ///
    /// Fails with [`AuditError::Tampered`], removing nothing, when an entry or
    /// tombstone it would remove is not sealed by this store's key: purging it
    /// would erase the evidence.
    pub fn purge(
        &mut self,
        account: &str,
        now: DateTime<Utc>,
        batch_size: NonZeroUsize,
    ) -> Result<PurgeOutcome, AuditError> {
        let doing = || format!("purging expired audit entries of account {account}");
        let sqlite = |error| AuditError::sqlite(doing())(error);
        let batch_size = batch_size.get();
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let Some(chain) = ChainRecord::load(&transaction, account).map_err(sqlite)? else {
            return Ok(PurgeOutcome::default());
        };
        let policy = chain
            .retention(&self.keys, account)
            .ok_or_else(|| tampered_retention(account, &chain, "purge"))?;
        let cutoff = |days: u32| {
            now.checked_sub_days(Days::new(days.into()))
                .map_or(i64::MIN, |cutoff| cutoff.timestamp_micros())
        };
        let mut expired = expired_entries(
            &transaction,
            chain.account_id,
            cutoff(policy.sign_in_days),
            cutoff(policy.audit_days),
            batch_size + 1,
        )
        .map_err(sqlite)?;
        let mut more = expired.len() > batch_size;
        expired.truncate(batch_size);
        let mut outcome = PurgeOutcome::default();
        for SealedRow { seq, hash, seal } in expired {
            let tampered = |record| AuditError::Tampered {
                account: account.to_owned(),
                seq: seq.max(0) as u64,
                record,
                doing: "purge",
            };
            let hash = as_hash(&hash).ok_or_else(|| tampered("entry"))?;
            if seq < 1 || !self.keys.is_sealed(Record::Entry, account, seq as u64, &hash, &seal) {
                return Err(tampered("entry"));
            }
            let tombstone_seal = self.keys.seal(Record::Tombstone, account, seq as u64, &hash);
            transaction
                .execute(
                    "DELETE FROM audit_entries WHERE account_id = ?1 AND seq = ?2",
                    params![chain.account_id, seq],
                )
                .map_err(sqlite)?;
            transaction
                .execute(
                    "INSERT INTO audit_tombstones (account_id, seq, hash, seal) VALUES (?1, ?2, ?3, ?4)",
                    params![chain.account_id, seq, hash, tombstone_seal],
                )
                .map_err(sqlite)?;
            outcome.purged += 1;
        }
        let fold = fold_tombstones(&transaction, &self.keys, account, &chain, batch_size)?;
        outcome.folded = fold.folded;
        outcome.checkpoint_seq = fold.checkpoint_seq;
        more |= fold.more;
        outcome.more = more;
        transaction.commit().map_err(sqlite)?;
        Ok(outcome)
    }
}

/// The error for periods whose seal does not match: named at the chain's head.
fn tampered_retention(account: &str, chain: &ChainRecord, doing: &'static str) -> AuditError {
    AuditError::Tampered {
        account: account.to_owned(),
        seq: chain.head_seq.max(0) as u64,
        record: "retention periods",
        doing,
    }
}

/// Up to `limit` expired entries (seq, hash, seal), oldest instants first: the
/// sign-in kinds before `sign_in_cutoff_us`, the others before `audit_cutoff_us`.
fn expired_entries(
    connection: &Connection,
    account_id: i64,
    sign_in_cutoff_us: i64,
    audit_cutoff_us: i64,
    limit: usize,
) -> rusqlite::Result<Vec<SealedRow>> {
    // Each half walks an index in instant order and stops at the limit.
    let mut statement = connection.prepare_cached(&format!(
        "SELECT seq, hash, seal, at_us FROM (
             SELECT seq, hash, seal, at_us FROM audit_entries
             WHERE account_id = ?1 AND resource IN ({SIGN_IN_KINDS}) AND at_us < ?2
             ORDER BY at_us LIMIT ?4)
         UNION ALL
         SELECT seq, hash, seal, at_us FROM (
             SELECT seq, hash, seal, at_us FROM audit_entries
             WHERE account_id = ?1 AND at_us < ?3 AND resource NOT IN ({SIGN_IN_KINDS})
             ORDER BY at_us LIMIT ?4)
         ORDER BY at_us, seq LIMIT ?4"
    ))?;
    statement
        .query_map(params![account_id, sign_in_cutoff_us, audit_cutoff_us, limit as i64], |row| {
            Ok(SealedRow { seq: row.get(0)?, hash: row.get(1)?, seal: row.get(2)? })
        })?
        .collect()
}

struct Fold {
    folded: usize,
    checkpoint_seq: u64,
    more: bool,
}

/// Moves the checkpoint over the tombstones that directly follow it, checking
/// each one's seal, at most `limit` of them.
fn fold_tombstones(
    connection: &Connection,
    keys: &Keys,
    account: &str,
    chain: &ChainRecord,
    limit: usize,
) -> Result<Fold, AuditError> {
    let doing = || format!("folding purged audit entries of account {account} into its checkpoint");
    let sqlite = |error| AuditError::sqlite(doing())(error);
    let tampered = |record, seq: i64| AuditError::Tampered {
        account: account.to_owned(),
        seq: seq.max(0) as u64,
        record,
        doing: "purge",
    };
    if !chain.is_sealed(keys, account, ChainEnd::Checkpoint) {
        return Err(tampered("checkpoint", chain.checkpoint_seq));
    }
    let mut statement = connection
        .prepare_cached(
            "SELECT seq, hash, seal FROM audit_tombstones
             WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(sqlite)?;
    let following: Vec<SealedRow> = statement
        .query_map(params![chain.account_id, chain.checkpoint_seq, limit as i64 + 1], |row| {
            Ok(SealedRow { seq: row.get(0)?, hash: row.get(1)?, seal: row.get(2)? })
        })
        .and_then(|rows| rows.collect())
        .map_err(sqlite)?;
    let mut checkpoint_seq = chain.checkpoint_seq;
    let mut checkpoint_hash = None;
    let mut folded = 0;
    let mut more = false;
    for SealedRow { seq, hash, seal } in following {
        if seq != checkpoint_seq + 1 {
            break;
        }
        if folded == limit {
            more = true;
            break;
        }
        let hash = as_hash(&hash).ok_or_else(|| tampered("tombstone", seq))?;
        if !keys.is_sealed(Record::Tombstone, account, seq as u64, &hash, &seal) {
            return Err(tampered("tombstone", seq));
        }
        checkpoint_seq = seq;
        checkpoint_hash = Some(hash);
        folded += 1;
    }
    if let Some(hash) = checkpoint_hash {
        connection
            .execute(
                "DELETE FROM audit_tombstones WHERE account_id = ?1 AND seq > ?2 AND seq <= ?3",
                params![chain.account_id, chain.checkpoint_seq, checkpoint_seq],
            )
            .map_err(sqlite)?;
        ChainRecord::save_end(
            connection,
            keys,
            ChainEnd::Checkpoint,
            account,
            chain.account_id,
            checkpoint_seq as u64,
            &hash,
        )
        .map_err(sqlite)?;
    }
    Ok(Fold { folded, checkpoint_seq: checkpoint_seq.max(0) as u64, more })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(resource: ResourceKind, at: &str, expired: bool) {
        let now: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
        let at: DateTime<Utc> = at.parse().unwrap();
        assert_eq!(RetentionPolicy::default().has_expired(resource, at, now), expired, "{at}");
    }

    #[test]
    fn an_entry_expires_once_older_than_its_kinds_period() {
        // 90 days before 2026-06-01 is 2026-03-03 (31 days of May, 30 of
        // April, 29 of March); 30 days before is 2026-05-02.
        check(ResourceKind::Entity, "2026-03-03T00:00:00Z", false);
        check(ResourceKind::Entity, "2026-03-02T23:59:59.999999Z", true);
        check(ResourceKind::Secret, "2026-03-02T23:59:59Z", true);
        check(ResourceKind::SignIn, "2026-05-02T00:00:00Z", false);
        check(ResourceKind::SignIn, "2026-05-01T23:59:59.999999Z", true);
        check(ResourceKind::AccountAccess, "2026-04-01T00:00:00Z", true);
        check(ResourceKind::AccountAccess, "2026-05-31T00:00:00Z", false);
    }
}
