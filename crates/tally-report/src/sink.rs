//! Streaming: the [`TableSink`] rows are pushed into, and [`TableWriter`],
//! which writes them in any [`Format`].

use std::io::Write;

use crate::csv_sink::CsvSink;
use crate::json_sink::JsonSink;
use crate::xlsx_sink::XlsxSink;
use crate::{Cell, Format, ReportError, TableHeader, WriteOptions};

/// Somewhere rows go one at a time, such as a [`TableWriter`]. A row source
/// (the store's cursor, a report builder) can fill any sink without knowing
/// the format.
pub trait TableSink {
    /// Takes the next row: exactly one cell per column, each empty or of its
    /// column's kind.
    fn row(&mut self, cells: &[Cell]) -> Result<(), ReportError>;
}

/// Writes one table in a [`Format`], row by row, with bounded memory: CSV and
/// JSON pass each row through a buffer of a few kilobytes to the output; XLSX
/// keeps one row in memory and spools the sheet to a temporary file (rust_xlsxwriter's
/// constant-memory mode), writing the workbook to the output in
/// [`finish`](TableWriter::finish).
///
/// Each row is checked before it is written; after an error the output holds
/// a partial table and the writer should be dropped.
pub struct TableWriter<W: Write + Send> {
    format: FormatSink<W>,
}

/// Boxed, as the three differ in size by kilobytes (a workbook is large).
enum FormatSink<W: Write + Send> {
    Csv(Box<CsvSink<W>>),
    Json(Box<JsonSink<W>>),
    Xlsx(Box<XlsxSink<W>>),
}

impl<W: Write + Send> TableWriter<W> {
    /// Checks `header` ([`TableHeader::check`]) and writes what comes before
    /// the first row: the CSV header line, the JSON title and columns. XLSX
    /// writes nothing to `out` before `finish`.
    pub fn new(
        format: Format,
        header: &TableHeader,
        options: &WriteOptions,
        out: W,
    ) -> Result<TableWriter<W>, ReportError> {
        header.check()?;
        let format = match format {
            Format::Csv => FormatSink::Csv(Box::new(CsvSink::new(header, options, out)?)),
            Format::Json => FormatSink::Json(Box::new(JsonSink::new(header, out)?)),
            Format::Xlsx => FormatSink::Xlsx(Box::new(XlsxSink::new(header, options, out)?)),
        };
        Ok(TableWriter { format })
    }

    /// How many rows have been written.
    pub fn rows_written(&self) -> u64 {
        match &self.format {
            FormatSink::Csv(sink) => sink.rows_written(),
            FormatSink::Json(sink) => sink.rows_written(),
            FormatSink::Xlsx(sink) => sink.rows_written(),
        }
    }

    /// Writes what follows the last row (the JSON chart, the whole XLSX
    /// workbook), flushes, and hands back the output.
    pub fn finish(self) -> Result<W, ReportError> {
        match self.format {
            FormatSink::Csv(sink) => sink.finish(),
            FormatSink::Json(sink) => sink.finish(),
            FormatSink::Xlsx(sink) => sink.finish(),
        }
    }
}

impl<W: Write + Send> TableSink for TableWriter<W> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ReportError> {
        match &mut self.format {
            FormatSink::Csv(sink) => sink.row(cells),
            FormatSink::Json(sink) => sink.row(cells),
            FormatSink::Xlsx(sink) => sink.row(cells),
        }
    }
}
