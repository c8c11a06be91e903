//! Redaction of snapshots before they are stored: a secret's values, and the
//! values of sensitive fields of any resource, become keyed hashes.

use std::collections::HashSet;

use serde_json::{Map, Value};
use tally_events::ResourceKind;

use crate::canonical::canonical_json;
use crate::seal::Keys;

/// Field names compared for sensitivity: lower case, with `_`, `-` and whitespace
/// removed, so that `api_key`, `apiKey`, `API-KEY` and `apikey` are one name.
pub(crate) fn fold_field_name(name: &str) -> String {
    name.chars()
        .filter(|ch| !matches!(ch, '_' | '-') && !ch.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// What redaction needs: the key, the account (part of every hash) and the folded
/// sensitive field names.
pub(crate) struct Redactor<'a> {
    pub(crate) keys: &'a Keys,
    pub(crate) account: &'a str,
    pub(crate) sensitive_fields: &'a HashSet<String>,
}

impl Redactor<'_> {
    /// The snapshot as it is stored. For a secret, every leaf is replaced; for any
    /// other resource, every leaf under a field whose name is sensitive, at any
    /// depth (inside arrays too).
    pub(crate) fn redact(&self, resource: ResourceKind, snapshot: &Value) -> Value {
        let mut pointer = String::new();
        if resource == ResourceKind::Secret {
            self.hide(snapshot, &mut pointer)
        } else {
            self.search(snapshot, &mut pointer)
        }
    }

    /// Copies `value`, hiding the values of sensitive fields.
    fn search(&self, value: &Value, pointer: &mut String) -> Value {
        match value {
            Value::Object(map) => {
                Value::Object(self.each_field(map, pointer, |this, key, item, pointer| {
                    if this.sensitive_fields.contains(&fold_field_name(key)) {
                        this.hide(item, pointer)
                    } else {
                        this.search(item, pointer)
                    }
                }))
            }
            Value::Array(items) => Value::Array(self.each_item(items, pointer, Self::search)),
            leaf => leaf.clone(),
        }
    }

    /// Copies `value` with every leaf (string, number, boolean or null) replaced by
    /// its keyed hash; objects and arrays keep their shape.
    fn hide(&self, value: &Value, pointer: &mut String) -> Value {
        match value {
            Value::Object(map) => Value::Object(self.each_field(
                map,
                pointer,
                |this, _, item, pointer| this.hide(item, pointer),
            )),
            Value::Array(items) => Value::Array(self.each_item(items, pointer, Self::hide)),
            leaf => Value::String(self.keys.redacted(self.account, pointer, &canonical_json(leaf))),
        }
    }

    fn each_field(
        &self,
        map: &Map<String, Value>,
        pointer: &mut String,
        mut copy: impl FnMut(&Self, &str, &Value, &mut String) -> Value,
    ) -> Map<String, Value> {
        let mut copied = Map::new();
        for (key, item) in map {
            let length = pointer.len();
            pointer.push('/');
            push_pointer_token(key, pointer);
            copied.insert(key.clone(), copy(self, key, item, pointer));
            pointer.truncate(length);
        }
        copied
    }

    fn each_item(
        &self,
        items: &[Value],
        pointer: &mut String,
        copy: impl Fn(&Self, &Value, &mut String) -> Value,
    ) -> Vec<Value> {
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let length = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                let copied = copy(self, item, pointer);
                pointer.truncate(length);
                copied
            })
            .collect()
    }
}

/// Appends an object key to a JSON pointer (RFC 6901): `~` becomes `~0`, `/`
/// becomes `~1`.
pub(crate) fn push_pointer_token(key: &str, pointer: &mut String) {
    for ch in key.chars() {
        match ch {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            other => pointer.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(resource: ResourceKind, snapshot: Value, expected: Value) {
        let keys = Keys::new([9; 32]);
        let sensitive = ["password", "apikey"].iter().map(|name| name.to_string()).collect();
        let redactor = Redactor { keys: &keys, account: "acme", sensitive_fields: &sensitive };
        // Expected hashes are written as the pointer they were computed at, then
        // replaced here, so that each test states which leaf is hidden and where.
        let expected = expand(&keys, expected);
        assert_eq!(redactor.redact(resource, &snapshot), expected);
    }

    /// Turns `"#hide /pointer <canonical value>"` strings into the keyed hash.
    fn expand(keys: &Keys, value: Value) -> Value {
        match value {
            Value::String(text) if text.starts_with("#hide ") => {
                let (pointer, leaf) = text["#hide ".len()..].split_once(' ').unwrap();
                Value::String(keys.redacted("acme", pointer, leaf))
            }
            Value::Object(map) => Value::Object(
                map.into_iter().map(|(key, item)| (key, expand(keys, item))).collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|item| expand(keys, item)).collect())
            }
            other => other,
        }
    }

    #[test]
    fn every_leaf_of_a_secret_is_hidden() {
        check(
            ResourceKind::Secret,
            json!({"name": "GH_TOKEN", "value": "ghp_x", "rotations": [1, null], "meta": {}}),
            json!({
                "name": "#hide /name \"GH_TOKEN\"",
                "value": "#hide /value \"ghp_x\"",
                "rotations": ["#hide /rotations/0 1", "#hide /rotations/1 null"],
                "meta": {},
            }),
        );
    }

    #[test]
    fn sensitive_fields_are_hidden_at_any_depth_and_in_any_spelling() {
        check(
            ResourceKind::Integration,
            json!({
                "name": "pagerduty",
                "config": {"API_KEY": "k1", "hooks": [{"Password": {"old": "p"}}]},
                "a/b~c": {"password": true},
            }),
            json!({
                "name": "pagerduty",
                "config": {"API_KEY": "#hide /config/API_KEY \"k1\"", "hooks": [{"Password": {"old": "#hide /config/hooks/0/Password/old \"p\""}}]},
                "a/b~c": {"password": "#hide /a~1b~0c/password true"},
            }),
        );
    }

    #[test]
    fn field_names_fold_case_and_separators() {
        assert_eq!(fold_field_name("Client_Secret"), "clientsecret");
        assert_eq!(fold_field_name("api-key"), "apikey");
        assert_eq!(fold_field_name("Private Key"), "privatekey");
    }
}
