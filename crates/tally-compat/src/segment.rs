//! Segment's HTTP tracking API: `POST /v1/batch` and the single calls
//! `/v1/track`, `/v1/identify`, `/v1/page`, `/v1/screen`, `/v1/group`, `/v1/alias`.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::envelope::{self, BodyError, Envelope, derived_id};
use crate::message::{Call, Format, Message, Untranslatable};
use crate::raw::{
    Members, as_object, is_null, is_string, optional_text, read_typed, take_text, text_of,
};

/// Segment's limit on a batch's body, in bytes (500 KB).
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// Segment's limit on one message, in bytes (32 KB).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;

/// The call a message makes: its `type`, or the path it was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentCall {
    /// `track`: an event by name.
    Track,
    /// `identify`: the user's traits.
    Identify,
    /// `page`: a web page viewed.
    Page,
    /// `screen`: an app screen viewed.
    Screen,
    /// `group`: the user joins a group.
    Group,
    /// `alias`: two ids of one user.
    Alias,
}

impl SegmentCall {
    /// Every call, in the order Segment documents them.
    pub const ALL: [SegmentCall; 6] = [
        SegmentCall::Track,
        SegmentCall::Identify,
        SegmentCall::Page,
        SegmentCall::Screen,
        SegmentCall::Group,
        SegmentCall::Alias,
    ];

    /// Its name, as in a message's `type` and the path `/v1/{name}`.
    pub fn name(self) -> &'static str {
        match self {
            SegmentCall::Track => "track",
            SegmentCall::Identify => "identify",
            SegmentCall::Page => "page",
            SegmentCall::Screen => "screen",
            SegmentCall::Group => "group",
            SegmentCall::Alias => "alias",
        }
    }

    fn parse(name: &str) -> Option<SegmentCall> {
        SegmentCall::ALL.into_iter().find(|call| call.name() == name)
    }
}

#[derive(Deserialize)]
struct Batch<'a> {
    #[serde(borrow)]
    batch: Option<Vec<&'a RawValue>>,
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
}

#[derive(Deserialize)]
struct WriteKeyOnly {
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
}

/// Reads a `/v1/batch` body: an object whose `batch` holds the messages.
pub fn read_batch(body: &[u8], max_messages: usize) -> Result<Envelope<'_>, BodyError> {
    let text = envelope::text(body)?;
    let batch: Batch<'_> = envelope::object(text, "a Segment batch (an object with `batch`)")?;
    let messages = batch.batch.ok_or(BodyError::Malformed {
        expected: "a Segment batch",
        reason: "it has no `batch` array of messages".into(),
    })?;
    Ok(Envelope {
        write_key: batch.write_key,
        messages: envelope::counted(
            messages.into_iter().map(Cow::Borrowed).collect(),
            max_messages,
        )?,
    })
}

/// Reads the body of a single call (`/v1/track` and the others): one message.
pub fn read_single(body: &[u8]) -> Result<Envelope<'_>, BodyError> {
    let text = envelope::text(body)?;
    let raw: &RawValue = envelope::object(text, "a Segment message")?;
    let key: WriteKeyOnly = envelope::object(text, "a Segment message (an object)")?;
    Ok(Envelope { write_key: key.write_key, messages: vec![Cow::Borrowed(raw)] })
}

/// A Segment message's members, each kept raw until read. Members Tally does
/// not read (`anonymousId`, `integrations`, `_metadata`, `sentAt`) are skipped;
/// a member given twice fails the message.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(rename = "type", borrow)]
    call: Option<&'a RawValue>,
    #[serde(rename = "messageId", borrow)]
    message_id: Option<&'a RawValue>,
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(rename = "originalTimestamp", borrow)]
    original_timestamp: Option<&'a RawValue>,
    #[serde(rename = "userId", borrow)]
    user_id: Option<&'a RawValue>,
    #[serde(borrow)]
    event: Option<&'a RawValue>,
    #[serde(borrow)]
    name: Option<&'a RawValue>,
    #[serde(borrow)]
    properties: Option<&'a RawValue>,
    #[serde(borrow)]
    context: Option<&'a RawValue>,
    #[serde(borrow)]
    traits: Option<&'a RawValue>,
    #[serde(rename = "groupId", borrow)]
    group_id: Option<&'a RawValue>,
    #[serde(rename = "previousId", borrow)]
    previous_id: Option<&'a RawValue>,
}

