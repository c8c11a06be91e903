//! The activity stream: one item per account, user and module today, newest
//! first, in pages; and what a live stream sends at each refresh.

use proptest::prelude::*;
use tally_monitor::{ActionCount, StreamCursor, StreamItem};

use crate::common::*;

/// An item as `account/user/module count`.
fn short(item: &StreamItem) -> String {
    format!("{}/{}/{} {}", item.account, item.user, item.module, item.count)
}

#[test]
fn lisas_three_uses_and_one_more_are_one_item_of_four() {
    // Lisa opened the dashboard three times 28 minutes before 14:00 (30 s,
    // 40 s, 50 s), and exported from it at 13:50 (15 s).
    let mut live = live(
        "2026-12-07T13:00:00Z",
        &[
            used("acme", "lisa", "2026-12-07T13:32:00Z", "Dashboard", "open", 30),
            used("acme", "lisa", "2026-12-07T13:32:10Z", "Dashboard", "open", 40),
            used("acme", "lisa", "2026-12-07T13:32:20Z", "Dashboard", "open", 50),
            used("acme", "lisa", "2026-12-07T13:50:00Z", "Dashboard", "export", 15),
        ],
    );
    let snapshot = snapshot(&mut live, "2026-12-07T14:00:00Z");
    let page = snapshot.stream_page(&all(), None, 10);
    assert_eq!(page.next, None);
    let [lisa] = page.items.as_slice() else { panic!("one item: {:?}", page.items) };
    assert_eq!(short(lisa), "acme/lisa/Dashboard 4");
    assert_eq!(
        lisa.actions,
        vec![
            ActionCount { action: "open".into(), count: 3 },
            ActionCount { action: "export".into(), count: 1 },
        ]
    );
    // 30 + 40 + 50 + 15 = 135 s.
    assert_eq!(lisa.time_spent_secs, 135);
    assert_eq!(
        (lisa.first_at, lisa.last_at),
        (at("2026-12-07T13:32:00Z"), at("2026-12-07T13:50:00Z"))
    );
    // 14:00 - 13:50 = 600 s; more than the 5-minute window: not online.
    assert_eq!(lisa.secs_since_last, 600);
    assert!(!lisa.online);
    assert_eq!(snapshot.item(&all(), "acme", "lisa", "Dashboard").as_ref(), Some(lisa));
    assert_eq!(snapshot.item(&all(), "acme", "lisa", "Reports"), None);
}

#[test]
fn actions_of_equal_count_are_in_name_order() {
    let mut live = live(
        "2026-12-07T13:00:00Z",
        &[
            used("acme", "lisa", "2026-12-07T13:01:00Z", "Dashboard", "share", 1),
            used("acme", "lisa", "2026-12-07T13:02:00Z", "Dashboard", "export", 1),
            used("acme", "lisa", "2026-12-07T13:03:00Z", "Dashboard", "open", 1),
            used("acme", "lisa", "2026-12-07T13:04:00Z", "Dashboard", "open", 1),
        ],
    );
    let item = snapshot(&mut live, "2026-12-07T14:00:00Z")
        .item(&all(), "acme", "lisa", "Dashboard")
        .unwrap();
    let actions: Vec<(&str, u64)> =
        item.actions.iter().map(|action| (&*action.action, action.count)).collect();
    assert_eq!(actions, vec![("open", 2), ("export", 1), ("share", 1)]);
}

/// Six items: Lisa's at 13:50, then four whose last use is 13:40 (ordered by
/// account, user, module), then Bob's at 13:10.
fn six_items() -> tally_monitor::Snapshot {
    let mut live = live(
        "2026-12-07T13:00:00Z",
        &[
            used("globex", "bob", "2026-12-07T13:10:00Z", "Admin", "open", 1),
            used("globex", "ann", "2026-12-07T13:40:00Z", "Dashboard", "open", 1),
            used("acme", "tom", "2026-12-07T13:40:00Z", "Reports", "open", 1),
            used("acme", "ann", "2026-12-07T13:40:00Z", "Reports", "open", 1),
            used("acme", "ann", "2026-12-07T13:20:00Z", "Dashboard", "open", 1),
            used("acme", "ann", "2026-12-07T13:40:00Z", "Dashboard", "open", 1),
            used("acme", "lisa", "2026-12-07T13:50:00Z", "Dashboard", "open", 1),
        ],
    );
    snapshot(&mut live, "2026-12-07T14:00:00Z")
}

