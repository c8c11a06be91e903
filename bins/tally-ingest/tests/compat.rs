//! The HTTP contract of the endpoints analytics SDKs send to (Segment, PostHog,
//! CloudEvents), against the real daemon; the SDKs themselves are in sdk.rs.

use std::io::Write;

use base64::Engine;
use serde_json::{Value, json};

use crate::common::*;

fn send(url: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
    let mut request = agent().post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.send(body).expect("a response");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// HTTP Basic with the write key as user name and no password, as Segment's SDKs send it.
fn basic(key: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:")))
}

/// (event id, kind, user, at) of every stored event, by id, read independently.
fn stored(db: &std::path::Path) -> Vec<(String, String, String, String)> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut statement = connection
        .prepare(
            "SELECT json_extract(payload, '$.id') AS id, kind, coalesce(json_extract(payload, '$.user'), ''),
                    json_extract(payload, '$.at')
             FROM events ORDER BY id",
        )
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn row(id: &str, kind: &str, user: &str, at: &str) -> (String, String, String, String) {
    (id.into(), kind.into(), user.into(), at.into())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn a_segment_batch_is_stored_once_however_often_it_is_sent() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let body = json!({"batch": [
        {"type":"track","event":"Signed In","userId":"u-1","messageId":"m-1","timestamp":"2026-03-02T09:00:00+01:00"},
        {"type":"page","name":"Catalog","userId":"u-2","messageId":"m-2","timestamp":"2026-03-02T08:01:00Z","properties":{"path":"/catalog"}},
        {"type":"track","event":"Report Exported","userId":"u-1","messageId":"m-3","timestamp":"2026-03-02T08:02:00Z"}
    ]})
    .to_string();
    let auth = basic(&key);
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];

    let (status, first) = send(&format!("{}/v1/batch", daemon.url), &headers, body.as_bytes());
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["success"].as_bool(), first["accepted"].as_i64(), first["duplicates"].as_i64()),
        (Some(true), Some(3), Some(0))
    );
    assert_eq!(
        first["mapped"],
        json!([
            {"kind":"login","by":"default","messages":[0]},
            {"kind":"page_visit","by":"default","messages":[1]},
            {"kind":"activity","by":"kept_as_activity","messages":[2]}
        ])
    );
    // The resend, gzipped as the SDKs may send it.
    let gzipped = [("Authorization", auth.as_str()), ("Content-Encoding", "gzip")];
    let (status, again) =
        send(&format!("{}/v1/batch", daemon.url), &gzipped, &gzip(body.as_bytes()));
    assert_eq!(status, 200, "{again}");
    assert_eq!((again["accepted"].as_i64(), again["duplicates"].as_i64()), (Some(0), Some(3)));
    // 09:00+01:00 is 08:00Z.
    assert_eq!(
        stored(&db),
        vec![
            row("m-1", "login", "u-1", "2026-03-02T08:00:00Z"),
            row("m-2", "page_visit", "u-2", "2026-03-02T08:01:00Z"),
            row("m-3", "activity", "u-1", "2026-03-02T08:02:00Z"),
        ]
    );
}

#[test]
fn tallys_own_batches_and_segments_share_v1_batch() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    // Bearer: Tally's own.
    let (status, native) = daemon.post(Some(&key), login("n-1", "u-1"));
    assert_eq!((status, native["accepted"].as_i64(), native.get("success")), (200, Some(1), None));
    // HTTP Basic: Segment's.
    let body = json!({"batch": [{"type":"track","event":"Signed In","userId":"u-2","messageId":"s-1","timestamp":"2026-03-02T08:00:00Z"}]});
    let auth = basic(&key);
    let (status, segment) = send(
        &format!("{}/v1/batch", daemon.url),
        &[("Authorization", &auth)],
        body.to_string().as_bytes(),
    );
    assert_eq!((status, segment["accepted"].as_i64()), (200, Some(1)), "{segment}");
    // No header: Tally's own, refused before the body is read, even when the
    // body is Segment's with its writeKey.
    let keyed_in_body = json!({"writeKey": key, "batch": body["batch"]});
    let (status, missing) =
        send(&format!("{}/v1/batch", daemon.url), &[], keyed_in_body.to_string().as_bytes());
    assert_eq!((status, missing["code"].as_str()), (401, Some("missing_write_key")));
    // A single call's body is one message: its writeKey is enough.
    let single = json!({"writeKey": key, "type":"track","event":"Signed In","userId":"u-3","messageId":"s-2","timestamp":"2026-03-02T08:00:00Z"});
    let (status, answer) =
        send(&format!("{}/v1/track", daemon.url), &[], single.to_string().as_bytes());
    assert_eq!((status, answer["accepted"].as_i64()), (200, Some(1)), "{answer}");
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 3);
}

