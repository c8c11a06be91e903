//! The typed events a vendor's product sends to Tally.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::kind::EventKind;
use crate::values::{
    AuditStatus, IntegrationStatus, InteractionType, Operation, OriginType, ResourceKind, Role,
    RunStatus, RunTrigger, SourceType,
};

/// One event: something that happened at an instant, identified by an id that is
/// unique within its account.
///
/// Serialising an `Event` gives its canonical JSON: fields in a fixed order,
/// instants in UTC, enum values in their wire spelling. Two sendings of the same
/// event are the same event exactly when their canonical JSON is equal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The sender's id for the event, unique within the account.
    pub id: String,
    /// When it happened.
    #[serde(serialize_with = "serialize_instant")]
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub body: EventBody,
    /// Free-form attributes the sender attached; kept, never interpreted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
}

/// An event's free-form attributes, kept as canonical JSON text: an object, keys
/// sorted by their UTF-8 bytes at every depth, no whitespace, strings as
/// serde_json writes them, and every number exactly as sent (written as
/// serde_json writes it when that is the same number, so `1.50` is `1.5`, and
/// otherwise as sent, so `123456789012345678901234567890` and `1.0e-400` stay
/// what they are rather than pass through a 64-bit float).
#[derive(Debug, Clone)]
pub struct Properties(Box<RawValue>);

impl Properties {
    /// The canonical JSON text.
    pub fn as_json(&self) -> &str {
        self.0.get()
    }

    /// Wraps text the checker made canonical.
    pub(crate) fn from_canonical(text: String) -> Properties {
        Properties(RawValue::from_string(text).expect("canonical JSON is JSON"))
    }
}

/// A map's numbers are already 64-bit and its keys sorted, so its compact JSON is
/// canonical.
impl From<Map<String, Value>> for Properties {
    fn from(map: Map<String, Value>) -> Properties {
        Properties::from_canonical(serde_json::to_string(&map).expect("a Map always serialises"))
    }
}

impl PartialEq for Properties {
    fn eq(&self, other: &Properties) -> bool {
        self.as_json() == other.as_json()
    }
}

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// What happened, by kind: one variant per [`EventKind`], serialised with the
/// kind's wire name in `kind`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// A user signed in.
    Login(Login),
    /// A user opened a page.
    PageVisit(PageVisit),
    /// A catalog entity was created, updated or deleted.
    EntityChange(EntityChange),
    /// A self-service action ran (or changed state).
    ActionRun(ActionRun),
    /// An automation ran (or changed state).
    AutomationRun(AutomationRun),
    /// A data source (integration) was connected, changed or removed.
    DataSourceChange(DataSourceChange),
    /// An AI feature was invoked.
    AiInvocation(AiInvocation),
    /// An MCP tool was called.
    McpCall(McpCall),
    /// Time spent doing an action in a module of the vendor's product.
    Activity(Activity),
    /// A user was seen in an integrated system.
    SyncObservation(SyncObservation),
    /// Entities were synchronised between two integrated systems.
    EntitySync(EntitySync),
    /// A user joined the account.
    UserAdded(UserAdded),
    /// A user left the account.
    UserRemoved(UserRef),
    /// A user was disabled.
    UserDisabled(UserRef),
    /// A disabled user was enabled again.
    UserEnabled(UserRef),
    /// A user's role in an organization was set (joining it if needed).
    UserRoleChanged(UserRoleChanged),
    /// A user's teams were replaced by a new set.
    UserTeamsChanged(UserTeamsChanged),
    /// A change to a resource, for the audit log.
    AuditEntry(AuditEntry),
}

impl EventBody {
    /// This event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            EventBody::Login(_) => EventKind::Login,
            EventBody::PageVisit(_) => EventKind::PageVisit,
            EventBody::EntityChange(_) => EventKind::EntityChange,
            EventBody::ActionRun(_) => EventKind::ActionRun,
            EventBody::AutomationRun(_) => EventKind::AutomationRun,
            EventBody::DataSourceChange(_) => EventKind::DataSourceChange,
            EventBody::AiInvocation(_) => EventKind::AiInvocation,
            EventBody::McpCall(_) => EventKind::McpCall,
            EventBody::Activity(_) => EventKind::Activity,
            EventBody::SyncObservation(_) => EventKind::SyncObservation,
            EventBody::EntitySync(_) => EventKind::EntitySync,
            EventBody::UserAdded(_) => EventKind::UserAdded,
            EventBody::UserRemoved(_) => EventKind::UserRemoved,
            EventBody::UserDisabled(_) => EventKind::UserDisabled,
            EventBody::UserEnabled(_) => EventKind::UserEnabled,
            EventBody::UserRoleChanged(_) => EventKind::UserRoleChanged,
            EventBody::UserTeamsChanged(_) => EventKind::UserTeamsChanged,
            EventBody::AuditEntry(_) => EventKind::AuditEntry,
        }
    }
}

