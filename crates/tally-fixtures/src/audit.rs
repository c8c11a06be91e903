//! Building audit entries: who the source is, and what a failure looks like.

use serde_json::Value;
use tally_events::{
    AuditEntry, AuditStatus, EventBody, Operation, OriginType, ResourceKind, SourceType,
};

use crate::people::Person;

/// Who or what made an audited change.
pub(crate) enum Source<'a> {
    /// A user of the account, shown by email.
    User(&'a Person),
    /// An integration or an engine of the product, by name.
    Integration(String),
    /// An incoming webhook, by name.
    Webhook(String),
}

impl Source<'_> {
    /// The source of a change made by `origin`: the person for changes through the UI
    /// or API, a webhook for webhooks, otherwise the integration named after the origin
    /// (`GITHUB EXPORTER` is `github-exporter`).
    pub(crate) fn for_origin<'a>(origin: &OriginType, person: Option<&'a Person>) -> Source<'a> {
        match (origin, person) {
            (OriginType::Ui | OriginType::Api, Some(person)) => Source::User(person),
            (OriginType::Webhook, _) => Source::Webhook("pagerduty-incidents".to_owned()),
            (origin, _) => Source::Integration(origin.as_str().to_lowercase().replace(' ', "-")),
        }
    }
}

/// A successful entry about `resource_id`, without snapshots.
pub(crate) fn entry(
    resource: ResourceKind,
    resource_id: &str,
    operation: Operation,
    source: &Source<'_>,
    origin: OriginType,
) -> AuditEntry {
    let (source_type, source_name, user) = match source {
        Source::User(person) => (SourceType::User, person.email.clone(), Some(person.id.clone())),
        Source::Integration(name) => (SourceType::Integration, name.clone(), None),
        Source::Webhook(name) => (SourceType::Webhook, name.clone(), None),
    };
    AuditEntry {
        resource,
        resource_id: Some(resource_id.to_owned()),
        operation,
        source_type,
        source: source_name,
        origin,
        status: AuditStatus::Success,
        error: None,
        user,
        blueprint: None,
        entity: None,
        run_id: None,
        integration: None,
        before: None,
        after: None,
    }
}

/// `person` signing in through `origin` (an expired or mistyped sign-in is
/// this entry, failed).
pub(crate) fn sign_in(person: &Person, origin: OriginType) -> AuditEntry {
    entry(ResourceKind::SignIn, &person.id, Operation::Create, &Source::User(person), origin)
}

/// The entry with both snapshots, either of which may be absent.
pub(crate) fn with_snapshots(
    mut entry: AuditEntry,
    before: Option<Value>,
    after: Option<Value>,
) -> AuditEntry {
    entry.before = before;
    entry.after = after;
    entry
}

/// The entry as a failure with an error; a failed change leaves no snapshot after it.
pub(crate) fn failed(mut entry: AuditEntry, error: &str) -> AuditEntry {
    entry.status = AuditStatus::Failure;
    entry.error = Some(error.to_owned());
    entry.after = None;
    entry
}

/// Wraps an entry as an event body.
pub(crate) fn body(entry: AuditEntry) -> EventBody {
    EventBody::AuditEntry(entry)
}
