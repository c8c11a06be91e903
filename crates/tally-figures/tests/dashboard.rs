//! Every dashboard widget on a hand-built account in Pacific/Auckland (UTC+13
//! until 2026-04-05 03:00 local, UTC+12 after), evaluated at
//! 2026-04-20T00:00:00Z = 2026-04-20 12:00 local. Each expected figure is
//! worked out by hand from the events below, with the arithmetic beside it.
//!
//! Users (all added 2026-02-01T00:00Z):
//! - u1 Ana: o1 member, teams [sre]
//! - u2 Ben: o1 member, teams [sre, web]; admin of o1 from 2026-04-10T00:00Z
//! - u3 Cy:  o2 admin, teams [web]
//! - u4 Dee: o1 member, no team, never active
//! - u5 Eve: o1 member, teams [sre]; removed 2026-04-05T00:00Z
//!
//! Several events sit either side of 2026-03-31T11:00:00Z, which is midnight
//! starting April 1 in Auckland but still March 31 in UTC.

use calamine::Reader;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use tally_access::{AccountUsage, Principal};
use tally_calendar::AccountCalendar;
use tally_events::{Limits, check_batch};
use tally_figures::dashboard::{DashboardQuery, Tab, Widget, WidgetTable, widget_table};
use tally_report::{Cell, Format, WriteOptions, write_table};
use tally_store::{NewAccount, Store, StoreOptions};

const AT: &str = "2026-04-20T00:00:00Z";

