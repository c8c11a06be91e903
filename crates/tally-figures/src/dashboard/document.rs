//! Widgets written out whole, the same way by the API and the exporter: JSON
//! (one document with each widget's period, floor, notes and table), XLSX (a
//! sheet per widget after an "About" sheet) or CSV (the same tables as
//! sections, each after a `# widget` line and before a blank line).

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use tally_report::{
    Cell, Column, ColumnKind, Format, ReportError, Table, TableHeader, WriteOptions, write_table,
};

use super::{DashboardQuery, WidgetTable};

/// What every widget of a document was asked with, as written in JSON.
#[derive(Debug, Serialize)]
struct Asked<'a> {
    account: &'a str,
    at: String,
    from: Option<String>,
    to: Option<String>,
    organization: Option<&'a str>,
    team: Option<&'a str>,
}

/// A widget's place in a JSON document, besides its table.
#[derive(Debug, Serialize)]
struct About<'a> {
    widget: &'a str,
    tab: &'a str,
    first_day: String,
    last_day: String,
    available_from: Option<String>,
    notes: &'a [String],
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn about(widget: &WidgetTable) -> About<'_> {
    About {
        widget: widget.widget.name(),
        tab: widget.widget.tab().name(),
        first_day: widget.days.first.to_string(),
        last_day: widget.days.last.to_string(),
        available_from: widget.available_from.map(instant),
        notes: &widget.notes,
    }
}

/// One widget's JSON: what it covers, then its table as `tally-report`
/// writes it (`title`, `columns`, `rows`, `chart`) under `table`.
pub fn write_widget_json(
    widget: &WidgetTable,
    options: &WriteOptions,
    mut out: impl Write + Send,
) -> Result<(), ReportError> {
    let about = serde_json::to_string(&about(widget)).expect("text and lists serialise");
    // The object without its closing brace, then the table.
    out.write_all(&about.as_bytes()[..about.len() - 1])?;
    out.write_all(b",\"table\":")?;
    write_table(Format::Json, &widget.table, options, &mut out)?;
    out.write_all(b"}")?;
    Ok(())
}

/// The "About" table: each widget's period, floor and notes.
fn about_table(widgets: &[WidgetTable]) -> Table {
    let columns = [
        ("widget", "Widget", ColumnKind::Text),
        ("title", "Title", ColumnKind::Text),
        ("first_day", "First day", ColumnKind::Date),
        ("last_day", "Last day", ColumnKind::Date),
        ("available_from", "Data available from", ColumnKind::DateTime),
        ("notes", "Notes", ColumnKind::Text),
    ];
    let header = TableHeader::new(
        "About",
        columns.iter().map(|(name, title, kind)| Column::new(*name, *title, *kind)).collect(),
    );
    let rows = widgets
        .iter()
        .map(|widget| {
            vec![
                Cell::Text(widget.widget.name().to_owned()),
                Cell::Text(widget.widget.title().to_owned()),
                Cell::Date(widget.days.first),
                Cell::Date(widget.days.last),
                widget.available_from.map_or(Cell::Empty, Cell::DateTime),
                Cell::Text(widget.notes.join("; ")),
            ]
        })
        .collect();
    Table::new(header, rows)
}

/// Writes `widgets`, computed for `account` under `query`, whole, in `format`.
pub fn write_widgets<W: Write + Send>(
    format: Format,
    account: &str,
    query: &DashboardQuery,
    widgets: &[WidgetTable],
    options: &WriteOptions,
    mut out: W,
) -> Result<(), ReportError> {
    match format {
        Format::Json => {
            let asked = Asked {
                account,
                at: instant(query.at),
                from: query.from.map(|day| day.to_string()),
                to: query.to.map(|day| day.to_string()),
                organization: query.organization.as_deref(),
                team: query.team.as_deref(),
            };
            let asked = serde_json::to_string(&asked).expect("text serialises");
            out.write_all(&asked.as_bytes()[..asked.len() - 1])?;
            out.write_all(b",\"widgets\":[")?;
            for (index, widget) in widgets.iter().enumerate() {
                if index > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(b"\n")?;
                write_widget_json(widget, options, &mut out)?;
            }
            out.write_all(b"\n]}\n")?;
        }
        Format::Xlsx => {
            let mut tables = vec![about_table(widgets)];
            tables.extend(widgets.iter().map(|widget| widget.table.clone()));
            tally_report::write_workbook(&tables, options, out)?;
        }
        Format::Csv => {
            // One byte-order mark for the file, before its first section.
            if options.csv_byte_order_mark {
                out.write_all("\u{feff}".as_bytes())?;
            }
            let options = &(*options).with_csv_byte_order_mark(false);
            let about = about_table(widgets);
            let sections = std::iter::once(("about", &about))
                .chain(widgets.iter().map(|widget| (widget.widget.name(), &widget.table)));
            for (name, table) in sections {
                write!(out, "# {name}\r\n")?;
                write_table(Format::Csv, table, options, &mut out)?;
                out.write_all(b"\r\n")?;
            }
        }
    }
    Ok(())
}

/// A format a tab or a widget is written in: a table format, or a PDF of the
/// tab (D11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DashboardFormat {
    /// CSV, JSON or XLSX, as `tally-report` writes tables.
    Table(Format),
    /// One PDF: each widget's chart and table.
    Pdf,
}

impl DashboardFormat {
    /// The names [`DashboardFormat::parse`] takes.
    pub const NAMES: [&'static str; 4] = ["csv", "json", "xlsx", "pdf"];

    /// Reads `csv`, `json`, `xlsx` or `pdf`, in lower case exactly.
    pub fn parse(name: &str) -> Option<DashboardFormat> {
        match name {
            "pdf" => Some(DashboardFormat::Pdf),
            other => other.parse().ok().map(DashboardFormat::Table),
        }
    }

    /// The HTTP media type, as sent in `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            DashboardFormat::Table(format) => format.media_type(),
            DashboardFormat::Pdf => "application/pdf",
        }
    }

    /// The file name extension, without the dot; also the name it is parsed from.
    pub fn extension(self) -> &'static str {
        match self {
            DashboardFormat::Table(format) => format.extension(),
            DashboardFormat::Pdf => "pdf",
        }
    }
}

impl std::fmt::Display for DashboardFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}
