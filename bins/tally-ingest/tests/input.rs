//! What is accepted must be what was sent (issue 13): keys given twice are
//! refused, and numbers in `properties` are stored exactly.

use serde_json::json;

use crate::common::*;

#[test]
fn regression_13_a_key_given_twice_is_rejected_not_stored_as_its_last_value() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let body = [
        r#"{"id":"a","id":"b","kind":"login","at":"2026-03-02T08:00:00Z","user":"u1"}"#,
        r#"{"id":"c","kind":"page_visit","kind":"login","at":"2026-03-02T08:00:00Z","user":"u1","page":"/"}"#,
        r#"{"id":"d","kind":"login","at":"2026-03-02T08:00:00Z","user":"u1","properties":{"plan":"pro","plan":"free"}}"#,
        &login("e", "u1"),
    ]
    .join("\n");

    let (status, answer) = daemon.post(Some(&key), &body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["accepted"].as_i64(), answer["rejected"].as_i64()), (Some(1), Some(3)));
    let reason = "is given more than once in its object; give each key once";
    assert_eq!(
        answer["rejections"],
        json!([
            {"line": 1, "field": "id", "code": "duplicate_field",
             "reason": format!("line 1, field `id`: {reason}")},
            {"line": 2, "field": "kind", "code": "duplicate_field",
             "reason": format!("line 2, field `kind`: {reason}")},
            {"line": 3, "field": "properties.plan", "code": "duplicate_field",
             "reason": format!("line 3, field `properties.plan`: {reason}")},
        ])
    );
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM events WHERE payload ->> '$.id' = 'e'"), 1);
}

#[test]
fn regression_13_numbers_in_properties_are_stored_exactly_as_sent() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let line = r#"{"id":"a","kind":"login","at":"2026-03-02T08:00:00Z","user":"u1","properties":{"big": 123456789012345678901234567890, "tiny": 1.0e-400, "ratio": 1.50}}"#;

    let (status, answer) = daemon.post(Some(&key), line);
    assert_eq!((status, answer["accepted"].as_i64()), (200, Some(1)), "{answer}");
    // Keys sorted and whitespace dropped, as before; 1.50 is the float 1.5 as
    // before; the two numbers no float holds are kept as sent.
    let connection = rusqlite::Connection::open(&db).unwrap();
    let payload: String = connection
        .query_row("SELECT payload FROM events WHERE payload ->> '$.id' = 'a'", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(
        payload,
        r#"{"id":"a","at":"2026-03-02T08:00:00Z","kind":"login","user":"u1","properties":{"big":123456789012345678901234567890,"ratio":1.5,"tiny":1.0e-400}}"#
    );
    // The same line again is the same event.
    let (_, again) = daemon.post(Some(&key), line);
    assert_eq!((again["accepted"].as_i64(), again["duplicates"].as_i64()), (Some(0), Some(1)));
}
