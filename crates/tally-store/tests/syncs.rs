//! Sync observations and entity syncs, read for a period with the leave to
//! download usage reports.

use chrono::{DateTime, Utc};
use tally_access::Principal;

use crate::common::*;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[test]
fn a_period_holds_the_syncs_from_its_start_up_to_its_end() {
    let (_dir, _, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    let (globex, _) = create(&mut store, "globex");
    let lines = [
        r#"{"id":"o1","kind":"sync_observation","at":"2026-02-28T23:59:59Z","system":"Jira","email":"early@acme.test","interaction":"comment_author"}"#,
        r#"{"id":"o2","kind":"sync_observation","at":"2026-03-01T00:00:00Z","system":"Jira","project":"PAY","email":"dana@acme.test","username":"dlevi","display_name":"Dana Levi","interaction":"comment_author","service_account":true}"#,
        r#"{"id":"o3","kind":"sync_observation","at":"2026-03-31T23:59:59Z","system":"GitHub","username":"dlevi","interaction":"mention"}"#,
        r#"{"id":"o4","kind":"sync_observation","at":"2026-04-01T00:00:00Z","system":"GitHub","username":"late","interaction":"mention"}"#,
        r#"{"id":"s1","kind":"entity_sync","at":"2026-03-02T11:05:00Z","source_system":"Jira","target_system":"GitHub","source_project":"PAY","target_project":"acme/payments","entity_type":"Bug","entities":12,"status":"inactive"}"#,
        r#"{"id":"s2","kind":"entity_sync","at":"2026-03-03T11:05:00Z","source_system":"Jira","target_system":"GitHub","entity_type":"Story"}"#,
    ];
    store.append(account.id, &events(&lines.join("\n"))).unwrap();
    let other = r#"{"id":"g1","kind":"sync_observation","at":"2026-03-05T00:00:00Z","system":"Jira","email":"g@globex.test","interaction":"mention"}"#;
    store.append(globex.id, &events(other)).unwrap();

    let reports = Principal::Administrator { account: "acme".into(), server_management_read: true }
        .download_usage_reports("acme")
        .unwrap();
    let (from, to) = (at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z"));
    let mut seen = Vec::new();
    let count =
        store.for_each_sync_observation(&reports, from, to, |record| seen.push(record)).unwrap();
    // o1 is before the period, o4 at its end (excluded), g1 another account's.
    assert_eq!(count, 2);
    assert_eq!(store.count_sync_observations(&reports, from, to).unwrap(), 2);
    assert_eq!(seen[0].email.as_deref(), Some("dana@acme.test"));
    assert_eq!(
        (seen[0].project.as_deref(), seen[0].display_name.as_deref(), seen[0].service_account),
        (Some("PAY"), Some("Dana Levi"), true)
    );
    assert_eq!(
        (seen[1].username.as_deref(), seen[1].email.as_deref(), seen[1].service_account),
        (Some("dlevi"), None, false)
    );

    let mut syncs = Vec::new();
    store.for_each_entity_sync(&reports, from, to, |record| syncs.push(record)).unwrap();
    assert_eq!(syncs.len(), 2);
    assert_eq!(
        (syncs[0].entities, syncs[0].status.as_str(), syncs[0].target_project.as_deref()),
        (12, "inactive", Some("acme/payments"))
    );
    // Not sent: one entity, active, no projects.
    assert_eq!(
        (syncs[1].entities, syncs[1].status.as_str(), syncs[1].source_project.as_deref()),
        (1, "active", None)
    );
}
