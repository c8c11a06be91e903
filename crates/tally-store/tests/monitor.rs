//! What the live usage monitor reads: the events that make a user seen, from
//! an instant and then after a seq, and the events behind one stream item.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, Utc};
use tally_access::{MonitorView, Principal, StaffScope};
use tally_monitor::{SeenEvent, Tracked, Tracking};
use tally_store::{ItemQuery, StoreError};

use crate::common::*;

/// Every kind of docs/events.md, with users where the kind has them. Seen:
/// e01 login, e02 page_visit, e04 action_run, e07 ai_invocation, e08
/// mcp_call, e09 activity and e19 entity_change (by a user); not e03 (an
/// entity change by an exporter, naming no user), nor e05-e06 and e10-e18
/// (kinds that never make a user seen, audit entries included).
const EVERY_KIND: &str = r#"{"id":"e01","kind":"login","at":"2026-03-02T08:00:00Z","user":"u-1842","organization":"acme-platform"}
{"id":"e02","kind":"page_visit","at":"2026-03-02T08:01:12Z","user":"u-1842","organization":"acme-platform","page":"/catalog/services"}
{"id":"e03","kind":"entity_change","at":"2026-03-02T08:05:00Z","organization":"acme-platform","blueprint":"service","entity":"checkout-api","operation":"update","origin":"K8S EXPORTER"}
{"id":"e04","kind":"action_run","at":"2026-03-02T09:00:00Z","organization":"acme-platform","action":"deploy_service","run_id":"r_7f3a","trigger":"api","status":"success","user":"u-7"}
{"id":"e05","kind":"automation_run","at":"2026-03-02T09:10:00Z","organization":"acme-platform","automation":"notify_on_failure","run_id":"r_7f3b","status":"in_progress"}
{"id":"e06","kind":"data_source_change","at":"2026-03-02T10:00:00Z","organization":"acme-platform","data_source":"gh-main","data_source_type":"github","name":"GitHub (main org)","operation":"create"}
{"id":"e07","kind":"ai_invocation","at":"2026-03-02T10:15:00Z","user":"u-1842","organization":"acme-platform","source":"AI assistant"}
{"id":"e08","kind":"mcp_call","at":"2026-03-02T10:16:00Z","user":"u-8","tool":"search_entities","status":"failure","error":"entity not found","duration_ms":412}
{"id":"e09","kind":"activity","at":"2026-03-02T10:30:00Z","user":"u-1842","module":"Dashboard","action":"export","time_spent_secs":95}
{"id":"e10","kind":"sync_observation","at":"2026-03-02T11:00:00Z","system":"Jira","project":"PAY","email":"dana@example.com","display_name":"Dana Levi","interaction":"comment_author"}
{"id":"e11","kind":"entity_sync","at":"2026-03-02T11:05:00Z","source_system":"Jira","target_system":"GitHub","source_project":"PAY","target_project":"acme/payments","entity_type":"Bug","entities":12,"status":"active"}
{"id":"e12","kind":"user_added","at":"2026-03-02T12:00:00Z","user":"u-2001","email":"sam@example.com","username":"sam","display_name":"Sam Ortiz","organization":"acme-platform","role":"member","teams":["payments","platform"],"service_account":false}
{"id":"e13","kind":"user_removed","at":"2026-03-20T17:00:00Z","user":"u-2001"}
{"id":"e14","kind":"user_disabled","at":"2026-03-10T17:00:00Z","user":"u-1990"}
{"id":"e15","kind":"user_enabled","at":"2026-03-12T08:00:00Z","user":"u-1990"}
{"id":"e16","kind":"user_role_changed","at":"2026-03-03T09:00:00Z","user":"u-2001","organization":"acme-platform","role":"admin"}
{"id":"e17","kind":"user_teams_changed","at":"2026-03-04T09:00:00Z","user":"u-2001","teams":["platform","sre"]}
{"id":"e18","kind":"audit_entry","at":"2026-03-02T08:05:00Z","resource":"entity","resource_id":"checkout-api","operation":"update","source_type":"integration","source":"k8s-prod-exporter","origin":"K8S EXPORTER","status":"success","user":"u-9","blueprint":"service","entity":"checkout-api","before":{"replicas":2},"after":{"replicas":3}}
{"id":"e19","kind":"entity_change","at":"2026-03-02T08:06:00Z","organization":"acme-platform","blueprint":"service","entity":"checkout-api","operation":"update","origin":"UI","user":"u-19"}"#;

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// The seq the file gave an event, read with an independent connection.
fn seq_of(path: &Path, event_id: &str) -> i64 {
    stored_rows(path, &format!("SELECT seq FROM events WHERE payload ->> '$.id' = '{event_id}'"))
}

