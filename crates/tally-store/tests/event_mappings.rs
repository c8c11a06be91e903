//! An account's own event mapping rules: kept per account, replaced, listed in
//! byte order, removed, and a kept row that no longer makes a rule refused.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tally_compat::{MappingRule, RuleError};
use tally_events::EventKind;
use tally_store::{EventMappingProblem, StoreError};

use crate::common::*;

fn rule(event: &str, kind: EventKind, set: &[(&str, Value)], from: &[(&str, &str)]) -> MappingRule {
    let set: BTreeMap<String, Value> =
        set.iter().map(|(field, value)| (field.to_string(), value.clone())).collect();
    let from = from.iter().map(|(field, property)| (field.to_string(), property.to_string()));
    MappingRule::new(event, kind, set, from.collect()).unwrap()
}

fn events_of(rules: &[MappingRule]) -> Vec<&str> {
    rules.iter().map(MappingRule::event).collect()
}

#[test]
fn an_accounts_rules_are_set_replaced_listed_in_byte_order_and_removed() {
    let (_dir, path, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    let (globex, _) = create(&mut store, "globex");
    let deploy = rule(
        "Deploy Service",
        EventKind::ActionRun,
        &[("action", json!("deploy_service")), ("trigger", json!("api"))],
        &[("run_id", "runId")],
    );
    let activity = rule(
        "Éclair Baked",
        EventKind::Activity,
        &[("module", json!("Kitchen")), ("time_spent_secs", json!(60))],
        &[],
    );
    for event in ["Signed In", "apple", "Zebra"] {
        store.set_event_mapping(acme.id, &rule(event, EventKind::Login, &[], &[])).unwrap();
    }
    store.set_event_mapping(acme.id, &activity).unwrap();
    store.set_event_mapping(acme.id, &deploy).unwrap();
    store.set_event_mapping(globex.id, &rule("Globex Only", EventKind::Login, &[], &[])).unwrap();

    let rules = store.event_mappings(acme.id).unwrap();
    // By the names' UTF-8 bytes: 'D' 0x44 < 'S' 0x53 < 'Z' 0x5A < 'a' 0x61 <
    // 'É' 0xC3 0x89; not by case-insensitive or Unicode order.
    assert_eq!(
        events_of(&rules),
        ["Deploy Service", "Signed In", "Zebra", "apple", "Éclair Baked"]
    );
    assert_eq!(rules[0], deploy);
    assert_eq!(rules[4], activity);
    assert_eq!(events_of(&store.event_mappings(globex.id).unwrap()), ["Globex Only"]);
    // The columns are typed: the kind's wire name, the maps as JSON objects.
    assert_eq!(
        stored_text(
            &path,
            "SELECT kind || ' ' || constants || ' ' || properties FROM event_mappings
             WHERE event = 'Deploy Service'"
        ),
        r#"action_run {"action":"deploy_service","trigger":"api"} {"run_id":"runId"}"#
    );

    // Setting a rule for a name the account has replaces it.
    let signed_in = rule("Signed In", EventKind::PageVisit, &[("page", json!("/home"))], &[]);
    store.set_event_mapping(acme.id, &signed_in).unwrap();
    let rules = store.event_mappings(acme.id).unwrap();
    assert_eq!(rules.len(), 5);
    assert_eq!(rules[1], signed_in);

    assert!(store.remove_event_mapping(acme.id, "Zebra").unwrap());
    assert!(!store.remove_event_mapping(acme.id, "Zebra").unwrap());
    // Names are matched exactly, and only within the account.
    assert!(!store.remove_event_mapping(acme.id, "signed in").unwrap());
    assert!(!store.remove_event_mapping(acme.id, "Globex Only").unwrap());
    assert_eq!(
        events_of(&store.event_mappings(acme.id).unwrap()),
        ["Deploy Service", "Signed In", "apple", "Éclair Baked"]
    );
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM event_mappings"), 5);
}

/// A rule kept by an older build, whose kind or fields this build no longer
/// has, is answered as an error naming the account and the message, never as
/// a panic or a rule with the field left out.
#[test]
fn a_kept_rule_that_no_longer_makes_one_is_an_error_naming_account_and_event() {
    let (_dir, path, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    store.set_event_mapping(acme.id, &rule("Signed In", EventKind::Login, &[], &[])).unwrap();
    let tamper = |sql: &str| {
        rusqlite::Connection::open(&path).unwrap().execute_batch(sql).unwrap();
    };

    tamper("UPDATE event_mappings SET kind = 'sign_in'");
    let error = store.event_mappings(acme.id).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(
            &error,
            StoreError::InvalidEventMapping {
                account,
                event,
                problem: EventMappingProblem::UnknownKind { kind },
            } if account == "acme" && event == "Signed In" && kind == "sign_in"
        ),
        "{error:?}"
    );
    assert!(message.contains(r#"account "acme" for the event "Signed In""#), "{message}");

    tamper(r#"UPDATE event_mappings SET kind = 'login', constants = '{"page":"/"}'"#);
    assert!(matches!(
        store.event_mappings(acme.id),
        Err(StoreError::InvalidEventMapping {
            problem: EventMappingProblem::Rule(RuleError::UnknownField { kind: "login", .. }),
            ..
        })
    ));

    tamper("UPDATE event_mappings SET constants = '[1]'");
    assert!(matches!(
        store.event_mappings(acme.id),
        Err(StoreError::InvalidEventMapping {
            problem: EventMappingProblem::NotAnObject { column: "constants", .. },
            ..
        })
    ));

    // Setting the rule again repairs it.
    store.set_event_mapping(acme.id, &rule("Signed In", EventKind::Login, &[], &[])).unwrap();
    assert_eq!(store.event_mappings(acme.id).unwrap().len(), 1);
}
