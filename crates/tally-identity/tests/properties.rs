//! Invariants over generated observations: the result does not depend on the
//! order of the input, more observations never split a person, and every
//! explanation holds. Values are ASCII from small sets, so that collisions are
//! frequent and the keys can be recomputed here without Unicode folding.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tally_identity::{Matcher, MatcherConfig, Matching, Observation, Rule};

use crate::common::at;

const SYSTEMS: &[&str] = &["Jira", "GitHub", "Slack"];
const EMAILS: &[&str] = &[
    "ana@acme.test",
    "ANA@acme.test",
    "ana+gh@acme.test",
    "ana@home.test",
    " bo@acme.test ",
    "bo@home.test",
    "admin@acme.test",
    "noreply@acme.test",
    "n/a",
    "carl",
];
const USERNAMES: &[&str] = &["ana", "Ana", "bo", "admin", "ana.l", "carl", "-", "jira-bot"];
const DISPLAY_NAMES: &[&str] = &["Ana Lopez", "ana  lopez", "Bo", "Admin", "Unknown", "Carl"];
/// The default lists' entries among the values above.
const GENERIC: &[&str] = &["admin", "noreply", "jira-bot"];
const PLACEHOLDERS: &[&str] = &["n/a", "-", "unknown"];

fn pick(values: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.6, prop::sample::select(values).prop_map(str::to_owned))
}

fn observation() -> impl Strategy<Value = Observation> {
    (
        prop::sample::select(SYSTEMS),
        pick(EMAILS),
        pick(USERNAMES),
        pick(DISPLAY_NAMES),
        0..30i64,
        any::<bool>(),
    )
        .prop_map(|(system, email, username, display_name, day, service_account)| {
            Observation {
                system: system.to_owned(),
                project: None,
                email,
                username,
                display_name,
                interaction: None,
                at: at("2026-03-01T00:00:00Z") + chrono::Duration::days(day),
                service_account,
            }
        })
}

fn matching(observations: &[Observation]) -> Matching {
    Matcher::new(&MatcherConfig::default()).unwrap().match_people(observations)
}

/// What a result says about one observation: person id, rule it falls under,
/// and the explaining join's rule, key and system.
type Outcome = (Option<String>, Option<Rule>, Option<(Rule, String, Option<String>)>);

fn outcome(matching: &Matching, observation: usize) -> Outcome {
    (
        matching.person_of(observation).map(|person| person.id.clone()),
        matching.assignments[observation].identified_by,
        matching
            .join_of(observation)
            .map(|join| (join.rule, join.key.clone(), join.system.clone())),
    )
}

/// The model's comparison text of an ASCII value: trimmed, lower case, inner
/// spaces collapsed, placeholders gone.
fn model_text(value: &Option<String>) -> Option<String> {
    let text =
        value.as_deref()?.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    (!text.is_empty() && !PLACEHOLDERS.contains(&text.as_str())).then_some(text)
}

/// The model's email: (address without tag, local part without tag).
fn model_email(value: &Option<String>) -> Option<(String, String)> {
    let text = model_text(value)?;
    let (local, domain) = text.rsplit_once('@')?;
    let local = local.split('+').next().unwrap();
    Some((format!("{local}@{domain}"), local.to_owned()))
}

/// The keys an observation holds under `rule`, per the model.
fn model_keys(observation: &Observation, rule: Rule) -> BTreeSet<String> {
    let email = model_email(&observation.email);
    let username = model_text(&observation.username);
    let display_name = model_text(&observation.display_name);
    let keys = match rule {
        Rule::UsernameOrEmail => vec![username, email.map(|(_, local)| local)],
        Rule::Email => vec![email.map(|(address, _)| address)],
        Rule::DisplayName => vec![display_name],
        Rule::Username => vec![username],
    };
    keys.into_iter().flatten().collect()
}

fn is_generic(key: &str) -> bool {
    GENERIC.contains(&key) || key.split_once('@').is_some_and(|(local, _)| GENERIC.contains(&local))
}

/// People as sets of observations, given as indexes into the original input.
fn people(matching: &Matching, original: impl Fn(usize) -> usize) -> BTreeSet<BTreeSet<usize>> {
    matching
        .people
        .iter()
        .map(|person| person.observations.iter().map(|&index| original(index)).collect())
        .collect()
}

