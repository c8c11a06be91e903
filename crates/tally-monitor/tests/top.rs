//! The top-10 lists of today and how they break ties.

use tally_monitor::{SeenEvent, TopToday};

use crate::common::*;

/// The four lists as text, to compare whole.
fn lists(top: &TopToday) -> [Vec<String>; 4] {
    [
        top.accounts.iter().map(|a| format!("{} {}", a.account, a.users_seen_today)).collect(),
        top.users
            .iter()
            .map(|u| format!("{}/{} {}", u.account, u.user, u.time_spent_secs))
            .collect(),
        top.modules.iter().map(|m| format!("{} {}", m.module, m.users)).collect(),
        top.activities.iter().map(|a| format!("{}/{} {}", a.module, a.action, a.actions)).collect(),
    ]
}

/// Twelve accounts with one user each, and in `acme` twelve users who each
/// used their own module once for 60 s; `acme` also has `zed`, who spent
/// 100 s in `Zeta / run` twice, and `amy`, in `Zeta / run` once for 1 s.
fn crowded() -> Vec<SeenEvent> {
    let mut events = Vec::new();
    // Slugs in byte order: a1 < a10 < a11 < a2 < ... < a9 (digits compare as
    // bytes, "10" before "2").
    for account in 1..=12 {
        events.push(login(&format!("a{account}"), "u", "2026-12-07T09:00:00Z"));
    }
    for user in 1..=12 {
        events.push(used(
            "acme",
            &format!("u{user}"),
            "2026-12-07T09:00:00Z",
            &format!("M{user}"),
            "open",
            60,
        ));
    }
    events.push(used("acme", "zed", "2026-12-07T09:10:00Z", "Zeta", "run", 50));
    events.push(used("acme", "zed", "2026-12-07T09:11:00Z", "Zeta", "run", 50));
    events.push(used("acme", "amy", "2026-12-07T09:12:00Z", "Zeta", "run", 1));
    events
}

#[test]
fn ties_go_to_the_smaller_account_user_module_and_action() {
    let mut live = live("2026-12-07T09:00:00Z", &crowded());
    let top = snapshot(&mut live, "2026-12-07T10:00:00Z").top(&all());
    let [accounts, users, modules, activities] = lists(&top);
    // acme has 14 users seen (u1-u12, zed, amy); the 12 others 1 each, in
    // byte order: a1, a10, a11, a12, a2, ..., a6 fill the other nine places.
    assert_eq!(
        accounts,
        vec!["acme 14", "a1 1", "a10 1", "a11 1", "a12 1", "a2 1", "a3 1", "a4 1", "a5 1", "a6 1"]
    );
    // zed 100 s first; then nine of the twelve 60 s users in byte order: u1,
    // u10, u11, u12, u2, ..., u6. amy (1 s) is out.
    assert_eq!(
        users,
        vec![
            "acme/zed 100",
            "acme/u1 60",
            "acme/u10 60",
            "acme/u11 60",
            "acme/u12 60",
            "acme/u2 60",
            "acme/u3 60",
            "acme/u4 60",
            "acme/u5 60",
            "acme/u6 60",
        ]
    );
    // Zeta has 2 users (zed, amy); M1-M12 have 1 each.
    assert_eq!(
        modules,
        vec!["Zeta 2", "M1 1", "M10 1", "M11 1", "M12 1", "M2 1", "M3 1", "M4 1", "M5 1", "M6 1"]
    );
    // Zeta / run 3 actions; each Mn / open 1.
    assert_eq!(
        activities,
        vec![
            "Zeta/run 3",
            "M1/open 1",
            "M10/open 1",
            "M11/open 1",
            "M12/open 1",
            "M2/open 1",
            "M3/open 1",
            "M4/open 1",
            "M5/open 1",
            "M6/open 1",
        ]
    );
}

#[test]
fn the_lists_are_the_same_whatever_order_the_events_came_in() {
    let events = crowded();
    let mut forward = live("2026-12-07T09:00:00Z", &events);
    let reversed: Vec<SeenEvent> = events.into_iter().rev().collect();
    let mut backward = live("2026-12-07T09:00:00Z", &reversed);
    let one = snapshot(&mut forward, "2026-12-07T10:00:00Z").top(&all());
    let other = snapshot(&mut backward, "2026-12-07T10:00:00Z").top(&all());
    assert_eq!(lists(&one), lists(&other));
    // And on the next refresh with the same events.
    let again = snapshot(&mut forward, "2026-12-07T10:00:10Z").top(&all());
    assert_eq!(lists(&one), lists(&again));
}

#[test]
fn modules_count_each_accounts_users_apart() {
    // The same user id in two accounts is two users of Dashboard.
    let mut live = live(
        "2026-12-07T09:00:00Z",
        &[
            used("acme", "lisa", "2026-12-07T09:00:00Z", "Dashboard", "open", 1),
            used("acme", "lisa", "2026-12-07T09:01:00Z", "Dashboard", "export", 1),
            used("globex", "lisa", "2026-12-07T09:00:00Z", "Dashboard", "open", 1),
        ],
    );
    let top = snapshot(&mut live, "2026-12-07T10:00:00Z").top(&all());
    let [accounts, users, modules, activities] = lists(&top);
    assert_eq!(accounts, vec!["acme 1", "globex 1"]);
    assert_eq!(users, vec!["acme/lisa 2", "globex/lisa 1"]);
    assert_eq!(modules, vec!["Dashboard 2"]);
    assert_eq!(activities, vec!["Dashboard/open 2", "Dashboard/export 1"]);
}
