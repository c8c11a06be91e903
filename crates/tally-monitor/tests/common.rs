//! Events, views and settings shared by the tests.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use tally_access::{MonitorView, Principal, StaffScope};
use tally_monitor::{Activity, Live, MonitorSettings, SeenEvent, Snapshot, Tracking};

pub fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// A login (or any kind other than `activity`): it only makes its user seen.
pub fn login(account: &str, user: &str, instant: &str) -> SeenEvent {
    SeenEvent {
        seq: 0,
        account: Arc::from(account),
        user: Arc::from(user),
        at: at(instant),
        activity: None,
    }
}

/// An `activity` event: `module / action`, `secs` seconds spent.
pub fn used(
    account: &str,
    user: &str,
    instant: &str,
    module: &str,
    action: &str,
    secs: u32,
) -> SeenEvent {
    SeenEvent {
        activity: Some(Activity {
            module: Arc::from(module),
            action: Arc::from(action),
            time_spent_secs: secs,
        }),
        ..login(account, user, instant)
    }
}

/// A five-minute window in `zone`.
pub fn settings(zone: Tz) -> MonitorSettings {
    MonitorSettings { online_window: TimeDelta::minutes(5), zone }
}

/// A UTC state started at `now`, fed `events` in order (numbered from 1).
pub fn live(now: &str, events: &[SeenEvent]) -> Live {
    let mut live = Live::new(settings(chrono_tz::UTC), at(now));
    feed(&mut live, events);
    live
}

pub fn feed(live: &mut Live, events: &[SeenEvent]) {
    for (seq, event) in events.iter().enumerate() {
        live.add(&SeenEvent { seq: seq as i64 + 1, ..event.clone() });
    }
}

pub fn snapshot(live: &mut Live, now: &str) -> Snapshot {
    live.snapshot(at(now), &Tracking::everything())
}

/// A staff team that sees every account.
pub fn all() -> MonitorView {
    view(StaffScope::AllAccounts)
}

/// A staff team that sees these accounts.
pub fn only(accounts: &[&str]) -> MonitorView {
    view(StaffScope::Accounts(
        accounts.iter().map(|slug| slug.to_string()).collect::<BTreeSet<_>>(),
    ))
}

fn view(scope: StaffScope) -> MonitorView {
    Principal::Staff { team: "support".into(), scope, admin: false }.read_monitor().unwrap()
}

/// Any event of four accounts, five users each, three modules of three
/// actions, between 08:00 and 10:00 on 7 December.
pub fn arbitrary_event() -> impl Strategy<Value = SeenEvent> {
    (0..4usize, 0..5usize, 0..7_200i64, proptest::option::of((0..3usize, 0..3usize, 0..600u32)))
        .prop_map(|(account, user, secs, activity)| {
            let account = ["acme", "globex", "initech", "umbrella"][account];
            let user = format!("u{user}");
            let instant =
                (at("2026-12-07T08:00:00Z") + chrono::TimeDelta::seconds(secs)).to_rfc3339();
            match activity {
                None => login(account, &user, &instant),
                Some((module, action, time)) => used(
                    account,
                    &user,
                    &instant,
                    ["Dashboard", "Reports", "Admin"][module],
                    ["open", "export", "share"][action],
                    time,
                ),
            }
        })
}
