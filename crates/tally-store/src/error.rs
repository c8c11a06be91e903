//! The store's errors: each names the file, account or operation it is about.

use std::path::PathBuf;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened or configured.
    #[error("cannot open the database {path}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer Tally.
    #[error(
        "the database {path} has schema version {found}, but this build of Tally knows versions up to {supported}: upgrade Tally, or open a copy made before the upgrade"
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// The file's schema version.
        found: i64,
        /// The newest version this build knows.
        supported: usize,
    },
    /// Upgrading the file's schema failed; the file is left at its old version.
    #[error("cannot upgrade the schema of {path}")]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The migration error.
        #[source]
        source: rusqlite_migration::Error,
    },
    /// An account with this slug exists already.
    #[error("an account with the slug {slug:?} exists already")]
    AccountExists {
        /// The slug asked for.
        slug: String,
    },
    /// No account has this slug.
    #[error("no account has the slug {slug:?}")]
    UnknownAccount {
        /// The slug asked for.
        slug: String,
    },
    /// A slug is not lower-case letters, digits and dashes.
    #[error(
        "{slug:?} is not a valid account slug: use 1 to 64 lower-case letters, digits and dashes"
    )]
    InvalidSlug {
        /// The slug given.
        slug: String,
    },
    /// A new subscription term shares days with one the account has.
    #[error(
        "term {term} of account {slug:?} overlaps its term {held}: terms may not share a day; \
         remove or change the held term first"
    )]
    OverlappingTerms {
        /// The account.
        slug: String,
        /// The term the account has.
        held: tally_calendar::SubscriptionTerm,
        /// The term refused.
        term: tally_calendar::SubscriptionTerm,
    },
    /// The account has no such term.
    #[error(
        "account {slug:?} has no term {term}; its terms: {}",
        if terms.is_empty() {
            "none".to_owned()
        } else {
            terms.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        }
    )]
    UnknownTerm {
        /// The account.
        slug: String,
        /// The term asked for.
        term: tally_calendar::SubscriptionTerm,
        /// The terms it has.
        terms: Vec<tally_calendar::SubscriptionTerm>,
    },
    /// A token would stop working before it is made.
    #[error(
        "the token would expire at {}, which is not after now ({}): a token must expire in the future",
        expires_at.to_rfc3339(),
        now.to_rfc3339()
    )]
    TokenAlreadyExpired {
        /// The expiry asked for.
        expires_at: chrono::DateTime<chrono::Utc>,
        /// When the token would have been made.
        now: chrono::DateTime<chrono::Utc>,
    },
    /// A member token needs the member's user id.
    #[error("a member token of account {account:?} needs the member's user id")]
    MemberWithoutUser {
        /// The account.
        account: String,
    },
    /// No token has this id.
    #[error("no token has the id {id:?}")]
    UnknownToken {
        /// The id asked for.
        id: String,
    },
    /// No staff team has this name.
    #[error("no staff team is called {team:?}: create it with `tally-api staff-team set`")]
    UnknownStaffTeam {
        /// The name asked for.
        team: String,
    },
    /// A seat rule that cannot be applied.
    #[error("cannot set the seat rule of account {slug:?}")]
    InvalidSeatRule {
        /// The account.
        slug: String,
        /// What is wrong with the rule.
        #[source]
        source: tally_seats::SeatRuleError,
    },
    /// A kept event mapping rule that no longer makes a rule, such as one whose
    /// kind was renamed or whose field was removed since it was set.
    #[error(
        "the event mapping rule of account {account:?} for the event {event:?} is no longer valid: \
         set it again with `tally-ingest account map-event` or remove it with \
         `tally-ingest account unmap-event`"
    )]
    InvalidEventMapping {
        /// The account's slug.
        account: String,
        /// The message name the rule matches.
        event: String,
        /// What is wrong with it.
        #[source]
        problem: EventMappingProblem,
    },
    /// A row in the file does not hold what the schema promises.
    #[error("the database holds a bad value in {table}.{column}: {value:?}")]
    CorruptValue {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// The value found.
        value: String,
    },
    /// A statement failed.
    #[error("database error while {doing}")]
    Sqlite {
        /// What the store was doing, such as "appending 1000 events to account acme".
        doing: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
}

/// Why a kept event mapping rule no longer makes a rule.
#[derive(Debug, thiserror::Error)]
pub enum EventMappingProblem {
    /// Its kind names no kind of this build.
    #[error("{kind:?} is not an event kind")]
    UnknownKind {
        /// The kind's stored wire name.
        kind: String,
    },
    /// A column meant to hold a JSON object holds something else.
    #[error("its {column} are not a JSON object of the expected values: {value:?}")]
    NotAnObject {
        /// `constants` or `properties`.
        column: &'static str,
        /// The text found.
        value: String,
    },
    /// The stored parts are refused as a rule.
    #[error(transparent)]
    Rule(#[from] tally_compat::RuleError),
}

impl StoreError {
    pub(crate) fn sqlite(doing: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |source| StoreError::Sqlite { doing: doing.into(), source }
    }

    /// Whether retrying later may succeed: the file was locked or busy, or the disk
    /// (or the file's size limit) was full. Nothing was written in that case.
    pub fn is_transient(&self) -> bool {
        use rusqlite::ffi::ErrorCode;
        match self {
            StoreError::Sqlite { source: rusqlite::Error::SqliteFailure(error, _), .. } => {
                matches!(
                    error.code,
                    ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::DiskFull
                )
            }
            _ => false,
        }
    }
}
