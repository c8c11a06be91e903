//! Checking one JSON object into a typed [`Event`].
//!
//! The checker consumes the object's fields one by one, so that whatever is left at
//! the end is an unknown field, and every error names the field path it is about.

use chrono::{DateTime, Datelike, Utc};
use serde_json::{Map, Value};

use crate::error::{Problem, Rejection};
use crate::event::*;
use crate::free_json::{CanonicalJson, FreeJsonError, canonicalise, json_type_of};
use crate::kind::EventKind;
use crate::limits::Limits;
use crate::object::{FieldValue, Object, TopLevel};
use crate::values::*;

/// Checks one line or array item (the event at `line`), as the batch reader
/// read it, into an [`Event`], with the properties earlier versions of Tally
/// kept for it when they are not the ones kept now (see
/// [`crate::CheckedEvent::earlier_canonical_json`]).
pub(crate) fn check_top_level(
    line: usize,
    value: TopLevel<'_>,
    limits: &Limits,
) -> Result<(Event, Option<Properties>), Rejection> {
    let object = match value {
        TopLevel::Object(object) => object,
        TopLevel::Other(found) => {
            return Err(Rejection { line, field: None, problem: Problem::NotAnObject { found } });
        }
    };
    // Which of two values the sender meant is not known: keeping either would
    // store something other than what was sent.
    if let Some(name) = object.duplicate() {
        return Err(Rejection {
            line,
            field: Some(name.to_owned()),
            problem: Problem::DuplicateField,
        });
    }
    let mut fields = Fields { line, object, limits, kind: None, earlier_properties: None };
    let id = fields.id()?;
    let kind_text = fields.required_text("kind", limits.max_name_bytes)?;
    let kind = EventKind::parse(&kind_text).ok_or_else(|| {
        fields.reject(
            "kind",
            Problem::UnknownValue {
                value: kind_text.clone(),
                expected: EventKind::WIRE_NAMES.join(", "),
            },
        )
    })?;
    fields.kind = Some(kind);
    let at = fields.instant("at")?;
    let properties = fields.properties()?;
    let body = check_body(kind, &mut fields)?;
    debug_assert_eq!(body.kind(), kind, "check_body builds the kind it is given");
    let earlier_properties = fields.earlier_properties.take();
    fields.finish(kind)?;
    Ok((Event { id, at, body, properties }, earlier_properties))
}

/// The fields every kind has, besides its own.
const COMMON_FIELDS: &[&str] = &["id", "kind", "at", "properties"];

/// The longest MCP call a `duration_ms` may report: a day.
const MAX_CALL_MILLIS: u64 = 86_400_000;

