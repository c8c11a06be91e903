//! An audit entry as it is given to the store, and as it is read back: both
//! carry the `audit_entry` event's change, `tally_events::AuditEntry`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tally_events::{AuditStatus, Operation, OriginType, ResourceKind, SourceType};

use crate::AuditError;
use crate::canonical::StoredRow;
use crate::diff::{Diff, diff_entry};

/// An entry to append: the checked `audit_entry` event's change, with the
/// event's id and instant, its snapshots in clear.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    /// When it happened. Stored to the microsecond (finer digits are dropped).
    /// Entries may arrive out of order; the chain is in arrival order.
    pub at: DateTime<Utc>,
    /// The sender's id, unique within the account: appending it again with the
    /// same content is a duplicate, with other content a conflict.
    pub event_id: String,
    /// Who changed what, how, and the resource before and after.
    pub change: tally_events::AuditEntry,
}

impl NewAuditEntry {
    /// The entry for a checked `audit_entry` event with this id and instant.
    pub fn from_event(
        event_id: &str,
        at: DateTime<Utc>,
        event: &tally_events::AuditEntry,
    ) -> NewAuditEntry {
        NewAuditEntry { at, event_id: event_id.to_owned(), change: event.clone() }
    }
}

/// A SHA-256 chain hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// The hash as lower-case hexadecimal.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Display for ChainHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl Serialize for ChainHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

/// A stored entry, as read back: redacted snapshots, its place in the chain.
///
/// The [`NewAuditEntry`] as appending made it: its change's snapshots redacted,
/// and what appending gave it (`account`, `seq`, `hash`). Listings show it as
/// `tally_figures::audit::AuditRow`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// The account.
    pub account: String,
    /// Its place in the account's chain: 1, 2, 3... in arrival order.
    pub seq: u64,
    /// The sender's id.
    pub event_id: String,
    /// When it happened, to the microsecond.
    pub at: DateTime<Utc>,
    /// Who changed what, how, and the resource before and after, redacted.
    pub change: tally_events::AuditEntry,
    /// The chain hash: SHA-256 of the previous entry's hash and this entry's
    /// canonical bytes.
    pub hash: ChainHash,
}

impl AuditEntry {
    /// What changed between `before` and `after`, or which snapshot is missing.
    /// See [`Diff`] for the rules.
    pub fn diff(&self) -> Diff {
        let change = &self.change;
        diff_entry(change.operation, change.before.as_ref(), change.after.as_ref())
    }

    /// Reads a stored row back into typed values.
    pub(crate) fn from_stored(
        account: &str,
        row: StoredRow,
        hash: [u8; 32],
    ) -> Result<AuditEntry, AuditError> {
        let seq = row.seq;
        let corrupt = |column: &'static str, value: &str| AuditError::CorruptValue {
            account: account.to_owned(),
            seq,
            column,
            value: value.to_owned(),
        };
        let snapshot = |column: &'static str, text: Option<String>| match text {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text).map(Some).map_err(|_| corrupt(column, &text)),
        };
        let change = tally_events::AuditEntry {
            resource: ResourceKind::parse(&row.resource)
                .ok_or_else(|| corrupt("resource", &row.resource))?,
            operation: Operation::parse(&row.operation)
                .ok_or_else(|| corrupt("operation", &row.operation))?,
            source_type: SourceType::parse(&row.source_type)
                .ok_or_else(|| corrupt("source_type", &row.source_type))?,
            origin: OriginType::parse(&row.origin),
            status: AuditStatus::parse(&row.status)
                .ok_or_else(|| corrupt("status", &row.status))?,
            before: snapshot("before", row.before)?,
            after: snapshot("after", row.after)?,
            resource_id: row.resource_id,
            source: row.source,
            error: row.error,
            user: row.user,
            blueprint: row.blueprint,
            entity: row.entity,
            run_id: row.run_id,
            integration: row.integration,
        };
        Ok(AuditEntry {
            account: account.to_owned(),
            seq,
            at: DateTime::from_timestamp_micros(row.at_us)
                .ok_or_else(|| corrupt("at_us", &row.at_us.to_string()))?,
            event_id: row.event_id,
            change,
            hash: ChainHash(hash),
        })
    }
}
