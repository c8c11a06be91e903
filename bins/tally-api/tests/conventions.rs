//! The list convention, the formats and the problem documents for bad input.

use crate::common::*;

fn problem(answer: &Answer) -> (u16, String, String) {
    assert_eq!(answer.content_type, "application/problem+json", "{}", answer.text());
    let json = answer.json();
    (
        answer.status,
        json["code"].as_str().unwrap_or_default().to_owned(),
        json["parameter"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn bad_input_is_a_400_problem_naming_the_parameter() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let counts = "/v1/accounts/acme/event-counts";
    let cases = [
        (format!("{counts}?cursor=not-a-cursor"), "bad_cursor", "cursor"),
        // Valid base64 of JSON, but not a cursor's shape.
        (format!("{counts}?cursor=eyJhIjoxfQ"), "bad_cursor", "cursor"),
        (format!("{counts}?limit=-1"), "bad_limit", "limit"),
        (format!("{counts}?limit=0"), "bad_limit", "limit"),
        (format!("{counts}?limit=1001"), "bad_limit", "limit"),
        (format!("{counts}?limit=ten"), "bad_limit", "limit"),
        (format!("{counts}?sort=colour"), "bad_sort", "sort"),
        (format!("{counts}?sort=-colour"), "bad_sort", "sort"),
        (format!("{counts}?from=2026-05&to=2026-03"), "bad_range", "from"),
        (format!("{counts}?from=2026-13"), "bad_parameter", "from"),
        (format!("{counts}?format=pdf"), "bad_format", "format"),
        (format!("{counts}?kind=%FF"), "bad_parameter", "kind"),
        (format!("{counts}?kind=logins"), "bad_parameter", "kind"),
        (format!("{counts}?colour=red"), "unknown_parameter", "colour"),
        (format!("{counts}?kind=login&kind=page_visit"), "bad_parameter", "kind"),
        ("/v1/accounts/acme/runs?from=yesterday".to_owned(), "bad_parameter", "from"),
        (
            "/v1/accounts/acme/runs?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z".to_owned(),
            "bad_range",
            "from",
        ),
        ("/v1/accounts/acme/seats/activated?status=happy".to_owned(), "bad_parameter", "status"),
        ("/v1/accounts/acme/audit?resource=spaceship".to_owned(), "bad_parameter", "resource"),
        ("/v1/accounts/acme/audit?sort=-weather".to_owned(), "bad_sort", "sort"),
        ("/v1/accounts/acme/seats/users/u-1?at=2026-13-01".to_owned(), "bad_parameter", "at"),
    ];
    for (path, code, parameter) in cases {
        let answer = api.get(&path, token);
        assert_eq!(problem(&answer), (400, code.to_owned(), parameter.to_owned()), "{path}");
        let detail = answer.json()["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains(parameter), "{path}: {detail}");
    }
    // A cursor is tied to its sort.
    let first = api.get(&format!("{counts}?limit=1&sort=-events"), token).json();
    let cursor = first["next_cursor"].as_str().unwrap();
    let answer = api.get(&format!("{counts}?limit=1&sort=month&cursor={cursor}"), token);
    assert_eq!(problem(&answer), (400, "bad_cursor".into(), "cursor".into()));
    // So is a path segment that is not UTF-8.
    assert_eq!(problem(&api.get("/v1/accounts/%FF/event-counts", token)).1, "bad_path");
    assert_eq!(problem(&api.get("/v1/accounts/acme/seats/users/%FF%FE", token)).1, "bad_path");
    // Unknown paths and methods are problems too.
    assert_eq!(problem(&api.get("/v1/nothing-here", token)).1, "not_found");
    assert_eq!(problem(&api.send("DELETE", counts, token, None, &[])).1, "method_not_allowed");
}

#[test]
fn event_counts_page_through_every_row_once_in_the_asked_order() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    // acme's events by month of Berlin time: February 1 user_added; March 3
    // logins and 3 action runs; April 1 login.
    let expected = [
        ("2026-02", "user_added", 1),
        ("2026-03", "action_run", 3),
        ("2026-03", "login", 3),
        ("2026-04", "login", 1),
    ];
    let row = |item: &serde_json::Value| {
        (
            item["month"].as_str().unwrap().to_owned(),
            item["kind"].as_str().unwrap().to_owned(),
            item["events"].as_u64().unwrap(),
        )
    };
    let mut seen = Vec::new();
    let mut path = "/v1/accounts/acme/event-counts?limit=1".to_owned();
    loop {
        let page = api.get(&path, token).json();
        seen.extend(page["items"].as_array().unwrap().iter().map(row));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/v1/accounts/acme/event-counts?limit=1&cursor={cursor}")
            }
            None => break,
        }
    }
    let expected: Vec<(String, String, u64)> =
        expected.iter().map(|(m, k, e)| (m.to_string(), k.to_string(), *e)).collect();
    assert_eq!(seen, expected);

    // By events, largest first. A descending sort reverses the whole order, ties
    // (by month, then kind) included: 3 March login, 3 March action_run, 1 April
    // login, 1 February user_added.
    let by_events = api.get("/v1/accounts/acme/event-counts?sort=-events", token).json();
    let order: Vec<(String, String, u64)> =
        by_events["items"].as_array().unwrap().iter().map(row).collect();
    assert_eq!(order, [&expected[2], &expected[1], &expected[3], &expected[0]].map(Clone::clone));
    let logins = api.get("/v1/accounts/acme/event-counts?kind=login&from=2026-04", token).json();
    assert_eq!(
        logins["items"].as_array().unwrap().iter().map(row).collect::<Vec<_>>(),
        [expected[3].clone()]
    );
}