fn check_body(kind: EventKind, f: &mut Fields<'_>) -> Result<EventBody, Rejection> {
    let name = f.limits.max_name_bytes;
    let text = f.limits.max_text_bytes;
    Ok(match kind {
        EventKind::Login => EventBody::Login(Login {
            user: f.required_text("user", name)?,
            organization: f.optional_text("organization", name)?,
        }),
        EventKind::PageVisit => EventBody::PageVisit(PageVisit {
            user: f.required_text("user", name)?,
            organization: f.optional_text("organization", name)?,
            page: f.required_text("page", text)?,
        }),
        EventKind::EntityChange => EventBody::EntityChange(EntityChange {
            organization: f.required_text("organization", name)?,
            blueprint: f.required_text("blueprint", name)?,
            entity: f.required_text("entity", name)?,
            // A timer expiry is an audit entry, not a catalog change.
            operation: f.closed("operation", Operation::parse, &Operation::WIRE_NAMES[..3])?,
            origin: f.optional_open("origin", OriginType::parse)?,
            user: f.optional_text("user", name)?,
        }),
        EventKind::ActionRun => EventBody::ActionRun(ActionRun {
            organization: f.required_text("organization", name)?,
            action: f.required_text("action", name)?,
            run_id: f.required_text("run_id", name)?,
            trigger: f.closed("trigger", RunTrigger::parse, RunTrigger::WIRE_NAMES)?,
            status: f.closed("status", RunStatus::parse, RunStatus::WIRE_NAMES)?,
            user: f.optional_text("user", name)?,
        }),
        EventKind::AutomationRun => EventBody::AutomationRun(AutomationRun {
            organization: f.required_text("organization", name)?,
            automation: f.required_text("automation", name)?,
            run_id: f.required_text("run_id", name)?,
            status: f.closed("status", RunStatus::parse, RunStatus::WIRE_NAMES)?,
        }),
        EventKind::DataSourceChange => EventBody::DataSourceChange(DataSourceChange {
            organization: f.required_text("organization", name)?,
            data_source: f.required_text("data_source", name)?,
            data_source_type: f.required_text("data_source_type", name)?,
            name: f.required_text("name", name)?,
            operation: f.closed("operation", Operation::parse, &Operation::WIRE_NAMES[..3])?,
        }),
        EventKind::AiInvocation => EventBody::AiInvocation(AiInvocation {
            user: f.optional_text("user", name)?,
            organization: f.optional_text("organization", name)?,
            source: f.optional_text("source", name)?,
        }),
        EventKind::McpCall => EventBody::McpCall(McpCall {
            user: f.optional_text("user", name)?,
            organization: f.optional_text("organization", name)?,
            tool: f.optional_text("tool", name)?,
            status: f.optional_closed("status", AuditStatus::parse, AuditStatus::WIRE_NAMES)?,
            error: f.optional_text("error", text)?,
            duration_ms: f.optional_integer("duration_ms", 0, MAX_CALL_MILLIS)?,
        }),
        EventKind::Activity => EventBody::Activity(Activity {
            user: f.required_text("user", name)?,
            module: f.required_text("module", name)?,
            action: f.required_text("action", name)?,
            time_spent_secs: f.integer("time_spent_secs", 0, 86_400)?,
        }),
        EventKind::SyncObservation => {
            let observation = SyncObservation {
                system: f.required_text("system", name)?,
                project: f.optional_text("project", name)?,
                email: f.optional_text("email", name)?,
                username: f.optional_text("username", name)?,
                display_name: f.optional_text("display_name", name)?,
                interaction: f.required_open("interaction", InteractionType::parse)?,
                service_account: f.optional_bool("service_account")?.unwrap_or(false),
            };
            if observation.email.is_none()
                && observation.username.is_none()
                && observation.display_name.is_none()
            {
                return Err(Rejection {
                    line: f.line,
                    field: None,
                    problem: Problem::NeedsOneOf { fields: "email, username, display_name" },
                });
            }
            EventBody::SyncObservation(observation)
        }
        EventKind::EntitySync => EventBody::EntitySync(EntitySync {
            source_system: f.required_text("source_system", name)?,
            target_system: f.required_text("target_system", name)?,
            source_project: f.optional_text("source_project", name)?,
            target_project: f.optional_text("target_project", name)?,
            entity_type: f.required_text("entity_type", name)?,
            entities: f.optional_integer("entities", 1, 1_000_000_000)?.unwrap_or(1),
            status: f
                .optional_closed("status", IntegrationStatus::parse, IntegrationStatus::WIRE_NAMES)?
                .unwrap_or(IntegrationStatus::Active),
        }),
        EventKind::UserAdded => EventBody::UserAdded(UserAdded {
            user: f.required_text("user", name)?,
            email: f.optional_text("email", name)?,
            username: f.optional_text("username", name)?,
            display_name: f.optional_text("display_name", name)?,
            organization: f.optional_text("organization", name)?,
            role: f.optional_closed("role", Role::parse, Role::WIRE_NAMES)?.unwrap_or(Role::Member),
            teams: f.optional_text_list("teams")?.unwrap_or_default(),
            service_account: f.optional_bool("service_account")?.unwrap_or(false),
        }),
        EventKind::UserRemoved => {
            EventBody::UserRemoved(UserRef { user: f.required_text("user", name)? })
        }
        EventKind::UserDisabled => {
            EventBody::UserDisabled(UserRef { user: f.required_text("user", name)? })
        }
        EventKind::UserEnabled => {
            EventBody::UserEnabled(UserRef { user: f.required_text("user", name)? })
        }
        EventKind::UserRoleChanged => EventBody::UserRoleChanged(UserRoleChanged {
            user: f.required_text("user", name)?,
            organization: f.required_text("organization", name)?,
            role: f.closed("role", Role::parse, Role::WIRE_NAMES)?,
        }),
        EventKind::UserTeamsChanged => EventBody::UserTeamsChanged(UserTeamsChanged {
            user: f.required_text("user", name)?,
            teams: f.required_text_list("teams")?,
        }),
        EventKind::AuditEntry => EventBody::AuditEntry(AuditEntry {
            resource: f.closed("resource", ResourceKind::parse, ResourceKind::SENT_NAMES)?,
            resource_id: f.optional_text("resource_id", name)?,
            operation: f.closed("operation", Operation::parse, Operation::WIRE_NAMES)?,
            source_type: f.closed("source_type", SourceType::parse, SourceType::WIRE_NAMES)?,
            source: f.required_text("source", name)?,
            origin: f.required_open("origin", OriginType::parse)?,
            status: f.closed("status", AuditStatus::parse, AuditStatus::WIRE_NAMES)?,
            error: f.optional_text("error", text)?,
            user: f.optional_text("user", name)?,
            blueprint: f.optional_text("blueprint", name)?,
            entity: f.optional_text("entity", name)?,
            run_id: f.optional_text("run_id", name)?,
            integration: f.optional_text("integration", name)?,
            before: f.snapshot("before")?,
            after: f.snapshot("after")?,
        }),
    })
}

