//! An account's chain record: its sealed head and its signed checkpoint.

use rusqlite::{Connection, OptionalExtension, params};

use crate::RetentionPolicy;
use crate::seal::{GENESIS, Hash, Keys, Record};

/// The `audit_accounts` row of an account, as stored (hashes and seals are raw
/// bytes: a tampered file may hold anything there).
#[derive(Debug, Clone)]
pub(crate) struct ChainRecord {
    pub(crate) account_id: i64,
    pub(crate) head_seq: i64,
    pub(crate) head_hash: Vec<u8>,
    pub(crate) head_seal: Vec<u8>,
    pub(crate) checkpoint_seq: i64,
    pub(crate) checkpoint_hash: Vec<u8>,
    pub(crate) checkpoint_signature: Vec<u8>,
    pub(crate) audit_days: i64,
    pub(crate) sign_in_days: i64,
    pub(crate) retention_seal: Vec<u8>,
}

impl ChainRecord {
    /// Reads the account's record; `None` before its first entry.
    pub(crate) fn load(
        connection: &Connection,
        account: &str,
    ) -> rusqlite::Result<Option<ChainRecord>> {
        connection
            .prepare_cached(
                "SELECT account_id, head_seq, head_hash, head_seal,
                        checkpoint_seq, checkpoint_hash, checkpoint_signature,
                        audit_days, sign_in_days, retention_seal
                 FROM audit_accounts WHERE account = ?1",
            )?
            .query_row([account], |row| {
                Ok(ChainRecord {
                    account_id: row.get(0)?,
                    head_seq: row.get(1)?,
                    head_hash: row.get(2)?,
                    head_seal: row.get(3)?,
                    checkpoint_seq: row.get(4)?,
                    checkpoint_hash: row.get(5)?,
                    checkpoint_signature: row.get(6)?,
                    audit_days: row.get(7)?,
                    sign_in_days: row.get(8)?,
                    retention_seal: row.get(9)?,
                })
            })
            .optional()
    }

    /// The account's record, created empty (head and checkpoint at seq 0 with
    /// the all-zero hash, the default retention periods) if it has none.
    pub(crate) fn load_or_create(
        connection: &Connection,
        account: &str,
        keys: &Keys,
    ) -> rusqlite::Result<ChainRecord> {
        if let Some(record) = ChainRecord::load(connection, account)? {
            return Ok(record);
        }
        let head_seal = keys.seal(Record::Head, account, 0, &GENESIS);
        let checkpoint_signature = keys.seal(Record::Checkpoint, account, 0, &GENESIS);
        let retention = RetentionPolicy::default();
        let retention_seal =
            keys.retention_seal(account, retention.audit_days, retention.sign_in_days);
        connection.execute(
            "INSERT INTO audit_accounts (account, head_seq, head_hash, head_seal,
                 checkpoint_seq, checkpoint_hash, checkpoint_signature,
                 audit_days, sign_in_days, retention_seal)
             VALUES (?1, 0, ?2, ?3, 0, ?2, ?4, ?5, ?6, ?7)",
            params![
                account,
                GENESIS,
                head_seal,
                checkpoint_signature,
                retention.audit_days,
                retention.sign_in_days,
                retention_seal
            ],
        )?;
        Ok(ChainRecord {
            account_id: connection.last_insert_rowid(),
            head_seq: 0,
            head_hash: GENESIS.to_vec(),
            head_seal: head_seal.to_vec(),
            checkpoint_seq: 0,
            checkpoint_hash: GENESIS.to_vec(),
            checkpoint_signature: checkpoint_signature.to_vec(),
            audit_days: retention.audit_days.into(),
            sign_in_days: retention.sign_in_days.into(),
            retention_seal: retention_seal.to_vec(),
        })
    }

    /// The account's retention periods, if their seal matches.
    pub(crate) fn retention(&self, keys: &Keys, account: &str) -> Option<RetentionPolicy> {
        let audit_days = u32::try_from(self.audit_days).ok()?;
        let sign_in_days = u32::try_from(self.sign_in_days).ok()?;
        keys.is_retention_sealed(account, audit_days, sign_in_days, &self.retention_seal)
            .then_some(RetentionPolicy { audit_days, sign_in_days })
    }

    /// Sets the account's retention periods, sealed.
    pub(crate) fn save_retention(
        connection: &Connection,
        keys: &Keys,
        account: &str,
        account_id: i64,
        policy: RetentionPolicy,
    ) -> rusqlite::Result<()> {
        connection
            .prepare_cached(
                "UPDATE audit_accounts SET audit_days = ?2, sign_in_days = ?3, retention_seal = ?4
                 WHERE account_id = ?1",
            )?
            .execute(params![
                account_id,
                policy.audit_days,
                policy.sign_in_days,
                keys.retention_seal(account, policy.audit_days, policy.sign_in_days)
            ])?;
        Ok(())
    }

    /// Whether the head's seal matches.
    pub(crate) fn head_is_sealed(&self, keys: &Keys, account: &str) -> bool {
        self.head_seq >= 0
            && keys.is_sealed(
                Record::Head,
                account,
                self.head_seq as u64,
                &self.head_hash,
                &self.head_seal,
            )
    }

    /// Whether the checkpoint's signature matches.
    pub(crate) fn checkpoint_is_signed(&self, keys: &Keys, account: &str) -> bool {
        self.checkpoint_seq >= 0
            && keys.is_sealed(
                Record::Checkpoint,
                account,
                self.checkpoint_seq as u64,
                &self.checkpoint_hash,
                &self.checkpoint_signature,
            )
    }

    /// Moves the head to `seq` with `hash`, sealed.
    pub(crate) fn save_head(
        connection: &Connection,
        keys: &Keys,
        account: &str,
        account_id: i64,
        seq: u64,
        hash: &Hash,
    ) -> rusqlite::Result<()> {
        connection
            .prepare_cached(
                "UPDATE audit_accounts SET head_seq = ?2, head_hash = ?3, head_seal = ?4
                 WHERE account_id = ?1",
            )?
            .execute(params![
                account_id,
                seq as i64,
                hash,
                keys.seal(Record::Head, account, seq, hash)
            ])?;
        Ok(())
    }

    /// Moves the checkpoint to `seq` with `hash`, signed.
    pub(crate) fn save_checkpoint(
        connection: &Connection,
        keys: &Keys,
        account: &str,
        account_id: i64,
        seq: u64,
        hash: &Hash,
    ) -> rusqlite::Result<()> {
        connection
            .prepare_cached(
                "UPDATE audit_accounts
                 SET checkpoint_seq = ?2, checkpoint_hash = ?3, checkpoint_signature = ?4
                 WHERE account_id = ?1",
            )?
            .execute(params![
                account_id,
                seq as i64,
                hash,
                keys.seal(Record::Checkpoint, account, seq, hash)
            ])?;
        Ok(())
    }
}

/// The 32 bytes of a stored hash, if it has that length.
pub(crate) fn as_hash(bytes: &[u8]) -> Option<Hash> {
    bytes.try_into().ok()
}
