//! CloudEvents 1.0 over HTTP: structured (`application/cloudevents+json`),
//! batched (`application/cloudevents-batch+json`) and binary (`ce-*` headers)
//! modes, served where OpenMeter's SDKs send (`POST /api/v1/events`).

use std::borrow::Cow;

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::envelope::{self, BodyError, Envelope};
use crate::message::{Call, Format, Message, Untranslatable};
use crate::raw::{Members, is_null, message_members, string_raw, take_object, take_text, text_of};

/// The longest `{id}@{source}` kept as the event's id as it is; a longer one
/// is hashed (an event's id holds at most 128 bytes).
const MAX_READABLE_ID_BYTES: usize = 128;

/// How a request carries its events, told by its `Content-Type` and headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One event as a JSON object.
    Structured,
    /// A JSON array of events.
    Batched,
    /// One event: attributes in `ce-*` headers, data in the body.
    Binary,
}

impl Mode {
    /// The mode of a request with this `Content-Type` (its media type, no
    /// parameters) and whether it has a `ce-specversion` header.
    pub fn of(media_type: Option<&str>, has_specversion_header: bool) -> Mode {
        match media_type {
            Some("application/cloudevents-batch+json") => Mode::Batched,
            Some("application/cloudevents+json") => Mode::Structured,
            _ if has_specversion_header => Mode::Binary,
            // OpenMeter's SDKs send an array as JSON when they batch.
            _ => Mode::Structured,
        }
    }
}

/// Reads a structured or batched body. A structured body that is an array is
/// read as a batch.
pub fn read_body(body: &[u8], max_messages: usize) -> Result<Envelope<'_>, BodyError> {
    let text = envelope::text(body)?;
    if text.trim_start().starts_with('[') {
        let messages =
            envelope::raw_array(text, "a batch of CloudEvents (a JSON array)", max_messages)?;
        return Ok(Envelope { write_key: None, messages });
    }
    let raw: &RawValue = envelope::object(text, "a CloudEvent (a JSON object)")?;
    Ok(Envelope { write_key: None, messages: vec![Cow::Borrowed(raw)] })
}

/// Builds the one event of a binary-mode request: its attributes from the
/// `ce-*` headers (percent-decoded), its data from the body, read as JSON when
/// the `Content-Type` is JSON and kept as text otherwise.
pub fn read_binary<'h>(
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Envelope<'static>, BodyError> {
    let mut event = Map::new();
    for (name, value) in headers {
        let Some(attribute) = name.strip_prefix("ce-") else { continue };
        let decoded = percent_encoding::percent_decode(value)
            .decode_utf8()
            .map_err(|_| BodyError::BadHeader { name: name.to_string() })?;
        event.insert(attribute.to_string(), Value::String(decoded.into_owned()));
    }
    for attribute in ["specversion", "id", "source", "type"] {
        if !event.contains_key(attribute) {
            return Err(BodyError::MissingHeader { attribute });
        }
    }
    if !body.is_empty() {
        let text = envelope::text(body)?;
        let json = content_type
            .is_some_and(|media| media == "application/json" || media.ends_with("+json"));
        let data = if json {
            serde_json::from_str(text).map_err(|error| BodyError::Malformed {
                expected: "JSON, as its Content-Type says",
                reason: error.to_string(),
            })?
        } else {
            Value::String(text.to_string())
        };
        event.insert("data".into(), data);
    }
    if let Some(media) = content_type {
        event.insert("datacontenttype".into(), Value::from(media));
    }
    let raw = RawValue::from_string(Value::Object(event).to_string())
        .expect("a JSON object serialises to valid JSON");
    Ok(Envelope { write_key: None, messages: vec![Cow::Owned(raw)] })
}

/// Reads one event; `received_at` (a JSON string) is its instant when it has
/// no `time`.
pub fn read_message<'a>(
    index: usize,
    raw: &'a RawValue,
    received_at: &'a RawValue,
) -> Result<Message<'a>, Untranslatable> {
    let mut members = message_members(index, raw)?;
    match take_text(index, &mut members, "specversion", "specversion")? {
        Some(version) if version.get() == "\"1.0\"" => {}
        Some(other) => {
            return Err(Untranslatable::field(
                index,
                "specversion",
                format!("{} is not a CloudEvents version Tally reads; send 1.0", other.get()),
            ));
        }
        None => {
            return Err(Untranslatable::field(
                index,
                "specversion",
                "required attribute is missing",
            ));
        }
    }
    let mut required = |name: &'static str| match take_text(index, &mut members, name, name)?
        .as_ref()
        .and_then(text_of)
    {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(Untranslatable::field(index, name, "required attribute is missing or empty")),
    };
    let (id, source, kind) = (required("id")?, required("source")?, required("type")?);
    let at = members
        .remove("time")
        .filter(|at| !is_null(at))
        .map(|at| (at, "time"))
        .unwrap_or((Cow::Borrowed(received_at), "received"));
    let subject = take_text(index, &mut members, "subject", "subject")?;
    let mut data = match members.remove("data") {
        None => Members::default(),
        Some(Cow::Borrowed(data)) if data.get().trim_start().starts_with('{') => {
            Members::parse(data).map_err(|reason| Untranslatable::field(index, "data", reason))?
        }
        Some(other) if is_null(other.as_ref()) => Members::default(),
        Some(other) => {
            let mut wrapped = Members::default();
            wrapped.insert_absent("data", other);
            wrapped
        }
    };
    if let Some(base64) = members.remove("data_base64") {
        data.insert_absent("data_base64", base64);
    }
    let user = match take_text(index, &mut data, "user", "data.user")? {
        Some(user) => Some((user, "data.user")),
        None => subject.map(|subject| (subject, "subject")),
    };
    let organization = take_text(index, &mut data, "organization", "data.organization")?
        .map(|organization| (organization, "data.organization"));
    // The event's other attributes (extensions among them) are kept with its data.
    let extensions = take_object(index, &mut members, "extensions", "extensions")?;
    for (name, value) in members.into_entries().into_iter().chain(extensions.into_entries()) {
        if name != "datacontenttype" && name != "dataschema" {
            data.insert_absent(format!("ce_{name}"), value);
        }
    }
    Ok(Message {
        index,
        format: Format::CloudEvents,
        id: string_raw(&event_id(&source, &id)),
        name: Some(kind),
        at,
        user,
        organization,
        call: Call::Named,
        properties: data,
        properties_source: "data",
    })
}

/// A CloudEvent is unique by `source` and `id`: the event's id is
/// `{id}@{source}`, or a hash of both when that is longer than an id may be.
fn event_id(source: &str, id: &str) -> String {
    let readable = format!("{id}@{source}");
    if readable.len() <= MAX_READABLE_ID_BYTES {
        return readable;
    }
    let mut hasher = Sha256::new();
    hasher.update(source.as_bytes());
    hasher.update([0]);
    hasher.update(id.as_bytes());
    format!("cloudevents-{}", hex::encode(&hasher.finalize()[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_readable_up_to_the_limit_and_hashed_beyond() {
        // "e1" + "@" + 125 bytes = 128: kept; one more byte: hashed, 12 + 32 hex.
        let source = "s".repeat(125);
        assert_eq!(event_id(&source, "e1"), format!("e1@{source}"));
        let longer = event_id(&format!("{source}s"), "e1");
        assert!(longer.starts_with("cloudevents-") && longer.len() == 12 + 32, "{longer}");
    }
}