fn lifecycle() -> Vec<String> {
    let added = |id: &str, user: &str, name: &str, org: &str, role: &str, teams: &str| {
        format!(
            r#"{{"id":"{id}","kind":"user_added","at":"2026-02-01T00:00:00Z","user":"{user}","display_name":"{name}","organization":"{org}","role":"{role}","teams":{teams}}}"#
        )
    };
    vec![
        added("l1", "u1", "Ana", "o1", "member", r#"["sre"]"#),
        added("l2", "u2", "Ben", "o1", "member", r#"["sre","web"]"#),
        added("l3", "u3", "Cy", "o2", "admin", r#"["web"]"#),
        added("l4", "u4", "Dee", "o1", "member", "[]"),
        added("l5", "u5", "Eve", "o1", "member", r#"["sre"]"#),
        r#"{"id":"l6","kind":"user_removed","at":"2026-04-05T00:00:00Z","user":"u5"}"#.into(),
    ]
}

/// u2's promotion, kept apart to be sent late.
fn promotion() -> String {
    r#"{"id":"l7","kind":"user_role_changed","at":"2026-04-10T00:00:00Z","user":"u2","organization":"o1","role":"admin"}"#.into()
}

fn activity() -> Vec<String> {
    let login = |id: &str, user: &str, org: &str, at: &str| {
        format!(
            r#"{{"id":"{id}","kind":"login","at":"{at}","user":"{user}","organization":"{org}"}}"#
        )
    };
    let visit = |id: &str, user: &str, org: &str, page: &str, at: &str| {
        format!(
            r#"{{"id":"{id}","kind":"page_visit","at":"{at}","user":"{user}","organization":"{org}","page":"{page}"}}"#
        )
    };
    let ai = |id: &str, user: &str, source: Option<&str>, at: &str| {
        let source = source.map(|s| format!(r#","source":"{s}""#)).unwrap_or_default();
        format!(r#"{{"id":"{id}","kind":"ai_invocation","at":"{at}","user":"{user}"{source}}}"#)
    };
    let mcp = |id: &str, user: &str, tool: &str, extra: &str, at: &str| {
        format!(
            r#"{{"id":"{id}","kind":"mcp_call","at":"{at}","user":"{user}","tool":"{tool}"{extra}}}"#
        )
    };
    let entity = |id: &str, org: &str, blueprint: &str, entity: &str, op: &str, at: &str| {
        format!(
            r#"{{"id":"{id}","kind":"entity_change","at":"{at}","organization":"{org}","blueprint":"{blueprint}","entity":"{entity}","operation":"{op}"}}"#
        )
    };
    let source = |id: &str, ds: &str, kind: &str, name: &str, op: &str, at: &str| {
        format!(
            r#"{{"id":"{id}","kind":"data_source_change","at":"{at}","organization":"o1","data_source":"{ds}","data_source_type":"{kind}","name":"{name}","operation":"{op}"}}"#
        )
    };
    let action = |id: &str,
                  org: &str,
                  action: &str,
                  run: &str,
                  trigger: &str,
                  status: &str,
                  user: &str,
                  at: &str| {
        format!(
            r#"{{"id":"{id}","kind":"action_run","at":"{at}","organization":"{org}","action":"{action}","run_id":"{run}","trigger":"{trigger}","status":"{status}","user":"{user}"}}"#
        )
    };
    let automation = |id: &str, org: &str, automation: &str, run: &str, status: &str, at: &str| {
        format!(
            r#"{{"id":"{id}","kind":"automation_run","at":"{at}","organization":"{org}","automation":"{automation}","run_id":"{run}","status":"{status}"}}"#
        )
    };
    vec![
        // Logins (local dates: +13 before April 5, +12 after).
        login("g1", "u1", "o1", "2026-04-15T01:00:00Z"), // Apr 15
        login("g2", "u1", "o1", "2026-04-16T01:00:00Z"), // Apr 16
        login("g3", "u2", "o1", "2026-04-18T01:00:00Z"), // Apr 18
        login("g4", "u3", "o2", "2026-04-19T01:00:00Z"), // Sunday Apr 19
        login("g5", "u3", "o2", "2026-03-25T01:00:00Z"), // Wednesday Mar 25
        login("g6", "u5", "o1", "2026-04-02T01:00:00Z"), // Apr 2
        login("g7", "u3", "o2", "2026-04-01T01:00:00Z"), // Wednesday Apr 1
        // Page visits.
        visit("p1", "u1", "o1", "/home", "2026-03-31T10:59:59Z"), // Mar 31 23:59:59
        visit("p2", "u1", "o1", "/home", "2026-03-31T11:00:00Z"), // Apr 1 00:00
        visit("p3", "u2", "o1", "/home", "2026-04-09T01:00:00Z"), // u2 a member still
        visit("p4", "u2", "o1", "/builder", "2026-04-11T01:00:00Z"), // u2 an admin
        visit("p5", "u3", "o2", "/builder", "2026-04-12T01:00:00Z"),
        visit("p6", "u1", "o1", "/catalog", "2026-04-12T02:00:00Z"),
        // AI and MCP.
        ai("a1", "u1", Some("AI assistant"), "2026-03-31T10:59:59Z"), // March
        ai("a2", "u1", None, "2026-03-31T11:00:00Z"),                 // April, "Other"
        ai("a3", "u3", Some("AI assistant"), "2026-04-19T01:00:00Z"),
        ai("a4", "u2", Some("Agent widget"), "2026-02-15T01:00:00Z"), // the first AI data
        mcp(
            "m1",
            "u1",
            "list_entities",
            r#","status":"success","duration_ms":100"#,
            "2026-04-15T02:00:00Z",
        ),
        mcp(
            "m2",
            "u1",
            "list_entities",
            r#","status":"failure","error":"timeout","duration_ms":900"#,
            "2026-04-15T03:00:00Z",
        ),
        mcp("m3", "u3", "get_entity", "", "2026-04-16T01:00:00Z"),
        mcp(
            "m4",
            "u1",
            "list_entities",
            r#","status":"success","duration_ms":120"#,
            "2026-03-10T01:00:00Z",
        ),
        // Entities: svc-a exists in both o1 and o2, and they are two entities.
        entity("e1", "o1", "service", "svc-a", "create", "2026-03-05T01:00:00Z"),
        entity("e2", "o1", "service", "svc-b", "create", "2026-03-06T01:00:00Z"),
        entity("e3", "o2", "service", "svc-a", "create", "2026-03-07T01:00:00Z"),
        entity("e4", "o1", "team-bp", "t1", "create", "2026-04-02T01:00:00Z"),
        entity("e5", "o1", "service", "svc-b", "delete", "2026-04-03T01:00:00Z"),
        entity("e6", "o1", "service", "svc-a", "create", "2026-04-04T01:00:00Z"), // already there
        entity("e7", "o1", "service", "svc-a", "update", "2026-04-05T01:00:00Z"),
        entity("e8", "o1", "service", "svc-c", "create", "2026-03-31T11:00:00Z"), // April 1
        // Data sources.
        source("d1", "ds-gh", "github", "GitHub", "create", "2026-03-01T01:00:00Z"),
        source("d2", "ds-pd", "pagerduty", "PagerDuty", "create", "2026-04-02T01:00:00Z"),
        source("d3", "ds-pd", "pagerduty", "PagerDuty", "delete", "2026-04-10T01:00:00Z"),
        source("d4", "ds-gh", "github", "GitHub (main)", "update", "2026-04-12T01:00:00Z"),
        // Runs: r1 reports two states and counts once.
        action("r1", "o1", "deploy", "run-1", "ui", "in_progress", "u2", "2026-04-09T01:00:00Z"),
        action("r2", "o1", "deploy", "run-1", "ui", "success", "u2", "2026-04-09T01:05:00Z"),
        action("r3", "o1", "deploy", "run-2", "api", "success", "u2", "2026-04-11T01:00:00Z"),
        action("r4", "o2", "scale", "run-3", "api", "in_progress", "u3", "2026-04-12T01:00:00Z"),
        action("r5", "o1", "deploy", "run-4", "ui", "success", "u1", "2026-03-31T10:00:00Z"),
        automation("r6", "o1", "nightly", "auto-1", "in_progress", "2026-04-13T01:00:00Z"),
        automation("r7", "o1", "nightly", "auto-1", "success", "2026-04-13T01:10:00Z"),
        automation("r8", "o2", "cleanup", "auto-2", "failure", "2026-02-10T01:00:00Z"),
    ]
}

struct Fixture {
    dir: tempfile::TempDir,
    store: Store,
    usage: AccountUsage,
}

/// A store holding the account, fed `batches` in order, the dashboard
/// brought up to date after each.
fn fixture(batches: &[Vec<String>]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        Store::open(&dir.path().join("tally.sqlite"), &StoreOptions::default()).unwrap();
    let (account, _) = store
        .create_account(&NewAccount {
            slug: "kiwi".into(),
            name: "Kiwi Ltd".into(),
            calendar: AccountCalendar {
                time_zone: chrono_tz::Pacific::Auckland,
                week_start: chrono::Weekday::Mon,
            },
            terms: vec!["2026-01-01..2027-01-01".parse().unwrap()],
        })
        .unwrap();
    for batch in batches {
        let checked = check_batch(batch.join("\n").as_bytes(), &Limits::default()).unwrap();
        assert_eq!(checked.rejections, vec![]);
        store.append(account.id, &checked.events).unwrap();
        store.update_dashboard("kiwi", 7).unwrap();
        store.update_seats("kiwi").unwrap();
    }
    let usage = Principal::Administrator { account: "kiwi".into(), server_management_read: false }
        .read_usage("kiwi")
        .unwrap();
    Fixture { dir, store, usage }
}

fn everything() -> Fixture {
    let mut events = lifecycle();
    events.push(promotion());
    events.extend(activity());
    fixture(&[events])
}

fn query() -> DashboardQuery {
    DashboardQuery::new(AT.parse().unwrap(), None, None, None, None).unwrap()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// A cell as a person would read it, for comparing with figures by hand.
fn shown(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) => text.clone(),
        Cell::Integer(value) => value.to_string(),
        Cell::Decimal(value) | Cell::Percent(value) => format!("{value:.2}"),
        Cell::Percentage(value) => format!("{value:.2}%"),
        Cell::Date(date) => date.to_string(),
        Cell::DateTime(at) => at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    }
}

fn rows(answer: &WidgetTable) -> Vec<Vec<String>> {
    answer.table.rows.iter().map(|row| row.iter().map(shown).collect()).collect()
}

fn widget(fixture: &Fixture, widget: Widget, query: &DashboardQuery) -> WidgetTable {
    widget_table(&fixture.store, &fixture.usage, widget, query).unwrap()
}

fn table(fixture: &Fixture, which: Widget, query: &DashboardQuery) -> Vec<Vec<String>> {
    rows(&widget(fixture, which, query))
}

macro_rules! r {
    ($($cell:expr),* $(,)?) => { vec![$($cell.to_string()),*] };
}

#[test]
fn users_activity_widgets() {
    let f = everything();
    let q = query();

    // Seats: u3 logs in on Wed Mar 25, Wed Apr 1 and Sun Apr 19 (local), three
    // Monday weeks, so becomes active at g4; nobody else has three weeks.
    assert_eq!(
        table(&f, Widget::MonthlyActiveSeats, &q),
        vec![
            r!["2026-01", 0, 0, ""],
            r!["2026-02", 0, 0, ""],
            r!["2026-03", 0, 0, ""],
            r!["2026-04", 1, 1, ""],
        ]
    );
    let activated = table(&f, Widget::ActivatedSeats, &q);
    assert_eq!(activated.len(), 1);
    assert_eq!(activated[0][0], "u3");

    // This month: April 1 to 20 (p1 and g5 are March). sre: u1 g1 g2 p2 p6
    // (2 logins, 2 visits), u2 g3 p3 p4 (1, 2), u5 g6 (1, 0): 4 + 4 = 8 over 2
    // members at the end (u5 was removed) = 4. web: u2 (1, 2), u3 g4 g7 p5
    // (2, 1): 3 + 3 = 6 over u2 and u3 = 3.
    assert_eq!(
        table(&f, Widget::MostEngagedTeams, &q),
        vec![r!["sre", 2, 4, 4, "4.00"], r!["web", 2, 3, 3, "3.00"]]
    );
    assert_eq!(
        table(&f, Widget::LeastEngagedTeams, &q),
        vec![r!["web", 2, 3, 3, "3.00"], r!["sre", 2, 4, 4, "4.00"]]
    );
    let mut web = query();
    web.team = Some("web".into());
    assert_eq!(table(&f, Widget::MostEngagedTeams, &web), vec![r!["web", 2, 3, 3, "3.00"]]);

    // Members at the end: u1..u4. u4 0; u2 g3 p3 p4 = 3; u3 g4 g7 p5 = 3 (a
    // tie, by user id); u1 g1 g2 p2 p6 = 4.
    assert_eq!(
        table(&f, Widget::LeastEngagedUsers, &q),
        vec![
            r!["u4", "Dee", "", "member", "", 0, 0, 0, ""],
            r!["u2", "Ben", "", "admin", "sre; web", 1, 2, 3, "2026-04-18T01:00:00Z"],
            r!["u3", "Cy", "", "admin", "web", 2, 1, 3, "2026-04-19T01:00:00Z"],
            r!["u1", "Ana", "", "member", "sre", 2, 2, 4, "2026-04-16T01:00:00Z"],
        ]
    );
    // Of web's members (u2, u3) only.
    let web_users: Vec<String> =
        table(&f, Widget::LeastEngagedUsers, &web).into_iter().map(|row| row[0].clone()).collect();
    assert_eq!(web_users, ["u2", "u3"]);
    // In o2 only u3 did anything: g4 g7 p5 = 3; ties at 0 by user id.
    let mut o2 = query();
    o2.organization = Some("o2".into());
    let in_o2: Vec<(String, String)> = table(&f, Widget::LeastEngagedUsers, &o2)
        .into_iter()
        .map(|row| (row[0].clone(), row[7].clone()))
        .collect();
    assert_eq!(
        in_o2,
        [("u1", "0"), ("u2", "0"), ("u4", "0"), ("u3", "3")].map(|(u, n)| (u.into(), n.into()))
    );

    // 7 days: Apr 14 to Apr 20: g1 g2 (u1), g3 (u2), g4 (u3).
    assert_eq!(
        table(&f, Widget::LatestLogins, &q),
        vec![
            r!["u3", "2026-04-19T01:00:00Z", 1],
            r!["u2", "2026-04-18T01:00:00Z", 1],
            r!["u1", "2026-04-16T01:00:00Z", 2],
        ]
    );

    // April (Apr 1 to Apr 20); p1 is March 31 locally. Members: p2 and p6
    // (u1), p3 (u2 before the promotion). Admins: p4 (u2 after), p5 (u3).
    assert_eq!(table(&f, Widget::PopularPagesMembers, &q), vec![r!["/home", 2], r!["/catalog", 1]]);
    assert_eq!(table(&f, Widget::PopularPagesAdmins, &q), vec![r!["/builder", 2]]);
    // Under a team filter, visits of users while in it: web's are u2's (p3
    // as a member, p4 as an admin) and u3's (p5, an admin).
    assert_eq!(table(&f, Widget::PopularPagesMembers, &web), vec![r!["/home", 1]]);
    assert_eq!(table(&f, Widget::PopularPagesAdmins, &web), vec![r!["/builder", 2]]);

    // One row per day of April up to the 20th: p2 on the 1st, p3 on the 9th,
    // p6 on the 12th; 3 in all.
    let members = table(&f, Widget::MemberPageVisits, &q);
    assert_eq!(members.len(), 20);
    let nonzero: Vec<_> = members.iter().filter(|row| row[1] != "0").cloned().collect();
    assert_eq!(nonzero, vec![r!["2026-04-01", 1], r!["2026-04-09", 1], r!["2026-04-12", 1]]);
    let admins = table(&f, Widget::AdminPageVisits, &q);
    let nonzero: Vec<_> = admins.iter().filter(|row| row[1] != "0").cloned().collect();
    assert_eq!(nonzero, vec![r!["2026-04-11", 1], r!["2026-04-12", 1]]);
}

#[test]
fn a_floor_leaves_out_the_days_before_the_first_data_rather_than_showing_zeros() {
    let f = everything();
    // March 25 to April 3: page visits start with p1 on March 31 (local).
    let mut range = query();
    range.from = Some(day("2026-03-25"));
    range.to = Some(day("2026-04-03"));
    let answer = widget(&f, Widget::MemberPageVisits, &range);
    let days: Vec<String> = rows(&answer).into_iter().map(|row| row[0].clone()).collect();
    assert_eq!(days, ["2026-03-31", "2026-04-01", "2026-04-02", "2026-04-03"]);
    assert_eq!(answer.available_from, Some("2026-03-31T10:59:59Z".parse().unwrap()));
    assert_eq!(answer.notes, ["no data before 2026-03-31"]);
}

#[test]
fn ai_and_mcp_widgets() {
    let f = everything();
    let q = query();
    // From the floor (a4, Feb 15) to April: Feb a4; Mar a1 (Mar 31 local);
    // Apr a2 (Apr 1 local) and a3. In UTC a2 would be March.
    let monthly = widget(&f, Widget::MonthlyAiInteractions, &q);
    assert_eq!(rows(&monthly), vec![r!["2026-02", 1], r!["2026-03", 1], r!["2026-04", 2]]);
    assert_eq!(monthly.notes, ["no data before 2026-02-15"]);
    // m4 in March; m1 m2 m3 in April, m2 failed.
    assert_eq!(
        table(&f, Widget::MonthlyMcpCalls, &q),
        vec![r!["2026-03", 1, 0], r!["2026-04", 3, 1]]
    );
    // This month (April 1 to 20): a3 "AI assistant", a2 without a source
    // (a1 is March 31 locally): 1 of 2 each, "Other" last.
    assert_eq!(
        table(&f, Widget::AiBySource, &q),
        vec![r!["AI assistant", 1, "50.00%"], r!["Other", 1, "50.00%"]]
    );
    // Over March 25 to April 20 instead: a1 joins "AI assistant", 2 of 3.
    let mut range = query();
    range.from = Some(day("2026-03-25"));
    assert_eq!(
        table(&f, Widget::AiBySource, &range),
        vec![r!["AI assistant", 2, "66.67%"], r!["Other", 1, "33.33%"]]
    );
    // u1: a2 + m1 m2 = 3, last m2; u3: a3 + m3 = 2, last a3.
    assert_eq!(
        table(&f, Widget::AiMcpByUser, &q),
        vec![r!["u1", 1, 2, "2026-04-15T03:00:00Z"], r!["u3", 1, 1, "2026-04-19T01:00:00Z"]]
    );
    // list_entities: m1 (100 ms), m2 (900 ms, failed). Nearest rank of 2
    // calls: p50 rank 1 = 100 ms, p90 and p99 rank 2 = 900 ms, each shown as
    // its bucket's bound. Bounds go 1, 2, 3, 4, 5, 6, then each the last
    // times 2^(1/4) rounded up: ... 83, 99, 118 (100 falls here), 141, 168,
    // 200, 238, 284, 338, 402, 479, 570, 678, 807, 960 (900 falls here).
    // get_entity: m3 with no duration, no percentiles.
    assert_eq!(
        table(&f, Widget::McpTools, &q),
        vec![
            r!["list_entities", 2, 1, "50.00%", 2, 118, 960, 960],
            r!["get_entity", 1, 0, "0.00%", 0, "", "", ""],
        ]
    );
}

#[test]
fn entity_and_data_source_widgets() {
    let f = everything();
    let q = query();
    // March: e1 e2 e3 created (svc-a in o1 and in o2 are two entities): 3.
    // April: e8 (Apr 1 local) and e4 created, e5 deletes svc-b, e6 creates
    // svc-a again while it lives (nothing), e7 updates (nothing): 3 + 2 - 1 = 4.
    assert_eq!(
        table(&f, Widget::MonthlyEntities, &q),
        vec![r!["2026-03", 3, 3, 0], r!["2026-04", 4, 2, 1]]
    );
    assert_eq!(table(&f, Widget::EntitiesTotal, &q), vec![r!["2026-04-20", 4]]);
    // service: svc-a (o1), svc-a (o2), svc-c = 3 of 4; team-bp: t1 = 1 of 4.
    assert_eq!(
        table(&f, Widget::EntitiesByBlueprint, &q),
        vec![r!["service", 3, "75.00%"], r!["team-bp", 1, "25.00%"]]
    );
    assert_eq!(
        table(&f, Widget::EntitiesByOrganization, &q),
        vec![
            r!["o1", "service", 2, 1, 1],
            r!["o1", "team-bp", 1, 1, 0],
            r!["o2", "service", 1, 0, 0]
        ]
    );
    let mut o2 = query();
    o2.organization = Some("o2".into());
    assert_eq!(table(&f, Widget::EntitiesTotal, &o2), vec![r!["2026-04-20", 1]]);
    // As of the end of March 31 (local): e8 is not there yet.
    let mut march = query();
    march.to = Some(day("2026-03-31"));
    assert_eq!(table(&f, Widget::EntitiesTotal, &march), vec![r!["2026-03-31", 3]]);

    // d1 in March; d2 and its deletion d3 in April; d4 renames d1.
    assert_eq!(
        table(&f, Widget::MonthlyDataSources, &q),
        vec![r!["2026-03", 1, 1, 0], r!["2026-04", 1, 1, 1]]
    );
    assert_eq!(table(&f, Widget::DataSourcesTotal, &q), vec![r!["2026-04-20", 1]]);
    assert_eq!(
        table(&f, Widget::DataSourcesLog, &q),
        vec![r!["github", "GitHub (main)", "o1", "ds-gh", "2026-03-01"]]
    );
    // Up to April 5, PagerDuty is still connected.
    let mut early = query();
    early.to = Some(day("2026-04-05"));
    assert_eq!(table(&f, Widget::DataSourcesTotal, &early), vec![r!["2026-04-05", 2]]);
}

#[test]
fn action_and_automation_widgets() {
    let f = everything();
    let q = query();
    // This year: run-2 and run-3 were started through the API; auto-1 and
    // auto-2 ran: 2 + 2 = 4.
    assert_eq!(table(&f, Widget::ApiAndAutomationTriggers, &q), vec![r![2, 2, 4]]);
    // auto-2 in February (o2), auto-1 in April (o1), counted once for its two states.
    assert_eq!(
        table(&f, Widget::MonthlyAutomationRuns, &q),
        vec![r!["2026-02", "o2", 1], r!["2026-04", "o1", 1]]
    );
    assert_eq!(
        table(&f, Widget::AutomationRuns, &q),
        vec![r![
            "auto-1",
            "nightly",
            "o1",
            "success",
            "2026-04-13T01:00:00Z",
            "2026-04-13T01:10:00Z",
            2
        ]]
    );
    // run-4 on March 31 (local); run-1 (two states) and run-2 in o1, run-3 in o2.
    assert_eq!(
        table(&f, Widget::MonthlyActionRuns, &q),
        vec![r!["2026-03", "o1", 1], r!["2026-04", "o1", 2], r!["2026-04", "o2", 1]]
    );
    assert_eq!(table(&f, Widget::TopActions, &q), vec![r!["deploy", 2], r!["scale", 1]]);
    assert_eq!(table(&f, Widget::ActionsByOrganization, &q), vec![r!["o1", 3], r!["o2", 1]]);
    assert_eq!(table(&f, Widget::ActionsByUser, &q), vec![r!["u2", 2], r!["u1", 1], r!["u3", 1]]);
    // At their starts: run-4 u1 member; run-1 u2 member (before April 10);
    // run-2 u2 admin; run-3 u3 admin of o2.
    assert_eq!(table(&f, Widget::ActionsByRole, &q), vec![r!["admin", 2], r!["member", 2]]);
    // sre: run-4 (u1), run-1, run-2 (u2) = 3; web: run-1, run-2 (u2), run-3 (u3) = 3.
    assert_eq!(table(&f, Widget::ActionsByTeam, &q), vec![r!["sre", 3], r!["web", 3]]);

    // A team filter: automation runs have no user, so none; action runs of
    // users while in web: run-1, run-2 (o1) and run-3 (o2), all in April.
    let mut web = query();
    web.team = Some("web".into());
    let automations = widget(&f, Widget::MonthlyAutomationRuns, &web);
    assert_eq!(automations.table.rows.len(), 0);
    // The twelve months start in May 2025; the first automation ran on
    // February 10 (local), so the months before it are left out too.
    assert_eq!(
        automations.notes,
        [
            "no data before 2026-02-10",
            "automation runs are started by no user and so belong to no team, so the team \
             filter (web) leaves none",
        ]
    );
    assert_eq!(
        table(&f, Widget::MonthlyActionRuns, &web),
        vec![r!["2026-04", "o1", 2], r!["2026-04", "o2", 1]]
    );
    assert_eq!(table(&f, Widget::ApiAndAutomationTriggers, &web), vec![r![2, 0, 2]]);
}

#[test]
fn a_promotion_that_arrives_late_is_applied_to_what_was_counted_before_it() {
    // First everything but u2's promotion, then the promotion: p4 and run-2
    // (after April 10) must move from member to admin, as if sent in order.
    let mut first = lifecycle();
    first.extend(activity());
    let late = fixture(&[first, vec![promotion()]]);
    let in_order = everything();
    let q = query();
    for widget in Widget::ALL {
        assert_eq!(table(&late, *widget, &q), table(&in_order, *widget, &q), "{widget:?}");
    }
    assert_eq!(table(&late, Widget::PopularPagesAdmins, &q), vec![r!["/builder", 2]]);
}

#[test]
fn events_in_any_order_and_any_batches_give_the_same_widgets() {
    let mut all = lifecycle();
    all.push(promotion());
    all.extend(activity());
    all.reverse();
    let batches: Vec<Vec<String>> = all.chunks(5).map(<[String]>::to_vec).collect();
    let shuffled = fixture(&batches);
    let in_order = everything();
    let q = query();
    for widget in Widget::ALL {
        assert_eq!(table(&shuffled, *widget, &q), table(&in_order, *widget, &q), "{widget:?}");
    }
}

/// The sums the widgets read agree with the day rows they sum, per kind,
/// organization and role, over ranges read as whole months, as days, and as
/// both, after batches sent in reverse with a late promotion.
#[test]
fn the_sums_agree_with_the_day_rows_over_any_range() {
    let mut all = lifecycle();
    all.extend(activity());
    all.reverse();
    let mut batches: Vec<Vec<String>> = all.chunks(4).map(<[String]>::to_vec).collect();
    batches.push(vec![promotion()]);
    let f = fixture(&batches);
    for (first, last) in [
        ("2026-01-01", "2026-12-31"),
        ("2026-03-15", "2026-04-20"),
        ("2026-04-01", "2026-04-30"),
        ("2026-03-31", "2026-03-31"),
    ] {
        let filter = tally_store::ActivityFilter {
            kinds: tally_store::ACTIVITY_KINDS.to_vec(),
            days: tally_store::DayRange { first: day(first), last: day(last) },
            organization: None,
            team: None,
            role: None,
            subject: None,
            user: None,
        };
        type Key = (tally_events::EventKind, Option<String>, Option<String>, Option<String>);
        let mut rows: BTreeMap<Key, (u64, u64)> = BTreeMap::new();
        f.store
            .for_each_activity(&f.usage, &filter, |row| {
                let role = row.role.map(|role| role.as_str().to_owned());
                let sum = rows.entry((row.kind, row.organization, row.subject, role)).or_default();
                sum.0 += row.events;
                sum.1 += row.failures;
            })
            .unwrap();
        for by_day in [false, true] {
            let mut sums: BTreeMap<Key, (u64, u64)> = BTreeMap::new();
            f.store
                .for_each_activity_sum(&f.usage, &filter, by_day, |row| {
                    let role = row.role.map(|role| role.as_str().to_owned());
                    let sum =
                        sums.entry((row.kind, row.organization, row.subject, role)).or_default();
                    sum.0 += row.events;
                    sum.1 += row.failures;
                })
                .unwrap();
            assert_eq!(sums, rows, "{first}..{last}, by day: {by_day}");
        }
        assert!(!rows.is_empty(), "{first}..{last} holds activity");
    }
}

#[test]
fn the_widgets_outlive_the_raw_events_they_were_counted_from() {
    let f = everything();
    let q = query();
    let before: Vec<_> = Widget::ALL.iter().map(|widget| table(&f, *widget, &q)).collect();
    // Every raw event removed behind the store's back, as a retention purge
    // would: the widgets read only the aggregates.
    let connection = rusqlite::Connection::open(f.dir.path().join("tally.sqlite")).unwrap();
    let removed = connection.execute("DELETE FROM events", []).unwrap();
    assert_eq!(removed, lifecycle().len() + 1 + activity().len());
    drop(connection);
    let after: Vec<_> = Widget::ALL.iter().map(|widget| table(&f, *widget, &q)).collect();
    assert_eq!(before, after);
}

#[test]
fn every_widget_exports_as_csv_json_and_xlsx_that_independent_readers_read_back() {
    let f = everything();
    let q = query();
    let dir = tempfile::tempdir().unwrap();
    let options = WriteOptions::new(chrono_tz::Pacific::Auckland);
    for tab in Tab::ALL {
        for which in tab.widgets() {
            let answer = widget(&f, *which, &q);
            let names: Vec<&str> =
                answer.table.header.columns.iter().map(|column| column.name.as_str()).collect();

            let mut csv_bytes = Vec::new();
            write_table(Format::Csv, &answer.table, &options, &mut csv_bytes).unwrap();
            let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
            assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), names, "{which:?}");
            let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
            assert_eq!(records.len(), answer.table.rows.len(), "{which:?} csv");

            let mut json_bytes = Vec::new();
            write_table(Format::Json, &answer.table, &options, &mut json_bytes).unwrap();
            let json: serde_json::Value = serde_json::from_slice(&json_bytes).unwrap();
            let json_rows = json["rows"].as_array().unwrap();
            assert_eq!(json_rows.len(), answer.table.rows.len(), "{which:?} json");

            let path = dir.path().join(format!("{}.xlsx", which.name()));
            let mut file = std::fs::File::create(&path).unwrap();
            write_table(Format::Xlsx, &answer.table, &options, &mut file).unwrap();
            drop(file);
            let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
            let first = workbook.sheet_names()[0].clone();
            let sheet = workbook.worksheet_range(&first).unwrap();
            // The table ends at the first empty row: a chart in long form is
            // drawn from a block under it (docs/reports.md).
            let table_height = sheet
                .rows()
                .position(|row| row.iter().all(|cell| *cell == calamine::Data::Empty))
                .unwrap_or(sheet.height());
            assert_eq!(table_height, answer.table.rows.len() + 1, "{which:?} xlsx");

            // Each integer cell reads back the same in all three.
            for (index, row) in answer.table.rows.iter().enumerate() {
                for (column, cell) in row.iter().enumerate() {
                    if let Cell::Integer(value) = cell {
                        assert_eq!(records[index][column], value.to_string(), "{which:?}");
                        assert_eq!(json_rows[index][names[column]], serde_json::json!(value));
                        let read = sheet.get((index + 1, column)).unwrap();
                        assert_eq!(read.to_string(), value.to_string(), "{which:?}");
                    }
                }
            }
        }
    }
}

#[test]
fn an_account_without_events_has_empty_widgets_that_say_so() {
    let f = fixture(&[]);
    let q = query();
    let answer = widget(&f, Widget::MonthlyEntities, &q);
    assert_eq!(answer.table.rows.len(), 0);
    assert_eq!(answer.available_from, None);
    assert_eq!(answer.notes, ["no data yet"]);
    let total = table(&f, Widget::EntitiesTotal, &q);
    assert_eq!(total, vec![r!["2026-04-20", 0]]);
}
