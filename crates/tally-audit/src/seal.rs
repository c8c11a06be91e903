//! Everything the secret key is used for: the keyed hash that replaces redacted
//! values, and the seals that show a record was written by the store.
//!
//! Every use is HMAC-SHA256 over a domain tag followed by the record's fields,
//! each field preceded by its length as 8 big-endian bytes, so that no two
//! different records (or uses) give the same message.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A SHA-256 or HMAC-SHA256 output.
pub(crate) type Hash = [u8; 32];

/// The chain hash before the first entry.
pub(crate) const GENESIS: Hash = [0; 32];

const REDACT: &str = "tally-audit/v1/redact";
const ENTRY: &str = "tally-audit/v1/entry";
const TOMBSTONE: &str = "tally-audit/v1/tombstone";
const CHECKPOINT: &str = "tally-audit/v1/checkpoint";
const HEAD: &str = "tally-audit/v1/head";
const RETENTION: &str = "tally-audit/v1/retention";

/// The prefix of a redacted value.
pub(crate) const REDACTED_PREFIX: &str = "hmac-sha256:";

/// `SHA-256(previous || canonical)`: the chain hash of an entry.
pub(crate) fn chain_hash(previous: &Hash, canonical: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(canonical);
    hasher.finalize().into()
}

/// What a record is sealed as; each kind has its own domain tag, so a seal of one
/// kind is never valid for another (an entry's seal does not make a tombstone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Record {
    /// A retained entry: its seq and chain hash.
    Entry,
    /// A purged entry: its seq and chain hash.
    Tombstone,
    /// Every entry up to this seq is purged; the chain hash there.
    Checkpoint,
    /// The chain ends at this seq with this hash.
    Head,
}

impl Record {
    fn tag(self) -> &'static str {
        match self {
            Record::Entry => ENTRY,
            Record::Tombstone => TOMBSTONE,
            Record::Checkpoint => CHECKPOINT,
            Record::Head => HEAD,
        }
    }
}

/// The store's secret key and what it computes.
#[derive(Clone)]
pub(crate) struct Keys {
    key: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys { .. }")
    }
}

impl Keys {
    pub(crate) fn new(key: [u8; 32]) -> Keys {
        Keys { key }
    }

    fn mac(&self, tag: &str, fields: &[&[u8]]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        for field in std::iter::once(tag.as_bytes()).chain(fields.iter().copied()) {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field);
        }
        mac
    }

    /// The text that replaces a redacted leaf: `hmac-sha256:` and the hex of
    /// HMAC(account, JSON pointer, canonical JSON of the value).
    pub(crate) fn redacted(&self, account: &str, pointer: &str, canonical_value: &str) -> String {
        let mac =
            self.mac(REDACT, &[account.as_bytes(), pointer.as_bytes(), canonical_value.as_bytes()]);
        format!("{REDACTED_PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
    }

    /// The seal of a record of `account` at `seq` with chain hash `hash`.
    pub(crate) fn seal(&self, record: Record, account: &str, seq: u64, hash: &Hash) -> Hash {
        self.mac(record.tag(), &[account.as_bytes(), &seq.to_be_bytes(), hash])
            .finalize()
            .into_bytes()
            .into()
    }

    /// The seal of an account's retention periods.
    pub(crate) fn retention_seal(&self, account: &str, audit_days: u32, sign_in_days: u32) -> Hash {
        self.retention_mac(account, audit_days, sign_in_days).finalize().into_bytes().into()
    }

    /// Whether `seal` is the seal of these retention periods (compared in
    /// constant time).
    pub(crate) fn is_retention_sealed(
        &self,
        account: &str,
        audit_days: u32,
        sign_in_days: u32,
        seal: &[u8],
    ) -> bool {
        self.retention_mac(account, audit_days, sign_in_days).verify_slice(seal).is_ok()
    }

    fn retention_mac(&self, account: &str, audit_days: u32, sign_in_days: u32) -> Hmac<Sha256> {
        self.mac(
            RETENTION,
            &[account.as_bytes(), &audit_days.to_be_bytes(), &sign_in_days.to_be_bytes()],
        )
    }

    /// Whether `seal` is the seal of that record (compared in constant time).
    pub(crate) fn is_sealed(
        &self,
        record: Record,
        account: &str,
        seq: u64,
        hash: &[u8],
        seal: &[u8],
    ) -> bool {
        self.mac(record.tag(), &[account.as_bytes(), &seq.to_be_bytes(), hash])
            .verify_slice(seal)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_of_different_records_differ() {
        let keys = Keys::new([7; 32]);
        let hash = [1; 32];
        let entry = keys.seal(Record::Entry, "acme", 3, &hash);
        assert!(keys.is_sealed(Record::Entry, "acme", 3, &hash, &entry));
        assert!(!keys.is_sealed(Record::Tombstone, "acme", 3, &hash, &entry));
        assert!(!keys.is_sealed(Record::Entry, "acme", 4, &hash, &entry));
        assert!(!keys.is_sealed(Record::Entry, "acme2", 3, &hash, &entry));
        assert!(!Keys::new([8; 32]).is_sealed(Record::Entry, "acme", 3, &hash, &entry));
    }

    #[test]
    fn retention_seals_cover_the_account_and_both_periods() {
        let keys = Keys::new([7; 32]);
        let seal = keys.retention_seal("acme", 90, 30);
        assert!(keys.is_retention_sealed("acme", 90, 30, &seal));
        assert!(!keys.is_retention_sealed("acme", 30, 90, &seal));
        assert!(!keys.is_retention_sealed("acme", 91, 30, &seal));
        assert!(!keys.is_retention_sealed("globex", 90, 30, &seal));
        assert!(!Keys::new([8; 32]).is_retention_sealed("acme", 90, 30, &seal));
    }

    #[test]
    fn length_prefixes_keep_fields_apart() {
        let keys = Keys::new([7; 32]);
        // Without lengths, ("ab", "/c") and ("a", "b/c") would be the same bytes.
        assert_ne!(keys.redacted("ab", "/c", "1"), keys.redacted("a", "b/c", "1"));
    }
}
