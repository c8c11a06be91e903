//! Usage read from the event log: monthly counts in the account's zone, and runs
//! listed with the reader's leave, sorted and paged.

use tally_access::Principal;
use tally_calendar::AccountCalendar;
use tally_store::{AccountId, RunColumn, RunQuery, RunState, RunsAfter, Store};

use crate::common::*;

fn run(id: &str, at: &str, action: &str, status: &str, user: &str) -> String {
    format!(
        r#"{{"id":"{id}","kind":"action_run","at":"{at}","organization":"east","action":"{action}","run_id":"r-{id}","trigger":"ui","status":"{status}","user":"{user}"}}"#
    )
}

fn query(sort: RunColumn, descending: bool, limit: usize) -> RunQuery {
    RunQuery {
        user: None,
        action: None,
        status: None,
        run_id: None,
        from: None,
        to: None,
        sort,
        descending,
        after: None,
        limit,
    }
}

/// `acme`, whose months are those of Tokyo (UTC+9).
fn create_in_tokyo(store: &mut Store) -> tally_store::Account {
    store
        .create_account(&tally_store::NewAccount {
            calendar: AccountCalendar {
                time_zone: "Asia/Tokyo".parse().unwrap(),
                ..Default::default()
            },
            ..new_account("acme")
        })
        .unwrap()
        .0
}