struct Fields<'a> {
    line: usize,
    object: Object<'a>,
    limits: &'a Limits,
    /// Once known: which fields are unknown depends on it.
    kind: Option<EventKind>,
    /// The properties as earlier versions kept them, when not as now.
    earlier_properties: Option<Properties>,
}

impl<'a> Fields<'a> {
    fn reject(&self, field: &str, problem: Problem) -> Rejection {
        Rejection { line: self.line, field: Some(field.to_owned()), problem }
    }

    /// A required field is missing: if the event has an unknown field with a
    /// name close to it (`usr` for `user`), say so, since that is the likely fix.
    fn missing(&self, field: &str) -> Rejection {
        let known = |name: &str| {
            COMMON_FIELDS.contains(&name)
                || match self.kind {
                    Some(kind) => kind.fields().contains(&name),
                    None => EventKind::ALL.iter().any(|kind| kind.fields().contains(&name)),
                }
        };
        // Within two edits, or a third of the name for longer names.
        let reach = (field.chars().count() / 3).max(2);
        let near = self
            .object
            .keys()
            .filter(|name| !known(name))
            .map(|name| (strsim::damerau_levenshtein(name, field), name))
            .filter(|(distance, _)| *distance <= reach)
            .min()
            .map(|(_, name)| name.to_owned());
        self.reject(field, Problem::Missing { near })
    }

