//! Invariants over arbitrary input: checking never panics, rejections name the
//! field at fault, and canonical JSON checks again to itself.

use proptest::prelude::*;
use tally_events::{CheckedEvent, Limits, check_batch};

/// Printable text: short, long (often over 512 bytes), and padded with whitespace.
fn printable_text() -> impl Strategy<Value = String> {
    prop_oneof!["\\PC*", "\\PC{100,300}", "[ \u{3000}]{0,2}\\PC{0,3}[ \u{3000}]{0,2}"]
}

/// Re-checks an event's canonical JSON and asserts it comes back unchanged.
fn assert_round_trips(event: &CheckedEvent) -> Result<(), TestCaseError> {
    let again = check_batch(event.canonical_json.as_bytes(), &Limits::default())
        .map_err(|error| TestCaseError::fail(error.to_string()))?;
    prop_assert!(again.rejections.is_empty(), "{:?}", again.rejections);
    prop_assert_eq!(again.events.len(), 1);
    prop_assert_eq!(&again.events[0].canonical_json, &event.canonical_json);
    prop_assert_eq!(&again.events[0].event, &event.event);
    Ok(())
}

proptest! {
    #[test]
    fn a_login_user_is_kept_trimmed_or_rejected_on_user(user in printable_text()) {
        let body = serde_json::json!({
            "id": "e1", "kind": "login", "at": "2026-03-01T09:30:00Z", "user": user,
        })
        .to_string();
        let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
        prop_assert_eq!(batch.events.len() + batch.rejections.len(), 1);
        let trimmed = user.trim();
        if trimmed.is_empty() {
            prop_assert_eq!(batch.rejections[0].to_string(), "line 1, field `user`: must not be empty");
        } else if trimmed.len() > 512 {
            let expected =
                format!("line 1, field `user`: is {} bytes long; the limit is 512", trimmed.len());
            prop_assert_eq!(batch.rejections[0].to_string(), expected);
        } else {
            prop_assert!(batch.rejections.is_empty(), "{:?}", batch.rejections);
            let expected = serde_json::json!({
                "id": "e1", "at": "2026-03-01T09:30:00Z", "kind": "login", "user": trimmed,
            });
            let canonical: serde_json::Value =
                serde_json::from_str(&batch.events[0].canonical_json).unwrap();
            prop_assert_eq!(canonical, expected);
            assert_round_trips(&batch.events[0])?;
        }
    }

    #[test]
    fn an_origin_is_kept_in_a_form_that_checks_again_or_rejected_on_origin(
        origin in printable_text()
    ) {
        let body = serde_json::json!({
            "id": "a1", "kind": "audit_entry", "at": "2026-03-01T09:30:00Z",
            "resource": "entity", "operation": "update", "source_type": "user",
            "source": "dana@example.com", "origin": origin, "status": "success",
        })
        .to_string();
        let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
        match (batch.events.as_slice(), batch.rejections.as_slice()) {
            ([event], []) => assert_round_trips(event)?,
            ([], [rejection]) => prop_assert_eq!(rejection.field.as_deref(), Some("origin")),
            (events, rejections) => {
                prop_assert!(false, "events {:?}, rejections {:?}", events, rejections);
            }
        }
    }

    #[test]
    fn any_body_is_read_without_panicking(body in "(\\PC{0,40}\n?){0,4}") {
        // Whatever the outcome, every event that passes checks again to itself.
        if let Ok(batch) = check_batch(body.as_bytes(), &Limits::default()) {
            for event in &batch.events {
                assert_round_trips(event)?;
            }
        }
    }
}

/// Any JSON value, numbers included, nested up to three deep; object keys and
/// strings hold characters that need escaping.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let text = "[a-z\"\\\\/\u{0}-\u{1f}é\u{2028}\u{1f600}]{0,6}";
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |float| {
            serde_json::Number::from_f64(float).map(Value::Number)
        }),
        text.prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(text, inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn properties_are_kept_as_sent_and_as_earlier_versions_wrote_them(
        properties in prop::collection::btree_map("[a-z\u{0}é]{0,4}", json_value(), 1..6),
        pretty in any::<bool>(),
    ) {
        let properties = serde_json::Value::Object(properties.into_iter().collect());
        let event = serde_json::json!([{
            "id": "e1", "kind": "login", "at": "2026-03-01T09:30:00Z", "user": "u1",
            "properties": properties,
        }]);
        // Whitespace anywhere, as a pretty-printing sender would send it.
        let body = if pretty {
            serde_json::to_string_pretty(&event).unwrap()
        } else {
            event.to_string()
        };
        // serde_json wrote every number from a 64-bit one and sorted the keys:
        // its text is what is sent, and what earlier versions stored.
        let sent = properties.to_string();
        prop_assume!(sent.len() <= Limits::default().max_properties_bytes);
        let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
        prop_assert!(batch.rejections.is_empty(), "{:?}", batch.rejections);
        let checked = &batch.events[0];
        prop_assert_eq!(checked.event.properties.as_ref().map(|kept| kept.as_json()), Some(sent.as_str()));
        // Earlier versions read the body into a `Value` and wrote it back.
        let earlier: serde_json::Value = serde_json::from_str(&body).unwrap();
        let earlier = format!(
            r#"{{"id":"e1","at":"2026-03-01T09:30:00Z","kind":"login","user":"u1","properties":{}}}"#,
            earlier[0]["properties"]
        );
        prop_assert!(
            checked.canonical_json == earlier
                || checked.earlier_canonical_json.as_deref() == Some(earlier.as_str()),
            "{} / {:?} / {}", checked.canonical_json, checked.earlier_canonical_json, earlier
        );
        assert_round_trips(checked)?;
    }
}
