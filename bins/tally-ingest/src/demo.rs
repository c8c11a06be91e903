//! The demo: a database built from the deterministic fixtures, its accounts set
//! up, their events imported and their seats counted, so that there are figures
//! to look at at once.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tally_access::Principal;
use tally_events::Limits;
use tally_seats::{Month, MonthlySeats};
use tally_store::{
    Account, KindCount, NewAccount, Organization, Store, StoreError, StoreOptions, Team, WriteKey,
};

use crate::audit::AuditLog;
use crate::import::{ImportError, import};
use crate::outcome::BatchOutcome;
use crate::writer::Writer;

/// The fixture seed the demo uses.
pub const DEMO_SEED: u64 = 7;

/// How long the demo's accounts keep their audit entries: the fixtures span a
/// year, and an entry already past retention when it arrives is refused.
pub const DEMO_RETENTION: tally_audit::RetentionPolicy =
    tally_audit::RetentionPolicy { audit_days: 400, sign_in_days: 400 };

/// The database the demo built.
pub struct Demo {
    /// The fixed clock the fixtures end at.
    pub end: DateTime<Utc>,
    /// Each account, in the fixtures' order.
    pub accounts: Vec<DemoAccount>,
}

/// One account of the demo and what was stored for it.
pub struct DemoAccount {
    /// The account as created.
    pub account: Account,
    /// Its write key, shown once.
    pub write_key: WriteKey,
    /// What importing its fixtures did.
    pub imported: BatchOutcome,
    /// Events stored per kind.
    pub event_counts: Vec<KindCount>,
    /// The month of `end` in the account's zone.
    pub this_month: Month,
    /// The seats of `this_month`, when a term covers it.
    pub seats_this_month: Option<MonthlySeats>,
}

