//! A staff team sees only the accounts in its scope, in every figure, list
//! and item.

use proptest::prelude::*;
use tally_monitor::TodayCounts;

use crate::common::*;

fn two_accounts() -> tally_monitor::Snapshot {
    let mut live = live(
        "2026-12-07T09:00:00Z",
        &[
            used("acme", "lisa", "2026-12-07T09:58:00Z", "Dashboard", "open", 30),
            used("globex", "tom", "2026-12-07T09:59:00Z", "Secret", "peek", 500),
            login("globex", "una", "2026-12-07T09:59:30Z"),
        ],
    );
    snapshot(&mut live, "2026-12-07T10:00:00Z")
}

#[test]
fn an_account_outside_the_scope_is_in_no_figure_list_or_item() {
    let snapshot = two_accounts();
    let acme = only(&["acme", "initech"]);
    let today = snapshot.today(&acme);
    // Lisa alone: 1 account, 1 user online, seen, active; 30 s.
    assert_eq!(
        (
            today.accounts_online,
            today.users_online,
            today.users_seen_today,
            today.users_with_activity_today,
            today.time_spent_secs,
            today.time_per_user_secs
        ),
        (1, 1, 1, 1, 30, Some(30))
    );
    let top = snapshot.top(&acme);
    assert!(top.accounts.iter().all(|entry| &*entry.account == "acme"), "{top:?}");
    assert!(top.users.iter().all(|entry| &*entry.account == "acme"), "{top:?}");
    assert!(top.modules.iter().all(|entry| &*entry.module != "Secret"), "{top:?}");
    assert!(top.activities.iter().all(|entry| &*entry.module != "Secret"), "{top:?}");
    assert_eq!((top.accounts.len(), top.users.len(), top.modules.len()), (1, 1, 1));

    let page = snapshot.stream_page(&acme, None, 100);
    assert_eq!(page.items.len(), 1);
    assert_eq!(&*page.items[0].account, "acme");
    let empty = live("2026-12-07T09:00:00Z", &[])
        .snapshot(at("2026-12-07T09:00:00Z"), &tally_monitor::Tracking::everything());
    let changed = snapshot.changed_items(&empty, &acme);
    assert_eq!(changed.len(), 1);
    assert_eq!(&*changed[0].account, "acme");
    assert_eq!(snapshot.item(&acme, "globex", "tom", "Secret"), None);
    // The whole scope sees it.
    assert!(snapshot.item(&all(), "globex", "tom", "Secret").is_some());

    // A scope of no account that has events sees nothing at all.
    let nobody = snapshot.today(&only(&["initech"]));
    assert_eq!((nobody.users_seen_today, nobody.time_per_user_secs), (0, None));
    assert_eq!(snapshot.stream_page(&only(&[]), None, 10).items, vec![]);
}

/// The sums over accounts, each counted alone: an independent way to the
/// figures of a scope.
fn summed(parts: &[TodayCounts]) -> (u64, u64, u64, u64, u64) {
    parts.iter().fold((0, 0, 0, 0, 0), |sum, part| {
        (
            sum.0 + part.accounts_online,
            sum.1 + part.users_online,
            sum.2 + part.users_seen_today,
            sum.3 + part.users_with_activity_today,
            sum.4 + part.time_spent_secs,
        )
    })
}

proptest! {
    #[test]
    fn a_scope_counts_what_its_accounts_count_alone(
        events in proptest::collection::vec(arbitrary_event(), 0..60),
        scope in proptest::sample::subsequence(vec!["acme", "globex", "initech", "umbrella"], 0..=4),
    ) {
        let mut live = live("2026-12-07T08:00:00Z", &events);
        let snapshot = snapshot(&mut live, "2026-12-07T09:30:00Z");
        let together = snapshot.today(&only(&scope));
        let alone: Vec<TodayCounts> =
            scope.iter().map(|account| snapshot.today(&only(&[account]))).collect();
        prop_assert_eq!(
            (
                together.accounts_online,
                together.users_online,
                together.users_seen_today,
                together.users_with_activity_today,
                together.time_spent_secs,
            ),
            summed(&alone)
        );
        let page = snapshot.stream_page(&only(&scope), None, 1_000);
        let items_alone: usize = scope
            .iter()
            .map(|account| snapshot.stream_page(&only(&[account]), None, 1_000).items.len())
            .sum();
        prop_assert_eq!(page.items.len(), items_alone);
    }
}
