//! Messages of each format mapped to Tally's events, checked against events
//! written out by hand from docs/ingest-compat.md's mapping.

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Value, json};
use tally_compat::segment::SegmentCall;
use tally_compat::{
    BodyError, MappedBy, Mapping, MappingRule, Translated, Untranslatable, cloudevents, posthog,
    segment,
};
use tally_events::{CheckedEvent, EventKind, Limits};

/// When the messages below were received, as the daemon passes it: a JSON string.
fn received() -> &'static RawValue {
    serde_json::from_str("\"2026-03-02T12:00:00Z\"").unwrap()
}

/// The event a translation wrote, read back as JSON.
fn json(translated: &Translated) -> Value {
    serde_json::from_str(&translated.event)
        .unwrap_or_else(|error| panic!("{error}: {}", translated.event))
}

fn raw(value: Value) -> Box<RawValue> {
    RawValue::from_string(value.to_string()).unwrap()
}

fn segment(mapping: &Mapping, message: Value) -> Result<Translated, Untranslatable> {
    segment::read_message(0, &raw(message), None, received())
        .map(|message| mapping.translate(message))
}

fn posthog(message: Value) -> Result<Translated, Untranslatable> {
    posthog::read_message(0, &raw(message), received())
        .map(|message| Mapping::default().translate(message))
}

fn cloudevent(message: Value) -> Result<Translated, Untranslatable> {
    cloudevents::read_message(0, &raw(message), received())
        .map(|message| Mapping::default().translate(message))
}

/// The event's canonical JSON once checked as a native event.
fn checked(translated: &Translated) -> String {
    CheckedEvent::check(1, json(translated), &Limits::default())
        .unwrap_or_else(|rejection| panic!("{rejection} in {}", translated.event))
        .canonical_json
}

#[test]
fn a_segment_sign_in_is_a_login_and_a_page_a_page_visit() {
    let login = segment(
        &Mapping::default(),
        json!({"type":"track","event":"Signed In","userId":"u-1","messageId":"m-1",
               "timestamp":"2026-03-02T09:00:00.123+01:00","context":{"groupId":"acme"}}),
    )
    .unwrap();
    assert_eq!((login.kind, login.by), (EventKind::Login, MappedBy::Default));
    assert_eq!(
        checked(&login),
        r#"{"id":"m-1","at":"2026-03-02T08:00:00.123Z","kind":"login","user":"u-1","organization":"acme"}"#
    );

    let page = segment(
        &Mapping::default(),
        json!({"type":"page","name":"Catalog","userId":42,"messageId":"m-2",
               "timestamp":"2026-03-02T08:00:00Z","properties":{"path":"/catalog","title":"Catalog"},
               "context":{"library":{"name":"analytics-node"}}}),
    )
    .unwrap();
    // A numeric userId is its decimal text; the path stays among the properties,
    // and so does the context (without groupId, which it did not have).
    assert_eq!(
        checked(&page),
        r#"{"id":"m-2","at":"2026-03-02T08:00:00Z","kind":"page_visit","user":"42","page":"/catalog","properties":{"context":{"library":{"name":"analytics-node"}},"path":"/catalog","title":"Catalog"}}"#
    );
    let screen = segment(
        &Mapping::default(),
        json!({"type":"screen","name":"Settings","userId":"u-1","messageId":"m-3","timestamp":"2026-03-02T08:00:00Z"}),
    )
    .unwrap();
    assert_eq!(json(&screen)["page"], "Settings");
}

