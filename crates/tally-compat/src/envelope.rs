//! What every format's body reader gives: the write key the body carries, and
//! its messages, each still raw JSON, so that the messages of a large body are
//! read on several threads.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::message::Untranslatable;

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

/// One message's members, or why it is not a JSON object.
pub(crate) fn members(index: usize, raw: &RawValue) -> Result<Map<String, Value>, Untranslatable> {
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::Object(members)) => Ok(members),
        Ok(other) => Err(Untranslatable::whole(
            index,
            format!("a message must be a JSON object, not {}", json_type(&other)),
        )),
        Err(error) => Err(Untranslatable::whole(index, format!("not valid JSON: {error}"))),
    }
}

/// The id of a message sent without one: the same message sent again gets the
/// same id, so that it is recognised as a duplicate.
pub(crate) fn derived_id(format: &str, raw: &RawValue) -> String {
    let digest = Sha256::digest(raw.get().as_bytes());
    format!("{format}-{}", hex::encode(&digest[..16]))
}

/// A text member, its JSON type checked: a number is taken as its decimal
/// text, as SDKs send numeric user ids.
pub(crate) fn text_member(
    index: usize,
    members: &mut Map<String, Value>,
    name: &str,
) -> Result<Option<Value>, Untranslatable> {
    match members.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(Value::String(text))),
        Some(Value::Number(number)) => Ok(Some(Value::String(number.to_string()))),
        Some(other) => Err(Untranslatable::field(
            index,
            name,
            format!("expected a string, found {}", json_type(&other)),
        )),
    }
}

/// An object member, absent as empty.
pub(crate) fn object_member(
    index: usize,
    members: &mut Map<String, Value>,
    name: &str,
) -> Result<Map<String, Value>, Untranslatable> {
    match members.remove(name) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(object)) => Ok(object),
        Some(other) => Err(Untranslatable::field(
            index,
            name,
            format!("expected an object, found {}", json_type(&other)),
        )),
    }
}

/// JSON's name for a value's type, as the event checker words it.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
