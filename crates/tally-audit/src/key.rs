//! The secret key kept in a file of its own beside the database.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::{RngCore, SeedableRng, rngs::StdRng};

use crate::AuditError;

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
}
