//! The secret key kept in a file of its own beside the database, and whether a
//! key is the one that sealed a log.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::{RngCore, SeedableRng, rngs::StdRng};
use rusqlite::{Connection, OpenFlags};

use crate::AuditError;
use crate::seal::{Keys, Record};

/// Where the key of the audit log in `database` is kept by default: beside it,
/// with `.audit-key` added to its name.
pub fn key_file_for(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".audit-key");
    PathBuf::from(name)
}

/// Reads the key in `path` (64 hex digits). A reader that needs the log's own
/// key (to verify it) uses this: a new key would make every seal fail.
pub fn load_key(path: &Path) -> Result<[u8; 32], AuditError> {
    let key_error = |reason: String| AuditError::KeyFile { path: path.to_owned(), reason };
    let text = std::fs::read_to_string(path).map_err(|error| key_error(error.to_string()))?;
    let bytes =
        hex::decode(text.trim()).map_err(|_| key_error("it does not hold 64 hex digits".into()))?;
    bytes.try_into().map_err(|_| key_error("it does not hold 64 hex digits".into()))
}

/// Reads the key in `path` (64 hex digits), or makes a random one there, readable
/// by its owner only, when there is no such file.
pub fn load_or_create_key(path: &Path) -> Result<[u8; 32], AuditError> {
    let key_error = |reason: String| AuditError::KeyFile { path: path.to_owned(), reason };
    match std::fs::metadata(path) {
        Ok(_) => load_key(path),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            StdRng::from_os_rng().fill_bytes(&mut key);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(|error| key_error(error.to_string()))?;
            file.write_all(format!("{}\n", hex::encode(key)).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|error| key_error(error.to_string()))?;
            Ok(key)
        }
        Err(error) => Err(key_error(error.to_string())),
    }
}

/// What the audit log in a database file says about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    /// The log holds no sealed record (no account has a chain, or there is no
    /// file or no audit table yet): any key will do, and a new one may be made.
    Empty,
    /// A seal of the log (the head or the checkpoint of an account's chain)
    /// verifies with the key.
    Sealed,
    /// The log holds the chains of `accounts` accounts, and neither the head's
    /// nor the checkpoint's seal of any of them verifies with the key.
    NotSealed {
        /// Accounts with a chain.
        accounts: usize,
    },
}

/// Whether `key` sealed the audit log in `database`, read from the chain
/// records only (one or two HMACs per account until one verifies), without
/// creating, upgrading or changing anything. Every schema version has these
/// columns, so a file is checked before it is upgraded with the key.
///
/// A key that sealed the log but whose every account had its head and
/// checkpoint seals rewritten is indistinguishable from a wrong key here; one
/// tampered account among others that verify is not (`verify` names it).
pub fn check_key(database: &Path, key: &[u8; 32]) -> Result<KeyCheck, AuditError> {
    let chains = chain_ends(database)?;
    if chains.is_empty() {
        return Ok(KeyCheck::Empty);
    }
    let keys = Keys::new(*key);
    let sealed = chains.iter().any(|chain| {
        let end_sealed = |record, (seq, hash, seal): &(i64, Vec<u8>, Vec<u8>)| {
            *seq >= 0 && keys.is_sealed(record, &chain.account, *seq as u64, hash, seal)
        };
        end_sealed(Record::Head, &chain.head) || end_sealed(Record::Checkpoint, &chain.checkpoint)
    });
    Ok(if sealed { KeyCheck::Sealed } else { KeyCheck::NotSealed { accounts: chains.len() } })
}

/// The key of the audit log in `database`, read from `key_file` (64 hex
/// digits); never made. Fails with [`AuditError::MissingKey`] when the file is
/// missing and the log holds sealed records, and with [`AuditError::WrongKey`]
/// when the key does not verify the log's seals.
pub fn load_key_for(database: &Path, key_file: &Path) -> Result<[u8; 32], AuditError> {
    key_for(database, key_file, false)
}

/// Like [`load_key_for`], but makes a random key in `key_file` when the file is
/// missing and the log in `database` holds nothing sealed yet: only an empty
/// log may get a new key. What appends to a log opens its key with this.
pub fn load_or_create_key_for(database: &Path, key_file: &Path) -> Result<[u8; 32], AuditError> {
    key_for(database, key_file, true)
}

fn key_for(database: &Path, key_file: &Path, create: bool) -> Result<[u8; 32], AuditError> {
    let missing = matches!(
        std::fs::metadata(key_file),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound
    );
    if missing {
        let accounts = chain_ends(database)?.len();
        return match (accounts, create) {
            (0, true) => load_or_create_key(key_file),
            (0, false) => load_key(key_file),
            (accounts, _) => Err(AuditError::MissingKey {
                database: database.to_owned(),
                key_file: key_file.to_owned(),
                accounts,
            }),
        };
    }
    let key = load_key(key_file)?;
    match check_key(database, &key)? {
        KeyCheck::Empty | KeyCheck::Sealed => Ok(key),
        KeyCheck::NotSealed { accounts } => Err(AuditError::WrongKey {
            database: database.to_owned(),
            key_file: key_file.to_owned(),
            accounts,
        }),
    }
}

