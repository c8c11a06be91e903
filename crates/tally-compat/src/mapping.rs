//! The mapping of a read message to one of Tally's events: the account's rules
//! first, then the default mapping, and an `activity` for what neither covers.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::value::RawValue;
use tally_events::{EventFields, EventKind};

use crate::message::{Call, Format, MappedBy, Message, Source, Translated};
use crate::raw::{Members, Raw, owned_raw, text_of};
use crate::rule::MappingRule;

/// An account's rules and the default mapping. Built once per request from the
/// account's rules; mapping a message reads it only.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    rules: HashMap<String, CompiledRule>,
}

/// A rule with its constants written as JSON text once.
#[derive(Debug, Clone)]
struct CompiledRule {
    rule: MappingRule,
    constants: Vec<(String, Box<RawValue>)>,
}

/// A field of the default mapping read from the first of these properties the
/// message has.
type Fallbacks = &'static [(&'static str, &'static [&'static str])];

/// How one message was mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapped {
    /// The kind of the event.
    pub kind: EventKind,
    /// Which mapping made it.
    pub by: MappedBy,
}

impl Mapping {
    /// The default mapping extended by `rules` (one per message name; of two
    /// with one name the last is kept).
    pub fn new(rules: impl IntoIterator<Item = MappingRule>) -> Mapping {
        let rules = rules
            .into_iter()
            .map(|rule| {
                let constants = rule
                    .set()
                    .iter()
                    .map(|(field, value)| {
                        let text = serde_json::to_vec(value).expect("a JSON value serialises");
                        (field.clone(), owned_raw(text))
                    })
                    .collect();
                (rule.event().to_string(), CompiledRule { rule, constants })
            })
            .collect();
        Mapping { rules }
    }

    /// Maps one message to one event, as a line of Tally's own JSON, and says
    /// how and where each field was read.
    ///
    /// Nothing is checked here beyond what mapping needs: the event is checked
    /// afterwards by `tally-events`, like one sent natively.
    pub fn translate(&self, message: Message<'_>) -> Translated {
        let index = message.index;
        let mut line = Vec::with_capacity(256);
        let (mapped, draft, id) = self.draft(message, true);
        draft.write(&id, mapped.kind, &mut line);
        let sources = draft.sources;
        Translated {
            index,
            event: String::from_utf8(line).expect("the mapping writes UTF-8"),
            kind: mapped.kind,
            by: mapped.by,
            sources,
        }
    }

