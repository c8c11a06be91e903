//! The persisted seat state: updated from the event log, read without it.

use std::path::Path;

use chrono::{DateTime, Utc};
use tally_seats::{SeatLedger, SeatRule, SeatStatus};
use tally_store::{AccountId, Store};

use crate::common::*;

fn send(store: &mut Store, account: AccountId, lines: &[String]) {
    let outcome = store.append(account, &events(&lines.join("\n"))).unwrap();
    assert_eq!(outcome.accepted, lines.len());
}

fn login_to(id: &str, user: &str, at: &str, organization: &str) -> String {
    format!(
        r#"{{"id":"{id}","kind":"login","at":"{at}","user":"{user}","organization":"{organization}"}}"#
    )
}

/// ada's logins to `eu` on the Mondays 2026-03-02, 03-09 and 03-16: a seat from March.
fn ada_on_three_march_mondays() -> [String; 3] {
    [
        login_to("a1", "ada", "2026-03-02T09:00:00Z", "eu"),
        login_to("a2", "ada", "2026-03-09T09:00:00Z", "eu"),
        login_to("a3", "ada", "2026-03-16T09:00:00Z", "eu"),
    ]
}

fn lifecycle(id: &str, kind: &str, user: &str, at: &str) -> String {
    format!(r#"{{"id":"{id}","kind":"{kind}","at":"{at}","user":"{user}"}}"#)
}

fn seats(store: &Store, organization: Option<&str>) -> Vec<u32> {
    store
        .monthly_seats(&usage("acme"), organization)
        .unwrap()
        .iter()
        .map(|figure| figure.seats)
        .collect()
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn purge_logins(path: &Path) {
    // What a 30-day retention does to sign-in events, done by hand.
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.execute("DELETE FROM events WHERE kind = 'login'", []).unwrap();
}

#[test]
fn seats_survive_the_purge_of_the_logins_they_came_from() {
    let (_dir, path, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    // ada: Mondays 03-02, 03-09, 03-16 to eu: a seat from March. bob: two weeks only.
    let bob_two_weeks = [
        login_to("b1", "bob", "2026-03-02T09:00:00Z", "us"),
        login_to("b2", "bob", "2026-03-09T09:00:00Z", "us"),
    ];
    send(&mut store, account.id, &[&ada_on_three_march_mondays()[..], &bob_two_weeks].concat());
    store.update_seats("acme").unwrap();
    // The term is 2026: January to December; ada from March.
    let ada_only = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    assert_eq!(seats(&store, None), ada_only);
    assert_eq!(seats(&store, Some("eu")), ada_only);
    assert_eq!(seats(&store, Some("us")), [0; 12]);
    let before = store.explain_seat(&usage("acme"), "ada", at("2026-04-01T00:00:00Z")).unwrap();
    drop(store);

    purge_logins(&path);
    let mut store = open(&path);
    assert_eq!(store.update_seats("acme").unwrap().events, 0);
    assert_eq!(seats(&store, None), ada_only);
    assert_eq!(
        store.explain_seat(&usage("acme"), "ada", at("2026-04-01T00:00:00Z")).unwrap(),
        before
    );

    // bob's third week arrives after the purge: his two purged logins still count.
    send(&mut store, account.id, &[login_to("b3", "bob", "2026-04-13T09:00:00Z", "us")]);
    let update = store.update_seats("acme").unwrap();
    assert_eq!((update.events, update.users, update.rebuilt), (1, 1, false));
    assert_eq!(seats(&store, None), [0, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    assert_eq!(seats(&store, Some("us")), [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    let figures = store.monthly_seats(&usage("acme"), None).unwrap();
    // April against March: +1, +100%.
    assert_eq!((figures[3].change, figures[3].change_percent), (1, Some(100.0)));

    // The activated seats log at 2026-05-01: ada (3 logins, 3 weeks) and bob (3, 3),
    // two of whose logins exist only in the seat state now.
    let log: Vec<(String, String, u32, u32)> = store
        .activated_seats(&usage("acme"), at("2026-05-01T00:00:00Z"))
        .unwrap()
        .into_iter()
        .map(|entry| {
            let seat = entry.seat;
            (seat.user, seat.activated_at.to_rfc3339(), seat.logins, seat.weeks)
        })
        .collect();
    assert_eq!(
        log,
        [
            ("ada".to_owned(), "2026-03-16T09:00:00+00:00".to_owned(), 3, 3),
            ("bob".to_owned(), "2026-04-13T09:00:00+00:00".to_owned(), 3, 3),
        ]
    );
}

#[test]
fn a_late_removal_takes_a_seat_out_of_the_months_after_it() {
    let (_dir, _, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    send(&mut store, account.id, &ada_on_three_march_mondays());
    store.update_seats("acme").unwrap();
    // Removed in June: counted in March to June, not after.
    send(&mut store, account.id, &[lifecycle("r1", "user_removed", "ada", "2026-06-10T00:00:00Z")]);
    store.update_seats("acme").unwrap();
    assert_eq!(seats(&store, None), [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(seats(&store, Some("eu")), [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        store.explain_seat(&usage("acme"), "ada", at("2026-07-01T00:00:00Z")).unwrap().status,
        SeatStatus::Removed
    );
}

/// Updating after every batch gives the counts the engine gives over all the
/// events at once: a check of the delta bookkeeping by an independent path.
#[test]
fn updating_batch_by_batch_equals_counting_everything_at_once() {
    let (_dir, _, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    let mut all = Vec::new();
    let mut state = 7u64;
    let mut next = |bound: u64| {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % bound
    };
    for batch in 0..12 {
        let mut lines = Vec::new();
        for n in 0..25 {
            let user = format!("u{}", next(8));
            // Any day of 2026, so batches carry late logins too.
            let day = next(365) as i64;
            let instant =
                DateTime::from_timestamp(1_767_225_600 + day * 86_400 + 3_600, 0).unwrap();
            let id = format!("e{batch}-{n}");
            if next(10) == 0 {
                let kind = ["user_removed", "user_added", "user_disabled", "user_enabled"]
                    [next(4) as usize];
                lines.push(lifecycle(&id, kind, &user, &instant.to_rfc3339()));
                all.push((user, instant, Some(kind)));
            } else {
                lines.push(login(&id, &user, &instant.to_rfc3339()));
                all.push((user, instant, None));
            }
        }
        send(&mut store, account.id, &lines);
        store.update_seats("acme").unwrap();
    }
    // A second account's copy of the same events, updated once in steps of 7.
    let (other, _) = create(&mut store, "globex");
    let copies: Vec<String> = all
        .iter()
        .enumerate()
        .map(|(n, (user, instant, change))| match change {
            None => login(&format!("c{n}"), user, &instant.to_rfc3339()),
            Some(kind) => lifecycle(&format!("c{n}"), kind, user, &instant.to_rfc3339()),
        })
        .collect();
    send(&mut store, other.id, &copies);
    let update = store.update_seats_in_steps("globex", 7).unwrap();
    assert_eq!(update.events, 300);

    let term = "2026-01-01..2027-01-01".parse().unwrap();
    let mut ledger = SeatLedger::new(Default::default(), &[term], SeatRule::default()).unwrap();
    for (user, instant, change) in &all {
        match change {
            None => {
                ledger.record_login(user, *instant);
            }
            Some(kind) => {
                use tally_seats::LifecycleChange::*;
                let change = match *kind {
                    "user_removed" => Removed,
                    "user_added" => Added,
                    "user_disabled" => Disabled,
                    _ => Enabled,
                };
                ledger.record_lifecycle(user, *instant, change);
            }
        }
    }
    let january = tally_seats::Month { year: 2026, month: 1 };
    let december = tally_seats::Month { year: 2026, month: 12 };
    let expected: Vec<u32> =
        ledger.monthly_active_seats(january, december).iter().map(|figure| figure.seats).collect();
    assert!(expected.iter().any(|seats| *seats > 0), "the data makes some seats: {expected:?}");
    assert_eq!(seats(&store, None), expected);
    let in_steps: Vec<u32> = store
        .monthly_seats(&usage("globex"), None)
        .unwrap()
        .iter()
        .map(|figure| figure.seats)
        .collect();
    assert_eq!(in_steps, expected);
}

#[test]
fn an_accounts_own_seat_rule_recounts_every_user() {
    let (_dir, _, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    // ada logs in in two weeks only (Mondays 03-02 and 03-09): no seat by the seed's rule.
    send(
        &mut store,
        account.id,
        &[
            login_to("a1", "ada", "2026-03-02T09:00:00Z", "eu"),
            login_to("a2", "ada", "2026-03-09T09:00:00Z", "eu"),
        ],
    );
    store.update_seats("acme").unwrap();
    assert_eq!(store.seat_rule("acme").unwrap(), SeatRule::default());
    assert_eq!(seats(&store, None), [0; 12]);

    // Two logins in two weeks make a seat under the account's own rule.
    let rule = SeatRule { weeks_needed: 2, logins_needed: 2, logins_per_week: 1 };
    store.set_seat_rule("acme", rule).unwrap();
    assert_eq!(store.seat_rule("acme").unwrap(), rule);
    let update = store.update_seats("acme").unwrap();
    assert_eq!((update.events, update.users, update.rebuilt), (0, 1, true));
    assert_eq!(seats(&store, None), [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);

    let zero = SeatRule { logins_per_week: 0, ..rule };
    let error = store.set_seat_rule("acme", zero).unwrap_err();
    assert_eq!(error.to_string(), "cannot set the seat rule of account \"acme\"");
    assert_eq!(store.seat_rule("acme").unwrap(), rule);
}

#[test]
fn the_log_shows_each_seats_latest_names_organizations_and_teams() {
    let (_dir, _, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    let added = |id: &str, at: &str, email: &str, teams: &str| {
        format!(
            r#"{{"id":"{id}","kind":"user_added","at":"{at}","user":"ada","email":"{email}","display_name":"Ada L.","organization":"eu","teams":[{teams}]}}"#
        )
    };
    send(&mut store, account.id, &[
        added("p1", "2026-02-01T00:00:00Z", "ada@old.example", r#""core""#),
        login_to("a1", "ada", "2026-03-02T09:00:00Z", "eu"),
        login_to("a2", "ada", "2026-03-09T09:00:00Z", "us"),
        login_to("a3", "ada", "2026-03-16T09:00:00Z", "eu"),
        r#"{"id":"t1","kind":"user_teams_changed","at":"2026-04-01T00:00:00Z","user":"ada","teams":["core","platform"]}"#.to_owned(),
    ]);
    store.update_seats("acme").unwrap();
    // A late `user_added` from before the first one changes nothing; the teams of
    // 04-01 stay, being newer than any team list this event carries.
    send(
        &mut store,
        account.id,
        &[added("p0", "2026-01-15T00:00:00Z", "ada@older.example", r#""ops""#)],
    );
    store.update_seats("acme").unwrap();
    let log = store.activated_seats(&usage("acme"), at("2026-05-01T00:00:00Z")).unwrap();
    assert_eq!(log.len(), 1);
    let entry = &log[0];
    assert_eq!(entry.seat.user, "ada");
    assert_eq!(entry.email.as_deref(), Some("ada@old.example"));
    assert_eq!(entry.display_name.as_deref(), Some("Ada L."));
    assert_eq!(entry.organizations, ["eu", "us"]);
    assert_eq!(entry.teams, ["core", "platform"]);
}

#[test]
fn the_log_gives_each_seat_its_own_users_profile_whether_read_or_rebuilt() {
    let (_dir, _, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    let added = |id: &str, user: &str, at: &str, email: &str, teams: &str| {
        format!(
            r#"{{"id":"{id}","kind":"user_added","at":"{at}","user":"{user}","email":"{email}","organization":"eu","teams":[{teams}]}}"#
        )
    };
    let mondays = |user: &str, days: [&str; 3]| {
        days.map(|day| login_to(&format!("{user}-{day}"), user, &format!("{day}T09:00:00Z"), "eu"))
    };
    // ann, bob and eve log in on the Mondays 03-02, 03-09 and 03-16, bob again on
    // 04-20; cat has a profile and no login; dan is a seat from 01-19, removed on
    // 02-01, added again on 02-02 and a seat again from 02-23.
    let mut lines = vec![
        added("p-ann", "ann", "2026-02-01T00:00:00Z", "ann@example.com", r#""core""#),
        added("p-cat", "cat", "2026-02-01T00:00:00Z", "cat@example.com", r#""core""#),
        added("p-dan", "dan", "2026-01-01T00:00:00Z", "dan@example.com", r#""ops""#),
        lifecycle("r-dan", "user_removed", "dan", "2026-02-01T00:00:00Z"),
        added("p-dan-again", "dan", "2026-02-02T00:00:00Z", "dan@new.example.com", r#""ops""#),
        login_to("bob-late", "bob", "2026-04-20T09:00:00Z", "eu"),
    ];
    for user in ["ann", "bob", "eve"] {
        lines.extend(mondays(user, ["2026-03-02", "2026-03-09", "2026-03-16"]));
    }
    lines.extend(mondays("dan", ["2026-01-05", "2026-01-12", "2026-01-19"]));
    lines.extend(mondays("dan", ["2026-02-09", "2026-02-16", "2026-02-23"]));
    send(&mut store, account.id, &lines);
    store.update_seats("acme").unwrap();
    // On 04-01 bob's login of 04-20 is in a later week than the log's instant:
    // his row is rebuilt from his history, the others are read from theirs.
    let log = store.activated_seats(&usage("acme"), at("2026-04-01T00:00:00Z")).unwrap();
    let read: Vec<_> = log
        .iter()
        .map(|entry| {
            (
                entry.seat.user.as_str(),
                entry.seat.activated_at,
                (entry.seat.logins, entry.seat.weeks, entry.seat.status),
                entry.email.as_deref(),
                entry.teams.clone(),
            )
        })
        .collect();
    let active = (3, 3, SeatStatus::Active);
    let march_16 = at("2026-03-16T09:00:00Z");
    assert_eq!(
        read,
        [
            ("ann", march_16, active, Some("ann@example.com"), vec!["core".to_owned()]),
            ("bob", march_16, active, None, vec![]),
            (
                "dan",
                at("2026-02-23T09:00:00Z"),
                active,
                Some("dan@new.example.com"),
                vec!["ops".to_owned()]
            ),
            ("eve", march_16, active, None, vec![]),
        ]
    );
}

#[test]
fn the_seat_state_version_moves_with_updates_and_the_rule_only() {
    let (_dir, _, mut store) = fresh();
    let (account, _) = create(&mut store, "acme");
    let version = |store: &Store| store.seat_state_version(&usage("acme")).unwrap();
    let before_any_update = version(&store);
    send(&mut store, account.id, &[login_to("a1", "ada", "2026-03-02T09:00:00Z", "eu")]);
    // Events not yet taken in change nothing the figures are read from.
    assert_eq!(version(&store), before_any_update);
    store.update_seats("acme").unwrap();
    let updated = version(&store);
    assert_ne!(updated, before_any_update);
    // An update with nothing new, and reads, leave it.
    store.update_seats("acme").unwrap();
    store.activated_seats(&usage("acme"), at("2026-12-31T00:00:00Z")).unwrap();
    assert_eq!(version(&store), updated);
    send(&mut store, account.id, &[login_to("a2", "ada", "2026-03-09T09:00:00Z", "eu")]);
    store.update_seats("acme").unwrap();
    let later = version(&store);
    assert_ne!(later, updated);
    // A new rule changes it at once, before the recount, and again after.
    let rule = SeatRule { weeks_needed: 2, logins_needed: 2, logins_per_week: 1 };
    store.set_seat_rule("acme", rule).unwrap();
    let new_rule = version(&store);
    assert_ne!(new_rule, later);
    store.update_seats("acme").unwrap();
    assert_ne!(version(&store), new_rule);
}
