//! The mapping of a read message to one of Tally's events: the account's rules
//! first, then the default mapping, and an `activity` for what neither covers.

use std::collections::HashMap;

use serde_json::{Map, Value};
use tally_events::EventKind;

use crate::message::{Call, Format, MappedBy, Message, Translated};
use crate::rule::MappingRule;

/// An account's rules and the default mapping. Built once per batch from the
/// account's rules; mapping a message reads it only.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    rules: HashMap<String, MappingRule>,
}

/// A field of the default mapping read from the first of these properties the
/// message has.
type Fallbacks = &'static [(&'static str, &'static [&'static str])];

impl Mapping {
    /// The default mapping extended by `rules` (one per message name; of two
    /// with one name the last is kept).
    pub fn new(rules: impl IntoIterator<Item = MappingRule>) -> Mapping {
        Mapping { rules: rules.into_iter().map(|rule| (rule.event().to_string(), rule)).collect() }
    }

    /// Maps one message to one event, in Tally's own JSON, and says how.
    ///
    /// Nothing is checked here beyond what mapping needs: the event is checked
    /// afterwards by `tally-events`, like one sent natively.
    pub fn translate(&self, message: Message) -> Translated {
        let Message {
            index,
            format,
            id,
            name,
            at,
            user,
            organization,
            call,
            properties,
            properties_source,
        } = message;
        let mut draft = Draft {
            event: Map::new(),
            sources: Vec::new(),
            properties,
            properties_source,
            user,
            organization,
        };
        draft.event.insert("id".into(), Value::String(id));
        draft.put("at", Some(at));
        let rule = name.as_ref().and_then(|name| self.rules.get(name));
        let (kind, by) = match (rule, call) {
            (Some(rule), call) => {
                // What the call had taken out of the properties is theirs again.
                if let Call::Identify { traits, traits_source }
                | Call::Group { traits, traits_source, .. } = call
                {
                    draft.keep_rest(traits, traits_source);
                }
                draft.fill(rule.kind(), Some(rule), &[]);
                if rule.kind() == EventKind::Activity {
                    draft.default_activity(format, rule.event());
                }
                (rule.kind(), MappedBy::AccountRule)
            }
            (None, Call::Page { page, page_source }) => {
                draft.take_user_and_organization();
                draft.put("page", page.map(|page| (page, page_source)));
                (EventKind::PageVisit, MappedBy::Default)
            }
            (None, Call::Identify { mut traits, traits_source }) => {
                draft.take_user_and_organization();
                let has_organization = draft.event.contains_key("organization");
                let mut from_traits = |field: &'static str, names: &[&str]| {
                    let found = names.iter().find_map(|name| {
                        traits.remove(*name).map(|value| (value, format!("{traits_source}.{name}")))
                    });
                    draft.put_owned(field, found);
                };
                if !has_organization {
                    from_traits("organization", &["organization"]);
                }
                from_traits("email", &["email"]);
                from_traits("username", &["username"]);
                from_traits("display_name", &["display_name", "name"]);
                from_traits("role", &["role"]);
                from_traits("teams", &["teams"]);
                from_traits("service_account", &["service_account"]);
                draft.keep_rest(traits, traits_source);
                (EventKind::UserAdded, MappedBy::Default)
            }
            (
                None,
                Call::Group { organization, organization_source, mut traits, traits_source },
            ) => {
                draft.take_user();
                draft.put("organization", Some((organization, organization_source)));
                let role = traits
                    .remove("role")
                    .map(|role| (role, format!("{traits_source}.role")))
                    .unwrap_or_else(|| (Value::from("member"), "default".into()));
                draft.put_owned("role", Some(role));
                draft.keep_rest(traits, traits_source);
                (EventKind::UserRoleChanged, MappedBy::Default)
            }
            (None, Call::Alias) => {
                draft.fill(EventKind::Activity, None, &[]);
                draft.default_activity(format, "alias");
                (EventKind::Activity, MappedBy::Default)
            }
            (None, Call::Named) => {
                let name = name.as_deref().unwrap_or(format.label());
                if let Some((kind, fallbacks)) = default_rule(format, name) {
                    draft.fill(kind, None, fallbacks);
                    if kind == EventKind::Activity {
                        draft.default_activity(format, name);
                    }
                    (kind, MappedBy::Default)
                } else {
                    draft.fill(EventKind::Activity, None, &[]);
                    draft.default_activity(format, name);
                    (EventKind::Activity, MappedBy::KeptAsActivity)
                }
            }
        };
        draft.event.insert("kind".into(), Value::from(kind.wire_name()));
        let Draft { mut event, sources, properties, .. } = draft;
        if !properties.is_empty() {
            event.insert("properties".into(), Value::Object(properties));
        }
        Translated { index, event: Value::Object(event), kind, by, sources }
    }
}

