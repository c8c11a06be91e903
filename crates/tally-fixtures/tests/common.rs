//! Shared fixtures: each scale is generated once per test binary.

use std::sync::OnceLock;

use chrono::{DateTime, TimeZone, Utc};
use tally_events::{Event, EventBody};
use tally_fixtures::{AccountFixture, FixtureConfig, Scale, generate, write_ndjson};

/// The fixed clock of every test: noon UTC on 2026-06-30.
pub fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 30, 12, 0, 0).unwrap()
}

pub fn config(seed: u64, scale: Scale) -> FixtureConfig {
    FixtureConfig { seed, scale, end: end() }
}

/// The small data set for seed 7.
pub fn small() -> &'static [AccountFixture] {
    static SMALL: OnceLock<Vec<AccountFixture>> = OnceLock::new();
    SMALL.get_or_init(|| generate(&config(7, Scale::Small)))
}

pub fn ndjson(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    write_ndjson(events, &mut out).unwrap();
    out
}

/// The user an event is about or was made by, whatever its kind.
pub fn user_of(event: &Event) -> Option<&str> {
    match &event.body {
        EventBody::Login(login) => Some(&login.user),
        EventBody::PageVisit(visit) => Some(&visit.user),
        EventBody::EntityChange(change) => change.user.as_deref(),
        EventBody::ActionRun(run) => run.user.as_deref(),
        EventBody::AutomationRun(_) | EventBody::SyncObservation(_) | EventBody::EntitySync(_) => {
            None
        }
        EventBody::DataSourceChange(_) => None,
        EventBody::AiInvocation(invocation) => invocation.user.as_deref(),
        EventBody::McpCall(call) => call.user.as_deref(),
        EventBody::Activity(activity) => Some(&activity.user),
        EventBody::UserAdded(added) => Some(&added.user),
        EventBody::UserRemoved(user)
        | EventBody::UserDisabled(user)
        | EventBody::UserEnabled(user) => Some(&user.user),
        EventBody::UserRoleChanged(change) => Some(&change.user),
        EventBody::UserTeamsChanged(change) => Some(&change.user),
        EventBody::AuditEntry(entry) => entry.user.as_deref(),
    }
}
