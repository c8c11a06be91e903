//! A fixture set written to a directory: one `<slug>.ndjson` per account and
//! `accounts.json`, the index that tells a loader how to set each account up.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{AccountFixture, write_ndjson};

/// The index's file name in a fixture set's directory.
pub const INDEX_FILE: &str = "accounts.json";

/// One account of `accounts.json`: how to create it, and how many events its
/// NDJSON file holds.
///
/// The fields are in alphabetical order, the order the file has always had, so
/// that the same fixtures give the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixtureIndexEntry {
    /// Events in `<slug>.ndjson`.
    pub events: usize,
    /// The customer's name.
    pub name: String,
    /// The account's organizations.
    pub organizations: Vec<String>,
    /// The account's slug, also the NDJSON file's stem.
    pub slug: String,
    /// The account's teams.
    pub teams: Vec<String>,
    /// Subscription terms, `START..END`.
    pub terms: Vec<String>,
    /// The IANA time zone.
    pub time_zone: String,
    /// The first day of the week, as chrono writes it (`Mon`).
    pub week_start: String,
}

impl From<&AccountFixture> for FixtureIndexEntry {
    fn from(account: &AccountFixture) -> FixtureIndexEntry {
        FixtureIndexEntry {
            events: account.events.len(),
            name: account.name.clone(),
            organizations: account.organizations.clone(),
            slug: account.slug.clone(),
            teams: account.teams.clone(),
            terms: account.terms.iter().map(ToString::to_string).collect(),
            time_zone: account.calendar.time_zone.name().to_owned(),
            week_start: account.calendar.week_start.to_string(),
        }
    }
}

/// One file a fixture set was written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    /// The file.
    pub path: PathBuf,
    /// Events written to it.
    pub events: usize,
}

/// Why a fixture set could not be written; files written before the failing
/// one stay.
#[derive(Debug, thiserror::Error)]
pub enum FixtureSetError {
    /// The directory or a file could not be created.
    #[error("creating {}", path.display())]
    Create {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("writing {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Writes `accounts` to `directory` (created when missing): each account's
/// events as `<slug>.ndjson`, in order, then [`INDEX_FILE`], the pretty-printed
/// JSON array of their [`FixtureIndexEntry`]s. Answers the NDJSON files written.
pub fn write_fixture_set(
    accounts: &[AccountFixture],
    directory: &Path,
) -> Result<Vec<WrittenFile>, FixtureSetError> {
    std::fs::create_dir_all(directory)
        .map_err(|source| FixtureSetError::Create { path: directory.to_owned(), source })?;
    let mut written = Vec::new();
    for account in accounts {
        let path = directory.join(format!("{}.ndjson", account.slug));
        let file = std::fs::File::create(&path)
            .map_err(|source| FixtureSetError::Create { path: path.clone(), source })?;
        let mut out = std::io::BufWriter::new(file);
        if let Err(source) = write_ndjson(&account.events, &mut out).and_then(|()| out.flush()) {
            return Err(FixtureSetError::Write { path, source });
        }
        written.push(WrittenFile { path, events: account.events.len() });
    }
    let index: Vec<FixtureIndexEntry> = accounts.iter().map(FixtureIndexEntry::from).collect();
    let path = directory.join(INDEX_FILE);
    let text = serde_json::to_string_pretty(&index).expect("an index always serialises") + "\n";
    std::fs::write(&path, text).map_err(|source| FixtureSetError::Write { path, source })?;
    Ok(written)
}
