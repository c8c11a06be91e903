//! Checking an account's chain offline, and anchors: short digests of the head
//! kept outside the file.

use std::fmt;
use std::str::FromStr;

use rusqlite::{Connection, params};

use crate::canonical::{BadColumn, ROW_COLUMNS, ReadError, StoredRow, is_canonical_json};
use crate::chain::{ChainEnd, ChainRecord, as_hash};
use crate::seal::{GENESIS, Hash, Keys, Record, chain_hash};
use crate::{AuditError, AuditStore};

/// Length of an anchor's digest: the first 16 bytes (128 bits) of a chain hash.
const DIGEST_BYTES: usize = 16;

/// The chain of an account as of one entry: its seq and the first 128 bits of
/// its chain hash. Written `account:seq:digest`, such as
/// `acme:1234:3f9a0c2e51b7d84a6c1f0e9d2b3a4c5d`.
///
/// A customer keeps anchors outside Tally (a ticket, a wiki, another system).
/// Since every chain hash commits to every entry before it, verifying against an
/// anchor shows that nothing up to its seq was rewritten, even by someone who
/// holds the key and recomputed every hash and seal: they would have to find
/// other contents with the same 128-bit digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Anchor {
    /// The account.
    pub account: String,
    /// The entry's seq (0: the chain before its first entry).
    pub seq: u64,
    /// The first 16 bytes of the chain hash at `seq`.
    pub digest: [u8; DIGEST_BYTES],
}

impl Anchor {
    fn new(account: &str, seq: u64, hash: &Hash) -> Anchor {
        let mut digest = [0; DIGEST_BYTES];
        digest.copy_from_slice(&hash[..DIGEST_BYTES]);
        Anchor { account: account.to_owned(), seq, digest }
    }

    fn matches(&self, hash: &Hash) -> bool {
        hash[..DIGEST_BYTES] == self.digest
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.account, self.seq, hex::encode(self.digest))
    }
}

impl FromStr for Anchor {
    type Err = AuditError;

    /// Reads `account:seq:digest`; the account may itself contain colons.
    fn from_str(text: &str) -> Result<Anchor, AuditError> {
        let invalid = |reason| AuditError::InvalidAnchor { text: text.to_owned(), reason };
        let mut parts = text.trim().rsplitn(3, ':');
        let (Some(digest), Some(seq), Some(account)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("it has fewer than three parts"));
        };
        if account.is_empty() {
            return Err(invalid("the account is empty"));
        }
        let seq = seq.parse().map_err(|_| invalid("the seq is not a whole number"))?;
        let mut bytes = [0; DIGEST_BYTES];
        hex::decode_to_slice(digest, &mut bytes)
            .map_err(|_| invalid("the digest is not 32 hexadecimal digits"))?;
        Ok(Anchor { account: account.to_owned(), seq, digest: bytes })
    }
}

/// The outcome of [`AuditStore::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The account.
    pub account: String,
    /// The head as the file records it.
    pub head: Anchor,
    /// Every entry up to this seq is purged and covered by the signed checkpoint.
    pub checkpoint_seq: u64,
    /// Retained entries checked (up to the first problem).
    pub entries: u64,
    /// Tombstones of purged entries checked (up to the first problem).
    pub tombstones: u64,
    /// What became of the anchor, when one was given.
    pub anchor: Option<AnchorCheck>,
    /// The first problem, in chain order; `None` when the chain is intact.
    pub problem: Option<Tampering>,
}

impl VerifyReport {
    /// Whether no problem was found (an anchor that was matched or is purged is
    /// not a problem).
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// What verification could say about an anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorCheck {
    /// The chain holds the anchored digest at its seq.
    Matched,
    /// The anchored entry was purged and folded into the checkpoint, with every
    /// entry before it: nothing it protected is left to check.
    Purged {
        /// The checkpoint's seq.
        checkpoint_seq: u64,
    },
    /// The chain differs at the anchor's seq, or ends before it
    /// ([`Tampering::AnchorMismatch`]).
    Mismatched,
    /// A problem before the anchor's seq stopped the walk.
    NotReached,
}

