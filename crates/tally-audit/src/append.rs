//! Appending entries to an account's chain, and reading one back.

use rusqlite::{Connection, OptionalExtension, params};

use crate::canonical::{ROW_COLUMNS, ReadError, StoredRow, canonical_json};
use crate::chain::{ChainEnd, ChainRecord, as_hash};
use crate::redact::Redactor;
use crate::seal::{Record, chain_hash};
use crate::{AuditEntry, AuditError, AuditStore, NewAuditEntry, check_account};

/// What became of a batch of entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Entries stored for the first time.
    pub accepted: usize,
    /// Entries whose event id was stored before with the same content (after
    /// redaction): acknowledged, not stored again.
    pub duplicates: usize,
    /// Entries whose event id was stored before with other content: not stored.
    pub conflicts: Vec<Conflict>,
    /// The seq of each accepted entry, in batch order.
    pub seqs: Vec<u64>,
}

/// An entry that reuses a stored event id with other content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// 0-based position in the batch.
    pub index: usize,
    /// The reused event id.
    pub event_id: String,
    /// The seq of the entry stored under it.
    pub stored_seq: u64,
}

impl AuditStore {
    /// Appends `entries` to the account's chain in one transaction: each new entry
    /// gets the next seq and its chain hash, and the sealed head moves to the last.
    ///
    /// An event id already stored for the account is a duplicate when the entry's
    /// content (after redaction) is the same, else a [`Conflict`]; neither is
    /// stored again, and the rest of the batch is. Entries are chained in batch
    /// order whatever their instants.
    ///
    /// Fails with [`AuditError::Tampered`], writing nothing, when the chain's
    /// head is not sealed by this store's key: appending would hide what was done.
    pub fn append(
        &mut self,
        account: &str,
        entries: &[NewAuditEntry],
    ) -> Result<AppendOutcome, AuditError> {
        check_account(account)?;
        if entries.is_empty() {
            return Ok(AppendOutcome::default());
        }
        let rows = entries
            .iter()
            .enumerate()
            .map(|(index, entry)| self.stored_row(account, index, entry))
            .collect::<Result<Vec<StoredRow>, AuditError>>()?;
        let doing = || format!("appending {} audit entries to account {account}", entries.len());
        let sqlite = |error| AuditError::sqlite(doing())(error);
        let (transaction, chain) =
            ChainRecord::begin_change(&mut self.connection, account, &self.keys).map_err(sqlite)?;
        let mut head_hash = match as_hash(&chain.head_hash) {
            Some(hash) if chain.is_sealed(&self.keys, account, ChainEnd::Head) => hash,
            _ => {
                return Err(AuditError::Tampered {
                    account: account.to_owned(),
                    seq: chain.head_seq.max(0) as u64,
                    record: "chain head",
                    doing: "append",
                });
            }
        };
        let mut head_seq = chain.head_seq as u64;
        let mut outcome = AppendOutcome::default();
        for (index, mut row) in rows.into_iter().enumerate() {
            match stored_by_event_id(&transaction, chain.account_id, &row.event_id) {
                Ok(Some(stored)) if stored.same_content(&row) => outcome.duplicates += 1,
                Ok(Some(stored)) => outcome.conflicts.push(Conflict {
                    index,
                    event_id: row.event_id,
                    stored_seq: stored.seq,
                }),
                Ok(None) => {
                    head_seq += 1;
                    row.seq = head_seq;
                    head_hash = chain_hash(&head_hash, row.canonical_bytes(account).as_bytes());
                    let seal = self.keys.seal(Record::Entry, account, head_seq, &head_hash);
                    insert(&transaction, chain.account_id, &row, &head_hash, &seal)
                        .map_err(sqlite)?;
                    outcome.accepted += 1;
                    outcome.seqs.push(head_seq);
                }
                Err(ReadError::Sqlite(error)) => return Err(sqlite(error)),
                Err(ReadError::Bad(bad)) => {
                    let seq: i64 = transaction
                        .query_row(
                            "SELECT seq FROM audit_entries WHERE account_id = ?1 AND event_id = ?2",
                            params![chain.account_id, row.event_id],
                            |found| found.get(0),
                        )
                        .map_err(sqlite)?;
                    return Err(AuditError::CorruptValue {
                        account: account.to_owned(),
                        seq: seq.max(0) as u64,
                        column: bad.column,
                        value: bad.value,
                    });
                }
            }
        }
        if outcome.accepted > 0 {
            ChainRecord::save_end(
                &transaction,
                &self.keys,
                ChainEnd::Head,
                account,
                chain.account_id,
                head_seq,
                &head_hash,
            )
            .map_err(sqlite)?;
        }
        transaction.commit().map_err(sqlite)?;
        Ok(outcome)
    }