/// Reads one message; `call` is the path's when the message has no `type`;
/// `received_at` (a JSON string) is its instant when it has no `timestamp`.
pub fn read_message<'a>(
    index: usize,
    raw: &'a RawValue,
    call: Option<SegmentCall>,
    received_at: &'a RawValue,
) -> Result<Message<'a>, Untranslatable> {
    if raw.get().len() > MAX_MESSAGE_BYTES {
        return Err(Untranslatable::whole(
            index,
            format!(
                "the message is {} bytes long; Segment's limit is {MAX_MESSAGE_BYTES} bytes a message",
                raw.get().len()
            ),
        ));
    }
    let wire: Wire<'a> = read_typed(index, raw, "a Segment message")?;
    let text = |value, path: &str| optional_text(index, value, path);
    let call = match text(wire.call, "type")? {
        Some(name) => {
            let name = text_of(&name).unwrap_or_default();
            SegmentCall::parse(&name).ok_or_else(|| {
                Untranslatable::field(
                    index,
                    "type",
                    format!("{name:?} is not one of: track, identify, page, screen, group, alias"),
                )
            })?
        }
        None => call.ok_or_else(|| {
            Untranslatable::field(index, "type", "a message sent to /v1/batch needs its type")
        })?,
    };
    let id = match text(wire.message_id, "messageId")? {
        Some(id) => id,
        None => derived_id("segment", raw),
    };
    let at = [(wire.timestamp, "timestamp"), (wire.original_timestamp, "originalTimestamp")]
        .into_iter()
        .find_map(|(at, name)| at.filter(|at| !is_null(at)).map(|at| (Cow::Borrowed(at), name)))
        .unwrap_or((Cow::Borrowed(received_at), "received"));
    let Some(user) = text(wire.user_id, "userId")? else {
        return Err(Untranslatable::field(
            index,
            "userId",
            "the message names no user: Tally counts what users do, so send userId (an anonymousId alone is a visitor, not a user)",
        ));
    };
    let object = |value: Option<&'a RawValue>, path: &str| match value {
        Some(value) => as_object(index, value, path),
        None => Ok(Members::default()),
    };
    let mut context = object(wire.context, "context")?;
    let organization = take_text(index, &mut context, "groupId", "context.groupId")?
        .map(|organization| (organization, "context.groupId"));
    let mut properties = object(wire.properties, "properties")?;
    let mut name = None;
    let call = match call {
        SegmentCall::Track => match text(wire.event, "event")?.as_ref().and_then(text_of) {
            Some(event) => {
                name = Some(event);
                Call::Named
            }
            None => {
                return Err(Untranslatable::field(
                    index,
                    "event",
                    "a track message needs the event's name",
                ));
            }
        },
        SegmentCall::Page | SegmentCall::Screen => {
            let page_name = text(wire.name, "name")?;
            let path = [("path", "properties.path"), ("url", "properties.url")]
                .into_iter()
                .find_map(|(key, source)| {
                    properties
                        .get(key)
                        .filter(|page| is_string(page))
                        .map(|page| (page.clone(), source))
                });
            match (path, page_name) {
                (Some((page, source)), _) => Call::Page { page: Some(page), page_source: source },
                (None, Some(page_name)) => {
                    Call::Page { page: Some(page_name), page_source: "name" }
                }
                (None, None) => Call::Page { page: None, page_source: "name" },
            }
        }
        SegmentCall::Identify => {
            Call::Identify { traits: object(wire.traits, "traits")?, traits_source: "traits" }
        }
        SegmentCall::Group => {
            let Some(organization) = text(wire.group_id, "groupId")? else {
                return Err(Untranslatable::field(
                    index,
                    "groupId",
                    "a group message needs the group's id: it is the organization the user belongs to",
                ));
            };
            Call::Group {
                organization,
                organization_source: "groupId",
                traits: object(wire.traits, "traits")?,
                traits_source: "traits",
            }
        }
        SegmentCall::Alias => {
            if let Some(previous) = text(wire.previous_id, "previousId")? {
                properties.insert_absent("previousId", previous);
            }
            Call::Alias
        }
    };
    if !context.is_empty() {
        properties.insert_absent("context", context.into_raw());
    }
    Ok(Message {
        index,
        format: Format::Segment,
        id,
        name,
        at,
        user: Some((user, "userId")),
        organization,
        call,
        properties,
        properties_source: "properties",
    })
}
