//! The daemon's OpenAPI document, read from the real daemon: it documents
//! exactly the routes the daemon answers.

use serde_json::Value;

use crate::common::*;

/// Every route the daemon serves, written out by hand from docs/ingest-compat.md
/// and docs/events.md: Tally's own batch (which is also Segment's), Segment's six
/// single calls, PostHog's five capture paths with and without a trailing slash
/// (GET and POST), CloudEvents, health and the document itself.
const ROUTES: [(&str, &[&str]); 20] = [
    ("/api/v1/events", &["post"]),
    ("/batch", &["get", "post"]),
    ("/batch/", &["get", "post"]),
    ("/capture", &["get", "post"]),
    ("/capture/", &["get", "post"]),
    ("/e", &["get", "post"]),
    ("/e/", &["get", "post"]),
    ("/healthz", &["get"]),
    ("/i/v0/ai/batch", &["get", "post"]),
    ("/i/v0/ai/batch/", &["get", "post"]),
    ("/i/v0/e", &["get", "post"]),
    ("/i/v0/e/", &["get", "post"]),
    ("/v1/alias", &["post"]),
    ("/v1/batch", &["post"]),
    ("/v1/group", &["post"]),
    ("/v1/identify", &["post"]),
    ("/v1/openapi.json", &["get"]),
    ("/v1/page", &["post"]),
    ("/v1/screen", &["post"]),
    ("/v1/track", &["post"]),
];

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn served_document(daemon: &Daemon) -> Value {
    let (status, content_type, document) =
        request("GET", &format!("{}/v1/openapi.json", daemon.url), &["content-type"]);
    assert_eq!(status, 200, "{document}");
    assert_eq!(content_type, ["application/json"]);
    document
}

#[test]
fn the_document_is_served_without_a_write_key_and_names_exactly_the_served_routes() {
    let (_dir, db) = temp_db();
    let daemon = Daemon::start(&db, &[]);
    let document = served_document(&daemon);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("paths");
    let documented: Vec<(&str, Vec<&str>)> = paths
        .iter()
        .map(|(path, item)| {
            let methods = METHODS.iter().copied().filter(|method| item.get(*method).is_some());
            (path.as_str(), methods.collect())
        })
        .collect();
    let expected: Vec<(&str, Vec<&str>)> =
        ROUTES.iter().map(|(path, methods)| (*path, methods.to_vec())).collect();
    assert_eq!(documented, expected);
}

/// Each documented operation is routed (neither 404 nor 405) and answers a
/// request without a key or body with a status it documents; a method it does
/// not document is a 405.
#[test]
fn every_documented_operation_is_served_and_answers_a_documented_status() {
    let (_dir, db) = temp_db();
    let daemon = Daemon::start(&db, &[]);
    let document = served_document(&daemon);
    for (path, methods) in ROUTES {
        let item = &document["paths"][path];
        for method in methods {
            let url = format!("{}{path}", daemon.url);
            let (status, _, answer) = request(&method.to_uppercase(), &url, &[]);
            let documented = item[*method]["responses"].as_object().expect("responses");
            assert!(
                documented.contains_key(&status.to_string()),
                "{method} {path} answered {status}, documented {:?}: {answer}",
                documented.keys().collect::<Vec<_>>()
            );
        }
        let (status, _, answer) = request("DELETE", &format!("{}{path}", daemon.url), &[]);
        assert_eq!((status, answer["code"].as_str()), (405, Some("method_not_allowed")), "{path}");
    }
}

/// What the brief of issue 18 asks of each batch endpoint: its refusals as
/// problem documents, its security, and `/v1/batch` documented once for both
/// formats.
#[test]
fn every_batch_endpoint_documents_its_refusals_and_its_keys() {
    let (_dir, db) = temp_db();
    let daemon = Daemon::start(&db, &[]);
    let document = served_document(&daemon);
    let problem = "#/components/schemas/Problem";
    for (path, methods) in ROUTES {
        for method in methods {
            let operation = &document["paths"][path][*method];
            assert!(operation["summary"].is_string(), "{method} {path}");
            if matches!(path, "/healthz" | "/v1/openapi.json") {
                assert_eq!(operation["security"], Value::Null, "{path} needs no key");
                continue;
            }
            for status in ["400", "401", "403", "408", "413", "415", "503"] {
                let schema = &operation["responses"][status]["content"]["application/problem+json"]
                    ["schema"];
                assert_eq!(schema["$ref"], problem, "{method} {path} {status}");
            }
            assert!(operation["responses"]["200"]["content"]["application/json"].is_object());
            assert!(operation["security"].as_array().is_some_and(|schemes| !schemes.is_empty()));
        }
    }
    let batch = &document["paths"]["/v1/batch"]["post"];
    assert_eq!(batch["security"], serde_json::json!([{"bearer": []}, {"segment_basic": []}]));
    let bodies = batch["requestBody"]["content"].as_object().unwrap();
    assert_eq!(bodies.keys().collect::<Vec<_>>(), ["application/json", "application/x-ndjson"]);
    let posthog = &document["paths"]["/capture/"]["post"];
    assert!(posthog["description"].as_str().unwrap().contains("`api_key`"));
    let cloudevents =
        document["paths"]["/api/v1/events"]["post"]["requestBody"]["content"].as_object().unwrap();
    assert_eq!(
        cloudevents.keys().collect::<Vec<_>>(),
        ["application/cloudevents+json", "application/cloudevents-batch+json", "application/json"]
    );
}
