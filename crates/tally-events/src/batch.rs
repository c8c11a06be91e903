//! Reading a request body (NDJSON or a JSON array) into checked events.

use serde_json::Value;

use crate::check::check_top_level;
use crate::error::{BatchError, Problem, Rejection};
use crate::event::Event;
use crate::limits::Limits;
use crate::object::TopLevel;

/// A batch after checking: the events that passed and the lines that did not.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckedBatch {
    /// Events that passed, in batch order.
    pub events: Vec<CheckedEvent>,
    /// Lines that were rejected, in batch order.
    pub rejections: Vec<Rejection>,
}

/// One event that passed checking, with its canonical JSON already rendered so
/// the store's writer does not spend its time serialising.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedEvent {
    /// 1-based position in the batch.
    pub line: usize,
    /// The typed event.
    pub event: Event,
    /// [`Event::canonical_json`] of `event`.
    pub canonical_json: String,
}

impl CheckedEvent {
    /// Checks one JSON value found at `line`.
    pub fn check(line: usize, value: Value, limits: &Limits) -> Result<CheckedEvent, Rejection> {
        CheckedEvent::check_read(line, value.into(), limits)
    }

    fn check_read(
        line: usize,
        value: TopLevel,
        limits: &Limits,
    ) -> Result<CheckedEvent, Rejection> {
        let event = check_top_level(line, value, limits)?;
        let canonical_json = event.canonical_json();
        Ok(CheckedEvent { line, event, canonical_json })
    }
}

/// Reads a body as a batch.
///
/// A body whose first non-blank byte is `[` is a JSON array and must parse whole;
/// anything else is NDJSON, one event per line, blank lines ignored but counted.
/// A line that is not JSON is rejected on its own, unless no line at all is JSON:
/// then the body is not NDJSON and the whole batch fails.
pub fn check_batch(body: &[u8], limits: &Limits) -> Result<CheckedBatch, BatchError> {
    let mut events = Vec::new();
    let rejections = check_batch_with(body, limits, |event| events.push(event))?;
    Ok(CheckedBatch { events, rejections })
}

/// Reads a body as [`check_batch`] does, handing each event that passes to `each`
/// as soon as it is checked, and returns the rejections.
///
/// A checked event holds its typed form and its canonical JSON, several times the
/// bytes of its line: a caller that keeps only part of each (the ingest daemon
/// keeps what the store writes) need not hold a whole batch of them at once.
/// On an error for the whole body, events already handed over are to be dropped.
pub fn check_batch_with(
    body: &[u8],
    limits: &Limits,
    each: impl FnMut(CheckedEvent),
) -> Result<Vec<Rejection>, BatchError> {
    let text = std::str::from_utf8(body)
        .map_err(|error| BatchError::NotUtf8 { offset: error.valid_up_to() })?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(BatchError::Empty);
    }
    if trimmed.starts_with('[') {
        check_array(text, limits, each)
    } else {
        check_ndjson(text, limits, each)
    }
}

fn check_array(
    text: &str,
    limits: &Limits,
    mut each: impl FnMut(CheckedEvent),
) -> Result<Vec<Rejection>, BatchError> {
    let items: Vec<TopLevel> = serde_json::from_str(text)
        .map_err(|error| BatchError::MalformedArray { reason: error.to_string() })?;
    if items.is_empty() {
        return Err(BatchError::Empty);
    }
    if items.len() > limits.max_events_per_batch {
        return Err(BatchError::TooManyEvents {
            count: items.len(),
            max: limits.max_events_per_batch,
        });
    }
    let mut rejections = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match CheckedEvent::check_read(index + 1, item, limits) {
            Ok(event) => each(event),
            Err(rejection) => rejections.push(rejection),
        }
    }
    Ok(rejections)
}

fn check_ndjson(
    text: &str,
    limits: &Limits,
    mut each: impl FnMut(CheckedEvent),
) -> Result<Vec<Rejection>, BatchError> {
    let mut rejections = Vec::new();
    let mut lines_seen = 0;
    let mut any_json = false;
    for (index, line) in text.split('\n').enumerate() {
        let line_text = line.trim();
        if line_text.is_empty() {
            continue;
        }
        lines_seen += 1;
        if lines_seen > limits.max_events_per_batch {
            return Err(BatchError::TooManyEvents {
                count: lines_seen,
                max: limits.max_events_per_batch,
            });
        }
        let line_number = index + 1;
        match serde_json::from_str::<TopLevel>(line_text) {
            Ok(value) => {
                any_json = true;
                match CheckedEvent::check_read(line_number, value, limits) {
                    Ok(event) => each(event),
                    Err(rejection) => rejections.push(rejection),
                }
            }
            Err(error) => rejections.push(Rejection {
                line: line_number,
                field: None,
                problem: Problem::Syntax { reason: error.to_string() },
            }),
        }
    }
    if lines_seen == 0 {
        return Err(BatchError::Empty);
    }
    if !any_json {
        let first = rejections.first().expect("every non-blank line was rejected");
        let Problem::Syntax { reason } = &first.problem else {
            unreachable!("without any JSON line, every rejection is a syntax error")
        };
        return Err(BatchError::NotJson { first_line: first.line, first_reason: reason.clone() });
    }
    Ok(rejections)
}
