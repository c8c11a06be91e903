//! Errors of batch parsing: a whole body that cannot be read, or one event that is rejected.

use std::fmt;

use crate::kind::EventKind;

/// One rejected event: where it is in the batch, which field, and why.
///
/// `line` is 1-based: the line of an NDJSON body, or the element's position in a
/// JSON-array body. `field` is a path such as `teams[2]`, absent when the problem
/// is the event as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Rejection {
    /// 1-based position of the event in the batch.
    pub line: usize,
    /// Path of the offending field.
    pub field: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}, field `{field}`: {}", self.line, self.problem),
            None => write!(f, "line {}: {}", self.line, self.problem),
        }
    }
}

/// Why an event was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The line is not JSON.
    #[error("not valid JSON: {reason}")]
    Syntax {
        /// serde_json's description, with the column.
        reason: String,
    },
    /// The line is JSON but not an object.
    #[error("an event must be a JSON object, not {found}")]
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// A required field is absent or null.
    #[error(
        "required field is missing{}",
        .near.as_ref().map(|near| format!("; is `{near}` a misspelling of it?")).unwrap_or_default()
    )]
    Missing {
        /// A field the event has but its kind does not, whose name is close to
        /// the missing one's: likely a misspelling of it.
        near: Option<String>,
    },
    /// A field has the wrong JSON type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// The JSON type wanted.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A required text is empty or only whitespace.
    #[error("must not be empty")]
    Empty,
    /// A text is longer than its limit.
    #[error("is {len} bytes long; the limit is {max}")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// An instant is not RFC 3339 with an offset.
    #[error(
        "{value:?} is not an RFC 3339 instant with an offset (for example 2026-03-01T09:30:00Z)"
    )]
    BadInstant {
        /// The text given.
        value: String,
    },
    /// An instant is outside the years Tally accepts.
    #[error("{value:?} is outside the accepted years 2000 to 2099")]
    InstantOutOfRange {
        /// The text given.
        value: String,
    },
    /// A closed enumeration got a value it does not have.
    #[error("{value:?} is not one of: {expected}")]
    UnknownValue {
        /// The text given.
        value: String,
        /// The allowed values, comma-separated.
        expected: String,
    },
    /// A number is outside its range.
    #[error("{value} is outside the range {min} to {max}")]
    OutOfRange {
        /// The number given, as sent.
        value: String,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// A field this kind does not have (often a typo).
    #[error("unknown field for kind `{kind}`; its fields are: {allowed}")]
    UnknownField {
        /// The event's kind.
        kind: EventKind,
        /// The fields the kind accepts, comma-separated.
        allowed: String,
    },
    /// None of several alternative fields is present.
    #[error("at least one of {fields} is required")]
    NeedsOneOf {
        /// The alternatives, comma-separated.
        fields: &'static str,
    },
    /// An object gives one key twice: the event's own fields, or a key inside
    /// `properties`, `before` or `after` (the field path names it, such as
    /// `properties.plan`). Keeping either value would keep something other than
    /// what was sent.
    #[error("is given more than once in its object; give each key once")]
    DuplicateField,
    /// A number in a snapshot (`before`, `after`) that the audit log, which holds
    /// numbers as 64-bit integers and floats, would store as another number.
    #[error(
        "holds the number {value}, which the audit log cannot keep exactly (it holds 64-bit numbers)"
    )]
    InexactNumber {
        /// The number, as sent.
        value: String,
    },
    /// A list has more items than its limit.
    #[error("has {count} items; the limit is {max}")]
    TooManyItems {
        /// Items given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An audit entry older than its account keeps entries of its resource
    /// kind: it would be purged at once, and stored again if resent. Found when
    /// the entry is appended to the audit log, not by the checks.
    #[error(
        "the entry is older than the {days} days its account keeps {resources} entries, so it would be purged at once; it is not stored (lengthen the account's retention first to keep it)"
    )]
    PastRetention {
        /// The account's retention for the entry's resource kind, in days.
        days: u32,
        /// Which entries the period is for: `sign-in and account-access`, or `audit`.
        resources: &'static str,
    },
}

impl Problem {
    /// A stable machine-readable code for the problem, for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Syntax { .. } => "syntax",
            Problem::NotAnObject { .. } => "not_an_object",
            Problem::Missing { .. } => "missing_field",
            Problem::WrongType { .. } => "wrong_type",
            Problem::Empty => "empty",
            Problem::TooLong { .. } => "too_long",
            Problem::BadInstant { .. } => "bad_instant",
            Problem::InstantOutOfRange { .. } => "instant_out_of_range",
            Problem::UnknownValue { .. } => "unknown_value",
            Problem::OutOfRange { .. } => "out_of_range",
            Problem::UnknownField { .. } => "unknown_field",
            Problem::NeedsOneOf { .. } => "needs_one_of",
            Problem::TooManyItems { .. } => "too_many_items",
            Problem::PastRetention { .. } => "past_retention",
            Problem::DuplicateField => "duplicate_field",
            Problem::InexactNumber { .. } => "inexact_number",
        }
    }
}

/// Why a whole body could not be read as a batch; nothing of it is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// The body holds no event.
    #[error("the body holds no event")]
    Empty,
    /// The body is not UTF-8.
    #[error("the body is not UTF-8: invalid byte at offset {offset}")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The body starts like a JSON array but is not one.
    #[error("the body starts with `[` but is not a JSON array: {reason}")]
    MalformedArray {
        /// serde_json's description, with line and column.
        reason: String,
    },
    /// No line of the body is JSON, so it is neither NDJSON nor a JSON array.
    #[error(
        "the body is neither NDJSON nor a JSON array: no line is JSON (line {first_line}: {first_reason})"
    )]
    NotJson {
        /// The first non-blank line.
        first_line: usize,
        /// Why it failed.
        first_reason: String,
    },
    /// The batch holds more events than allowed.
    #[error("the batch holds {count} events; the limit is {max} per batch")]
    TooManyEvents {
        /// Events counted: an array's length, or for NDJSON the limit + 1 (reading
        /// stops at the first line over the limit).
        count: usize,
        /// The limit.
        max: usize,
    },
}
