//! An account's chain record: its sealed head and its signed checkpoint.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

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
    /// Starts a change of the account's chain: an immediate transaction, so that
    /// no other writer comes between reading the record and updating it, and
    /// the record, created if the account has none.
    pub(crate) fn begin_change<'c>(
        connection: &'c mut Connection,
        account: &str,
        keys: &Keys,
    ) -> rusqlite::Result<(Transaction<'c>, ChainRecord)> {
        let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let chain = ChainRecord::load_or_create(&transaction, account, keys)?;
        Ok((transaction, chain))
    }

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

    /// Whether the seal of the chain's `end` matches.
    pub(crate) fn is_sealed(&self, keys: &Keys, account: &str, end: ChainEnd) -> bool {
        let (seq, hash, seal) = match end {
            ChainEnd::Head => (self.head_seq, &self.head_hash, &self.head_seal),
            ChainEnd::Checkpoint => {
                (self.checkpoint_seq, &self.checkpoint_hash, &self.checkpoint_signature)
            }
        };
        seq >= 0 && keys.is_sealed(end.record(), account, seq as u64, hash, seal)
    }

    /// Moves the chain's `end` to `seq` with `hash`, sealed.
    pub(crate) fn save_end(
        connection: &Connection,
        keys: &Keys,
        end: ChainEnd,
        account: &str,
        account_id: i64,
        seq: u64,
        hash: &Hash,
    ) -> rusqlite::Result<()> {
        let sql = match end {
            ChainEnd::Head => {
                "UPDATE audit_accounts SET head_seq = ?2, head_hash = ?3, head_seal = ?4
                 WHERE account_id = ?1"
            }
            ChainEnd::Checkpoint => {
                "UPDATE audit_accounts
                 SET checkpoint_seq = ?2, checkpoint_hash = ?3, checkpoint_signature = ?4
                 WHERE account_id = ?1"
            }
        };
        connection.prepare_cached(sql)?.execute(params![
            account_id,
            seq as i64,
            hash,
            keys.seal(end.record(), account, seq, hash)
        ])?;
        Ok(())
    }
}

/// The two ends of an account's chain that its record keeps, each a seq and a
/// hash under a seal of the key (the checkpoint's seal is stored as its
/// signature).
#[derive(Debug, Clone, Copy)]
pub(crate) enum ChainEnd {
    /// The last entry appended.
    Head,
    /// Every entry up to this seq is purged; verification starts here.
    Checkpoint,
}

impl ChainEnd {
    fn record(self) -> Record {
        match self {
            ChainEnd::Head => Record::Head,
            ChainEnd::Checkpoint => Record::Checkpoint,
        }
    }
}

/// The 32 bytes of a stored hash, if it has that length.
pub(crate) fn as_hash(bytes: &[u8]) -> Option<Hash> {
    bytes.try_into().ok()
}
