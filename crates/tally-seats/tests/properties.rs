//! Invariants over generated logins, checked against a model written apart from
//! the engine: for each term, the first login at which the logins up to it fill
//! enough distinct weeks.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use proptest::prelude::*;
use tally_seats::{SeatLedger, SeatRule};

use crate::common::*;

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600;

fn ledger_of(logins: &[(u8, i64)]) -> SeatLedger {
    let mut ledger = ledger();
    for (user, offset) in logins {
        ledger.record_login(&format!("u{user}"), instant(*offset));
    }
    ledger
}

fn instant(offset_secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(START + offset_secs, 0).unwrap()
}

/// The model: UTC, Monday weeks, the year 2026 as the one term.
fn model_activation(logins: &[i64]) -> Option<i64> {
    let mut sorted = logins.to_vec();
    sorted.sort();
    for (index, candidate) in sorted.iter().enumerate() {
        let upto = &sorted[..=index];
        let weeks: BTreeSet<NaiveDate> = upto
            .iter()
            .map(|offset| {
                let day = instant(*offset).date_naive();
                day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
            })
            .collect();
        if weeks.len() >= 3 && upto.len() >= 3 {
            return Some(*candidate);
        }
    }
    None
}

fn activations_by_user(ledger: &SeatLedger) -> BTreeMap<String, Vec<DateTime<Utc>>> {
    ledger
        .users()
        .map(|user| (user.to_owned(), ledger.activations(user).iter().map(|a| a.at).collect()))
        .collect()
}

/// Logins of up to 6 users over the first 20 weeks of 2026, to the second.
fn logins() -> impl Strategy<Value = Vec<(u8, i64)>> {
    proptest::collection::vec((0u8..6, 0i64..20 * 7 * 86_400), 0..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_engine_agrees_with_the_model(logins in logins()) {
        let ledger = ledger_of(&logins);
        for user in 0u8..6 {
            let own: Vec<i64> = logins.iter().filter(|(u, _)| *u == user).map(|(_, at)| *at).collect();
            let expected: Vec<DateTime<Utc>> = model_activation(&own).map(instant).into_iter().collect();
            let got: Vec<DateTime<Utc>> = ledger.activations(&format!("u{user}")).iter().map(|a| a.at).collect();
            prop_assert_eq!(got, expected, "user u{}", user);
        }
    }

    #[test]
    fn one_at_a_time_equals_all_at_once(logins in logins()) {
        let names: Vec<(String, DateTime<Utc>)> =
            logins.iter().map(|(user, at)| (format!("u{user}"), instant(*at))).collect();
        let batch = SeatLedger::from_logins(
            Default::default(),
            &[term("2026-01-01..2027-01-01")],
            SeatRule::default(),
            names.iter().map(|(user, at)| (user.as_str(), *at)),
        )
        .unwrap();
        prop_assert_eq!(activations_by_user(&batch), activations_by_user(&ledger_of(&logins)));
    }

    #[test]
    fn any_order_of_the_same_logins_gives_the_same_activations(
        logins in logins(),
        seed in any::<u64>(),
    ) {
        let mut shuffled = logins.clone();
        // A Fisher-Yates shuffle driven by the seed: another order of the same logins.
        let mut state = seed | 1;
        for index in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(index, (state % (index as u64 + 1)) as usize);
        }
        let mut sorted = logins.clone();
        sorted.sort_by_key(|(_, at)| *at);
        let in_order = activations_by_user(&ledger_of(&sorted));
        prop_assert_eq!(activations_by_user(&ledger_of(&logins)), in_order.clone());
        prop_assert_eq!(activations_by_user(&ledger_of(&shuffled)), in_order);
    }

    #[test]
    fn adding_a_login_never_takes_an_activation_away(
        logins in logins(),
        extra in (0u8..6, 0i64..20 * 7 * 86_400),
    ) {
        let before = ledger_of(&logins);
        let mut after = before.clone();
        after.record_login(&format!("u{}", extra.0), instant(extra.1));
        for (user, activations) in activations_by_user(&before) {
            // One term and no lifecycle changes: at most one activation per user,
            // which may come to be, or move earlier, but never go.
            let now = after.activations(&user);
            prop_assert!(now.len() >= activations.len());
            for (old, new) in activations.iter().zip(now) {
                prop_assert!(new.at <= *old, "{} moved from {} to {}", user, old, new.at);
            }
        }
    }

    /// An explanation's weeks are the model's: each login placed in its Monday
    /// week by chrono, counted up to the instant explained.
    #[test]
    fn an_explanation_counts_the_weeks_the_model_counts(
        logins in logins(),
        until in 0i64..20 * 7 * 86_400,
    ) {
        let ledger = ledger_of(&logins);
        for user in 0u8..6 {
            let mut expected: BTreeMap<NaiveDate, usize> = BTreeMap::new();
            for (_, offset) in logins.iter().filter(|(u, at)| *u == user && *at <= until) {
                let day = instant(*offset).date_naive();
                let week = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                *expected.entry(week).or_default() += 1;
            }
            let explanation = ledger.explain(&format!("u{user}"), instant(until));
            let got: BTreeMap<NaiveDate, usize> =
                explanation.weeks.iter().map(|week| (week.week, week.logins.len())).collect();
            prop_assert_eq!(got, expected, "user u{}", user);
        }
    }

    #[test]
    fn every_activation_has_its_weeks_and_logins_before_it(logins in logins()) {
        let ledger = ledger_of(&logins);
        let rule = SeatRule::default();
        for user in ledger.users() {
            for activation in ledger.activations(user) {
                let explanation = ledger.explain(user, activation.at);
                let counted: usize = explanation.weeks.iter().map(|week| week.logins.len()).sum();
                prop_assert!(explanation.weeks.len() >= rule.weeks_needed as usize);
                prop_assert!(counted >= rule.logins_needed as usize);
                prop_assert!(explanation.weeks.iter().flat_map(|week| &week.logins).all(|at| *at <= activation.at));
            }
        }
    }
}

