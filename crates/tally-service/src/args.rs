//! Where the database and the audit log's key are, and where a daemon listens.

use std::path::{Path, PathBuf};

use clap::Args;

/// The database arguments every binary takes.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The SQLite file Tally keeps everything in. Only `tally-ingest account
    /// create`, `tally-ingest demo` and `tally-ingest serve --create` make it
    /// when missing; every other command fails naming the path.
    #[arg(long, global = true, env = "TALLY_DB", default_value = "tally.sqlite")]
    pub db: PathBuf,
    /// The audit log's secret key (made when missing while the audit log holds
    /// nothing; once it holds entries, a missing or wrong key is refused); by
    /// default the database's path with `.audit-key` added. Keep it away from
    /// the database's backups.
    #[arg(long, global = true, env = "TALLY_AUDIT_KEY_FILE")]
    pub audit_key_file: Option<PathBuf>,
}

impl DatabaseArgs {
    /// The audit key file: the one given, or the one beside the database.
    pub fn audit_key_file(&self) -> PathBuf {
        self.audit_key_file.clone().unwrap_or_else(|| tally_audit::key_file_for(&self.db))
    }

    /// The database, which must exist already: a command that only reads or
    /// changes it must not turn a mistyped path into a new, empty database.
    pub fn existing_database(&self) -> Result<&Path, MissingDatabase> {
        // `exists` is false for a path that cannot be looked at, too: opening
        // it would fail anyway, and the path is what the operator must check.
        if self.db.exists() { Ok(&self.db) } else { Err(MissingDatabase { path: self.db.clone() }) }
    }
}

/// A command that needs an existing database was pointed at a path with none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no database at {}: check --db (or TALLY_DB); only `tally-ingest account create`, \
     `tally-ingest demo` and `tally-ingest serve --create` make a new one",
    path.display()
)]
pub struct MissingDatabase {
    /// The path given.
    pub path: PathBuf,
}
