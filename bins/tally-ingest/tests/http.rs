//! The HTTP contract of `POST /v1/batch`.

use serde_json::json;

use crate::common::*;

#[test]
fn a_batch_with_one_bad_line_keeps_the_good_ones_and_names_the_bad_one() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let body = [
        login("a", "u1"),
        r#"{"id":"b","kind":"login","at":"2026-13-01T08:00:00Z","user":"u1"}"#.to_owned(),
        login("c", "u2"),
    ]
    .join("\n");

    let (status, answer) = daemon.post(Some(&key), &body);
    assert_eq!(status, 200);
    assert_eq!(answer["accepted"], 2);
    assert_eq!(answer["rejected"], 1);
    assert_eq!(
        answer["rejections"],
        json!([{
            "line": 2,
            "field": "at",
            "code": "bad_instant",
            "reason": "line 2, field `at`: \"2026-13-01T08:00:00Z\" is not an RFC 3339 instant with an offset (for example 2026-03-01T09:30:00Z)"
        }])
    );
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 2);
}

#[test]
fn a_resent_batch_counts_once_and_a_reused_id_is_a_conflict() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let body = [login("a", "u1"), login("b", "u2")].join("\n");

    let (_, first) = daemon.post(Some(&key), &body);
    assert_eq!((first["accepted"].as_i64(), first["duplicates"].as_i64()), (Some(2), Some(0)));
    let (_, again) = daemon.post(Some(&key), &body);
    assert_eq!((again["accepted"].as_i64(), again["duplicates"].as_i64()), (Some(0), Some(2)));
    let (_, reused) = daemon.post(Some(&key), login("b", "someone-else"));
    assert_eq!(reused["conflicting"], 1);
    assert_eq!(reused["conflicts"], json!([{"line": 1, "id": "b"}]));
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 2);
}

#[test]
fn a_json_array_body_is_a_batch_too() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let body = format!(
        "[{}, {}]",
        login("a", "u1"),
        r#"{"id":"b","kind":"logn","at":"2026-03-02T08:00:00Z"}"#
    );
    let (status, answer) = daemon.post(Some(&key), body);
    assert_eq!(status, 200);
    assert_eq!(answer["accepted"], 1);
    assert_eq!(answer["rejections"][0]["line"], 2);
    assert_eq!(answer["rejections"][0]["field"], "kind");
    assert_eq!(answer["rejections"][0]["code"], "unknown_value");
}

/// Every refusal is a problem document with the documented status, and writes nothing.
#[test]
fn refused_requests_get_their_status_and_write_nothing() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &["--max-body-bytes", "2000"]);
    let good = login("a", "u1");
    let oversized = (0..40).map(|n| login(&format!("id-{n}"), "u1")).collect::<Vec<_>>().join("\n");
    assert!(oversized.len() > 2000);

    struct Refusal<'a> {
        name: &'a str,
        key: Option<&'a str>,
        body: Vec<u8>,
        status: u16,
        code: &'a str,
    }
    let cases = [
        Refusal {
            name: "no key",
            key: None,
            body: good.clone().into_bytes(),
            status: 401,
            code: "missing_write_key",
        },
        Refusal {
            name: "wrong key",
            key: Some("tally_wk_not-a-key"),
            body: good.clone().into_bytes(),
            status: 403,
            code: "wrong_write_key",
        },
        Refusal {
            name: "too large",
            key: Some(&key),
            body: oversized.into_bytes(),
            status: 413,
            code: "body_too_large",
        },
        Refusal {
            name: "empty",
            key: Some(&key),
            body: Vec::new(),
            status: 400,
            code: "malformed_body",
        },
        Refusal {
            name: "not JSON",
            key: Some(&key),
            body: b"hello\nworld".to_vec(),
            status: 400,
            code: "malformed_body",
        },
        Refusal {
            name: "broken array",
            key: Some(&key),
            body: format!("[{good},").into_bytes(),
            status: 400,
            code: "malformed_body",
        },
        Refusal {
            name: "not UTF-8",
            key: Some(&key),
            body: vec![b'{', 0xff, 0xfe, b'}'],
            status: 400,
            code: "malformed_body",
        },
    ];
    for Refusal { name, key, body, status, code } in cases {
        let (got_status, problem) = daemon.post(key, &body);
        assert_eq!(got_status, status, "{name}: {problem}");
        assert_eq!(problem["code"], code, "{name}: {problem}");
        assert_eq!(problem["status"], status, "{name}");
        assert!(problem["detail"].as_str().is_some_and(|detail| !detail.is_empty()), "{name}");
    }
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 0);
}

