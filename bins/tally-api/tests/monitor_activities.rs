//! The usage monitor's Activities over real HTTP: periods at exact day
//! boundaries of a zone far from UTC, changes and `new`, the list in every
//! format, staff scope, and tracking changes taking effect and recorded in
//! the deployment's audit chain.

use std::path::Path;

use serde_json::{Value, json};
use tally_events::{Limits, check_batch};
use tally_store::{Store, StoreOptions};

use crate::common::*;

/// Yesterday in Kathmandu (+05:45) as of 2026-03-10T00:00Z (05:45 on 03-10
/// there): 03-09, from 03-08T18:15Z to 03-09T18:15Z; the day before, 03-08,
/// from 03-07T18:15Z.
const YESTERDAY: &str = "period=yesterday&zone=Asia/Kathmandu&at=2026-03-10T00:00:00Z";

fn activity(id: &str, at: &str, module: &str, action: &str, secs: u32) -> String {
    format!(
        r#"{{"id":"{id}","kind":"activity","at":"{at}","user":"u-1","module":"{module}","action":"{action}","time_spent_secs":{secs}}}"#
    )
}

fn append(store: &mut Store, slug: &str, lines: &[String]) {
    let account = store.account(slug).unwrap();
    let batch = check_batch(lines.join("\n").as_bytes(), &Limits::default()).unwrap();
    assert!(batch.rejections.is_empty(), "{:?}", batch.rejections);
    store.append(account.id, &batch.events).unwrap();
}

/// The fixture's accounts with activity events around yesterday's edges; the
/// first ones are summed into the kept quarters, the rest are not yet, so that
/// every read adds the events stored since.
fn with_activities(db: &Path) {
    let mut store = Store::open(db, &StoreOptions::default()).unwrap();
    append(
        &mut store,
        "acme",
        &[
            // 00:00 on 03-09 in Kathmandu: yesterday's first instant.
            activity("m1", "2026-03-08T18:15:00Z", "Dashboard", "export", 60),
            // A microsecond before: the day before.
            activity("m2", "2026-03-08T18:14:59.999999Z", "Dashboard", "export", 30),
            activity("m5", "2026-03-09T06:00:00Z", "Dashboard", "view", 20),
            activity("m6", "2026-03-08T06:00:00Z", "Dashboard", "view", 10),
        ],
    );
    append(
        &mut store,
        "globex",
        &[activity("x1", "2026-03-09T06:00:00Z", "Ledger", "reconcile", 5000)],
    );
    store.update_monitor("acme", 2).unwrap();
    store.update_monitor("globex", 2).unwrap();
    append(
        &mut store,
        "acme",
        &[
            // Yesterday's last instant, and today's first.
            activity("m3", "2026-03-09T18:14:59.999999Z", "Reports", "run", 100),
            activity("m4", "2026-03-09T18:15:00Z", "Reports", "run", 1000),
            activity("m7", "2026-03-08T07:00:00Z", "Dashboard", "view", 10),
            // 23:59:59 on 03-07 there: before both days.
            activity("m8", "2026-03-07T18:14:59Z", "Admin", "invite", 5000),
        ],
    );
}

fn item(
    kind: &str,
    module: &str,
    activity: Option<&str>,
    counts: (u64, u64),
    change: Value,
) -> Value {
    json!({
        "kind": kind,
        "module": module,
        "activity": activity,
        "actions": counts.0,
        "previous_actions": counts.1,
        "change_percent": change,
        "new": counts.1 == 0,
    })
}

