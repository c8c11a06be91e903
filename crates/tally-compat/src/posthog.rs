//! PostHog's capture API: `/batch`, `/capture`, `/e` and `/i/v0/e`, as JSON or
//! as the form field `data` (JSON or base64 of JSON) that the browser SDK sends.

use std::borrow::Cow;

use base64::Engine;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::envelope::{self, BodyError, Envelope, derived_id};
use crate::message::{Call, Format, Message, Untranslatable};
use crate::raw::{
    Members, Raw, as_object, boolean_of, is_null, is_string, optional_text, read_typed, string_raw,
    take_object, take_text, text_of,
};

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

/// A captured event's members, each kept raw until read. Members Tally does
/// not read (`api_key`, `type`, `offset`) are skipped; a member given twice
/// fails the event.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    event: Option<&'a RawValue>,
    #[serde(borrow)]
    uuid: Option<&'a RawValue>,
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow)]
    distinct_id: Option<&'a RawValue>,
    #[serde(borrow)]
    properties: Option<&'a RawValue>,
}

/// Reads one captured event; `received_at` (a JSON string) is its instant
/// when it has no `timestamp`.
pub fn read_message<'a>(
    index: usize,
    raw: &'a RawValue,
    received_at: &'a RawValue,
) -> Result<Message<'a>, Untranslatable> {
    let wire: Wire<'a> = read_typed(index, raw, "a PostHog event")?;
    let text = |value, path: &str| optional_text(index, value, path);
    let Some(name) = text(wire.event, "event")?.as_ref().and_then(text_of) else {
        return Err(Untranslatable::field(index, "event", "a captured event needs its name"));
    };
    let id = match text(wire.uuid, "uuid")? {
        Some(uuid) => uuid,
        None => derived_id("posthog", raw),
    };
    let at = wire
        .timestamp
        .filter(|at| !is_null(at))
        .map(|at| (Cow::Borrowed(at), "timestamp"))
        .unwrap_or((Cow::Borrowed(received_at), "received"));
    let mut properties = match wire.properties {
        Some(properties) => as_object(index, properties, "properties")?,
        None => Members::default(),
    };
    let user = match text(wire.distinct_id, "distinct_id")? {
        Some(user) => (user, "distinct_id"),
        None => match take_text(index, &mut properties, "distinct_id", "properties.distinct_id")? {
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
    // The project's key is not the event's: a resend through another endpoint
    // is then the same event.
    properties.remove("token");
    let organization = properties
        .get("$groups")
        .and_then(|groups| match groups {
            Cow::Borrowed(groups) => Members::parse(groups).ok(),
            Cow::Owned(_) => None,
        })
        .and_then(|mut groups| groups.remove("organization"))
        .filter(|organization| is_string(organization))
        .map(|organization| (organization, "properties.$groups.organization"));
    let call = match name.as_ref() {
        "$pageview" => page(
            &properties,
            &[("$pathname", "properties.$pathname"), ("$current_url", "properties.$current_url")],
        ),
        "$screen" => page(&properties, &[("$screen_name", "properties.$screen_name")]),
        "$identify" | "$set" => {
            let mut traits = take_object(index, &mut properties, "$set", "properties.$set")?;
            let once = take_object(index, &mut properties, "$set_once", "properties.$set_once")?;
            for (key, value) in once.into_entries() {
                traits.insert_absent(key, value);
            }
            Call::Identify { traits, traits_source: "properties.$set" }
        }
        "$groupidentify" => group(index, &mut properties, &user.0)?,
        "$mcp_tool_call" => {
            if let Some(failed) = properties.remove("$mcp_is_error").as_deref().and_then(boolean_of)
            {
                let status = if failed { "failure" } else { "success" };
                properties.insert_absent("status", string_raw(status));
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

fn page<'a>(properties: &Members<'a>, keys: &[(&str, &'static str)]) -> Call<'a> {
    let found = keys.iter().find_map(|(key, source)| {
        properties.get(key).filter(|page| is_string(page)).map(|page| (page.clone(), *source))
    });
    match found {
        Some((page, page_source)) => Call::Page { page: Some(page), page_source },
        None => Call::Page { page: None, page_source: keys[0].1 },
    }
}

/// `$groupidentify` sent for a user (as posthog-js's `group()` does): the user
/// belongs to the group. One sent for the group itself (posthog-python's
/// `group_identify`, whose distinct id is `$<type>_<key>`) is a group's profile,
/// which Tally does not keep.
fn group<'a>(
    index: usize,
    properties: &mut Members<'a>,
    user: &Raw<'a>,
) -> Result<Call<'a>, Untranslatable> {
    let group_type =
        properties.get("$group_type").and_then(text_of).unwrap_or_default().into_owned();
    let Some(key) = properties.remove("$group_key").filter(|key| is_string(key)) else {
        return Err(Untranslatable::field(
            index,
            "properties.$group_key",
            "a $groupidentify event needs the group's key: it is the organization the user belongs to",
        ));
    };
    let key_text = text_of(&key).unwrap_or_default();
    if text_of(user).as_deref() == Some(format!("${group_type}_{key_text}").as_str()) {
        return Err(Untranslatable::field(
            index,
            "distinct_id",
            "this $groupidentify describes the group itself, not a user in it: Tally keeps which organizations a user belongs to (send the user's distinct_id), not an organization's profile",
        ));
    }
    let traits = take_object(index, properties, "$group_set", "properties.$group_set")?;
    Ok(Call::Group {
        organization: key,
        organization_source: "properties.$group_key",
        traits,
        traits_source: "properties.$group_set",
    })
}