/// The default mapping of a named message, when it has one besides "a kind's
/// own name".
fn default_rule(format: Format, name: &str) -> Option<(EventKind, Fallbacks)> {
    match (format, name) {
        // Segment's B2B SaaS spec names a sign-in so; every format may use it.
        (_, "Signed In") => Some((EventKind::Login, &[])),
        (Format::PostHog, "$ai_generation") => {
            Some((EventKind::AiInvocation, &[("source", &["source", "$ai_provider"])]))
        }
        (Format::PostHog, "$mcp_tool_call") => Some((
            EventKind::McpCall,
            &[
                ("tool", &["$mcp_tool_name", "tool"]),
                ("error", &["$mcp_error", "error"]),
                ("duration_ms", &["$mcp_duration_ms", "duration_ms"]),
            ],
        )),
        _ => kind_named(format, name).map(|kind| (kind, &[] as Fallbacks)),
    }
}

/// The kind a message name spells, in any case and with spaces, dashes or
/// underscores alike (`Page Visit` is `page_visit`); for a CloudEvents `type`,
/// also its last dot-separated part (`com.acme.login`). Never `audit_entry`:
/// audit entries are sent natively, where their snapshots are redacted.
fn kind_named(format: Format, name: &str) -> Option<EventKind> {
    let spelled = |text: &str| {
        let normal = text
            .split(|c: char| c == '_' || c == '-' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join("_");
        EventKind::parse(&normal).filter(|kind| *kind != EventKind::AuditEntry)
    };
    spelled(name).or_else(|| match format {
        Format::CloudEvents => name.rsplit_once('.').and_then(|(_, last)| spelled(last)),
        Format::Segment | Format::PostHog => None,
    })
}

/// The event being made, and what of the message is left to place.
struct Draft {
    event: Map<String, Value>,
    sources: Vec<(&'static str, String)>,
    properties: Map<String, Value>,
    properties_source: &'static str,
    user: Option<(Value, &'static str)>,
    organization: Option<(Value, &'static str)>,
}

impl Draft {
    fn put(&mut self, field: &'static str, value: Option<(Value, &'static str)>) {
        self.put_owned(field, value.map(|(value, source)| (value, source.to_string())));
    }

    fn put_owned(&mut self, field: &'static str, value: Option<(Value, String)>) {
        if let Some((value, source)) = value {
            self.event.insert(field.into(), value);
            self.sources.push((field, source));
        }
    }

    fn take_user(&mut self) {
        let user = self.user.take();
        self.put("user", user);
    }

    fn take_user_and_organization(&mut self) {
        self.take_user();
        let organization = self.organization.take();
        self.put("organization", organization);
    }

    /// Fills each field of `kind`: the rule's constant, the property the rule
    /// names, the default mapping's properties, the message's own user or
    /// organization, then the property of the field's own name.
    fn fill(&mut self, kind: EventKind, rule: Option<&MappingRule>, fallbacks: Fallbacks) {
        for &field in kind.fields() {
            if let Some(value) = rule.and_then(|rule| rule.set().get(field)) {
                self.put_owned(field, Some((value.clone(), "mapping rule".into())));
                continue;
            }
            let named = rule.and_then(|rule| rule.from().get(field)).map(String::as_str);
            let listed = fallbacks.iter().find(|(name, _)| *name == field).map(|(_, names)| *names);
            if let Some(found) = named
                .into_iter()
                .chain(listed.into_iter().flatten().copied())
                .find_map(|name| self.take_property(name))
            {
                self.put_owned(field, Some(found));
                continue;
            }
            match field {
                "user" => self.take_user(),
                "organization" => {
                    let organization = self.organization.take();
                    self.put("organization", organization);
                }
                _ => {}
            }
            if !self.event.contains_key(field) {
                let own = self.take_property(field);
                self.put_owned(field, own);
            }
        }
    }

    fn take_property(&mut self, name: &str) -> Option<(Value, String)> {
        let value = self.properties.remove(name)?;
        Some((value, format!("{}.{name}", self.properties_source)))
    }

    /// An activity's module (the format's name) and action (the message's
    /// name) when the message gives neither, and no time spent.
    fn default_activity(&mut self, format: Format, name: &str) {
        for (field, value) in [
            ("module", Value::from(format.label())),
            ("action", Value::from(name)),
            ("time_spent_secs", Value::from(0)),
        ] {
            if !self.event.contains_key(field) {
                self.put_owned(field, Some((value, "default".into())));
            }
        }
    }

    /// Keeps traits no field took among the event's properties, under the name
    /// they were sent with (`traits`, `$set`).
    fn keep_rest(&mut self, traits: Map<String, Value>, traits_source: &str) {
        if traits.is_empty() {
            return;
        }
        let key = traits_source.rsplit('.').next().unwrap_or(traits_source);
        self.properties.insert(key.to_string(), Value::Object(traits));
    }
}
