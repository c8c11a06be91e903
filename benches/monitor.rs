//! The live usage monitor (issue 17) with 50,000 users online in 500
//! accounts: filling its state from 350,000 events, a refresh's snapshot, and
//! what a request or stream asks of a snapshot (Today for every account and
//! for ten, the top lists, a stream page, the items changed since the
//! previous refresh). Figures and the command are in `docs/PERFORMANCE.md`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tally_access::{MonitorView, Principal, StaffScope};
use tally_monitor::{Activity, Live, MonitorSettings, SeenEvent, Tracking};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

criterion_group!(benches, monitor);
criterion_main!(benches);

const USERS: usize = 50_000;
const USERS_PER_ACCOUNT: usize = 100;
const MODULES: [&str; 10] = [
    "Dashboard",
    "Catalog",
    "Reports",
    "Admin",
    "Search",
    "Scorecards",
    "Actions",
    "Audit",
    "Settings",
    "Inbox",
];

fn now() -> DateTime<Utc> {
    "2026-12-07T09:00:00Z".parse().expect("an instant")
}

/// Each user: a login and both actions (`open`, `export`) of three modules,
/// all within the last four minutes, so every user is online at [`now`].
fn events() -> Vec<SeenEvent> {
    let mut events = Vec::with_capacity(USERS * 7);
    for user in 0..USERS {
        let at = now() - TimeDelta::seconds(1 + (user % 240) as i64);
        let account: Arc<str> = Arc::from(format!("account-{:03}", user / USERS_PER_ACCOUNT));
        let name: Arc<str> = Arc::from(format!("user-{user:06}"));
        let seq = events.len() as i64 + 1;
        events.push(SeenEvent {
            seq,
            account: account.clone(),
            user: name.clone(),
            at,
            activity: None,
        });
        for module in 0..3 {
            for action in ["open", "export"] {
                let seq = events.len() as i64 + 1;
                events.push(SeenEvent {
                    seq,
                    account: account.clone(),
                    user: name.clone(),
                    at,
                    activity: Some(Activity {
                        module: Arc::from(MODULES[(user + module * 3) % MODULES.len()]),
                        action: Arc::from(action),
                        time_spent_secs: 30,
                    }),
                });
            }
        }
    }
    events
}

fn staff(scope: StaffScope) -> MonitorView {
    Principal::Staff { team: "support".into(), scope, admin: false }
        .read_monitor()
        .expect("staff read the monitor")
}

fn monitor(criterion: &mut Criterion) {
    let settings = MonitorSettings { online_window: TimeDelta::minutes(5), zone: chrono_tz::UTC };
    let events = events();
    let mut live = Live::new(settings, now());
    for event in &events {
        live.add(event);
    }
    let everything = Tracking::everything();
    let previous = live.snapshot(now(), &everything);
    // 1% of the users (every hundredth) use one more module by the next refresh.
    for user in (0..USERS).step_by(100) {
        live.add(&SeenEvent {
            seq: 0,
            account: Arc::from(format!("account-{:03}", user / USERS_PER_ACCOUNT)),
            user: Arc::from(format!("user-{user:06}")),
            at: now() + TimeDelta::seconds(5),
            activity: Some(Activity {
                module: Arc::from("Inbox"),
                action: Arc::from("open"),
                time_spent_secs: 5,
            }),
        });
    }
    let refresh = now() + TimeDelta::seconds(10);
    let snapshot = live.snapshot(refresh, &everything);
    let all = staff(StaffScope::AllAccounts);
    let ten = staff(StaffScope::Accounts(
        (0..10).map(|account| format!("account-{:03}", account * 50)).collect(),
    ));
    let today = snapshot.today(&all);
    assert_eq!((today.users_online, today.accounts_online), (USERS as u64, 500));
    // 500 users each had a new item: 500 items new since the previous refresh.
    assert_eq!(snapshot.changed_items(&previous, &all).len(), USERS / 100);

    let mut group = criterion.benchmark_group("monitor_50k_users_online");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("fill_state_350k_events", |bencher| {
        bencher.iter(|| {
            let mut filled = Live::new(settings, now());
            for event in &events {
                filled.add(event);
            }
            filled
        })
    });
    group.throughput(Throughput::Elements(USERS as u64));
    group
        .bench_function("snapshot", |bencher| bencher.iter(|| live.snapshot(refresh, &everything)));
    group.bench_function("today_all_accounts", |bencher| bencher.iter(|| snapshot.today(&all)));
    group.bench_function("today_10_accounts", |bencher| bencher.iter(|| snapshot.today(&ten)));
    group.bench_function("top_all_accounts", |bencher| bencher.iter(|| snapshot.top(&all)));
    group.bench_function("stream_page_50_all_accounts", |bencher| {
        bencher.iter(|| snapshot.stream_page(&all, None, 50))
    });
    group.bench_function("changed_items_all_accounts", |bencher| {
        bencher.iter(|| snapshot.changed_items(&previous, &all))
    });
    group.finish();
}
