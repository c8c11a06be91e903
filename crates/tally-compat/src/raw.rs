//! Messages kept as raw JSON: a member is parsed only when the mapping reads
//! it, and what it copies into the event is copied as the text sent. A
//! message is read once, its members borrowed from the body, and its event
//! written as text the event checker then reads like a native line.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::message::Untranslatable;

/// A JSON value as sent (borrowed from the body), or made by the mapping.
pub type Raw<'a> = Cow<'a, RawValue>;

/// A JSON string's text, borrowed from the body when it has no escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E: de::Error>(self, text: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// The members of a JSON object in the order sent, their values raw.
#[derive(Debug, Clone, Default)]
pub struct Members<'a> {
    entries: Vec<(Cow<'a, str>, Raw<'a>)>,
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    entries.push((key, Cow::Borrowed(value)));
                }
                Ok(Members { entries })
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

impl<'a> Members<'a> {
    /// The members of `raw`, or why it is not an object: `Err` holds its
    /// JSON type, or serde_json's reason when it is not JSON.
    pub(crate) fn parse(raw: &'a RawValue) -> Result<Members<'a>, String> {
        match first_byte(raw) {
            b'{' => {
                serde_json::from_str(raw.get()).map_err(|error| format!("not valid JSON: {error}"))
            }
            _ => Err(json_type(raw).to_string()),
        }
    }

    /// Whether it has no member.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `name`, when present.
    pub fn get(&self, name: &str) -> Option<&Raw<'a>> {
        self.entries.iter().find(|(key, _)| key == name).map(|(_, value)| value)
    }

    /// Takes `name` out (its first occurrence).
    pub fn remove(&mut self, name: &str) -> Option<Raw<'a>> {
        let position = self.entries.iter().position(|(key, _)| key == name)?;
        Some(self.entries.remove(position).1)
    }

    /// Adds a member, unless one of that name is there.
    pub fn insert_absent(&mut self, name: impl Into<Cow<'a, str>>, value: Raw<'a>) {
        let name = name.into();
        if self.get(&name).is_none() {
            self.entries.push((name, value));
        }
    }

    /// The members, in the order sent.
    pub(crate) fn into_entries(self) -> Vec<(Cow<'a, str>, Raw<'a>)> {
        self.entries
    }

    /// The first member given twice, if any.
    pub(crate) fn duplicate(&self) -> Option<&str> {
        self.entries.iter().enumerate().find_map(|(at, (key, _))| {
            self.entries[..at].iter().any(|(earlier, _)| earlier == key).then_some(key.as_ref())
        })
    }

    /// Writes the object as JSON text: keys escaped, values as sent.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (at, (key, value)) in self.entries.iter().enumerate() {
            if at > 0 {
                out.push(b',');
            }
            write_key(out, key);
            out.push(b':');
            out.extend_from_slice(value.get().as_bytes());
        }
        out.push(b'}');
    }

    /// The object as a raw value of its own.
    pub(crate) fn into_raw(self) -> Raw<'a> {
        let mut out = Vec::new();
        self.write(&mut out);
        Cow::Owned(owned_raw(out))
    }
}

/// Writes `key` as a JSON string: as it is between quotes when nothing in it
/// needs escaping (the common case), else escaped by serde_json.
fn write_key(out: &mut Vec<u8>, key: &str) {
    if key.bytes().all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\') {
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, key).expect("writing to a Vec cannot fail");
    }
}

/// Raw JSON text this crate wrote.
pub(crate) fn owned_raw(text: Vec<u8>) -> Box<RawValue> {
    let text = String::from_utf8(text).expect("JSON written from UTF-8 is UTF-8");
    RawValue::from_string(text).expect("the mapping writes valid JSON")
}

/// A JSON string holding `text`.
pub(crate) fn string_raw<'a>(text: &str) -> Raw<'a> {
    Cow::Owned(owned_raw(serde_json::to_vec(text).expect("a string serialises")))
}

fn first_byte(raw: &RawValue) -> u8 {
    raw.get().bytes().find(|byte| !byte.is_ascii_whitespace()).unwrap_or(b'n')
}

/// JSON's name for a raw value's type, as the event checker words it.
pub(crate) fn json_type(raw: &RawValue) -> &'static str {
    match first_byte(raw) {
        b'n' => "null",
        b't' | b'f' => "a boolean",
        b'"' => "a string",
        b'[' => "an array",
        b'{' => "an object",
        _ => "a number",
    }
}

/// Whether the value is `null`.
pub(crate) fn is_null(raw: &RawValue) -> bool {
    first_byte(raw) == b'n'
}

/// Whether the value is a string.
pub(crate) fn is_string(raw: &RawValue) -> bool {
    first_byte(raw) == b'"'
}

/// The text of a string value, borrowed when it can be.
pub(crate) fn text_of<'a>(raw: &Raw<'a>) -> Option<Cow<'a, str>> {
    if !is_string(raw) {
        return None;
    }
    // A string without escapes is its text between the quotes.
    if let Cow::Borrowed(borrowed) = raw {
        let text = borrowed.get().trim();
        if let Some(inner) = text.strip_prefix('"').and_then(|text| text.strip_suffix('"'))
            && !inner.contains('\\')
        {
            return Some(Cow::Borrowed(inner));
        }
    }
    match raw {
        Cow::Borrowed(raw) => serde_json::from_str::<Text<'a>>(raw.get()).ok().map(|text| text.0),
        Cow::Owned(raw) => serde_json::from_str::<String>(raw.get()).ok().map(Cow::Owned),
    }
}