#[test]
fn activities_compare_whole_days_of_the_viewers_zone_to_the_microsecond() {
    let fixture = fixture();
    with_activities(&fixture.db);
    let api = Api::start(&fixture.db);
    let answer =
        api.get(&format!("/v1/monitor/activities?{YESTERDAY}"), Some(&fixture.tokens.acme_staff));
    assert_eq!(answer.status, 200, "{}", answer.text());
    let summary = answer.json();
    assert_eq!(summary["period"], "yesterday");
    assert_eq!(summary["zone"], "Asia/Kathmandu");
    assert_eq!(
        summary["current"],
        json!({"first_day": "2026-03-09", "last_day": "2026-03-09",
               "from": "2026-03-08T18:15:00Z", "to": "2026-03-09T18:15:00Z"})
    );
    assert_eq!(
        summary["previous"],
        json!({"first_day": "2026-03-08", "last_day": "2026-03-08",
               "from": "2026-03-07T18:15:00Z", "to": "2026-03-08T18:15:00Z"})
    );
    // Yesterday: m1 (60 s), m5 (20 s), m3 (100 s): 3 actions, 180 s. The day
    // before: m2 (30 s), m6, m7 (10 s each): 3 actions, 50 s. m4 is today,
    // m8 before both, x1 globex's. (180 − 50) × 100 ÷ 50 = 260 %.
    assert_eq!(
        summary["time_spent_secs"],
        json!({"current": 180, "previous": 50, "change_percent": 260.0, "new": false})
    );
    assert_eq!(
        summary["actions"],
        json!({"current": 3, "previous": 3, "change_percent": 0.0, "new": false})
    );
    // Three activities with one action each: by module, then activity.
    assert_eq!(
        summary["top_activities"],
        json!([
            item("activity", "Dashboard", Some("export"), (1, 1), json!(0.0)),
            // (1 − 2) × 100 ÷ 2 = −50 %.
            item("activity", "Dashboard", Some("view"), (1, 2), json!(-50.0)),
            item("activity", "Reports", Some("run"), (1, 0), Value::Null),
        ])
    );
    // Dashboard: 2 after 3, (2 − 3) × 100 ÷ 3 = −33.33… %; Reports new.
    assert_eq!(
        summary["top_modules"],
        json!([
            item("module", "Dashboard", None, (2, 3), json!(-100.0 / 3.0)),
            item("module", "Reports", None, (1, 0), Value::Null),
        ])
    );
    assert_eq!(
        summary["days"],
        json!([{"day": "2026-03-09", "actions": 3, "time_spent_secs": 180}])
    );

    // The same events, the last 7 days as of a date: 2026-03-10 is its first
    // instant in Kathmandu, so the period is 03-03..03-09 with everything but
    // m4 (today); the 7 days before hold nothing, so all is new.
    let week = api
        .get(
            "/v1/monitor/activities?period=last-7-days&zone=Asia/Kathmandu&at=2026-03-10",
            Some(&fixture.tokens.acme_staff),
        )
        .json();
    assert_eq!(week["current"]["first_day"], "2026-03-03");
    // 60 + 30 + 20 + 10 + 100 + 10 + 5000 = 5230 s in 7 actions.
    assert_eq!(
        week["time_spent_secs"],
        json!({"current": 5230, "previous": 0, "change_percent": null, "new": true})
    );
    assert_eq!(week["days"].as_array().unwrap().len(), 7);
}