#[test]
fn segment_single_calls_take_their_type_from_the_path() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let auth = basic(&key);
    let calls = [
        (
            "identify",
            json!({"userId":"u-1","messageId":"i-1","timestamp":"2026-03-02T08:00:00Z","traits":{"email":"dana@example.com"}}),
            "user_added",
        ),
        (
            "group",
            json!({"userId":"u-1","groupId":"acme-platform","messageId":"g-1","timestamp":"2026-03-02T08:00:00Z"}),
            "user_role_changed",
        ),
        (
            "track",
            json!({"userId":"u-1","event":"Signed In","messageId":"t-1","timestamp":"2026-03-02T08:00:00Z"}),
            "login",
        ),
        (
            "screen",
            json!({"userId":"u-1","name":"Home","messageId":"s-1","timestamp":"2026-03-02T08:00:00Z"}),
            "page_visit",
        ),
        (
            "page",
            json!({"userId":"u-1","name":"Home","messageId":"p-1","timestamp":"2026-03-02T08:00:00Z"}),
            "page_visit",
        ),
        (
            "alias",
            json!({"userId":"u-1","previousId":"anon-1","messageId":"a-1","timestamp":"2026-03-02T08:00:00Z"}),
            "activity",
        ),
    ];
    for (call, message, kind) in calls {
        let (status, answer) = send(
            &format!("{}/v1/{call}", daemon.url),
            &[("Authorization", &auth)],
            message.to_string().as_bytes(),
        );
        assert_eq!((status, answer["accepted"].as_i64()), (200, Some(1)), "{call}: {answer}");
        assert_eq!(answer["mapped"][0]["kind"], kind, "{call}");
    }
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 6);
}

#[test]
fn a_bad_message_is_named_and_the_good_ones_are_kept() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let body = json!({"batch": [
        {"type":"track","event":"Signed In","userId":"u-1","messageId":"m-1","timestamp":"2026-03-02T08:00:00Z"},
        {"type":"track","event":"Signed In","anonymousId":"a-1","messageId":"m-2","timestamp":"2026-03-02T08:00:00Z"},
        {"type":"track","event":"Signed In","userId":"u-3","messageId":"m-3","timestamp":"last tuesday"}
    ]});
    let auth = basic(&key);
    let (status, answer) = send(
        &format!("{}/v1/batch", daemon.url),
        &[("Authorization", &auth)],
        body.to_string().as_bytes(),
    );
    assert_eq!(status, 200);
    assert_eq!((answer["accepted"].as_i64(), answer["rejected"].as_i64()), (Some(1), Some(2)));
    assert_eq!(answer["rejections"][0]["index"], 1);
    assert_eq!(answer["rejections"][0]["field"], "userId");
    assert_eq!(answer["rejections"][0]["code"], "not_mapped");
    assert_eq!(answer["rejections"][1]["index"], 2);
    assert_eq!(answer["rejections"][1]["field"], "timestamp");
    assert_eq!(answer["rejections"][1]["code"], "bad_instant");
    assert_eq!(stored(&db), vec![row("m-1", "login", "u-1", "2026-03-02T08:00:00Z")]);
}

/// A request sent to a URL with headers and a body, and the status and code it must get.
type Refused<'a> = (String, Vec<(&'a str, &'a str)>, Vec<u8>, u16, &'a str);

