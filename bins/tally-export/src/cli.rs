//! The command line of `tally-export`: its commands and their arguments.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use tally_figures::InstantOrDay;
use tally_figures::dashboard::DashboardFormat;
use tally_identity::{Matcher, MatcherConfig};
use tally_report::Format;
use tally_seats::{Month, SeatStatus};

#[derive(Parser)]
#[command(name = "tally-export", version, about = "Tally's figures as CSV, JSON or XLSX tables")]
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
    /// Active seats (docs/seats.md).
    #[command(subcommand)]
    Seats(SeatsCommand),
    /// Which users seen in integrated systems are one person, and why
    /// (docs/identity.md). Reads a file of observations; opens no database.
    Identities(IdentitiesCommand),
    /// The audit log's integrity (docs/audit.md).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Events per kind and calendar month of the account's time zone, the
    /// filters as the API's `event-counts` (docs/api.md).
    EventCounts {
        #[command(flatten)]
        output: Output,
        /// Only this event kind (docs/events.md).
        #[arg(long)]
        kind: Option<String>,
        /// The first month, YYYY-MM.
        #[arg(long, value_name = "YYYY-MM")]
        from: Option<Month>,
        /// The last month, YYYY-MM, included.
        #[arg(long, value_name = "YYYY-MM")]
        to: Option<Month>,
    },
    /// Every widget of a usage dashboard tab, or one widget
    /// (docs/dashboard.md): JSON, an XLSX workbook with a sheet per widget,
    /// CSV sections, each after a `# widget` line, or a PDF of each widget's
    /// chart and table.
    Dashboard(DashboardCommand),
    /// `Usage Reports.zip`: the last 6 months' and the last year's usage
    /// report workbooks (docs/usage-reports.md).
    UsageReports {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// Where to write the zip.
        #[arg(long, default_value = "Usage Reports.zip")]
        out: PathBuf,
        /// The instant both periods end at (RFC 3339); default now.
        #[arg(long)]
        at: Option<DateTime<Utc>>,
        #[command(flatten)]
        matcher: MatcherArgs,
    },
}

#[derive(Args)]
pub struct DashboardCommand {
    /// The account's slug.
    #[arg(long)]
    pub account: String,
    /// csv, json, xlsx or pdf.
    #[arg(long, default_value = "csv", value_parser = |text: &str| DashboardFormat::parse(text).ok_or(format!("{text:?} is not a format: {}", DashboardFormat::NAMES.join(", "))))]
    pub format: DashboardFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Start the CSV with a UTF-8 byte-order mark, which Excel on Windows needs
    /// to read it as UTF-8 (docs/reports.md). CSV only.
    #[arg(long)]
    pub bom: bool,
    /// users-activity, entities, actions-automations, data-sources or ai-mcp.
    #[arg(long, value_parser = |text: &str| tally_figures::dashboard::Tab::parse(text).ok_or(format!("{text:?} is not a tab: users-activity, entities, actions-automations, data-sources or ai-mcp")))]
    pub tab: tally_figures::dashboard::Tab,
    /// Only this widget of the tab (its name in docs/dashboard.md), written as
    /// a plain table.
    #[arg(long)]
    pub widget: Option<String>,
    /// The instant "now" is for "this month", "the last 7 days" and the like
    /// (RFC 3339), or a date (the start of that day in the account's time
    /// zone); default now.
    #[arg(long, value_name = "INSTANT|DATE")]
    pub at: Option<InstantOrDay>,
    /// The first day, YYYY-MM-DD in the account's time zone, instead of each
    /// widget's own period's.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<chrono::NaiveDate>,
    /// The last day, YYYY-MM-DD, included, instead of the day holding --at.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<chrono::NaiveDate>,
    /// Only this organization's figures.
    #[arg(long)]
    pub organization: Option<String>,
    /// Only figures of users while they were in this team (its id).
    #[arg(long)]
    pub team: Option<String>,
    /// Read the dashboard as it is, without first bringing it up to date with
    /// the events stored since the daemon last did.
    #[arg(long)]
    pub no_update: bool,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Every entry matching the filters, oldest first, written as it is read
    /// (memory does not grow with the number of entries).
    Entries {
        #[command(flatten)]
        output: Output,
        /// Entries at or after this instant (RFC 3339).
        #[arg(long)]
        from: Option<DateTime<Utc>>,
        /// Entries before this instant (RFC 3339).
        #[arg(long)]
        to: Option<DateTime<Utc>>,
        /// entity, blueprint, action, automation, scorecard, run, integration,
        /// secret, sign_in, account_access or monitor_tracking.
        #[arg(long, value_parser = |text: &str| tally_events::ResourceKind::parse(text).ok_or(format!("{text:?} is not a resource kind")))]
        resource: Option<tally_events::ResourceKind>,
        /// success or failure.
        #[arg(long, value_parser = |text: &str| tally_events::AuditStatus::parse(text).ok_or(format!("{text:?} is not success or failure")))]
        status: Option<tally_events::AuditStatus>,
        /// Only this action run.
        #[arg(long)]
        run_id: Option<String>,
        /// Errors containing this text, ignoring case.
        #[arg(long)]
        error: Option<String>,
    },
    /// Print the account's chain head as an anchor to keep somewhere else.
    Anchor {
        /// The account's slug.
        #[arg(long)]
        account: String,
    },
    /// Check the account's whole chain offline; exits 3 and names the first
    /// altered, inserted or removed entry when it finds one.
    Verify {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// An anchor printed earlier by `audit anchor`: also prove nothing up to
        /// it was rewritten.
        #[arg(long)]
        anchor: Option<tally_audit::Anchor>,
    },
}

