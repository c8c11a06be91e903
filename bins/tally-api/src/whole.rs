//! Whole tables: a listing answered entire as CSV, JSON or XLSX, its rows
//! written one at a time into the response body while the client reads it, so
//! that the server's memory does not grow with the number of rows.
//!
//! The rows are written on a blocking thread (they come from the store, and
//! XLSX spools to a temporary file) through `tally-report`'s [`TableWriter`]
//! into a [`BodyWriter`], which hands the body a chunk of bytes at a time
//! through a channel of a few chunks: when the client reads slowly, the
//! channel fills and the writer waits, holding no more than those chunks and
//! the rows it is writing. A table that stops before its end (the store
//! failing half-way) aborts the body, so the client sees a broken transfer,
//! never a file that looks complete.

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use http_body_util::channel::{Channel, Sender};
use tally_report::{Format, ReportError, TableHeader, TableSink, TableWriter, WriteOptions};
use tokio::runtime::Handle;

use crate::error::{ApiError, error_chain};

/// Bytes gathered before they are handed to the body: large enough that a
/// chunk's framing costs nothing, small enough to hold a few of.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks the body holds for the client at most; the writer waits beyond.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Why a whole table stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum WholeTableError {
    /// Reading the rows failed (the store's cause is logged where the error
    /// was made).
    #[error("reading the rows: {0}")]
    Rows(#[from] ApiError),
    /// Writing them failed, or the client stopped reading.
    #[error("writing the table: {0}")]
    Table(#[from] ReportError),
}

/// A body of the table with `header` in `format`, its rows given by
/// `write_rows` to the sink it is handed, on a blocking thread, after the
/// response has started. Must be called within the runtime.
pub fn stream(
    format: Format,
    header: TableHeader,
    options: WriteOptions,
    write_rows: impl FnOnce(&mut dyn TableSink) -> Result<(), WholeTableError> + Send + 'static,
) -> Body {
    let (sender, body) = Channel::<Bytes, io::Error>::new(CHUNKS_IN_FLIGHT);
    let out = BodyWriter {
        sender: Some(sender),
        chunk: Vec::with_capacity(CHUNK_BYTES),
        runtime: Handle::current(),
    };
    tokio::task::spawn_blocking(move || {
        let title = header.title.clone();
        if let Err(error) = write_table(format, &header, &options, out, write_rows) {
            if client_went_away(&error) {
                tracing::debug!(table = %title, "the client stopped reading a whole table");
            } else {
                tracing::warn!(table = %title, error = %error_chain(&error), "a whole table stopped before its end");
            }
        }
    });
    Body::new(body)
}

fn write_table(
    format: Format,
    header: &TableHeader,
    options: &WriteOptions,
    out: BodyWriter,
    write_rows: impl FnOnce(&mut dyn TableSink) -> Result<(), WholeTableError>,
) -> Result<(), WholeTableError> {
    let mut writer = TableWriter::new(format, header, options, out)?;
    write_rows(&mut writer)?;
    writer.finish()?.complete().map_err(ReportError::Io)?;
    Ok(())
}

fn client_went_away(error: &WholeTableError) -> bool {
    match error {
        WholeTableError::Table(ReportError::Io(error)) => error.kind() == io::ErrorKind::BrokenPipe,
        WholeTableError::Table(_) | WholeTableError::Rows(_) => false,
    }
}

/// The response body as an [`io::Write`], for a writer on a blocking thread.
/// Dropped before [`BodyWriter::complete`], it aborts the body.
struct BodyWriter {
    /// `None` once complete.
    sender: Option<Sender<Bytes, io::Error>>,
    chunk: Vec<u8>,
    runtime: Handle,
}

impl BodyWriter {
    /// Hands the bytes gathered so far to the body, waiting while it is full.
    fn send_chunk(&mut self) -> io::Result<()> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let bytes =
            Bytes::from(std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK_BYTES)));
        let sender = self.sender.as_mut().expect("a body writer is written to until complete");
        // A blocking thread may wait on the runtime; the body's channel is async.
        self.runtime.block_on(sender.send_data(bytes)).map_err(|_| {
            io::Error::new(io::ErrorKind::BrokenPipe, "the client stopped reading the body")
        })
    }

    /// Sends the last bytes and ends the body: the table is complete.
    fn complete(mut self) -> io::Result<()> {
        self.send_chunk()?;
        self.sender = None;
        Ok(())
    }
}

impl Write for BodyWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.chunk.extend_from_slice(bytes);
        if self.chunk.len() >= CHUNK_BYTES {
            self.send_chunk()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_chunk()
    }
}

impl Drop for BodyWriter {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            sender.abort(io::Error::other("the table stopped before its end"));
        }
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;
    use tally_report::{Cell, Column, ColumnKind};

    use super::*;

    fn names() -> TableHeader {
        TableHeader::new("Names", vec![Column::new("name", "Name", ColumnKind::Text)])
    }

    /// The body of `names()` in CSV with `rows` names, then `end`: the bytes,
    /// or whether the body broke.
    async fn check(rows: usize, end: Result<(), WholeTableError>) -> Result<Vec<u8>, ()> {
        let body = stream(Format::Csv, names(), WriteOptions::default(), move |sink| {
            for index in 0..rows {
                sink.row(&[Cell::Text(format!("name-{index:06}"))])?;
            }
            end
        });
        body.collect().await.map(|collected| collected.to_bytes().to_vec()).map_err(|_| ())
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_complete_table_ends_the_body() {
        let bytes = check(2, Ok(())).await.unwrap();
        assert_eq!(bytes, b"name\r\nname-000000\r\nname-000001\r\n");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_table_larger_than_the_chunks_in_flight_waits_for_the_reader() {
        // 100,000 rows of 13 bytes ("name-000000" and CRLF) and the 6-byte
        // header: 1,300,006 bytes, about 20 chunks of 64 KiB, five times what
        // the body holds, so the writer must wait for the reader to go on.
        let bytes = check(100_000, Ok(())).await.unwrap();
        assert_eq!(bytes.len(), 1_300_006);
        assert!(bytes.ends_with(b"name-099999\r\n"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_table_that_stops_before_its_end_breaks_the_body() {
        // Past the first chunks, so that the client has had bytes already.
        assert_eq!(check(10_000, Err(WholeTableError::Rows(ApiError::Unavailable))).await, Err(()));
        // A row that does not fit the header, after some that did.
        let body = stream(Format::Json, names(), WriteOptions::default(), |sink| {
            sink.row(&[Cell::Text("Ana".into())])?;
            sink.row(&[Cell::Integer(7)])?;
            Ok(())
        });
        assert!(body.collect().await.is_err());
    }
}
