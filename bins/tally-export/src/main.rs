//! `tally-export`: figures from the store written as CSV, JSON or XLSX tables.
//!
//! The exporter reads the SQLite file directly, so whoever runs it already holds
//! every account's data: it reads an account as its administrator would.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use tally_access::{AccountUsage, Principal};
use tally_figures::FigureTable;
use tally_figures::seats::{ACTIVATED_SEATS, COUNTED_LOGINS, MONTHLY_SEATS};
use tally_report::{Format, Table, WriteOptions};
use tally_store::{Store, StoreOptions};

#[derive(Parser)]
#[command(name = "tally-export", version, about = "Tally's figures as CSV, JSON or XLSX tables")]
struct Cli {
    /// The SQLite file Tally keeps everything in.
    #[arg(long, global = true, env = "TALLY_DB", default_value = "tally.sqlite")]
    db: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Active seats (docs/seats.md).
    #[command(subcommand)]
    Seats(SeatsCommand),
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

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tally-export: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let Command::Seats(command) = cli.command;
    let output = match &command {
        SeatsCommand::Monthly { output, .. }
        | SeatsCommand::Log { output, .. }
        | SeatsCommand::Explain { output, .. } => output,
    };
    if output.format == Format::Xlsx && output.output.is_none() && std::io::stdout().is_terminal() {
        bail!("an XLSX file is binary: pass --output FILE, or redirect standard output");
    }
    let mut store = open_store(&cli.db)?;
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
    write(&table, output, &WriteOptions::new(time_zone))
}

fn open_store(db: &Path) -> anyhow::Result<Store> {
    if !db.exists() {
        bail!("no database at {}: pass --db, or set TALLY_DB", db.display());
    }
    Store::open(db, &StoreOptions::default())
        .with_context(|| format!("opening the database {}", db.display()))
}

fn administrator_of(account: &str) -> AccountUsage {
    Principal::Administrator { account: account.to_owned(), server_management_read: true }
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

fn write(table: &Table, output: &Output, options: &WriteOptions) -> anyhow::Result<()> {
    match &output.output {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("creating {}", path.display()))?;
            let mut out = BufWriter::new(file);
            tally_report::write_table(output.format, table, options, &mut out)?;
            out.flush().with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} rows to {}", table.rows.len(), path.display());
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout());
            tally_report::write_table(output.format, table, options, &mut out)?;
            out.flush().context("writing to standard output")?;
        }
    }
    Ok(())
}
