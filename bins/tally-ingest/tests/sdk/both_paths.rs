//! One fixture, both paths: the same logins, page visits and activities sent
//! natively (`POST /v1/batch`, Bearer, NDJSON) to one account and with
//! Segment's Python SDK to another of the same calendar give the same seat
//! figures and the same monitor figures.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use tally_access::{MonitorView, Principal, StaffScope};
use tally_monitor::{Live, MonitorSettings, TodayCounts, Tracking};
use tally_store::{Quarter, Store, StoreOptions};

use super::{Body, Sender, assert_sent, timestamp};
use crate::common::*;

/// Each user's logins in 2026 (UTC, as the accounts' calendar), each followed
/// two minutes later by a page visit. Weeks start on Monday; the Wednesdays
/// used are 4, 11, 18 and 25 February, 4, 11 and 25 March, 1, 8 and 15 April.
const LOGINS: &[(&str, &[&str])] = &[
    // Logins in 3 weeks by 18 February (ana twice on the 4th): seats from February.
    ("ana", &["02-04T10:00", "02-04T14:00", "02-11T10:00", "02-18T10:00"]),
    ("ben", &["02-04T10:00", "02-11T10:00", "02-18T10:00"]),
    ("cem", &["02-04T10:00", "02-11T10:00", "02-18T10:00"]),
    ("dia", &["02-04T10:00", "02-11T10:00", "02-18T10:00"]),
    // The third week on 11 March: seats from March.
    ("eli", &["02-25T10:00", "03-04T10:00", "03-11T10:00"]),
    ("fay", &["02-25T10:00", "03-04T10:00", "03-11T10:00"]),
    ("gus", &["02-25T10:00", "03-04T10:00", "03-11T10:00"]),
    // The third week on 8 April: a seat from April; on 15 April too.
    ("hal", &["03-25T10:00", "04-01T10:00", "04-08T10:00", "04-15T10:00"]),
    // Three logins, Monday 2 to Wednesday 4 March, all in one week: no seat.
    ("ivy", &["03-02T10:00", "03-03T10:00", "03-04T10:00"]),
    // Two weeks: no seat.
    ("jon", &["04-08T09:50", "04-15T09:50"]),
];

/// Activities on 15 April, the day the monitor is read: user, instant,
/// module, action and seconds spent.
const ACTIVITIES: &[(&str, &str, &str, &str, u32)] = &[
    ("jon", "04-15T09:55", "Catalog", "Search", 30),
    ("hal", "04-15T10:05", "Dashboard", "Export Report", 90),
    ("hal", "04-15T10:07", "Dashboard", "Export Report", 60),
];