/// More logins than one block the full recompute hands between its threads
/// (8,192), so both threads sort some, of 2,000 users spread over every part,
/// in a shuffled order, some outside the term: `from_logins` keeps the same
/// logins and finds the same activations as recording them one by one. Each
/// name is passed twice over: borrowed from one table of users, and from a
/// string of its own per login.
#[test]
fn many_logins_at_once_equal_one_at_a_time_on_both_threads() {
    let mut state: u64 = 2026;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Offsets from 60 days before the term to 60 days after its end.
    let logins: Vec<(u32, i64)> = (0..50_000)
        .map(|_| ((next() % 2_000) as u32, (next() % (485 * 86_400)) as i64 - 60 * 86_400))
        .collect();
    let table: Vec<String> = (0..2_000).map(|user| format!("user-{user:06}")).collect();
    let own_strings: Vec<(String, DateTime<Utc>)> =
        logins.iter().map(|(user, at)| (table[*user as usize].clone(), instant(*at))).collect();
    let mut one_by_one = ledger();
    for (user, at) in &own_strings {
        one_by_one.record_login(user, *at);
    }
    let from_table = SeatLedger::from_logins(
        Default::default(),
        &[term("2026-01-01..2027-01-01")],
        SeatRule::default(),
        logins.iter().map(|(user, at)| (table[*user as usize].as_str(), instant(*at))),
    )
    .unwrap();
    let from_own_strings = SeatLedger::from_logins(
        Default::default(),
        &[term("2026-01-01..2027-01-01")],
        SeatRule::default(),
        own_strings.iter().map(|(user, at)| (user.as_str(), *at)),
    )
    .unwrap();
    let expected = activations_by_user(&one_by_one);
    // 50,000 logins over 545 days, 365 of them in the term: about 33,500 in it,
    // 17 per user, so every user logs in during the term and nearly all in
    // three weeks of it.
    assert_eq!(expected.len(), 2_000);
    assert!(expected.values().filter(|activations| activations.len() == 1).count() > 1_900);
    for batch in [&from_table, &from_own_strings] {
        assert_eq!(activations_by_user(batch), expected);
        for user in &table {
            assert_eq!(batch.user_history(user), one_by_one.user_history(user), "{user}");
        }
    }
}

/// A login or a lifecycle change of one user.
#[derive(Debug, Clone)]
enum Happening {
    Login(u8, i64),
    Change(u8, i64, tally_seats::LifecycleChange),
}

fn happenings() -> impl Strategy<Value = Vec<Happening>> {
    use tally_seats::LifecycleChange::*;
    let offset = 0i64..20 * 7 * 86_400;
    let happening = prop_oneof![
        4 => (0u8..4, offset.clone()).prop_map(|(user, at)| Happening::Login(user, at)),
        1 => (0u8..4, offset, prop_oneof![Just(Added), Just(Removed), Just(Disabled), Just(Enabled)])
            .prop_map(|(user, at, change)| Happening::Change(user, at, change)),
    ];
    proptest::collection::vec(happening, 0..60)
}

fn ledger_from(happenings: &[Happening]) -> SeatLedger {
    let mut ledger = ledger();
    for happening in happenings {
        match happening {
            Happening::Login(user, at) => {
                ledger.record_login(&format!("u{user}"), instant(*at));
            }
            Happening::Change(user, at, change) => {
                ledger.record_lifecycle(&format!("u{user}"), instant(*at), *change)
            }
        }
    }
    ledger
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Fed as they come or sorted by instant, logins and lifecycle changes give the
    /// same activations and the same status at every day's start.
    #[test]
    fn lifecycle_changes_in_any_order_give_the_same_seats(happenings in happenings()) {
        let mut sorted = happenings.clone();
        sorted.sort_by_key(|happening| match happening {
            Happening::Login(_, at) | Happening::Change(_, at, _) => *at,
        });
        let (as_they_come, in_order) = (ledger_from(&happenings), ledger_from(&sorted));
        prop_assert_eq!(activations_by_user(&as_they_come), activations_by_user(&in_order));
        for day in 0..20 * 7 {
            let at = instant(day * 86_400);
            for user in 0u8..4 {
                let user = format!("u{user}");
                prop_assert_eq!(as_they_come.status_at(&user, at), in_order.status_at(&user, at));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// A user restored from their kept history is the user the ledger had.
    #[test]
    fn a_restored_user_has_the_same_seat(happenings in happenings()) {
        let ledger = ledger_from(&happenings);
        let mut restored = super::common::ledger();
        for user in ledger.users() {
            restored.restore_user(user, ledger.user_history(user).expect("a known user"));
        }
        prop_assert_eq!(activations_by_user(&restored), activations_by_user(&ledger));
        for day in (0..20 * 7).step_by(3) {
            let at = instant(day * 86_400);
            for user in ledger.users() {
                prop_assert_eq!(restored.status_at(user, at), ledger.status_at(user, at));
            }
        }
    }
}
