//! JSON: one object per table, written piece by piece so that a row is
//! never held after it is written. The shape is in `docs/reports.md`.

use std::io::{self, BufWriter, Write};

use chrono::SecondsFormat;

use crate::model::check_row;
use crate::{Cell, Chart, Column, ReportError, TableHeader, TableSink};

pub(crate) struct JsonSink<W: Write> {
    out: BufWriter<W>,
    columns: Vec<Column>,
    /// Each column's key with its colon, `"name":`, escaped once.
    keys: Vec<Vec<u8>>,
    chart: Option<Chart>,
    rows_written: u64,
}

impl<W: Write> JsonSink<W> {
    /// Writes everything up to the first row. `header` must have passed
    /// [`TableHeader::check`].
    pub(crate) fn new(header: &TableHeader, out: W) -> Result<JsonSink<W>, ReportError> {
        let mut out = BufWriter::new(out);
        out.write_all(b"{\"title\":")?;
        write_json(&mut out, header.title.as_str())?;
        out.write_all(b",\"columns\":[")?;
        for (index, column) in header.columns.iter().enumerate() {
            if index > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"{\"name\":")?;
            write_json(&mut out, column.name.as_str())?;
            out.write_all(b",\"title\":")?;
            write_json(&mut out, column.title.as_str())?;
            write!(out, ",\"type\":\"{}\"}}", column.kind.name())?;
        }
        out.write_all(b"],\"rows\":[")?;
        let keys = header
            .columns
            .iter()
            .map(|column| {
                let mut key =
                    serde_json::to_vec(column.name.as_str()).expect("a string serialises");
                key.push(b':');
                key
            })
            .collect();
        Ok(JsonSink {
            out,
            columns: header.columns.clone(),
            keys,
            chart: header.chart.clone(),
            rows_written: 0,
        })
    }

    pub(crate) fn rows_written(&self) -> u64 {
        self.rows_written
    }

    /// Closes the rows and writes the chart.
    pub(crate) fn finish(mut self) -> Result<W, ReportError> {
        let out = &mut self.out;
        if self.rows_written > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(b"],\"chart\":")?;
        match &self.chart {
            None => out.write_all(b"null")?,
            Some(chart) => {
                write!(out, "{{\"kind\":\"{}\",\"category\":", chart.kind.name())?;
                write_json(&mut *out, chart.category.as_str())?;
                out.write_all(b",\"values\":")?;
                write_json(&mut *out, &chart.values)?;
                if let Some(series) = &chart.series {
                    out.write_all(b",\"series\":")?;
                    write_json(&mut *out, series.as_str())?;
                }
                out.write_all(b"}")?;
            }
        }
        out.write_all(b"}\n")?;
        self.out.into_inner().map_err(|error| ReportError::Io(error.into_error()))
    }
}

impl<W: Write> TableSink for JsonSink<W> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ReportError> {
        check_row(&self.columns, self.rows_written, cells)?;
        let out = &mut self.out;
        // One row per line keeps a large export readable with line tools.
        out.write_all(if self.rows_written == 0 { b"\n{" } else { b",\n{" })?;
        for (index, (key, cell)) in self.keys.iter().zip(cells).enumerate() {
            if index > 0 {
                out.write_all(b",")?;
            }
            out.write_all(key)?;
            match cell {
                Cell::Empty => out.write_all(b"null")?,
                Cell::Text(text) => write_json(&mut *out, text.as_str())?,
                Cell::Integer(value) => write_json(&mut *out, value)?,
                Cell::Decimal(value) | Cell::Percent(value) | Cell::Percentage(value) => {
                    write_json(&mut *out, value)?
                }
                Cell::Date(date) => write!(out, "\"{date}\"")?,
                Cell::DateTime(instant) => {
                    write!(out, "\"{}\"", instant.to_rfc3339_opts(SecondsFormat::AutoSi, true))?;
                }
            }
        }
        out.write_all(b"}")?;
        self.rows_written += 1;
        Ok(())
    }
}

/// Writes one JSON value; strings, numbers and lists of strings fail only by
/// I/O.
fn write_json<W: Write, T: serde::Serialize + ?Sized>(out: W, value: &T) -> io::Result<()> {
    serde_json::to_writer(out, value).map_err(io::Error::from)
}