/// What the fixture holds of one event.
enum What {
    Login,
    PageVisit { page: &'static str },
    Activity { module: &'static str, action: &'static str, time_spent_secs: u32 },
}

struct FixtureEvent {
    id: String,
    user: &'static str,
    at: DateTime<Utc>,
    what: What,
}

fn at(month_day_time: &str) -> DateTime<Utc> {
    format!("2026-{month_day_time}:00Z").parse().unwrap()
}

/// 31 logins, 31 page visits and 3 activities: 65 events.
fn fixture() -> Vec<FixtureEvent> {
    let mut events = Vec::new();
    for &(user, logins) in LOGINS {
        for (n, &login) in logins.iter().enumerate() {
            events.push((user, at(login), What::Login));
            let page = if n % 2 == 0 { "/dashboard" } else { "/catalog" };
            events.push((user, at(login) + TimeDelta::minutes(2), What::PageVisit { page }));
        }
    }
    for &(user, instant, module, action, time_spent_secs) in ACTIVITIES {
        events.push((user, at(instant), What::Activity { module, action, time_spent_secs }));
    }
    events
        .into_iter()
        .enumerate()
        .map(|(n, (user, at, what))| FixtureEvent { id: format!("fx-{n:03}"), user, at, what })
        .collect()
}

/// The fixture in Tally's own format, one event a line.
fn native_batch(events: &[FixtureEvent]) -> String {
    let lines: Vec<String> = events
        .iter()
        .map(|event| {
            let mut line = json!({"id": event.id, "at": timestamp(event.at), "user": event.user});
            match event.what {
                What::Login => line["kind"] = json!("login"),
                What::PageVisit { page } => {
                    line["kind"] = json!("page_visit");
                    line["page"] = json!(page);
                }
                What::Activity { module, action, time_spent_secs } => {
                    line["kind"] = json!("activity");
                    line["module"] = json!(module);
                    line["action"] = json!(action);
                    line["time_spent_secs"] = json!(time_spent_secs);
                }
            }
            line.to_string()
        })
        .collect();
    lines.join("\n")
}

/// The fixture as a Segment source tracks it: `track "Signed In"` for a
/// login, `page` for a page visit, any other `track` for an activity.
fn segment_messages(events: &[FixtureEvent]) -> Value {
    events
        .iter()
        .map(|event| {
            let mut message = match event.what {
                What::Login => json!({"type": "track", "event": "Signed In"}),
                What::PageVisit { page } => {
                    json!({"type": "page", "name": "Portal", "properties": {"path": page}})
                }
                What::Activity { module, action, time_spent_secs } => json!({
                    "type": "track", "event": action,
                    "properties": {"module": module, "time_spent_secs": time_spent_secs}}),
            };
            message["messageId"] = json!(event.id);
            message["userId"] = json!(event.user);
            message["timestamp"] = json!(timestamp(event.at));
            message
        })
        .collect()
}

/// A staff member's view of one account's monitor.
fn monitor_of(account: &str) -> MonitorView {
    let scope = StaffScope::Accounts(BTreeSet::from([account.to_owned()]));
    Principal::Staff { team: "support".into(), scope, admin: false }.read_monitor().unwrap()
}

#[test]
fn native_and_segment_sdk_events_give_the_same_seat_and_monitor_figures() {
    let (dir, db) = temp_db();
    let native_key = create_account(&db, "native");
    let segment_key = create_account(&db, "segment");
    let events = fixture();
    assert_eq!(events.len(), 65);
    let daemon = Daemon::start(&db, &[]);
    let (status, answer) = daemon.post(Some(&native_key), native_batch(&events));
    assert_eq!((status, &answer["accepted"]), (200, &json!(65)), "{answer}");
    let file = dir.path().join("segment.json");
    std::fs::write(&file, segment_messages(&events).to_string()).unwrap();
    let sender = Sender::SegmentPython(Body::Plain);
    assert_sent(sender, &sender.send(&daemon.url, &segment_key, &file));
    drop(daemon);

    let mut store = Store::open(&db, &StoreOptions::default()).unwrap();
    // Seats are sticky within the term (2026), so each month counts everyone
    // activated by its end: February ana, ben, cem, dia (4); March adds eli,
    // fay, gus (7); April adds hal (8), and so on to December. ivy (one week)
    // and jon (two) never are.
    let mut expected: Vec<(String, u32)> = vec![("2026-01".into(), 0)];
    expected.extend([("2026-02".into(), 4), ("2026-03".into(), 7)]);
    expected.extend((4..=12).map(|month| (format!("2026-{month:02}"), 8)));
    for account in ["native", "segment"] {
        store.update_seats(account).unwrap();
    }
    let seats = |account: &str| {
        let usage =
            Principal::Administrator { account: account.into(), server_management_read: false }
                .read_usage(account)
                .unwrap();
        store.monthly_seats(&usage, None).unwrap()
    };
    let (native_seats, segment_seats) = (seats("native"), seats("segment"));
    assert_eq!(native_seats, segment_seats);
    let figures: Vec<(String, u32)> =
        native_seats.iter().map(|month| (month.month.to_string(), month.seats)).collect();
    assert_eq!(figures, expected);

    // The monitor on 15 April at 10:08 UTC, online meaning seen in the last 5
    // minutes (since 10:03). Seen today: jon (09:50 to 09:55) and hal (10:00
    // to 10:07); online: hal only. Activity: jon 30 s, hal 90 + 60 = 150 s;
    // 180 s over 2 users is 90 s each.
    let now = at("04-15T10:08");
    let settings = MonitorSettings { online_window: TimeDelta::minutes(5), zone: chrono_tz::UTC };
    let mut live = Live::new(settings, now);
    let (seen, _) = store.monitor_events_since(live.events_from(now)).unwrap();
    for event in &seen {
        live.add(event);
    }
    let snapshot = live.snapshot(now, &Tracking::everything());
    let today = |account: &str| snapshot.today(&monitor_of(account));
    assert_eq!(today("native"), today("segment"));
    let TodayCounts {
        users_online,
        users_seen_today,
        users_with_activity_today,
        time_spent_secs,
        time_per_user_secs,
        ..
    } = today("native");
    assert_eq!(
        (users_online, users_seen_today, users_with_activity_today),
        (1, 2, 2),
        "online, seen today, with activity today"
    );
    assert_eq!((time_spent_secs, time_per_user_secs), (180, Some(90)));
    let top = |account: &str| {
        let top = snapshot.top(&monitor_of(account));
        let users: Vec<(String, u64)> =
            top.users.iter().map(|user| (user.user.to_string(), user.time_spent_secs)).collect();
        let activities: Vec<(String, String, u64)> = top
            .activities
            .iter()
            .map(|activity| {
                (activity.module.to_string(), activity.action.to_string(), activity.actions)
            })
            .collect();
        (users, activities)
    };
    assert_eq!(top("native"), top("segment"));
    assert_eq!(
        top("native"),
        (
            vec![("hal".into(), 150), ("jon".into(), 30)],
            vec![
                ("Dashboard".into(), "Export Report".into(), 2),
                ("Catalog".into(), "Search".into(), 1)
            ]
        )
    );

    // The monitor's Activities, by quarter of an hour of 15 April: jon's
    // search in 09:45-10:00, hal's two exports in 10:00-10:15.
    let quarters = |account: &str| {
        let mut sums = Vec::new();
        let day = at("04-15T00:00");
        store
            .monitor_activity(
                &monitor_of(account),
                Quarter::of(day),
                Quarter::of(day + TimeDelta::days(1)),
                |sum| {
                    sums.push((
                        sum.quarter.start(),
                        sum.module,
                        sum.action,
                        sum.actions,
                        sum.time_spent_secs,
                    ))
                },
            )
            .unwrap();
        sums
    };
    assert_eq!(quarters("native"), quarters("segment"));
    assert_eq!(
        quarters("native"),
        [
            (at("04-15T09:45"), "Catalog".into(), "Search".into(), 1, 30),
            (at("04-15T10:00"), "Dashboard".into(), "Export Report".into(), 2, 150),
        ]
    );
}
