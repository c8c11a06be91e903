//! The persisted seat state against the engine in memory: whatever batches the
//! events come in, late logins included, with the store reopened between
//! batches and the rule changed between two of them, every figure read from
//! the store equals the engine's over the same events.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use tally_seats::{LifecycleChange, SeatLedger, SeatRule};
use tally_store::Store;

use crate::common::*;

/// 2026-01-01T00:00:00Z, the start of the term (UTC, Monday weeks).
const TERM_START: i64 = 1_767_225_600;

const ORGANIZATIONS: [&str; 2] = ["eu", "us"];

/// One generated event: what it is, whose, when (seconds from the term's
/// start; a few fall before it) and the organization it names, if any.
#[derive(Debug, Clone)]
struct Generated {
    what: What,
    user: u8,
    offset_secs: i64,
    organization: Option<u8>,
}

#[derive(Debug, Clone, Copy)]
enum What {
    Login,
    Lifecycle(LifecycleChange),
}

fn generated() -> impl Strategy<Value = Generated> {
    let what = prop_oneof![
        12 => Just(What::Login),
        1 => Just(What::Lifecycle(LifecycleChange::Added)),
        1 => Just(What::Lifecycle(LifecycleChange::Removed)),
        1 => Just(What::Lifecycle(LifecycleChange::Disabled)),
        1 => Just(What::Lifecycle(LifecycleChange::Enabled)),
    ];
    // Most events in the first 16 weeks, so that users log in often enough
    // after their activation to fill a row's late logins.
    let offset = prop_oneof![
        4 => 0i64..16 * 7 * 86_400,
        1 => -10 * 86_400i64..365 * 86_400,
    ];
    (what, 0u8..3, offset, proptest::option::of(0u8..2)).prop_map(
        |(what, user, offset_secs, organization)| Generated {
            what,
            user,
            offset_secs,
            organization,
        },
    )
}

/// How the events reach the store: where the batches are cut, after which
/// batches the store is reopened, after which one the rule changes, and how
/// many events an update reads per step.
#[derive(Debug, Clone)]
struct Delivery {
    cuts: Vec<usize>,
    reopen_after: Vec<bool>,
    rule_change_after: Option<usize>,
    events_per_step: usize,
}

fn delivery(events: usize) -> impl Strategy<Value = Delivery> {
    (
        proptest::collection::vec(0..=events, 0..6),
        proptest::collection::vec(any::<bool>(), 7),
        proptest::option::of(0usize..7),
        prop_oneof![Just(3usize), Just(40), Just(tally_store::SEAT_EVENTS_PER_STEP)],
    )
        .prop_map(|(mut cuts, reopen_after, rule_change_after, events_per_step)| {
            cuts.sort_unstable();
            Delivery { cuts, reopen_after, rule_change_after, events_per_step }
        })
}

fn instant(offset_secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(TERM_START + offset_secs, 0).unwrap()
}

