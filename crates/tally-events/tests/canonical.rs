//! Canonical JSON: one text per event, whatever the spelling it was sent in.

use tally_events::{EventBody, Limits, OriginType, check_batch};

/// Checks a one-event body and returns the event's canonical JSON.
fn canonical(body: &str) -> String {
    let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
    assert!(batch.rejections.is_empty(), "body {body:?}: {:?}", batch.rejections);
    assert_eq!(batch.events.len(), 1, "body {body:?}");
    batch.events[0].canonical_json.clone()
}

/// Checks that `body` has canonical JSON `expected`, which checks again to itself.
fn check(body: &str, expected: &str) {
    assert_eq!(canonical(body), expected, "body {body:?}");
    assert_eq!(canonical(expected), expected, "re-checking {expected:?}");
}

#[test]
fn one_event_in_other_spellings_has_one_canonical_json() {
    let expected = r#"{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"entity_change","organization":"acme","blueprint":"service","entity":"checkout","operation":"update","origin":"K8S EXPORTER","user":"u1","properties":{"a":2,"b":1}}"#;
    check(
        r#"{"id":"e1","kind":"entity_change","at":"2026-03-02T08:00:00+01:00","organization":"acme","blueprint":"service","entity":"checkout","operation":"update","origin":"k8s_exporter","user":"u1","properties":{"b":1,"a":2}}"#,
        expected,
    );
    // Keys reversed, the same instant in UTC, whitespace around names, other spellings.
    check(
        r#"{"properties":{"a":2,"b":1},"user":" u1 ","origin":"K8S EXPORTER","operation":"Update","entity":"checkout\t","blueprint":" service","organization":"acme ","at":"2026-03-02T07:00:00Z","kind":"entity_change","id":"e1"}"#,
        expected,
    );
    check(
        r#"{"id":"e1","kind":"entity_change","at":"2026-03-01T23:00:00-08:00","organization":"acme","blueprint":"service","entity":"checkout","operation":"UPDATE","origin":"K8s-Exporter","user":"u1","properties":{"a":2,"b":1}}"#,
        expected,
    );
}

