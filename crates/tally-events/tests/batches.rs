//! Reading a body as a batch: NDJSON or a JSON array, line numbers, and the
//! errors that fail a whole body.

use tally_events::{BatchError, CheckedBatch, Limits, check_batch};

fn login(id: &str) -> String {
    format!(r#"{{"id":"{id}","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1"}}"#)
}

/// The line of every accepted event and every rejection's text.
fn summary(batch: &CheckedBatch) -> (Vec<(usize, &str)>, Vec<String>) {
    let events = batch.events.iter().map(|event| (event.line, event.event.id.as_str())).collect();
    let rejections = batch.rejections.iter().map(ToString::to_string).collect();
    (events, rejections)
}

fn check_error(body: &[u8], limits: &Limits, expected: BatchError, expected_message: &str) {
    let error = check_batch(body, limits).expect_err("the body should fail whole");
    assert_eq!(error, expected, "body {:?}", String::from_utf8_lossy(body));
    assert_eq!(error.to_string(), expected_message);
}

#[test]
fn ndjson_lines_are_counted_with_blank_lines() {
    let body = format!(
        "{}\n   \n{}\n\n{}\n",
        login("e1"),
        login("e3"),
        r#"{"id":"e5","kind":"login","at":"2026-03-01T09:30:00Z"}"#
    );
    let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        summary(&batch),
        (
            vec![(1, "e1"), (3, "e3")],
            vec!["line 5, field `user`: required field is missing".to_owned()]
        )
    );
}

#[test]
fn ndjson_accepts_crlf_line_ends() {
    let body = format!("{}\r\n\r\n{}\r\n", login("e1"), login("e3"));
    let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(summary(&batch), (vec![(1, "e1"), (3, "e3")], vec![]));
}

#[test]
fn array_elements_are_numbered_by_position_not_by_line() {
    let body = format!(
        "[\n  {},\n\n  {},\n  7,\n  {}\n]\n",
        login("e1"),
        r#"{"id":"e2","kind":"login","at":"2026-03-01T09:30:00Z"}"#,
        login("e4")
    );
    let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        summary(&batch),
        (
            vec![(1, "e1"), (4, "e4")],
            vec![
                "line 2, field `user`: required field is missing".to_owned(),
                "line 3: an event must be a JSON object, not a number".to_owned(),
            ]
        )
    );
}

#[test]
fn a_line_that_is_not_json_costs_only_itself() {
    let body = format!("{}\nhello\n{}", login("e1"), login("e3"));
    let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        summary(&batch),
        (
            vec![(1, "e1"), (3, "e3")],
            vec!["line 2: not valid JSON: expected value at line 1 column 1".to_owned()]
        )
    );
}

#[test]
fn a_body_without_events_fails_whole() {
    let limits = Limits::default();
    check_error(b"", &limits, BatchError::Empty, "the body holds no event");
    check_error(b" \n\t\r\n ", &limits, BatchError::Empty, "the body holds no event");
    check_error(b"[]", &limits, BatchError::Empty, "the body holds no event");
    check_error(b"\n [ ]\n", &limits, BatchError::Empty, "the body holds no event");
}

#[test]
fn a_body_that_is_not_utf8_fails_whole_at_the_bad_byte() {
    // `{"id":"e` is 8 bytes, so the 0xFF byte is at offset 8.
    check_error(
        b"{\"id\":\"e\xff\"}",
        &Limits::default(),
        BatchError::NotUtf8 { offset: 8 },
        "the body is not UTF-8: invalid byte at offset 8",
    );
}

#[test]
fn a_body_starting_with_a_bracket_must_be_one_array() {
    // `[{"id":"e1"}` is 12 characters and ends before the list does.
    check_error(
        br#"[{"id":"e1"}"#,
        &Limits::default(),
        BatchError::MalformedArray {
            reason: "EOF while parsing a list at line 1 column 12".to_owned(),
        },
        "the body starts with `[` but is not a JSON array: EOF while parsing a list at line 1 column 12",
    );
    // An NDJSON line after `[1]` is not a second event but trailing characters.
    let body = format!("[1]\n{}", login("e2"));
    check_error(
        body.as_bytes(),
        &Limits::default(),
        BatchError::MalformedArray { reason: "trailing characters at line 2 column 1".to_owned() },
        "the body starts with `[` but is not a JSON array: trailing characters at line 2 column 1",
    );
}

#[test]
fn a_body_where_no_line_is_json_fails_whole() {
    check_error(
        b"hello\nworld",
        &Limits::default(),
        BatchError::NotJson {
            first_line: 1,
            first_reason: "expected value at line 1 column 1".to_owned(),
        },
        "the body is neither NDJSON nor a JSON array: no line is JSON (line 1: expected value at line 1 column 1)",
    );
    // A byte-order mark is not whitespace: the only line starts with it and is not JSON.
    let body = format!("\u{feff}{}", login("e1"));
    check_error(
        body.as_bytes(),
        &Limits::default(),
        BatchError::NotJson {
            first_line: 1,
            first_reason: "expected value at line 1 column 1".to_owned(),
        },
        "the body is neither NDJSON nor a JSON array: no line is JSON (line 1: expected value at line 1 column 1)",
    );
    // Blank lines count: the first non-blank line is line 3.
    check_error(
        b"\n\nhello",
        &Limits::default(),
        BatchError::NotJson {
            first_line: 3,
            first_reason: "expected value at line 1 column 1".to_owned(),
        },
        "the body is neither NDJSON nor a JSON array: no line is JSON (line 3: expected value at line 1 column 1)",
    );
}