#[test]
fn tables_answer_as_csv_and_xlsx_by_parameter_or_accept_header() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    // Ana's activation: her third login, 2026-03-16 09:00Z, 10:00 in Berlin.
    let expected_csv = "user,email,display_name,organizations,teams,activated_at,logins,weeks,status\r\n\
                        u-1,ana@acme.test,Ana Acme,acme-east,,2026-03-16T10:00:00+01:00,3,3,active\r\n";
    let at = "at=2026-04-01T00:00:00Z";
    let by_parameter =
        api.get(&format!("/v1/accounts/acme/seats/activated?{at}&format=csv"), token);
    assert_eq!(by_parameter.status, 200);
    assert!(by_parameter.content_type.starts_with("text/csv"), "{}", by_parameter.content_type);
    assert_eq!(by_parameter.text(), expected_csv);
    let by_header = api.send(
        "GET",
        &format!("/v1/accounts/acme/seats/activated?{at}"),
        token,
        None,
        &[("Accept", "text/csv;q=0.9, application/json;q=0.5")],
    );
    assert_eq!(by_header.text(), expected_csv);

    let json = api.get(&format!("/v1/accounts/acme/seats/activated?{at}"), token).json();
    assert_eq!(json["items"][0]["activated_at"], "2026-03-16T09:00:00Z");
    assert_eq!(json["items"][0]["organizations"], serde_json::json!(["acme-east"]));

    let xlsx = api.get("/v1/accounts/acme/seats/monthly?at=2026-04-15&format=xlsx", token);
    assert_eq!(xlsx.status, 200);
    assert_eq!(
        xlsx.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(&xlsx.bytes[..2], b"PK", "an XLSX file is a zip archive");
    // A file is the whole table: January to April (the month holding `at`),
    // after the header row; there is no next page.
    let mut workbook: calamine::Xlsx<_> =
        calamine::Reader::new(std::io::Cursor::new(xlsx.bytes.clone())).unwrap();
    let sheet = calamine::Reader::worksheet_range_at(&mut workbook, 0).unwrap().unwrap();
    let months: Vec<String> = sheet.rows().skip(1).map(|row| row[0].to_string()).collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03", "2026-04"]);
    assert!(xlsx.next_cursor.is_empty());
}

#[test]
fn a_seat_explanation_says_why() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let ana = api.get("/v1/accounts/acme/seats/users/u-1?at=2026-04-01T00:00:00Z", token).json();
    assert_eq!(ana["status"], "active");
    assert_eq!(ana["activated_at"], "2026-03-16T09:00:00Z");
    // Weeks of Monday 2026-03-02, 03-09 and 03-16, one login each.
    let weeks: Vec<&str> = ana["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|week| week["week"].as_str().unwrap())
        .collect();
    assert_eq!(weeks, ["2026-03-02", "2026-03-09", "2026-03-16"]);
    assert!(
        ana["reason"].as_str().unwrap().starts_with("an active seat since 2026-03-16T09:00:00")
    );
    let bo = api.get("/v1/accounts/acme/seats/users/u-2?at=2026-04-02T00:00:00Z", token).json();
    assert_eq!(bo["status"], "not_yet_active");
    assert_eq!(
        bo["reason"],
        "not an active seat yet: 1 counted login(s) in 1 qualifying week(s) in this term; \
         the rule needs 3 logins in 3 calendar weeks with at least 1 login(s) each"
    );
}

#[test]
fn the_usage_reports_download_is_a_named_zip() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator_with_server_management.as_str());
    let answer = api.get("/export/usage-reports?at=2026-12-01T00:00:00Z", token);
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.content_type, "application/zip");
    assert_eq!(answer.disposition, "attachment; filename=\"Usage Reports.zip\"");
    assert_eq!(&answer.bytes[..2], b"PK");
    // The whole file came through the stream: a zip ends with its directory's
    // last record (22 bytes, no comment).
    let end = answer.bytes.len() - 22;
    assert_eq!(&answer.bytes[end..end + 4], b"PK\x05\x06");
    let bad = api.get("/export/usage-reports?at=tomorrow", token);
    assert_eq!(problem(&bad), (400, "bad_parameter".into(), "at".into()));
}

