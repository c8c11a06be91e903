//! An event's top-level JSON object as the checker reads it: a short list of
//! fields rather than a map. An event has a dozen fields at most, each looked up
//! once and taken out; a list does that without the tree a `serde_json::Map`
//! builds and rebalances for every line of a batch.
//!
//! The free-form fields (`properties`, `before`, `after`) are kept as the text
//! sent, for `free_json` to read: through a `Value` a key sent twice would keep its
//! last value and numbers would pass through a 64-bit float.
//!
//! Names and text values are borrowed from the line when they hold no escape:
//! most of an event is text, and copying each name and value into a string of
//! its own, to be copied again into the event and then freed, was a fifth of
//! checking it.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess,
    SeqAccess, Visitor,
};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The fields whose value is free-form JSON, kept as text.
const FREE_FORM_FIELDS: &[&str] = &["properties", "before", "after"];

/// A line (or array item) of a batch: an object's fields, or what else it was.
pub(crate) enum TopLevel<'de> {
    /// A JSON object.
    Object(Object<'de>),
    /// Anything else, named as [`crate::check::json_type`] names it.
    Other(&'static str),
}

/// A JSON object's fields, in the order sent. A name sent twice is remembered
/// (the first such name) so that the event can be rejected for it.
#[derive(Debug, Default)]
pub(crate) struct Object<'de> {
    fields: Vec<(Cow<'de, str>, FieldValue<'de>)>,
    /// The free-form fields, as the JSON text sent.
    free_form: Vec<(&'static str, Cow<'de, str>)>,
    /// The first name sent twice.
    duplicate: Option<String>,
}

/// A field's value: text as sent (borrowed when it holds no escape), or any
/// other JSON value.
#[derive(Debug)]
pub(crate) enum FieldValue<'de> {
    /// A JSON string.
    Text(Cow<'de, str>),
    /// Anything but a string.
    Other(Value),
}

impl FieldValue<'_> {
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, FieldValue::Other(Value::Null))
    }

    /// The JSON type, named as [`crate::check::json_type`] names it.
    pub(crate) fn json_type(&self) -> &'static str {
        match self {
            FieldValue::Text(_) => "a string",
            FieldValue::Other(value) => crate::check::json_type(value),
        }
    }
}

impl From<Value> for FieldValue<'_> {
    fn from(value: Value) -> Self {
        match value {
            Value::String(text) => FieldValue::Text(Cow::Owned(text)),
            other => FieldValue::Other(other),
        }
    }
}

impl<'de> Object<'de> {
    /// Takes `name` out.
    pub(crate) fn remove(&mut self, name: &str) -> Option<FieldValue<'de>> {
        let position = self.fields.iter().position(|(field, _)| field == name)?;
        Some(self.fields.swap_remove(position).1)
    }

    /// Takes the free-form field `name` out, as the JSON text sent.
    pub(crate) fn remove_free_form(&mut self, name: &str) -> Option<Cow<'de, str>> {
        let position = self.free_form.iter().position(|(field, _)| *field == name)?;
        Some(self.free_form.swap_remove(position).1)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&FieldValue<'de>> {
        self.fields.iter().find(|(field, _)| field == name).map(|(_, value)| value)
    }

    /// The names left, in no particular order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .map(|(field, _)| field.as_ref())
            .chain(self.free_form.iter().map(|(field, _)| *field))
    }

    /// The first name the object was sent with twice.
    pub(crate) fn duplicate(&self) -> Option<&str> {
        self.duplicate.as_deref()
    }

    fn note_if_duplicate(&mut self, name: &str) {
        if self.duplicate.is_none() && self.keys().any(|field| field == name) {
            self.duplicate = Some(name.to_owned());
        }
    }

    fn insert(&mut self, name: String, value: Value) {
        match FREE_FORM_FIELDS.iter().find(|field| **field == name) {
            Some(field) => {
                let text = serde_json::to_string(&value).expect("a Value always serialises");
                self.free_form.push((*field, Cow::Owned(text)));
            }
            None => self.fields.push((Cow::Owned(name), value.into())),
        }
    }
}

/// An event's fields handed over one by one, by a reader of another format
/// that has them apart already (`tally-compat`): checked by
/// [`crate::CheckedEvent::check_fields`] exactly as a line holding them would
/// be, without writing the line and reading it again.
#[derive(Debug, Default)]
pub struct EventFields<'a> {
    pub(crate) object: Object<'a>,
}