fn line(index: usize, event: &Generated) -> String {
    let at = instant(event.offset_secs).to_rfc3339();
    let user = format!("u{}", event.user);
    let organization = event
        .organization
        .map(|organization| {
            format!(r#","organization":"{}""#, ORGANIZATIONS[organization as usize])
        })
        .unwrap_or_default();
    match event.what {
        What::Login => format!(
            r#"{{"id":"e{index}","kind":"login","at":"{at}","user":"{user}"{organization}}}"#
        ),
        What::Lifecycle(change) => {
            let (kind, rest) = match change {
                LifecycleChange::Added => {
                    ("user_added", format!(r#","role":"member"{organization}"#))
                }
                LifecycleChange::Removed => ("user_removed", String::new()),
                LifecycleChange::Disabled => ("user_disabled", String::new()),
                LifecycleChange::Enabled => ("user_enabled", String::new()),
            };
            format!(r#"{{"id":"e{index}","kind":"{kind}","at":"{at}","user":"{user}"{rest}}}"#)
        }
    }
}

/// The engine in memory over `events`, under `rule`.
fn engine(events: &[Generated], rule: SeatRule) -> SeatLedger {
    let account = new_account("acme");
    let mut ledger = SeatLedger::new(account.calendar, &account.terms, rule).unwrap();
    for event in events {
        let user = format!("u{}", event.user);
        let at = instant(event.offset_secs);
        let organization =
            event.organization.map(|organization| ORGANIZATIONS[organization as usize]);
        match event.what {
            What::Login => {
                if let Some(organization) = organization {
                    ledger.record_organization(&user, organization);
                }
                ledger.record_login(&user, at);
            }
            What::Lifecycle(change) => {
                // Only `user_added` names an organization.
                if let (LifecycleChange::Added, Some(organization)) = (change, organization) {
                    ledger.record_organization(&user, organization);
                }
                ledger.record_lifecycle(&user, at, change);
            }
        }
    }
    ledger
}

/// Every figure the store reads from its seat state, checked against `ledger`
/// at `instants`.
fn check_figures(
    store: &Store,
    ledger: &SeatLedger,
    instants: &[DateTime<Utc>],
) -> Result<(), TestCaseError> {
    let (first, last) = ("2026-01".parse().unwrap(), "2026-12".parse().unwrap());
    prop_assert_eq!(
        store.monthly_seats(&usage("acme"), None).unwrap(),
        ledger.monthly_active_seats(first, last)
    );
    let by_organization = ledger.monthly_active_seats_by_organization(first, last);
    for organization in ORGANIZATIONS {
        let expected = by_organization.get(organization).cloned().unwrap_or_else(|| {
            // An organization without a seat: zeros throughout.
            ledger
                .monthly_active_seats(first, last)
                .into_iter()
                .map(|mut figure| {
                    (figure.seats, figure.change, figure.change_percent) = (0, 0, None);
                    figure
                })
                .collect()
        });
        prop_assert_eq!(
            store.monthly_seats(&usage("acme"), Some(organization)).unwrap(),
            expected,
            "organization {}",
            organization
        );
    }
    for at in instants {
        let log = store.activated_seats(&usage("acme"), *at).unwrap();
        let read: Vec<_> = log.iter().map(|entry| entry.seat.clone()).collect();
        prop_assert_eq!(read, ledger.activated_seats(*at), "log at {}", at);
        for entry in &log {
            prop_assert_eq!(&entry.organizations[..], ledger.organizations(&entry.seat.user));
        }
        for user in ["u0", "u1", "u2"] {
            prop_assert_eq!(
                store.explain_seat(&usage("acme"), user, *at).unwrap(),
                ledger.explain(user, *at),
                "{} at {}",
                user,
                at
            );
        }
    }
    Ok(())
}

/// A rule other than the seed's: 4 logins in 2 weeks of at least 2 each.
fn changed_rule() -> SeatRule {
    SeatRule { weeks_needed: 2, logins_needed: 4, logins_per_week: 2 }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_persisted_state_equals_the_engine_in_memory(
        (events, delivery) in proptest::collection::vec(generated(), 0..160)
            .prop_flat_map(|events| {
                let count = events.len();
                (Just(events), delivery(count))
            })
    ) {
        let (_dir, path, mut store) = fresh();
        let (account, _) = create(&mut store, "acme");
        let mut rule = SeatRule::default();
        let mut bounds = vec![0];
        bounds.extend(delivery.cuts.iter().copied());
        bounds.push(events.len());
        for (batch, window) in bounds.windows(2).enumerate() {
            let lines: Vec<String> =
                (window[0]..window[1]).map(|index| line(index, &events[index])).collect();
            if !lines.is_empty() {
                store.append(account.id, &tally_events_of(&lines)).unwrap();
            }
            store.update_seats_in_steps("acme", delivery.events_per_step).unwrap();
            if delivery.rule_change_after == Some(batch) {
                rule = changed_rule();
                store.set_seat_rule("acme", rule).unwrap();
                store.update_seats("acme").unwrap();
            }
            if delivery.reopen_after.get(batch).copied().unwrap_or(false) {
                drop(store);
                store = open(&path);
            }
            let so_far = &events[..window[1]];
            // The end of the term, mid-year, and just before and at one of
            // the events: a log as of an instant inside a week of logins.
            let mut instants = vec![
                instant(365 * 86_400) - Duration::microseconds(1),
                instant(160 * 86_400),
            ];
            if let Some(event) = so_far.get(so_far.len() / 2) {
                let at = instant(event.offset_secs);
                instants.extend([at - Duration::microseconds(1), at]);
            }
            check_figures(&store, &engine(so_far, rule), &instants)?;
        }
    }
}

fn tally_events_of(lines: &[String]) -> Vec<tally_events::CheckedEvent> {
    events(&lines.join("\n"))
}
