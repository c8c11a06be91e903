//! Issue 17: the usage monitor's Today, live. The real API binary follows the
//! events the ingest daemon's server writes (real HTTP on loopback on both
//! sides), and its figures, lists and event streams are read over HTTP.
//!
//! Events are sent at instants relative to the wall clock, and the monitor's
//! zone is chosen so that it is around noon there ([`noon_zone`]): every
//! event of these tests, an hour old at most, falls on the monitor's today.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, TimeDelta, Timelike, Utc};
use serde_json::{Value, json};

use crate::common::*;

/// A fixed-offset zone where it is now between 12:00 and 12:59: `Etc/GMT-N`
/// is N hours ahead of UTC (the tz database's signs are POSIX's, reversed).
fn noon_zone() -> String {
    let ahead = 12 - i64::from(Utc::now().hour());
    match ahead {
        0 => "Etc/GMT".to_owned(),
        ahead if ahead > 0 => format!("Etc/GMT-{ahead}"),
        behind => format!("Etc/GMT+{}", -behind),
    }
}

/// The API with a refresh every second and today around noon, its header and
/// body timeouts at one second, so that a stream outliving them shows they do
/// not cut it.
fn live_api(db: &std::path::Path) -> Api {
    Api::start_with(
        db,
        &[
            "--listen",
            "127.0.0.1:0",
            "--monitor-refresh-secs",
            "1",
            "--monitor-zone",
            &noon_zone(),
            "--header-read-timeout-secs",
            "1",
            "--body-read-timeout-secs",
            "1",
        ],
    )
}