/// An account's chain ends as stored: (seq, hash, seal) of the head and of the
/// checkpoint, raw (a tampered file may hold anything there).
struct ChainEnds {
    account: String,
    head: (i64, Vec<u8>, Vec<u8>),
    checkpoint: (i64, Vec<u8>, Vec<u8>),
}

/// Every account's chain ends in `database`: none when there is no file or no
/// audit table yet. Opens its own connection and creates nothing.
fn chain_ends(database: &Path) -> Result<Vec<ChainEnds>, AuditError> {
    if !database.exists() {
        return Ok(Vec::new());
    }
    let open_error = |source| AuditError::Open { path: database.to_owned(), source };
    // Read-write without create: the file exists (checked above), and a
    // read-only connection cannot always read a WAL file.
    let connection = Connection::open_with_flags(
        database,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_error)?;
    connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(open_error)?;
    let sqlite = AuditError::sqlite(format!("reading the audit chains of {}", database.display()));
    let read = || -> rusqlite::Result<Vec<ChainEnds>> {
        let tables: i64 = connection.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_accounts'",
            [],
            |row| row.get(0),
        )?;
        if tables == 0 {
            return Ok(Vec::new());
        }
        // These columns are in every schema version, so a file is checked before
        // it is upgraded with the key.
        let mut statement = connection.prepare(
            "SELECT account, head_seq, head_hash, head_seal,
                    checkpoint_seq, checkpoint_hash, checkpoint_signature
             FROM audit_accounts",
        )?;
        statement
            .query_map([], |row| {
                Ok(ChainEnds {
                    account: row.get(0)?,
                    head: (row.get(1)?, row.get(2)?, row.get(3)?),
                    checkpoint: (row.get(4)?, row.get(5)?, row.get(6)?),
                })
            })?
            .collect()
    };
    read().map_err(sqlite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_file_for(&dir.path().join("tally.sqlite"));
        assert_eq!(path, dir.path().join("tally.sqlite.audit-key"));
        let made = load_or_create_key(&path).unwrap();
        assert_eq!(load_or_create_key(&path).unwrap(), made);
        assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), hex::encode(made));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(load_or_create_key(&path), Err(AuditError::KeyFile { .. })));
        let missing = dir.path().join("missing.audit-key");
        assert!(matches!(load_key(&missing), Err(AuditError::KeyFile { .. })));
        assert!(!missing.exists(), "reading a key never makes one");
    }

    #[test]
    fn only_an_empty_log_gets_a_new_key_and_a_wrong_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("tally.sqlite");
        let key_file = key_file_for(&database);
        // No file yet, then audit tables without a chain: empty.
        assert_eq!(check_key(&database, &[1; 32]).unwrap(), KeyCheck::Empty);
        let key = load_or_create_key_for(&database, &key_file).unwrap();
        let mut store = crate::AuditStore::open(&database, &crate::AuditOptions::new(key)).unwrap();
        assert_eq!(check_key(&database, &key).unwrap(), KeyCheck::Empty);
        // Setting a retention makes acme's chain record, sealed.
        store.set_retention("acme", crate::RetentionPolicy::default()).unwrap();
        store.set_retention("globex", crate::RetentionPolicy::default()).unwrap();
        drop(store);
        assert_eq!(check_key(&database, &key).unwrap(), KeyCheck::Sealed);
        assert_eq!(check_key(&database, &[1; 32]).unwrap(), KeyCheck::NotSealed { accounts: 2 });
        assert_eq!(load_key_for(&database, &key_file).unwrap(), key);

        // The key file gone: refused, and none made.
        std::fs::remove_file(&key_file).unwrap();
        for create in [true, false] {
            let error = key_for(&database, &key_file, create).unwrap_err();
            assert!(
                matches!(&error, AuditError::MissingKey { accounts: 2, key_file: named, .. } if *named == key_file),
                "{error:?}"
            );
            assert!(!key_file.exists());
        }
        // Another key: refused, naming its file.
        std::fs::write(&key_file, format!("{}\n", hex::encode([1u8; 32]))).unwrap();
        let error = load_or_create_key_for(&database, &key_file).unwrap_err();
        assert!(matches!(error, AuditError::WrongKey { accounts: 2, .. }), "{error:?}");
        assert!(
            error
                .to_string()
                .starts_with(&format!("the key in {} is not the key", key_file.display()))
        );
    }
}