proptest! {
    #[test]
    fn shuffling_the_observations_changes_nothing(
        (observations, order) in prop::collection::vec(observation(), 0..25).prop_flat_map(|observations| {
            let indexes: Vec<usize> = (0..observations.len()).collect();
            (Just(observations), Just(indexes).prop_shuffle())
        })
    ) {
        let shuffled: Vec<Observation> = order.iter().map(|&index| observations[index].clone()).collect();
        let first = matching(&observations);
        let second = matching(&shuffled);
        prop_assert_eq!(people(&first, |index| index), people(&second, |index| order[index]));
        for (position, &index) in order.iter().enumerate() {
            prop_assert_eq!(outcome(&first, index), outcome(&second, position));
        }
        prop_assert_eq!(&first.unique_users, &second.unique_users);
        let generic = |matching: &Matching, original: &dyn Fn(usize) -> usize| -> Vec<(String, BTreeSet<usize>, usize)> {
            matching
                .generic_identities
                .iter()
                .map(|generic| (generic.identity.clone(), generic.observations.iter().map(|&index| original(index)).collect(), generic.people))
                .collect()
        };
        prop_assert_eq!(generic(&first, &|index| index), generic(&second, &|index| order[index]));
    }

    #[test]
    fn observations_seen_again_change_nothing(
        observations in prop::collection::vec(observation(), 0..25),
        again in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let first = matching(&observations);
        let mut repeated = observations.clone();
        if !observations.is_empty() {
            repeated.extend(again.iter().map(|index| observations[index.index(observations.len())].clone()));
        }
        let second = matching(&repeated);
        // The same people, named the same, and the same figures: a copy joins
        // the person of its original and adds no one.
        let ids = |matching: &Matching| matching.people.iter().map(|person| person.id.clone()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&first), ids(&second));
        for (index, copy) in (observations.len()..repeated.len()).enumerate() {
            let original = observations.iter().position(|seen| *seen == repeated[copy]).unwrap();
            prop_assert_eq!(second.assignments[copy].person, second.assignments[original].person, "copy {}", index);
        }
        let counts = |matching: &Matching| {
            let mut systems: Vec<_> = matching.unique_users.systems.iter().map(|system| (system.system.clone(), system.users)).collect();
            // Unidentified observations are counted one by one, copies included.
            for (_, users) in &mut systems {
                users.unidentified_observations = 0;
            }
            let mut all = matching.unique_users.all_systems;
            all.unidentified_observations = 0;
            (systems, all)
        };
        prop_assert_eq!(counts(&first), counts(&second));
    }

    #[test]
    fn the_breakdown_adds_up_to_the_unique_users(
        observations in prop::collection::vec(observation(), 0..25),
    ) {
        let matching = matching(&observations);
        let all = matching.unique_users.all_systems;
        let counted = matching.unique_users.systems.iter().map(|system| (system.system.as_str(), system.users));
        for (system, users) in counted.chain([("all systems", all)]) {
            let breakdown = users.by_username_or_email + users.by_email + users.by_display_name + users.by_username;
            prop_assert_eq!(breakdown, users.unique_users, "{}", system);
        }
        // Across systems, each person once; per system, each person once in
        // each system they were seen in. Counted here from the assignments.
        prop_assert_eq!(all.unique_users, matching.people.len());
        for system in &matching.unique_users.systems {
            let people: BTreeSet<usize> = observations
                .iter()
                .zip(&matching.assignments)
                .filter(|(seen, _)| seen.system.trim() == system.system)
                .filter_map(|(_, assignment)| assignment.person)
                .collect();
            prop_assert_eq!(system.users.unique_users, people.len(), "{}", system.system);
        }
    }

    #[test]
    fn another_observation_never_splits_a_person(
        observations in prop::collection::vec(observation(), 0..25),
        extra in observation(),
    ) {
        let before = matching(&observations);
        let mut more = observations.clone();
        more.push(extra);
        let after = matching(&more);
        for person in &before.people {
            let joined = after.assignments[person.observations[0]].person;
            for &observation in &person.observations {
                prop_assert_eq!(after.assignments[observation].person, joined);
            }
        }
    }

    #[test]
    fn every_join_is_a_key_its_observations_hold(observations in prop::collection::vec(observation(), 0..25)) {
        let matching = matching(&observations);
        let ids: BTreeSet<&str> = matching.people.iter().map(|person| person.id.as_str()).collect();
        prop_assert_eq!(ids.len(), matching.people.len(), "ids are unique");
        for (index, assignment) in matching.assignments.iter().enumerate() {
            let Some(person) = matching.person_of(index) else {
                prop_assert!(model_keys(&observations[index], Rule::Email).is_empty());
                prop_assert!(model_keys(&observations[index], Rule::Username).is_empty());
                prop_assert!(model_keys(&observations[index], Rule::DisplayName).is_empty());
                continue;
            };
            prop_assert!(person.observations.contains(&index));
            match matching.join_of(index) {
                Some(join) => prop_assert!(join.observations.contains(&index)),
                None => prop_assert_eq!(&person.observations, &vec![index]),
            }
            prop_assert!(assignment.identified_by.is_some());
        }
        for person in &matching.people {
            for join in &person.joins {
                prop_assert!(join.observations.len() >= 2);
                for &observation in &join.observations {
                    prop_assert!(person.observations.contains(&observation));
                    match &join.system {
                        // A key of the rule, not generic, held by each.
                        None => {
                            prop_assert!(!is_generic(&join.key), "{:?}", join);
                            prop_assert!(model_keys(&observations[observation], join.rule).contains(&join.key), "{:?} in {:?}", join, observations[observation]);
                        }
                        // A generic identity: the same account, in that system.
                        Some(system) => {
                            let first = &observations[join.observations[0]];
                            let this = &observations[observation];
                            prop_assert_eq!(this.system.as_str(), system.as_str());
                            prop_assert_eq!(model_email(&this.email), model_email(&first.email));
                            prop_assert_eq!(model_text(&this.username), model_text(&first.username));
                            prop_assert_eq!(model_text(&this.display_name), model_text(&first.display_name));
                        }
                    }
                }
            }
            // The joins connect the person: merging their observation lists
            // leaves one group.
            let mut groups: BTreeMap<usize, usize> = person.observations.iter().map(|&index| (index, index)).collect();
            fn root(groups: &BTreeMap<usize, usize>, mut index: usize) -> usize {
                while groups[&index] != index {
                    index = groups[&index];
                }
                index
            }
            for join in &person.joins {
                let first = root(&groups, join.observations[0]);
                for &observation in &join.observations[1..] {
                    let other = root(&groups, observation);
                    groups.insert(other, first);
                }
            }
            let roots: BTreeSet<usize> = person.observations.iter().map(|&index| root(&groups, index)).collect();
            prop_assert_eq!(roots.len(), 1, "{:?}", person);
        }
    }
}
