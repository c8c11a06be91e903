//! `tally-export`: figures from the store written as CSV, JSON or XLSX tables.
//!
//! The exporter reads the SQLite file directly, so whoever runs it already holds
//! every account's data: it reads an account as its administrator would.
//! `identities` is the exception: it matches a file of observations into people
//! and opens no database.

mod cli;
mod output;
mod tables;

use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Parser;
use tally_access::Principal;
use tally_figures::MonthRange;
use tally_figures::identity::{
    GENERIC_IDENTITIES, OBSERVATION_ASSIGNMENTS, UNIQUE_USERS, assignment_rows,
    generic_identity_rows, unique_users_rows,
};
use tally_identity::Matcher;
use tally_report::WriteOptions;
use tally_store::{Store, StoreOptions};

use crate::cli::{AuditCommand, Cli, Command, IdentitiesCommand, IdentityTable};
use crate::output::{OutputFile, refuse_bom_without_csv, refuse_xlsx_on_a_terminal, write};
use crate::tables::{export_dashboard, export_event_counts, export_seats};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tally_service::init_logging(cli.log.log_format, "warn");
    match run(cli) {
        Ok(code) => code,
        Err(error) if is_closed_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tally-export: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether `error` comes from writing to a pipe whose reader is gone, as when
/// `tally-export ... | head` has read the lines it wanted: the reader got
/// what it asked for, so the export succeeded. (Rust ignores SIGPIPE, so the
/// write fails with EPIPE instead of ending the process quietly.)
fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let audit_key = cli.database.audit_key_file();
    match cli.command {
        Command::Audit(command) => {
            return audit(cli.database.existing_database()?, &audit_key, &command);
        }
        Command::Seats(command) => export_seats(cli.database.existing_database()?, command)?,
        Command::Identities(command) => export_identities(&command)?,
        Command::Dashboard(command) => {
            export_dashboard(cli.database.existing_database()?, &command)?
        }
        Command::EventCounts { output, kind, from, to } => export_event_counts(
            cli.database.existing_database()?,
            &output,
            kind,
            MonthRange::new(from, to)?,
        )?,
        Command::UsageReports { account, out, at, matcher } => export_usage_reports(
            cli.database.existing_database()?,
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
/// Exit code of an audit command given a key that sealed none of the log's
/// chains: the log may be intact, but cannot be checked with this key.
const WRONG_KEY: u8 = 4;

/// Fails naming `account` unless the audit log holds a chain for it or the
/// store has it: an unknown account must not pass as an intact, empty log.
fn require_audit_account(
    db: &Path,
    log: &tally_audit::AuditStore,
    account: &str,
) -> anyhow::Result<()> {
    if !log.accounts()?.iter().any(|known| known == account) {
        open_store(db)?.account(account)?;
    }
    Ok(())
}

fn audit(db: &Path, key_file: &Path, command: &AuditCommand) -> anyhow::Result<ExitCode> {
    let key = match tally_audit::load_key_for(db, key_file) {
        Ok(key) => key,
        Err(error @ tally_audit::AuditError::WrongKey { .. }) => {
            eprintln!(
                "tally-export: error: {error} (with --audit-key-file or TALLY_AUDIT_KEY_FILE); \
                 the log was not checked"
            );
            return Ok(ExitCode::from(WRONG_KEY));
        }
        Err(error) => {
            return Err(anyhow::Error::new(error).context(
                "the audit log is sealed with its own key: pass the key file the daemon used with --audit-key-file",
            ));
        }
    };
    let log = tally_audit::AuditStore::open(db, &tally_audit::AuditOptions::new(key))
        .with_context(|| format!("opening the audit log in {}", db.display()))?;
    match command {
        AuditCommand::Entries { output, from, to, resource, status, run_id, error } => {
            refuse_xlsx_on_a_terminal(output.format, output.output.as_deref())?;
            refuse_bom_without_csv(output.format, output.bom)?;
            let store = open_store(db)?;
            let time_zone = store.account(&output.account)?.calendar.time_zone;
            let view = Principal::database_holder(&output.account)
                .read_audit(&output.account)
                .expect("an administrator reads their own account's audit log");
            let query = tally_audit::AuditQuery {
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
            let (sink, output_file): (Box<dyn Write + Send>, _) = match &output.output {
                Some(path) => {
                    let (file, output_file) = OutputFile::create(path)?;
                    (Box::new(BufWriter::new(file)), Some(output_file))
                }
                None => (Box::new(BufWriter::new(std::io::stdout())), None),
            };
            let mut writer = tally_report::TableWriter::new(
                output.format,
                &table.header(),
                &WriteOptions::new(time_zone).with_csv_byte_order_mark(output.bom),
                sink,
            )?;
            tally_figures::audit::for_each_audit_entry(&store, &log, &view, &query, |entry| {
                let row = tally_figures::audit::AuditRow::from(entry);
                tally_report::TableSink::row(&mut writer, &table.cells(&row))?;
                anyhow::Ok(())
            })?;
            let rows = writer.rows_written();
            writer.finish()?.flush().context("writing the entries")?;
            if let Some(output_file) = output_file {
                output_file.persist()?;
            }
            if let Some(path) = &output.output {
                eprintln!("wrote {rows} entries to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Anchor { account } => {
            require_audit_account(db, &log, account)?;
            println!("{}", log.head(account)?);
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { account, anchor } => {
            require_audit_account(db, &log, account)?;
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
    store.account(account)?;
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
    let (file, output_file) = OutputFile::create(out)?;
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
    output_file.persist()?;
    bar.finish_and_clear();
    eprintln!("wrote {}", out.display());
    Ok(())
}

fn export_identities(command: &IdentitiesCommand) -> anyhow::Result<()> {
    refuse_xlsx_on_a_terminal(command.format, command.output.as_deref())?;
    refuse_bom_without_csv(command.format, command.bom)?;
    let matcher = command.matcher.matcher()?;
    let path = &command.observations;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let observations = tally_figures::identity::parse_observations(&text)
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
    let options = WriteOptions::default().with_csv_byte_order_mark(command.bom);
    write(&table, command.format, command.output.as_deref(), &options)
}

fn open_store(db: &Path) -> anyhow::Result<Store> {
    Store::open(db, &StoreOptions::default())
        .with_context(|| format!("opening the database {}", db.display()))
}
