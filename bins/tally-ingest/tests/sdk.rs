//! Issue 18: the analytics SDKs vendors already instrument with, installed
//! from their registries (tests/sdk/install.rs), send to the real daemon with
//! only their host and write key changed. Each sends its events twice, as an
//! SDK's retry or a second run would, and the store holds each event once,
//! with the account, user, kind and instant the mapping gives
//! (docs/ingest-compat.md); the daemon's log counts the resend as duplicates;
//! a wrong write key is refused and stores nothing.

mod both_paths;
mod install;

use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use tally_events::EventKind;

use crate::common::*;

/// A program that sends a file of events with one SDK.
#[derive(Debug, Clone, Copy)]
enum Sender {
    /// `segment-analytics-python`, through tests/sdk/segment_send.py.
    SegmentPython(Body),
    /// `@segment/analytics-node`, through tests/sdk/segment_send.mjs.
    SegmentNode,
    /// `posthog` of PyPI, through tests/sdk/posthog_send.py.
    PostHogPython(Body),
    /// `cloudevents` of PyPI, through tests/sdk/cloudevents_send.py.
    CloudEvents(CloudEventsMode),
}

/// How an SDK that can compress its requests sends them.
#[derive(Debug, Clone, Copy)]
enum Body {
    Plain,
    /// With `Content-Encoding: gzip`.
    Gzip,
}

/// How the CloudEvents go over HTTP.
#[derive(Debug, Clone, Copy)]
enum CloudEventsMode {
    /// One event a request, as `application/cloudevents+json`.
    Structured,
    /// All in one request, as `application/cloudevents-batch+json`.
    Batched,
    /// One event a request, its attributes in `ce-*` headers.
    Binary,
}

impl Sender {
    /// Runs the sender against the daemon at `url` with `write_key`, sending
    /// the events in `file`, to its end.
    fn send(self, url: &str, write_key: &str, file: &Path) -> Output {
        let sdks = install::sdks();
        let mut command = match self {
            Sender::SegmentPython(_) => sdks.python("segment_send.py"),
            Sender::SegmentNode => sdks.segment_node(),
            Sender::PostHogPython(_) => sdks.python("posthog_send.py"),
            Sender::CloudEvents(_) => sdks.python("cloudevents_send.py"),
        };
        command.args([url, write_key]).arg(file);
        match self {
            Sender::CloudEvents(CloudEventsMode::Structured) => command.arg("structured"),
            Sender::CloudEvents(CloudEventsMode::Batched) => command.arg("batched"),
            Sender::CloudEvents(CloudEventsMode::Binary) => command.arg("binary"),
            Sender::SegmentPython(Body::Gzip) | Sender::PostHogPython(Body::Gzip) => {
                command.arg("gzip")
            }
            Sender::SegmentPython(Body::Plain)
            | Sender::PostHogPython(Body::Plain)
            | Sender::SegmentNode => &mut command,
        };
        command
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("running {command:?}: {error}"))
    }
}

/// An event as the store must hold it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Stored {
    /// The event's id; `None` where the format's id is not promised as is.
    id: Option<String>,
    at: DateTime<Utc>,
    kind: &'static str,
    user: String,
}

/// What one SDK sends, in the SDK's terms, and what the store must hold after.
struct Case {
    sender: Sender,
    /// The sender script's input.
    input: Value,
    expected: Vec<Stored>,
}

/// Events each SDK sends: at least 20, as the issue asks.
const EVENTS: usize = 24;

const USERS: [&str; 4] = ["ana", "ben", "cem", "dia"];

