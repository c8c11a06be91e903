//! Where the database and the audit log's key are.

use std::path::PathBuf;

use clap::Args;

/// The database arguments every binary takes.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The SQLite file Tally keeps everything in (the ingest daemon creates it
    /// when missing).
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
}
