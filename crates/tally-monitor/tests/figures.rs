//! Today's figures: who is online, the sums, time per user and the change
//! since the previous refresh.

use tally_monitor::{Figure, OptionalFigure, TodayCounts, TodayFigures};

use crate::common::*;

/// (accounts online, users online, users seen today, users with activity
/// today, time spent, time per user).
fn figures(counts: &TodayCounts) -> (u64, u64, u64, u64, u64, Option<u64>) {
    (
        counts.accounts_online,
        counts.users_online,
        counts.users_seen_today,
        counts.users_with_activity_today,
        counts.time_spent_secs,
        counts.time_per_user_secs,
    )
}

#[test]
fn an_event_exactly_the_window_old_no_longer_makes_its_user_online() {
    // Now is 14:00:00; the window is 5 minutes, so online means seen after
    // 13:55:00. Ann (acme) was seen exactly at 13:55:00: out. Bob (globex) a
    // microsecond later: in. Both were seen today.
    let mut live = live(
        "2026-12-07T14:00:00Z",
        &[
            login("acme", "ann", "2026-12-07T13:55:00Z"),
            used("globex", "bob", "2026-12-07T13:55:00.000001Z", "Dashboard", "open", 20),
        ],
    );
    let snapshot = snapshot(&mut live, "2026-12-07T14:00:00Z");
    let today = snapshot.today(&all());
    // One account online (globex), one user online (Bob); 2 seen; Bob's 20 s
    // over 1 active user.
    assert_eq!(figures(&today), (1, 1, 2, 1, 20, Some(20)));
    assert_eq!(today.as_of.online_window_secs, 300);
    assert_eq!(today.as_of.zone, "UTC");
    assert_eq!(today.as_of.day.to_string(), "2026-12-07");
    let bob = snapshot.item(&all(), "globex", "bob", "Dashboard").unwrap();
    assert!(bob.online);
    // A microsecond less than 5 minutes: 299 whole seconds.
    assert_eq!(bob.secs_since_last, 299);

    // A microsecond later Bob's event is exactly 5 minutes old too.
    let later =
        live.snapshot(at("2026-12-07T14:00:00.000001Z"), &tally_monitor::Tracking::everything());
    assert_eq!(figures(&later.today(&all())), (0, 0, 2, 1, 20, Some(20)));
    assert!(!later.item(&all(), "globex", "bob", "Dashboard").unwrap().online);
}

#[test]
fn an_event_of_yesterday_inside_the_window_makes_its_user_online_but_not_seen_today() {
    // Cleo logged in at 23:58 on the 7th; at 00:02 on the 8th that is 4
    // minutes ago: online, yet not seen on the 8th.
    let mut fed_on_time =
        live("2026-12-07T23:59:00Z", &[login("acme", "cleo", "2026-12-07T23:58:00Z")]);
    let rolled = snapshot(&mut fed_on_time, "2026-12-08T00:02:00Z");
    assert_eq!(rolled.day().to_string(), "2026-12-08");
    assert_eq!(figures(&rolled.today(&all())), (1, 1, 0, 0, 0, None));
    // Fed only after the day rolled over, an event of the day before still
    // counts for the window.
    let mut fed_late =
        live("2026-12-08T00:00:00Z", &[login("acme", "cleo", "2026-12-07T23:58:00Z")]);
    let snapshot = snapshot(&mut fed_late, "2026-12-08T00:02:00Z");
    assert_eq!(figures(&snapshot.today(&all())), (1, 1, 0, 0, 0, None));
}

#[test]
fn time_per_user_is_null_without_activity_and_rounds_halves_up() {
    // Logins only: no user with a tracked activity, so no time per user (not 0).
    let mut logins_only = live(
        "2026-12-07T10:00:00Z",
        &[
            login("acme", "ann", "2026-12-07T09:00:00Z"),
            login("acme", "bob", "2026-12-07T09:10:00Z"),
        ],
    );
    let today = snapshot(&mut logins_only, "2026-12-07T10:00:00Z").today(&all());
    assert_eq!(figures(&today), (0, 0, 2, 0, 0, None));

    // 10 s + 11 s over 2 users is 10.5 s: 11. Ann's login makes her seen, not
    // active, so she is not in the division.
    let mut two = live(
        "2026-12-07T10:00:00Z",
        &[
            login("acme", "ann", "2026-12-07T09:00:00Z"),
            used("acme", "bob", "2026-12-07T09:10:00Z", "Dashboard", "open", 10),
            used("globex", "cy", "2026-12-07T09:20:00Z", "Reports", "open", 11),
        ],
    );
    let today = snapshot(&mut two, "2026-12-07T10:00:00Z").today(&all());
    assert_eq!(figures(&today), (0, 0, 3, 2, 21, Some(11)));

    // 10 + 10 + 11 = 31 s over 3 users is 10.33 s: 10.
    two.add(&used("acme", "dee", "2026-12-07T09:30:00Z", "Dashboard", "open", 10));
    let today = snapshot(&mut two, "2026-12-07T10:00:00Z").today(&all());
    assert_eq!(figures(&today), (0, 0, 4, 3, 31, Some(10)));
}