    /// The entry at `seq` of the account's chain, if it is stored (not purged).
    pub fn get(&self, account: &str, seq: u64) -> Result<Option<AuditEntry>, AuditError> {
        let doing = || format!("reading audit entry {seq} of account {account}");
        let found = self
            .connection
            .prepare_cached(&format!(
                "SELECT {ROW_COLUMNS}, hash FROM audit_entries
                 WHERE account_id = (SELECT account_id FROM audit_accounts WHERE account = ?1)
                   AND seq = ?2"
            ))
            .and_then(|mut statement| {
                statement
                    .query_row(params![account, seq as i64], |row| {
                        Ok((StoredRow::read(row, 0), row.get::<_, Vec<u8>>(18)?))
                    })
                    .optional()
            })
            .map_err(AuditError::sqlite(doing()))?;
        match found {
            None => Ok(None),
            Some((row, hash)) => entry_from_read(account, seq, row, hash).map(Some),
        }
    }

    /// The row an entry is stored as: snapshots redacted and written canonically.
    fn stored_row(
        &self,
        account: &str,
        index: usize,
        entry: &NewAuditEntry,
    ) -> Result<StoredRow, AuditError> {
        if entry.event_id.is_empty() {
            return Err(AuditError::InvalidEntry {
                account: account.to_owned(),
                index,
                event_id: entry.event_id.clone(),
                reason: "the event id is empty",
            });
        }
        let change = &entry.change;
        let redactor =
            Redactor { keys: &self.keys, account, sensitive_fields: &self.sensitive_fields };
        let snapshot = |value: &Option<serde_json::Value>| {
            value.as_ref().map(|value| canonical_json(&redactor.redact(change.resource, value)))
        };
        Ok(StoredRow {
            seq: 0,
            event_id: entry.event_id.clone(),
            at_us: entry.at.timestamp_micros(),
            resource: change.resource.as_str().to_owned(),
            resource_id: change.resource_id.clone(),
            operation: change.operation.as_str().to_owned(),
            source_type: change.source_type.as_str().to_owned(),
            source: change.source.clone(),
            origin: change.origin.as_str().to_owned(),
            status: change.status.as_str().to_owned(),
            error: change.error.clone(),
            user: change.user.clone(),
            blueprint: change.blueprint.clone(),
            entity: change.entity.clone(),
            run_id: change.run_id.clone(),
            integration: change.integration.clone(),
            before: snapshot(&change.before),
            after: snapshot(&change.after),
        })
    }
}

/// Turns a row read for `get` or `query` into an entry, or a
/// [`AuditError::CorruptValue`] naming the bad column.
pub(crate) fn entry_from_read(
    account: &str,
    seq: u64,
    row: Result<StoredRow, ReadError>,
    hash: Vec<u8>,
) -> Result<AuditEntry, AuditError> {
    let corrupt = |column, value| AuditError::CorruptValue {
        account: account.to_owned(),
        seq,
        column,
        value,
    };
    let row = match row {
        Ok(row) => row,
        Err(ReadError::Bad(bad)) => return Err(corrupt(bad.column, bad.value)),
        Err(ReadError::Sqlite(source)) => {
            return Err(AuditError::Sqlite {
                doing: format!("reading audit entry {seq} of account {account}"),
                source,
            });
        }
    };
    let hash = as_hash(&hash).ok_or_else(|| corrupt("hash", hex::encode(&hash)))?;
    AuditEntry::from_stored(account, row, hash)
}

fn stored_by_event_id(
    connection: &Connection,
    account_id: i64,
    event_id: &str,
) -> Result<Option<StoredRow>, ReadError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {ROW_COLUMNS} FROM audit_entries WHERE account_id = ?1 AND event_id = ?2"
    ))?;
    let mut rows = statement.query(params![account_id, event_id])?;
    match rows.next()? {
        Some(row) => StoredRow::read(row, 0).map(Some),
        None => Ok(None),
    }
}

fn insert(
    connection: &Connection,
    account_id: i64,
    row: &StoredRow,
    hash: &[u8; 32],
    seal: &[u8; 32],
) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO audit_entries (account_id, seq, event_id, at_us, resource, resource_id,
                 operation, source_type, source, origin, status, error, user, blueprint, entity,
                 run_id, integration, before, after, hash, seal)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21)",
        )?
        .execute(params![
            account_id,
            row.seq as i64,
            row.event_id,
            row.at_us,
            row.resource,
            row.resource_id,
            row.operation,
            row.source_type,
            row.source,
            row.origin,
            row.status,
            row.error,
            row.user,
            row.blueprint,
            row.entity,
            row.run_id,
            row.integration,
            row.before,
            row.after,
            hash,
            seal,
        ])?;
    Ok(())
}
