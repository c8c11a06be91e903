//! What every format's body reader gives: the write key the body carries, and
//! its messages, each still raw JSON, so that the messages of a large body are
//! read on several threads.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::raw::{Raw, string_raw};

/// A body's messages and the write key it carries, if any.
#[derive(Debug)]
pub struct Envelope<'a> {
    /// The write key given in the body (Segment `writeKey`, PostHog `api_key`).
    pub write_key: Option<String>,
    /// The messages, in body order, not yet read.
    pub messages: Vec<Cow<'a, RawValue>>,
}

/// Why a whole body was refused; nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not UTF-8.
    #[error("the body is not UTF-8: invalid byte at offset {offset}")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// Not JSON, or not the JSON the format expects.
    #[error("the body is not {expected}: {reason}")]
    Malformed {
        /// What the format expects, such as "a Segment batch".
        expected: &'static str,
        /// serde_json's reason, with line and column.
        reason: String,
    },
    /// No message in it.
    #[error("the body holds no message")]
    Empty,
    /// More messages than a batch may hold.
    #[error("the body holds {count} messages; the limit is {max} per batch")]
    TooManyMessages {
        /// Messages in the body.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A CloudEvents binary-mode request without a required `ce-` header.
    #[error("a binary-mode CloudEvent needs the header `ce-{attribute}`")]
    MissingHeader {
        /// The attribute missing.
        attribute: &'static str,
    },
    /// A header that is not text.
    #[error("the header `{name}` is not UTF-8 text once percent-decoded")]
    BadHeader {
        /// The header's name.
        name: String,
    },
}

/// The body as UTF-8 text.
pub(crate) fn text(body: &[u8]) -> Result<&str, BodyError> {
    std::str::from_utf8(body).map_err(|error| BodyError::NotUtf8 { offset: error.valid_up_to() })
}

/// The messages of a JSON array, kept raw.
pub(crate) fn raw_array<'a>(
    text: &'a str,
    expected: &'static str,
    max: usize,
) -> Result<Vec<Cow<'a, RawValue>>, BodyError> {
    let messages: Vec<&RawValue> = serde_json::from_str(text)
        .map_err(|error| BodyError::Malformed { expected, reason: error.to_string() })?;
    counted(messages.into_iter().map(Cow::Borrowed).collect(), max)
}

/// `messages`, refused when there are none or too many.
pub(crate) fn counted(
    messages: Vec<Cow<'_, RawValue>>,
    max: usize,
) -> Result<Vec<Cow<'_, RawValue>>, BodyError> {
    match messages.len() {
        0 => Err(BodyError::Empty),
        count if count > max => Err(BodyError::TooManyMessages { count, max }),
        _ => Ok(messages),
    }
}

/// A body that is one JSON object whose members are read borrowed.
pub(crate) fn object<'a, T: Deserialize<'a>>(
    text: &'a str,
    expected: &'static str,
) -> Result<T, BodyError> {
    serde_json::from_str(text)
        .map_err(|error| BodyError::Malformed { expected, reason: error.to_string() })
}

/// The id of a message sent without one: the same message sent again gets the
/// same id, so that it is recognised as a duplicate.
pub(crate) fn derived_id<'a>(format: &str, raw: &RawValue) -> Raw<'a> {
    let digest = Sha256::digest(raw.get().as_bytes());
    string_raw(&format!("{format}-{}", hex::encode(&digest[..16])))
}
