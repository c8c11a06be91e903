//! The audit log covers every resource kind, operation and source type.

use std::collections::BTreeSet;

use tally_events::{AuditEntry, AuditStatus, EventBody, Operation, ResourceKind, SourceType};

use crate::common::small;

fn audit_entries(events: &[tally_events::Event]) -> Vec<&AuditEntry> {
    events
        .iter()
        .filter_map(|event| match &event.body {
            EventBody::AuditEntry(entry) => Some(entry),
            _ => None,
        })
        .collect()
}

#[test]
fn every_resource_kind_operation_and_source_type_appears() {
    for account in small() {
        let entries = audit_entries(&account.events);
        let kinds: BTreeSet<&str> = entries.iter().map(|entry| entry.resource.as_str()).collect();
        // Every kind a sender may write (Tally writes monitor_tracking itself).
        assert_eq!(kinds, ResourceKind::SENT_NAMES.iter().copied().collect(), "{}", account.slug);
        let operations: BTreeSet<&str> =
            entries.iter().map(|entry| entry.operation.as_str()).collect();
        assert_eq!(operations, Operation::WIRE_NAMES.iter().copied().collect(), "{}", account.slug);
        let sources: BTreeSet<&str> =
            entries.iter().map(|entry| entry.source_type.as_str()).collect();
        assert_eq!(sources, SourceType::WIRE_NAMES.iter().copied().collect(), "{}", account.slug);
    }
}

#[test]
fn snapshots_are_present_on_some_entries_and_missing_on_others() {
    for account in small() {
        let entries = audit_entries(&account.events);
        let shapes: BTreeSet<(bool, bool)> =
            entries.iter().map(|entry| (entry.before.is_some(), entry.after.is_some())).collect();
        let every_shape =
            BTreeSet::from([(false, false), (false, true), (true, false), (true, true)]);
        assert_eq!(shapes, every_shape, "{}", account.slug);
        let timer =
            entries.iter().find(|entry| entry.operation == Operation::TimerExpired).unwrap();
        assert_eq!(timer.resource, ResourceKind::Entity);
        assert!(timer.before.is_some() && timer.after.is_some(), "{timer:?}");
        assert!(
            entries
                .iter()
                .filter(|entry| entry.resource == ResourceKind::Secret)
                .all(|entry| entry.before.is_none() && entry.after.is_none()),
            "secret values never reach the audit log"
        );
    }
}

#[test]
fn failures_carry_an_error_and_successes_none() {
    for account in small() {
        let entries = audit_entries(&account.events);
        for entry in &entries {
            assert_eq!(entry.status == AuditStatus::Failure, entry.error.is_some(), "{entry:?}");
        }
        let failed: BTreeSet<ResourceKind> = entries
            .iter()
            .filter(|entry| entry.status == AuditStatus::Failure)
            .map(|entry| entry.resource)
            .collect();
        for kind in [
            ResourceKind::Entity,
            ResourceKind::Integration,
            ResourceKind::Scorecard,
            ResourceKind::SignIn,
        ] {
            assert!(failed.contains(&kind), "{}: no failed {kind}", account.slug);
        }
    }
}

#[test]
fn entity_entries_name_their_blueprint_and_some_their_run() {
    for account in small() {
        let entries = audit_entries(&account.events);
        let entities: Vec<_> =
            entries.iter().filter(|entry| entry.resource == ResourceKind::Entity).collect();
        assert!(entities.iter().all(|entry| entry.blueprint.is_some() && entry.entity.is_some()));
        assert!(entities.iter().any(|entry| entry.run_id.is_some()), "{}", account.slug);
        let integrations =
            entries.iter().filter(|entry| entry.resource == ResourceKind::Integration);
        assert!(integrations.clone().all(|entry| entry.integration.is_some()), "{}", account.slug);
        let users = entries.iter().filter(|entry| entry.source_type == SourceType::User);
        assert!(
            users.clone().all(|entry| entry.user.is_some() && entry.source.contains('@')),
            "{}",
            account.slug
        );
    }
}
