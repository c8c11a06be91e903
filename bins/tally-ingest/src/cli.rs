//! The command line of `tally-ingest`: its commands and their arguments (the
//! binary's own module, not part of the library).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tally_calendar::SubscriptionTerm;

#[derive(Parser)]
#[command(
    name = "tally-ingest",
    version,
    about = "Tally's ingest daemon, importer and account set-up"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: tally_service::DatabaseArgs,
    #[command(flatten)]
    pub log: tally_service::LogArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve `POST /v1/batch` until SIGTERM or Ctrl-C.
    Serve {
        /// Make the database when it does not exist (by default a missing file
        /// is refused, so that a mistyped --db is not served as an empty one).
        #[arg(long)]
        create: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Import a file of events (NDJSON or a JSON array) for one account; `-` reads stdin.
    Import {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The file to import, or `-` for standard input.
        file: PathBuf,
    },
    /// Create and configure accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// The audit log's retention (docs/audit.md).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write the deterministic fixture set as NDJSON files, one per account.
    Fixtures(FixturesArgs),
    /// Build a demo database in a new file from the fixtures, then serve it: the
    /// ingest daemon, and the dashboard with tokens to sign in with. An existing
    /// file is never touched.
    Demo {
        /// Only build the database; do not serve.
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        serve: ServeArgs,
        /// Address the dashboard (tally-api's pages and API) listens on, HOST:PORT.
        #[arg(long, env = "TALLY_API_LISTEN", default_value = "127.0.0.1:8081")]
        dashboard_listen: tally_service::ListenAddress,
        #[command(flatten)]
        monitor: tally_api::live::MonitorArgs,
    },
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (a host name is resolved); port 0 picks a
    /// free port (the chosen address is printed).
    #[arg(long, env = "TALLY_INGEST_LISTEN", default_value = "127.0.0.1:7411")]
    pub listen: tally_service::ListenAddress,
    /// Largest request body accepted, in bytes, as sent and once inflated from gzip.
    #[arg(long, env = "TALLY_MAX_BODY_BYTES", default_value_t = tally_ingest::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Bytes all request bodies in flight may hold at once (at least
    /// --max-body-bytes); a body that does not fit is answered 503 before it is read.
    #[arg(long, env = "TALLY_BODY_BUDGET_BYTES", default_value_t = tally_ingest::body::DEFAULT_BODY_BUDGET_BYTES)]
    pub body_budget_bytes: usize,
    #[command(flatten)]
    pub connections: tally_service::ConnectionArgs,
    /// What an acknowledged batch survives: a killed process, or also a power loss (slower).
    #[arg(long, env = "TALLY_DURABILITY", value_enum, default_value_t = DurabilityArg::Process)]
    pub durability: DurabilityArg,
    /// Seconds between updates of every account's seat figures, event counts and dashboard
    /// aggregates.
    #[arg(long, alias = "seats-every", env = "TALLY_FIGURES_EVERY", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub figures_every: u64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DurabilityArg {
    Process,
    PowerLoss,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Remove the audit entries past their retention now, in small batches (the
    /// daemon also does it at every figures update).
    Purge {
        /// Only this account's entries; every account's by default.
        #[arg(long)]
        account: Option<String>,
        /// Entries removed per transaction.
        #[arg(long, default_value_t = std::num::NonZeroUsize::new(500).expect("500 is not zero"))]
        batch: std::num::NonZeroUsize,
    },
    /// Set how long an account's audit entries are kept.
    SetRetention {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// Days audit entries are kept.
        #[arg(long, default_value_t = 90)]
        audit_days: u32,
        /// Days sign-in and account-access entries are kept.
        #[arg(long, default_value_t = 30)]
        sign_in_days: u32,
    },
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Create an account and print its write key (shown only this once).
    Create {
        /// Short name for command lines and URLs: lower-case letters, digits, dashes.
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// IANA time zone, such as Europe/Berlin.
        #[arg(long, default_value = "UTC", value_parser = tally_calendar::parse_time_zone)]
        time_zone: chrono_tz::Tz,
        /// First day of the account's week.
        #[arg(long, default_value = "monday", value_parser = tally_calendar::parse_weekday)]
        week_start: chrono::Weekday,
        /// Subscription term START..END (END exclusive); repeat for renewals.
        #[arg(long = "term")]
        terms: Vec<SubscriptionTerm>,
    },
    /// List accounts with their calendars and terms.
    List,
    /// Add a subscription term (a renewal).
    AddTerm {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The term, START..END.
        term: SubscriptionTerm,
    },
    /// Remove a subscription term, given as `account list` shows it.
    RemoveTerm {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The term, START..END.
        term: SubscriptionTerm,
        /// Confirm: seat figures are recounted without the term.
        #[arg(long)]
        yes: bool,
    },
    /// Delete an account with its events, seat figures, configuration and API
    /// tokens; refused while the audit log holds a chain for it.
    Delete {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// Confirm: what is deleted cannot be brought back.
        #[arg(long)]
        yes: bool,
    },
    /// Replace the write key; the old one stops working at once.
    RotateKey {
        /// The account's slug.
        #[arg(long)]
        account: String,
    },
    /// Name an organization of the account (events may use it before it is named).
    SetOrganization {
        #[command(flatten)]
        naming: NamingArgs,
    },
    /// Name a team of the account.
    SetTeam {
        #[command(flatten)]
        naming: NamingArgs,
        /// The organization it belongs to.
        #[arg(long)]
        organization: Option<String>,
    },
    /// Map the messages an analytics SDK sends under one name to an event kind
    /// of the account's, replacing its rule for that name (see
    /// docs/ingest-compat.md). Events already stored are not changed.
    MapEvent(MapEventArgs),
    /// Remove the account's rule for a message name: such messages get the
    /// default mapping again.
    UnmapEvent {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The message name, exactly as the rule has it.
        #[arg(long)]
        event: String,
    },
    /// List the account's event mapping rules, by message name.
    EventMappings {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// Print the rules as a JSON array, as the API answers them.
        #[arg(long)]
        json: bool,
    },
    /// Set what makes a user an active seat of the account (see docs/seats.md).
    SetSeatRule {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// Distinct calendar weeks needed.
        #[arg(long, default_value_t = 3)]
        weeks_needed: u32,
        /// Logins needed in all.
        #[arg(long, default_value_t = 3)]
        logins_needed: u32,
        /// Logins a week needs to count as one of the weeks.
        #[arg(long, default_value_t = 1)]
        logins_per_week: u32,
    },
}

/// What mapping a message name of an account to an event kind takes.
#[derive(Args)]
pub struct MapEventArgs {
    /// The account's slug.
    #[arg(long)]
    pub account: String,
    /// The message name, exactly as sent: a Segment `track` event, a PostHog
    /// event or a CloudEvents `type`.
    #[arg(long)]
    pub event: String,
    /// The event kind such messages become, by its wire name (such as `action_run`).
    #[arg(long, value_parser = parse_kind)]
    pub kind: tally_events::EventKind,
    /// FIELD=TEXT: the field is always this text. Repeat for more fields.
    #[arg(long = "set", value_name = "FIELD=TEXT", value_parser = parse_text_constant)]
    pub set: Vec<(String, serde_json::Value)>,
    /// FIELD=JSON: the field is always this JSON value (a number, true, an array...).
    #[arg(long = "set-json", value_name = "FIELD=JSON", value_parser = parse_json_constant)]
    pub set_json: Vec<(String, serde_json::Value)>,
    /// FIELD=PROPERTY: the field is taken from the message's property of this name.
    #[arg(long = "from", value_name = "FIELD=PROPERTY", value_parser = parse_assignment)]
    pub from: Vec<(String, String)>,
}

fn parse_kind(text: &str) -> Result<tally_events::EventKind, String> {
    tally_events::EventKind::parse(text).ok_or_else(|| {
        let kinds = tally_events::EventKind::WIRE_NAMES.join(", ");
        format!("no event kind is called {text:?}; the kinds are: {kinds}")
    })
}

/// `FIELD=VALUE`, split at the first `=`.
fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((field, value)) if !field.is_empty() => Ok((field.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not FIELD=VALUE")),
    }
}

fn parse_text_constant(text: &str) -> Result<(String, serde_json::Value), String> {
    let (field, value) = parse_assignment(text)?;
    Ok((field, serde_json::Value::String(value)))
}

fn parse_json_constant(text: &str) -> Result<(String, serde_json::Value), String> {
    let (field, json) = parse_assignment(text)?;
    let value = serde_json::from_str(&json).map_err(|error| {
        format!("the value of {field} is not JSON ({error}): {json:?}; give text with --set")
    })?;
    Ok((field, value))
}

/// What naming an organization or a team of an account takes.
#[derive(Args)]
pub struct NamingArgs {
    /// The account's slug.
    #[arg(long)]
    pub account: String,
    /// The id events use.
    #[arg(long)]
    pub id: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
}

#[derive(Args)]
pub struct FixturesArgs {
    /// Generator seed: the same seed and end give byte-identical files.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Size of the set.
    #[arg(long, value_enum, default_value_t = ScaleArg::Small)]
    pub scale: ScaleArg,
    /// The fixed clock: the last instant generated (RFC 3339).
    #[arg(long, default_value = "2026-11-23T00:00:00Z")]
    pub end: chrono::DateTime<chrono::Utc>,
    /// Directory to write `<account>.ndjson` and `accounts.json` into.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ScaleArg {
    Small,
    Demo,
    Large,
}