#[test]
fn identify_is_the_users_profile_and_group_their_organization() {
    let identify = segment(
        &Mapping::default(),
        json!({"type":"identify","userId":"u-1","messageId":"m-4","timestamp":"2026-03-02T08:00:00Z",
               "traits":{"email":"dana@example.com","name":"Dana Levi","role":"admin","teams":["sre","platform"],"plan":"pro"}}),
    )
    .unwrap();
    assert_eq!(identify.kind, EventKind::UserAdded);
    assert_eq!(
        checked(&identify),
        r#"{"id":"m-4","at":"2026-03-02T08:00:00Z","kind":"user_added","user":"u-1","email":"dana@example.com","display_name":"Dana Levi","role":"admin","teams":["platform","sre"],"service_account":false,"properties":{"traits":{"plan":"pro"}}}"#
    );

    let group = segment(
        &Mapping::default(),
        json!({"type":"group","userId":"u-1","groupId":"acme","messageId":"m-5","timestamp":"2026-03-02T08:00:00Z",
               "traits":{"name":"Acme"}}),
    )
    .unwrap();
    // No role among the traits: a member.
    assert_eq!(
        checked(&group),
        r#"{"id":"m-5","at":"2026-03-02T08:00:00Z","kind":"user_role_changed","user":"u-1","organization":"acme","role":"member","properties":{"traits":{"name":"Acme"}}}"#
    );
    assert_eq!(group.source_of("role"), "default");
}

#[test]
fn an_event_no_rule_covers_is_kept_as_an_activity() {
    let kept = segment(
        &Mapping::default(),
        json!({"type":"track","event":"Report Exported","userId":"u-1","messageId":"m-6",
               "timestamp":"2026-03-02T08:00:00Z","properties":{"module":"Reports","format":"pdf"}}),
    )
    .unwrap();
    assert_eq!((kept.kind, kept.by), (EventKind::Activity, MappedBy::KeptAsActivity));
    assert_eq!(
        checked(&kept),
        r#"{"id":"m-6","at":"2026-03-02T08:00:00Z","kind":"activity","user":"u-1","module":"Reports","action":"Report Exported","time_spent_secs":0,"properties":{"format":"pdf"}}"#
    );
    // Without a module it is filed under the format's name.
    let bare = segment(
        &Mapping::default(),
        json!({"type":"track","event":"Clicked","userId":"u-1","messageId":"m-7","timestamp":"2026-03-02T08:00:00Z"}),
    )
    .unwrap();
    assert_eq!(
        (json(&bare)["module"].as_str(), json(&bare)["action"].as_str()),
        (Some("Segment"), Some("Clicked"))
    );
}

#[test]
fn an_account_rule_comes_before_the_default_mapping() {
    let rule = MappingRule::new(
        "Deploy Service",
        EventKind::ActionRun,
        BTreeMap::from([
            ("action".to_string(), json!("deploy_service")),
            ("trigger".to_string(), json!("api")),
        ]),
        BTreeMap::from([("run_id".to_string(), "runId".to_string())]),
    )
    .unwrap();
    let login_as_activity =
        MappingRule::new("Signed In", EventKind::Activity, BTreeMap::new(), BTreeMap::new())
            .unwrap();
    let mapping = Mapping::new([rule, login_as_activity]);
    let run = segment(
        &mapping,
        json!({"type":"track","event":"Deploy Service","userId":"u-1","messageId":"m-8","timestamp":"2026-03-02T08:00:00Z",
               "context":{"groupId":"acme"},"properties":{"runId":"r-9","status":"success","service":"checkout"}}),
    )
    .unwrap();
    assert_eq!(run.by, MappedBy::AccountRule);
    assert_eq!(
        checked(&run),
        r#"{"id":"m-8","at":"2026-03-02T08:00:00Z","kind":"action_run","organization":"acme","action":"deploy_service","run_id":"r-9","trigger":"api","status":"success","user":"u-1","properties":{"service":"checkout"}}"#
    );
    assert_eq!(run.source_of("run_id"), "properties.runId");
    assert_eq!(run.source_of("trigger"), "mapping rule");
    let signed_in = segment(
        &mapping,
        json!({"type":"track","event":"Signed In","userId":"u-1","messageId":"m-9","timestamp":"2026-03-02T08:00:00Z"}),
    )
    .unwrap();
    assert_eq!((signed_in.kind, signed_in.by), (EventKind::Activity, MappedBy::AccountRule));
}

