//! Segment's HTTP tracking API: `POST /v1/batch` and the single calls
//! `/v1/track`, `/v1/identify`, `/v1/page`, `/v1/screen`, `/v1/group`, `/v1/alias`.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::envelope::{self, BodyError, Envelope, derived_id, members, object_member, text_member};
use crate::message::{Call, Format, Message, Untranslatable};

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

/// Reads one message; `call` is the path's when the message has no `type`;
/// `received_at` is its instant when it has no `timestamp`.
pub fn read_message(
    index: usize,
    raw: &RawValue,
    call: Option<SegmentCall>,
    received_at: &str,
) -> Result<Message, Untranslatable> {
    if raw.get().len() > MAX_MESSAGE_BYTES {
        return Err(Untranslatable::whole(
            index,
            format!(
                "the message is {} bytes long; Segment's limit is {MAX_MESSAGE_BYTES} bytes a message",
                raw.get().len()
            ),
        ));
    }
    let mut members = members(index, raw)?;
    let call = match text_member(index, &mut members, "type")? {
        Some(Value::String(name)) => SegmentCall::parse(&name).ok_or_else(|| {
            Untranslatable::field(
                index,
                "type",
                format!("{name:?} is not one of: track, identify, page, screen, group, alias"),
            )
        })?,
        _ => call.ok_or_else(|| {
            Untranslatable::field(index, "type", "a message sent to /v1/batch needs its type")
        })?,
    };
    let id = match text_member(index, &mut members, "messageId")? {
        Some(Value::String(id)) => id,
        _ => derived_id("segment", raw),
    };
    let at = ["timestamp", "originalTimestamp"]
        .into_iter()
        .find_map(|name| members.remove(name).filter(|at| !at.is_null()).map(|at| (at, name)))
        .unwrap_or_else(|| (Value::from(received_at), "received"));
    let Some(user) = text_member(index, &mut members, "userId")? else {
        return Err(Untranslatable::field(
            index,
            "userId",
            "the message names no user: Tally counts what users do, so send userId (an anonymousId alone is a visitor, not a user)",
        ));
    };
    let mut context = object_member(index, &mut members, "context")?;
    let organization = text_member(index, &mut context, "groupId")
        .map_err(|problem| Untranslatable::field(index, "context.groupId", problem.reason))?
        .map(|organization| (organization, "context.groupId"));
    let mut properties = object_member(index, &mut members, "properties")?;
    let mut name = None;
    let call = match call {
        SegmentCall::Track => match text_member(index, &mut members, "event")? {
            Some(Value::String(event)) => {
                name = Some(event);
                Call::Named
            }
            _ => {
                return Err(Untranslatable::field(
                    index,
                    "event",
                    "a track message needs the event's name",
                ));
            }
        },
        SegmentCall::Page | SegmentCall::Screen => {
            let page_name = text_member(index, &mut members, "name")?;
            let path = ["path", "url"].into_iter().find_map(|key| {
                properties.get(key).filter(|page| page.is_string()).map(|page| (page.clone(), key))
            });
            match (path, page_name) {
                (Some((page, "path")), _) => {
                    Call::Page { page: Some(page), page_source: "properties.path" }
                }
                (Some((page, _)), _) => {
                    Call::Page { page: Some(page), page_source: "properties.url" }
                }
                (None, Some(name)) => Call::Page { page: Some(name), page_source: "name" },
                (None, None) => Call::Page { page: None, page_source: "name" },
            }
        }
        SegmentCall::Identify => Call::Identify {
            traits: object_member(index, &mut members, "traits")?,
            traits_source: "traits",
        },
        SegmentCall::Group => {
            let Some(organization) = text_member(index, &mut members, "groupId")? else {
                return Err(Untranslatable::field(
                    index,
                    "groupId",
                    "a group message needs the group's id: it is the organization the user belongs to",
                ));
            };
            Call::Group {
                organization,
                organization_source: "groupId",
                traits: object_member(index, &mut members, "traits")?,
                traits_source: "traits",
            }
        }
        SegmentCall::Alias => {
            if let Some(previous) = text_member(index, &mut members, "previousId")? {
                properties.insert("previousId".into(), previous);
            }
            Call::Alias
        }
    };
    if !context.is_empty() {
        properties.entry("context").or_insert(Value::Object(context));
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