#[test]
fn pages_follow_the_cursor_newest_first_then_account_user_and_module() {
    let snapshot = six_items();
    let first = snapshot.stream_page(&all(), None, 2);
    assert_eq!(
        first.items.iter().map(short).collect::<Vec<_>>(),
        vec!["acme/lisa/Dashboard 1", "acme/ann/Dashboard 2"]
    );
    let cursor = first.next.expect("more items");
    assert_eq!(
        cursor,
        StreamCursor {
            last_at: at("2026-12-07T13:40:00Z"),
            account: "acme".into(),
            user: "ann".into(),
            module: "Dashboard".into(),
        }
    );
    let second = snapshot.stream_page(&all(), Some(&cursor), 2);
    assert_eq!(
        second.items.iter().map(short).collect::<Vec<_>>(),
        vec!["acme/ann/Reports 1", "acme/tom/Reports 1"]
    );
    let third = snapshot.stream_page(&all(), second.next.as_ref(), 2);
    assert_eq!(
        third.items.iter().map(short).collect::<Vec<_>>(),
        vec!["globex/ann/Dashboard 1", "globex/bob/Admin 1"]
    );
    // Nothing after the last item.
    assert_eq!(third.next, None);
}

#[test]
fn a_cursor_continues_after_its_place_even_when_its_item_is_gone() {
    let snapshot = six_items();
    // No item is acme/bob/X at 13:40: it would sit between acme/ann/Reports
    // and acme/tom/Reports.
    let cursor = StreamCursor {
        last_at: at("2026-12-07T13:40:00Z"),
        account: "acme".into(),
        user: "bob".into(),
        module: "X".into(),
    };
    let page = snapshot.stream_page(&all(), Some(&cursor), 10);
    assert_eq!(
        page.items.iter().map(short).collect::<Vec<_>>(),
        vec!["acme/tom/Reports 1", "globex/ann/Dashboard 1", "globex/bob/Admin 1"]
    );
    assert_eq!(page.next, None);
}

#[test]
fn a_live_stream_gets_the_items_new_or_changed_since_the_previous_refresh() {
    let mut live = live(
        "2026-12-07T13:00:00Z",
        &[
            used("acme", "lisa", "2026-12-07T13:32:00Z", "Dashboard", "open", 30),
            used("acme", "lisa", "2026-12-07T13:32:10Z", "Dashboard", "open", 40),
            used("acme", "lisa", "2026-12-07T13:32:20Z", "Dashboard", "open", 50),
            used("acme", "tom", "2026-12-07T13:40:00Z", "Reports", "open", 10),
        ],
    );
    let first = snapshot(&mut live, "2026-12-07T13:45:00Z");
    // Against an empty refresh, every item is new.
    let empty = live_empty_snapshot();
    assert_eq!(
        first.changed_items(&empty, &all()).iter().map(short).collect::<Vec<_>>(),
        vec!["acme/tom/Reports 1", "acme/lisa/Dashboard 3"]
    );

    // Lisa's fourth use changes her count; Tom's item only ages: not sent.
    live.add(&used("acme", "lisa", "2026-12-07T13:50:00Z", "Dashboard", "export", 15));
    let second = snapshot(&mut live, "2026-12-07T14:00:00Z");
    assert_eq!(
        second.changed_items(&first, &all()).iter().map(short).collect::<Vec<_>>(),
        vec!["acme/lisa/Dashboard 4"]
    );

    // Ann's first use of anything is a new item, newest first before Tom's.
    live.add(&used("acme", "ann", "2026-12-07T14:01:00Z", "Admin", "open", 5));
    live.add(&used("acme", "tom", "2026-12-07T14:00:30Z", "Reports", "open", 5));
    let third = snapshot(&mut live, "2026-12-07T14:02:00Z");
    assert_eq!(
        third.changed_items(&second, &all()).iter().map(short).collect::<Vec<_>>(),
        vec!["acme/ann/Admin 1", "acme/tom/Reports 2"]
    );
    // Nothing happened between two refreshes: nothing to send.
    let fourth = snapshot(&mut live, "2026-12-07T14:02:10Z");
    assert_eq!(fourth.changed_items(&third, &all()), vec![]);
}

fn live_empty_snapshot() -> tally_monitor::Snapshot {
    snapshot(&mut live("2026-12-07T13:00:00Z", &[]), "2026-12-07T13:00:00Z")
}

proptest! {
    /// What a live stream is sent is, worked out another way: every item of
    /// the new refresh that the previous one lacks or counted differently
    /// (looked up one by one), in stream order.
    #[test]
    fn the_changed_items_are_those_new_or_with_a_new_count(
        before in proptest::collection::vec(arbitrary_event(), 0..40),
        after in proptest::collection::vec(arbitrary_event(), 0..40),
    ) {
        let mut live = live("2026-12-07T08:00:00Z", &before);
        let previous = snapshot(&mut live, "2026-12-07T10:00:00Z");
        feed(&mut live, &after);
        let current = snapshot(&mut live, "2026-12-07T10:00:10Z");
        let expected: Vec<StreamItem> = current
            .stream_page(&all(), None, 10_000)
            .items
            .into_iter()
            .filter(|item| {
                previous.item(&all(), &item.account, &item.user, &item.module).map(|item| item.count)
                    != Some(item.count)
            })
            .collect();
        prop_assert_eq!(current.changed_items(&previous, &all()), expected);
    }
}