#[test]
fn each_figure_carries_its_change_since_the_previous_refresh() {
    // First refresh at 10:00:00: Ann (login 09:58) and Bob (activity 09:59,
    // 40 s) online in acme. 1 account, 2 online, 2 seen, 1 active, 40 s,
    // 40 s per user.
    let mut live = live(
        "2026-12-07T10:00:00Z",
        &[
            login("acme", "ann", "2026-12-07T09:58:00Z"),
            used("acme", "bob", "2026-12-07T09:59:00Z", "Dashboard", "open", 40),
        ],
    );
    let first = snapshot(&mut live, "2026-12-07T10:00:00Z").today(&all());
    assert_eq!(figures(&first), (1, 2, 2, 1, 40, Some(40)));
    let figures_first = TodayFigures::new(first.clone(), None);
    assert_eq!(figures_first.users_online, Figure { value: 2, change: None });
    assert_eq!(figures_first.time_per_user_secs, OptionalFigure { value: Some(40), change: None });

    // Second refresh at 10:03:30: Ann (09:58) is 5.5 minutes old, out; Bob
    // (09:59) in; Cy (globex) used Reports at 10:03 for 20 s. 2 accounts
    // online, 2 users online, 3 seen, 2 active, 60 s, 30 s per user.
    live.add(&used("globex", "cy", "2026-12-07T10:03:00Z", "Reports", "open", 20));
    let second = snapshot(&mut live, "2026-12-07T10:03:30Z").today(&all());
    assert_eq!(figures(&second), (2, 2, 3, 2, 60, Some(30)));
    let changed = TodayFigures::new(second, Some(&first));
    assert_eq!(changed.accounts_online, Figure { value: 2, change: Some(1) });
    assert_eq!(changed.users_online, Figure { value: 2, change: Some(0) });
    assert_eq!(changed.users_seen_today, Figure { value: 3, change: Some(1) });
    assert_eq!(changed.users_with_activity_today, Figure { value: 2, change: Some(1) });
    assert_eq!(changed.time_spent_secs, Figure { value: 60, change: Some(20) });
    // 30 - 40.
    assert_eq!(changed.time_per_user_secs, OptionalFigure { value: Some(30), change: Some(-10) });
    assert_eq!(changed.as_of.at, at("2026-12-07T10:03:30Z"));
}

#[test]
fn time_per_user_has_no_change_when_either_refresh_had_none() {
    let mut live = live("2026-12-07T10:00:00Z", &[login("acme", "ann", "2026-12-07T09:58:00Z")]);
    let first = snapshot(&mut live, "2026-12-07T10:00:00Z").today(&all());
    live.add(&used("acme", "ann", "2026-12-07T10:00:05Z", "Dashboard", "open", 12));
    let second = snapshot(&mut live, "2026-12-07T10:00:10Z").today(&all());
    let changed = TodayFigures::new(second.clone(), Some(&first));
    assert_eq!(changed.time_per_user_secs, OptionalFigure { value: Some(12), change: None });
    let back = TodayFigures::new(first, Some(&second));
    assert_eq!(back.time_per_user_secs, OptionalFigure { value: None, change: None });
    assert_eq!(back.time_spent_secs, Figure { value: 0, change: Some(-12) });
}

#[test]
fn the_state_holds_todays_users_not_the_events() {
    // 1,000 uses by one user are one user held; 200 users are 200.
    let mut live = live("2026-12-07T10:00:00Z", &[]);
    for second in 0..1_000 {
        live.add(&used(
            "acme",
            "ann",
            &format!("2026-12-07T09:{:02}:{:02}Z", second / 60 % 60, second % 60),
            "Dashboard",
            "open",
            1,
        ));
    }
    for user in 0..200 {
        live.add(&login("globex", &format!("u{user}"), "2026-12-07T09:00:00Z"));
    }
    assert_eq!(live.users_held(), 201);
    let today = snapshot(&mut live, "2026-12-07T10:00:00Z").today(&all());
    assert_eq!((today.users_seen_today, today.time_spent_secs), (201, 1_000));
    // The next day, with none of them inside the window, none is held.
    snapshot(&mut live, "2026-12-08T10:00:00Z");
    assert_eq!(live.users_held(), 0);
}

#[test]
fn one_snapshot_answers_readers_on_other_threads() {
    let mut live = live(
        "2026-12-07T10:00:00Z",
        &[used("acme", "ann", "2026-12-07T09:58:00Z", "Dashboard", "open", 12)],
    );
    let shared = std::sync::Arc::new(snapshot(&mut live, "2026-12-07T10:00:00Z"));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let snapshot = shared.clone();
            std::thread::spawn(move || snapshot.today(&all()).users_online)
        })
        .collect();
    for reader in readers {
        assert_eq!(reader.join().unwrap(), 1);
    }
}
