//! CSV: RFC 4180 through the `csv` crate, CRLF line ends, a header of column
//! names, rows written through as they come.

use std::fmt::Write as _;
use std::io::Write;

use chrono::SecondsFormat;
use chrono_tz::Tz;

use crate::formula::looks_like_formula;
use crate::model::check_row;
use crate::{Cell, Column, ReportError, TableHeader, TableSink, WriteOptions};

/// U+FEFF in UTF-8.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

pub(crate) struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    columns: Vec<Column>,
    time_zone: Tz,
    rows_written: u64,
    /// Reused for each number or date, so a row allocates nothing.
    field: String,
}

impl<W: Write> CsvSink<W> {
    /// Writes the byte-order mark if the options ask for one, then the header
    /// row. `header` must have passed [`TableHeader::check`].
    pub(crate) fn new(
        header: &TableHeader,
        options: &WriteOptions,
        mut out: W,
    ) -> Result<CsvSink<W>, ReportError> {
        if options.csv_byte_order_mark {
            out.write_all(BYTE_ORDER_MARK)?;
        }
        let mut writer =
            csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
        writer.write_record(header.columns.iter().map(|column| column.name.as_bytes()))?;
        Ok(CsvSink {
            writer,
            columns: header.columns.clone(),
            time_zone: options.time_zone,
            rows_written: 0,
            field: String::new(),
        })
    }

    pub(crate) fn rows_written(&self) -> u64 {
        self.rows_written
    }

    pub(crate) fn finish(self) -> Result<W, ReportError> {
        self.writer.into_inner().map_err(|error| ReportError::Io(error.into_error()))
    }
}

impl<W: Write> TableSink for CsvSink<W> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ReportError> {
        check_row(&self.columns, self.rows_written, cells)?;
        for cell in cells {
            self.field.clear();
            match cell {
                Cell::Text(text) if looks_like_formula(text) => {
                    self.field.push('\'');
                    self.field.push_str(text);
                }
                Cell::Text(text) => {
                    self.writer.write_field(text)?;
                    continue;
                }
                Cell::Empty => {}
                Cell::Integer(value) => write!(self.field, "{value}").expect("writing to a String"),
                // Rust's `Display` for f64 is the shortest text that reads back
                // as the same number, never in exponent form.
                Cell::Decimal(value) | Cell::Percent(value) => {
                    write!(self.field, "{value}").expect("writing to a String");
                }
                // Rounded half away from zero, as XLSX's `0.00` shows it; a
                // value that rounds to zero is `0.00`, never `-0.00`.
                Cell::Percentage(value) => {
                    let hundredths = (value * 100.0).round();
                    let shown = if hundredths == 0.0 { 0.0 } else { hundredths / 100.0 };
                    write!(self.field, "{shown:.2}").expect("writing to a String");
                }
                Cell::Date(date) => write!(self.field, "{date}").expect("writing to a String"),
                Cell::DateTime(instant) => {
                    let local = instant.with_timezone(&self.time_zone);
                    self.field.push_str(&local.to_rfc3339_opts(SecondsFormat::AutoSi, false));
                }
            }
            self.writer.write_field(&self.field)?;
        }
        self.writer.write_record(None::<&[u8]>)?;
        self.rows_written += 1;
        Ok(())
    }
}
