//! The exporter's usage tables: the seat figures and the event counts, with
//! the filters the API's listings take (the filters themselves are
//! `tally-figures`').

use std::path::Path;

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use tally_access::Principal;
use tally_figures::seats::{ACTIVATED_SEATS, ActivatedSeatFilter, COUNTED_LOGINS, MONTHLY_SEATS};
use tally_figures::usage::{CountFilter, EVENT_COUNTS};
use tally_figures::{InstantOrDay, MonthRange};
use tally_report::WriteOptions;
use tally_store::Account;

use std::io::{BufWriter, IsTerminal, Write};

use tally_figures::dashboard::{
    DashboardFormat, DashboardQuery, Widget, tab_pdf, widget_table, write_widgets,
};

use crate::cli::{DashboardCommand, Output, SeatOutput, SeatsCommand};
use crate::open_store;
use crate::output::{
    OutputFile, refuse_bom_without_csv, refuse_xlsx_on_a_terminal, titled, write, write_bytes,
};

pub fn export_seats(db: &Path, command: SeatsCommand) -> anyhow::Result<()> {
    let (SeatsCommand::Monthly { output, .. }
    | SeatsCommand::Log { output, .. }
    | SeatsCommand::Explain { output, .. }) = &command;
    let SeatOutput { table: output, no_update } = output;
    refuse_xlsx_on_a_terminal(output.format, output.output.as_deref())?;
    refuse_bom_without_csv(output.format, output.bom)?;
    let mut store = open_store(db)?;
    store.account(&output.account)?;
    if !no_update {
        store.update_seats(&output.account).with_context(|| {
            format!("bringing the seats of account {} up to date", output.account)
        })?;
    }
    let usage = Principal::database_holder(&output.account)
        .read_usage(&output.account)
        .expect("an administrator may read their own account's usage");
    let account = store.account(&output.account)?;
    let time_zone = account.calendar.time_zone;
    let as_of =
        |at: &Option<InstantOrDay>| at.map_or_else(Utc::now, |at| at.instant(&account.calendar));
    let table = match &command {
        SeatsCommand::Monthly { organization, from, to, at, .. } => {
            let rows = tally_figures::seats::monthly_seats_between(
                &store,
                &usage,
                organization.as_deref(),
                MonthRange::new(*from, *to)?,
                as_of(at),
            )?;
            titled(&MONTHLY_SEATS, &rows, None)
        }
        SeatsCommand::Log { at, status, organization, .. } => {
            let at = as_of(at);
            let rows = tally_figures::seats::activated_seats(&store, &usage, at)?;
            if rows.is_empty() {
                eprintln!("{}", nobody_in_the_log(&account, at));
            }
            let filter =
                ActivatedSeatFilter { status: *status, organization: organization.clone() };
            titled(&ACTIVATED_SEATS, &filter.select(&rows), None)
        }
        SeatsCommand::Explain { user, at, .. } => {
            let explanation =
                tally_figures::seats::seat_explanation(&store, &usage, user, as_of(at))?;
            let title =
                format!("{user} at {}: {}", explanation.at.to_rfc3339(), explanation.reason);
            eprintln!("{title}");
            titled(&COUNTED_LOGINS, &explanation.counted_logins(), Some(title))
        }
    };
    write(
        &table,
        output.format,
        output.output.as_deref(),
        &WriteOptions::new(time_zone).with_csv_byte_order_mark(output.bom),
    )
}

/// Why the log at `at` lists nobody, naming the term it looked at: a table
/// with only its header would not say whether `at` fell outside every term.
fn nobody_in_the_log(account: &Account, at: DateTime<Utc>) -> String {
    let at_text = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    match tally_figures::seats::term_holding(account, at) {
        Some(term) => format!("nobody became an active seat in term {term} by {at_text}"),
        None => {
            let terms =
                account.terms.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            format!("{at_text} is in none of the account's terms ({terms}): nobody is in the log")
        }
    }
}