/// The boolean a value is, if it is one.
pub(crate) fn boolean_of(raw: &RawValue) -> Option<bool> {
    match raw.get().trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A text member taken out: a string as sent, a number as its decimal text
/// (SDKs send numeric user ids), `null` as absent.
pub(crate) fn take_text<'a>(
    index: usize,
    members: &mut Members<'a>,
    name: &str,
    path: &str,
) -> Result<Option<Raw<'a>>, Untranslatable> {
    match members.remove(name) {
        Some(value) => as_text(index, value, path),
        None => Ok(None),
    }
}

/// A value read as text: a string as sent, a number as its decimal text,
/// `null` as absent.
pub(crate) fn as_text<'a>(
    index: usize,
    value: Raw<'a>,
    path: &str,
) -> Result<Option<Raw<'a>>, Untranslatable> {
    match first_byte(&value) {
        b'n' => Ok(None),
        b'"' => Ok(Some(value)),
        b'-' | b'0'..=b'9' => Ok(Some(string_raw(value.get().trim()))),
        _ => Err(Untranslatable::field(
            index,
            path,
            format!("expected a string, found {}", json_type(&value)),
        )),
    }
}

/// An optional member read as text, as [`as_text`] reads it.
pub(crate) fn optional_text<'a>(
    index: usize,
    value: Option<&'a RawValue>,
    path: &str,
) -> Result<Option<Raw<'a>>, Untranslatable> {
    match value {
        Some(value) => as_text(index, Cow::Borrowed(value), path),
        None => Ok(None),
    }
}

/// A message read into a format's typed struct of raw members (`what` names
/// the format's message in the reason), or why it is not one.
pub(crate) fn read_typed<'a, T: Deserialize<'a>>(
    index: usize,
    raw: &'a RawValue,
    what: &str,
) -> Result<T, Untranslatable> {
    if json_type(raw) != "an object" {
        return Err(Untranslatable::whole(
            index,
            format!("a message must be a JSON object, not {}", json_type(raw)),
        ));
    }
    serde_json::from_str(raw.get())
        .map_err(|error| Untranslatable::whole(index, format!("not {what}: {error}")))
}

/// A value read as an object's members, `null` as empty.
pub(crate) fn as_object<'a>(
    index: usize,
    value: &'a RawValue,
    path: &str,
) -> Result<Members<'a>, Untranslatable> {
    if is_null(value) {
        return Ok(Members::default());
    }
    Members::parse(value).map_err(|found| {
        Untranslatable::field(index, path, format!("expected an object, found {found}"))
    })
}

/// An object member taken out, absent (or `null`) as empty.
pub(crate) fn take_object<'a>(
    index: usize,
    members: &mut Members<'a>,
    name: &str,
    path: &str,
) -> Result<Members<'a>, Untranslatable> {
    let Some(value) = members.remove(name) else { return Ok(Members::default()) };
    if is_null(&value) {
        return Ok(Members::default());
    }
    let parsed = match &value {
        Cow::Borrowed(raw) => Members::parse(raw),
        // Only this crate makes owned values, and never objects to read back.
        Cow::Owned(_) => Err(json_type(&value).to_string()),
    };
    parsed.map_err(|found| {
        Untranslatable::field(index, path, format!("expected an object, found {found}"))
    })
}

/// A message's members, or why it is not an object with each member once.
pub(crate) fn message_members(index: usize, raw: &RawValue) -> Result<Members<'_>, Untranslatable> {
    let members = Members::parse(raw).map_err(|found| {
        if found.starts_with("not valid JSON") {
            Untranslatable::whole(index, found)
        } else {
            Untranslatable::whole(index, format!("a message must be a JSON object, not {found}"))
        }
    })?;
    if let Some(name) = members.duplicate() {
        return Err(Untranslatable::field(
            index,
            name,
            "is given more than once in the message; give each key once",
        ));
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> &RawValue {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn members_keep_values_as_sent_and_write_them_back() {
        let message = raw(r#"{"a\"b": 1.50, "c": {"d": [1, 2]}, "e": "x\u00e9"}"#);
        let members = Members::parse(message).unwrap();
        assert_eq!(members.get("a\"b").map(|value| value.get()), Some("1.50"));
        let mut out = Vec::new();
        members.write(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a\"b":1.50,"c":{"d": [1, 2]},"e":"x\u00e9"}"#
        );
        assert_eq!(text_of(members.get("e").unwrap()).as_deref(), Some("xé"));
    }

    #[test]
    fn a_text_member_takes_numbers_as_their_decimal_text() {
        let mut members = Members::parse(raw(r#"{"u": 42, "v": null, "w": true}"#)).unwrap();
        assert_eq!(take_text(0, &mut members, "u", "u").unwrap().unwrap().get(), "\"42\"");
        assert!(take_text(0, &mut members, "v", "v").unwrap().is_none());
        assert_eq!(
            take_text(0, &mut members, "w", "w").unwrap_err().reason,
            "expected a string, found a boolean"
        );
        assert!(message_members(0, raw(r#"{"a": 1, "a": 2}"#)).is_err());
        assert_eq!(
            message_members(0, raw("[1]")).unwrap_err().reason,
            "a message must be a JSON object, not an array"
        );
    }
}
