//! Helpers shared by the audit store's tests.

use std::path::Path;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use tally_audit::{AuditOptions, AuditQuery, AuditStore, NewAuditEntry};
use tally_events::{AuditEntry, AuditStatus, Operation, OriginType, ResourceKind, SourceType};

/// The key every test store is opened with.
pub const KEY: [u8; 32] = [7; 32];

pub fn open(path: &Path) -> AuditStore {
    AuditStore::open(path, &AuditOptions::new(KEY)).expect("open the audit store")
}

/// A store in a fresh temporary directory (kept alive by the returned guard).
pub fn fresh() -> (tempfile::TempDir, std::path::PathBuf, AuditStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.sqlite");
    let store = open(&path);
    (dir, path, store)
}

pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// A successful update of entity `checkout` (blueprint `service`) through the UI
/// by dana@example.com, without snapshots; tests change what they need.
pub fn entry(event_id: &str, instant: &str) -> NewAuditEntry {
    NewAuditEntry { at: at(instant), event_id: event_id.to_owned(), change: entry_change() }
}

/// `base` with its change edited by `edit`.
pub fn edited(mut base: NewAuditEntry, edit: impl FnOnce(&mut AuditEntry)) -> NewAuditEntry {
    edit(&mut base.change);
    base
}

/// The change of every [`entry`]: tests override what they need with `..entry_change()`.
pub fn entry_change() -> AuditEntry {
    AuditEntry {
        resource: ResourceKind::Entity,
        resource_id: Some("checkout".into()),
        operation: Operation::Update,
        source_type: SourceType::User,
        source: "dana@example.com".into(),
        origin: OriginType::Ui,
        status: AuditStatus::Success,
        error: None,
        user: Some("u-1".into()),
        blueprint: Some("service".into()),
        entity: Some("checkout".into()),
        run_id: None,
        integration: None,
        before: None,
        after: None,
    }
}

/// The event ids of a page, in order.
pub fn ids(entries: &[tally_audit::AuditEntry]) -> Vec<String> {
    entries.iter().map(|entry| entry.event_id.clone()).collect()
}

/// Every page of a listing with `limit` entries a page, resuming after each
/// page's last entry; the event ids in order, and the size of each page.
pub fn all_pages(
    store: &AuditStore,
    account: &str,
    query: &AuditQuery,
) -> (Vec<String>, Vec<usize>) {
    let mut query = query.clone();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let page = store.query(account, &query).unwrap();
        sizes.push(page.len());
        let Some(last) = page.last() else { return (seen, sizes) };
        query.after = Some(last.after(query.sort));
        seen.extend(ids(&page));
    }
}

/// A connection of its own on the file: what someone with the file, and not
/// the store, can do.
pub fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

pub fn execute(path: &Path, sql: &str) {
    raw(path).execute_batch(sql).unwrap();
}

pub fn count(path: &Path, sql: &str) -> i64 {
    raw(path).query_row(sql, [], |row| row.get(0)).unwrap()
}

/// SHA-256, as the chain uses it.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// HMAC-SHA256 with `key` over the tag and fields, each preceded by its length
/// as 8 big-endian bytes, as `docs/audit.md` specifies.
pub fn keyed(key: &[u8; 32], tag: &str, fields: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for field in std::iter::once(tag.as_bytes()).chain(fields.iter().copied()) {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field);
    }
    mac.finalize().into_bytes().into()
}

/// The seal of a record of `account` at `seq` with chain hash `hash`, per the docs.
pub fn seal(tag: &str, account: &str, seq: u64, hash: &[u8; 32]) -> [u8; 32] {
    keyed(&KEY, tag, &[account.as_bytes(), &seq.to_be_bytes(), hash])
}

/// The redacted form of a leaf, per the docs.
pub fn redacted(account: &str, pointer: &str, canonical_value: &str) -> String {
    let mac = keyed(
        &KEY,
        "tally-audit/v1/redact",
        &[account.as_bytes(), pointer.as_bytes(), canonical_value.as_bytes()],
    );
    format!("hmac-sha256:{}", hex::encode(mac))
}