/// The instant of the `n`th event: from Monday 2026-03-02 08:00 UTC, every
/// 7 min 30.25 s, so that each keeps milliseconds, the finest instant every
/// SDK here sends as is.
fn instant(n: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap() + TimeDelta::milliseconds(n as i64 * 450_250)
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn stored(id: Option<String>, n: usize, kind: EventKind, user: &str) -> Stored {
    Stored { id, at: instant(n), kind: kind.wire_name(), user: user.to_owned() }
}

/// Segment messages of six shapes, four of each, and the events they map to.
fn segment(sender: Sender) -> Case {
    let (messages, expected) = (0..EVENTS)
        .map(|n| {
            let id = format!("seg-{n:02}");
            let user = USERS[n % USERS.len()];
            let (message, kind) = match n % 6 {
                0 => (json!({"type": "track", "event": "Signed In"}), EventKind::Login),
                1 => (
                    json!({"type": "page", "name": "Catalog", "properties": {"path": "/catalog"}}),
                    EventKind::PageVisit,
                ),
                2 => (json!({"type": "screen", "name": "Scorecards"}), EventKind::PageVisit),
                3 => (
                    json!({"type": "identify", "traits": {
                        "email": format!("{user}@acme.test"), "name": user, "role": "member",
                        "teams": ["platform"]}}),
                    EventKind::UserAdded,
                ),
                4 => (
                    json!({"type": "group", "groupId": "acme-eu", "traits": {"role": "admin"}}),
                    EventKind::UserRoleChanged,
                ),
                _ => (
                    json!({"type": "track", "event": "Export Report",
                        "properties": {"module": "Dashboard", "time_spent_secs": n}}),
                    EventKind::Activity,
                ),
            };
            let mut message = message;
            message["messageId"] = json!(id);
            message["userId"] = json!(user);
            message["timestamp"] = json!(timestamp(instant(n)));
            (message, stored(Some(id), n, kind, user))
        })
        .unzip();
    Case { sender, input: Value::Array(messages), expected }
}

/// PostHog calls of eight shapes, three of each, and the events they map to.
fn posthog(body: Body) -> Case {
    let (calls, expected) = (0..EVENTS)
        .map(|n| {
            // PostHog's SDK replaces an id that is not a UUID.
            let uuid = format!("00000000-0000-4000-8000-{n:012}");
            let user = USERS[n % USERS.len()];
            let capture = |event: &str, properties: Value| {
                json!({"call": "capture", "event": event, "properties": properties})
            };
            let (mut call, kind) = match n % 8 {
                0 => (
                    capture("$pageview", json!({"$pathname": "/catalog",
                        "$current_url": "https://portal.acme.test/catalog?tab=all"})),
                    EventKind::PageVisit,
                ),
                1 => (
                    capture("$pageview", json!({"$current_url": "https://portal.acme.test/home"})),
                    EventKind::PageVisit,
                ),
                2 => (
                    capture("$identify", json!({"$set": {
                        "email": format!("{user}@acme.test"), "name": user}})),
                    EventKind::UserAdded,
                ),
                3 => (
                    json!({"call": "group_identify", "group_type": "organization",
                        "group_key": "acme-eu", "properties": {"role": "admin"}}),
                    EventKind::UserRoleChanged,
                ),
                4 => (
                    capture("$ai_generation", json!({"$ai_model": "gpt-5", "$ai_provider": "openai"})),
                    EventKind::AiInvocation,
                ),
                5 => (
                    capture("$mcp_tool_call", json!({"$mcp_tool_name": "search_entities"})),
                    EventKind::McpCall,
                ),
                6 => (capture("login", json!({})), EventKind::Login),
                _ => (
                    capture("Export Report", json!({"module": "Dashboard", "time_spent_secs": n})),
                    EventKind::Activity,
                ),
            };
            call["uuid"] = json!(uuid);
            call["distinct_id"] = json!(user);
            call["timestamp"] = json!(timestamp(instant(n)));
            if kind != EventKind::UserRoleChanged {
                call["groups"] = json!({"organization": "acme-eu"});
            }
            (call, stored(Some(uuid), n, kind, user))
        })
        .unzip();
    Case { sender: Sender::PostHogPython(body), input: Value::Array(calls), expected }
}

/// CloudEvents of four shapes, six of each, and the events they map to.
/// Their stored ids are not compared: the format's id is `source` and `id`
/// together, spelled as the daemon chooses.
fn cloud_events(mode: CloudEventsMode) -> Case {
    let (events, expected) = (0..EVENTS)
        .map(|n| {
            let user = USERS[n % USERS.len()];
            let (event, kind) = match n % 4 {
                0 => (json!({"type": "login", "data": {"user": user}}), EventKind::Login),
                // The user from the subject, for want of one in the data.
                1 => (
                    json!({"type": "com.acme.portal.login", "subject": user, "data": {}}),
                    EventKind::Login,
                ),
                2 => (
                    json!({"type": "com.acme.portal.page_visit", "subject": user,
                        "data": {"page": "/catalog"}}),
                    EventKind::PageVisit,
                ),
                _ => (
                    json!({"type": "activity", "data": {"user": user, "module": "Dashboard",
                        "action": "export", "time_spent_secs": n}}),
                    EventKind::Activity,
                ),
            };
            let mut event = event;
            event["id"] = json!(format!("ce-{n:02}"));
            event["source"] = json!("//portal.acme.test/tally-tests");
            event["time"] = json!(timestamp(instant(n)));
            (event, stored(None, n, kind, user))
        })
        .unzip();
    Case { sender: Sender::CloudEvents(mode), input: Value::Array(events), expected }
}

/// The events of `account` in the store, read with an independent connection;
/// ids dropped when `with_ids` is false.
fn events_stored(db: &Path, account: &str, with_ids: bool) -> Vec<Stored> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut statement = connection
        .prepare(
            "SELECT e.payload ->> '$.id', e.at_us, e.kind, coalesce(e.login_user, e.payload ->> '$.user', '')
             FROM events e JOIN accounts a USING (account_id) WHERE a.slug = ?1",
        )
        .unwrap();
    let mut events: Vec<Stored> = statement
        .query_map([account], |row| {
            let kind: String = row.get(2)?;
            Ok(Stored {
                id: with_ids.then(|| row.get(0)).transpose()?,
                at: DateTime::from_timestamp_micros(row.get(1)?).unwrap(),
                kind: EventKind::parse(&kind)
                    .unwrap_or_else(|| panic!("kind {kind:?}"))
                    .wire_name(),
                user: row.get(3)?,
            })
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    events.sort();
    events
}

/// The daemon's answers, summed over the batches its log shows for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Logged {
    accepted: u64,
    duplicates: u64,
    conflicting: u64,
    rejected: u64,
}

/// A daemon logging JSON lines, which arrive on a channel as written.
fn logging_daemon(db: &Path) -> (Daemon, mpsc::Receiver<serde_json::Value>) {
    let mut daemon = Daemon::start_with_log(db, &["--log-format", "json"], Stdio::piped());
    let stderr = daemon.child.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)) {
            let Ok(line) = line else { return };
            let record: Value =
                serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
            if lines.send(record["fields"].clone()).is_err() {
                return;
            }
        }
    });
    (daemon, received)
}

