//! Unique users per system (the seed's "Unique User Count" sheet).

use std::collections::BTreeMap;

use hashbrown::HashMap;

use crate::matcher::{Assignment, Person, Rule};
use crate::observation::Observation;

/// Unique users per system and across all systems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueUsers {
    /// One entry per system seen, ordered by system.
    pub systems: Vec<SystemUsers>,
    /// Across all systems: a person seen in two systems counts once here.
    pub all_systems: UserCounts,
}

/// The unique users of one system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemUsers {
    /// The system, trimmed.
    pub system: String,
    /// Its counts.
    pub users: UserCounts,
}

/// Counts of people among some observations.
///
/// Each person counts once under `by_*`: under the highest-priority rule of its
/// observations among those counted, so the four add up to `unique_users`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserCounts {
    /// People with at least one of the observations.
    pub unique_users: usize,
    /// Of them, people identified by username or email (rule 1).
    pub by_username_or_email: usize,
    /// By email alone (rule 2).
    pub by_email: usize,
    /// By display name (rule 3).
    pub by_display_name: usize,
    /// By username alone (rule 4).
    pub by_username: usize,
    /// People with one of the observations flagged as a service account.
    pub service_accounts: usize,
    /// People with a [`Duplicate`](crate::Duplicate): an email seen with
    /// different usernames in different systems.
    pub duplicates: usize,
    /// Observations with no email, username or display name, which belong to
    /// no person.
    pub unidentified_observations: usize,
}

/// `systems[i]` is observation `i`'s system, trimmed.
pub(crate) fn count_unique_users(
    observations: &[Observation],
    systems: &[&str],
    assignments: &[Assignment],
    people: &[Person],
) -> UniqueUsers {
    let mut by_system: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut all_systems = Tally::default();
    for (index, assignment) in assignments.iter().enumerate() {
        let service_account = observations[index].service_account;
        by_system.entry(systems[index]).or_default().record(assignment, service_account);
        all_systems.record(assignment, service_account);
    }
    UniqueUsers {
        systems: by_system
            .into_iter()
            .map(|(system, tally)| SystemUsers {
                system: system.to_owned(),
                users: tally.counts(people),
            })
            .collect(),
        all_systems: all_systems.counts(people),
    }
}

#[derive(Default)]
struct Tally {
    /// Person index to its best rule so far and whether it was flagged.
    people: HashMap<usize, (Rule, bool)>,
    unidentified_observations: usize,
}

impl Tally {
    fn record(&mut self, assignment: &Assignment, service_account: bool) {
        let (Some(person), Some(rule)) = (assignment.person, assignment.identified_by) else {
            self.unidentified_observations += 1;
            return;
        };
        let entry = self.people.entry(person).or_insert((rule, service_account));
        entry.0 = entry.0.min(rule);
        entry.1 |= service_account;
    }

    fn counts(&self, people: &[Person]) -> UserCounts {
        let mut counts = UserCounts {
            unique_users: self.people.len(),
            unidentified_observations: self.unidentified_observations,
            ..UserCounts::default()
        };
        for (&person, &(rule, service_account)) in &self.people {
            match rule {
                Rule::UsernameOrEmail => counts.by_username_or_email += 1,
                Rule::Email => counts.by_email += 1,
                Rule::DisplayName => counts.by_display_name += 1,
                Rule::Username => counts.by_username += 1,
            }
            counts.service_accounts += usize::from(service_account);
            counts.duplicates += usize::from(!people[person].duplicates.is_empty());
        }
        counts
    }
}
