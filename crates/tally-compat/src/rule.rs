//! An account's own mapping rules: which of its messages become which kind.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use tally_events::EventKind;

/// Longest message name a rule may match, in bytes: a Segment event name, a
/// PostHog event or a CloudEvents `type`.
pub const MAX_RULE_EVENT_BYTES: usize = 512;

/// An account's rule: a message named [`MappingRule::event`] becomes an event of
/// [`MappingRule::kind`], its fields taken as the rule says.
///
/// A field of the kind is filled, first match wins, from: the rule's constant
/// (`set`), the message's property the rule names (`from`), for `user` and
/// `organization` the message's user and organization, then the message's
/// property of the field's own name. See docs/ingest-compat.md.
///
/// It serialises as `{"event", "kind", "set", "from"}`, the kind by its wire
/// name: the shape the API answers and `tally-ingest account event-mappings
/// --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MappingRule {
    /// The message name matched, exactly.
    #[schema(example = "Deploy Service")]
    event: String,
    /// The wire name of the kind such messages become.
    #[schema(value_type = String, example = "action_run")]
    kind: EventKind,
    /// Constants, by field: any JSON value.
    set: BTreeMap<String, Value>,
    /// The property each field is taken from, by field.
    from: BTreeMap<String, String>,
}

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    /// The message name is empty.
    #[error("the event name of a mapping rule must not be empty")]
    EmptyEvent,
    /// The message name is too long.
    #[error("the event name is {len} bytes long; the limit is {max}")]
    EventTooLong {
        /// Its length in bytes.
        len: usize,
        /// [`MAX_RULE_EVENT_BYTES`].
        max: usize,
    },
    /// Audit entries are not mapped from analytics messages.
    #[error(
        "messages cannot be mapped to `audit_entry`: send audit entries to Tally's own POST /v1/batch, where their snapshots are redacted"
    )]
    AuditEntry,
    /// A field the kind does not have.
    #[error("`{kind}` has no field `{field}`; its fields are: {allowed}")]
    UnknownField {
        /// The target kind's wire name.
        kind: &'static str,
        /// The field named.
        field: String,
        /// The kind's fields, comma-separated.
        allowed: String,
    },
    /// One field given both a constant and a property.
    #[error("the field `{field}` is given both a constant and a property; give one")]
    FieldGivenTwice {
        /// The field.
        field: String,
    },
    /// A property name that is empty.
    #[error("the property for field `{field}` must not be empty")]
    EmptyProperty {
        /// The field.
        field: String,
    },
}

impl MappingRule {
    /// A rule mapping messages named `event` to `kind`, with constants for some
    /// of the kind's fields (`set`) and the properties others are taken from
    /// (`from`, field to property name).
    pub fn new(
        event: impl Into<String>,
        kind: EventKind,
        set: BTreeMap<String, Value>,
        from: BTreeMap<String, String>,
    ) -> Result<MappingRule, RuleError> {
        let event = event.into();
        if event.trim().is_empty() {
            return Err(RuleError::EmptyEvent);
        }
        if event.len() > MAX_RULE_EVENT_BYTES {
            return Err(RuleError::EventTooLong { len: event.len(), max: MAX_RULE_EVENT_BYTES });
        }
        if kind == EventKind::AuditEntry {
            return Err(RuleError::AuditEntry);
        }
        for field in set.keys().chain(from.keys()) {
            if !kind.fields().contains(&field.as_str()) {
                return Err(RuleError::UnknownField {
                    kind: kind.wire_name(),
                    field: field.clone(),
                    allowed: kind.fields().join(", "),
                });
            }
        }
        if let Some(field) = set.keys().find(|field| from.contains_key(*field)) {
            return Err(RuleError::FieldGivenTwice { field: field.clone() });
        }
        if let Some((field, _)) = from.iter().find(|(_, property)| property.trim().is_empty()) {
            return Err(RuleError::EmptyProperty { field: field.clone() });
        }
        Ok(MappingRule { event, kind, set, from })
    }

    /// The message name matched, exactly as given.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The kind such messages become.
    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// Constants, by field.
    pub fn set(&self) -> &BTreeMap<String, Value> {
        &self.set
    }

    /// Property names, by field.
    pub fn from(&self) -> &BTreeMap<String, String> {
        &self.from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, &str)]) -> BTreeMap<String, Value> {
        pairs.iter().map(|(field, value)| (field.to_string(), Value::from(*value))).collect()
    }

    fn from(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(field, property)| (field.to_string(), property.to_string())).collect()
    }

    #[test]
    fn a_rule_names_only_fields_of_its_kind() {
        let rule = MappingRule::new(
            "Deploy Service",
            EventKind::ActionRun,
            set(&[("action", "deploy_service"), ("trigger", "api")]),
            from(&[("run_id", "runId")]),
        )
        .unwrap();
        assert_eq!(rule.kind(), EventKind::ActionRun);
        assert_eq!(
            MappingRule::new("Signed In", EventKind::Login, set(&[("page", "/")]), from(&[])),
            Err(RuleError::UnknownField {
                kind: "login",
                field: "page".into(),
                allowed: "user, organization".into()
            })
        );
    }

    #[test]
    fn a_rule_is_refused_for_what_it_cannot_mean() {
        let empty = BTreeMap::new;
        assert_eq!(
            MappingRule::new(" ", EventKind::Login, empty(), from(&[])),
            Err(RuleError::EmptyEvent)
        );
        let long = "x".repeat(MAX_RULE_EVENT_BYTES + 1);
        assert_eq!(
            MappingRule::new(long, EventKind::Login, empty(), from(&[])),
            Err(RuleError::EventTooLong { len: 513, max: 512 })
        );
        assert_eq!(
            MappingRule::new("Changed", EventKind::AuditEntry, empty(), from(&[])),
            Err(RuleError::AuditEntry)
        );
        assert_eq!(
            MappingRule::new(
                "Signed In",
                EventKind::Login,
                set(&[("user", "u")]),
                from(&[("user", "uid")])
            ),
            Err(RuleError::FieldGivenTwice { field: "user".into() })
        );
        assert_eq!(
            MappingRule::new("Signed In", EventKind::Login, empty(), from(&[("user", "")])),
            Err(RuleError::EmptyProperty { field: "user".into() })
        );
    }
}
