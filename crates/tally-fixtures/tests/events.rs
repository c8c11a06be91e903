//! Every event is one Tally accepts, ids are UUIDs, and every kind is present.

use std::collections::BTreeSet;

use tally_events::{EventBody, EventKind, Limits, OriginType, RunStatus, RunTrigger, check_batch};

use crate::common::{end, ndjson, small};

#[test]
fn every_kind_appears_in_every_small_account() {
    for account in small() {
        let kinds: BTreeSet<&str> =
            account.events.iter().map(|event| event.body.kind().wire_name()).collect();
        let expected: BTreeSet<&str> = EventKind::WIRE_NAMES.iter().copied().collect();
        assert_eq!(kinds, expected, "{}", account.slug);
    }
}

#[test]
fn every_event_passes_the_checker_unchanged() {
    for account in small() {
        let body = ndjson(&account.events);
        let limits = Limits { max_events_per_batch: account.events.len(), ..Limits::default() };
        let batch = check_batch(&body, &limits).unwrap();
        assert_eq!(batch.rejections, vec![], "{}", account.slug);
        assert_eq!(batch.events.len(), account.events.len());
        // Re-checking changes nothing: the generator writes canonical JSON already.
        let lines: Vec<&str> = std::str::from_utf8(&body).unwrap().lines().collect();
        for (checked, line) in batch.events.iter().zip(lines) {
            assert_eq!(checked.canonical_json, line);
        }
    }
}

#[test]
fn event_ids_are_unique_version_4_uuids_within_each_account() {
    for account in small() {
        let mut ids = BTreeSet::new();
        for event in &account.events {
            assert!(ids.insert(event.id.as_str()), "{}: duplicate id {}", account.slug, event.id);
            let id = event.id.as_bytes();
            assert_eq!(id.len(), 36, "{}", event.id);
            for (index, byte) in id.iter().enumerate() {
                match index {
                    8 | 13 | 18 | 23 => assert_eq!(*byte, b'-', "{}", event.id),
                    14 => assert_eq!(*byte, b'4', "version nibble of {}", event.id),
                    19 => assert!(b"89ab".contains(byte), "variant of {}", event.id),
                    _ => assert!(
                        byte.is_ascii_hexdigit() && !byte.is_ascii_uppercase(),
                        "{}",
                        event.id
                    ),
                }
            }
        }
    }
}

#[test]
fn events_are_sorted_and_fill_the_year_up_to_the_clock() {
    for account in small() {
        let events = &account.events;
        assert!(
            events.windows(2).all(|pair| (pair[0].at, &pair[0].id) < (pair[1].at, &pair[1].id))
        );
        let first = events.first().unwrap().at;
        let last = events.last().unwrap().at;
        assert!(first > end() - chrono::TimeDelta::days(366), "{}: starts {first}", account.slug);
        assert!(first < end() - chrono::TimeDelta::days(360), "{}: starts {first}", account.slug);
        assert!(last <= end(), "{}: ends {last}", account.slug);
        assert!(last > end() - chrono::TimeDelta::days(3), "{}: ends {last}", account.slug);
    }
}

#[test]
fn entity_changes_come_from_every_known_origin_and_an_unknown_one() {
    for account in small() {
        let origins: BTreeSet<&OriginType> = account
            .events
            .iter()
            .filter_map(|event| match &event.body {
                EventBody::EntityChange(change) => change.origin.as_ref(),
                _ => None,
            })
            .collect();
        for known in OriginType::KNOWN {
            assert!(origins.contains(&OriginType::parse(known)), "{}: no {known}", account.slug);
        }
        assert!(
            origins.contains(&OriginType::Other("AZURE DEVOPS EXPORTER".to_owned())),
            "{}",
            account.slug
        );
    }
}

#[test]
fn runs_have_every_trigger_and_outcome() {
    for account in small() {
        let mut triggers = BTreeSet::new();
        let mut statuses = BTreeSet::new();
        let mut automation_statuses = BTreeSet::new();
        for event in &account.events {
            match &event.body {
                EventBody::ActionRun(run) => {
                    assert!(run.run_id.starts_with("r_"), "{}", run.run_id);
                    triggers.insert(run.trigger);
                    statuses.insert(run.status);
                    assert_eq!(
                        run.user.is_none(),
                        run.trigger == RunTrigger::Automation,
                        "{run:?}"
                    );
                }
                EventBody::AutomationRun(run) => {
                    automation_statuses.insert(run.status);
                }
                _ => {}
            }
        }
        assert_eq!(
            triggers,
            BTreeSet::from([RunTrigger::Ui, RunTrigger::Api, RunTrigger::Automation]),
            "{}",
            account.slug
        );
        for status in [RunStatus::InProgress, RunStatus::Success, RunStatus::Failure] {
            assert!(statuses.contains(&status), "{}: no action run {status}", account.slug);
            assert!(
                automation_statuses.contains(&status),
                "{}: no automation run {status}",
                account.slug
            );
        }
    }
}

#[test]
fn ai_invocations_sometimes_lack_a_source() {
    for account in small() {
        let sources: Vec<Option<&str>> = account
            .events
            .iter()
            .filter_map(|event| match &event.body {
                EventBody::AiInvocation(invocation) => Some(invocation.source.as_deref()),
                _ => None,
            })
            .collect();
        assert!(sources.contains(&None), "{}", account.slug);
        assert!(sources.iter().any(Option::is_some), "{}", account.slug);
    }
}