/// A new store whose account `acme` holds `lines`; the directory keeps the file.
fn acme_holding(lines: &[String]) -> (tempfile::TempDir, Store, AccountId) {
    let (dir, _, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    store.append(account.id, &events(&lines.join("\n"))).unwrap();
    (dir, store, account.id)
}

fn ids(states: &[RunState]) -> Vec<&str> {
    states.iter().map(|state| state.run_id.as_str()).collect()
}

#[test]
fn events_are_counted_per_month_of_the_account_time_zone() {
    let (_dir, _, mut store) = fresh();
    let account = create_in_tokyo(&mut store);
    // 2026-02-28T15:30Z is 00:30 on March 1st in Tokyo (UTC+9): March's.
    // 2026-02-28T14:59Z is 23:59 on February 28th: February's.
    let lines = [
        login("l1", "u-1", "2026-02-28T14:59:00Z"),
        login("l2", "u-1", "2026-02-28T15:30:00Z"),
        login("l3", "u-2", "2026-03-31T14:00:00Z"),
        login("l4", "u-2", "2026-05-02T00:00:00Z"),
        run("a1", "2026-03-10T00:00:00Z", "deploy", "success", "u-1"),
    ];
    store.append(account.id, &events(&lines.join("\n"))).unwrap();
    let counts: Vec<(String, String, u64)> = store
        .monthly_event_counts(&usage("acme"))
        .unwrap()
        .iter()
        .map(|count| (count.month.to_string(), count.kind.wire_name().to_owned(), count.events))
        .collect();
    // April has no event and is left out; l3 is 23:00 on March 31st in Tokyo.
    assert_eq!(
        counts,
        [
            ("2026-02".to_owned(), "login".to_owned(), 1),
            ("2026-03".to_owned(), "action_run".to_owned(), 1),
            ("2026-03".to_owned(), "login".to_owned(), 2),
            ("2026-05".to_owned(), "login".to_owned(), 1),
        ]
    );
}

#[test]
fn a_member_lists_only_their_own_runs_and_an_administrator_all() {
    let (_dir, store, _) = acme_holding(&[
        run("1", "2026-03-01T10:00:00Z", "deploy", "success", "ana"),
        run("2", "2026-03-01T11:00:00Z", "deploy", "failure", "bo"),
        run("3", "2026-03-02T10:00:00Z", "scale", "success", "ana"),
    ]);
    let member = Principal::Member { account: "acme".into(), user: "ana".into() };
    let administrator =
        Principal::Administrator { account: "acme".into(), server_management_read: false };
    let all = query(RunColumn::At, false, 10);
    assert_eq!(ids(&store.runs(&member.read_runs("acme").unwrap(), &all).unwrap()), ["r-1", "r-3"]);
    assert_eq!(
        ids(&store.runs(&administrator.read_runs("acme").unwrap(), &all).unwrap()),
        ["r-1", "r-2", "r-3"]
    );
    // Asking for someone else's runs as a member finds nothing.
    let others = RunQuery { user: Some("bo".into()), ..all.clone() };
    assert!(store.runs(&member.read_runs("acme").unwrap(), &others).unwrap().is_empty());
    let failed = RunQuery { status: Some("failure".into()), ..all };
    assert_eq!(
        ids(&store.runs(&administrator.read_runs("acme").unwrap(), &failed).unwrap()),
        ["r-2"]
    );
}

#[test]
fn pages_follow_the_sort_and_are_not_shifted_by_later_arrivals() {
    // Actions b, a, c, a, b: sorted by action then arrival: 2 a, 4 a, 1 b, 5 b, 3 c.
    let (_dir, mut store, account) = acme_holding(&[
        run("1", "2026-03-01T10:00:00Z", "b", "success", "ana"),
        run("2", "2026-03-01T11:00:00Z", "a", "success", "ana"),
        run("3", "2026-03-01T12:00:00Z", "c", "success", "ana"),
        run("4", "2026-03-01T13:00:00Z", "a", "success", "ana"),
        run("5", "2026-03-01T14:00:00Z", "b", "success", "ana"),
    ]);
    let view = Principal::Administrator { account: "acme".into(), server_management_read: false }
        .read_runs("acme")
        .unwrap();
    let first = store.runs(&view, &query(RunColumn::Action, false, 2)).unwrap();
    assert_eq!(ids(&first), ["r-2", "r-4"]);
    // Two runs arrive between pages. One of action `0` sorts before the page
    // already read: with offsets it would push r-4 onto the next page again; with
    // the keyset it is simply behind the reader. One of action `a` sorts after r-4
    // (same action, later arrival) and is met on the next page.
    let late = [
        run("6", "2026-03-01T15:00:00Z", "a", "success", "bo"),
        run("7", "2026-03-01T16:00:00Z", "0", "success", "bo"),
    ];
    store.append(account, &events(&late.join("\n"))).unwrap();
    let after =
        |state: &RunState, column| Some(RunsAfter { key: state.key(column), seq: state.seq });
    let by_action = query(RunColumn::Action, false, 2);
    let second = store
        .runs(&view, &RunQuery { after: after(&first[1], RunColumn::Action), ..by_action.clone() })
        .unwrap();
    assert_eq!(ids(&second), ["r-6", "r-1"]);
    let third = store
        .runs(&view, &RunQuery { after: after(&second[1], RunColumn::Action), ..by_action })
        .unwrap();
    assert_eq!(ids(&third), ["r-5", "r-3"]);
    // Descending by time: 7, 6, 5, then 4, 3, 2.
    let newest = store.runs(&view, &query(RunColumn::At, true, 3)).unwrap();
    assert_eq!(ids(&newest), ["r-7", "r-6", "r-5"]);
    let older = store
        .runs(
            &view,
            &RunQuery { after: after(&newest[2], RunColumn::At), ..query(RunColumn::At, true, 3) },
        )
        .unwrap();
    assert_eq!(ids(&older), ["r-4", "r-3", "r-2"]);
}

#[test]
fn kept_counts_are_exact_between_updates_and_outlive_purged_events() {
    let (_dir, path, mut store) = fresh();
    let account = create_in_tokyo(&mut store);
    let counts = |store: &tally_store::Store| -> Vec<(String, String, u64)> {
        store
            .monthly_event_counts(&usage("acme"))
            .unwrap()
            .into_iter()
            .map(|count| (count.month.to_string(), count.kind.wire_name().to_owned(), count.events))
            .collect()
    };
    let row = |month: &str, kind: &str, events| (month.to_owned(), kind.to_owned(), events);
    // 14:59Z on Feb 28th is February in Tokyo; 15:30Z is March 1st there.
    let first =
        [login("l1", "u-1", "2026-02-28T14:59:00Z"), login("l2", "u-1", "2026-02-28T15:30:00Z")];
    store.append(account.id, &events(&first.join("\n"))).unwrap();
    // Never kept: counted over the index.
    assert_eq!(counts(&store), [row("2026-02", "login", 1), row("2026-03", "login", 1)]);
    assert_eq!(store.update_usage_months("acme", 1).unwrap(), 2);
    assert_eq!(stored_rows(&path, "SELECT sum(events) FROM usage_months"), 2);
    assert_eq!(counts(&store), [row("2026-02", "login", 1), row("2026-03", "login", 1)]);

    // Events after the update are added from the log until the next one.
    store.append(account.id, &events(&login("l3", "u-2", "2026-03-10T00:00:00Z"))).unwrap();
    assert_eq!(counts(&store), [row("2026-02", "login", 1), row("2026-03", "login", 2)]);
    assert_eq!(store.update_usage_months("acme", 1000).unwrap(), 1);
    assert_eq!(store.update_usage_months("acme", 1000).unwrap(), 0);

    // The counts do not need the events any more.
    rusqlite::Connection::open(&path).unwrap().execute("DELETE FROM events", []).unwrap();
    assert_eq!(counts(&store), [row("2026-02", "login", 1), row("2026-03", "login", 2)]);
}

#[test]
fn a_new_time_zone_counts_everything_again() {
    let (_dir, path, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    // 23:30Z on March 31st: March in UTC, April in Berlin (UTC+2 in summer).
    store.append(account.id, &events(&login("l1", "u-1", "2026-03-31T23:30:00Z"))).unwrap();
    store.update_usage_months("acme", 1000).unwrap();
    let months = |store: &tally_store::Store| -> Vec<String> {
        store
            .monthly_event_counts(&usage("acme"))
            .unwrap()
            .iter()
            .map(|count| count.month.to_string())
            .collect()
    };
    assert_eq!(months(&store), ["2026-03"]);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE accounts SET time_zone = 'Europe/Berlin'", [])
        .unwrap();
    // Kept under UTC, so not used: counted again in Berlin's months.
    assert_eq!(months(&store), ["2026-04"]);
    assert_eq!(store.update_usage_months("acme", 1000).unwrap(), 1);
    assert_eq!(months(&store), ["2026-04"]);
    assert_eq!(stored_text(&path, "SELECT month FROM usage_months"), "2026-04");
}
