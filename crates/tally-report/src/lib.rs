//! Tally's one table model and its writers.
//!
//! Every dashboard widget and report sheet is a [`Table`]: a [`TableHeader`]
//! (title, typed [`Column`]s, an optional [`Chart`]) and rows of [`Cell`]s.
//! The writers render a table as CSV (RFC 4180), JSON (typed values, the shape
//! in `docs/reports.md`) or XLSX (real date cells, number formats, a frozen
//! header and an autofilter), and a list of tables as a workbook of one sheet
//! each. Text a spreadsheet would run as a formula stays text in CSV and XLSX.
//!
//! Large tables stream: [`write_rows`] takes the rows from an iterator and
//! [`TableWriter`] takes them one call at a time, each with bounded memory.
//! The writers write to any [`std::io::Write`]; they do no other I/O than
//! XLSX's temporary files, never read the clock and never open the database.
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use tally_report::{Cell, Column, ColumnKind, Format, Table, TableHeader, WriteOptions, write_table};
//!
//! let header = TableHeader::new(
//!     "Logins",
//!     vec![
//!         Column::new("day", "Day", ColumnKind::Date),
//!         Column::new("logins", "Logins", ColumnKind::Integer),
//!         Column::new("share", "Share of users", ColumnKind::Percent),
//!         Column::new("last_login", "Last login", ColumnKind::DateTime),
//!     ],
//! );
//! let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
//! let last_login = Utc.with_ymd_and_hms(2026, 3, 2, 17, 30, 0).unwrap();
//! let row = vec![Cell::Date(day), Cell::Integer(42), Cell::Percent(0.25), Cell::DateTime(last_login)];
//! let table = Table::new(header, vec![row]);
//!
//! let options = WriteOptions::new(chrono_tz::Europe::Berlin);
//! let mut csv = Vec::new();
//! write_table(Format::Csv, &table, &options, &mut csv).unwrap();
//! assert_eq!(
//!     String::from_utf8(csv).unwrap(),
//!     "day,logins,share,last_login\r\n2026-03-02,42,0.25,2026-03-02T18:30:00+01:00\r\n",
//! );
//! ```

#![deny(missing_docs)]

mod csv_sink;
mod error;
mod format;
mod formula;
mod json_sink;
mod model;
mod sheet_name;
mod sink;
mod workbook;
mod xlsx_sink;

use std::io::Write;

pub use error::ReportError;
pub use format::{Format, UnknownFormat, WriteOptions};
pub use model::{Cell, Chart, ChartKind, Column, ColumnKind, Table, TableHeader};
pub use sink::{TableSink, TableWriter};
pub use workbook::WorkbookWriter;

/// Writes `table` in `format` to `out`. The same as [`write_rows`] with the
/// table's rows.
pub fn write_table<W: Write + Send>(
    format: Format,
    table: &Table,
    options: &WriteOptions,
    out: W,
) -> Result<(), ReportError> {
    write_rows(format, &table.header, table.rows.iter().map(Ok), options, out)
}

/// Writes a table in `format` to `out`, taking its rows one at a time from
/// `rows`, which may produce them lazily (from a database cursor, say). The
/// first error, from `rows` or from a row that does not fit `header`, stops
/// the writing and is returned; the output then holds a partial table.
///
/// Memory stays bounded whatever the number of rows: CSV and JSON pass each
/// row on to `out` through a buffer of a few kilobytes; XLSX keeps one row in
/// memory and spools the sheet to a temporary file, and writes the workbook to
/// `out` after the last row. XLSX needs no [`std::io::Seek`]: the zip is
/// written as a stream.
pub fn write_rows<W, I, R>(
    format: Format,
    header: &TableHeader,
    rows: I,
    options: &WriteOptions,
    out: W,
) -> Result<(), ReportError>
where
    W: Write + Send,
    I: IntoIterator<Item = Result<R, ReportError>>,
    R: AsRef<[Cell]>,
{
    let mut writer = TableWriter::new(format, header, options, out)?;
    for row in rows {
        writer.row(row?.as_ref())?;
    }
    writer.finish()?;
    Ok(())
}

/// Writes `tables` as one XLSX workbook to `out`, a sheet per table in order.
/// Sheet names come from the titles, made valid for Excel (31 characters at
/// most, none of `[ ] : * ? / \`) and unique; a table with a chart and at
/// least one row gets the chart drawn beside it. Sheets are written in
/// constant-memory mode like [`write_rows`]'s, through a
/// [`WorkbookWriter`]; `out` needs no [`std::io::Seek`].
///
/// An error in a table is wrapped in [`ReportError::InTable`] naming it.
pub fn write_workbook<W: Write + Send>(
    tables: &[Table],
    options: &WriteOptions,
    out: W,
) -> Result<(), ReportError> {
    let mut workbook = WorkbookWriter::new(options);
    for table in tables {
        workbook.table(table)?;
    }
    workbook.finish(out)?;
    Ok(())
}