#[test]
fn a_batch_over_the_event_limit_is_refused_whole() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    // 10,001 valid logins: one over the documented limit of 10,000 per batch.
    let body = (0..10_001).map(|n| login(&format!("id-{n}"), "u1")).collect::<Vec<_>>().join("\n");
    let (status, problem) = daemon.post(Some(&key), body);
    assert_eq!(status, 400);
    assert_eq!(problem["detail"], "the batch holds 10001 events; the limit is 10000 per batch");
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 0);
}

#[test]
fn the_daemon_keeps_seat_figures_and_event_counts_up_to_date() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &["--figures-every", "1"]);
    // Mondays 2026-03-02, 03-09 and 03-16: a seat from March (term 2026, UTC).
    let body = ["2026-03-02", "2026-03-09", "2026-03-16"]
        .iter()
        .enumerate()
        .map(|(n, day)| {
            format!(r#"{{"id":"s{n}","kind":"login","at":"{day}T08:00:00Z","user":"ada"}}"#)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (status, _) = daemon.post(Some(&key), body);
    assert_eq!(status, 200);
    // The upkeep thread runs every second; wait for its result, not for a fixed time.
    let sql = "SELECT coalesce(sum(seats), 0) FROM seat_months WHERE organization = ''";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // March to December: 10 months with one seat each.
    while count(&db, sql) != 10 {
        assert!(std::time::Instant::now() < deadline, "seat figures not updated in 30 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM seat_months WHERE month < '2026-03' AND seats > 0"),
        0
    );
    // The three logins are kept as March's count, once the same pass gets there.
    let counted = "SELECT coalesce(sum(events), 0) FROM usage_months WHERE month = '2026-03'";
    while count(&db, counted) != 3 {
        assert!(std::time::Instant::now() < deadline, "event counts not updated in 30 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// An audit entry goes to the audit log, not to the event log: its secret's value
/// is replaced by a keyed hash before it reaches the file, and resending it is a
/// duplicate.
#[test]
fn audit_entries_go_to_the_audit_log_with_their_secrets_hashed() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let secret = "s3cr3t-Value-1234567890";
    // A day old: within its retention (an older one is refused, tests/retention.rs).
    let at = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let body = [
        format!(
            r#"{{"id":"au1","kind":"audit_entry","at":"{at}","resource":"secret","resource_id":"db-password","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success","before":{{"value":"old-{secret}"}},"after":{{"value":"{secret}"}}}}"#
        ),
        login("l1", "u-1"),
    ]
    .join("\n");
    let (status, answer) = daemon.post(Some(&key), &body);
    assert_eq!((status, &answer["accepted"]), (200, &json!(2)), "{answer}");
    let (status, answer) = daemon.post(Some(&key), &body);
    assert_eq!((status, &answer["duplicates"]), (200, &json!(2)), "{answer}");

    assert_eq!(count(&db, "SELECT count(*) FROM events"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM events WHERE kind = 'audit_entry'"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM audit_entries"), 1);
    drop(daemon);
    for file in [db.clone(), db.with_extension("sqlite-wal")] {
        if let Ok(bytes) = std::fs::read(&file) {
            assert!(
                !bytes.windows(secret.len()).any(|window| window == secret.as_bytes()),
                "{file:?}"
            );
        }
    }
    // The key was made beside the database, readable by its owner only.
    assert!(db.with_extension("sqlite.audit-key").exists());
}

/// A large batch is checked on every core, in runs of lines (64 KiB and up):
/// the answer is the one a single run gives, its lines counted through the
/// whole body.
#[test]
fn a_large_batch_is_answered_line_by_line_as_a_small_one() {
    let (_dir, db) = temp_db();
    let key = create_account(&db, "acme");
    let daemon = Daemon::start(&db, &[]);
    let at = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let audit_entry = |id: &str| {
        format!(
            r#"{{"id":"{id}","kind":"audit_entry","at":"{at}","resource":"entity","operation":"update","source_type":"user","source":"ana@acme.test","origin":"ui","status":"success"}}"#
        )
    };
    let lines: Vec<String> = (1..=1200)
        .map(|line| match line {
            50 | 1150 => format!(r#"{{"id":"x{line}","kind":"login","at":"soon","user":"u1"}}"#),
            100 | 1100 => audit_entry(&format!("au{line}")),
            _ => login(&format!("l{line}"), &format!("u{}", line % 7)),
        })
        .collect();
    let body = lines.join("\n");
    assert!(body.len() > 64 * 1024, "{} bytes", body.len());

    let (status, answer) = daemon.post(Some(&key), &body);
    assert_eq!(status, 200, "{answer}");
    // 1,200 lines less the 2 rejected: 1,196 logins and 2 audit entries.
    assert_eq!(answer["accepted"], 1198);
    let rejected: Vec<(i64, &str)> = answer["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rejection| (rejection["line"].as_i64().unwrap(), rejection["code"].as_str().unwrap()))
        .collect();
    assert_eq!(rejected, [(50, "bad_instant"), (1150, "bad_instant")]);
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 1196);
    assert_eq!(count(&db, "SELECT count(*) FROM audit_entries"), 2);
    let (_, again) = daemon.post(Some(&key), &body);
    assert_eq!((&again["accepted"], &again["duplicates"]), (&json!(0), &json!(1198)), "{again}");
}

/// An unknown path and a wrong method are problem documents too, in the shape
/// and `type` scheme the API uses (bins/tally-api/tests/problems.rs).
#[test]
fn unknown_paths_and_wrong_methods_are_answered_with_problem_documents() {
    let (_dir, db) = temp_db();
    let daemon = Daemon::start(&db, &[]);
    let (status, headers, problem) =
        request("GET", &format!("{}/v2/batch", daemon.url), &["content-type"]);
    assert_eq!((status, headers[0].as_str()), (404, "application/problem+json"));
    assert_eq!(
        problem,
        json!({
            "type": "urn:tally:problem:not_found",
            "title": "Not found",
            "status": 404,
            "detail": "no endpoint at /v2/batch; batches go to POST /v1/batch",
            "code": "not_found",
        })
    );
    let (status, headers, problem) =
        request("GET", &format!("{}/v1/batch", daemon.url), &["content-type"]);
    assert_eq!((status, headers[0].as_str()), (405, "application/problem+json"));
    assert_eq!(
        problem,
        json!({
            "type": "urn:tally:problem:method_not_allowed",
            "title": "Method not allowed",
            "status": 405,
            "detail": "this endpoint does not answer GET",
            "code": "method_not_allowed",
        })
    );
}

#[test]
fn a_batch_without_a_key_is_a_problem_naming_the_bearer_scheme() {
    let (_dir, db) = temp_db();
    let daemon = Daemon::start(&db, &[]);
    let (status, headers, problem) =
        request("POST", &format!("{}/v1/batch", daemon.url), &["content-type", "www-authenticate"]);
    assert_eq!(status, 401);
    assert_eq!(headers, ["application/problem+json", "Bearer"]);
    assert_eq!(
        problem,
        json!({
            "type": "urn:tally:problem:missing_write_key",
            "title": "Unauthorized",
            "status": 401,
            "detail": "send the account's write key as `Authorization: Bearer <write key>`",
            "code": "missing_write_key",
        })
    );
}