#[test]
fn refused_sdk_requests_get_the_native_statuses_and_write_nothing() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let url = &daemon.url;
    let message = json!({"type":"track","event":"Signed In","userId":"u-1","messageId":"m-1","timestamp":"2026-03-02T08:00:00Z"});
    let batch = json!({"batch": [message]}).to_string();
    let wrong = basic("not-a-key");
    let right = basic(&key);
    let cases: Vec<Refused<'_>> = vec![
        (
            format!("{url}/v1/batch"),
            vec![("Authorization", &wrong)],
            batch.clone().into_bytes(),
            403,
            "wrong_write_key",
        ),
        (
            format!("{url}/v1/track"),
            vec![],
            message.to_string().into_bytes(),
            401,
            "missing_write_key",
        ),
        (
            format!("{url}/v1/batch"),
            vec![("Authorization", &right)],
            b"{\"batch\": [".to_vec(),
            400,
            "malformed_body",
        ),
        (
            format!("{url}/v1/batch"),
            vec![("Authorization", &right)],
            b"{\"sentAt\": 1}".to_vec(),
            400,
            "malformed_body",
        ),
        (
            format!("{url}/batch/"),
            vec![],
            br#"{"batch":[{"event":"login","distinct_id":"u"}]}"#.to_vec(),
            401,
            "missing_write_key",
        ),
        (
            format!("{url}/batch/"),
            vec![],
            br#"{"api_key":"nope","batch":[{"event":"login","distinct_id":"u"}]}"#.to_vec(),
            403,
            "wrong_write_key",
        ),
        (
            format!("{url}/api/v1/events"),
            vec![],
            br#"{"specversion":"1.0"}"#.to_vec(),
            401,
            "missing_write_key",
        ),
        (
            format!("{url}/v1/batch"),
            vec![("Authorization", &right), ("Content-Encoding", "br")],
            batch.clone().into_bytes(),
            415,
            "unsupported_encoding",
        ),
    ];
    for (url, headers, body, status, code) in cases {
        let (got, answer) = send(&url, &headers, &body);
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{url} {headers:?}: {answer}"
        );
    }
    // 500 KB is Segment's limit a batch: a declared 512,001 bytes are refused
    // before the body is read, so none is sent.
    let mut stream =
        std::net::TcpStream::connect(daemon.url.trim_start_matches("http://")).unwrap();
    write!(
        stream,
        "POST /v1/batch HTTP/1.1\r\nHost: tally\r\nAuthorization: {right}\r\nContent-Length: 512001\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 0);
}

#[test]
fn posthog_captures_are_stored_by_uuid() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let batch = json!({"api_key": key, "batch": [
        {"event":"$pageview","distinct_id":"u-1","uuid":"0190-a","timestamp":"2026-03-02T08:00:00+00:00","properties":{"$pathname":"/home"}},
        {"event":"login","distinct_id":"u-2","uuid":"0190-b","timestamp":"2026-03-02T08:05:00Z"}
    ]})
    .to_string();
    let (status, answer) = send(
        &format!("{}/batch/", daemon.url),
        &[("Content-Encoding", "gzip")],
        &gzip(batch.as_bytes()),
    );
    assert_eq!(
        (status, answer["status"].as_i64(), answer["accepted"].as_i64()),
        (200, Some(1), Some(2)),
        "{answer}"
    );
    let (_, again) = send(&format!("{}/batch", daemon.url), &[], batch.as_bytes());
    assert_eq!(again["duplicates"], 2);
    // One event to /capture/, and one as posthog-js's GET with base64 data.
    let single = json!({"api_key": key, "event":"Clicked","distinct_id":"u-1","uuid":"0190-c","timestamp":"2026-03-02T08:06:00Z"});
    let (status, _) = send(&format!("{}/capture/", daemon.url), &[], single.to_string().as_bytes());
    assert_eq!(status, 200);
    let get = json!({"api_key": key, "event":"$pageview","distinct_id":"u-3","uuid":"0190-d","timestamp":"2026-03-02T08:07:00Z","properties":{"$current_url":"https://app/x"}});
    let data = base64::engine::general_purpose::STANDARD.encode(get.to_string());
    let query: String =
        form_urlencoded::Serializer::new(String::new()).append_pair("data", &data).finish();
    let (status, _, answer) = request("GET", &format!("{}/e/?{query}", daemon.url), &[]);
    assert_eq!((status, answer["accepted"].as_i64()), (200, Some(1)), "{answer}");
    assert_eq!(
        stored(&db),
        vec![
            row("0190-a", "page_visit", "u-1", "2026-03-02T08:00:00Z"),
            row("0190-b", "login", "u-2", "2026-03-02T08:05:00Z"),
            row("0190-c", "activity", "u-1", "2026-03-02T08:06:00Z"),
            row("0190-d", "page_visit", "u-3", "2026-03-02T08:07:00Z"),
        ]
    );
}

