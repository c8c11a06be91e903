//! `docs/events.md` shows one example per kind; each must check as that kind.

use tally_events::{EventKind, Limits, check_batch};

/// Each ```json block of the docs, with the kind named by the `### `kind``
/// heading it sits under.
fn json_examples() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/events.md");
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{path}: {error}"));
    let mut examples = Vec::new();
    let mut heading_kind = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(heading) = line.strip_prefix("### ") {
            heading_kind = heading.trim_matches('`').to_owned();
        }
        if line.trim_end() == "```json" {
            let block: Vec<&str> =
                lines.by_ref().take_while(|line| line.trim_end() != "```").collect();
            examples.push((heading_kind.clone(), block.join("\n")));
        }
    }
    examples
}

#[test]
fn one_example_per_kind_in_kind_order() {
    let kinds: Vec<String> = json_examples().into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(kinds, EventKind::WIRE_NAMES);
    assert_eq!(kinds.len(), 18);
}

#[test]
fn every_example_is_one_line_that_checks_as_its_kind() {
    for (kind, example) in json_examples() {
        assert!(!example.contains('\n'), "the {kind} example spans several lines");
        let batch = check_batch(example.as_bytes(), &Limits::default())
            .unwrap_or_else(|error| panic!("{kind}: {error}"));
        assert!(batch.rejections.is_empty(), "{kind}: {:?}", batch.rejections);
        assert_eq!(batch.events.len(), 1, "{kind}");
        assert_eq!(batch.events[0].event.body.kind().wire_name(), kind);
    }
}

#[test]
fn every_example_round_trips_through_canonical_json() {
    for (kind, example) in json_examples() {
        let first = check_batch(example.as_bytes(), &Limits::default()).unwrap();
        let canonical_json = &first.events[0].canonical_json;
        let again = check_batch(canonical_json.as_bytes(), &Limits::default()).unwrap();
        assert!(again.rejections.is_empty(), "{kind}: {:?}", again.rejections);
        assert_eq!(&again.events[0].canonical_json, canonical_json, "{kind}");
        assert_eq!(again.events[0].event, first.events[0].event, "{kind}");
    }
}

/// `Event::canonical_json` writes the event in parts; serialising it whole is
/// the definition, with properties or without.
#[test]
fn canonical_json_is_the_serialised_event() {
    let properties = serde_json::json!({"plan": "pro", "seats": [3, 1.5], "note": "a \"b\"\n"});
    let serde_json::Value::Object(properties) = properties else { unreachable!("an object") };
    for (kind, example) in json_examples() {
        let mut event =
            check_batch(example.as_bytes(), &Limits::default()).unwrap().events[0].event.clone();
        for properties in [None, Some(properties.clone().into())] {
            event.properties = properties;
            let serialised = serde_json::to_string(&event).unwrap();
            assert_eq!(event.canonical_json(), serialised, "{kind}");
        }
    }
}