    /// Maps one message to its event's fields, for `CheckedEvent::check_fields`:
    /// what a batch of messages does, without writing each event as JSON and
    /// reading it again, and without keeping where each field was read.
    pub fn translate_fields<'a>(&'a self, message: Message<'a>) -> (Mapped, EventFields<'a>) {
        let (mapped, draft, id) = self.draft(message, false);
        (mapped, draft.into_fields(id, mapped.kind))
    }

    /// Maps `message` into the fields of its event, noting where each was
    /// read when `track_sources` (which costs an allocation a field read from
    /// a property).
    fn draft<'a>(
        &'a self,
        message: Message<'a>,
        track_sources: bool,
    ) -> (Mapped, Draft<'a>, Raw<'a>) {
        let Message {
            index: _,
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
            fields: Vec::with_capacity(8),
            sources: Vec::new(),
            track_sources,
            properties,
            properties_source,
            user,
            organization,
        };
        draft.put("at", Some(at));
        let rule = match &name {
            Some(name) if !self.rules.is_empty() => self.rules.get(name.as_ref()),
            _ => None,
        };
        let (kind, by) = match (rule, call) {
            (Some(rule), call) => {
                // What the call had taken out of the properties is theirs again.
                if let Call::Identify { traits, traits_source }
                | Call::Group { traits, traits_source, .. } = call
                {
                    draft.keep_rest(traits, traits_source);
                }
                let kind = rule.rule.kind();
                draft.fill(kind, Some(rule), &[]);
                if kind == EventKind::Activity {
                    draft.default_activity(format, Cow::Borrowed(rule.rule.event()));
                }
                (kind, MappedBy::AccountRule)
            }
            (None, Call::Page { page, page_source }) => {
                draft.take_user_and_organization();
                draft.put("page", page.map(|page| (page, page_source)));
                (EventKind::PageVisit, MappedBy::Default)
            }
            (None, Call::Identify { mut traits, traits_source }) => {
                draft.take_user_and_organization();
                let has_organization = draft.has("organization");
                let mut from_traits = |field: &'static str, names: &[&str]| {
                    let found = names.iter().find_map(|name| {
                        traits
                            .remove(name)
                            .map(|value| (value, Cow::Owned(format!("{traits_source}.{name}"))))
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
                match traits.remove("role") {
                    Some(role) => draft.put_owned(
                        "role",
                        Some((role, Cow::Owned(format!("{traits_source}.role")))),
                    ),
                    None => draft.put_given(
                        "role",
                        Given::Text(Cow::Borrowed("member")),
                        Cow::Borrowed("default"),
                    ),
                }
                draft.keep_rest(traits, traits_source);
                (EventKind::UserRoleChanged, MappedBy::Default)
            }
            (None, Call::Alias) => {
                draft.fill(EventKind::Activity, None, &[]);
                draft.default_activity(format, Cow::Borrowed("alias"));
                (EventKind::Activity, MappedBy::Default)
            }
            (None, Call::Named) => {
                let name = name.unwrap_or(Cow::Borrowed(format.label()));
                if let Some((kind, fallbacks)) = default_rule(format, &name) {
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
        (Mapped { kind, by }, draft, id)
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
    spelled_kind(name).or_else(|| match format {
        Format::CloudEvents => name.rsplit_once('.').and_then(|(_, last)| spelled_kind(last)),
        Format::Segment | Format::PostHog => None,
    })
}

/// The kind `text` spells: its words, apart by runs of spaces, dashes or
/// underscores (any at either end), lower-cased and joined by `_`, are a
/// kind's wire name. Spelled into a buffer on the stack: this runs for every
/// named message, and most names are no kind's.
fn spelled_kind(text: &str) -> Option<EventKind> {
    // Longer than any wire name with room for separators: no kind.
    const MAX: usize = 64;
    let mut spelled = [0u8; MAX];
    let mut len = 0;
    let separator = |c: char| c == '_' || c == '-' || c.is_whitespace();
    for word in text.split(separator).filter(|word| !word.is_empty()) {
        if len > 0 {
            *spelled.get_mut(len)? = b'_';
            len += 1;
        }
        for byte in word.bytes() {
            *spelled.get_mut(len)? = byte.to_ascii_lowercase();
            len += 1;
        }
    }
    let spelled = std::str::from_utf8(&spelled[..len]).ok()?;
    EventKind::parse(spelled).filter(|kind| *kind != EventKind::AuditEntry)
}

/// A field's value as the mapping has it: raw JSON from the message (or a
/// rule's constant), or a value of the mapping's own, which the checker takes
/// as it is rather than reading it back from JSON.
enum Given<'a> {
    /// JSON as sent.
    Raw(Raw<'a>),
    /// A string's text.
    Text(Cow<'a, str>),
    /// A whole number.
    Whole(u64),
}

/// The event being made, and what of the message is left to place.
struct Draft<'a> {
    fields: Vec<(&'static str, Given<'a>)>,
    sources: Vec<(&'static str, Source)>,
    track_sources: bool,
    properties: Members<'a>,
    properties_source: &'static str,
    user: Option<(Raw<'a>, &'static str)>,
    organization: Option<(Raw<'a>, &'static str)>,
}

impl<'a> Draft<'a> {
    fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(name, _)| *name == field)
    }

    fn put(&mut self, field: &'static str, value: Option<(Raw<'a>, &'static str)>) {
        self.put_owned(field, value.map(|(value, source)| (value, Cow::Borrowed(source))));
    }

    fn put_owned(&mut self, field: &'static str, value: Option<(Raw<'a>, Source)>) {
        if let Some((value, source)) = value {
            self.put_given(field, Given::Raw(value), source);
        }
    }

    fn put_given(&mut self, field: &'static str, value: Given<'a>, source: Source) {
        self.fields.push((field, value));
        if self.track_sources {
            self.sources.push((field, source));
        }
    }

    /// Where a field read from the message's property `name` was read, when
    /// sources are kept.
    fn property_source(&self, name: &str) -> Source {
        if self.track_sources {
            Cow::Owned(format!("{}.{name}", self.properties_source))
        } else {
            Cow::Borrowed("")
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
    fn fill(&mut self, kind: EventKind, rule: Option<&'a CompiledRule>, fallbacks: Fallbacks) {
        for &field in kind.fields() {
            let constant = rule.and_then(|rule| {
                rule.constants.iter().find(|(name, _)| name == field).map(|(_, value)| value)
            });
            if let Some(value) = constant {
                self.put(field, Some((Cow::Borrowed(&**value), "mapping rule")));
                continue;
            }
            let named = rule.and_then(|rule| rule.rule.from().get(field)).map(String::as_str);
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
            if !self.has(field) {
                let own = self.take_property(field);
                self.put_owned(field, own);
            }
        }
    }

    fn take_property(&mut self, name: &str) -> Option<(Raw<'a>, Source)> {
        let value = self.properties.remove(name)?;
        Some((value, self.property_source(name)))
    }

    /// An activity's module (the format's name) and action (the message's
    /// name) when the message gives neither, and no time spent.
    fn default_activity(&mut self, format: Format, name: Cow<'a, str>) {
        if !self.has("module") {
            self.put_given(
                "module",
                Given::Text(Cow::Borrowed(format.label())),
                Cow::Borrowed("default"),
            );
        }
        if !self.has("action") {
            self.put_given("action", Given::Text(name), Cow::Borrowed("default"));
        }
        if !self.has("time_spent_secs") {
            self.put_given("time_spent_secs", Given::Whole(0), Cow::Borrowed("default"));
        }
    }

    /// Keeps traits no field took among the event's properties, under the name
    /// they were sent with (`traits`, `$set`).
    fn keep_rest(&mut self, traits: Members<'a>, traits_source: &str) {
        if traits.is_empty() {
            return;
        }
        let key = traits_source.rsplit('.').next().unwrap_or(traits_source).to_string();
        self.properties.insert_absent(key, traits.into_raw());
    }

    /// The event's fields for the checker: strings as their text (borrowed
    /// when they hold no escape), other values parsed, properties as JSON text.
    fn into_fields(self, id: Raw<'a>, kind: EventKind) -> EventFields<'a> {
        let mut fields = EventFields::new();
        let mut put = |name: &'static str, value: Given<'a>| match value {
            Given::Raw(value) => match text_of(&value) {
                Some(text) => fields.text(name, text),
                None => fields.value(
                    name,
                    serde_json::from_str(value.get()).expect("a raw value is valid JSON"),
                ),
            },
            Given::Text(text) => fields.text(name, text),
            Given::Whole(number) => fields.value(name, serde_json::Value::from(number)),
        };
        put("id", Given::Raw(id));
        for (name, value) in self.fields {
            put(name, value);
        }
        fields.text("kind", Cow::Borrowed(kind.wire_name()));
        if !self.properties.is_empty() {
            let mut json = Vec::with_capacity(128);
            self.properties.write(&mut json);
            fields.properties(Cow::Owned(String::from_utf8(json).expect("JSON written is UTF-8")));
        }
        fields
    }

    /// Writes the event as one line of JSON.
    fn write(&self, id: &RawValue, kind: EventKind, line: &mut Vec<u8>) {
        line.extend_from_slice(b"{\"id\":");
        line.extend_from_slice(id.get().as_bytes());
        line.extend_from_slice(b",\"kind\":\"");
        line.extend_from_slice(kind.wire_name().as_bytes());
        line.push(b'"');
        for (field, value) in &self.fields {
            line.extend_from_slice(b",\"");
            line.extend_from_slice(field.as_bytes());
            line.extend_from_slice(b"\":");
            match value {
                Given::Raw(value) => line.extend_from_slice(value.get().as_bytes()),
                Given::Text(text) => serde_json::to_writer(&mut *line, text.as_ref())
                    .expect("writing to a Vec cannot fail"),
                Given::Whole(number) => line.extend_from_slice(number.to_string().as_bytes()),
            }
        }
        if !self.properties.is_empty() {
            line.extend_from_slice(b",\"properties\":");
            self.properties.write(line);
        }
        line.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_spells_a_kind_in_any_case_and_with_any_separators() {
        assert_eq!(spelled_kind("Page Visit"), Some(EventKind::PageVisit));
        assert_eq!(spelled_kind("  action--run_"), Some(EventKind::ActionRun));
        assert_eq!(spelled_kind("LOGIN"), Some(EventKind::Login));
        assert_eq!(spelled_kind("page"), None);
        assert_eq!(spelled_kind("page visit now"), None);
        assert_eq!(spelled_kind(""), None);
        assert_eq!(spelled_kind(&"x".repeat(65)), None);
        assert_eq!(kind_named(Format::CloudEvents, "com.acme.mcp-call"), Some(EventKind::McpCall));
        assert_eq!(kind_named(Format::Segment, "com.acme.login"), None);
        assert_eq!(kind_named(Format::PostHog, "Audit Entry"), None);
    }
}