/// The instant `secs_ago` seconds before now, as events give it.
fn ago(secs_ago: i64) -> String {
    (Utc::now() - TimeDelta::seconds(secs_ago)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn activity(id: &str, secs_ago: i64, user: &str, module: &str, action: &str, secs: u32) -> String {
    json!({
        "id": id, "kind": "activity", "at": ago(secs_ago), "user": user,
        "module": module, "action": action, "time_spent_secs": secs,
        "properties": {"screen": format!("{module}/{action}"), "n": id},
    })
    .to_string()
}

fn login(id: &str, secs_ago: i64, user: &str) -> String {
    json!({"id": id, "kind": "login", "at": ago(secs_ago), "user": user}).to_string()
}

/// A server-sent event stream read line by line.
struct EventStream {
    lines: BufReader<ureq::BodyReader<'static>>,
}

impl EventStream {
    /// GETs `path` with `token`; panics unless it answers an event stream.
    fn open(api: &Api, path: &str, token: &str) -> EventStream {
        // Bounds every read: a stream that stops sending fails the test.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let response = agent
            .get(format!("{}{path}", api.url))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .expect("a response");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let content_type = response.headers().get("content-type").unwrap().to_str().unwrap();
        assert_eq!(content_type, "text/event-stream", "{path}");
        EventStream { lines: BufReader::new(response.into_body().into_reader()) }
    }

    /// The next event's name and data; `None` once the stream has ended.
    fn next(&mut self) -> Option<(String, Value)> {
        let (mut name, mut data) = (String::new(), String::new());
        loop {
            let mut line = String::new();
            if self.lines.read_line(&mut line).expect("reading the stream") == 0 {
                assert!(data.is_empty(), "the stream ended within an event");
                return None;
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if !data.is_empty() {
                    return Some((name, serde_json::from_str(&data).unwrap()));
                }
            } else if let Some(value) = line.strip_prefix("event: ") {
                name = value.to_owned();
            } else if let Some(value) = line.strip_prefix("data: ") {
                data.push_str(value);
            } else {
                // Keep-alive comments.
                assert!(line.starts_with(':'), "not a server-sent event line: {line:?}");
            }
        }
    }

    /// Every event up to the end of a stream asked with a `limit`.
    fn all(mut self) -> Vec<(String, Value)> {
        std::iter::from_fn(|| self.next()).collect()
    }
}

/// The figure `name` of a Today answer, as (value, change).
fn figure(today: &Value, name: &str) -> (Value, Value) {
    (today[name]["value"].clone(), today[name]["change"].clone())
}

/// Polls `path` until `done` holds of its answer; panics after `within`.
fn poll_until(
    api: &Api,
    path: &str,
    token: &str,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let answer = api.get(path, Some(token));
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        let body = answer.json();
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} still answers {body} after {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_subscriber_receives_the_figures_of_events_just_ingested_within_the_refresh_interval() {
    let fixture = fixture();
    let api = live_api(&fixture.db);
    let ingest = Ingest::start(&fixture.db);
    let staff = &fixture.tokens.acme_staff;
    let mut stream = EventStream::open(&api, "/v1/monitor/today/events", staff);
    let opened = Instant::now();

    // The fixture's events are of March 2026: nobody is online, nothing today.
    let (name, first) = stream.next().unwrap();
    assert_eq!(name, "today");
    assert_eq!(figure(&first, "users_online"), (json!(0), Value::Null));
    assert_eq!(figure(&first, "accounts_online"), (json!(0), Value::Null));
    assert_eq!(
        (first["refresh_secs"].clone(), first["as_of"]["online_window_secs"].clone()),
        (json!(1), json!(300))
    );

    // Ana logs in a minute ago and Bo works in the Dashboard for 2 minutes,
    // half a minute ago: both online (within 5 minutes), one account.
    ingest.post(
        &fixture.write_keys[0],
        &[login("live-1", 60, "u-1"), activity("live-2", 30, "u-2", "Dashboard", "edit", 120)]
            .join("\n"),
    );
    let posted = Instant::now();
    let mut before = first;
    let updated = loop {
        let (name, today) = stream.next().expect("the stream goes on");
        assert_eq!(name, "today");
        if today["users_online"]["value"] == 2 {
            break today;
        }
        assert_eq!(today["users_online"]["value"], 0, "one batch, one step: {today}");
        before = today;
    };
    // Within a refresh (1 s) and a read of the log (a quarter refresh), with
    // 3 s to spare for a loaded machine.
    let waited = posted.elapsed();
    assert!(waited < Duration::from_secs(5), "the update came after {waited:?}");
    // Each change is since this stream's previous event: 0 then.
    assert_eq!(figure(&before, "users_online").0, json!(0));
    assert_eq!(figure(&updated, "users_online"), (json!(2), json!(2)));
    assert_eq!(figure(&updated, "accounts_online"), (json!(1), json!(1)));
    assert_eq!(figure(&updated, "users_seen_today"), (json!(2), json!(2)));
    // 120 s of tracked activity over the one user with some: 120 s each.
    assert_eq!(figure(&updated, "time_spent_secs"), (json!(120), json!(120)));
    assert_eq!(figure(&updated, "time_per_user_secs"), (json!(120), Value::Null));

    // The stream outlives the header and body timeouts (1 s each): it goes
    // on sending, a refresh apart.
    while opened.elapsed() < Duration::from_secs(3) {
        assert_eq!(stream.next().expect("the stream goes on").0, "today");
    }

    // The poll answers the same figures, its change since the previous refresh.
    let polled = api.get("/v1/monitor/today", Some(staff)).json();
    assert_eq!(figure(&polled, "users_online").0, json!(2));
    assert_eq!(polled["refresh_secs"], 1);
}

#[test]
fn a_stream_refuses_a_bad_interval_or_limit_and_ends_after_its_limit() {
    let fixture = fixture();
    let api =
        Api::start_with(&fixture.db, &["--listen", "127.0.0.1:0", "--monitor-refresh-secs", "5"]);
    let staff = fixture.tokens.acme_staff.as_str();
    for query in ["every=4", "every=3601", "every=ten", "limit=0", "limit=-1", "limit=1000001"] {
        let answer = api.get(&format!("/v1/monitor/today/events?{query}"), Some(staff));
        assert_eq!(answer.status, 400, "{query}: {}", answer.text());
        assert_eq!(answer.content_type, "application/problem+json", "{query}");
    }
    let events = EventStream::open(&api, "/v1/monitor/today/events?every=5&limit=1", staff).all();
    assert_eq!(events.len(), 1);
    let events = EventStream::open(&api, "/v1/monitor/stream/events?limit=1", staff).all();
    assert_eq!(events.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(), ["items"]);
    assert_eq!(api.get("/v1/monitor/stream?limit=1001", Some(staff)).status, 400);
    assert_eq!(api.get("/v1/monitor/stream?cursor=made-up", Some(staff)).status, 400);
}

/// globex's events: its users and modules differ from acme's, but for the
/// Dashboard module both use.
fn globex_events() -> String {
    [
        activity("gx-1", 60, "gx-gina", "Dashboard", "view", 500),
        login("gx-2", 30, "gx-gus"),
        activity("gx-3", 40, "gx-gail", "GxBoard", "run", 10),
    ]
    .join("\n")
}

/// acme's events. Lisa: Dashboard export (60 s) 2 minutes ago and view (30 s)
/// 90 s ago, online. Bo: Reports export (40 s) 20 minutes ago and a login 10
/// minutes ago: seen today, not online (5-minute window).
fn acme_events() -> String {
    [
        activity("ac-1", 120, "lisa", "Dashboard", "export", 60),
        activity("ac-2", 90, "lisa", "Dashboard", "view", 30),
        activity("ac-3", 1200, "bo", "Reports", "export", 40),
        login("ac-4", 600, "bo"),
    ]
    .join("\n")
}

#[test]
fn a_staff_token_never_sees_an_account_outside_its_scope() {
    let fixture = fixture();
    let api = live_api(&fixture.db);
    let ingest = Ingest::start(&fixture.db);
    ingest.post(&fixture.write_keys[0], &acme_events());
    ingest.post(&fixture.write_keys[1], &globex_events());
    let acme = fixture.tokens.acme_staff.as_str();
    let globex = fixture.tokens.globex_staff.as_str();
    // Both batches are in once globex's staff sees its three users.
    poll_until(&api, "/v1/monitor/today", globex, Duration::from_secs(10), |today| {
        today["users_seen_today"]["value"] == 3
    });
    let today = poll_until(&api, "/v1/monitor/today", acme, Duration::from_secs(10), |today| {
        today["users_seen_today"]["value"] == 2
    });

    // acme's figures alone, worked out from acme_events: Lisa online, Bo not;
    // both seen with activity; 60 + 30 + 40 = 130 s over 2 users = 65 s.
    let value = |name: &str| today[name]["value"].clone();
    assert_eq!(
        ["accounts_online", "users_online", "users_seen_today", "users_with_activity_today"]
            .map(value),
        [json!(1), json!(1), json!(2), json!(2)]
    );
    assert_eq!([value("time_spent_secs"), value("time_per_user_secs")], [json!(130), json!(65)]);

    // The top lists: acme's users and modules only; Dashboard has Lisa alone
    // (globex's Gina uses it too). Ties (one user each) go by module name.
    let top = api.get("/v1/monitor/top", Some(acme)).json();
    assert_eq!(top["accounts"], json!([{"account": "acme", "users_seen_today": 2}]));
    let users: Vec<(&str, u64)> = top["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| (user["user"].as_str().unwrap(), user["time_spent_secs"].as_u64().unwrap()))
        .collect();
    assert_eq!(users, [("lisa", 90), ("bo", 40)]);
    let modules: Vec<(&str, u64)> = top["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|module| (module["module"].as_str().unwrap(), module["users"].as_u64().unwrap()))
        .collect();
    assert_eq!(modules, [("Dashboard", 1), ("Reports", 1)]);
    assert_eq!(top["activities"].as_array().unwrap().len(), 3, "{top}");

    // The stream: Lisa's Dashboard (last 90 s ago), then Bo's Reports.
    let page = api.get("/v1/monitor/stream", Some(acme)).json();
    let items: Vec<(&str, &str, &str, u64)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let text = |name: &str| item[name].as_str().unwrap();
            (text("account"), text("user"), text("module"), item["count"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(items, [("acme", "lisa", "Dashboard", 2), ("acme", "bo", "Reports", 1)]);
    // Page by page, one item at a time, the same two.
    let first = api.get("/v1/monitor/stream?limit=1", Some(acme)).json();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = api.get(&format!("/v1/monitor/stream?limit=1&cursor={cursor}"), Some(acme)).json();
    assert_eq!(second["items"][0]["user"], "bo");
    assert_eq!(second["next_cursor"], Value::Null);
    // acme's cursor is sealed for acme's scope: globex's staff cannot use it.
    let replay = api.get(&format!("/v1/monitor/stream?limit=1&cursor={cursor}"), Some(globex));
    assert_eq!(replay.status, 400, "{}", replay.text());

    // A globex item, by the id globex's staff sees, is not found for acme's.
    let globex_page = api.get("/v1/monitor/stream", Some(globex)).json();
    let globex_ids: BTreeSet<&str> = globex_page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(globex_ids.len(), 2, "Gina's Dashboard and Gail's GxBoard: {globex_page}");
    for id in &globex_ids {
        let path = format!("/v1/monitor/stream/items/{id}/events");
        let answer = api.get(&path, Some(acme));
        assert_eq!(answer.status, 404, "{}", answer.text());
        assert!(!answer.text().contains("gx-"), "{}", answer.text());
        assert_eq!(api.get(&path, Some(globex)).status, 200);
    }

    // Both event streams, cut after their first event.
    let streamed: Vec<(String, Value)> =
        ["/v1/monitor/today/events?limit=1", "/v1/monitor/stream/events?limit=1"]
            .into_iter()
            .flat_map(|path| EventStream::open(&api, path, acme).all())
            .collect();
    assert_eq!(streamed[0].1["users_seen_today"]["value"], 2);
    assert_eq!(streamed[1].1["items"].as_array().unwrap().len(), 2);

    let acme_answers = [
        api.get("/v1/monitor/today", Some(acme)).text(),
        api.get("/v1/monitor/top", Some(acme)).text(),
        api.get("/v1/monitor/stream", Some(acme)).text(),
        api.get(
            &format!(
                "/v1/monitor/stream/items/{}/events",
                page["items"][0]["id"].as_str().unwrap()
            ),
            Some(acme),
        )
        .text(),
    ]
    .into_iter()
    .chain(streamed.iter().map(|(_, data)| data.to_string()));
    for text in acme_answers {
        for secret in ["globex", "gx-", "GxBoard"] {
            assert!(!text.contains(secret), "{secret:?} reached acme's staff: {text}");
        }
    }
}

#[test]
fn three_uses_and_one_more_later_are_one_item_of_count_four_with_its_four_events() {
    let fixture = fixture();
    let api = live_api(&fixture.db);
    let ingest = Ingest::start(&fixture.db);
    let staff = fixture.tokens.acme_staff.as_str();
    let lisa = |stream: &Value| {
        stream["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["user"] == "lisa" && item["module"] == "Dashboard")
            .cloned()
    };
    // Lisa uses the Dashboard three times, 30 to 28 minutes ago.
    ingest.post(
        &fixture.write_keys[0],
        &[
            activity("lisa-1", 1800, "lisa", "Dashboard", "export", 10),
            activity("lisa-2", 1740, "lisa", "Dashboard", "view", 20),
            activity("lisa-3", 1680, "lisa", "Dashboard", "export", 30),
        ]
        .join("\n"),
    );
    let three = poll_until(&api, "/v1/monitor/stream", staff, Duration::from_secs(10), |stream| {
        lisa(stream).is_some()
    });
    assert_eq!(lisa(&three).unwrap()["count"], 3);
    assert_eq!(lisa(&three).unwrap()["online"], false, "last seen 28 minutes ago");
    let mut live = EventStream::open(&api, "/v1/monitor/stream/events", staff);
    assert_eq!(lisa(&live.next().unwrap().1).unwrap()["count"], 3);

    // And once more, a minute ago.
    ingest.post(&fixture.write_keys[0], &activity("lisa-4", 60, "lisa", "Dashboard", "export", 40));
    let (name, changed) = live.next().unwrap();
    assert_eq!(name, "items");
    let item = lisa(&changed).expect("Lisa's item changed");
    // 3 + 1 = 4 uses: export 3 times (lisa-1, -3, -4), view once; 10 + 20 +
    // 30 + 40 = 100 s; online, seen a minute ago.
    assert_eq!(item["count"], 4);
    assert_eq!(
        item["actions"],
        json!([{"action": "export", "count": 3}, {"action": "view", "count": 1}])
    );
    assert_eq!(
        (item["time_spent_secs"].clone(), item["online"].clone()),
        (json!(100), json!(true))
    );
    assert_eq!(changed["items"].as_array().unwrap().len(), 1, "only Lisa's item changed");
    let page = api.get("/v1/monitor/stream", Some(staff)).json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "one item: {page}");

    // Expanded: the four events, oldest first, with their properties.
    let id = item["id"].as_str().unwrap();
    let expanded = api.get(&format!("/v1/monitor/stream/items/{id}/events"), Some(staff));
    assert_eq!(expanded.status, 200, "{}", expanded.text());
    let expanded = expanded.json();
    assert_eq!(expanded["item"]["count"], 4);
    let events: Vec<(&str, &str, u64, &Value)> = expanded["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["id"].as_str().unwrap(),
                event["action"].as_str().unwrap(),
                event["time_spent_secs"].as_u64().unwrap(),
                &event["properties"],
            )
        })
        .collect();
    let properties =
        |action: &str, n: &str| json!({"screen": format!("Dashboard/{action}"), "n": n});
    assert_eq!(
        events,
        [
            ("lisa-1", "export", 10, &properties("export", "lisa-1")),
            ("lisa-2", "view", 20, &properties("view", "lisa-2")),
            ("lisa-3", "export", 30, &properties("export", "lisa-3")),
            ("lisa-4", "export", 40, &properties("export", "lisa-4")),
        ]
    );
}

#[test]
fn sigterm_with_a_stream_open_stops_the_daemon_within_seconds() {
    let fixture = fixture();
    let mut api = live_api(&fixture.db);
    let mut stream =
        EventStream::open(&api, "/v1/monitor/today/events", &fixture.tokens.acme_staff);
    assert_eq!(stream.next().unwrap().0, "today");
    let signalled = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &api.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // The stream ends cleanly (the last chunk, not a reset) ...
    while stream.next().is_some() {}
    // ... and the daemon exits well before its 10-second grace period, which
    // it would wait out if the stream held the shutdown.
    let deadline = signalled + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = api.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running 5 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let stopped = signalled.elapsed();
    assert!(stopped < Duration::from_secs(5), "stopped {stopped:?} after SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_refuses_monitor_flags_out_of_their_bounds_naming_them() {
    let fixture = fixture();
    for (flag, value, says) in [
        ("--online-window-mins", "0", "0 is not in 1..=1440"),
        ("--online-window-mins", "1441", "1441 is not in 1..=1440"),
        ("--monitor-refresh-secs", "0", "0 is not in 1..=3600"),
        ("--monitor-refresh-secs", "3601", "3601 is not in 1..=3600"),
        ("--monitor-zone", "Mars/Olympus_Mons", "Mars/Olympus_Mons"),
    ] {
        let output = std::process::Command::new(BINARY)
            .arg("--db")
            .arg(&fixture.db)
            .args(["serve", "--listen", "127.0.0.1:0", flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(stderr.contains(flag) && stderr.contains(says), "{flag} {value}: {stderr}");
    }
    // The environment sets them too, as every other flag of serve.
    let output = std::process::Command::new(BINARY)
        .arg("--db")
        .arg(&fixture.db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("TALLY_MONITOR_ZONE", "Nowhere/Town")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Nowhere/Town"), "{stderr}");
}

#[test]
fn a_stream_sends_every_snapshot_or_every_nth_as_every_asks() {
    let fixture = fixture();
    let api = live_api(&fixture.db);
    let staff = fixture.tokens.acme_staff.as_str();
    // Seconds between the snapshots consecutive events were computed at.
    let gaps = |path: &str| -> Vec<f64> {
        let instants: Vec<chrono::DateTime<Utc>> = EventStream::open(&api, path, staff)
            .all()
            .iter()
            .map(|(_, today)| today["as_of"]["at"].as_str().unwrap().parse().unwrap())
            .collect();
        instants.windows(2).map(|pair| (pair[1] - pair[0]).as_seconds_f64()).collect()
    };
    // A refresh a second: with the default `every` (the refresh), each
    // snapshot once, a second apart, none skipped for coming a little early.
    let each = gaps("/v1/monitor/today/events?limit=4");
    assert_eq!(each.len(), 3);
    assert!(each.iter().all(|gap| (0.5..1.5).contains(gap)), "{each:?}");
    // every=2: every other snapshot, two seconds apart.
    let every_other = gaps("/v1/monitor/today/events?every=2&limit=3");
    assert_eq!(every_other.len(), 2);
    assert!(every_other.iter().all(|gap| (1.5..2.5).contains(gap)), "{every_other:?}");
}