#[test]
fn the_list_answers_every_format_sorted_and_filtered_within_the_staff_scope() {
    let fixture = fixture();
    with_activities(&fixture.db);
    let api = Api::start(&fixture.db);
    let acme_staff = Some(fixture.tokens.acme_staff.as_str());
    let path = |query: &str| format!("/v1/monitor/activities/list?{YESTERDAY}{query}");

    let page = api.get(&path("&sort=module"), acme_staff);
    assert_eq!(page.status, 200, "{}", page.text());
    // Sorted by module, then the key: kind, module, activity.
    assert_eq!(
        page.json()["items"],
        json!([
            item("activity", "Dashboard", Some("export"), (1, 1), json!(0.0)),
            item("activity", "Dashboard", Some("view"), (1, 2), json!(-50.0)),
            item("module", "Dashboard", None, (2, 3), json!(-100.0 / 3.0)),
            item("activity", "Reports", Some("run"), (1, 0), Value::Null),
            item("module", "Reports", None, (1, 0), Value::Null),
        ])
    );
    let csv = api.get(&path("&sort=module&format=csv"), acme_staff);
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert_eq!(
        csv.text(),
        "kind,module,activity,actions,previous_actions,change_percent,new\r\n\
         activity,Dashboard,export,1,1,0.00,no\r\n\
         activity,Dashboard,view,1,2,-50.00,no\r\n\
         module,Dashboard,,2,3,-33.33,no\r\n\
         activity,Reports,run,1,0,,yes\r\n\
         module,Reports,,1,0,,yes\r\n"
    );
    // Most actions first; the filter ignores case.
    let reports = api.get(&path("&name=REPORT&sort=-actions"), acme_staff).json();
    let names: Vec<(&str, &str)> = reports["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["kind"].as_str().unwrap(), row["module"].as_str().unwrap()))
        .collect();
    assert_eq!(names, [("module", "Reports"), ("activity", "Reports")]);
    let bad = api.get(&path("&name="), acme_staff);
    assert_eq!(bad.status, 400);

    // acme's staff never see globex's Ledger, in any format; globex's see
    // only it.
    for format in ["", "&format=json", "&format=csv"] {
        let text = api.get(&path(format), acme_staff).text();
        assert!(!text.contains("Ledger") && !text.contains("reconcile"), "{format}: {text}");
    }
    let summary = api.get(&format!("/v1/monitor/activities?{YESTERDAY}"), acme_staff).text();
    assert!(!summary.contains("Ledger"), "{summary}");
    let xlsx = api.get(&path("&format=xlsx"), acme_staff);
    let mut workbook: calamine::Xlsx<_> =
        calamine::Reader::new(std::io::Cursor::new(xlsx.bytes.clone())).unwrap();
    let sheet = calamine::Reader::worksheet_range_at(&mut workbook, 0).unwrap().unwrap();
    // A header and five rows, none of globex's.
    assert_eq!(sheet.height(), 6);
    assert!(sheet.cells().all(|(_, _, cell)| *cell != "Ledger"));
    let globex = api.get(&path("&sort=kind"), Some(&fixture.tokens.globex_staff)).json();
    assert_eq!(
        globex["items"],
        json!([
            item("activity", "Ledger", Some("reconcile"), (1, 0), Value::Null),
            item("module", "Ledger", None, (1, 0), Value::Null),
        ])
    );
}

#[test]
fn bad_periods_zones_and_instants_are_refused_by_name() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let staff = Some(fixture.tokens.acme_staff.as_str());
    for (query, parameter, says) in [
        ("period=last-8-days", "period", "last-90-days"),
        ("zone=Mars/Olympus", "zone", "IANA"),
        ("at=2026-13-01", "at", "RFC 3339"),
    ] {
        let answer = api.get(&format!("/v1/monitor/activities?{query}"), staff);
        assert_eq!(answer.status, 400, "{query}: {}", answer.text());
        let problem = answer.json();
        assert!(problem["detail"].as_str().unwrap().contains(parameter), "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains(says), "{problem}");
    }
}

#[test]
fn a_tracking_change_takes_effect_at_once_and_is_recorded_in_the_deployment_chain() {
    let fixture = fixture();
    with_activities(&fixture.db);
    let api = Api::start(&fixture.db);
    let admin = Some(fixture.tokens.acme_staff_admin.as_str());
    let summary = || {
        api.get(&format!("/v1/monitor/activities?{YESTERDAY}"), Some(&fixture.tokens.acme_staff))
            .json()
    };
    let changes = api.get("/v1/monitor/tracking/changes", admin).json();
    assert_eq!(changes["changes"], json!([]));
    assert_eq!(changes["intact"], true);

    let set = api.send(
        "PUT",
        "/v1/monitor/tracking",
        admin,
        Some(r#"{"tracked":[{"module":"Reports"}]}"#),
        &[],
    );
    assert_eq!(set.status, 200, "{}", set.text());
    // Only Reports now: m3 yesterday (100 s), nothing the day before.
    let reports = summary();
    assert_eq!(
        reports["time_spent_secs"],
        json!({"current": 100, "previous": 0, "change_percent": null, "new": true})
    );
    assert_eq!(
        reports["top_modules"],
        json!([item("module", "Reports", None, (1, 0), Value::Null)])
    );
    let list = api
        .get(&format!("/v1/monitor/activities/list?{YESTERDAY}"), Some(&fixture.tokens.acme_staff))
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");

    // Tracking everything again brings Dashboard back.
    let all = api.send("PUT", "/v1/monitor/tracking", admin, Some(r#"{"tracked":[]}"#), &[]);
    assert_eq!(all.status, 200, "{}", all.text());
    assert_eq!(summary()["time_spent_secs"]["current"], 180);

    // Both changes, newest first, by the staff team through the admin's token
    // (its id is the 12 digits after `tally_at_`).
    let token_id = &fixture.tokens.acme_staff_admin["tally_at_".len().."tally_at_".len() + 12];
    let changes = api.get("/v1/monitor/tracking/changes", admin).json();
    assert_eq!(changes["chain"], "_deployment");
    assert_eq!(changes["intact"], true);
    let reports_list = json!({"tracked": [{"module": "Reports", "activity": null}]});
    let recorded: Vec<(u64, &str, &str, Value, Value)> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            (
                change["seq"].as_u64().unwrap(),
                change["source"].as_str().unwrap(),
                change["token"].as_str().unwrap(),
                change["before"].clone(),
                change["after"].clone(),
            )
        })
        .collect();
    assert_eq!(
        recorded,
        [
            (2, "staff team acme-care", token_id, reports_list.clone(), json!({"tracked": []})),
            (1, "staff team acme-care", token_id, json!({"tracked": []}), reports_list),
        ]
    );
    // Plain staff may not read them; customers never see them in their log.
    let staff = api.get("/v1/monitor/tracking/changes", Some(&fixture.tokens.acme_staff));
    assert_eq!(staff.status, 403);
    let acme_log = api
        .get("/v1/accounts/acme/audit?limit=1000", Some(&fixture.tokens.acme_administrator))
        .text();
    assert!(!acme_log.contains("monitor_tracking"), "{acme_log}");
    drop(api);

    // The chain verifies offline like any other, with the daemon's key.
    let key = tally_audit::load_or_create_key(&tally_audit::key_file_for(&fixture.db)).unwrap();
    let log =
        tally_audit::AuditStore::open(&fixture.db, &tally_audit::AuditOptions::new(key)).unwrap();
    let report = log.verify(tally_store::DEPLOYMENT_AUDIT_CHAIN, None).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.entries, 2);
    assert_eq!(changes["head"], report.head.to_string());
}

/// A change the audit log refuses to record is not made: here the deployment
/// chain's head seal was overwritten, so appending would hide it and is refused.
#[test]
fn a_tracking_change_that_cannot_be_recorded_is_undone() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let admin = Some(fixture.tokens.acme_staff_admin.as_str());
    let reports = r#"{"tracked":[{"module":"Reports"}]}"#;
    assert_eq!(api.send("PUT", "/v1/monitor/tracking", admin, Some(reports), &[]).status, 200);
    let connection = rusqlite::Connection::open(&fixture.db).unwrap();
    let altered = connection
        .execute(
            "UPDATE audit_accounts SET head_seal = zeroblob(32) WHERE account = '_deployment'",
            [],
        )
        .unwrap();
    assert_eq!(altered, 1);
    drop(connection);

    let refused = api.send("PUT", "/v1/monitor/tracking", admin, Some(r#"{"tracked":[]}"#), &[]);
    assert_eq!(refused.status, 500, "{}", refused.text());
    let kept = api.get("/v1/monitor/tracking", admin).json();
    assert_eq!(kept, json!({"tracked": [{"module": "Reports", "activity": null}]}));
    // The chain no longer verifies, and says so.
    assert_eq!(api.get("/v1/monitor/tracking/changes", admin).json()["intact"], false);
}
