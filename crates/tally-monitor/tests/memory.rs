//! The live state's memory follows today's users and their modules, not the
//! events: counted by this test binary's allocator, a binary of its own since
//! the allocator counts every allocation of the process. One test, so that
//! the harness does nothing for another test (such as keeping its output)
//! while this one counts.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use peak_alloc::PeakAlloc;
use tally_access::{Principal, StaffScope};
use tally_monitor::{Activity, Live, MonitorSettings, SeenEvent, Tracking};

/// The system allocator, keeping the bytes in use.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

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
const ACTIONS: [&str; 2] = ["open", "export"];

fn start() -> DateTime<Utc> {
    "2026-12-07T08:00:00Z".parse().unwrap()
}

/// Feeds `rounds` rounds of events of `users` users in 100-user accounts:
/// each round, a login and both actions of three modules per user (7
/// events), each event a fresh string as the store would read it.
fn feed(live: &mut Live, users: usize, rounds: usize) {
    let mut seq = 0;
    for round in 0..rounds {
        for user in 0..users {
            let at = start() + TimeDelta::seconds((round * users + user) as i64 % 3_600);
            let account: Arc<str> = Arc::from(format!("account-{:04}", user / 100));
            let name: Arc<str> = Arc::from(format!("user-{user:06}"));
            seq += 1;
            live.add(&SeenEvent {
                seq,
                account: account.clone(),
                user: name.clone(),
                at,
                activity: None,
            });
            for module in 0..3 {
                for action in ACTIONS {
                    seq += 1;
                    live.add(&SeenEvent {
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
    }
}

fn settings() -> MonitorSettings {
    MonitorSettings { online_window: TimeDelta::minutes(5), zone: chrono_tz::UTC }
}

/// The heap a state fed `rounds` rounds for `users` users holds.
fn state_bytes(users: usize, rounds: usize) -> usize {
    let before = ALLOCATOR.current_usage();
    let mut live = Live::new(settings(), start());
    feed(&mut live, users, rounds);
    let held = ALLOCATOR.current_usage() - before;
    assert_eq!(live.users_held(), users);
    drop(live);
    held
}

#[test]
fn the_state_holds_users_not_events_within_a_stated_budget() {
    ten_times_the_events_of_the_same_users_take_no_more_memory();
    fifty_thousand_users_fit_in_a_stated_budget();
}

fn ten_times_the_events_of_the_same_users_take_no_more_memory() {
    // 2,000 users: 14,000 events against 140,000.
    let once = state_bytes(2_000, 1);
    let ten_times = state_bytes(2_000, 10);
    // The same users, modules and actions: the same maps of the same sizes.
    // The test harness's own allocations move the process's count by some
    // bytes: allowed 1%.
    assert!(
        ten_times.abs_diff(once) <= once / 100,
        "{ten_times} bytes after 10 rounds, {once} after 1"
    );
}

fn fifty_thousand_users_fit_in_a_stated_budget() {
    let users = 50_000;
    let before = ALLOCATOR.current_usage();
    let mut live = Live::new(settings(), start());
    feed(&mut live, users, 1);
    let state = ALLOCATOR.current_usage() - before;
    let now = start() + TimeDelta::hours(1);
    let snapshot = live.snapshot(now, &Tracking::everything());
    let with_snapshot = ALLOCATOR.current_usage() - before;
    let snapshot_bytes = with_snapshot - state;
    eprintln!(
        "{users} users, 3 modules and 6 activities each: state {} bytes ({} per user), snapshot {} bytes ({} per user)",
        state,
        state / users,
        snapshot_bytes,
        snapshot_bytes / users
    );
    // Budgets, per user with 3 modules of 2 actions. The state: a map entry
    // (name 16 B + 40 B, ~64 B with the map's spare room), the name itself
    // (~32 B) and 6 activities of 40 B in a list of capacity 8 (320 B):
    // about 420 B; allowed 768. The snapshot: 3 items of 64 B, 6 action
    // counts of 8 B and 3 index entries of 4 B: about 250 B; allowed 512.
    assert!(state / users <= 768, "{} bytes of state per user", state / users);
    assert!(snapshot_bytes / users <= 512, "{} bytes of snapshot per user", snapshot_bytes / users);
    let staff = Principal::Staff { team: "t".into(), scope: StaffScope::AllAccounts, admin: false };
    // User u was seen at 08:00 plus u mod 3,600 seconds. Online at 09:00 means
    // seen after 08:55:00: u mod 3,600 in 3,301..=3,599, 299 of every 3,600.
    // 50,000 = 13 x 3,600 + 3,200, and the last 3,200 (mod 0..3,199) miss
    // it: 13 x 299 = 3,887 online.
    let today = snapshot.today(&staff.read_monitor().unwrap());
    assert_eq!(today.users_online, 3_887);
    assert_eq!(today.users_seen_today, 50_000);
}
