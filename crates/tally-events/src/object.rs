//! An event's top-level JSON object as the checker reads it: a short list of
//! fields rather than a map. An event has a dozen fields at most, each looked up
//! once and taken out; a list does that without the tree a `serde_json::Map`
//! builds and rebalances for every line of a batch.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A line (or array item) of a batch: an object's fields, or what else it was.
pub(crate) enum TopLevel {
    /// A JSON object.
    Object(Object),
    /// Anything else, named as [`crate::check::json_type`] names it.
    Other(&'static str),
}

/// A JSON object's fields, in the order sent; a name sent twice keeps its last
/// value, as `serde_json::Value` does.
#[derive(Debug, Default)]
pub(crate) struct Object {
    fields: Vec<(String, Value)>,
}

impl Object {
    /// Takes `name` out.
    pub(crate) fn remove(&mut self, name: &str) -> Option<Value> {
        let position = self.fields.iter().position(|(field, _)| field == name)?;
        Some(self.fields.swap_remove(position).1)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(field, _)| field == name).map(|(_, value)| value)
    }

    /// The names left, in no particular order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &String> {
        self.fields.iter().map(|(field, _)| field)
    }

    fn insert(&mut self, name: String, value: Value) {
        match self.fields.iter_mut().find(|(field, _)| *field == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((name, value)),
        }
    }
}

impl From<Map<String, Value>> for Object {
    fn from(map: Map<String, Value>) -> Object {
        Object { fields: map.into_iter().collect() }
    }
}

impl<'de> Deserialize<'de> for TopLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TopLevel, D::Error> {
        deserializer.deserialize_any(TopLevelVisitor)
    }
}

struct TopLevelVisitor;

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
        let mut object = Object { fields: Vec::with_capacity(map.size_hint().unwrap_or(12)) };
        while let Some(name) = map.next_key::<String>()? {
            let value: Value = map.next_value()?;
            object.insert(name, value);
        }
        Ok(TopLevel::Object(object))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TopLevel::Other("an array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("null"))
    }

    fn visit_none<E: de::Error>(self) -> Result<TopLevel, E> {
        Ok(TopLevel::Other("null"))
    }
}

impl From<Value> for TopLevel {
    fn from(value: Value) -> TopLevel {
        match value {
            Value::Object(map) => TopLevel::Object(map.into()),
            other => TopLevel::Other(crate::check::json_type(&other)),
        }
    }
}