/// A record the store seals besides entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedRecord {
    /// The chain head: where the chain ends.
    Head,
    /// The checkpoint: every entry up to it is purged.
    Checkpoint,
    /// A purged entry's seq and hash.
    Tombstone,
}

impl fmt::Display for SealedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SealedRecord::Head => "chain head",
            SealedRecord::Checkpoint => "checkpoint",
            SealedRecord::Tombstone => "tombstone",
        })
    }
}

/// How an entry was found altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alteration {
    /// Its content and the previous hash no longer give its stored hash.
    Hash,
    /// Its hash follows, but its seal does not match: the hash was recomputed
    /// without the key.
    Seal,
    /// A column holds what the store never writes: a wrong type, text that is not
    /// UTF-8, a snapshot that is not canonical JSON.
    Column {
        /// The column.
        column: &'static str,
    },
}

/// The first problem found in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tampering {
    /// A retained entry does not match its hash or seal.
    Altered {
        /// The entry's seq.
        seq: u64,
        /// How.
        alteration: Alteration,
    },
    /// A record that is not part of the chain: beyond the sealed head, at or below
    /// the checkpoint, or a seq stored twice.
    Inserted {
        /// Its seq.
        seq: u64,
    },
    /// A seq with neither an entry nor a tombstone, and not covered by the
    /// checkpoint.
    Removed {
        /// The first missing seq.
        seq: u64,
    },
    /// A head, checkpoint or tombstone whose seal does not match.
    BadSeal {
        /// Which record.
        record: SealedRecord,
        /// The seq it names.
        seq: u64,
    },
    /// The sealed head names a hash the chain does not end with.
    HeadMismatch {
        /// The head's seq.
        seq: u64,
    },
    /// The account's retention periods are not sealed by the key: they were
    /// changed by someone without it, so that purges would remove entries
    /// early. Reported when the chain itself is intact.
    Retention,
    /// The chain does not hold the anchor's digest at its seq: it was rewritten at
    /// or before that seq (or cut short before it).
    AnchorMismatch {
        /// The anchor's seq.
        seq: u64,
        /// The digest the chain holds there, if it reaches that seq.
        found: Option<[u8; DIGEST_BYTES]>,
    },
}

impl Tampering {
    /// The seq the problem is at; 0 for the retention periods, which belong to
    /// no seq.
    pub fn seq(&self) -> u64 {
        match self {
            Tampering::Retention => 0,
            Tampering::Altered { seq, .. }
            | Tampering::Inserted { seq }
            | Tampering::Removed { seq }
            | Tampering::BadSeal { seq, .. }
            | Tampering::HeadMismatch { seq }
            | Tampering::AnchorMismatch { seq, .. } => *seq,
        }
    }
}

impl fmt::Display for Tampering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tampering::Altered { seq, alteration: Alteration::Hash } => {
                write!(f, "entry {seq} was altered: its content does not give its hash")
            }
            Tampering::Altered { seq, alteration: Alteration::Seal } => {
                write!(f, "entry {seq} was altered: its hash was recomputed without the key")
            }
            Tampering::Altered { seq, alteration: Alteration::Column { column } } => {
                write!(
                    f,
                    "entry {seq} was altered: its {column} holds a value the store never writes"
                )
            }
            Tampering::Inserted { seq } => {
                write!(f, "entry {seq} was inserted: it is not part of the chain")
            }
            Tampering::Removed { seq } => write!(f, "entry {seq} was removed without being purged"),
            Tampering::BadSeal { record, seq } => {
                write!(f, "the {record} at seq {seq} is not sealed by the key")
            }
            Tampering::Retention => {
                f.write_str("the retention periods were changed without the key")
            }
            Tampering::HeadMismatch { seq } => {
                write!(f, "the chain head at seq {seq} names a hash the chain does not end with")
            }
            Tampering::AnchorMismatch { seq, found: Some(found) } => write!(
                f,
                "the chain was rewritten at or before seq {seq}: it holds {} there, not the anchored digest",
                hex::encode(found)
            ),
            Tampering::AnchorMismatch { seq, found: None } => {
                write!(f, "the chain was cut short: it ends before the anchored seq {seq}")
            }
        }
    }
}