#[test]
fn another_user_is_another_event() {
    let first = canonical(r#"{"id":"e1","kind":"login","at":"2026-03-02T07:00:00Z","user":"u1"}"#);
    let second = canonical(r#"{"id":"e1","kind":"login","at":"2026-03-02T07:00:00Z","user":"u2"}"#);
    assert_ne!(first, second);
    assert_eq!(second, r#"{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"login","user":"u2"}"#);
}

#[test]
fn unknown_origins_are_kept_normalised() {
    let body = r#"{"id":"e1","kind":"entity_change","at":"2026-03-02T07:00:00Z","organization":"acme","blueprint":"service","entity":"checkout","operation":"create","origin":"Azure DevOps Exporter"}"#;
    check(
        body,
        r#"{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"entity_change","organization":"acme","blueprint":"service","entity":"checkout","operation":"create","origin":"AZURE DEVOPS EXPORTER"}"#,
    );
    let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
    let EventBody::EntityChange(change) = &batch.events[0].event.body else {
        panic!("not an entity change: {:?}", batch.events[0].event.body);
    };
    assert_eq!(change.origin, Some(OriginType::Other("AZURE DEVOPS EXPORTER".to_owned())));

    check(
        r#"{"id":"a1","kind":"audit_entry","at":"2026-03-02T07:00:00Z","resource":"Entity","operation":"timer expired","source_type":"Integration","source":"ado","origin":"azure  devops-exporter","status":"Success"}"#,
        r#"{"id":"a1","at":"2026-03-02T07:00:00Z","kind":"audit_entry","resource":"entity","operation":"timer_expired","source_type":"integration","source":"ado","origin":"AZURE DEVOPS EXPORTER","status":"success"}"#,
    );
}

#[test]
fn an_optional_origin_of_separators_only_is_absent() {
    check(
        r#"{"id":"e1","kind":"entity_change","at":"2026-03-02T07:00:00Z","organization":"acme","blueprint":"service","entity":"checkout","operation":"delete","origin":"-"}"#,
        r#"{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"entity_change","organization":"acme","blueprint":"service","entity":"checkout","operation":"delete"}"#,
    );
}

#[test]
fn null_and_empty_optional_text_are_absent() {
    let expected = r#"{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"login","user":"u1"}"#;
    check(r#"{"id":"e1","kind":"login","at":"2026-03-02T07:00:00Z","user":"u1"}"#, expected);
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-02T07:00:00Z","user":"u1","organization":null}"#,
        expected,
    );
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-02T07:00:00Z","user":"u1","organization":" ","properties":null}"#,
        expected,
    );
    // An empty object says nothing more than no object.
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-02T07:00:00Z","user":"u1","properties":{}}"#,
        expected,
    );
}

#[test]
fn ids_are_kept_exactly_as_sent() {
    check(
        r#"{"id":" e1","kind":"login","at":"2026-03-02T07:00:00Z","user":"u1"}"#,
        r#"{"id":" e1","at":"2026-03-02T07:00:00Z","kind":"login","user":"u1"}"#,
    );
}

#[test]
fn defaults_are_written_and_teams_become_a_sorted_set() {
    // The example of docs/events.md, "Canonical JSON".
    check(
        r#"{"kind":"user_added","at":"2026-03-02T13:00:00.5+01:00","id":"evt-0100","user":" u-2002 ","role":"Member","teams":["sre","platform","sre"],"email":""}"#,
        r#"{"id":"evt-0100","at":"2026-03-02T12:00:00.500Z","kind":"user_added","user":"u-2002","role":"member","teams":["platform","sre"],"service_account":false}"#,
    );
    check(
        r#"{"id":"e1","kind":"user_added","at":"2026-03-02T07:00:00Z","user":"u1","teams":[" sre","sre "]}"#,
        r#"{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"user_added","user":"u1","role":"member","teams":["sre"],"service_account":false}"#,
    );
    // No teams: left out of a user_added, but written for a user_teams_changed.
    check(
        r#"{"id":"e1","kind":"user_added","at":"2026-03-02T07:00:00Z","user":"u1","teams":[]}"#,
        r#"{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"user_added","user":"u1","role":"member","service_account":false}"#,
    );
    check(
        r#"{"id":"e1","kind":"user_teams_changed","at":"2026-03-02T07:00:00Z","user":"u1","teams":[]}"#,
        r#"{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"user_teams_changed","user":"u1","teams":[]}"#,
    );
    check(
        r#"{"id":"e1","kind":"entity_sync","at":"2026-03-02T07:00:00Z","source_system":"Jira","target_system":"GitHub","entity_type":"Bug"}"#,
        r#"{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"entity_sync","source_system":"Jira","target_system":"GitHub","entity_type":"Bug","entities":1,"status":"active"}"#,
    );
}

#[test]
fn instants_are_utc_with_the_fraction_they_need() {
    let login_at = |at: &str| format!(r#"{{"id":"e1","kind":"login","at":"{at}","user":"u1"}}"#);
    let canonical_at =
        |at: &str| format!(r#"{{"id":"e1","at":"{at}","kind":"login","user":"u1"}}"#);
    // 08:00:00.5 at +01:00 is 07:00:00.5 UTC, written with 3 digits.
    check(&login_at("2026-03-02T08:00:00.5+01:00"), &canonical_at("2026-03-02T07:00:00.500Z"));
    check(&login_at("2026-03-02T07:00:00.000Z"), &canonical_at("2026-03-02T07:00:00Z"));
    check(
        &login_at("2026-03-02T07:00:00.0000015Z"),
        &canonical_at("2026-03-02T07:00:00.000001500Z"),
    );
    // Digits after the ninth are dropped, not rounded.
    check(
        &login_at("2026-03-02T07:00:00.1234567899Z"),
        &canonical_at("2026-03-02T07:00:00.123456789Z"),
    );
    // A leap second, sent at +01:00, is 23:59:60 UTC.
    check(&login_at("2026-07-01T00:59:60+01:00"), &canonical_at("2026-06-30T23:59:60Z"));
}

/// A login with these properties, as sent and as canonical JSON.
fn login_with_properties(properties: &str) -> String {
    format!(
        r#"{{"id":"e1","kind":"login","at":"2026-03-02T07:00:00Z","user":"u1","properties":{properties}}}"#
    )
}

fn canonical_login_with_properties(properties: &str) -> String {
    format!(
        r#"{{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"login","user":"u1","properties":{properties}}}"#
    )
}

#[test]
fn numbers_in_properties_are_kept_exactly() {
    // Issue 13: these went through a 64-bit float, stored as
    // 1.2345678901234568e+29 and 0.0. 1e400 was refused as out of range.
    check(
        &login_with_properties(
            r#"{"big": 123456789012345678901234567890, "tiny": 1.0e-400, "huge": 1e400}"#,
        ),
        &canonical_login_with_properties(
            r#"{"big":123456789012345678901234567890,"huge":1e400,"tiny":1.0e-400}"#,
        ),
    );
    let batch = check_batch(
        login_with_properties(r#"{"big":123456789012345678901234567890}"#).as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        batch.events[0].event.properties.as_ref().map(|properties| properties.as_json()),
        Some(r#"{"big":123456789012345678901234567890}"#)
    );
}

#[test]
fn numbers_a_64_bit_number_holds_are_written_as_before() {
    // Stored by earlier versions as serde_json wrote the 64-bit number: 1.50 as
    // the float 1.5, 1e3 as 1000.0, -0 as -0.0, 1E+20 as 1e+20. The canonical
    // JSON is unchanged for them, so these events compare equal to their resends.
    check(
        &login_with_properties(
            r#"{"a":1.50,"b":1e3,"c":-0,"d":1E+20,"e":0.1,"f":-7,"g":18446744073709551615}"#,
        ),
        &canonical_login_with_properties(
            r#"{"a":1.5,"b":1000.0,"c":-0.0,"d":1e+20,"e":0.1,"f":-7,"g":18446744073709551615}"#,
        ),
    );
    let batch =
        check_batch(login_with_properties(r#"{"a":1.50}"#).as_bytes(), &Limits::default()).unwrap();
    assert_eq!(batch.events[0].earlier_canonical_json, None);
}

#[test]
fn an_event_whose_number_earlier_versions_changed_remembers_how_they_stored_it() {
    // What earlier versions stored for this line, the number read as the
    // float nearest it (1.2345678901234568e29, written with `e+`) and keys sorted.
    let line = login_with_properties(r#"{"plan":"pro","big":123456789012345678901234567890}"#);
    let batch = check_batch(line.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        batch.events[0].earlier_canonical_json.as_deref(),
        Some(
            canonical_login_with_properties(r#"{"big":1.2345678901234568e+29,"plan":"pro"}"#)
                .as_str()
        )
    );
    assert_eq!(
        batch.events[0].canonical_json,
        canonical_login_with_properties(r#"{"big":123456789012345678901234567890,"plan":"pro"}"#)
    );
}
