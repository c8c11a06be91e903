//! `tally-export`: figures from the store written as CSV, JSON or XLSX tables.
//!
//! The exporter reads the SQLite file directly, so whoever runs it already holds
//! every account's data: it reads an account as its administrator would.
//! `identities` is the exception: it matches a file of observations into people
//! and opens no database.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use tally_access::{AccountUsage, Principal};
use tally_figures::FigureTable;
use tally_figures::identity::{
    GENERIC_IDENTITIES, OBSERVATION_ASSIGNMENTS, UNIQUE_USERS, assignment_rows,
    generic_identity_rows, unique_users_rows,
};
use tally_figures::seats::{ACTIVATED_SEATS, COUNTED_LOGINS, MONTHLY_SEATS};
use tally_identity::{Matcher, MatcherConfig, Observation};
use tally_report::{Format, Table, WriteOptions};
use tally_store::{Store, StoreOptions};

#[derive(Parser)]
#[command(name = "tally-export", version, about = "Tally's figures as CSV, JSON or XLSX tables")]
struct Cli {
    #[command(flatten)]
    database: tally_service::DatabaseArgs,
    #[command(flatten)]
    log: tally_service::LogArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Active seats (docs/seats.md).
    #[command(subcommand)]
    Seats(SeatsCommand),
    /// Which users seen in integrated systems are one person, and why
    /// (docs/identity.md). Reads a file of observations; opens no database.
    Identities(IdentitiesCommand),
    /// The audit log's integrity (docs/audit.md).
    #[command(subcommand)]
    Audit(AuditCommand),
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

#[derive(Subcommand)]
enum AuditCommand {
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
        /// secret, sign_in or account_access.
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
enum SeatsCommand {
    /// Monthly active seats over the account's terms.
    Monthly {
        #[command(flatten)]
        output: Output,
        /// Only this organization's seats.
        #[arg(long)]
        organization: Option<String>,
    },
    /// The activated seats log.
    Log {
        #[command(flatten)]
        output: Output,
        /// The instant the log is as of (RFC 3339); default now.
        #[arg(long)]
        at: Option<DateTime<Utc>>,
    },
    /// One user's counted logins by week, and why they are or are not a seat.
    Explain {
        #[command(flatten)]
        output: Output,
        /// The user's id in the account's events.
        #[arg(long)]
        user: String,
        /// The instant to explain (RFC 3339); default now.
        #[arg(long)]
        at: Option<DateTime<Utc>>,
    },
}

#[derive(Args)]
struct Output {
    /// The account's slug.
    #[arg(long)]
    account: String,
    /// csv, json or xlsx.
    #[arg(long, default_value = "csv")]
    format: Format,
    /// Write here instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Read the seat state as it is, without first bringing it up to date with
    /// the events stored since the daemon last did.
    #[arg(long)]
    no_update: bool,
}

#[derive(Args)]
struct IdentitiesCommand {
    /// The observations: one JSON object a line, or one JSON array.
    #[arg(long, value_name = "FILE")]
    observations: PathBuf,
    /// The table to write.
    #[arg(long, value_enum, default_value_t = IdentityTable::Assignments)]
    table: IdentityTable,
    /// csv, json or xlsx.
    #[arg(long, default_value = "csv")]
    format: Format,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    matcher: MatcherArgs,
}

/// How the identity matcher treats generic and placeholder values.
#[derive(Args)]
struct MatcherArgs {
    /// A generic identity besides the defaults (repeatable): it never joins
    /// two identities by itself.
    #[arg(long = "generic-identity", value_name = "NAME")]
    generic_identities: Vec<String>,
    /// Use only the --generic-identity values, none of the defaults.
    #[arg(long)]
    no_default_generic_identities: bool,
    /// A value meaning "no value" besides the defaults (repeatable).
    #[arg(long = "placeholder", value_name = "VALUE")]
    placeholders: Vec<String>,
    /// Use only the --placeholder values, none of the defaults.
    #[arg(long)]
    no_default_placeholders: bool,
}

impl MatcherArgs {
    fn matcher(&self) -> anyhow::Result<Matcher> {
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
enum IdentityTable {
    /// One row per observation: its person, and the rule and key that joined it.
    Assignments,
    /// Unique users per system, by the rule that identified them, then all
    /// systems together.
    Systems,
    /// Generic identities held by two or more people, which joined none of them.
    GenericIdentities,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tally_service::init_logging(cli.log.log_format, "warn");
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tally-export: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let db = &cli.database.db;
    match cli.command {
        Command::Audit(command) => return audit(db, &cli.database.audit_key_file(), &command),
        Command::Seats(command) => export_seats(db, command)?,
        Command::Identities(command) => export_identities(&command)?,
        Command::UsageReports { account, out, at, matcher } => export_usage_reports(
            db,
            &account,
            &out,
            at.unwrap_or_else(Utc::now),
            &matcher.matcher()?,
        )?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit code of a verification that found the chain tampered with.
const TAMPERED: u8 = 3;

fn audit(db: &Path, key_file: &Path, command: &AuditCommand) -> anyhow::Result<ExitCode> {
    if !db.exists() {
        bail!("no database at {}: pass --db, or set TALLY_DB", db.display());
    }
    let key = tally_audit::load_key(key_file).context(
        "the audit log is sealed with its own key: pass the key file the daemon used with --audit-key-file",
    )?;
    let log = tally_audit::AuditStore::open(db, &tally_audit::AuditOptions::new(key))
        .with_context(|| format!("opening the audit log in {}", db.display()))?;
    match command {
        AuditCommand::Entries { output, from, to, resource, status, run_id, error } => {
            refuse_xlsx_on_a_terminal(output.format, output.output.as_deref())?;
            let store = open_store(db)?;
            let time_zone = store.account(&output.account)?.calendar.time_zone;
            let view = Principal::database_holder(&output.account)
                .read_audit(&output.account)
                .expect("an administrator reads their own account's audit log");
            let mut query = tally_audit::AuditQuery {
                from: *from,
                to: *to,
                resource: *resource,
                status: *status,
                run_id: run_id.clone(),
                error_contains: error.clone(),
                sort: tally_audit::AuditColumn::At,
                descending: false,
                limit: 1000,
                ..tally_audit::AuditQuery::default()
            };
            let table = &tally_figures::audit::AUDIT_ENTRIES;
            let sink: Box<dyn Write + Send> = match &output.output {
                Some(path) => Box::new(BufWriter::new(
                    File::create(path).with_context(|| format!("creating {}", path.display()))?,
                )),
                None => Box::new(BufWriter::new(std::io::stdout())),
            };
            let mut writer = tally_report::TableWriter::new(
                output.format,
                &table.header(),
                &WriteOptions::new(time_zone),
                sink,
            )?;
            loop {
                let page = tally_figures::audit::audit_entries(&store, &log, &view, &query)?;
                for entry in &page {
                    let row = tally_figures::audit::AuditRow::from(entry);
                    tally_report::TableSink::row(&mut writer, &table.cells(&row))?;
                }
                match page.last() {
                    Some(last) if page.len() == query.limit => {
                        query.after = Some(last.after(tally_audit::AuditColumn::At));
                    }
                    _ => break,
                }
            }
            let rows = writer.rows_written();
            writer.finish()?.flush().context("writing the entries")?;
            if let Some(path) = &output.output {
                eprintln!("wrote {rows} entries to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Anchor { account } => {
            println!("{}", log.head(account)?);
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { account, anchor } => {
            let report = log.verify(account, anchor.as_ref())?;
            match &report.problem {
                None => {
                    println!(
                        "intact: {} entries and {} tombstones checked, checkpoint at {}, head {}{}",
                        report.entries,
                        report.tombstones,
                        report.checkpoint_seq,
                        report.head,
                        match &report.anchor {
                            Some(tally_audit::AnchorCheck::Matched) => "; the anchor matches",
                            Some(tally_audit::AnchorCheck::Purged { .. }) =>
                                "; the anchored entry is purged into the checkpoint",
                            _ => "",
                        }
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(problem) => {
                    println!("tampered: {problem}");
                    Ok(ExitCode::from(TAMPERED))
                }
            }
        }
    }
}

fn export_usage_reports(
    db: &Path,
    account: &str,
    out: &Path,
    end: DateTime<Utc>,
    matcher: &Matcher,
) -> anyhow::Result<()> {
    let store = open_store(db)?;
    let reports = Principal::database_holder(account)
        .download_usage_reports(account)
        .expect("an administrator with server-management read may download usage reports");
    // Three steps: reading, matching and writing both workbooks, the zip.
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(3).with_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                .expect("a valid progress template"),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut steps = 0;
    let file = tally_figures::usage_reports::write_usage_reports(
        &store,
        &reports,
        end,
        matcher,
        |step| {
            if steps > 0 {
                bar.inc(1);
            }
            steps += 1;
            bar.set_message(step.to_owned());
        },
        BufWriter::new(file),
    )
    .with_context(|| format!("writing the usage reports of account {account}"))?;
    file.into_inner()
        .map_err(|error| error.into_error())
        .and_then(|file| file.sync_all())
        .with_context(|| format!("writing {}", out.display()))?;
    bar.finish_and_clear();
    eprintln!("wrote {}", out.display());
    Ok(())
}

fn export_seats(db: &Path, command: SeatsCommand) -> anyhow::Result<()> {
    let output = match &command {
        SeatsCommand::Monthly { output, .. }
        | SeatsCommand::Log { output, .. }
        | SeatsCommand::Explain { output, .. } => output,
    };
    refuse_xlsx_on_a_terminal(output.format, output.output.as_deref())?;
    let mut store = open_store(db)?;
    if !output.no_update {
        store.update_seats(&output.account).with_context(|| {
            format!("bringing the seats of account {} up to date", output.account)
        })?;
    }
    let usage = administrator_of(&output.account);
    let time_zone = store.account(&output.account)?.calendar.time_zone;
    let table = match &command {
        SeatsCommand::Monthly { organization, .. } => {
            let rows =
                tally_figures::seats::monthly_seats(&store, &usage, organization.as_deref())?;
            titled(&MONTHLY_SEATS, &rows, None)
        }
        SeatsCommand::Log { at, .. } => {
            let rows =
                tally_figures::seats::activated_seats(&store, &usage, at.unwrap_or_else(Utc::now))?;
            titled(&ACTIVATED_SEATS, &rows, None)
        }
        SeatsCommand::Explain { user, at, .. } => {
            let explanation = tally_figures::seats::seat_explanation(
                &store,
                &usage,
                user,
                at.unwrap_or_else(Utc::now),
            )?;
            let title =
                format!("{user} at {}: {}", explanation.at.to_rfc3339(), explanation.reason);
            eprintln!("{title}");
            titled(&COUNTED_LOGINS, &explanation.counted_logins(), Some(title))
        }
    };
    write(&table, output.format, output.output.as_deref(), &WriteOptions::new(time_zone))
}

fn export_identities(command: &IdentitiesCommand) -> anyhow::Result<()> {
    refuse_xlsx_on_a_terminal(command.format, command.output.as_deref())?;
    let matcher = command.matcher.matcher()?;
    let path = &command.observations;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let observations = parse_observations(&text)
        .with_context(|| format!("reading the observations in {}", path.display()))?;
    let matching = matcher.match_people(&observations);
    let all_systems = &matching.unique_users.all_systems;
    eprintln!(
        "observations: {}, people: {}, observations without an identifier: {}, \
         generic identities held by several people: {}",
        observations.len(),
        all_systems.unique_users,
        all_systems.unidentified_observations,
        matching.generic_identities.len(),
    );
    let table = match command.table {
        IdentityTable::Assignments => {
            OBSERVATION_ASSIGNMENTS.to_table(&assignment_rows(&observations, &matching))
        }
        IdentityTable::Systems => UNIQUE_USERS.to_table(&unique_users_rows(&matching)),
        IdentityTable::GenericIdentities => {
            GENERIC_IDENTITIES.to_table(&generic_identity_rows(&matching))
        }
    };
    write(&table, command.format, command.output.as_deref(), &WriteOptions::default())
}

/// Observations from NDJSON (blank lines skipped) or from one JSON array. The
/// first bad observation stops the reading: a match over part of the file
/// would give other people.
fn parse_observations(text: &str) -> anyhow::Result<Vec<Observation>> {
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(text).map_err(|error| {
            anyhow!("line {}, column {}: {}", error.line(), error.column(), reason(&error))
        });
    }
    let mut observations = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let observation = serde_json::from_str(line).map_err(|error| {
            anyhow!("line {}, column {}: {}", index + 1, error.column(), reason(&error))
        })?;
        observations.push(observation);
    }
    Ok(observations)
}

/// serde_json's message without its own position, which counts lines of
/// what it was given, not of the file.
fn reason(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rsplit_once(" at line ") {
        Some((reason, _)) => reason.to_owned(),
        None => message,
    }
}

fn refuse_xlsx_on_a_terminal(format: Format, output: Option<&Path>) -> anyhow::Result<()> {
    if format == Format::Xlsx && output.is_none() && std::io::stdout().is_terminal() {
        bail!("an XLSX file is binary: pass --output FILE, or redirect standard output");
    }
    Ok(())
}

fn open_store(db: &Path) -> anyhow::Result<Store> {
    if !db.exists() {
        bail!("no database at {}: pass --db, or set TALLY_DB", db.display());
    }
    Store::open(db, &StoreOptions::default())
        .with_context(|| format!("opening the database {}", db.display()))
}

fn administrator_of(account: &str) -> AccountUsage {
    Principal::database_holder(account)
        .read_usage(account)
        .expect("an administrator may read their own account's usage")
}

fn titled<R>(table: &FigureTable<R>, rows: &[R], title: Option<String>) -> Table {
    let mut table = table.to_table(rows);
    if let Some(title) = title {
        table.header.title = title;
    }
    table
}

fn write(
    table: &Table,
    format: Format,
    output: Option<&Path>,
    options: &WriteOptions,
) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("creating {}", path.display()))?;
            let mut out = BufWriter::new(file);
            tally_report::write_table(format, table, options, &mut out)?;
            out.flush().with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} rows to {}", table.rows.len(), path.display());
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout());
            tally_report::write_table(format, table, options, &mut out)?;
            out.flush().context("writing to standard output")?;
        }
    }
    Ok(())
}
