//! The usage monitor's quarter sums: exact before, during and after an
//! update, and only for the accounts in scope.

use chrono::{DateTime, Utc};
use tally_access::{MonitorView, Principal, StaffScope};
use tally_store::{Quarter, Store};

use crate::common::*;

fn activity(id: &str, at: &str, module: &str, action: &str, secs: u32) -> String {
    format!(
        r#"{{"id":"{id}","kind":"activity","at":"{at}","user":"u-1","module":"{module}","action":"{action}","time_spent_secs":{secs}}}"#
    )
}

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn view(accounts: &[&str]) -> MonitorView {
    Principal::Staff {
        team: "support".into(),
        scope: StaffScope::Accounts(accounts.iter().map(|slug| slug.to_string()).collect()),
        admin: false,
    }
    .read_monitor()
    .unwrap()
}

/// (account, quarter start, module, action, actions, seconds), in visiting order.
type Row = (String, String, String, String, u64, u64);

fn read(store: &Store, view: &MonitorView, from: &str, to: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    store
        .monitor_activity(view, Quarter::of(instant(from)), Quarter::of(instant(to)), |sum| {
            rows.push((
                sum.account,
                sum.quarter.start().to_rfc3339(),
                sum.module,
                sum.action,
                sum.actions,
                sum.time_spent_secs,
            ))
        })
        .unwrap();
    rows
}

fn row(account: &str, quarter: &str, module: &str, action: &str, actions: u64, secs: u64) -> Row {
    (account.into(), quarter.into(), module.into(), action.into(), actions, secs)
}

#[test]
fn a_quarter_holds_its_first_instant_and_not_the_next_quarters() {
    let start = |text: &str| Quarter::of(instant(text)).start().to_rfc3339();
    assert_eq!(start("2026-03-02T08:00:00Z"), "2026-03-02T08:00:00+00:00");
    assert_eq!(start("2026-03-02T08:14:59.999999Z"), "2026-03-02T08:00:00+00:00");
    assert_eq!(start("2026-03-02T08:15:00Z"), "2026-03-02T08:15:00+00:00");
    // Before the epoch, a quarter still starts at or before its instants.
    assert_eq!(start("1969-12-31T23:59:59Z"), "1969-12-31T23:45:00+00:00");
}

/// The same figures before any update (from the index), after an update in
/// steps of two events, and with events stored after the update (kept sums
/// plus the tail).
#[test]
fn the_sums_are_exact_before_during_and_after_an_update() {
    let (_dir, path, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    let (globex, _) = create(&mut store, "globex");
    let first = [
        activity("a1", "2026-03-02T08:00:00Z", "Dashboard", "export", 120),
        activity("a2", "2026-03-02T08:14:59.999999Z", "Dashboard", "export", 60),
        activity("a3", "2026-03-02T08:15:00Z", "Dashboard", "view", 30),
        login("l1", "u-1", "2026-03-02T08:01:00Z"),
        activity("a4", "2026-03-02T09:00:00Z", "Reports", "run", 300),
    ];
    store.append(acme.id, &events(&first.join("\n"))).unwrap();
    store
        .append(
            globex.id,
            &events(&activity("g1", "2026-03-02T08:00:00Z", "Dashboard", "export", 5)),
        )
        .unwrap();
    let both = view(&["acme", "globex"]);
    // a1 and a2 share the 08:00 quarter: 2 actions, 120 + 60 = 180 s.
    let expected = vec![
        row("acme", "2026-03-02T08:00:00+00:00", "Dashboard", "export", 2, 180),
        row("acme", "2026-03-02T08:15:00+00:00", "Dashboard", "view", 1, 30),
        row("acme", "2026-03-02T09:00:00+00:00", "Reports", "run", 1, 300),
        row("globex", "2026-03-02T08:00:00+00:00", "Dashboard", "export", 1, 5),
    ];
    let day = ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z");
    assert_eq!(read(&store, &both, day.0, day.1), expected);

    // Four activity events in steps of two (the login is not one of them).
    assert_eq!(store.update_monitor("acme", 2).unwrap(), 4);
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM monitor_quarters"), 3);
    assert_eq!(read(&store, &both, day.0, day.1), expected);
    // Nothing new: nothing counted.
    assert_eq!(store.update_monitor("acme", 2).unwrap(), 0);

    // One more in a kept quarter and one in a new one, not yet counted.
    let later = [
        activity("a5", "2026-03-02T08:10:00Z", "Dashboard", "export", 20),
        activity("a6", "2026-03-02T23:45:00Z", "Reports", "run", 15),
    ];
    store.append(acme.id, &events(&later.join("\n"))).unwrap();
    let mut now = expected.clone();
    now[0] = row("acme", "2026-03-02T08:00:00+00:00", "Dashboard", "export", 3, 200);
    now.insert(3, row("acme", "2026-03-02T23:45:00+00:00", "Reports", "run", 1, 15));
    assert_eq!(read(&store, &both, day.0, day.1), now);
    assert_eq!(store.update_monitor("acme", 100).unwrap(), 2);
    assert_eq!(read(&store, &both, day.0, day.1), now);

    // A range of quarters: from 08:15 up to, not including, 23:45.
    assert_eq!(
        read(&store, &both, "2026-03-02T08:15:00Z", "2026-03-02T23:45:00Z"),
        vec![now[1].clone(), now[2].clone()]
    );
    // Only the accounts in scope.
    assert_eq!(read(&store, &view(&["globex"]), day.0, day.1), vec![now[4].clone()]);
}

#[test]
fn deleting_an_account_deletes_its_sums() {
    let (_dir, path, mut store) = fresh();
    let (acme, _) = create(&mut store, "acme");
    let one = activity("a1", "2026-03-02T08:00:00Z", "Dashboard", "export", 120);
    store.append(acme.id, &events(&one)).unwrap();
    store.update_monitor("acme", 10).unwrap();
    store.delete_account("acme").unwrap();
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM monitor_quarters"), 0);
    assert_eq!(stored_rows(&path, "SELECT count(*) FROM monitor_progress"), 0);
}
