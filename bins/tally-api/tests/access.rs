//! Who may call what: every documented endpoint with a token of every role, and
//! one account's token against everything of another account.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::*;

/// The principals of the matrix, in its column order.
fn principals(tokens: &Tokens) -> [(&'static str, Option<String>); 10] {
    [
        ("acme administrator", Some(tokens.acme_administrator.clone())),
        (
            "acme administrator + server management",
            Some(tokens.acme_administrator_with_server_management.clone()),
        ),
        ("acme member", Some(tokens.acme_member.clone())),
        ("staff (acme)", Some(tokens.acme_staff.clone())),
        ("staff admin (acme)", Some(tokens.acme_staff_admin.clone())),
        ("staff (globex)", Some(tokens.globex_staff.clone())),
        ("globex administrator", Some(tokens.globex_administrator.clone())),
        ("globex member", Some(tokens.globex_member.clone())),
        ("no token", None),
        // Well formed, but no such token was ever made.
        ("unknown token", Some(format!("tally_at_{}_{}", "0".repeat(12), "0".repeat(48)))),
    ]
}

/// Every documented operation, with the request that exercises it on account
/// acme (user u-1) and the status each principal gets, worked out from the rules
/// in docs/api.md: account data is for the account's administrators (runs also
/// for its members), another account is 404 whoever asks, staff see the monitor
/// and only staff admins change it.
/// Method, documented path, request path, request body, and the status of each
/// principal in [`principals`] order.
type MatrixRow = (&'static str, &'static str, &'static str, Option<&'static str>, [u16; 10]);

/// The monitor's reads: any staff token, whatever its scope.
const STAFF_ONLY: [u16; 10] = [403, 403, 403, 200, 200, 200, 403, 403, 401, 401];

const MATRIX: &[MatrixRow] = &[
    ("GET", "/healthz", "/healthz", None, [200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/v1/me", "/v1/me", None, [200, 200, 200, 200, 200, 200, 200, 200, 401, 401]),
    (
        "GET",
        "/v1/accounts/{account}/event-counts",
        "/v1/accounts/acme/event-counts",
        None,
        [200, 200, 403, 403, 403, 404, 404, 404, 401, 401],
    ),
    (
        "GET",
        "/v1/accounts/{account}/dashboard/{tab}",
        "/v1/accounts/acme/dashboard/users-activity",
        None,
        [200, 200, 403, 403, 403, 404, 404, 404, 401, 401],
    ),
    (
        "GET",
        "/v1/accounts/{account}/dashboard/{tab}/{widget}",
        "/v1/accounts/acme/dashboard/actions-automations/monthly-action-runs",
        None,
        [200, 200, 403, 403, 403, 404, 404, 404, 401, 401],
    ),
    (
        "GET",
        "/v1/accounts/{account}/activity",
        "/v1/accounts/acme/activity",
        None,
        [200, 200, 403, 403, 403, 404, 404, 404, 401, 401],
    ),
    (
        "GET",
        "/v1/accounts/{account}/seats/monthly",
        "/v1/accounts/acme/seats/monthly",
        None,
        [200, 200, 403, 403, 403, 404, 404, 404, 401, 401],
    ),
    (
        "GET",
        "/v1/accounts/{account}/seats/activated",
        "/v1/accounts/acme/seats/activated",
        None,
        [200, 200, 403, 403, 403, 404, 404, 404, 401, 401],
    ),
    (
        "GET",
        "/v1/accounts/{account}/seats/users/{user}",
        "/v1/accounts/acme/seats/users/u-1",
        None,
        [200, 200, 403, 403, 403, 404, 404, 404, 401, 401],
    ),
    (
        "GET",
        "/v1/accounts/{account}/runs",
        "/v1/accounts/acme/runs",
        None,
        [200, 200, 200, 403, 403, 404, 404, 404, 401, 401],
    ),
    // A member reads the audit details of their own runs only, and must name one.
    (
        "GET",
        "/v1/accounts/{account}/audit",
        "/v1/accounts/acme/audit",
        None,
        [200, 200, 403, 403, 403, 404, 404, 404, 401, 401],
    ),
    (
        "GET",
        "/v1/accounts/{account}/audit/{seq}",
        "/v1/accounts/acme/audit/1",
        None,
        [200, 200, 200, 403, 403, 404, 404, 404, 401, 401],
    ),
    (
        "GET",
        "/v1/monitor/event-counts",
        "/v1/monitor/event-counts",
        None,
        [403, 403, 403, 200, 200, 200, 403, 403, 401, 401],
    ),
    (
        "GET",
        "/v1/monitor/tracking",
        "/v1/monitor/tracking",
        None,
        [403, 403, 403, 200, 200, 200, 403, 403, 401, 401],
    ),
    (
        "GET",
        "/v1/monitor/activities",
        "/v1/monitor/activities?period=last-30-days&at=2026-04-01",
        None,
        [403, 403, 403, 200, 200, 200, 403, 403, 401, 401],
    ),
    (
        "GET",
        "/v1/monitor/activities/list",
        "/v1/monitor/activities/list?period=last-30-days&at=2026-04-01",
        None,
        [403, 403, 403, 200, 200, 200, 403, 403, 401, 401],
    ),
    // The tracking changes belong to the deployment: staff admins only.
    (
        "GET",
        "/v1/monitor/tracking/changes",
        "/v1/monitor/tracking/changes",
        None,
        [403, 403, 403, 403, 200, 403, 403, 403, 401, 401],
    ),
    // Administrator plus read permission on server management, as the seed says;
    // staff have no account of their own.
    (
        "GET",
        "/export/usage-reports",
        "/export/usage-reports",
        None,
        [403, 200, 403, 403, 403, 403, 403, 403, 401, 401],
    ),
    // The token's own account's rules: its administrators; staff have none.
    (
        "GET",
        "/v1/ingest/event-mappings",
        "/v1/ingest/event-mappings",
        None,
        [200, 200, 403, 403, 403, 403, 200, 403, 401, 401],
    ),
    (
        "PUT",
        "/v1/monitor/tracking",
        "/v1/monitor/tracking",
        Some(r#"{"tracked":[]}"#),
        [403, 403, 403, 403, 200, 403, 403, 403, 401, 401],
    ),
    // The live monitor; the streams end after one event. The item is acme's
    // u-1 in the Dashboard (base64url of `["acme","u-1","Dashboard"]`), which
    // has no event today: the staff of acme's scope get no events, globex's
    // the answer of an unknown account.
    ("GET", "/v1/monitor/today", "/v1/monitor/today", None, STAFF_ONLY),
    ("GET", "/v1/monitor/today/events", "/v1/monitor/today/events?limit=1", None, STAFF_ONLY),
    ("GET", "/v1/monitor/stream", "/v1/monitor/stream", None, STAFF_ONLY),
    ("GET", "/v1/monitor/stream/events", "/v1/monitor/stream/events?limit=1", None, STAFF_ONLY),
    ("GET", "/v1/monitor/top", "/v1/monitor/top", None, STAFF_ONLY),
    (
        "GET",
        "/v1/monitor/stream/items/{item}/events",
        "/v1/monitor/stream/items/WyJhY21lIiwidS0xIiwiRGFzaGJvYXJkIl0/events",
        None,
        [403, 403, 403, 200, 200, 404, 403, 403, 401, 401],
    ),
];

/// Collects every `$ref` in `value` that names nothing in `document`, as an
/// OpenAPI validator would refuse it.
fn unresolved_references(document: &Value, value: &Value, dangling: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            if let Some(Value::String(reference)) = fields.get("$ref") {
                let pointer = reference.strip_prefix('#').unwrap_or(reference);
                if document.pointer(pointer).is_none() {
                    dangling.push(reference.clone());
                }
            }
            for field in fields.values() {
                unresolved_references(document, field, dangling);
            }
        }
        Value::Array(items) => {
            for item in items {
                unresolved_references(document, item, dangling);
            }
        }
        _ => {}
    }
}

#[test]
fn every_documented_endpoint_answers_each_role_as_the_matrix_says() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let document = api.get("/v1/openapi.json", None).json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."), "{document}");
    let mut dangling = Vec::new();
    unresolved_references(&document, &document, &mut dangling);
    assert!(dangling.is_empty(), "references to nothing: {dangling:?}");

    // The matrix covers exactly the documented operations: a new endpoint
    // fails this test until its row is written.
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let covered: BTreeSet<(String, String)> =
        MATRIX.iter().map(|(method, path, ..)| (method.to_string(), path.to_string())).collect();
    assert_eq!(documented, covered);

    let principals = principals(&fixture.tokens);
    let mut wrong = Vec::new();
    for (method, _, request, body, expected) in MATRIX {
        for ((name, token), expected) in principals.iter().zip(expected) {
            let answer = api.send(method, request, token.as_deref(), *body, &[]);
            if answer.status != *expected {
                wrong.push(format!(
                    "{method} {request} as {name}: {} (expected {expected})",
                    answer.status
                ));
            }
            if answer.status >= 400 {
                // Every refusal is a problem document naming its status.
                assert_eq!(
                    answer.content_type, "application/problem+json",
                    "{method} {request} as {name}"
                );
                assert_eq!(answer.json()["status"], *expected, "{method} {request} as {name}");
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Requests a globex token might try on acme: lists with filters, sorts and
/// cursors, every format, details, the monitor's filter.
fn probes() -> Vec<String> {
    let mut probes = Vec::new();
    for listing in ["event-counts", "seats/monthly", "seats/activated", "runs", "audit"] {
        for query in [
            "",
            "?format=csv",
            "?format=xlsx",
            "?limit=1",
            "?sort=-month",
            "?organization=acme-east",
            "?user=u-1",
            "?kind=login",
        ] {
            probes.push(format!("/v1/accounts/acme/{listing}{query}"));
        }
    }
    probes.push("/v1/accounts/acme/seats/users/u-1".into());
    probes.extend((1..=3).map(|seq| format!("/v1/accounts/acme/audit/{seq}")));
    probes.push("/v1/accounts/acme/audit?run_id=r-a1&sort=source".into());
    probes.push("/v1/accounts/acme/seats/users/u-1?at=2026-04-01T00:00:00Z".into());
    probes.push("/v1/accounts/no-such-account/event-counts".into());
    for tab in ["users-activity", "entities", "actions-automations", "data-sources", "ai-mcp"] {
        for query in ["", "?format=csv", "?format=xlsx", "?organization=acme-east", "?team=ops"] {
            probes.push(format!("/v1/accounts/acme/dashboard/{tab}{query}"));
        }
    }
    probes.push("/v1/accounts/acme/dashboard/actions-automations/actions-by-user".into());
    probes.push("/v1/accounts/acme/activity?kind=action_run&from=2026-01-01&to=2026-12-31".into());
    probes.push("/v1/accounts/acme/activity?user=u-1&format=csv".into());
    probes
}

#[test]
fn no_token_of_one_account_reads_a_row_of_another() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let tokens = &fixture.tokens;
    for token in [&tokens.globex_administrator, &tokens.globex_member, &tokens.globex_staff] {
        for probe in probes() {
            let answer = api.get(&probe, Some(token));
            // Unknown and foreign accounts answer alike, so a token cannot even
            // learn that acme exists (staff of another scope included).
            assert_eq!(answer.status, 404, "{probe}: {}", answer.text());
            let text = answer.text();
            for secret in ACME_ONLY {
                assert!(!text.contains(secret), "{probe} leaked {secret:?}: {text}");
            }
        }
        // globex's own listings, whatever their filters, hold no acme row.
        for path in [
            "/v1/accounts/globex/runs?user=u-1",
            "/v1/accounts/globex/runs",
            "/v1/accounts/globex/event-counts",
            "/v1/accounts/globex/seats/activated",
            "/v1/accounts/globex/dashboard/users-activity",
            "/v1/accounts/globex/dashboard/actions-automations?from=2026-01-01",
            "/v1/accounts/globex/activity?from=2026-01-01&to=2026-12-31",
            "/v1/monitor/event-counts",
            "/v1/monitor/event-counts?account=acme",
            "/v1/ingest/event-mappings",
            "/v1/me",
        ] {
            let text = api.get(path, Some(token)).text();
            for secret in ACME_ONLY {
                assert!(!text.contains(secret), "{path} leaked {secret:?}: {text}");
            }
        }
    }
    // A cursor made on acme's listing, replayed by globex on its own, is
    // refused (it is sealed for acme) and shows no row.
    let acme_page =
        api.get("/v1/accounts/acme/runs?limit=1", Some(&tokens.acme_administrator)).json();
    let cursor = acme_page["next_cursor"].as_str().unwrap().to_owned();
    let replay = api.get(
        &format!("/v1/accounts/globex/runs?limit=5&cursor={cursor}"),
        Some(&tokens.globex_administrator),
    );
    assert_eq!(replay.status, 400, "{}", replay.text());
    for secret in ACME_ONLY {
        assert!(!replay.text().contains(secret), "replayed cursor leaked {secret:?}");
    }
}

#[test]
fn a_member_reads_only_their_own_runs() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let member = Some(fixture.tokens.acme_member.as_str());
    let runs = |path: &str| -> Vec<(String, String)> {
        api.get(path, member).json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["run_id"].as_str().unwrap().to_owned(),
                    row["user"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Ana's two states of r-a1, newest first; Bo's r-a2 is not hers.
    let own = vec![("r-a1".to_owned(), "u-1".to_owned()); 2];
    assert_eq!(runs("/v1/accounts/acme/runs"), own);
    assert_eq!(runs("/v1/accounts/acme/runs?user=u-2"), vec![]);
    assert_eq!(runs("/v1/accounts/acme/runs?run_id=r-a2"), vec![]);
    assert!(!api.get("/v1/accounts/acme/runs?format=csv", member).text().contains("r-a2"));
}

#[test]
fn staff_see_the_monitor_only_for_their_scope_and_only_staff_admins_change_it() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let accounts = |token: &str| -> BTreeSet<String> {
        api.get("/v1/monitor/event-counts?limit=1000", Some(token)).json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["account"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(accounts(&fixture.tokens.acme_staff), BTreeSet::from(["acme".to_owned()]));
    assert_eq!(accounts(&fixture.tokens.globex_staff), BTreeSet::from(["globex".to_owned()]));

    let body = r#"{"tracked":[{"module":"Dashboard"},{"module":"Catalog","activity":"export"}]}"#;
    let set = api.send(
        "PUT",
        "/v1/monitor/tracking",
        Some(&fixture.tokens.acme_staff_admin),
        Some(body),
        &[],
    );
    assert_eq!(set.status, 200, "{}", set.text());
    // Read back by plain staff, in (module, activity) order.
    let tracked = api.get("/v1/monitor/tracking", Some(&fixture.tokens.globex_staff)).json();
    assert_eq!(
        tracked,
        serde_json::json!({"tracked": [
            {"module": "Catalog", "activity": "export"},
            {"module": "Dashboard", "activity": null}
        ]})
    );
    let refused =
        api.send("PUT", "/v1/monitor/tracking", Some(&fixture.tokens.acme_staff), Some(body), &[]);
    assert_eq!(refused.status, 403);
    let blank = api.send(
        "PUT",
        "/v1/monitor/tracking",
        Some(&fixture.tokens.acme_staff_admin),
        Some(r#"{"tracked":[{"module":"  "}]}"#),
        &[],
    );
    assert_eq!((blank.status, blank.json()["code"].as_str()), (400, Some("bad_body")));
    // serde reads a struct from an array by position; the schema says objects,
    // so arrays in their place are refused, and the list in force stays.
    for body in ["[[]]", r#"{"tracked":[["Dashboard"]]}"#, r#"{"tracked":[["Catalog",null]]}"#] {
        let positional = api.send(
            "PUT",
            "/v1/monitor/tracking",
            Some(&fixture.tokens.acme_staff_admin),
            Some(body),
            &[],
        );
        assert_eq!(
            (positional.status, positional.json()["code"].as_str()),
            (400, Some("bad_body")),
            "{body}: {}",
            positional.text()
        );
    }
    let kept = api.get("/v1/monitor/tracking", Some(&fixture.tokens.globex_staff)).json();
    assert_eq!(kept["tracked"].as_array().unwrap().len(), 2, "{kept}");
}

#[test]
fn a_member_reads_the_audit_details_of_their_own_runs_only() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let member = Some(fixture.tokens.acme_member.as_str());
    let own = api.get("/v1/accounts/acme/audit?run_id=r-a1", member);
    assert_eq!(own.status, 200, "{}", own.text());
    let seqs: Vec<u64> = own.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [1]);
    // Bo's run, an unknown run, Bo's entry and the secret's (no run): not Ana's.
    assert_eq!(api.get("/v1/accounts/acme/audit?run_id=r-a2", member).status, 404);
    assert_eq!(api.get("/v1/accounts/acme/audit?run_id=r-zz", member).status, 404);
    assert_eq!(api.get("/v1/accounts/acme/audit/2", member).status, 404);
    assert_eq!(api.get("/v1/accounts/acme/audit/3", member).status, 404);
    // Her entry in detail, with its diff.
    let detail = api.get("/v1/accounts/acme/audit/1", member).json();
    assert_eq!(detail["before"], serde_json::json!({"tier": "bronze"}));
    assert_eq!(detail["diff"]["changes"][0]["path"], "/tier");
}

#[test]
fn audit_reads_run_side_by_side_and_agree() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = fixture.tokens.acme_administrator.as_str();
    // Eight clients at once, each reading the log and an entry five times: each
    // request takes an audit connection from the pool, opening more as needed.
    let answers: Vec<Vec<(u16, String)>> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    (0..5)
                        .flat_map(|_| {
                            ["/v1/accounts/acme/audit?sort=seq", "/v1/accounts/acme/audit/3"].map(
                                |path| {
                                    let answer = api.get(path, Some(token));
                                    (answer.status, answer.text())
                                },
                            )
                        })
                        .collect()
                })
            })
            .collect();
        clients.into_iter().map(|client| client.join().unwrap()).collect()
    });
    let first = &answers[0];
    assert!(first.iter().all(|(status, _)| *status == 200), "{first:?}");
    let seqs: Vec<u64> = serde_json::from_str::<serde_json::Value>(&first[0].1).unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
    for client in &answers {
        assert_eq!(client, first);
    }
}
