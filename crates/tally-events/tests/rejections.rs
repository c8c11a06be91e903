//! Rejected events: each message names the line, the field and the reason.

use tally_events::{Limits, check_batch};

/// Checks `body` with the default limits and compares the rejections' text.
fn check(body: &str, expected: &[&str]) {
    let batch = check_batch(body.as_bytes(), &Limits::default())
        .unwrap_or_else(|error| panic!("body {body:?} failed whole: {error}"));
    let actual: Vec<String> = batch.rejections.iter().map(ToString::to_string).collect();
    assert_eq!(actual, expected, "body {body:?}");
}

const KINDS: &str = "login, page_visit, entity_change, action_run, automation_run, \
    data_source_change, ai_invocation, mcp_call, activity, sync_observation, entity_sync, \
    user_added, user_removed, user_disabled, user_enabled, user_role_changed, \
    user_teams_changed, audit_entry";

#[test]
fn id_is_required_not_empty_and_at_most_128_bytes() {
    check(
        r#"{"kind":"login","at":"2026-03-01T09:30:00Z","user":"u1"}"#,
        &["line 1, field `id`: required field is missing"],
    );
    check(
        r#"{"id":null,"kind":"login","at":"2026-03-01T09:30:00Z","user":"u1"}"#,
        &["line 1, field `id`: required field is missing"],
    );
    check(
        r#"{"id":"","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1"}"#,
        &["line 1, field `id`: must not be empty"],
    );
    check(
        r#"{"id":7,"kind":"login","at":"2026-03-01T09:30:00Z","user":"u1"}"#,
        &["line 1, field `id`: expected a string, found a number"],
    );
    let login_with_id = |id: &str| {
        format!(r#"{{"id":"{id}","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1"}}"#)
    };
    check(&login_with_id(&"a".repeat(128)), &[]);
    check(
        &login_with_id(&"a".repeat(129)),
        &["line 1, field `id`: is 129 bytes long; the limit is 128"],
    );
    // The limit is in bytes: `é` is 2 bytes, so 64 fit (128) and 65 do not (130).
    check(&login_with_id(&"é".repeat(64)), &[]);
    check(
        &login_with_id(&"é".repeat(65)),
        &["line 1, field `id`: is 130 bytes long; the limit is 128"],
    );
}

#[test]
fn kind_must_be_one_of_the_names_exactly() {
    let expected = format!(r#"line 1, field `kind`: "logn" is not one of: {KINDS}"#);
    check(r#"{"id":"e1","kind":"logn","at":"2026-03-01T09:30:00Z","user":"u1"}"#, &[&expected]);
    // Unlike closed values, kinds are not case-folded.
    let expected = format!(r#"line 1, field `kind`: "Login" is not one of: {KINDS}"#);
    check(r#"{"id":"e1","kind":"Login","at":"2026-03-01T09:30:00Z","user":"u1"}"#, &[&expected]);
    check(
        r#"{"id":"e1","at":"2026-03-01T09:30:00Z","user":"u1"}"#,
        &["line 1, field `kind`: required field is missing"],
    );
    check(r#"{"id":"e1","kind":" login ","at":"2026-03-01T09:30:00Z","user":"u1"}"#, &[]);
}

#[test]
fn at_is_an_rfc_3339_instant_with_an_offset_in_2000_to_2099() {
    check(
        r#"{"id":"e1","kind":"login","at":"yesterday","user":"u1"}"#,
        &[
            r#"line 1, field `at`: "yesterday" is not an RFC 3339 instant with an offset (for example 2026-03-01T09:30:00Z)"#,
        ],
    );
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00","user":"u1"}"#,
        &[
            r#"line 1, field `at`: "2026-03-01T09:30:00" is not an RFC 3339 instant with an offset (for example 2026-03-01T09:30:00Z)"#,
        ],
    );
    check(
        r#"{"id":"e1","kind":"login","at":1772357400,"user":"u1"}"#,
        &["line 1, field `at`: expected an RFC 3339 string, found a number"],
    );
    check(
        r#"{"id":"e1","kind":"login","at":"1999-12-31T23:59:59Z","user":"u1"}"#,
        &[
            r#"line 1, field `at`: "1999-12-31T23:59:59Z" is outside the accepted years 2000 to 2099"#,
        ],
    );
    check(
        r#"{"id":"e1","kind":"login","at":"2100-01-01T00:00:00Z","user":"u1"}"#,
        &[
            r#"line 1, field `at`: "2100-01-01T00:00:00Z" is outside the accepted years 2000 to 2099"#,
        ],
    );
    // The year is the UTC one: 00:30 at +01:00 is 1999-12-31T23:30:00Z.
    check(
        r#"{"id":"e1","kind":"login","at":"2000-01-01T00:30:00+01:00","user":"u1"}"#,
        &[
            r#"line 1, field `at`: "2000-01-01T00:30:00+01:00" is outside the accepted years 2000 to 2099"#,
        ],
    );
    check(r#"{"id":"e1","kind":"login","at":"2000-01-01T00:00:00Z","user":"u1"}"#, &[]);
    check(r#"{"id":"e1","kind":"login","at":"2099-12-31T23:59:59Z","user":"u1"}"#, &[]);
    check(r#"{"id":"e1","kind":"login","at":"2026-03-01 09:30:00z","user":"u1"}"#, &[]);
}

#[test]
fn closed_values_reject_what_they_do_not_know() {
    check(
        r#"{"id":"e1","kind":"audit_entry","at":"2026-03-01T09:30:00Z","resource":"entity","operation":"destroy","source_type":"user","source":"ann","origin":"UI","status":"success"}"#,
        &[
            r#"line 1, field `operation`: "destroy" is not one of: create, update, delete, timer_expired"#,
        ],
    );
    check(
        r#"{"id":"e1","kind":"entity_change","at":"2026-03-01T09:30:00Z","organization":"acme","blueprint":"service","entity":"checkout"}"#,
        &["line 1, field `operation`: required field is missing"],
    );
    check(
        r#"{"id":"e1","kind":"entity_change","at":"2026-03-01T09:30:00Z","organization":"acme","blueprint":"service","entity":"checkout","operation":" "}"#,
        &["line 1, field `operation`: must not be empty"],
    );
    check(
        r#"{"id":"e1","kind":"audit_entry","at":"2026-03-01T09:30:00Z","resource":"entity","operation":"Timer Expired","source_type":"user","source":"ann","origin":"UI","status":"success"}"#,
        &[],
    );
    // A timer expiry is an audit entry, not a catalog change.
    check(
        r#"{"id":"e1","kind":"entity_change","at":"2026-03-01T09:30:00Z","organization":"acme","blueprint":"service","entity":"checkout","operation":"timer_expired"}"#,
        &[r#"line 1, field `operation`: "timer_expired" is not one of: create, update, delete"#],
    );
    check(
        r#"{"id":"e1","kind":"action_run","at":"2026-03-01T09:30:00Z","organization":"acme","action":"deploy","run_id":"r1","trigger":"cron","status":"success"}"#,
        &[r#"line 1, field `trigger`: "cron" is not one of: ui, api, automation"#],
    );
}

#[test]
fn a_sender_cannot_write_an_entry_of_the_monitors_tracking() {
    check(
        r#"{"id":"e1","kind":"audit_entry","at":"2026-03-01T09:30:00Z","resource":"monitor_tracking","operation":"update","source_type":"user","source":"ann","origin":"API","status":"success"}"#,
        &[
            r#"line 1, field `resource`: "monitor_tracking" is not one of: entity, blueprint, action, automation, scorecard, run, integration, secret, sign_in, account_access"#,
        ],
    );
}

#[test]
fn a_data_source_change_cannot_be_a_timer_expiry() {
    check(
        r#"{"id":"e1","kind":"data_source_change","at":"2026-03-01T09:30:00Z","organization":"acme","data_source":"gh","data_source_type":"github","name":"GitHub","operation":"timer_expired"}"#,
        &[r#"line 1, field `operation`: "timer_expired" is not one of: create, update, delete"#],
    );
    // The message quotes the value as sent (trimmed), not its wire spelling.
    check(
        r#"{"id":"e1","kind":"data_source_change","at":"2026-03-01T09:30:00Z","organization":"acme","data_source":"gh","data_source_type":"github","name":"GitHub","operation":" Timer-Expired "}"#,
        &[r#"line 1, field `operation`: "Timer-Expired" is not one of: create, update, delete"#],
    );
}

#[test]
fn fields_have_one_json_type() {
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","user":42}"#,
        &["line 1, field `user`: expected a string, found a number"],
    );
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","user":["u1"]}"#,
        &["line 1, field `user`: expected a string, found an array"],
    );
    check(
        r#"{"id":"e1","kind":"sync_observation","at":"2026-03-01T09:30:00Z","system":"Jira","email":"dana@example.com","interaction":"mention","service_account":"yes"}"#,
        &["line 1, field `service_account`: expected true or false, found a string"],
    );
}

#[test]
fn unknown_fields_are_rejected_after_the_known_ones() {
    check(
        r#"{"id":"e1","kind":"ai_invocation","at":"2026-03-01T09:30:00Z","usr":"u1"}"#,
        &[
            "line 1, field `usr`: unknown field for kind `ai_invocation`; its fields are: id, kind, at, properties, user, organization, source",
        ],
    );
    // A misspelt required field is first of all a missing one, and the
    // rejection names the likely misspelling: `usr` is one edit from `user`.
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","usr":"u1"}"#,
        &["line 1, field `user`: required field is missing; is `usr` a misspelling of it?"],
    );
    // `User` is one edit away too (case counts); `username` is four, too far.
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","User":"u1"}"#,
        &["line 1, field `user`: required field is missing; is `User` a misspelling of it?"],
    );
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","username":"u1"}"#,
        &["line 1, field `user`: required field is missing"],
    );
    // Only unknown fields are taken for misspellings: `organization` is a page
    // visit's own field, `pgae` is not and is one transposition from `page`.
    check(
        r#"{"id":"e1","kind":"page_visit","at":"2026-03-01T09:30:00Z","user":"u1","organization":"eu","pgae":"/x"}"#,
        &["line 1, field `page`: required field is missing; is `pgae` a misspelling of it?"],
    );
    // A null unknown field is still unknown; the first by name is reported.
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","zone":1,"usr":null}"#,
        &[
            "line 1, field `usr`: unknown field for kind `login`; its fields are: id, kind, at, properties, user, organization",
        ],
    );
}

#[test]
fn teams_are_lists_of_non_empty_names() {
    check(
        r#"{"id":"e1","kind":"user_teams_changed","at":"2026-03-01T09:30:00Z","user":"u1","teams":["platform"," "]}"#,
        &["line 1, field `teams[1]`: must not be empty"],
    );
    check(
        r#"{"id":"e1","kind":"user_teams_changed","at":"2026-03-01T09:30:00Z","user":"u1","teams":[null]}"#,
        &["line 1, field `teams[0]`: expected a string, found null"],
    );
    check(
        r#"{"id":"e1","kind":"user_teams_changed","at":"2026-03-01T09:30:00Z","user":"u1","teams":"platform"}"#,
        &["line 1, field `teams`: expected an array of strings, found a string"],
    );
    check(
        r#"{"id":"e1","kind":"user_teams_changed","at":"2026-03-01T09:30:00Z","user":"u1"}"#,
        &["line 1, field `teams`: required field is missing"],
    );
    check(
        r#"{"id":"e1","kind":"user_teams_changed","at":"2026-03-01T09:30:00Z","user":"u1","teams":[]}"#,
        &[],
    );
    let long_team = "x".repeat(513);
    check(
        &format!(
            r#"{{"id":"e1","kind":"user_added","at":"2026-03-01T09:30:00Z","user":"u1","teams":["{long_team}"]}}"#
        ),
        &["line 1, field `teams[0]`: is 513 bytes long; the limit is 512"],
    );
}

#[test]
fn teams_hold_at_most_100_items_as_sent() {
    let teams_changed = |teams: Vec<String>| {
        format!(
            r#"{{"id":"e1","kind":"user_teams_changed","at":"2026-03-01T09:30:00Z","user":"u1","teams":[{}]}}"#,
            teams.join(",")
        )
    };
    let distinct = |count: usize| -> Vec<String> {
        (0..count).map(|index| format!(r#""t{index}""#)).collect()
    };
    check(&teams_changed(distinct(100)), &[]);
    check(
        &teams_changed(distinct(101)),
        &["line 1, field `teams`: has 101 items; the limit is 100"],
    );
    // Counted before duplicates are dropped: 101 copies of one team are too many.
    check(
        &teams_changed(vec![r#""sre""#.to_owned(); 101]),
        &["line 1, field `teams`: has 101 items; the limit is 100"],
    );
}

#[test]
fn a_sync_observation_names_the_user_somehow() {
    check(
        r#"{"id":"e1","kind":"sync_observation","at":"2026-03-01T09:30:00Z","system":"Jira","interaction":"mention"}"#,
        &["line 1: at least one of email, username, display_name is required"],
    );
    // Empty text and null count as absent.
    check(
        r#"{"id":"e1","kind":"sync_observation","at":"2026-03-01T09:30:00Z","system":"Jira","email":" ","username":null,"interaction":"mention"}"#,
        &["line 1: at least one of email, username, display_name is required"],
    );
    check(
        r#"{"id":"e1","kind":"sync_observation","at":"2026-03-01T09:30:00Z","system":"Jira","display_name":"Dana Levi","interaction":"mention"}"#,
        &[],
    );
    // An open value made only of separators normalises to nothing.
    check(
        r#"{"id":"e1","kind":"sync_observation","at":"2026-03-01T09:30:00Z","system":"Jira","email":"dana@example.com","interaction":" -_- "}"#,
        &["line 1, field `interaction`: must not be empty"],
    );
    check(
        r#"{"id":"e1","kind":"sync_observation","at":"2026-03-01T09:30:00Z","system":"Jira","email":"dana@example.com"}"#,
        &["line 1, field `interaction`: required field is missing"],
    );
}

#[test]
fn time_spent_is_a_whole_number_of_seconds_up_to_a_day() {
    let activity = |time_spent_secs: &str| {
        format!(
            r#"{{"id":"e1","kind":"activity","at":"2026-03-01T09:30:00Z","user":"u1","module":"Dashboard","action":"export","time_spent_secs":{time_spent_secs}}}"#
        )
    };
    // A day is 24 * 60 * 60 = 86400 seconds.
    check(&activity("0"), &[]);
    check(&activity("86400"), &[]);
    check(
        &activity("86401"),
        &["line 1, field `time_spent_secs`: 86401 is outside the range 0 to 86400"],
    );
    check(
        &activity("-1"),
        &["line 1, field `time_spent_secs`: -1 is outside the range 0 to 86400"],
    );
    check(
        &activity("1.5"),
        &[
            "line 1, field `time_spent_secs`: expected a whole number, found a number with a fraction or exponent",
        ],
    );
    check(
        &activity("95.0"),
        &[
            "line 1, field `time_spent_secs`: expected a whole number, found a number with a fraction or exponent",
        ],
    );
    check(
        &activity(r#""95""#),
        &["line 1, field `time_spent_secs`: expected a whole number, found a string"],
    );
    check(
        r#"{"id":"e1","kind":"entity_sync","at":"2026-03-01T09:30:00Z","source_system":"Jira","target_system":"GitHub","entity_type":"Bug","entities":0}"#,
        &["line 1, field `entities`: 0 is outside the range 1 to 1000000000"],
    );
}

#[test]
fn properties_are_an_object_of_at_most_16384_bytes() {
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","properties":[1]}"#,
        &["line 1, field `properties`: expected an object, found an array"],
    );
    // Properties are checked before the kind's fields.
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","properties":"plan=pro"}"#,
        &["line 1, field `properties`: expected an object, found a string"],
    );
    // Compact {"k":"x…x"} is 8 bytes around n x's: n = 16376 gives 16384, n = 16377 gives 16385.
    let login_with_value = |value: &str| {
        format!(
            r#"{{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","properties":{{ "k" : "{value}" }}}}"#
        )
    };
    check(&login_with_value(&"x".repeat(16376)), &[]);
    check(
        &login_with_value(&"x".repeat(16377)),
        &["line 1, field `properties`: is 16385 bytes long; the limit is 16384"],
    );
}

#[test]
fn snapshots_are_at_most_65536_bytes() {
    let audit_before = |before: &str| {
        format!(
            r#"{{"id":"e1","kind":"audit_entry","at":"2026-03-01T09:30:00Z","resource":"entity","operation":"update","source_type":"user","source":"dana@example.com","origin":"UI","status":"success","before":{before}}}"#
        )
    };
    // A JSON string is its characters plus 2 quotes: 65534 + 2 = 65536, 65535 + 2 = 65537.
    check(&audit_before(&format!(r#""{}""#, "x".repeat(65534))), &[]);
    check(
        &audit_before(&format!(r#""{}""#, "x".repeat(65535))),
        &["line 1, field `before`: is 65537 bytes long; the limit is 65536"],
    );
}

#[test]
fn open_values_are_measured_after_normalising() {
    let audit_origin = |origin: &str| {
        format!(
            r#"{{"id":"e1","kind":"audit_entry","at":"2026-03-01T09:30:00Z","resource":"entity","operation":"update","source_type":"user","source":"dana@example.com","origin":"{origin}","status":"success"}}"#
        )
    };
    check(&audit_origin("-"), &["line 1, field `origin`: must not be empty"]);
    // `ŉ` is 2 bytes and upper-cases to `ʼN`, 3 bytes: 200 of them are 400 bytes as
    // sent, within 512, but 600 once normalised.
    check(
        &audit_origin(&"ŉ".repeat(200)),
        &["line 1, field `origin`: is 600 bytes long; the limit is 512"],
    );
}

#[test]
fn a_line_that_is_json_but_not_an_object_is_rejected() {
    // On line 1, `[` would make the whole body a JSON array.
    check(
        "{\"id\":\"e1\",\"kind\":\"login\",\"at\":\"2026-03-01T09:30:00Z\",\"user\":\"u1\"}\n[1]\n42\nnull",
        &[
            "line 2: an event must be a JSON object, not an array",
            "line 3: an event must be a JSON object, not a number",
            "line 4: an event must be a JSON object, not null",
        ],
    );
}

#[test]
fn a_line_that_is_not_json_is_rejected_with_its_column() {
    // serde_json counts within the line, so it always says line 1.
    // `{"id" "e2"}`: the `"` where `:` should be is the 7th character.
    // `{"id":"e3",}`: the `}` after the trailing comma is the 12th.
    check(
        "{\"id\":\"e1\",\"kind\":\"login\",\"at\":\"2026-03-01T09:30:00Z\",\"user\":\"u1\"}\n{\"id\" \"e2\"}\n{\"id\":\"e3\",}",
        &[
            "line 2: not valid JSON: expected `:` at line 1 column 7",
            "line 3: not valid JSON: trailing comma at line 1 column 12",
        ],
    );
}

#[test]
fn every_problem_has_a_stable_code() {
    let lines = [
        r#"{"id":"#.to_owned(),
        "42".to_owned(),
        r#"{"kind":"login"}"#.to_owned(),
        r#"{"id":"e4","kind":"login","at":"2026-03-01T09:30:00Z","user":4}"#.to_owned(),
        r#"{"id":"","kind":"login"}"#.to_owned(),
        format!(r#"{{"id":"{}","kind":"login"}}"#, "a".repeat(129)),
        r#"{"id":"e7","kind":"login","at":"soon"}"#.to_owned(),
        r#"{"id":"e8","kind":"login","at":"1970-01-01T00:00:00Z"}"#.to_owned(),
        r#"{"id":"e9","kind":"logn"}"#.to_owned(),
        r#"{"id":"e10","kind":"activity","at":"2026-03-01T09:30:00Z","user":"u1","module":"Dashboard","action":"export","time_spent_secs":-1}"#.to_owned(),
        r#"{"id":"e11","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","usr":"u1"}"#.to_owned(),
        r#"{"id":"e12","kind":"sync_observation","at":"2026-03-01T09:30:00Z","system":"Jira","interaction":"mention"}"#.to_owned(),
        format!(
            r#"{{"id":"e13","kind":"user_teams_changed","at":"2026-03-01T09:30:00Z","user":"u1","teams":[{}]}}"#,
            [r#""sre""#; 101].join(",")
        ),
        r#"{"id":"e14","id":"e14","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1"}"#
            .to_owned(),
        r#"{"id":"e15","kind":"audit_entry","at":"2026-03-01T09:30:00Z","resource":"entity","operation":"update","source_type":"user","source":"dana@example.com","origin":"UI","status":"success","after":{"n":1e400}}"#.to_owned(),
    ];
    let batch = check_batch(lines.join("\n").as_bytes(), &Limits::default()).unwrap();
    let codes: Vec<(usize, &str)> = batch
        .rejections
        .iter()
        .map(|rejection| (rejection.line, rejection.problem.code()))
        .collect();
    assert_eq!(
        codes,
        [
            (1, "syntax"),
            (2, "not_an_object"),
            (3, "missing_field"),
            (4, "wrong_type"),
            (5, "empty"),
            (6, "too_long"),
            (7, "bad_instant"),
            (8, "instant_out_of_range"),
            (9, "unknown_value"),
            (10, "out_of_range"),
            (11, "unknown_field"),
            (12, "needs_one_of"),
            (13, "too_many_items"),
            (14, "duplicate_field"),
            (15, "inexact_number"),
        ]
    );
}

#[test]
fn a_key_sent_twice_inside_properties_or_a_snapshot_is_named_by_its_path() {
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","properties":{"plan":"pro","plan":"free"}}"#,
        &[
            "line 1, field `properties.plan`: is given more than once in its object; give each key once",
        ],
    );
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","properties":{"a":{"b":[1,{"c":1,"c":1}]}}}"#,
        &[
            "line 1, field `properties.a.b[1].c`: is given more than once in its object; give each key once",
        ],
    );
    check(
        r#"{"id":"e1","kind":"audit_entry","at":"2026-03-01T09:30:00Z","resource":"entity","operation":"update","source_type":"user","source":"dana@example.com","origin":"UI","status":"success","after":{"labels":{"tier":"gold","tier":"bronze"}}}"#,
        &[
            "line 1, field `after.labels.tier`: is given more than once in its object; give each key once",
        ],
    );
    // The same key in two objects is no duplicate.
    check(
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","properties":{"a":{"x":1},"b":{"x":1}}}"#,
        &[],
    );
}

#[test]
fn a_snapshot_number_the_audit_log_would_change_is_rejected() {
    let audit_after = |after: &str| {
        format!(
            r#"{{"id":"e1","kind":"audit_entry","at":"2026-03-01T09:30:00Z","resource":"entity","operation":"update","source_type":"user","source":"dana@example.com","origin":"UI","status":"success","after":{after}}}"#
        )
    };
    check(
        &audit_after(r#"{"replicas":2,"ratio":0.25,"budget":123456789012345678901234567890}"#),
        &[
            "line 1, field `after`: holds the number 123456789012345678901234567890, which the audit log cannot keep exactly (it holds 64-bit numbers)",
        ],
    );
    check(
        &audit_after("[1.0e-400]"),
        &[
            "line 1, field `after`: holds the number 1.0e-400, which the audit log cannot keep exactly (it holds 64-bit numbers)",
        ],
    );
    // 1e3 is the float 1000.0 exactly: another spelling, the same number.
    check(&audit_after(r#"{"replicas":1e3,"ratio":0.25}"#), &[]);
}
