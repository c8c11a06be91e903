//! Reading a request body (NDJSON or a JSON array) into checked events.

use std::num::NonZeroUsize;

use serde_json::Value;

use crate::check::check_top_level;
use crate::error::{BatchError, Problem, Rejection};
use crate::event::Event;
use crate::limits::Limits;
use crate::object::{EventFields, TopLevel};

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

    /// Checks an event whose fields a reader of another format handed over
    /// one by one, as found at `line`.
    pub fn check_fields(
        line: usize,
        fields: EventFields<'_>,
        limits: &Limits,
    ) -> Result<CheckedEvent, Rejection> {
        CheckedEvent::check_read(line, TopLevel::Object(fields.object), limits)
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

    /// The shape of a whole body already read as text, or `None` when it is
    /// blank. The same answer as [`BatchShape::detect`], without validating a
    /// body of megabytes as UTF-8 a second time.
    fn of_text(text: &str) -> Option<BatchShape> {
        match text.trim_start().chars().next()? {
            '[' => Some(BatchShape::JsonArray),
            _ => Some(BatchShape::Ndjson),
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
    match BatchShape::of_text(text) {
        Some(BatchShape::JsonArray) => check_array(text, limits, each),
        Some(BatchShape::Ndjson) => check_ndjson(text, limits, each),
        None => Err(BatchError::Empty),
    }
}

/// NDJSON bodies shorter than this are checked on one thread, whatever was
/// asked: starting another costs more than it saves.
const PARALLEL_FROM_BYTES: usize = 64 * 1024;

/// Reads a body as [`check_batch_with`] does, with an NDJSON body's lines cut
/// into up to `threads` runs of about the same size, each checked on a thread
/// of its own: a batch of ten thousand lines is answered sooner when both of a
/// machine's cores check it. The events of each run go to that run's part, made
/// by `start`; the parts come back in body order, then the rejections, in line
/// order. The answer is the one [`check_batch_with`] gives, errors for the
/// whole body included. A JSON array, or a short body, is one part.
pub fn check_batch_parallel<T: Send>(
    body: &[u8],
    limits: &Limits,
    threads: NonZeroUsize,
    start: impl Fn() -> T + Sync,
    each: impl Fn(&mut T, CheckedEvent) + Sync,
) -> Result<(Vec<T>, Vec<Rejection>), BatchError> {
    check_parallel_from(body, limits, threads, PARALLEL_FROM_BYTES, start, each)
}

/// [`check_batch_parallel`], with bodies of `from_bytes` or more cut into runs.
fn check_parallel_from<T: Send>(
    body: &[u8],
    limits: &Limits,
    threads: NonZeroUsize,
    from_bytes: usize,
    start: impl Fn() -> T + Sync,
    each: impl Fn(&mut T, CheckedEvent) + Sync,
) -> Result<(Vec<T>, Vec<Rejection>), BatchError> {
    let text = std::str::from_utf8(body)
        .map_err(|error| BatchError::NotUtf8 { offset: error.valid_up_to() })?;
    let shape = BatchShape::of_text(text).ok_or(BatchError::Empty)?;
    if shape == BatchShape::JsonArray || threads.get() == 1 || text.len() < from_bytes {
        let mut part = start();
        let rejections = match shape {
            BatchShape::JsonArray => check_array(text, limits, |event| each(&mut part, event))?,
            BatchShape::Ndjson => check_ndjson(text, limits, |event| each(&mut part, event))?,
        };
        return Ok((vec![part], rejections));
    }
    let runs = line_runs(text, threads.get());
    let checked: Vec<(T, LinesChecked)> = std::thread::scope(|scope| {
        let (start, each) = (&start, &each);
        let check_run = move |(first_index, run): (usize, &str)| {
            let mut part = start();
            let lines = check_lines(run, first_index, limits, |event| each(&mut part, event));
            (part, lines)
        };
        let mut runs = runs.into_iter();
        let first = runs.next().expect("a body of at least one line");
        let others: Vec<_> = runs.map(|run| scope.spawn(move || check_run(run))).collect();
        let mut checked = vec![check_run(first)];
        checked.extend(
            others.into_iter().map(|other| other.join().expect("checking lines does not panic")),
        );
        checked
    });
    let mut parts = Vec::with_capacity(checked.len());
    let mut all = LinesChecked::default();
    for (part, lines) in checked {
        parts.push(part);
        all.lines_seen += lines.lines_seen;
        all.any_json |= lines.any_json;
        all.rejections.extend(lines.rejections);
    }
    // Each run stopped at its own first line past the limit; the body as a
    // whole went past it wherever the runs' lines add up past it.
    if all.lines_seen > limits.max_events_per_batch {
        return Err(BatchError::TooManyEvents {
            count: limits.max_events_per_batch + 1,
            max: limits.max_events_per_batch,
        });
    }
    all.into_result().map(|rejections| (parts, rejections))
}

/// `text` cut at line ends into up to `runs` runs of about the same size, each
/// with the 0-based index of its first line in `text`.
fn line_runs(text: &str, runs: usize) -> Vec<(usize, &str)> {
    let mut cut = Vec::with_capacity(runs);
    let (mut rest, mut first_index) = (text, 0);
    for left in (1..=runs).rev() {
        let end = if left == 1 {
            rest.len()
        } else {
            // The run ends at the first line end at or after its share.
            let from = (rest.len() / left).saturating_sub(1);
            match rest.as_bytes()[from..].iter().position(|byte| *byte == b'\n') {
                Some(at) => from + at + 1,
                None => rest.len(),
            }
        };
        let (run, after) = rest.split_at(end);
        cut.push((first_index, run));
        rest = after;
        if rest.is_empty() {
            break;
        }
        first_index += line_ends(run);
    }
    cut
}

/// The number of `\n` in `text`, counted 64 bytes at a time into a byte-wide
/// sum, which the compiler turns into vector compares. Counted byte by byte
/// it was about a twentieth of checking a large batch, 15 times as slow.
fn line_ends(text: &str) -> usize {
    let mut chunks = text.as_bytes().chunks_exact(64);
    let mut count = 0;
    for chunk in &mut chunks {
        count += usize::from(chunk.iter().map(|byte| u8::from(*byte == b'\n')).sum::<u8>());
    }
    count + chunks.remainder().iter().filter(|byte| **byte == b'\n').count()
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
    each: impl FnMut(CheckedEvent),
) -> Result<Vec<Rejection>, BatchError> {
    let lines = check_lines(text, 0, limits, each);
    if lines.lines_seen > limits.max_events_per_batch {
        return Err(BatchError::TooManyEvents {
            count: lines.lines_seen,
            max: limits.max_events_per_batch,
        });
    }
    lines.into_result()
}

/// What checking a run of NDJSON lines found, besides its events.
#[derive(Debug, Default)]
struct LinesChecked {
    rejections: Vec<Rejection>,
    /// Non-blank lines read; one more than the limit when the run stopped there.
    lines_seen: usize,
    any_json: bool,
}

impl LinesChecked {
    /// The rejections, or the error for a body with no line or no JSON line.
    fn into_result(self) -> Result<Vec<Rejection>, BatchError> {
        if self.lines_seen == 0 {
            return Err(BatchError::Empty);
        }
        if !self.any_json {
            let first = self.rejections.first().expect("every non-blank line was rejected");
            let Problem::Syntax { reason } = &first.problem else {
                unreachable!("without any JSON line, every rejection is a syntax error")
            };
            return Err(BatchError::NotJson {
                first_line: first.line,
                first_reason: reason.clone(),
            });
        }
        Ok(self.rejections)
    }
}

/// Checks the lines of `text`, whose first line has the 0-based index
/// `first_index` in the body, stopping at the first non-blank line past the
/// batch limit.
fn check_lines(
    text: &str,
    first_index: usize,
    limits: &Limits,
    mut each: impl FnMut(CheckedEvent),
) -> LinesChecked {
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
            break;
        }
        let line_number = first_index + index + 1;
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
    LinesChecked { rejections, lines_seen, any_json }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;

    use proptest::prelude::*;

    use super::{BatchShape, check_batch_with, check_parallel_from, line_ends, line_runs};
    use crate::{CheckedEvent, Limits};

    fn check(start: &[u8], expected: Result<BatchShape, usize>) {
        assert_eq!(BatchShape::detect(start), expected, "{:?}", String::from_utf8_lossy(start));
        // A whole body read as text has the shape its start has, or none.
        if let Ok(text) = std::str::from_utf8(start) {
            assert_eq!(BatchShape::of_text(text), expected.ok(), "{text:?}");
        }
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

    /// Lines of every sort a body may hold: events, rejected events, blank lines,
    /// text that is not JSON, other JSON values, and carriage returns.
    const LINES: &[&str] = &[
        r#"{"id":"e1","kind":"login","at":"2026-03-02T08:00:00+01:00","user":"u1"}"#,
        r#"{"id":"e2","at":"2026-03-02T08:00:00Z","kind":"page_visit","user":"u2","page":"/a","properties":{"b":1,"a":[2]}}"#,
        r#"{"id":"e3","kind":"login","at":"yesterday","user":"u1"}"#,
        r#"{"id":"e4","kind":"login","at":"2026-03-02T08:00:00Z","user":"u1","user":"u2"}"#,
        r#"{"id":"é5","kind":"login","at":"2026-03-02T08:00:00Z","user":"ü"}"#,
        "",
        "   \r",
        "not json",
        "[1,2]",
        "{\"id\":",
    ];

    /// A body of `lines`, each an index into [`LINES`].
    fn body_of(lines: &[usize], line_end: &str) -> String {
        lines.iter().map(|line| LINES[*line]).collect::<Vec<_>>().join(line_end)
    }

    proptest! {
        #[test]
        fn checking_in_runs_gives_what_checking_in_one_gives(
            lines in proptest::collection::vec(0..LINES.len(), 0..40),
            line_end in prop_oneof!["\n", "\r\n", "\n\n"],
            threads in 1_usize..5,
            max_events_per_batch in 1_usize..30,
            as_array in proptest::bool::weighted(0.1),
        ) {
            let body = if as_array {
                format!("[{}]", body_of(&lines, ","))
            } else {
                body_of(&lines, &line_end)
            };
            let limits = Limits { max_events_per_batch, ..Limits::default() };
            let mut expected_events = Vec::new();
            let expected = check_batch_with(body.as_bytes(), &limits, |event| expected_events.push(event));
            let threads = NonZeroUsize::new(threads).expect("at least one");
            let got = check_parallel_from(body.as_bytes(), &limits, threads, 0, Vec::new, |part: &mut Vec<CheckedEvent>, event| part.push(event));
            match (expected, got) {
                (Ok(expected_rejections), Ok((parts, rejections))) => {
                    prop_assert!(parts.len() <= threads.get());
                    prop_assert_eq!(parts.concat(), expected_events);
                    prop_assert_eq!(rejections, expected_rejections);
                }
                (expected, got) => prop_assert_eq!(expected, got.map(|(_, rejections)| rejections)),
            }
        }
    }

    #[test]
    fn line_ends_are_counted_on_both_sides_of_every_64_bytes() {
        assert_eq!(line_ends(""), 0);
        assert_eq!(line_ends(&"\n".repeat(200)), 200);
        // 130 bytes with line ends at 0, 63, 64, 127 and 129: the first and last
        // byte of the first two 64-byte chunks, and two in the 2 bytes left over.
        let mut text = vec![b'x'; 130];
        for at in [0, 63, 64, 127, 129] {
            text[at] = b'\n';
        }
        assert_eq!(line_ends(std::str::from_utf8(&text).unwrap()), 5);
        // 300 lines of "é\n", 3 bytes each: no chunk ends on a character boundary.
        assert_eq!(line_ends(&"é\n".repeat(300)), 300);
    }

    #[test]
    fn runs_end_at_line_ends_and_know_their_first_line() {
        // Lines 0 to 5, 8 bytes each with their line end.
        let text = "aaaaaaa\nbbbbbbb\nccccccc\nddddddd\neeeeeee\nfffffff\n";
        // A third of 48 bytes is 16, the end of line 1; then half of the 32 left.
        assert_eq!(
            line_runs(text, 3),
            [(0, "aaaaaaa\nbbbbbbb\n"), (2, "ccccccc\nddddddd\n"), (4, "eeeeeee\nfffffff\n")]
        );
        // A quarter of 48 is 12, inside line 1: the run takes the whole line.
        // Then a third of the 32 left is 10, inside line 3; then half of the 16
        // left is 8, the end of line 4; line 5 is the last run.
        assert_eq!(
            line_runs(text, 4),
            [
                (0, "aaaaaaa\nbbbbbbb\n"),
                (2, "ccccccc\nddddddd\n"),
                (4, "eeeeeee\n"),
                (5, "fffffff\n")
            ]
        );
        // One long line cannot be cut: one run, even where four were asked for.
        assert_eq!(line_runs("{\"é\":1}", 4), [(0, "{\"é\":1}")]);
    }
}

#[cfg(test)]
mod event_fields_tests {
    use std::borrow::Cow;

    use serde_json::json;

    use super::*;

    fn login(user: Cow<'static, str>) -> EventFields<'static> {
        let mut fields = EventFields::new();
        fields.text("id", Cow::Borrowed("e1"));
        fields.text("kind", Cow::Borrowed("login"));
        fields.text("at", Cow::Borrowed("2026-03-02T09:00:00+01:00"));
        fields.text("user", user);
        fields
    }

    #[test]
    fn fields_handed_over_are_checked_as_the_line_holding_them() {
        let mut fields = login(Cow::Borrowed(" u1 "));
        fields.properties(Cow::Borrowed(r#"{"b": 1.50, "a": [1]}"#));
        let handed = CheckedEvent::check_fields(3, fields, &Limits::default()).unwrap();
        let line = json!({"id":"e1","kind":"login","at":"2026-03-02T09:00:00+01:00","user":" u1 ","properties":{"b":1.50,"a":[1]}});
        let read = CheckedEvent::check(3, line, &Limits::default()).unwrap();
        assert_eq!(handed.canonical_json, read.canonical_json);
        assert_eq!(
            handed.canonical_json,
            r#"{"id":"e1","at":"2026-03-02T08:00:00Z","kind":"login","user":"u1","properties":{"a":[1],"b":1.5}}"#
        );
    }

    #[test]
    fn a_field_handed_over_twice_is_rejected() {
        let mut fields = login(Cow::Borrowed("u1"));
        fields.text("user", Cow::Borrowed("u2"));
        let rejection = CheckedEvent::check_fields(1, fields, &Limits::default()).unwrap_err();
        assert_eq!(
            (rejection.field.as_deref(), rejection.problem.code()),
            (Some("user"), "unknown_field")
        );
        let mut typed = login(Cow::Borrowed("u1"));
        typed.value("organization", json!(7));
        let rejection = CheckedEvent::check_fields(1, typed, &Limits::default()).unwrap_err();
        assert_eq!(rejection.problem.code(), "wrong_type");
    }
}