impl AuditStore {
    /// The account's chain head as an [`Anchor`]; seq 0 before its first entry.
    ///
    /// Fails with [`AuditError::Tampered`] when the head's seal does not match,
    /// rather than hand out an anchor of a forged head.
    pub fn head(&self, account: &str) -> Result<Anchor, AuditError> {
        let chain = ChainRecord::load(&self.connection, account)
            .map_err(AuditError::sqlite(format!("reading the chain head of account {account}")))?;
        let Some(chain) = chain else {
            return Ok(Anchor::new(account, 0, &GENESIS));
        };
        match as_hash(&chain.head_hash) {
            Some(hash) if chain.is_sealed(&self.keys, account, ChainEnd::Head) => {
                Ok(Anchor::new(account, chain.head_seq as u64, &hash))
            }
            _ => Err(AuditError::Tampered {
                account: account.to_owned(),
                seq: chain.head_seq.max(0) as u64,
                record: "chain head",
                doing: "read the head",
            }),
        }
    }

    /// Rechecks the account's whole chain from the file alone (and the key), and
    /// reports the first problem in chain order: an entry altered, inserted or
    /// removed, a head, checkpoint or tombstone whose seal is broken, or, with an
    /// anchor, a chain that no longer holds the anchored digest. An intact chain
    /// whose retention periods are not sealed by the key is reported too.
    ///
    /// Reads one consistent snapshot of the file; appends meanwhile are not seen.
    pub fn verify(
        &self,
        account: &str,
        anchor: Option<&Anchor>,
    ) -> Result<VerifyReport, AuditError> {
        if let Some(anchor) = anchor
            && anchor.account != account
        {
            return Err(AuditError::AnchorAccount {
                account: account.to_owned(),
                anchor_account: anchor.account.clone(),
                anchor: anchor.to_string(),
            });
        }
        let doing = || format!("verifying the audit chain of account {account}");
        let sqlite = |error| AuditError::sqlite(doing())(error);
        // A read transaction: one snapshot for the head, the checkpoint and the rows.
        let transaction = self.connection.unchecked_transaction().map_err(sqlite)?;
        let chain = ChainRecord::load(&transaction, account).map_err(sqlite)?;
        let mut walk = Walk::new(account, &self.keys, anchor, chain.as_ref());
        let started = match &chain {
            None => walk.start(0, Some(GENESIS)),
            Some(chain) => {
                let signed = chain.is_sealed(&self.keys, account, ChainEnd::Checkpoint);
                let hash = as_hash(&chain.checkpoint_hash).filter(|_| signed);
                walk.start(chain.checkpoint_seq.max(0) as u64, hash)
                    && walk_records(&transaction, chain.account_id, &mut walk).map_err(sqlite)?
            }
        };
        if started {
            walk.finish();
        }
        let mut report = walk.report;
        if report.problem.is_none()
            && let Some(chain) = &chain
            && chain.retention(&self.keys, account).is_none()
        {
            report.problem = Some(Tampering::Retention);
        }
        Ok(report)
    }
}

/// One record of the chain, in seq order.
enum ChainItem {
    Entry { seq: i64, row: Result<Box<StoredRow>, BadColumn>, hash: Vec<u8>, seal: Vec<u8> },
    Tombstone { seq: i64, hash: Vec<u8>, seal: Vec<u8> },
}

impl ChainItem {
    fn seq(&self) -> i64 {
        match self {
            ChainItem::Entry { seq, .. } | ChainItem::Tombstone { seq, .. } => *seq,
        }
    }
}

