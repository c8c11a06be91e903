//! PostHog's capture API: `/batch`, `/capture`, `/e` and `/i/v0/e`, as JSON or
//! as the form field `data` (JSON or base64 of JSON) that the browser SDK sends.

use std::borrow::Cow;

use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::envelope::{self, BodyError, Envelope, derived_id, members, object_member, text_member};
use crate::message::{Call, Format, Message, Untranslatable};

const EXPECTED: &str =
    "a PostHog capture body (an event, an array of events, or an object with `batch`)";

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    batch: Option<Vec<&'a RawValue>>,
    api_key: Option<String>,
    token: Option<String>,
    event: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct KeyOf {
    api_key: Option<String>,
    token: Option<String>,
    properties: Option<TokenOf>,
}

#[derive(Deserialize)]
struct TokenOf {
    token: Option<String>,
}

/// Reads a capture body: `{"batch": [...]}`, one event, or an array of events.
/// A body that is a form (`data=...`, as `query` may also carry) holds the
/// JSON in its `data` field, as is or in base64.
pub fn read_body<'a>(
    body: &'a [u8],
    query: Option<&str>,
    max_messages: usize,
) -> Result<Envelope<'a>, BodyError> {
    if let Some(data) =
        form_data(body).or_else(|| query.and_then(|query| form_data(query.as_bytes())))
    {
        let json = decode_data(&data)?;
        let envelope = read_json(&json, max_messages)?;
        // The data was decoded into a buffer of its own: the messages are copied out.
        return Ok(Envelope {
            write_key: envelope.write_key,
            messages: envelope
                .messages
                .into_iter()
                .map(|raw| Cow::Owned(raw.into_owned()))
                .collect(),
        });
    }
    read_json(envelope::text(body)?, max_messages)
}

fn read_json(text: &str, max_messages: usize) -> Result<Envelope<'_>, BodyError> {
    if text.trim_start().starts_with('[') {
        let messages = envelope::raw_array(text, EXPECTED, max_messages)?;
        let write_key = messages.first().and_then(|first| key_of(first));
        return Ok(Envelope { write_key, messages });
    }
    let body: Body<'_> = envelope::object(text, EXPECTED)?;
    let write_key = body.api_key.or(body.token);
    match (body.batch, body.event) {
        (Some(batch), _) => {
            let messages =
                envelope::counted(batch.into_iter().map(Cow::Borrowed).collect(), max_messages)?;
            let write_key = write_key.or_else(|| messages.first().and_then(|first| key_of(first)));
            Ok(Envelope { write_key, messages })
        }
        (None, Some(_)) => {
            let raw: &RawValue = envelope::object(text, EXPECTED)?;
            let write_key = write_key.or_else(|| key_of(raw));
            Ok(Envelope { write_key, messages: vec![Cow::Borrowed(raw)] })
        }
        (None, None) => Err(BodyError::Malformed {
            expected: EXPECTED,
            reason: "it has neither `batch` nor `event`".into(),
        }),
    }
}

/// The project key one event carries: its `api_key`, or `properties.token`.
fn key_of(raw: &RawValue) -> Option<String> {
    let key: KeyOf = serde_json::from_str(raw.get()).ok()?;
    key.api_key.or(key.token).or(key.properties.and_then(|properties| properties.token))
}

fn form_data(form: &[u8]) -> Option<String> {
    let looks_like_form =
        form.starts_with(b"data=") || form.windows(6).any(|window| window == b"&data=");
    if !looks_like_form {
        return None;
    }
    form_urlencoded::parse(form).find(|(name, _)| name == "data").map(|(_, data)| data.into_owned())
}

/// The form's `data`: JSON as is, or base64 of JSON.
fn decode_data(data: &str) -> Result<String, BodyError> {
    let trimmed = data.trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(trimmed.to_string());
    }
    // Spaces are what a `+` of unescaped base64 became in the form.
    let base64: String = trimmed.chars().map(|c| if c == ' ' { '+' } else { c }).collect();
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(base64.as_bytes()).map_err(|error| {
            BodyError::Malformed {
                expected: "a PostHog form whose `data` is JSON or base64 of JSON",
                reason: error.to_string(),
            }
        })?;
    String::from_utf8(bytes)
        .map_err(|error| BodyError::NotUtf8 { offset: error.utf8_error().valid_up_to() })
}

