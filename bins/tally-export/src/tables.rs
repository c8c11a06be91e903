//! The exporter's usage tables: the seat figures and the event counts, with
//! the filters the API's listings take (the filters themselves are
//! `tally-figures`').

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use tally_access::Principal;
use tally_figures::seats::{ACTIVATED_SEATS, ActivatedSeatFilter, COUNTED_LOGINS, MONTHLY_SEATS};
use tally_figures::usage::{CountFilter, EVENT_COUNTS};
use tally_figures::{InstantOrDay, MonthRange};
use tally_report::WriteOptions;
use tally_store::Account;

use crate::cli::{Output, SeatOutput, SeatsCommand};
use crate::open_store;
use crate::output::{refuse_bom_without_csv, refuse_xlsx_on_a_terminal, titled, write};

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