impl Event {
    /// The canonical JSON text of the event (see [`Event`]): what serialising it
    /// gives.
    ///
    /// Written in parts rather than by serialising the whole: serde's `flatten`,
    /// which puts the body's fields beside the id and instant, goes through a
    /// map of its own, and checking spent several times longer in it than
    /// here. The body is serialised alone (its kind first, as its tagged enum
    /// writes it) between the id and instant before it and the properties
    /// after it, which is the same text.
    pub fn canonical_json(&self) -> String {
        let properties_bytes = self.properties.as_ref().map_or(0, |json| json.as_json().len());
        let mut out = Vec::with_capacity(256 + properties_bytes);
        out.extend_from_slice(br#"{"id":"#);
        serde_json::to_writer(&mut out, &self.id).expect("a string always serialises");
        out.extend_from_slice(br#","at":""#);
        out.extend_from_slice(InstantText::of(&self.at).as_str().as_bytes());
        out.extend_from_slice(b"\",");
        let body_start = out.len();
        serde_json::to_writer(&mut out, &self.body)
            .expect("a body always serialises: all map keys are strings");
        // The body's own braces go: its fields are the event's.
        out.remove(body_start);
        if let Some(properties) = &self.properties {
            out.pop();
            out.extend_from_slice(br#","properties":"#);
            out.extend_from_slice(properties.as_json().as_bytes());
            out.push(b'}');
        }
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

fn serialize_instant<S: serde::Serializer>(
    at: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(InstantText::of(at).as_str())
}

/// An instant as canonical JSON writes it: RFC 3339 in UTC with `Z`, and as
/// many digits of the second's fraction as it needs of 0, 3, 6 or 9 (chrono's
/// `SecondsFormat::AutoSi`).
struct InstantText {
    /// Room for chrono's longest: a signed six-digit year and nine digits of
    /// fraction, 33 bytes.
    bytes: [u8; 40],
    len: usize,
}

impl InstantText {
    fn of(at: &DateTime<Utc>) -> InstantText {
        use chrono::{Datelike, Timelike};
        let mut text = InstantText { bytes: [0; 40], len: 0 };
        let nanos = at.nanosecond();
        // chrono writes years outside 0 to 9999 with a sign and a leap second
        // as second 60: such instants are left to it, every other one is
        // written here without the formatting machinery.
        if !(0..=9999).contains(&at.year()) || nanos >= 1_000_000_000 {
            let written = at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            text.bytes[..written.len()].copy_from_slice(written.as_bytes());
            text.len = written.len();
            return text;
        }
        let fields = [
            (at.year() as u32, 4, b'-'),
            (at.month(), 2, b'-'),
            (at.day(), 2, b'T'),
            (at.hour(), 2, b':'),
            (at.minute(), 2, b':'),
            (at.second(), 2, b'.'),
        ];
        for (value, digits, separator) in fields {
            text.push_digits(value, digits);
            text.bytes[text.len] = separator;
            text.len += 1;
        }
        match nanos {
            0 => text.len -= 1,
            _ if nanos.is_multiple_of(1_000_000) => text.push_digits(nanos / 1_000_000, 3),
            _ if nanos.is_multiple_of(1_000) => text.push_digits(nanos / 1_000, 6),
            _ => text.push_digits(nanos, 9),
        }
        text.bytes[text.len] = b'Z';
        text.len += 1;
        text
    }

    fn push_digits(&mut self, mut value: u32, digits: usize) {
        for place in (self.len..self.len + digits).rev() {
            self.bytes[place] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.len += digits;
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("ASCII digits and separators")
    }
}

/// A reference to a user, for lifecycle events that carry nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRef {
    /// The user's id in the vendor's product.
    pub user: String,
}

/// A user signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Login {
    /// Who signed in.
    pub user: String,
    /// The organization signed in to, when the product knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
}

/// A user opened a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageVisit {
    /// Who visited.
    pub user: String,
    /// The organization the page belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The page's path or name.
    pub page: String,
}

/// A catalog entity was created, updated or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityChange {
    /// The organization whose catalog changed.
    pub organization: String,
    /// The entity's blueprint.
    pub blueprint: String,
    /// The entity's identifier.
    pub entity: String,
    /// Create, update or delete (a timer expiry is an audit entry).
    pub operation: Operation,
    /// The system that made the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<OriginType>,
    /// The user who made it, if a person did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// A self-service action ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionRun {
    /// The organization the action belongs to.
    pub organization: String,
    /// The action's identifier.
    pub action: String,
    /// The run's identifier; several events may report one run's progress.
    pub run_id: String,
    /// How the run was started.
    pub trigger: RunTrigger,
    /// The run's state as of this event.
    pub status: RunStatus,
    /// Who ran it, if a person did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// An automation ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutomationRun {
    /// The organization the automation belongs to.
    pub organization: String,
    /// The automation's identifier.
    pub automation: String,
    /// The run's identifier.
    pub run_id: String,
    /// The run's state as of this event.
    pub status: RunStatus,
}

/// A data source was connected, changed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataSourceChange {
    /// The organization the data source feeds.
    pub organization: String,
    /// The data source's identifier.
    pub data_source: String,
    /// Its type, such as `github` or `pagerduty`.
    pub data_source_type: String,
    /// Its display name.
    pub name: String,
    /// Create, update or delete.
    pub operation: Operation,
}

/// An AI feature was invoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AiInvocation {
    /// Who invoked it, if a person did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The organization it ran in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Where it was invoked from (AI assistant, agent widget, ...); absent sources
    /// are reported as "Other".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An MCP tool was called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McpCall {
    /// Who called it, if a person did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The organization it ran in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The tool called.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Whether the call succeeded, when the sender knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AuditStatus>,
    /// Why the call failed, as the tool reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long the call took, in milliseconds (0 to 86,400,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u32>,
}