/// Reads one captured event; `received_at` is its instant when it has no
/// `timestamp`.
pub fn read_message(
    index: usize,
    raw: &RawValue,
    received_at: &str,
) -> Result<Message, Untranslatable> {
    let mut members = members(index, raw)?;
    let Some(Value::String(name)) = text_member(index, &mut members, "event")? else {
        return Err(Untranslatable::field(index, "event", "a captured event needs its name"));
    };
    let id = match text_member(index, &mut members, "uuid")? {
        Some(Value::String(uuid)) => uuid,
        _ => derived_id("posthog", raw),
    };
    let at = members
        .remove("timestamp")
        .filter(|at| !at.is_null())
        .map(|at| (at, "timestamp"))
        .unwrap_or_else(|| (Value::from(received_at), "received"));
    let mut properties = object_member(index, &mut members, "properties")?;
    let user = match text_member(index, &mut members, "distinct_id")? {
        Some(user) => (user, "distinct_id"),
        None => match text_member(index, &mut properties, "distinct_id").map_err(|problem| {
            Untranslatable::field(index, "properties.distinct_id", problem.reason)
        })? {
            Some(user) => (user, "properties.distinct_id"),
            None => {
                return Err(Untranslatable::field(
                    index,
                    "distinct_id",
                    "the event names no user: send distinct_id",
                ));
            }
        },
    };
    // Keys that only carry the project's key or the SDK's batching are not the
    // event's: a resend through another endpoint is then the same event.
    properties.remove("token");
    let organization = properties
        .get("$groups")
        .and_then(|groups| groups.get("organization"))
        .filter(|organization| organization.is_string())
        .map(|organization| (organization.clone(), "properties.$groups.organization"));
    let call = match name.as_str() {
        "$pageview" => page(&properties, &["$pathname", "$current_url"]),
        "$screen" => page(&properties, &["$screen_name"]),
        "$identify" | "$set" => {
            let mut traits = object_member(index, &mut properties, "$set").map_err(|problem| {
                Untranslatable::field(index, "properties.$set", problem.reason)
            })?;
            if let Some(Value::Object(once)) = properties.remove("$set_once") {
                for (key, value) in once {
                    traits.entry(key).or_insert(value);
                }
            }
            Call::Identify { traits, traits_source: "properties.$set" }
        }
        "$groupidentify" => group(index, &mut properties, &user.0)?,
        "$mcp_tool_call" => {
            if let Some(Value::Bool(failed)) = properties.remove("$mcp_is_error") {
                let status = if failed { "failure" } else { "success" };
                properties.entry("status").or_insert(Value::from(status));
            }
            Call::Named
        }
        _ => Call::Named,
    };
    Ok(Message {
        index,
        format: Format::PostHog,
        id,
        name: Some(name),
        at,
        user: Some(user),
        organization,
        call,
        properties,
        properties_source: "properties",
    })
}

fn page(properties: &Map<String, Value>, keys: &[&'static str]) -> Call {
    let found = keys.iter().find_map(|key| {
        properties.get(*key).filter(|page| page.is_string()).map(|page| (page.clone(), *key))
    });
    match found {
        Some((page, "$pathname")) => {
            Call::Page { page: Some(page), page_source: "properties.$pathname" }
        }
        Some((page, "$current_url")) => {
            Call::Page { page: Some(page), page_source: "properties.$current_url" }
        }
        Some((page, _)) => Call::Page { page: Some(page), page_source: "properties.$screen_name" },
        None => Call::Page { page: None, page_source: "properties.$pathname" },
    }
}

/// `$groupidentify` sent for a user (as posthog-js's `group()` does): the user
/// belongs to the group. One sent for the group itself (posthog-python's
/// `group_identify`, whose distinct id is `$<type>_<key>`) is a group's profile,
/// which Tally does not keep.
fn group(
    index: usize,
    properties: &mut Map<String, Value>,
    user: &Value,
) -> Result<Call, Untranslatable> {
    let group_type =
        properties.get("$group_type").and_then(Value::as_str).unwrap_or_default().to_string();
    let Some(Value::String(key)) = properties.remove("$group_key") else {
        return Err(Untranslatable::field(
            index,
            "properties.$group_key",
            "a $groupidentify event needs the group's key: it is the organization the user belongs to",
        ));
    };
    if user.as_str() == Some(&format!("${group_type}_{key}")) {
        return Err(Untranslatable::field(
            index,
            "distinct_id",
            "this $groupidentify describes the group itself, not a user in it: Tally keeps which organizations a user belongs to (send the user's distinct_id), not an organization's profile",
        ));
    }
    let traits = object_member(index, properties, "$group_set")
        .map_err(|problem| Untranslatable::field(index, "properties.$group_set", problem.reason))?;
    Ok(Call::Group {
        organization: Value::String(key),
        organization_source: "properties.$group_key",
        traits,
        traits_source: "properties.$group_set",
    })
}