#[test]
fn too_many_events_fail_the_whole_batch() {
    let limits = Limits { max_events_per_batch: 2, ..Limits::default() };
    let ndjson = |ids: &[&str]| ids.iter().map(|id| login(id)).collect::<Vec<_>>().join("\n");
    let array = |ids: &[&str]| {
        format!("[{}]", ids.iter().map(|id| login(id)).collect::<Vec<_>>().join(","))
    };

    check_error(
        ndjson(&["e1", "e2", "e3"]).as_bytes(),
        &limits,
        BatchError::TooManyEvents { count: 3, max: 2 },
        "the batch holds 3 events; the limit is 2 per batch",
    );
    check_error(
        array(&["e1", "e2", "e3"]).as_bytes(),
        &limits,
        BatchError::TooManyEvents { count: 3, max: 2 },
        "the batch holds 3 events; the limit is 2 per batch",
    );
    // NDJSON reading stops at the limit + 1 = 3; an array is counted whole.
    check_error(
        ndjson(&["e1", "e2", "e3", "e4"]).as_bytes(),
        &limits,
        BatchError::TooManyEvents { count: 3, max: 2 },
        "the batch holds 3 events; the limit is 2 per batch",
    );
    check_error(
        array(&["e1", "e2", "e3", "e4"]).as_bytes(),
        &limits,
        BatchError::TooManyEvents { count: 4, max: 2 },
        "the batch holds 4 events; the limit is 2 per batch",
    );
    // Every non-blank NDJSON line counts, JSON or not; blank lines do not.
    check_error(
        format!("{}\nhello\n{}", login("e1"), login("e3")).as_bytes(),
        &limits,
        BatchError::TooManyEvents { count: 3, max: 2 },
        "the batch holds 3 events; the limit is 2 per batch",
    );
    let body = format!("\n{}\n\n\n{}\n\n", login("e2"), login("e5"));
    let batch = check_batch(body.as_bytes(), &limits).unwrap();
    assert_eq!(summary(&batch), (vec![(2, "e2"), (5, "e5")], vec![]));
}

#[test]
fn default_limits_are_the_documented_ones() {
    // docs/events.md lists these under "Limits".
    assert_eq!(
        Limits::default(),
        Limits {
            max_events_per_batch: 10_000,
            max_id_bytes: 128,
            max_name_bytes: 512,
            max_text_bytes: 4096,
            max_snapshot_bytes: 65_536,
            max_properties_bytes: 16_384,
            max_list_items: 100,
        }
    );
}

#[test]
fn a_line_that_is_json_but_not_an_object_is_named_by_its_type() {
    // An array comes second: a body whose first line starts with `[` is one array.
    let lines = ["\"login\"", "[1, {\"id\": 2}]", "-3", "1.5e3", "true", "null", "{}"];
    let expected: Vec<String> =
        ["a string", "an array", "a number", "a number", "a boolean", "null"]
            .iter()
            .enumerate()
            .map(|(index, found)| {
                format!("line {}: an event must be a JSON object, not {found}", index + 1)
            })
            .chain(["line 7, field `id`: required field is missing".to_owned()])
            .collect();
    let ndjson = check_batch(lines.join("\n").as_bytes(), &Limits::default()).unwrap();
    assert_eq!(summary(&ndjson), (vec![], expected.clone()));
    // The same items in an array: numbered by position, read alike.
    let array = format!("[{}]", lines.join(",\n"));
    let array = check_batch(array.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(summary(&array), (vec![], expected));
}

#[test]
fn a_field_sent_twice_is_rejected_rather_than_one_value_kept() {
    // Issue 13: the later `id` used to win silently, storing an event as "second".
    let line = r#"{"id":"first","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","id":"second","user":"u2"}"#;
    let batch = check_batch(line.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        summary(&batch),
        (
            vec![],
            vec![
                "line 1, field `id`: is given more than once in its object; give each key once"
                    .to_owned()
            ]
        )
    );
    assert_eq!(batch.rejections[0].problem.code(), "duplicate_field");
    // `kind` twice: neither a page visit nor a login is stored. The line after
    // it is checked on its own.
    let body = format!(
        "{}\n{}",
        r#"{"id":"e1","kind":"page_visit","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","page":"/"}"#,
        login("e2"),
    );
    let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        summary(&batch),
        (
            vec![(2, "e2")],
            vec![
                "line 1, field `kind`: is given more than once in its object; give each key once"
                    .to_owned()
            ]
        )
    );
    // Two spellings of one name are one name; an unknown name twice is named too.
    let escaped =
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","\u0075ser":"u2"}"#;
    let unknown =
        r#"{"id":"e1","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1","usr":"a","usr":"b"}"#;
    // In an array, by position.
    let array = format!(
        "[{},{}]",
        login("e1"),
        r#"{"id":"e2","id":"e2","kind":"login","at":"2026-03-01T09:30:00Z","user":"u1"}"#
    );
    for (body, line, field) in
        [(escaped, 1, "user"), (unknown, 1, "usr"), (array.as_str(), 2, "id")]
    {
        let batch = check_batch(body.as_bytes(), &Limits::default()).unwrap();
        let rejections: Vec<(usize, Option<&str>, &str)> = batch
            .rejections
            .iter()
            .map(|rejection| (rejection.line, rejection.field.as_deref(), rejection.problem.code()))
            .collect();
        assert_eq!(rejections, [(line, Some(field), "duplicate_field")], "{body}");
    }
}