    /// Removes a field, treating JSON `null` as absent.
    fn take(&mut self, field: &str) -> Option<FieldValue<'a>> {
        match self.object.remove(field) {
            None => None,
            Some(value) if value.is_null() => None,
            Some(value) => Some(value),
        }
    }

    fn id(&mut self) -> Result<String, Rejection> {
        // Ids are kept exactly as sent: trimming would merge ids the sender keeps apart.
        match self.take("id") {
            None => Err(self.missing("id")),
            Some(FieldValue::Text(id)) if id.is_empty() => Err(self.reject("id", Problem::Empty)),
            Some(FieldValue::Text(id)) if id.len() > self.limits.max_id_bytes => Err(self
                .reject("id", Problem::TooLong { len: id.len(), max: self.limits.max_id_bytes })),
            Some(FieldValue::Text(id)) => Ok(id.into_owned()),
            Some(other) => Err(self.reject(
                "id",
                Problem::WrongType { expected: "a string", found: other.json_type() },
            )),
        }
    }

    /// A text field: surrounding whitespace is dropped; empty text counts as absent.
    fn optional_text(&mut self, field: &str, max: usize) -> Result<Option<String>, Rejection> {
        match self.take(field) {
            None => Ok(None),
            Some(FieldValue::Text(text)) => {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    Ok(None)
                } else if trimmed.len() > max {
                    Err(self.reject(field, Problem::TooLong { len: trimmed.len(), max }))
                } else if trimmed.len() == text.len() {
                    Ok(Some(text.into_owned()))
                } else {
                    Ok(Some(trimmed.to_owned()))
                }
            }
            Some(other) => Err(self.reject(
                field,
                Problem::WrongType { expected: "a string", found: other.json_type() },
            )),
        }
    }

    fn required_text(&mut self, field: &str, max: usize) -> Result<String, Rejection> {
        let present = self.object.get(field).is_some_and(|value| !value.is_null());
        match self.optional_text(field, max)? {
            Some(text) => Ok(text),
            None if present => Err(self.reject(field, Problem::Empty)),
            None => Err(self.missing(field)),
        }
    }

    fn instant(&mut self, field: &str) -> Result<DateTime<Utc>, Rejection> {
        let text = match self.take(field) {
            None => return Err(self.missing(field)),
            Some(FieldValue::Text(text)) => text,
            Some(other) => {
                return Err(self.reject(
                    field,
                    Problem::WrongType { expected: "an RFC 3339 string", found: other.json_type() },
                ));
            }
        };
        let at = DateTime::parse_from_rfc3339(text.trim())
            .map_err(|_| self.reject(field, Problem::BadInstant { value: text.to_string() }))?
            .with_timezone(&Utc);
        if !(2000..=2099).contains(&at.year()) {
            return Err(self.reject(field, Problem::InstantOutOfRange { value: text.into_owned() }));
        }
        Ok(at)
    }

    fn closed<T: Copy + PartialEq>(
        &mut self,
        field: &str,
        parse: fn(&str) -> Option<T>,
        names: &[&str],
    ) -> Result<T, Rejection> {
        let present = self.object.get(field).is_some_and(|value| !value.is_null());
        match self.optional_closed(field, parse, names)? {
            Some(value) => Ok(value),
            None if present => Err(self.reject(field, Problem::Empty)),
            None => Err(self.missing(field)),
        }
    }

    fn optional_closed<T: Copy + PartialEq>(
        &mut self,
        field: &str,
        parse: fn(&str) -> Option<T>,
        names: &[&str],
    ) -> Result<Option<T>, Rejection> {
        let Some(text) = self.optional_text(field, self.limits.max_name_bytes)? else {
            return Ok(None);
        };
        match parse(&text) {
            // `names` may be a subset of the enum (a data source cannot expire).
            Some(value) if names.iter().any(|name| parse(name) == Some(value)) => Ok(Some(value)),
            _ => Err(self
                .reject(field, Problem::UnknownValue { value: text, expected: names.join(", ") })),
        }
    }

    fn required_open<T>(&mut self, field: &str, parse: fn(&str) -> T) -> Result<T, Rejection> {
        let present = self.object.get(field).is_some_and(|value| !value.is_null());
        match self.optional_open(field, parse)? {
            Some(value) => Ok(value),
            None if present => Err(self.reject(field, Problem::Empty)),
            None => Err(self.missing(field)),
        }
    }

    /// An open value, kept in its normalised spelling. The limits apply to that
    /// spelling, the one canonical JSON holds: text of separators only (`-`)
    /// normalises to nothing and counts as empty, and upper-casing can lengthen
    /// text (`ŉ` is 2 bytes, `ʼN` 3). Otherwise canonical JSON would not re-check.
    fn optional_open<T>(
        &mut self,
        field: &str,
        parse: fn(&str) -> T,
    ) -> Result<Option<T>, Rejection> {
        let max = self.limits.max_name_bytes;
        let Some(text) = self.optional_text(field, max)? else {
            return Ok(None);
        };
        let normalised = normalise(&text);
        if normalised.is_empty() {
            Ok(None)
        } else if normalised.len() > max {
            Err(self.reject(field, Problem::TooLong { len: normalised.len(), max }))
        } else {
            Ok(Some(parse(&normalised)))
        }
    }

    fn integer(&mut self, field: &str, min: u64, max: u64) -> Result<u32, Rejection> {
        match self.optional_integer(field, min, max)? {
            Some(value) => Ok(value),
            None => Err(self.missing(field)),
        }
    }

    fn optional_integer(
        &mut self,
        field: &str,
        min: u64,
        max: u64,
    ) -> Result<Option<u32>, Rejection> {
        debug_assert!(max <= u64::from(u32::MAX));
        match self.take(field) {
            None => Ok(None),
            Some(FieldValue::Other(Value::Number(number))) => match number.as_u64() {
                Some(value) if (min..=max).contains(&value) => {
                    Ok(Some(u32::try_from(value).expect("max fits in u32")))
                }
                // 1.5 or 1e3 inside the range: "outside the range" would be false.
                _ if number.is_f64()
                    && number
                        .as_f64()
                        .is_some_and(|value| (min as f64..=max as f64).contains(&value)) =>
                {
                    Err(self.reject(
                        field,
                        Problem::WrongType {
                            expected: "a whole number",
                            found: "a number with a fraction or exponent",
                        },
                    ))
                }
                _ => {
                    Err(self
                        .reject(field, Problem::OutOfRange { value: number.to_string(), min, max }))
                }
            },
            Some(other) => Err(self.reject(
                field,
                Problem::WrongType { expected: "a whole number", found: other.json_type() },
            )),
        }
    }

    fn optional_bool(&mut self, field: &str) -> Result<Option<bool>, Rejection> {
        match self.take(field) {
            None => Ok(None),
            Some(FieldValue::Other(Value::Bool(flag))) => Ok(Some(flag)),
            Some(other) => Err(self.reject(
                field,
                Problem::WrongType { expected: "true or false", found: other.json_type() },
            )),
        }
    }

    fn required_text_list(&mut self, field: &str) -> Result<Vec<String>, Rejection> {
        match self.optional_text_list(field)? {
            Some(list) => Ok(list),
            None => Err(self.missing(field)),
        }
    }

    /// A list of names: order and duplicates are dropped (a set), empty items rejected.
    fn optional_text_list(&mut self, field: &str) -> Result<Option<Vec<String>>, Rejection> {
        let items = match self.take(field) {
            None => return Ok(None),
            Some(FieldValue::Other(Value::Array(items))) => items,
            Some(other) => {
                return Err(self.reject(
                    field,
                    Problem::WrongType {
                        expected: "an array of strings",
                        found: other.json_type(),
                    },
                ));
            }
        };
        if items.len() > self.limits.max_list_items {
            return Err(self.reject(
                field,
                Problem::TooManyItems { count: items.len(), max: self.limits.max_list_items },
            ));
        }
        let mut names = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let path = format!("{field}[{index}]");
            match item {
                Value::String(text) if text.trim().is_empty() => {
                    return Err(self.reject(&path, Problem::Empty));
                }
                Value::String(text) if text.trim().len() > self.limits.max_name_bytes => {
                    return Err(self.reject(
                        &path,
                        Problem::TooLong {
                            len: text.trim().len(),
                            max: self.limits.max_name_bytes,
                        },
                    ));
                }
                Value::String(text) => names.push(text.trim().to_owned()),
                other => {
                    return Err(self.reject(
                        &path,
                        Problem::WrongType { expected: "a string", found: json_type(&other) },
                    ));
                }
            }
        }
        names.sort();
        names.dedup();
        Ok(Some(names))
    }

    /// Free-form JSON in canonical form, or the rejection of a key sent twice.
    fn free_form(&self, field: &str, text: &str) -> Result<CanonicalJson, Rejection> {
        canonicalise(text, field).map_err(|error| match error {
            FreeJsonError::DuplicateKey { path } => self.reject(&path, Problem::DuplicateField),
            FreeJsonError::Syntax { reason } => self.reject(field, Problem::Syntax { reason }),
        })
    }

    /// A snapshot of any JSON type. The audit log reads it as a `Value`, whose
    /// numbers are 64-bit: one that would change on the way is rejected.
    fn snapshot(&mut self, field: &str) -> Result<Option<Value>, Rejection> {
        let Some(text) = self.object.remove_free_form(field) else {
            return Ok(None);
        };
        if json_type_of(&text) == "null" {
            return Ok(None);
        }
        let canonical = self.free_form(field, &text)?;
        if let Some(value) = canonical.inexact_number {
            return Err(self.reject(field, Problem::InexactNumber { value }));
        }
        let len = canonical.text.len();
        if len > self.limits.max_snapshot_bytes {
            return Err(
                self.reject(field, Problem::TooLong { len, max: self.limits.max_snapshot_bytes })
            );
        }
        let value = serde_json::from_str(&canonical.text)
            .map_err(|error| self.reject(field, Problem::Syntax { reason: error.to_string() }))?;
        Ok(Some(value))
    }

    fn properties(&mut self) -> Result<Option<Properties>, Rejection> {
        let Some(text) = self.object.remove_free_form("properties") else {
            return Ok(None);
        };
        match json_type_of(&text) {
            "null" => return Ok(None),
            "an object" => {}
            found => {
                return Err(
                    self.reject("properties", Problem::WrongType { expected: "an object", found })
                );
            }
        }
        let canonical = self.free_form("properties", &text)?;
        let len = canonical.text.len();
        if len > self.limits.max_properties_bytes {
            return Err(self.reject(
                "properties",
                Problem::TooLong { len, max: self.limits.max_properties_bytes },
            ));
        }
        // An empty object says nothing: it is the same event as none.
        if canonical.text == "{}" {
            return Ok(None);
        }
        if canonical.inexact_number.is_some() {
            // Earlier versions read properties into a `Value`, so into 64-bit
            // numbers; a number too large for a float was a syntax error then.
            self.earlier_properties = serde_json::from_str::<Map<String, Value>>(&canonical.text)
                .ok()
                .map(Properties::from);
        }
        Ok(Some(Properties::from_canonical(canonical.text)))
    }

    /// Rejects the first leftover field, in name order so the message is stable.
    fn finish(self, kind: EventKind) -> Result<(), Rejection> {
        let Some(unknown) = self.object.keys().min() else {
            return Ok(());
        };
        let allowed: Vec<&str> = COMMON_FIELDS.iter().chain(kind.fields()).copied().collect();
        Err(self.reject(unknown, Problem::UnknownField { kind, allowed: allowed.join(", ") }))
    }
}

/// The JSON type name of a value, for messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