#[test]
fn cloudevents_come_structured_batched_and_binary() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let url = format!("{}/api/v1/events", daemon.url);
    let bearer = format!("Bearer {key}");
    let event = |id: &str, user: &str| json!({"specversion":"1.0","id":id,"source":"billing","type":"com.acme.login","subject":user,"time":"2026-03-02T08:00:00Z"});
    let structured =
        [("Authorization", bearer.as_str()), ("Content-Type", "application/cloudevents+json")];
    let (status, answer) = send(&url, &structured, event("e-1", "u-1").to_string().as_bytes());
    assert_eq!((status, answer["accepted"].as_i64()), (200, Some(1)), "{answer}");
    let batched = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/cloudevents-batch+json"),
    ];
    let both = json!([event("e-1", "u-1"), event("e-2", "u-2")]).to_string();
    let (_, answer) = send(&url, &batched, both.as_bytes());
    assert_eq!(
        (answer["accepted"].as_i64(), answer["duplicates"].as_i64()),
        (Some(1), Some(1)),
        "{answer}"
    );
    let binary = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
        ("ce-specversion", "1.0"),
        ("ce-id", "e-3"),
        ("ce-source", "billing"),
        ("ce-type", "request"),
        ("ce-subject", "u-3"),
        ("ce-time", "2026-03-02T08:09:00Z"),
    ];
    let (_, answer) = send(&url, &binary, br#"{"module":"API","tokens":12}"#);
    assert_eq!(
        answer["mapped"],
        json!([{"kind":"activity","by":"kept_as_activity","messages":[0]}])
    );
    assert_eq!(
        stored(&db),
        vec![
            row("e-1@billing", "login", "u-1", "2026-03-02T08:00:00Z"),
            row("e-2@billing", "login", "u-2", "2026-03-02T08:00:00Z"),
            row("e-3@billing", "activity", "u-3", "2026-03-02T08:09:00Z"),
        ]
    );
}

#[test]
fn an_accounts_rule_set_while_the_daemon_runs_maps_the_next_request() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let auth = basic(&key);
    let deploy = |id: &str| {
        json!({"type":"track","event":"Deploy Service","userId":"u-1","messageId":id,"timestamp":"2026-03-02T08:00:00Z",
               "context":{"groupId":"acme-platform"},"properties":{"runId":"r-1","status":"success"}})
        .to_string()
    };
    let url = format!("{}/v1/track", daemon.url);
    let (_, before) = send(&url, &[("Authorization", &auth)], deploy("d-1").as_bytes());
    assert_eq!(before["mapped"][0]["by"], "kept_as_activity");
    let output = run(
        &db,
        &[
            "account",
            "map-event",
            "--account",
            "acme",
            "--event",
            "Deploy Service",
            "--kind",
            "action_run",
            "--set",
            "action=deploy_service",
            "--set",
            "trigger=api",
            "--from",
            "run_id=runId",
        ],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (_, after) = send(&url, &[("Authorization", &auth)], deploy("d-2").as_bytes());
    assert_eq!(after["mapped"], json!([{"kind":"action_run","by":"account_rule","messages":[0]}]));
    let connection = rusqlite::Connection::open(&db).unwrap();
    let run_id: String = connection
        .query_row(
            "SELECT json_extract(payload, '$.run_id') FROM events WHERE kind = 'action_run'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(run_id, "r-1");
}

/// Found by schemathesis on the daemon's OpenAPI document: a wrong key in the
/// header was answered 400 or 413 for the body it came with, where a native
/// batch is refused 403 before its body is read.
#[test]
fn issue_18_a_wrong_key_in_the_header_is_refused_before_the_body_is_read() {
    let (_dir, db) = temp_db();
    create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let url = &daemon.url;
    let wrong_basic = basic("not-a-key");
    let cases = [
        (format!("{url}/v1/batch"), wrong_basic.as_str()),
        (format!("{url}/v1/track"), wrong_basic.as_str()),
        (format!("{url}/v1/track"), "Bearer not-a-key"),
        (format!("{url}/capture/"), "Bearer not-a-key"),
    ];
    for (url, authorization) in &cases {
        let (status, answer) =
            send(url, &[("Authorization", authorization)], b"{\"batch\": [".as_slice());
        assert_eq!((status, answer["code"].as_str()), (403, Some("wrong_write_key")), "{url}");
    }
    // Declared over Segment's 500 KB and never sent: the key is refused first.
    let mut stream =
        std::net::TcpStream::connect(daemon.url.trim_start_matches("http://")).unwrap();
    write!(
        stream,
        "POST /v1/batch HTTP/1.1\r\nHost: tally\r\nAuthorization: {wrong_basic}\r\nContent-Length: 512001\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
}