/// Why the demo could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Something is at the database's path already; the demo never replaces it.
    #[error(
        "{} exists, and the demo never overwrites a database: pass --db (or TALLY_DB) a path \
         where no file is, such as tally-demo-2.sqlite; to serve this one again, run \
         `tally-ingest --db {} serve`",
        path.display(),
        path.display()
    )]
    DatabaseExists {
        /// The database's path.
        path: PathBuf,
    },
    /// The new file could not be made.
    #[error("creating the demo database {}", path.display())]
    Create {
        /// The database's path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error("opening the database {}", path.display())]
    Open {
        /// The database's path.
        path: PathBuf,
        /// The store's error.
        #[source]
        source: Box<StoreError>,
    },
    /// The audit log could not be opened.
    #[error("opening the audit log in {}", path.display())]
    OpenAudit {
        /// The database's path.
        path: PathBuf,
        /// The audit log's error.
        #[source]
        source: Box<tally_audit::AuditError>,
    },
    /// An account's audit retention could not be set.
    #[error("setting the audit retention of {slug}")]
    Retention {
        /// The account.
        slug: String,
        /// The audit log's error.
        #[source]
        source: Box<tally_audit::AuditError>,
    },
    /// Setting up an account, or reading its figures, failed.
    #[error(transparent)]
    Store(Box<StoreError>),
    /// The fixtures could not be rendered as NDJSON.
    #[error("rendering fixtures")]
    Render(#[source] std::io::Error),
    /// An account's fixtures could not be imported.
    #[error("importing the fixtures of {slug}")]
    Import {
        /// The account.
        slug: String,
        /// The import's error.
        #[source]
        source: Box<ImportError>,
    },
}

impl From<StoreError> for DemoError {
    fn from(error: StoreError) -> DemoError {
        DemoError::Store(Box::new(error))
    }
}

/// Builds the demo database in a new file at `db` from the fixtures of seed
/// [`DEMO_SEED`] ending at `end`: creates the accounts with their
/// organizations and teams, keeps their audit entries [`DEMO_RETENTION`],
/// imports their events, then counts their seats and events. `progress` is
/// called with an account's slug, the bytes of its fixtures imported so far
/// and their total.
///
/// The file must not exist: the demo never replaces a database. When the
/// build fails, the file it made is removed.
pub fn build_demo(
    db: &Path,
    audit_key: &Path,
    end: DateTime<Utc>,
    progress: impl FnMut(&str, u64, u64),
) -> Result<Demo, DemoError> {
    // `create_new` makes the file only if nothing is there, in one step: no
    // other process can put a database there between a check and the write.
    std::fs::OpenOptions::new().write(true).create_new(true).open(db).map_err(
        |source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => DemoError::DatabaseExists { path: db.to_owned() },
            _ => DemoError::Create { path: db.to_owned(), source },
        },
    )?;
    let built = build_into(db, audit_key, end, progress);
    if built.is_err() {
        // The file is the one made above, and half a demo is of no use.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    built
}

fn build_into(
    db: &Path,
    audit_key: &Path,
    end: DateTime<Utc>,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<Demo, DemoError> {
    let fixtures = tally_fixtures::generate(&tally_fixtures::FixtureConfig {
        seed: DEMO_SEED,
        scale: tally_fixtures::Scale::Demo,
        end,
    });
    let mut store = open_store(db)?;
    let mut created = Vec::new();
    for fixture in &fixtures {
        let (account, key) = store.create_account(&NewAccount {
            slug: fixture.slug.clone(),
            name: fixture.name.clone(),
            calendar: fixture.calendar.clone(),
            terms: fixture.terms.clone(),
        })?;
        for organization in &fixture.organizations {
            store.set_organization(
                &account.slug,
                &Organization { organization: organization.clone(), name: organization.clone() },
            )?;
        }
        for team in &fixture.teams {
            store.set_team(
                &account.slug,
                &Team { team: team.clone(), name: team.clone(), organization: None },
            )?;
        }
        created.push((account, key));
    }
    let audit = AuditLog::open(db, audit_key)
        .map_err(|source| DemoError::OpenAudit { path: db.to_owned(), source: Box::new(source) })?;
    for (account, _) in &created {
        audit.set_retention(&account.slug, DEMO_RETENTION).map_err(|source| {
            DemoError::Retention { slug: account.slug.clone(), source: Box::new(source) }
        })?;
    }
    let (writer, handle) = Writer::start(store, 2);
    let mut imported = Vec::new();
    for ((account, _), fixture) in created.iter().zip(&fixtures) {
        let mut ndjson = Vec::new();
        tally_fixtures::write_ndjson(&fixture.events, &mut ndjson).map_err(DemoError::Render)?;
        let total = ndjson.len() as u64;
        let outcome =
            import(ndjson.as_slice(), account, &handle, &audit, &Limits::default(), |bytes| {
                progress(&account.slug, bytes, total)
            })
            .map_err(|source| DemoError::Import {
                slug: account.slug.clone(),
                source: Box::new(source),
            })?;
        imported.push(outcome);
    }
    drop(handle);
    writer.join();

    let mut store = open_store(db)?;
    let mut event_counts = Vec::new();
    for (account, _) in &created {
        event_counts.push(store.event_counts(account.id)?);
    }
    let mut accounts = Vec::new();
    for (((account, write_key), imported), event_counts) in
        created.into_iter().zip(imported).zip(event_counts)
    {
        store.update_seats(&account.slug)?;
        store.update_usage_months(&account.slug, tally_store::USAGE_EVENTS_PER_STEP)?;
        store.update_dashboard(&account.slug, tally_store::DASHBOARD_EVENTS_PER_STEP)?;
        store.update_monitor(&account.slug, tally_store::MONITOR_EVENTS_PER_STEP)?;
        let this_month = Month::of(tally_seats::local_date(&account.calendar, end));
        let usage = Principal::database_holder(&account.slug)
            .read_usage(&account.slug)
            .expect("an administrator may read their own account's usage");
        let seats_this_month = store
            .monthly_seats(&usage, None)?
            .into_iter()
            .find(|figure| figure.month == this_month);
        accounts.push(DemoAccount {
            account,
            write_key,
            imported,
            event_counts,
            this_month,
            seats_this_month,
        });
    }
    Ok(Demo { end, accounts })
}

fn open_store(db: &Path) -> Result<Store, DemoError> {
    Store::open(db, &StoreOptions::default())
        .map_err(|source| DemoError::Open { path: db.to_owned(), source: Box::new(source) })
}
