//! Importing a file of events (backfills): the same checks and the same
//! idempotent append as the HTTP path, in chunks, with line numbers of the file.

use std::io::{BufRead, Read};

use serde_json::Value;
use tally_events::{BatchShape, CheckedBatch, CheckedEvent, Limits, Rejection, check_batch};
use tally_store::{Account, EventRecord};

use crate::audit::{AuditBatch, AuditLog};
use crate::outcome::BatchOutcome;
use crate::writer::{WriteFailure, WriterHandle};

/// Lines checked and committed together.
const CHUNK_LINES: usize = 10_000;

/// Why an import stopped. Every chunk before the failing one is committed, so
/// running the same import again is safe: committed events count as duplicates.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input could not be read.
    #[error("reading the input failed after line {line}")]
    Read {
        /// The last line read in full.
        line: usize,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The input is a JSON array that does not parse.
    #[error("the input starts with `[` but is not a JSON array")]
    MalformedArray(#[source] serde_json::Error),
    /// A chunk's audit entries could not be written; it and everything after it
    /// is not stored.
    #[error(
        "writing the audit entries from line {first_line} on failed; the lines before it are stored"
    )]
    Audit {
        /// First line of the chunk that failed.
        first_line: usize,
        /// The audit log's error.
        #[source]
        source: tally_audit::AuditError,
    },
    /// A chunk could not be written; it and everything after it is not in the store.
    #[error("writing the events from line {first_line} on failed; the lines before it are stored")]
    Write {
        /// First line of the chunk that failed.
        first_line: usize,
        /// The store's failure.
        #[source]
        source: WriteFailure,
    },
}

/// Imports NDJSON, or one JSON array, from `input` into `account`; the
/// outcome's line numbers are the file's.
/// `progress` is called with the bytes consumed so far after each chunk.
pub fn import(
    input: impl Read,
    account: &Account,
    writer: &WriterHandle,
    audit: &AuditLog,
    limits: &Limits,
    mut progress: impl FnMut(u64),
) -> Result<BatchOutcome, ImportError> {
    let mut reader = std::io::BufReader::with_capacity(1 << 20, input);
    // The shape is told as the HTTP path tells it, from the first non-blank
    // character, without reading the whole file.
    let shape = loop {
        let buffer = reader.fill_buf().map_err(|source| ImportError::Read { line: 0, source })?;
        if buffer.is_empty() {
            break BatchShape::Ndjson;
        }
        match BatchShape::detect(buffer) {
            Ok(shape) => break shape,
            Err(blank) => reader.consume(blank),
        }
    };
    let mut summary = BatchOutcome::default();
    if shape == BatchShape::JsonArray {
        let items: Vec<Value> =
            serde_json::from_reader(&mut reader).map_err(ImportError::MalformedArray)?;
        let mut line = 0;
        let mut items = items.into_iter();
        loop {
            let mut batch = CheckedBatch::default();
            for item in items.by_ref().take(CHUNK_LINES) {
                line += 1;
                match CheckedEvent::check(line, item, limits) {
                    Ok(event) => batch.events.push(event),
                    Err(rejection) => batch.rejections.push(rejection),
                }
            }
            if batch.events.is_empty() && batch.rejections.is_empty() {
                break;
            }
            let first_line = line + 1 - batch.events.len() - batch.rejections.len();
            commit(batch, 0, first_line, account, writer, audit, &mut summary)?;
            progress(0);
        }
        return Ok(summary);
    }

    let mut consumed: u64 = 0;
    let mut lines_read = 0;
    let mut chunk = String::new();
    loop {
        chunk.clear();
        let first_line = lines_read + 1;
        let mut lines_in_chunk = 0;
        while lines_in_chunk < CHUNK_LINES {
            let read = reader
                .read_line(&mut chunk)
                .map_err(|source| ImportError::Read { line: lines_read, source })?;
            if read == 0 {
                break;
            }
            consumed += read as u64;
            lines_read += 1;
            lines_in_chunk += 1;
        }
        if lines_in_chunk == 0 {
            break;
        }
        let chunk_limits = Limits { max_events_per_batch: CHUNK_LINES, ..*limits };
        match check_batch(chunk.as_bytes(), &chunk_limits) {
            Ok(batch) => {
                commit(batch, first_line - 1, first_line, account, writer, audit, &mut summary)?
            }
            // A chunk of blank lines holds nothing; a chunk with no JSON line at all
            // is rejected line by line, like the HTTP path's per-line rejections.
            Err(tally_events::BatchError::Empty) => {}
            Err(_) => {
                for (offset, text) in chunk.split('\n').enumerate() {
                    let text = text.trim();
                    if text.is_empty() {
                        continue;
                    }
                    if let Err(error) = serde_json::from_str::<Value>(text) {
                        summary.rejections.push(Rejection {
                            line: first_line + offset,
                            field: None,
                            problem: tally_events::Problem::Syntax { reason: error.to_string() },
                        });
                    }
                }
            }
        }
        progress(consumed);
    }
    Ok(summary)
}

fn commit(
    mut batch: CheckedBatch,
    line_offset: usize,
    first_line: usize,
    account: &Account,
    writer: &WriterHandle,
    audit: &AuditLog,
    summary: &mut BatchOutcome,
) -> Result<(), ImportError> {
    for event in &mut batch.events {
        event.line += line_offset;
    }
    for rejection in &mut batch.rejections {
        rejection.line += line_offset;
    }
    summary.rejections.append(&mut batch.rejections);
    let mut audit_batch = AuditBatch::default();
    let records: Vec<EventRecord> =
        batch.events.into_iter().filter_map(|event| audit_batch.take(event)).collect();
    let audited = audit
        .append(&account.slug, audit_batch, chrono::Utc::now())
        .map_err(|source| ImportError::Audit { first_line, source })?;
    summary.merge(audited);
    if records.is_empty() {
        return Ok(());
    }
    let outcome = writer
        .append_blocking(account.id, records)
        .map_err(|source| ImportError::Write { first_line, source })?;
    summary.add_stored(outcome);
    Ok(())
}
