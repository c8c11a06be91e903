//! `GET /v1/ingest/event-mappings` (issue 18): an account's own rules for
//! analytics SDKs' messages, answered to its administrators and to no one else.

use std::collections::BTreeMap;

use serde_json::json;
use tally_compat::MappingRule;
use tally_events::EventKind;
use tally_store::{Store, StoreOptions};

use crate::common::*;

const PATH: &str = "/v1/ingest/event-mappings";

#[test]
fn an_administrator_reads_their_accounts_rules_and_nothing_of_another_account() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let tokens = &fixture.tokens;

    // The rules the fixture set, written out by hand.
    let acme = api.get(PATH, Some(&tokens.acme_administrator));
    assert_eq!(acme.status, 200, "{}", acme.text());
    assert_eq!(
        acme.json(),
        json!([{"event": "acme-deploy", "kind": "action_run",
                "set": {"action": "acme-deploy"}, "from": {"run_id": "acme-run"}}])
    );
    let globex = api.get(PATH, Some(&tokens.globex_administrator));
    assert_eq!(
        globex.json(),
        json!([{"event": "Signed In", "kind": "login", "set": {}, "from": {}}])
    );

    // No parameter names another account: one given is refused, and nothing
    // of acme's comes back to globex's token, whatever it asks.
    for query in ["?account=acme", "?event=acme-deploy"] {
        let answer = api.get(&format!("{PATH}{query}"), Some(&tokens.globex_administrator));
        assert_eq!(answer.status, 400, "{query}: {}", answer.text());
        assert_eq!(answer.content_type, "application/problem+json");
        assert!(answer.text().contains("unknown query parameter"), "{}", answer.text());
        for secret in ACME_ONLY {
            assert!(!answer.text().contains(secret), "{query} leaked {secret:?}");
        }
    }
    // Staff, even with acme in scope, and members are refused.
    for token in [&tokens.acme_staff, &tokens.acme_staff_admin, &tokens.acme_member] {
        let answer = api.get(PATH, Some(token));
        assert_eq!(answer.status, 403);
        assert!(answer.text().contains("administrator"), "{}", answer.text());
    }

    // A rule set while the API runs is answered at once, in byte order: 'S'
    // (0x53) before 'a' (0x61).
    let mut store = Store::open(&fixture.db, &StoreOptions::default()).unwrap();
    let account = store.account("acme").unwrap();
    let time_spent = BTreeMap::from([("time_spent_secs".to_owned(), json!(60))]);
    let activity = MappingRule::new("Searched", EventKind::Activity, time_spent, BTreeMap::new());
    store.set_event_mapping(account.id, &activity.unwrap()).unwrap();
    let events: Vec<String> = api
        .get(PATH, Some(&tokens.acme_administrator))
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["Searched", "acme-deploy"]);
    assert_eq!(
        api.get(PATH, Some(&tokens.globex_administrator)).json().as_array().unwrap().len(),
        1
    );
}

#[test]
fn the_document_describes_the_rules_answered() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let document = api.get("/v1/openapi.json", None).json();
    let operation = &document["paths"][PATH]["get"];
    assert_eq!(operation["tags"], json!(["ingest"]));
    let answer = &operation["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(answer["type"], "array");
    assert_eq!(answer["items"]["$ref"], "#/components/schemas/MappingRule");
    let rule = &document["components"]["schemas"]["MappingRule"];
    let mut required: Vec<&str> =
        rule["required"].as_array().unwrap().iter().map(|name| name.as_str().unwrap()).collect();
    required.sort();
    assert_eq!(required, ["event", "from", "kind", "set"]);
    assert_eq!(rule["properties"]["kind"]["type"], "string");
    assert_eq!(rule["properties"]["from"]["additionalProperties"]["type"], "string");
}
