//! Tracking applies when figures are read: the same state under a new list
//! leaves the untracked out of every figure, list and item.

use tally_monitor::{Tracked, Tracking};

use crate::common::*;

#[test]
fn an_untracked_module_leaves_every_figure_list_and_item() {
    // Lisa used Dashboard and Reports; Tom used only Reports, and nothing else
    // names him.
    let mut live = live(
        "2026-12-07T09:00:00Z",
        &[
            used("acme", "lisa", "2026-12-07T09:58:00Z", "Dashboard", "open", 30),
            used("acme", "lisa", "2026-12-07T09:58:30Z", "Reports", "export", 20),
            used("acme", "tom", "2026-12-07T09:59:00Z", "Reports", "open", 40),
        ],
    );
    let now = at("2026-12-07T10:00:00Z");
    let everything = live.snapshot(now, &Tracking::everything());
    let today = everything.today(&all());
    // 2 online, 2 seen, 2 active; 30 + 20 + 40 = 90 s, 45 s each.
    assert_eq!(
        (today.users_online, today.users_seen_today, today.users_with_activity_today),
        (2, 2, 2)
    );
    assert_eq!((today.time_spent_secs, today.time_per_user_secs), (90, Some(45)));
    assert_eq!(everything.stream_page(&all(), None, 10).items.len(), 3);

    let dashboard_only =
        Tracking::new(vec![Tracked { module: "Dashboard".into(), activity: None }]);
    let tracked = live.snapshot(now, &dashboard_only);
    let today = tracked.today(&all());
    // Tom is seen by nothing tracked: neither online nor seen. Lisa: 30 s.
    assert_eq!(
        (today.users_online, today.users_seen_today, today.users_with_activity_today),
        (1, 1, 1)
    );
    assert_eq!((today.time_spent_secs, today.time_per_user_secs), (30, Some(30)));
    let items = tracked.stream_page(&all(), None, 10).items;
    assert_eq!(items.len(), 1);
    assert_eq!((&*items[0].user, &*items[0].module), ("lisa", "Dashboard"));
    assert_eq!(tracked.item(&all(), "acme", "tom", "Reports"), None);
    let top = tracked.top(&all());
    assert_eq!(top.modules.len(), 1);
    assert_eq!(&*top.modules[0].module, "Dashboard");
    assert_eq!(top.activities.len(), 1);
    assert_eq!(top.users.len(), 1);
    assert_eq!((&*top.users[0].user, top.users[0].time_spent_secs), ("lisa", 30));
    // Tracking everything again brings back Lisa's and Tom's Reports items:
    // new to a live stream, so sent.
    let back = live.snapshot(now, &Tracking::everything());
    assert_eq!(back.changed_items(&tracked, &all()).len(), 2);
}

#[test]
fn one_tracked_activity_keeps_only_that_action_of_its_module() {
    let mut live = live(
        "2026-12-07T09:00:00Z",
        &[
            used("acme", "lisa", "2026-12-07T09:00:00Z", "Dashboard", "open", 30),
            used("acme", "lisa", "2026-12-07T09:01:00Z", "Dashboard", "export", 5),
            used("acme", "lisa", "2026-12-07T09:02:00Z", "Dashboard", "export", 5),
        ],
    );
    let export_only = Tracking::new(vec![Tracked {
        module: "Dashboard".into(),
        activity: Some("export".into()),
    }]);
    let snapshot = live.snapshot(at("2026-12-07T10:00:00Z"), &export_only);
    let item = snapshot.item(&all(), "acme", "lisa", "Dashboard").unwrap();
    // The two exports: count 2, 10 s, first at 09:01.
    assert_eq!((item.count, item.time_spent_secs), (2, 10));
    assert_eq!(item.first_at, at("2026-12-07T09:01:00Z"));
    assert_eq!(item.actions.len(), 1);
}
