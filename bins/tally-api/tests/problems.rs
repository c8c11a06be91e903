//! Both daemons answer errors with one problem-document shape and one `type`
//! scheme: the API's real binary and the ingest daemon's server, each on a
//! loopback port over the same database, asked alike.

use crate::common::{Api, Ingest, fixture};

/// What a refusal came back as.
#[derive(Debug)]
struct Refusal {
    status: u16,
    content_type: String,
    www_authenticate: String,
    problem: serde_json::Value,
}

/// `method path` without a token or key, on the daemon at `url`.
fn ask(url: &str, method: &str, path: &str) -> Refusal {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let request =
        ureq::http::Request::builder().method(method).uri(format!("{url}{path}")).body(()).unwrap();
    let mut response = agent.run(request).expect("a response");
    let header = |name: &str| {
        let value = response.headers().get(name).and_then(|value| value.to_str().ok());
        value.unwrap_or("").to_owned()
    };
    let (content_type, www_authenticate) = (header("content-type"), header("www-authenticate"));
    let text = response.body_mut().read_to_string().unwrap();
    let problem = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    Refusal { status: response.status().as_u16(), content_type, www_authenticate, problem }
}

/// The member names of a problem document, sorted.
fn members(problem: &serde_json::Value) -> Vec<&str> {
    let mut names: Vec<&str> = problem.as_object().unwrap().keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

#[test]
fn both_daemons_answer_an_unknown_path_with_the_same_problem() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let ingest = Ingest::start(&fixture.db);
    let from_api = ask(&api.url, "GET", "/v9/nothing");
    let from_ingest = ask(&ingest.url, "GET", "/v9/nothing");
    for refusal in [&from_api, &from_ingest] {
        assert_eq!(
            (refusal.status, refusal.content_type.as_str()),
            (404, "application/problem+json")
        );
        assert_eq!(members(&refusal.problem), ["code", "detail", "status", "title", "type"]);
        assert_eq!(refusal.problem["type"], "urn:tally:problem:not_found", "{refusal:?}");
        assert_eq!(refusal.problem["title"], "Not found", "{refusal:?}");
        assert_eq!(refusal.problem["status"], 404, "{refusal:?}");
    }
    // Only the detail differs: the ingest daemon says where batches go.
    assert_eq!(from_api.problem["detail"], "no endpoint at /v9/nothing");
    assert_eq!(
        from_ingest.problem["detail"],
        "no endpoint at /v9/nothing; batches go to POST /v1/batch"
    );
}

#[test]
fn both_daemons_answer_a_wrong_method_with_the_same_problem() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let ingest = Ingest::start(&fixture.db);
    for (refusal, path) in [
        (ask(&api.url, "DELETE", "/healthz"), "/healthz"),
        (ask(&ingest.url, "DELETE", "/v1/batch"), "/v1/batch"),
    ] {
        assert_eq!(refusal.status, 405, "{path}");
        assert_eq!(
            refusal.problem,
            serde_json::json!({
                "type": "urn:tally:problem:method_not_allowed",
                "title": "Method not allowed",
                "status": 405,
                "detail": "this endpoint does not answer DELETE",
                "code": "method_not_allowed",
            }),
            "{path}"
        );
    }
}

/// Each daemon has its own codes for a missing credential (an API token, a
/// write key), under the one scheme and the one shape.
#[test]
fn both_daemons_answer_a_missing_credential_with_the_same_shape() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let ingest = Ingest::start(&fixture.db);
    for (refusal, code) in [
        (ask(&api.url, "GET", "/v1/me"), "unauthenticated"),
        (ask(&ingest.url, "POST", "/v1/batch"), "missing_write_key"),
    ] {
        assert_eq!(refusal.status, 401, "{refusal:?}");
        assert_eq!(refusal.content_type, "application/problem+json");
        assert_eq!(refusal.www_authenticate, "Bearer");
        assert_eq!(members(&refusal.problem), ["code", "detail", "status", "title", "type"]);
        assert_eq!(refusal.problem["type"], format!("urn:tally:problem:{code}"));
        assert_eq!(refusal.problem["code"], code);
        assert_eq!(refusal.problem["status"], 401);
    }
}