/// Events per kind and month, filtered as the API's `event-counts` listing is.
pub fn export_event_counts(
    db: &Path,
    output: &Output,
    kind: Option<String>,
    months: MonthRange,
) -> anyhow::Result<()> {
    refuse_xlsx_on_a_terminal(output.format, output.output.as_deref())?;
    refuse_bom_without_csv(output.format, output.bom)?;
    let filter = CountFilter::new(kind, months)?;
    let store = open_store(db)?;
    let usage = Principal::database_holder(&output.account)
        .read_usage(&output.account)
        .expect("an administrator may read their own account's usage");
    let time_zone = store.account(&output.account)?.calendar.time_zone;
    let rows = tally_figures::usage::event_counts(&store, &usage, &filter)?;
    let table = titled(&EVENT_COUNTS, &rows, None);
    write(
        &table,
        output.format,
        output.output.as_deref(),
        &WriteOptions::new(time_zone).with_csv_byte_order_mark(output.bom),
    )
}

/// A usage dashboard tab's widgets, or one of them, with the filters the
/// API's dashboard takes.
pub fn export_dashboard(db: &Path, command: &DashboardCommand) -> anyhow::Result<()> {
    let target = command.output.as_deref();
    match command.format {
        DashboardFormat::Table(format) => {
            refuse_xlsx_on_a_terminal(format, target)?;
            refuse_bom_without_csv(format, command.bom)?;
        }
        DashboardFormat::Pdf => {
            if command.bom {
                bail!("--bom is for CSV only: --format pdf has no byte-order mark");
            }
            if target.is_none() && std::io::stdout().is_terminal() {
                bail!("a PDF file is binary: pass --output FILE, or redirect standard output");
            }
        }
    }
    let widgets = match &command.widget {
        None => command.tab.widgets().to_vec(),
        Some(name) => vec![Widget::parse(command.tab, name).with_context(|| {
            let names: Vec<&str> =
                command.tab.widgets().iter().map(|widget| widget.name()).collect();
            format!("{name:?} is not a widget of tab {}: {}", command.tab.name(), names.join(", "))
        })?],
    };
    let mut store = open_store(db)?;
    let account = store.account(&command.account)?;
    if !command.no_update {
        store
            .update_dashboard(&command.account, tally_store::DASHBOARD_EVENTS_PER_STEP)
            .with_context(|| {
                format!("bringing the dashboard of account {} up to date", command.account)
            })?;
        store.update_seats(&command.account).with_context(|| {
            format!("bringing the seats of account {} up to date", command.account)
        })?;
    }
    let usage = Principal::database_holder(&command.account)
        .read_usage(&command.account)
        .expect("an administrator may read their own account's usage");
    let at = command.at.map_or_else(Utc::now, |at| at.instant(&account.calendar));
    let query = DashboardQuery::new(
        at,
        command.from,
        command.to,
        command.organization.clone(),
        command.team.clone(),
    )?;
    let tables = widgets
        .iter()
        .map(|widget| widget_table(&store, &usage, *widget, &query))
        .collect::<Result<Vec<_>, _>>()?;
    let zone = account.calendar.time_zone;
    let format = match command.format {
        DashboardFormat::Table(format) => format,
        DashboardFormat::Pdf => {
            let pdf = tab_pdf(command.tab, &account.slug, &query, &tables, zone)?;
            return write_bytes(&pdf, target, "the PDF");
        }
    };
    let options = WriteOptions::new(zone).with_csv_byte_order_mark(command.bom);
    if let [single] = tables.as_slice()
        && command.widget.is_some()
    {
        for note in &single.notes {
            eprintln!("{}: {note}", single.widget.name());
        }
        return write(&single.table, format, target, &options);
    }
    match target {
        Some(path) => {
            let (file, finished) = OutputFile::create(path)?;
            let mut out = BufWriter::new(file);
            write_widgets(format, &account.slug, &query, &tables, &options, &mut out)?;
            out.flush().with_context(|| format!("writing {}", path.display()))?;
            drop(out);
            finished.persist()?;
            eprintln!("wrote {} widgets to {}", tables.len(), path.display());
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout());
            write_widgets(format, &account.slug, &query, &tables, &options, &mut out)?;
            out.flush().context("writing to standard output")?;
        }
    }
    Ok(())
}