/// Feeds the account's entries and tombstones to `walk` in seq order (entries
/// first at an equal seq); false once it finds a problem.
fn walk_records(
    connection: &Connection,
    account_id: i64,
    walk: &mut Walk<'_>,
) -> rusqlite::Result<bool> {
    let mut entries = connection.prepare(&format!(
        "SELECT {ROW_COLUMNS}, hash, seal FROM audit_entries WHERE account_id = ?1 ORDER BY seq"
    ))?;
    let mut tombstones = connection.prepare(
        "SELECT seq, hash, seal FROM audit_tombstones WHERE account_id = ?1 ORDER BY seq",
    )?;
    let mut entry_rows = entries.query(params![account_id])?;
    let mut tombstone_rows = tombstones.query(params![account_id])?;
    let next_entry = |rows: &mut rusqlite::Rows<'_>| -> rusqlite::Result<Option<ChainItem>> {
        Ok(match rows.next()? {
            Some(row) => Some(ChainItem::Entry {
                seq: row.get(0)?,
                row: match StoredRow::read(row, 0) {
                    Ok(stored) => Ok(Box::new(stored)),
                    Err(ReadError::Bad(bad)) => Err(bad),
                    Err(ReadError::Sqlite(error)) => return Err(error),
                },
                hash: row.get(18)?,
                seal: row.get(19)?,
            }),
            None => None,
        })
    };
    let next_tombstone = |rows: &mut rusqlite::Rows<'_>| -> rusqlite::Result<Option<ChainItem>> {
        Ok(match rows.next()? {
            Some(row) => Some(ChainItem::Tombstone {
                seq: row.get(0)?,
                hash: row.get(1)?,
                seal: row.get(2)?,
            }),
            None => None,
        })
    };
    let mut entry = next_entry(&mut entry_rows)?;
    let mut tombstone = next_tombstone(&mut tombstone_rows)?;
    loop {
        let take_entry = match (&entry, &tombstone) {
            (None, None) => return Ok(true),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(e), Some(t)) => e.seq() <= t.seq(),
        };
        let item = if take_entry {
            std::mem::replace(&mut entry, next_entry(&mut entry_rows)?)
        } else {
            std::mem::replace(&mut tombstone, next_tombstone(&mut tombstone_rows)?)
        };
        if !walk.step(item.expect("the side taken has an item")) {
            return Ok(false);
        }
    }
}

/// The verifier's state: where the chain is, and the report so far.
struct Walk<'a> {
    account: &'a str,
    keys: &'a Keys,
    anchor: Option<&'a Anchor>,
    /// The sealed head, when its seal matches.
    trusted_head: Option<(u64, Hash)>,
    head_seq: u64,
    /// The next seq expected, and the chain hash before it.
    expected: u64,
    previous: Hash,
    report: VerifyReport,
}