#[derive(Subcommand)]
pub enum SeatsCommand {
    /// Monthly active seats over the account's terms.
    Monthly {
        #[command(flatten)]
        output: SeatOutput,
        /// Only this organization's seats.
        #[arg(long)]
        organization: Option<String>,
        /// The first month shown, YYYY-MM; default the terms' first.
        #[arg(long, value_name = "YYYY-MM")]
        from: Option<Month>,
        /// The last month shown, YYYY-MM, included; default the terms' last.
        #[arg(long, value_name = "YYYY-MM")]
        to: Option<Month>,
        /// No month after the one holding this instant (RFC 3339) or date (the
        /// start of that day in the account's time zone); default now.
        #[arg(long, value_name = "INSTANT|DATE")]
        at: Option<InstantOrDay>,
    },
    /// The activated seats log.
    Log {
        #[command(flatten)]
        output: SeatOutput,
        /// The instant the log is as of (RFC 3339), or a date (the start of
        /// that day in the account's time zone); default now.
        #[arg(long, value_name = "INSTANT|DATE")]
        at: Option<InstantOrDay>,
        /// Only users with this status at that instant: active, not_yet_active,
        /// disabled, removed or outside_term.
        #[arg(long, value_parser = |text: &str| SeatStatus::parse(text).ok_or(format!("{text:?} is not one of {}", SeatStatus::ALL.map(SeatStatus::as_str).join(", "))))]
        status: Option<SeatStatus>,
        /// Only users seen in this organization.
        #[arg(long)]
        organization: Option<String>,
    },
    /// One user's counted logins by week, and why they are or are not a seat.
    Explain {
        #[command(flatten)]
        output: SeatOutput,
        /// The user's id in the account's events.
        #[arg(long)]
        user: String,
        /// The instant to explain (RFC 3339), or a date (the start of that day
        /// in the account's time zone); default now.
        #[arg(long, value_name = "INSTANT|DATE")]
        at: Option<InstantOrDay>,
    },
}

/// Where and how a table of one account is written.
#[derive(Args)]
pub struct Output {
    /// The account's slug.
    #[arg(long)]
    pub account: String,
    /// csv, json or xlsx.
    #[arg(long, default_value = "csv")]
    pub format: Format,
    /// Write here instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Start the CSV with a UTF-8 byte-order mark, which Excel on Windows needs
    /// to read it as UTF-8 (docs/reports.md). CSV only.
    #[arg(long)]
    pub bom: bool,
}

/// A seat table's output, and whether the seat state is brought up to date first.
#[derive(Args)]
pub struct SeatOutput {
    #[command(flatten)]
    pub table: Output,
    /// Read the seat state as it is, without first bringing it up to date with
    /// the events stored since the daemon last did.
    #[arg(long)]
    pub no_update: bool,
}

#[derive(Args)]
pub struct IdentitiesCommand {
    /// The observations: one JSON object a line, or one JSON array.
    #[arg(long, value_name = "FILE")]
    pub observations: PathBuf,
    /// The table to write.
    #[arg(long, value_enum, default_value_t = IdentityTable::Assignments)]
    pub table: IdentityTable,
    /// csv, json or xlsx.
    #[arg(long, default_value = "csv")]
    pub format: Format,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Start the CSV with a UTF-8 byte-order mark, which Excel on Windows needs
    /// to read it as UTF-8 (docs/reports.md). CSV only.
    #[arg(long)]
    pub bom: bool,
    #[command(flatten)]
    pub matcher: MatcherArgs,
}

/// How the identity matcher treats generic and placeholder values.
#[derive(Args)]
pub struct MatcherArgs {
    /// A generic identity besides the defaults (repeatable): it never joins
    /// two identities by itself.
    #[arg(long = "generic-identity", value_name = "NAME")]
    pub generic_identities: Vec<String>,
    /// Use only the --generic-identity values, none of the defaults.
    #[arg(long)]
    pub no_default_generic_identities: bool,
    /// A value meaning "no value" besides the defaults (repeatable).
    #[arg(long = "placeholder", value_name = "VALUE")]
    pub placeholders: Vec<String>,
    /// Use only the --placeholder values, none of the defaults.
    #[arg(long)]
    pub no_default_placeholders: bool,
}

impl MatcherArgs {
    pub fn matcher(&self) -> anyhow::Result<Matcher> {
        let mut config = MatcherConfig::default();
        if self.no_default_generic_identities {
            config.generic_identities.clear();
        }
        config.generic_identities.extend(self.generic_identities.iter().cloned());
        if self.no_default_placeholders {
            config.placeholders.clear();
        }
        config.placeholders.extend(self.placeholders.iter().cloned());
        Matcher::new(&config).context("setting up the identity matcher")
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum IdentityTable {
    /// One row per observation: its person, and the rule and key that joined it.
    Assignments,
    /// Unique users per system, by the rule that identified them, then all
    /// systems together.
    Systems,
    /// Generic identities held by two or more people, which joined none of them.
    GenericIdentities,
}