#[test]
fn runs_and_audit_entries_page_by_cursor_one_row_at_a_time() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let walk = |listing: &str, field: &str| -> Vec<String> {
        let mut seen = Vec::new();
        let mut path = format!("/v1/accounts/acme/{listing}?limit=1");
        loop {
            let page = api.get(&path, token).json();
            for item in page["items"].as_array().unwrap() {
                seen.push(item[field].to_string().trim_matches('"').to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => {
                    path = format!("/v1/accounts/acme/{listing}?limit=1&cursor={cursor}")
                }
                None => return seen,
            }
        }
    };
    // Newest first by default: Bo's failure on 03-11, then Ana's run's two
    // states of 03-10 (success at 10:05, in progress at 10:00).
    assert_eq!(walk("runs", "status"), ["failure", "success", "in_progress"]);
    // The audit log, newest first: seq 3 (03-12), 2 (03-11), 1 (03-10).
    assert_eq!(walk("audit", "seq"), ["3", "2", "1"]);
    // By a text column, source ascending: "acme-vault" < "ana@acme.test" <
    // "bo@acme.test" ("ac" < "an" < "b").
    let mut by_source = Vec::new();
    let mut path = "/v1/accounts/acme/audit?limit=1&sort=source".to_owned();
    loop {
        let page = api.get(&path, token).json();
        by_source.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["source"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/v1/accounts/acme/audit?limit=1&sort=source&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(by_source, ["acme-vault", "ana@acme.test", "bo@acme.test"]);
}

/// Issue 13: a cursor made by hand was taken (`/runs` answered 200 with rows,
/// `/seats/monthly` took any two values). Now only a cursor the API made for
/// that listing, account and sort is taken; anything else is a `bad_cursor`.
#[test]
fn only_cursors_the_api_made_for_the_listing_account_and_sort_are_taken() {
    use base64::Engine;
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let acme = Some(fixture.tokens.acme_administrator.as_str());
    let globex = Some(fixture.tokens.globex_administrator.as_str());
    let refused = |path: &str, token: Option<&str>| {
        let answer = api.get(path, token);
        assert_eq!(problem(&answer), (400, "bad_cursor".into(), "cursor".into()), "{path}");
        assert_eq!(
            answer.json()["detail"],
            "query parameter \"cursor\": not a cursor this API gave out for this listing; \
             start again without one",
            "{path}"
        );
    };
    let forged =
        |body: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body.as_bytes());
    let forgeries = [
        ("runs", r#"{"sort":"-at","after":[4102444800000000,999999999]}"#),
        ("seats/monthly", r#"{"sort":"month","after":[null,3.5]}"#),
        ("seats/monthly", r#"{"sort":"month","after":["x","y"]}"#),
    ];
    for (listing, body) in forgeries {
        refused(&format!("/v1/accounts/acme/{listing}?cursor={}", forged(body)), acme);
    }

    // acme's runs, newest first: r-a2's failure, then r-a1's success.
    let first = api.get("/v1/accounts/acme/runs?limit=1", acme).json();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = api.get(&format!("/v1/accounts/acme/runs?limit=1&cursor={cursor}"), acme);
    assert_eq!(second.status, 200, "{}", second.text());
    assert_eq!(second.json()["items"][0]["status"], "success");

    // Replayed on another account's runs, on another listing of the same
    // shape (the audit log, also by -at and seq), under another sort.
    refused(&format!("/v1/accounts/globex/runs?limit=1&cursor={cursor}"), globex);
    refused(&format!("/v1/accounts/acme/audit?limit=1&cursor={cursor}"), acme);
    let other_sort =
        api.get(&format!("/v1/accounts/acme/runs?limit=1&sort=at&cursor={cursor}"), acme);
    assert_eq!(problem(&other_sort), (400, "bad_cursor".into(), "cursor".into()));
    // One character changed, in the body or in the seal.
    let flipped = |at: usize| {
        let mut bytes = cursor.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    for at in [10, cursor.len() - 3] {
        refused(&format!("/v1/accounts/acme/runs?limit=1&cursor={}", flipped(at)), acme);
    }
}

/// Sends `lines` to account acme of the fixture's file and brings its seats up
/// to date, as the ingest daemon would.
fn ingest_into_acme(db: &std::path::Path, lines: &[&str]) {
    let mut store = tally_store::Store::open(db, &tally_store::StoreOptions::default()).unwrap();
    let account = store.account("acme").unwrap();
    let batch =
        tally_events::check_batch(lines.join("\n").as_bytes(), &tally_events::Limits::default())
            .unwrap();
    assert!(batch.rejections.is_empty(), "{:?}", batch.rejections);
    store.append(account.id, &batch.events).unwrap();
    store.update_seats("acme").unwrap();
}

#[test]
fn the_activated_log_keeps_its_instant_in_the_cursor_and_follows_seat_updates() {
    let fixture = fixture();
    // u-3 logs in on the Mondays 05-04, 05-11 and 05-18 (a seat from 05-18),
    // and again on 07-06: 3 logins as of 06-01, 4 from 07-06 on.
    ingest_into_acme(
        &fixture.db,
        &[
            r#"{"id":"c1","kind":"login","at":"2026-05-04T09:00:00Z","user":"u-3"}"#,
            r#"{"id":"c2","kind":"login","at":"2026-05-11T09:00:00Z","user":"u-3"}"#,
            r#"{"id":"c3","kind":"login","at":"2026-05-18T09:00:00Z","user":"u-3"}"#,
            r#"{"id":"c4","kind":"login","at":"2026-07-06T09:00:00Z","user":"u-3"}"#,
        ],
    );
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let rows = |answer: &Answer| -> Vec<(String, u64)> {
        assert_eq!(answer.status, 200, "{}", answer.text());
        answer.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| (row["user"].as_str().unwrap().to_owned(), row["logins"].as_u64().unwrap()))
            .collect()
    };
    let log = "/v1/accounts/acme/seats/activated?sort=user";
    let first = api.get(&format!("{log}&at=2026-06-01T00:00:00Z&limit=1"), token);
    assert_eq!(rows(&first), [("u-1".to_owned(), 3)]);
    let cursor = first.json()["next_cursor"].as_str().unwrap().to_owned();
    // The next page names no instant: it is read at the first page's, where
    // u-3 has 3 logins (now, it has 4, or no seat once the term is over).
    let second = api.get(&format!("{log}&limit=1&cursor={cursor}"), token);
    assert_eq!(rows(&second), [("u-3".to_owned(), 3)]);
    let same = api.get(&format!("{log}&limit=1&at=2026-06-01T00:00:00Z&cursor={cursor}"), token);
    assert_eq!(rows(&same), rows(&second));
    let other = api.get(&format!("{log}&limit=1&at=2026-07-07T00:00:00Z&cursor={cursor}"), token);
    let problem = other.json();
    assert_eq!((other.status, problem["code"].as_str()), (400, Some("bad_cursor")));
    assert_eq!(
        problem["detail"],
        "query parameter \"cursor\": the cursor was made at 2026-06-01T00:00:00+00:00, \
         not 2026-07-07T00:00:00+00:00; keep at while paging, or leave it out"
    );

    // u-2, seen once on 04-01, logs in on the next two Mondays: a seat from
    // 04-13. The log asked for again at the same instant shows it: a seat
    // update is a new version of the seat state, computed afresh.
    let whole = format!("{log}&at=2026-06-01T00:00:00Z");
    assert_eq!(rows(&api.get(&whole, token)), [("u-1".to_owned(), 3), ("u-3".to_owned(), 3)]);
    ingest_into_acme(
        &fixture.db,
        &[
            r#"{"id":"b2","kind":"login","at":"2026-04-06T09:00:00Z","user":"u-2"}"#,
            r#"{"id":"b3","kind":"login","at":"2026-04-13T09:00:00Z","user":"u-2"}"#,
        ],
    );
    assert_eq!(
        rows(&api.get(&whole, token)),
        [("u-1".to_owned(), 3), ("u-2".to_owned(), 3), ("u-3".to_owned(), 3)]
    );
}

#[test]
fn the_accept_header_is_negotiated_by_its_q_values() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let path = "/v1/accounts/acme/event-counts";
    let answer = |accept: &str| api.send("GET", path, token, None, &[("Accept", accept)]);
    // q=0 refuses CSV; nothing else is named, so the answer is the default, JSON.
    let refused = answer("text/csv;q=0");
    assert_eq!((refused.status, refused.content_type.as_str()), (200, "application/json"));
    // JSON at q=1 beats CSV at q=0.1, though CSV is listed first.
    let preferred = answer("text/csv;q=0.1, application/json");
    assert_eq!((preferred.status, preferred.content_type.as_str()), (200, "application/json"));
    // Nothing the API writes is acceptable: JSON all the same (docs/api.md).
    let nothing = answer("image/png");
    assert_eq!((nothing.status, nothing.content_type.as_str()), (200, "application/json"));
    // The format parameter wins over the header.
    let by_parameter =
        api.send("GET", &format!("{path}?format=csv"), token, None, &[("Accept", "text/csv;q=0")]);
    assert!(by_parameter.content_type.starts_with("text/csv"), "{}", by_parameter.content_type);
}