#[test]
fn a_rejection_names_the_field_as_the_message_spelled_it() {
    let page = segment(
        &Mapping::default(),
        json!({"type":"page","userId":"u-1","messageId":"m-10","timestamp":"2026-03-02T08:00:00Z","properties":{"path":7}}),
    );
    // A number is no path: not taken as the page, so the page is missing.
    let page = page.unwrap();
    let rejection = CheckedEvent::check(1, json(&page), &Limits::default()).unwrap_err();
    assert_eq!(rejection.field.as_deref(), Some("page"));
    assert_eq!(page.source_of("page"), "page");

    let timed = segment(
        &Mapping::default(),
        json!({"type":"track","event":"Signed In","userId":"u-1","messageId":"m-11","timestamp":"yesterday"}),
    )
    .unwrap();
    let rejection = CheckedEvent::check(1, json(&timed), &Limits::default()).unwrap_err();
    assert_eq!(timed.source_of(rejection.field.as_deref().unwrap()), "timestamp");

    let teams = segment(
        &Mapping::default(),
        json!({"type":"identify","userId":"u-1","messageId":"m-12","timestamp":"2026-03-02T08:00:00Z","traits":{"teams":["sre",""]}}),
    )
    .unwrap();
    let rejection = CheckedEvent::check(1, json(&teams), &Limits::default()).unwrap_err();
    assert_eq!(teams.source_of(rejection.field.as_deref().unwrap()), "traits.teams[1]");
}

#[test]
fn segment_messages_that_cannot_be_mapped_are_named() {
    let anonymous = segment(
        &Mapping::default(),
        json!({"type":"page","anonymousId":"a-1","messageId":"m-13","timestamp":"2026-03-02T08:00:00Z"}),
    )
    .unwrap_err();
    assert_eq!(anonymous.field.as_deref(), Some("userId"));
    let unknown = segment(&Mapping::default(), json!({"type":"spin","userId":"u-1"})).unwrap_err();
    assert_eq!(unknown.field.as_deref(), Some("type"));
    let nameless =
        segment(&Mapping::default(), json!({"type":"track","userId":"u-1"})).unwrap_err();
    assert_eq!(nameless.field.as_deref(), Some("event"));
    let groupless =
        segment(&Mapping::default(), json!({"type":"group","userId":"u-1"})).unwrap_err();
    assert_eq!(groupless.field.as_deref(), Some("groupId"));
    // 32 KB is Segment's limit a message: one byte over is refused whole.
    let filler = "x".repeat(segment::MAX_MESSAGE_BYTES);
    let large = segment(
        &Mapping::default(),
        json!({"type":"track","event":"E","userId":"u","properties":{"f":filler}}),
    )
    .unwrap_err();
    assert_eq!(large.field, None);
    assert!(large.reason.contains("32768"), "{}", large.reason);
}

#[test]
fn a_segment_message_without_an_id_or_instant_gets_one_that_a_resend_shares() {
    let message = json!({"type":"track","event":"Signed In","userId":"u-1"});
    let first = segment(&Mapping::default(), message.clone()).unwrap();
    let again = segment(&Mapping::default(), message).unwrap();
    assert_eq!(json(&first)["id"], json(&again)["id"]);
    assert!(json(&first)["id"].as_str().unwrap().starts_with("segment-"));
    assert_eq!(json(&first)["at"], "2026-03-02T12:00:00Z");
    // A single call's path gives the type a message leaves out.
    let single = raw(json!({"event":"Signed In","userId":"u-1","messageId":"m"}));
    let single = segment::read_message(0, &single, Some(SegmentCall::Track), received()).unwrap();
    assert_eq!(Mapping::default().translate(single).kind, EventKind::Login);
}