/// Sums the logged batches of `account` until they account for `events`
/// events; waits for them (a line may be written after its answer is sent),
/// not for a fixed time.
fn logged_until(received: &mpsc::Receiver<Value>, account: &str, events: u64) -> Logged {
    let mut logged = Logged::default();
    let mut seen = Vec::new();
    while logged.accepted + logged.duplicates + logged.conflicting + logged.rejected < events {
        let fields = received
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("the log accounts for {logged:?} in 30 s; saw {seen:#?}"));
        if fields["message"] == "batch" && fields["account"] == account {
            let count = |name: &str| fields[name].as_u64().unwrap_or_else(|| panic!("{fields}"));
            logged.accepted += count("accepted");
            logged.duplicates += count("duplicates");
            logged.conflicting += count("conflicting");
            logged.rejected += count("rejected");
        }
        seen.push(fields);
    }
    logged
}

/// The status of the next refused request in the log.
fn refused_status(received: &mpsc::Receiver<Value>) -> u64 {
    let mut seen = Vec::new();
    loop {
        let fields = received
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no refused batch in the log in 30 s; saw {seen:#?}"));
        if fields["message"] == "batch refused" {
            return fields["status"].as_u64().unwrap_or_else(|| panic!("{fields}"));
        }
        seen.push(fields);
    }
}

fn assert_sent(sender: Sender, output: &Output) {
    assert!(
        output.status.success(),
        "{sender:?} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Sends the case's events with a wrong key (refused, nothing stored), then
/// twice with the account's key: stored once, the second time all duplicates.
fn check(case: Case) {
    let Case { sender, input, mut expected } = case;
    let (dir, db) = temp_db();
    // Another account, made first, so that the write key must pick the account.
    create_account(&db, "globex");
    let write_key = create_account(&db, "acme");
    let (daemon, log) = logging_daemon(&db);
    let file = dir.path().join("events.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&input).unwrap()).unwrap();
    let events = expected.len() as u64;

    let refused = sender.send(&daemon.url, "tally_wk_not-the-key", &file);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && stderr.contains("403"),
        "{sender:?} did not report the 403 of a wrong key ({})\n{stderr}",
        refused.status
    );
    assert_eq!(refused_status(&log), 403, "{sender:?}");
    assert_eq!(count(&db, "SELECT count(*) FROM events"), 0, "{sender:?}");

    assert_sent(sender, &sender.send(&daemon.url, &write_key, &file));
    let first = logged_until(&log, "acme", events);
    assert_eq!(first, Logged { accepted: events, ..Logged::default() }, "{sender:?}");
    // Resent with the same ids, as after a lost answer: all duplicates.
    assert_sent(sender, &sender.send(&daemon.url, &write_key, &file));
    let second = logged_until(&log, "acme", events);
    assert_eq!(second, Logged { duplicates: events, ..Logged::default() }, "{sender:?}");

    let with_ids = expected.iter().all(|event| event.id.is_some());
    expected.sort();
    assert_eq!(events_stored(&db, "acme", with_ids), expected, "{sender:?}");
    assert_eq!(events_stored(&db, "globex", with_ids), [], "{sender:?}");
    assert_eq!(count(&db, "SELECT count(*) FROM events"), events as i64, "{sender:?}");
}

#[test]
fn segment_python_sdk_events_are_stored_once() {
    check(segment(Sender::SegmentPython(Body::Plain)));
}

#[test]
fn segment_python_sdk_events_are_stored_once_from_gzip_bodies() {
    check(segment(Sender::SegmentPython(Body::Gzip)));
}

#[test]
fn segment_node_sdk_events_are_stored_once() {
    check(segment(Sender::SegmentNode));
}

#[test]
fn posthog_python_sdk_events_are_stored_once() {
    check(posthog(Body::Plain));
}

#[test]
fn posthog_python_sdk_events_are_stored_once_from_gzip_bodies() {
    check(posthog(Body::Gzip));
}

#[test]
fn structured_cloud_events_are_stored_once() {
    check(cloud_events(CloudEventsMode::Structured));
}

#[test]
fn batched_cloud_events_are_stored_once() {
    check(cloud_events(CloudEventsMode::Batched));
}

#[test]
fn binary_cloud_events_are_stored_once() {
    check(cloud_events(CloudEventsMode::Binary));
}