impl<'a> EventFields<'a> {
    /// No field yet.
    pub fn new() -> EventFields<'a> {
        EventFields::default()
    }

    /// A field whose value is a JSON string, given as its text. Each name is
    /// given once: a second is left over after the checker takes the first, and
    /// rejected as a field the kind does not have.
    pub fn text(&mut self, name: &'static str, text: Cow<'a, str>) {
        self.object.fields.push((Cow::Borrowed(name), FieldValue::Text(text)));
    }

    /// A field whose value is any other JSON value.
    pub fn value(&mut self, name: &'static str, value: Value) {
        self.object.fields.push((Cow::Borrowed(name), FieldValue::Other(value)));
    }

    /// The free-form `properties`, as JSON text (read as a line's would be).
    pub fn properties(&mut self, json: Cow<'a, str>) {
        self.object.free_form.push(("properties", json));
    }
}

impl From<Map<String, Value>> for Object<'_> {
    fn from(map: Map<String, Value>) -> Self {
        let mut object = Object::default();
        for (name, value) in map {
            object.insert(name, value);
        }
        object
    }
}

impl<'de> Deserialize<'de> for TopLevel<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TopLevel<'de>, D::Error> {
        deserializer.deserialize_any(TopLevelVisitor)
    }
}

struct TopLevelVisitor;

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel<'de>, A::Error> {
        let mut object = Object {
            fields: Vec::with_capacity(map.size_hint().unwrap_or(12)),
            ..Object::default()
        };
        while let Some(name) = map.next_key_seed(TextSeed)? {
            object.note_if_duplicate(&name);
            match FREE_FORM_FIELDS.iter().find(|field| **field == name) {
                Some(field) => {
                    let text: &'de RawValue = map.next_value()?;
                    object.free_form.push((*field, Cow::Borrowed(text.get())));
                }
                None => {
                    let value: FieldValue<'de> = map.next_value()?;
                    object.fields.push((name, value));
                }
            }
        }
        Ok(TopLevel::Object(object))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TopLevel::Other("an array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::Other("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::Other("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::Other("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::Other("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::Other("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::Other("null"))
    }

    fn visit_none<E: de::Error>(self) -> Result<TopLevel<'de>, E> {
        Ok(TopLevel::Other("null"))
    }
}

/// Reads a name as text borrowed from the line when it can be.
struct TextSeed;

impl<'de> DeserializeSeed<'de> for TextSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(text))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(text))
    }
}

/// Strings are read as [`FieldValue::Text`]; everything else is handed to
/// `Value`'s own reading, so that it is the `Value` it always was.
impl<'de> Deserialize<'de> for FieldValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FieldValue<'de>, D::Error> {
        deserializer.deserialize_any(FieldValueVisitor)
    }
}

struct FieldValueVisitor;

impl<'de> Visitor<'de> for FieldValueVisitor {
    type Value = FieldValue<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<FieldValue<'de>, E> {
        Ok(FieldValue::Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<FieldValue<'de>, E> {
        Ok(FieldValue::Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<FieldValue<'de>, E> {
        Ok(FieldValue::Text(Cow::Owned(text)))
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<FieldValue<'de>, E> {
        Value::deserialize(flag.into_deserializer()).map(FieldValue::Other)
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<FieldValue<'de>, E> {
        Value::deserialize(number.into_deserializer()).map(FieldValue::Other)
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<FieldValue<'de>, E> {
        Value::deserialize(number.into_deserializer()).map(FieldValue::Other)
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<FieldValue<'de>, E> {
        Value::deserialize(number.into_deserializer()).map(FieldValue::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<FieldValue<'de>, E> {
        Ok(FieldValue::Other(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<FieldValue<'de>, E> {
        Ok(FieldValue::Other(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<FieldValue<'de>, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(FieldValue::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FieldValue<'de>, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(FieldValue::Other)
    }
}

impl From<Value> for TopLevel<'_> {
    fn from(value: Value) -> Self {
        match value {
            Value::Object(map) => TopLevel::Object(map.into()),
            other => TopLevel::Other(crate::check::json_type(&other)),
        }
    }
}