#[test]
fn a_segment_batch_holds_its_messages_and_may_carry_the_write_key() {
    let body = br#"{"batch":[{"type":"track"},{"type":"page"}],"writeKey":"wk","sentAt":"2026-03-02T08:00:00Z"}"#;
    let envelope = segment::read_batch(body, 10).unwrap();
    assert_eq!((envelope.write_key.as_deref(), envelope.messages.len()), (Some("wk"), 2));
    assert_eq!(
        segment::read_batch(body, 1).unwrap_err(),
        BodyError::TooManyMessages { count: 2, max: 1 }
    );
    assert_eq!(segment::read_batch(br#"{"batch":[]}"#, 10).unwrap_err(), BodyError::Empty);
    assert!(matches!(segment::read_batch(b"{", 10), Err(BodyError::Malformed { .. })));
}

#[test]
fn posthog_events_map_by_their_names() {
    let pageview = posthog(json!({"event":"$pageview","distinct_id":"u-1","uuid":"0190-1","timestamp":"2026-03-02T08:00:00+00:00",
        "properties":{"$pathname":"/catalog","$current_url":"https://app/catalog","$groups":{"organization":"acme"},"token":"phc"}}))
    .unwrap();
    assert_eq!(
        checked(&pageview),
        r#"{"id":"0190-1","at":"2026-03-02T08:00:00Z","kind":"page_visit","user":"u-1","organization":"acme","page":"/catalog","properties":{"$current_url":"https://app/catalog","$groups":{"organization":"acme"},"$pathname":"/catalog"}}"#
    );
    let identify = posthog(json!({"event":"$identify","distinct_id":"u-1","uuid":"0190-2","timestamp":"2026-03-02T08:00:00Z",
        "properties":{"$set":{"email":"dana@example.com"},"$set_once":{"name":"Dana"}}}))
    .unwrap();
    assert_eq!(
        (json(&identify)["email"].as_str(), json(&identify)["display_name"].as_str()),
        (Some("dana@example.com"), Some("Dana"))
    );
    let mcp = posthog(json!({"event":"$mcp_tool_call","distinct_id":"u-1","uuid":"0190-3","timestamp":"2026-03-02T08:00:00Z",
        "properties":{"$mcp_tool_name":"search","$mcp_is_error":true,"$mcp_error":"not found","$mcp_duration_ms":412}}))
    .unwrap();
    assert_eq!(
        checked(&mcp),
        r#"{"id":"0190-3","at":"2026-03-02T08:00:00Z","kind":"mcp_call","user":"u-1","tool":"search","status":"failure","error":"not found","duration_ms":412}"#
    );
    let ai = posthog(json!({"event":"$ai_generation","distinct_id":"u-1","uuid":"0190-4","timestamp":"2026-03-02T08:00:00Z",
        "properties":{"$ai_provider":"openai","$ai_model":"gpt"}}))
    .unwrap();
    assert_eq!((ai.kind, json(&ai)["source"].as_str()), (EventKind::AiInvocation, Some("openai")));
    // A kind's own name maps to it, fields from the properties.
    let login = posthog(json!({"event":"login","distinct_id":"u-1","uuid":"0190-5","timestamp":"2026-03-02T08:00:00Z"})).unwrap();
    assert_eq!(login.kind, EventKind::Login);
}

#[test]
fn a_posthog_group_is_membership_only_when_sent_for_a_user() {
    let membership = posthog(json!({"event":"$groupidentify","distinct_id":"u-1","uuid":"0190-6","timestamp":"2026-03-02T08:00:00Z",
        "properties":{"$group_type":"organization","$group_key":"acme","$group_set":{"role":"admin","name":"Acme"}}}))
    .unwrap();
    assert_eq!(
        checked(&membership),
        r#"{"id":"0190-6","at":"2026-03-02T08:00:00Z","kind":"user_role_changed","user":"u-1","organization":"acme","role":"admin","properties":{"$group_set":{"name":"Acme"},"$group_type":"organization"}}"#
    );
    let profile = posthog(
        json!({"event":"$groupidentify","distinct_id":"$organization_acme","uuid":"0190-7",
        "properties":{"$group_type":"organization","$group_key":"acme"}}),
    )
    .unwrap_err();
    assert_eq!(profile.field.as_deref(), Some("distinct_id"));
}

#[test]
fn posthog_bodies_come_in_four_shapes() {
    let batch = br#"{"api_key":"phc","batch":[{"event":"a","distinct_id":"u"},{"event":"b","distinct_id":"u"}]}"#;
    let envelope = posthog::read_body(batch, None, 10).unwrap();
    assert_eq!((envelope.write_key.as_deref(), envelope.messages.len()), (Some("phc"), 2));
    let single =
        posthog::read_body(br#"{"api_key":"phc","event":"a","distinct_id":"u"}"#, None, 10)
            .unwrap();
    assert_eq!((single.write_key.as_deref(), single.messages.len()), (Some("phc"), 1));
    let array =
        posthog::read_body(br#"[{"event":"a","properties":{"token":"phc"}}]"#, None, 10).unwrap();
    assert_eq!(array.write_key.as_deref(), Some("phc"));
    // The browser's form: data is base64 of the JSON (here of the single event above).
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD
        .encode(br#"{"api_key":"phc","event":"a","distinct_id":"u"}"#);
    let form = format!("data={}", encoded.replace('+', "%2B").replace('=', "%3D"));
    let decoded = posthog::read_body(form.as_bytes(), None, 10).unwrap();
    assert_eq!((decoded.write_key.as_deref(), decoded.messages.len()), (Some("phc"), 1));
    let from_query = posthog::read_body(b"", Some(&format!("{form}&ver=1")), 10).unwrap();
    assert_eq!(from_query.messages.len(), 1);
}

#[test]
fn cloudevents_are_keyed_by_source_and_id() {
    let login = cloudevent(
        json!({"specversion":"1.0","id":"e-1","source":"billing","type":"com.acme.login",
        "subject":"u-1","time":"2026-03-02T08:00:00Z","data":{"organization":"acme","plan":"pro"}}),
    )
    .unwrap();
    assert_eq!(
        checked(&login),
        r#"{"id":"e-1@billing","at":"2026-03-02T08:00:00Z","kind":"login","user":"u-1","organization":"acme","properties":{"plan":"pro"}}"#
    );
    let metered =
        cloudevent(json!({"specversion":"1.0","id":"e-2","source":"api","type":"request",
        "subject":"u-1","time":"2026-03-02T08:00:00Z","data":{"tokens":12}}))
        .unwrap();
    assert_eq!(
        checked(&metered),
        r#"{"id":"e-2@api","at":"2026-03-02T08:00:00Z","kind":"activity","user":"u-1","module":"CloudEvents","action":"request","time_spent_secs":0,"properties":{"tokens":12}}"#
    );
    let old =
        cloudevent(json!({"specversion":"0.3","id":"e","source":"s","type":"t"})).unwrap_err();
    assert_eq!(old.field.as_deref(), Some("specversion"));
    let sourceless = cloudevent(json!({"specversion":"1.0","id":"e","type":"t"})).unwrap_err();
    assert_eq!(sourceless.field.as_deref(), Some("source"));
}

#[test]
fn a_binary_cloudevent_is_read_from_its_headers() {
    let headers: Vec<(&str, &[u8])> = vec![
        ("ce-specversion", b"1.0"),
        ("ce-id", b"e-3"),
        ("ce-source", b"billing"),
        ("ce-type", b"login"),
        ("ce-subject", b"u-%C3%A9"),
        ("ce-time", b"2026-03-02T08:00:00Z"),
        ("content-type", b"application/json"),
    ];
    let envelope = cloudevents::read_binary(
        headers.clone(),
        Some("application/json"),
        br#"{"organization":"acme"}"#,
    )
    .unwrap();
    let message = cloudevents::read_message(0, &envelope.messages[0], received()).unwrap();
    let login = Mapping::default().translate(message);
    assert_eq!(
        checked(&login),
        r#"{"id":"e-3@billing","at":"2026-03-02T08:00:00Z","kind":"login","user":"u-é","organization":"acme"}"#
    );
    let missing = cloudevents::read_binary(headers[..3].to_vec(), None, b"").unwrap_err();
    assert_eq!(missing, BodyError::MissingHeader { attribute: "type" });
    assert_eq!(cloudevents::Mode::of(Some("application/json"), true), cloudevents::Mode::Binary);
    assert_eq!(
        cloudevents::Mode::of(Some("application/cloudevents-batch+json"), false),
        cloudevents::Mode::Batched
    );
}

#[test]
fn an_account_rule_replaces_even_posthogs_own_names() {
    let viewed = MappingRule::new(
        "$pageview",
        EventKind::Activity,
        BTreeMap::from([("module".to_string(), json!("Web"))]),
        BTreeMap::new(),
    )
    .unwrap();
    let identified =
        MappingRule::new("$identify", EventKind::Login, BTreeMap::new(), BTreeMap::new()).unwrap();
    let mapping = Mapping::new([viewed, identified]);
    let translate = |message: Value| {
        mapping.translate(posthog::read_message(0, &raw(message), received()).unwrap())
    };
    let pageview = translate(
        json!({"event":"$pageview","distinct_id":"u-1","uuid":"p-1","timestamp":"2026-03-02T08:00:00Z",
        "properties":{"$pathname":"/home"}}),
    );
    assert_eq!(
        checked(&pageview),
        r#"{"id":"p-1","at":"2026-03-02T08:00:00Z","kind":"activity","user":"u-1","module":"Web","action":"$pageview","time_spent_secs":0,"properties":{"$pathname":"/home"}}"#
    );
    // The traits `$identify` took out are the event's properties again.
    let identify = translate(
        json!({"event":"$identify","distinct_id":"u-1","uuid":"p-2","timestamp":"2026-03-02T08:00:00Z",
        "properties":{"$set":{"email":"dana@example.com"}}}),
    );
    assert_eq!(
        checked(&identify),
        r#"{"id":"p-2","at":"2026-03-02T08:00:00Z","kind":"login","user":"u-1","properties":{"$set":{"email":"dana@example.com"}}}"#
    );
}

#[test]
fn fields_handed_to_the_checker_make_the_event_the_written_line_makes() {
    // Each message mapped both ways: written as a line and read back, and
    // handed over field by field. Escapes, numbers, lists and properties included.
    let messages = [
        json!({"type":"page","userId":"u-\u{e9}\"x","messageId":"m\\1","timestamp":"2026-03-02T08:00:00Z",
               "properties":{"path":"/a\nb","n":1.50,"list":[1,{"k":"v"}]}}),
        json!({"type":"identify","userId":"u-1","messageId":"m-2","timestamp":"2026-03-02T08:00:00+01:00",
               "traits":{"email":"a@b.c","teams":["sre","platform"],"service_account":true,"plan":"pro"}}),
        json!({"type":"track","event":"Report Exported","userId":7,"messageId":"m-3","timestamp":"2026-03-02T08:00:00Z",
               "properties":{"module":"Reports","time_spent_secs":42}}),
        json!({"type":"group","userId":"u-1","groupId":"acme","messageId":"m-4","timestamp":"2026-03-02T08:00:00Z"}),
    ];
    let mapping = Mapping::default();
    for message in messages {
        let raw = raw(message);
        let written =
            checked(&mapping.translate(segment::read_message(0, &raw, None, received()).unwrap()));
        let (_, fields) =
            mapping.translate_fields(segment::read_message(0, &raw, None, received()).unwrap());
        let handed =
            CheckedEvent::check_fields(1, fields, &Limits::default()).unwrap().canonical_json;
        assert_eq!(handed, written);
    }
    // A field of the wrong type is rejected the same way both ways.
    let raw = raw(json!({"type":"track","event":"activity","userId":"u-1","messageId":"m-5",
                         "timestamp":"2026-03-02T08:00:00Z","properties":{"module":"M","action":"a","time_spent_secs":"60"}}));
    let (_, fields) =
        mapping.translate_fields(segment::read_message(0, &raw, None, received()).unwrap());
    let rejection = CheckedEvent::check_fields(1, fields, &Limits::default()).unwrap_err();
    assert_eq!(
        (rejection.field.as_deref(), rejection.problem.code()),
        (Some("time_spent_secs"), "wrong_type")
    );
}