/// Time spent doing an action in a module of the vendor's product (the monitor's unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// Who was active.
    pub user: String,
    /// The module used, such as `Dashboard`.
    pub module: String,
    /// The action done in it, such as `export`.
    pub action: String,
    /// Seconds spent, 0 to 86,400.
    pub time_spent_secs: u32,
}

/// A user was seen in an integrated system (the usage reports' raw material).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncObservation {
    /// The integrated system, such as `Jira` or `GitHub`.
    pub system: String,
    /// The project within it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The email seen; at least one of email, username and display name is present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The username seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The display name seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Where the user was seen.
    pub interaction: InteractionType,
    /// Whether the identity is a service account.
    pub service_account: bool,
}

/// Entities were synchronised from one integrated system to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntitySync {
    /// The system entities came from.
    pub source_system: String,
    /// The system they were synced to.
    pub target_system: String,
    /// The project in the source system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_project: Option<String>,
    /// The project in the target system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_project: Option<String>,
    /// The type of entity synced, such as `Bug` or `Pull Request`.
    pub entity_type: String,
    /// How many entities were synced successfully, at least 1.
    pub entities: u32,
    /// The integration's status when this sync happened.
    pub status: IntegrationStatus,
}

/// A user joined the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserAdded {
    /// The user's id.
    pub user: String,
    /// Their email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Their username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Their display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The organization they joined first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Their role in that organization; member when not sent.
    pub role: Role,
    /// Their teams.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
    /// Whether this is a service account rather than a person.
    pub service_account: bool,
}

/// A user's role in one organization was set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRoleChanged {
    /// The user.
    pub user: String,
    /// The organization.
    pub organization: String,
    /// The new role.
    pub role: Role,
}

/// A user's teams were replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserTeamsChanged {
    /// The user.
    pub user: String,
    /// The complete set of teams after the change (empty: no team).
    pub teams: Vec<String>,
}

/// A change to a resource, recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// The kind of resource changed.
    pub resource: ResourceKind,
    /// The resource's identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// Create, update, delete or timer expired.
    pub operation: Operation,
    /// Whether the source is a user, an integration or a webhook.
    pub source_type: SourceType,
    /// The user's name or email, or the integration's or webhook's name.
    pub source: String,
    /// The system that performed the change.
    pub origin: OriginType,
    /// Whether it succeeded.
    pub status: AuditStatus,
    /// What went wrong, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The user's id when the source is a user of the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// For entities: the blueprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blueprint: Option<String>,
    /// For entities: the entity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// The action run that caused the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// For integrations: the integration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<String>,
    /// The resource before the change, when a snapshot was captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The resource after the change, when a snapshot was captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, SecondsFormat};
    use proptest::prelude::*;

    use super::InstantText;

    fn check(at: DateTime<chrono::Utc>) {
        assert_eq!(InstantText::of(&at).as_str(), at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    }

    #[test]
    fn instants_are_written_as_chrono_writes_them() {
        for text in [
            "2026-03-02T07:00:00Z",
            "2026-03-02T07:00:00.5Z",
            "2026-03-02T07:00:00.000250Z",
            "2026-03-02T07:00:00.000000001Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            // A leap second, and years chrono writes with a sign.
            "2016-12-31T23:59:60.5Z",
            "+10000-01-01T00:00:00Z",
            "-0001-12-31T23:59:59Z",
        ] {
            check(
                DateTime::parse_from_rfc3339(text)
                    .unwrap_or_else(|_| text.parse::<DateTime<chrono::FixedOffset>>().expect(text))
                    .to_utc(),
            );
        }
    }

    proptest! {
        #[test]
        fn any_instant_is_written_as_chrono_writes_it(
            seconds in -100_000_000_000_i64..300_000_000_000,
            nanos in prop_oneof![Just(0_u32), (0_u32..1_000).prop_map(|n| n * 1_000_000),
                (0_u32..1_000_000).prop_map(|n| n * 1_000), 0_u32..1_000_000_000],
        ) {
            check(DateTime::from_timestamp(seconds, nanos).expect("within chrono's range"));
        }
    }
}