/// An event as a line to compare: seq, account, user, instant, and for an
/// activity its module, action and time spent.
fn line(event: &SeenEvent) -> String {
    let activity = event.activity.as_ref().map_or(String::new(), |activity| {
        format!(" {}/{} {}s", activity.module, activity.action, activity.time_spent_secs)
    });
    format!("{} {} {} {}{activity}", event.seq, event.account, event.user, event.at.to_rfc3339())
}

fn view(scope: StaffScope) -> MonitorView {
    Principal::Staff { team: "support".into(), scope, admin: false }.read_monitor().unwrap()
}

#[test]
fn only_the_kinds_that_make_a_user_seen_are_read() {
    let (_dir, path, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    store.append(acme.id, &events(EVERY_KIND)).unwrap();
    let seq = |id| seq_of(&path, id);
    let expected = vec![
        format!("{} acme u-1842 2026-03-02T08:00:00+00:00", seq("e01")),
        format!("{} acme u-1842 2026-03-02T08:01:12+00:00", seq("e02")),
        format!("{} acme u-7 2026-03-02T09:00:00+00:00", seq("e04")),
        format!("{} acme u-1842 2026-03-02T10:15:00+00:00", seq("e07")),
        format!("{} acme u-8 2026-03-02T10:16:00+00:00", seq("e08")),
        format!("{} acme u-1842 2026-03-02T10:30:00+00:00 Dashboard/export 95s", seq("e09")),
        format!("{} acme u-19 2026-03-02T08:06:00+00:00", seq("e19")),
    ];
    let latest = stored_rows(&path, "SELECT max(seq) FROM events");

    let (since, through) = store.monitor_events_since(instant("2026-01-01T00:00:00Z")).unwrap();
    assert_eq!(since.iter().map(line).collect::<Vec<_>>(), expected);
    assert_eq!(through, latest);

    let (after, through) = store.monitor_events_after(0, 100).unwrap();
    assert_eq!(after.iter().map(line).collect::<Vec<_>>(), expected);
    assert_eq!(through, latest);
}

#[test]
fn reading_since_an_instant_then_after_its_seq_gives_every_event_once() {
    let (_dir, path, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    let (globex, _) = create(&mut store, "globex");
    let activity = |id: &str, at: &str, user: &str| {
        format!(
            r#"{{"id":"{id}","kind":"activity","at":"{at}","user":"{user}","module":"Dashboard","action":"open","time_spent_secs":10}}"#
        )
    };
    store
        .append(
            acme.id,
            &events(
                &[
                    login("a1", "lisa", "2026-12-07T08:59:59.999999Z"),
                    login("a2", "lisa", "2026-12-07T09:00:00Z"),
                    activity("a3", "2026-12-07T09:30:00Z", "lisa"),
                ]
                .join("\n"),
            ),
        )
        .unwrap();
    store
        .append(
            globex.id,
            &events(
                &[
                    login("g1", "tom", "2026-12-07T10:00:00Z"),
                    login("g2", "tom", "2026-12-06T10:00:00Z"),
                ]
                .join("\n"),
            ),
        )
        .unwrap();
    let (since, through) = store.monitor_events_since(instant("2026-12-07T09:00:00Z")).unwrap();
    // a1 is a microsecond before `from` and g2 a day before: left out.
    let since_seqs: Vec<i64> = since.iter().map(|event| event.seq).collect();
    assert_eq!(since_seqs, vec![seq_of(&path, "a2"), seq_of(&path, "a3"), seq_of(&path, "g1")]);
    assert_eq!(through, seq_of(&path, "g2"));

    // Later appends, a late one (a day old) among them, and events no one is
    // seen by between them.
    store
        .append(
            acme.id,
            &events(
                &[
                    login("a4", "lisa", "2026-12-07T11:00:00Z"),
                    r#"{"id":"a5","kind":"user_removed","at":"2026-12-07T11:00:00Z","user":"lisa"}"#.to_owned(),
                    login("a6", "max", "2026-12-06T11:00:00Z"),
                ]
                .join("\n"),
            ),
        )
        .unwrap();
    store.append(globex.id, &events(&activity("g3", "2026-12-07T11:01:00Z", "tom"))).unwrap();

    let mut seen: Vec<i64> = since_seqs;
    let mut from_seq = through;
    let mut pages = 0;
    loop {
        let (page, through) = store.monitor_events_after(from_seq, 2).unwrap();
        pages += 1;
        seen.extend(page.iter().map(|event| event.seq));
        if through == from_seq {
            break;
        }
        from_seq = through;
    }
    let expected: Vec<i64> =
        ["a2", "a3", "g1", "a4", "a6", "g3"].iter().map(|id| seq_of(&path, id)).collect();
    assert_eq!(seen, expected, "each event once, in log order");
    // a4 and a6 (a5 passed over), then g3 alone, which ends the log, then an
    // empty page that reads through nothing new.
    assert_eq!(pages, 3);
    assert_eq!(from_seq, seq_of(&path, "g3"));
}

#[test]
fn reading_after_a_seq_stops_at_the_limit() {
    let (_dir, path, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    store.append(acme.id, &events(EVERY_KIND)).unwrap();
    // The seen events by seq: e01, e02, e04, e07, e08, e09, e19; the third is e04.
    let (page, through) = store.monitor_events_after(0, 3).unwrap();
    assert_eq!(page.len(), 3);
    assert_eq!(through, seq_of(&path, "e04"));
    let (page, through) = store.monitor_events_after(through, 3).unwrap();
    let seqs: Vec<i64> = page.iter().map(|event| event.seq).collect();
    assert_eq!(seqs, vec![seq_of(&path, "e07"), seq_of(&path, "e08"), seq_of(&path, "e09")]);
    assert_eq!(through, seq_of(&path, "e09"));
    // e19 alone is left, fewer than the limit: read through the end of the log.
    let (page, through) = store.monitor_events_after(through, 3).unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(through, seq_of(&path, "e19"));
}

#[test]
fn a_stream_item_expands_to_its_tracked_events_in_scope() {
    let (_dir, _, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    create(&mut store, "globex");
    let lines = [
        r#"{"id":"x1","kind":"activity","at":"2026-12-07T09:00:00Z","user":"lisa","module":"Dashboard","action":"open","time_spent_secs":30,"properties":{"tab":"usage"}}"#,
        r#"{"id":"x2","kind":"activity","at":"2026-12-07T09:10:00Z","user":"lisa","module":"Dashboard","action":"export","time_spent_secs":5}"#,
        r#"{"id":"x3","kind":"activity","at":"2026-12-07T09:20:00Z","user":"lisa","module":"Reports","action":"open","time_spent_secs":7}"#,
        r#"{"id":"x4","kind":"activity","at":"2026-12-07T09:30:00Z","user":"tom","module":"Dashboard","action":"open","time_spent_secs":8}"#,
        r#"{"id":"x5","kind":"activity","at":"2026-12-06T23:59:59Z","user":"lisa","module":"Dashboard","action":"open","time_spent_secs":9}"#,
        r#"{"id":"x6","kind":"activity","at":"2026-12-08T00:00:00Z","user":"lisa","module":"Dashboard","action":"open","time_spent_secs":9}"#,
    ];
    store.append(acme.id, &events(&lines.join("\n"))).unwrap();
    let item = ItemQuery {
        account: "acme",
        user: "lisa",
        module: "Dashboard",
        from: instant("2026-12-07T00:00:00Z"),
        to: instant("2026-12-08T00:00:00Z"),
    };
    let all = view(StaffScope::AllAccounts);
    let events = store.monitor_item_events(&all, &Tracking::everything(), &item).unwrap();
    // x1 and x2: Lisa's Dashboard on the 7th; not x3 (Reports), x4 (Tom), x5
    // (the 6th) or x6 (the 8th, the end of the range).
    let read: Vec<(String, String, u32, Option<String>)> = events
        .iter()
        .map(|event| {
            (
                event.id.clone(),
                event.action.clone(),
                event.time_spent_secs,
                event.properties.clone(),
            )
        })
        .collect();
    assert_eq!(
        read,
        vec![
            ("x1".to_owned(), "open".to_owned(), 30, Some(r#"{"tab":"usage"}"#.to_owned())),
            ("x2".to_owned(), "export".to_owned(), 5, None),
        ]
    );
    assert_eq!(events[0].at, instant("2026-12-07T09:00:00Z"));

    let only_export = Tracking::new(vec![Tracked {
        module: "Dashboard".into(),
        activity: Some("export".into()),
    }]);
    let tracked = store.monitor_item_events(&all, &only_export, &item).unwrap();
    assert_eq!(tracked.iter().map(|event| event.id.as_str()).collect::<Vec<_>>(), vec!["x2"]);

    // A team whose scope is globex only: acme is as unknown as an account that
    // does not exist.
    let globex_only = view(StaffScope::Accounts(BTreeSet::from(["globex".to_owned()])));
    let outside = store.monitor_item_events(&globex_only, &Tracking::everything(), &item);
    assert!(
        matches!(&outside, Err(StoreError::UnknownAccount { slug }) if slug == "acme"),
        "{outside:?}"
    );
    let missing = ItemQuery { account: "initech", ..item };
    let unknown = store.monitor_item_events(&all, &Tracking::everything(), &missing);
    assert!(
        matches!(&unknown, Err(StoreError::UnknownAccount { slug }) if slug == "initech"),
        "{unknown:?}"
    );
}
