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
    /// The canonical JSON earlier versions of Tally gave this event, when it is
    /// not `canonical_json`: they read `properties` into 64-bit numbers, so
    /// `123456789012345678901234567890` became `1.2345678901234568e+29`. The
    /// store takes an event stored with it for this event, so that an event
    /// stored then and resent now is a duplicate, not a conflict.
    pub earlier_canonical_json: Option<String>,
}

impl CheckedEvent {
    /// Checks one JSON value found at `line`.
    pub fn check(line: usize, value: Value, limits: &Limits) -> Result<CheckedEvent, Rejection> {
        CheckedEvent::check_read(line, value.into(), limits)
    }

    fn check_read(
        line: usize,
        value: TopLevel<'_>,
        limits: &Limits,
    ) -> Result<CheckedEvent, Rejection> {
        let (mut event, earlier_properties) = check_top_level(line, value, limits)?;
        let canonical_json = event.canonical_json();
        let earlier_canonical_json = earlier_properties.map(|earlier| {
            let exact = event.properties.replace(earlier);
            let earlier_json = event.canonical_json();
            event.properties = exact;
            earlier_json
        });
        Ok(CheckedEvent { line, event, canonical_json, earlier_canonical_json })
    }
}

/// How a body holds its events, told by its first non-blank character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchShape {
    /// One JSON array of events: the first non-blank character is `[`.
    JsonArray,
    /// One event per line: anything else.
    Ndjson,
}

impl BatchShape {
    /// The shape of a body that starts with `start`, or `Err(blank)` when the
    /// first `blank` bytes are blank and say nothing yet: a reader skips them
    /// and looks at what follows (an input that ends there holds no event).
    ///
    /// Blank is Unicode white space, as lines are trimmed. A start that is not
    /// UTF-8 is NDJSON, whose line reading then reports the bad bytes.
    pub fn detect(start: &[u8]) -> Result<BatchShape, usize> {
        let text = match std::str::from_utf8(start) {
            Ok(text) => text,
            Err(error) => {
                std::str::from_utf8(&start[..error.valid_up_to()]).expect("valid up to valid_up_to")
            }
        };
        match text.trim_start().chars().next() {
            Some('[') => Ok(BatchShape::JsonArray),
            Some(_) => Ok(BatchShape::Ndjson),
            None if text.is_empty() && !start.is_empty() => Ok(BatchShape::Ndjson),
            None => Err(text.len()),
        }
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
    match BatchShape::detect(body) {
        Ok(BatchShape::JsonArray) => check_array(text, limits, each),
        Ok(BatchShape::Ndjson) => check_ndjson(text, limits, each),
        Err(_) => Err(BatchError::Empty),
    }
}

fn check_array(
    text: &str,
    limits: &Limits,
    mut each: impl FnMut(CheckedEvent),
) -> Result<Vec<Rejection>, BatchError> {
    let items: Vec<TopLevel<'_>> = serde_json::from_str(text)
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

#[cfg(test)]
mod tests {
    use super::BatchShape;

    fn check(start: &[u8], expected: Result<BatchShape, usize>) {
        assert_eq!(BatchShape::detect(start), expected, "{:?}", String::from_utf8_lossy(start));
    }

    #[test]
    fn the_first_non_blank_character_tells_the_shape() {
        check(b"  \n[{}]", Ok(BatchShape::JsonArray));
        check(b"{\"id\":\"a\"}\n", Ok(BatchShape::Ndjson));
        // "\u{a0}" is white space to `trim`, as it is to the line reader.
        check("\u{a0}[".as_bytes(), Ok(BatchShape::JsonArray));
        check(b"\xff[", Ok(BatchShape::Ndjson));
        // Three blank bytes, then nothing yet: skip them and read on.
        check(b" \n\t", Err(3));
        check(b"", Err(0));
        // A blank byte, then the first byte of a two-byte character.
        check(b" \xc2", Err(1));
    }
}