impl<'a> Walk<'a> {
    fn new(
        account: &'a str,
        keys: &'a Keys,
        anchor: Option<&'a Anchor>,
        chain: Option<&ChainRecord>,
    ) -> Walk<'a> {
        let (head, head_seq, trusted_head) = match chain {
            None => (Anchor::new(account, 0, &GENESIS), 0, Some((0, GENESIS))),
            Some(chain) => {
                let head_seq = chain.head_seq.max(0) as u64;
                let hash = as_hash(&chain.head_hash);
                let trusted = hash
                    .filter(|_| chain.is_sealed(keys, account, ChainEnd::Head))
                    .map(|hash| (head_seq, hash));
                (Anchor::new(account, head_seq, &hash.unwrap_or(GENESIS)), head_seq, trusted)
            }
        };
        Walk {
            account,
            keys,
            anchor,
            trusted_head,
            head_seq,
            expected: 1,
            previous: GENESIS,
            report: VerifyReport {
                account: account.to_owned(),
                head,
                checkpoint_seq: 0,
                entries: 0,
                tombstones: 0,
                anchor: anchor.map(|_| AnchorCheck::NotReached),
                problem: None,
            },
        }
    }

    /// Starts after the checkpoint at `checkpoint_seq`, whose hash is `None` when
    /// its signature is broken; false then, or when the anchor is there and
    /// does not match.
    fn start(&mut self, checkpoint_seq: u64, hash: Option<Hash>) -> bool {
        let Some(hash) = hash else {
            self.report.problem =
                Some(Tampering::BadSeal { record: SealedRecord::Checkpoint, seq: checkpoint_seq });
            return false;
        };
        self.report.checkpoint_seq = checkpoint_seq;
        self.expected = checkpoint_seq + 1;
        self.previous = hash;
        if let Some(anchor) = self.anchor {
            if anchor.seq < checkpoint_seq {
                self.report.anchor = Some(AnchorCheck::Purged { checkpoint_seq });
            } else if anchor.seq == checkpoint_seq {
                return self.check_anchor(checkpoint_seq);
            }
        }
        true
    }

    /// Checks one record; false once a problem is found.
    fn step(&mut self, item: ChainItem) -> bool {
        let seq = item.seq();
        if seq < 1 || (seq as u64) < self.expected {
            return self.fail(Tampering::Inserted { seq: seq.max(0) as u64 });
        }
        let seq = seq as u64;
        if let Some((head_seq, _)) = self.trusted_head
            && seq > head_seq
        {
            return self.fail(Tampering::Inserted { seq });
        }
        if seq > self.expected {
            return self.fail(Tampering::Removed { seq: self.expected });
        }
        match item {
            ChainItem::Tombstone { hash, seal, .. } => {
                let hash = as_hash(&hash);
                match hash.filter(|hash| {
                    self.keys.is_sealed(Record::Tombstone, self.account, seq, hash, &seal)
                }) {
                    Some(hash) => self.previous = hash,
                    None => {
                        return self
                            .fail(Tampering::BadSeal { record: SealedRecord::Tombstone, seq });
                    }
                }
                self.report.tombstones += 1;
            }
            ChainItem::Entry { row, hash, seal, .. } => {
                let altered = |alteration| Tampering::Altered { seq, alteration };
                let row = match row {
                    Ok(row) => row,
                    Err(bad) => {
                        return self.fail(altered(Alteration::Column { column: bad.column }));
                    }
                };
                for (column, snapshot) in [("before", &row.before), ("after", &row.after)] {
                    if snapshot.as_deref().is_some_and(|text| !is_canonical_json(text)) {
                        return self.fail(altered(Alteration::Column { column }));
                    }
                }
                let computed =
                    chain_hash(&self.previous, row.canonical_bytes(self.account).as_bytes());
                if hash != computed {
                    return self.fail(altered(Alteration::Hash));
                }
                if !self.keys.is_sealed(Record::Entry, self.account, seq, &computed, &seal) {
                    return self.fail(altered(Alteration::Seal));
                }
                self.previous = computed;
                self.report.entries += 1;
            }
        }
        self.expected = seq + 1;
        if self.anchor.is_some_and(|anchor| anchor.seq == seq) {
            return self.check_anchor(seq);
        }
        true
    }

    /// After the last record: the chain must end at the sealed head, and reach
    /// the anchor.
    fn finish(&mut self) {
        let last = self.expected - 1;
        let problem = match self.trusted_head {
            None => Some(Tampering::BadSeal { record: SealedRecord::Head, seq: self.head_seq }),
            Some((head_seq, _)) if last < head_seq => Some(Tampering::Removed { seq: last + 1 }),
            Some((head_seq, hash)) if hash != self.previous => {
                Some(Tampering::HeadMismatch { seq: head_seq })
            }
            Some(_) => None,
        };
        if let Some(problem) = problem {
            self.fail(problem);
            return;
        }
        if let Some(anchor) = self.anchor
            && anchor.seq > last
        {
            self.report.anchor = Some(AnchorCheck::Mismatched);
            self.report.problem = Some(Tampering::AnchorMismatch { seq: anchor.seq, found: None });
        }
    }

    fn check_anchor(&mut self, seq: u64) -> bool {
        let anchor = self.anchor.expect("called with an anchor");
        if anchor.matches(&self.previous) {
            self.report.anchor = Some(AnchorCheck::Matched);
            return true;
        }
        self.report.anchor = Some(AnchorCheck::Mismatched);
        let mut found = [0; DIGEST_BYTES];
        found.copy_from_slice(&self.previous[..DIGEST_BYTES]);
        self.fail(Tampering::AnchorMismatch { seq, found: Some(found) })
    }

    fn fail(&mut self, problem: Tampering) -> bool {
        self.report.problem = Some(problem);
        false
    }
}
