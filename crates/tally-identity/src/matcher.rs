//! Grouping observations into people, with the join that explains each one.
//! The definition is in `docs/identity.md`, "The definition".

use std::collections::{BTreeMap, BTreeSet};

use hashbrown::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::config::{ConfigError, Lists, MatcherConfig};
use crate::observation::Observation;
use crate::summary::{UniqueUsers, count_unique_users};
use crate::text::{Email, comparison_text, email_of};

/// The seed's four rules, highest priority first (the order of the variants is
/// the order of priority).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// 1. An observation with an email and a username is the same person as
    ///    another such observation whose username or email local part equals
    ///    its username or email local part. Key: that username or local part.
    UsernameOrEmail,
    /// 2. An observation with an email and no username is the same person as
    ///    any observation with the same email. Key: the email.
    Email,
    /// 3. An observation with no email and a display name is the same person as
    ///    any observation with the same display name. Key: the display name.
    DisplayName,
    /// 4. An observation with only a username is the same person as any
    ///    observation with the same username. Key: the username.
    Username,
}

impl Rule {
    /// The rule's name in files: `username_or_email`, `email`, `display_name`
    /// or `username`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::UsernameOrEmail => "username_or_email",
            Rule::Email => "email",
            Rule::DisplayName => "display_name",
            Rule::Username => "username",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// What a matcher made of a set of observations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matching {
    /// The people, ordered by id.
    pub people: Vec<Person>,
    /// One per observation, in the order the observations were given.
    pub assignments: Vec<Assignment>,
    /// Generic identities held by two or more people, which joined none of
    /// them; ordered by identity.
    pub generic_identities: Vec<GenericIdentity>,
    /// Unique users per system and across all systems.
    pub unique_users: UniqueUsers,
}

impl Matching {
    /// The person observation `observation` (an index into the observations
    /// given) was assigned to; `None` for an observation with no identifier.
    pub fn person_of(&self, observation: usize) -> Option<&Person> {
        let person = self.assignments.get(observation)?.person?;
        self.people.get(person)
    }

    /// The join that explains why `observation` belongs to its person; `None`
    /// for an observation alone in its person or with no identifier.
    pub fn join_of(&self, observation: usize) -> Option<&Join> {
        let join = self.assignments.get(observation)?.join?;
        self.person_of(observation)?.joins.get(join)
    }
}

/// One person: observations of the same human (or program) across systems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Derived from the person's values, never from the order of the input:
    /// each observation offers its email under rules 1 and 2, its display name
    /// under rule 3, its username under rule 4; the id is the smallest offer,
    /// preferring observations that are not all generic, then emails, display
    /// names, usernames, then byte order. `#2`, `#3`, … is appended when people
    /// would share one (`docs/identity.md`, "A person's id").
    pub id: String,
    /// Indexes into the observations given, ascending.
    pub observations: Vec<usize>,
    /// Every join among the person's observations, ordered by rule, key and
    /// system. Together they connect all of them.
    pub joins: Vec<Join>,
    /// Whether any of the person's observations is flagged as a service account.
    pub service_account: bool,
    /// The latest instant the person was seen.
    pub last_seen: DateTime<Utc>,
    /// Emails of the person seen with different usernames in different
    /// systems, ordered by email.
    pub duplicates: Vec<Duplicate>,
}

/// Observations joined into one person by one key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Join {
    /// The rule whose key joined them.
    pub rule: Rule,
    /// The key, as a comparison text (see [`comparison_text`]).
    pub key: String,
    /// `None` for a key that joins every observation holding it. `Some(system)`
    /// for a generic identity, which joins only observations of the very same
    /// identity (the same normalised email, username and display name) in that
    /// one system.
    pub system: Option<String>,
    /// The observations joined, ascending: every observation holding the key.
    pub observations: Vec<usize>,
}

/// What became of one observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// Index into [`Matching::people`]; `None` when the observation has no
    /// email, username or display name once placeholders are removed.
    pub person: Option<usize>,
    /// The rule the observation's identifiers put it under (its row in the
    /// seed's "Identifiers" breakdown); `None` with no person.
    pub identified_by: Option<Rule>,
    /// Index into the person's [`Person::joins`] of the join explaining the
    /// observation: the one of highest priority, then smallest key, among the
    /// joins holding it. `None` for an observation alone in its person.
    pub join: Option<usize>,
}

/// One email of a person seen with different usernames in different systems
/// (the seed's "Duplicates").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The email, as a comparison text without its `+tag`.
    pub email: String,
    /// Every system and username the email was seen with, ordered.
    pub usernames: Vec<SystemUsername>,
}

/// A username as seen in one system.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SystemUsername {
    /// The system, trimmed.
    pub system: String,
    /// The username, as a comparison text.
    pub username: String,
}

/// A generic identity that two or more people hold, and which therefore
/// joined none of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericIdentity {
    /// The entry of [`MatcherConfig::generic_identities`], as a comparison text.
    pub identity: String,
    /// The observations with a value equal to it (an email also by its local
    /// part), ascending.
    pub observations: Vec<usize>,
    /// The number of people those observations belong to.
    pub people: usize,
}

/// Groups observations into people under one configuration.
///
/// A matcher holds no observations: [`Matcher::match_people`] is a function of
/// the set of observations it is given, whatever their order.
#[derive(Debug, Clone)]
pub struct Matcher {
    lists: Lists,
}

impl Matcher {
    /// A matcher for `config`, whose entries are normalised once here.
    pub fn new(config: &MatcherConfig) -> Result<Matcher, ConfigError> {
        Ok(Matcher { lists: Lists::new(config)? })
    }

    /// Groups `observations` into people.
    pub fn match_people(&self, observations: &[Observation]) -> Matching {
        let seen: Vec<Seen> =
            observations.iter().map(|observation| self.seen(observation)).collect();
        let mut components = Components::new(seen.len());
        let mut joins = rule_joins(&seen);
        joins.extend(same_account_joins(&seen));
        for join in &joins {
            for &observation in &join.observations[1..] {
                components.union(join.observations[0], observation);
            }
        }
        let people = people(&seen, observations, &mut components, joins);
        let mut assignments: Vec<Assignment> = seen
            .iter()
            .map(|seen| Assignment {
                person: None,
                identified_by: seen.class.map(|class| class.rule),
                join: None,
            })
            .collect();
        for (index, person) in people.iter().enumerate() {
            for &observation in &person.observations {
                assignments[observation].person = Some(index);
            }
            // The joins are in order of priority: the first holding an
            // observation explains it.
            for (join_index, join) in person.joins.iter().enumerate() {
                for &observation in &join.observations {
                    assignments[observation].join.get_or_insert(join_index);
                }
            }
        }
        let generic_identities = generic_identities(&seen, &assignments);
        let systems: Vec<&str> = seen.iter().map(|seen| seen.system.as_str()).collect();
        let unique_users = count_unique_users(observations, &systems, &assignments, &people);
        Matching { people, assignments, generic_identities, unique_users }
    }

    fn seen(&self, observation: &Observation) -> Seen {
        let present = |value: &Option<String>| {
            value
                .as_deref()
                .map(comparison_text)
                .filter(|text| !text.is_empty() && !self.lists.placeholders.contains(text))
        };
        let email = present(&observation.email).and_then(|text| email_of(&text));
        let username = present(&observation.username);
        let display_name = present(&observation.display_name);
        let generic = [
            email.as_ref().and_then(|email| {
                self.generic(&email.address).or_else(|| self.generic(&email.local_part))
            }),
            username.as_deref().and_then(|username| self.generic(username)),
            display_name.as_deref().and_then(|display_name| self.generic(display_name)),
        ];
        let usable = |field: usize, present: bool| present && generic[field].is_none();
        let class = match rule_for(
            usable(EMAIL, email.is_some()),
            usable(USERNAME, username.is_some()),
            usable(DISPLAY_NAME, display_name.is_some()),
        ) {
            Some(rule) => Some(Class { rule, generic_only: false }),
            None => rule_for(email.is_some(), username.is_some(), display_name.is_some())
                .map(|rule| Class { rule, generic_only: true }),
        };
        Seen {
            system: observation.system.trim().to_owned(),
            email,
            username,
            display_name,
            generic,
            class,
        }
    }

    fn generic(&self, text: &str) -> Option<String> {
        self.lists.generic_identities.get(text).cloned()
    }
}

/// Groups `observations` into people under `config`.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use tally_identity::{MatcherConfig, Observation, Rule, match_people};
///
/// let at: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
/// let seen = |system: &str, email: &str, username: Option<&str>| Observation {
///     system: system.into(),
///     project: None,
///     email: Some(email.into()),
///     username: username.map(Into::into),
///     display_name: None,
///     interaction: None,
///     at,
///     service_account: false,
/// };
/// let observations = [
///     seen("Jira", "Ana.Lopez@example.test", Some("ana")),
///     // Rule 1: the local part "ana" is the Jira username.
///     seen("GitHub", "ana@users.example.test", Some("ana-l")),
///     // Rule 2: the Jira email, once case and the +tag are set aside.
///     seen("Slack", "ana.lopez+chat@example.test", None),
/// ];
/// let matching = match_people(&observations, &MatcherConfig::default()).unwrap();
/// assert_eq!(matching.people.len(), 1);
/// assert_eq!(matching.people[0].id, "ana.lopez@example.test");
/// let join = matching.join_of(1).unwrap();
/// assert_eq!((join.rule, join.key.as_str()), (Rule::UsernameOrEmail, "ana"));
/// let join = matching.join_of(2).unwrap();
/// assert_eq!((join.rule, join.key.as_str()), (Rule::Email, "ana.lopez@example.test"));
/// ```
pub fn match_people(
    observations: &[Observation],
    config: &MatcherConfig,
) -> Result<Matching, ConfigError> {
    Ok(Matcher::new(config)?.match_people(observations))
}

const EMAIL: usize = 0;
const USERNAME: usize = 1;
const DISPLAY_NAME: usize = 2;

/// One observation's values as matching sees them: comparison texts, with
/// placeholders and malformed emails gone.
struct Seen {
    system: String,
    email: Option<Email>,
    username: Option<String>,
    display_name: Option<String>,
    /// The generic identity each value is, if any: email, username, display name.
    generic: [Option<String>; 3],
    /// `None` when no value is left.
    class: Option<Class>,
}

/// The rule an observation falls under.
#[derive(Debug, Clone, Copy)]
struct Class {
    rule: Rule,
    /// Every value of the observation is a generic identity: the rule is then
    /// taken from those values, and the observation joins only its same account.
    generic_only: bool,
}

/// An observation's identity: what observations of one account share.
type Identity<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// Which value names a person: not generic first, then email, display name,
/// username, then the value.
type Label = (bool, u8, String);

/// The seed's precedence: which rule an observation with these values falls under.
fn rule_for(email: bool, username: bool, display_name: bool) -> Option<Rule> {
    match (email, username, display_name) {
        (true, true, _) => Some(Rule::UsernameOrEmail),
        (true, false, _) => Some(Rule::Email),
        (false, _, true) => Some(Rule::DisplayName),
        (false, true, false) => Some(Rule::Username),
        (false, false, false) => None,
    }
}

impl Seen {
    fn usable_email(&self) -> Option<&Email> {
        self.email.as_ref().filter(|_| self.generic[EMAIL].is_none())
    }

    fn usable_username(&self) -> Option<&str> {
        self.username.as_deref().filter(|_| self.generic[USERNAME].is_none())
    }

    fn usable_display_name(&self) -> Option<&str> {
        self.display_name.as_deref().filter(|_| self.generic[DISPLAY_NAME].is_none())
    }

    /// The keys others can match this observation by: each usable value under
    /// the rule that compares it, and, for an observation under rule 1, its
    /// username and local part as rule 1 keys.
    fn held_keys(&self) -> Vec<(Rule, &str)> {
        let mut keys = Vec::with_capacity(5);
        let Some(class) = self.class.filter(|class| !class.generic_only) else {
            return keys;
        };
        if class.rule == Rule::UsernameOrEmail {
            keys.extend(self.sought_keys());
        }
        keys.extend(self.usable_email().map(|email| (Rule::Email, email.address.as_str())));
        keys.extend(
            self.usable_display_name().map(|display_name| (Rule::DisplayName, display_name)),
        );
        keys.extend(self.usable_username().map(|username| (Rule::Username, username)));
        // A username that is also the email's local part is one key, held once.
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The keys this observation looks for, under its own rule only.
    fn sought_keys(&self) -> Vec<(Rule, &str)> {
        let mut keys = Vec::with_capacity(2);
        let Some(class) = self.class.filter(|class| !class.generic_only) else {
            return keys;
        };
        match class.rule {
            Rule::UsernameOrEmail => {
                keys.extend(
                    self.usable_username().map(|username| (Rule::UsernameOrEmail, username)),
                );
                keys.extend(
                    self.usable_email()
                        .map(|email| (Rule::UsernameOrEmail, email.local_part.as_str())),
                );
            }
            Rule::Email => {
                keys.extend(self.usable_email().map(|email| (Rule::Email, email.address.as_str())));
            }
            Rule::DisplayName => {
                keys.extend(
                    self.usable_display_name()
                        .map(|display_name| (Rule::DisplayName, display_name)),
                );
            }
            Rule::Username => {
                keys.extend(self.usable_username().map(|username| (Rule::Username, username)));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The value an observation under `rule` is known by, generic or not.
    fn identifying_value(&self, rule: Rule) -> &str {
        let value = match rule {
            Rule::UsernameOrEmail | Rule::Username => self.username.as_deref(),
            Rule::Email => self.email.as_ref().map(|email| email.address.as_str()),
            Rule::DisplayName => self.display_name.as_deref(),
        };
        value.unwrap_or_default()
    }

    fn label(&self) -> Option<Label> {
        let class = self.class?;
        let (rank, value) = match class.rule {
            Rule::UsernameOrEmail | Rule::Email => (0, self.identifying_value(Rule::Email)),
            Rule::DisplayName => (1, self.identifying_value(Rule::DisplayName)),
            Rule::Username => (2, self.identifying_value(Rule::Username)),
        };
        Some((class.generic_only, rank, value.to_owned()))
    }

    fn identity(&self) -> Identity<'_> {
        (
            &self.system,
            self.email.as_ref().map(|email| email.address.as_str()),
            self.username.as_deref(),
            self.display_name.as_deref(),
        )
    }
}

/// Rules 1 to 4: a key joins every observation holding it, provided at least
/// one of them looks for it.
fn rule_joins(seen: &[Seen]) -> Vec<Join> {
    // Hashed, not ordered: a million observations hold a few million keys, and
    // comparing them as strings in a tree was most of the matcher's time. Each
    // person's joins are sorted when the person is made.
    let mut keys: HashMap<(Rule, &str), (Vec<usize>, bool)> = HashMap::new();
    for (index, seen) in seen.iter().enumerate() {
        for key in seen.held_keys() {
            keys.entry(key).or_default().0.push(index);
        }
        for key in seen.sought_keys() {
            keys.entry(key).or_default().1 = true;
        }
    }
    keys.into_iter()
        .filter(|(_, (holders, sought))| *sought && holders.len() >= 2)
        .map(|((rule, key), (holders, _))| Join {
            rule,
            key: key.to_owned(),
            system: None,
            observations: holders,
        })
        .collect()
}

/// An observation whose every value is generic is one account with the
/// observations of the very same identity in its system, and nothing more.
fn same_account_joins(seen: &[Seen]) -> Vec<Join> {
    let mut accounts: BTreeMap<Identity<'_>, (Rule, Vec<usize>)> = BTreeMap::new();
    for (index, seen) in seen.iter().enumerate() {
        if let Some(class) = seen.class.filter(|class| class.generic_only) {
            accounts
                .entry(seen.identity())
                .or_insert_with(|| (class.rule, Vec::new()))
                .1
                .push(index);
        }
    }
    accounts
        .into_iter()
        .filter(|(_, (_, members))| members.len() >= 2)
        .map(|(identity, (rule, members))| Join {
            rule,
            key: seen[members[0]].identifying_value(rule).to_owned(),
            system: Some(identity.0.to_owned()),
            observations: members,
        })
        .collect()
}

/// The connected components of the observations that have a class, named and
/// ordered by id.
fn people(
    seen: &[Seen],
    observations: &[Observation],
    components: &mut Components,
    joins: Vec<Join>,
) -> Vec<Person> {
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (index, seen) in seen.iter().enumerate() {
        if seen.class.is_some() {
            members.entry(components.find(index)).or_default().push(index);
        }
    }
    let mut joins_of: BTreeMap<usize, Vec<Join>> = BTreeMap::new();
    for join in joins {
        joins_of.entry(components.find(join.observations[0])).or_default().push(join);
    }
    let mut unnamed: Vec<(Label, Vec<Identity<'_>>, Person)> = members
        .into_iter()
        .map(|(root, members)| {
            let label =
                members.iter().filter_map(|&index| seen[index].label()).min().unwrap_or_default();
            let identities: BTreeSet<Identity<'_>> =
                members.iter().map(|&index| seen[index].identity()).collect();
            let mut joins = joins_of.remove(&root).unwrap_or_default();
            joins.sort();
            let person = Person {
                id: String::new(),
                service_account: members.iter().any(|&index| observations[index].service_account),
                last_seen: members
                    .iter()
                    .map(|&index| observations[index].at)
                    .max()
                    .unwrap_or(DateTime::<Utc>::MIN_UTC),
                duplicates: duplicates(seen, &members),
                observations: members,
                joins,
            };
            (label, identities.into_iter().collect(), person)
        })
        .collect();
    // People whose labels have the same value would share an id: all-generic
    // people, or one named by a display name and another by the same text as a
    // username. Grouped by value, the best label keeps it.
    unnamed.sort_by(|left, right| {
        (&left.0.2, &left.0, &left.1).cmp(&(&right.0.2, &right.0, &right.1))
    });
    let mut taken: BTreeSet<String> = unnamed.iter().map(|(label, ..)| label.2.clone()).collect();
    let mut people: Vec<Person> = Vec::with_capacity(unnamed.len());
    let mut previous: Option<String> = None;
    for ((_, _, value), _, mut person) in unnamed {
        person.id = if previous.as_ref() == Some(&value) {
            let id = (2..)
                .map(|suffix| format!("{value}#{suffix}"))
                .find(|id| !taken.contains(id))
                .unwrap_or_default();
            taken.insert(id.clone());
            id
        } else {
            value.clone()
        };
        previous = Some(value);
        people.push(person);
    }
    people.sort_by(|left, right| left.id.cmp(&right.id));
    people
}

/// The person's emails seen with a username in two systems, the usernames
/// differing.
fn duplicates(seen: &[Seen], members: &[usize]) -> Vec<Duplicate> {
    let mut usernames_by_email: BTreeMap<&str, BTreeSet<SystemUsername>> = BTreeMap::new();
    for &index in members {
        let seen = &seen[index];
        if let (Some(email), Some(username)) = (seen.usable_email(), seen.username.as_deref()) {
            usernames_by_email.entry(&email.address).or_default().insert(SystemUsername {
                system: seen.system.clone(),
                username: username.to_owned(),
            });
        }
    }
    usernames_by_email
        .into_iter()
        .filter(|(_, usernames)| {
            usernames.iter().any(|one| {
                usernames
                    .iter()
                    .any(|other| one.system != other.system && one.username != other.username)
            })
        })
        .map(|(email, usernames)| Duplicate {
            email: email.to_owned(),
            usernames: usernames.into_iter().collect(),
        })
        .collect()
}

fn generic_identities(seen: &[Seen], assignments: &[Assignment]) -> Vec<GenericIdentity> {
    let mut holders: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for (index, seen) in seen.iter().enumerate() {
        for identity in seen.generic.iter().flatten() {
            holders.entry(identity).or_default().insert(index);
        }
    }
    holders
        .into_iter()
        .map(|(identity, observations)| {
            let people: BTreeSet<usize> =
                observations.iter().filter_map(|&index| assignments[index].person).collect();
            GenericIdentity {
                identity: identity.to_owned(),
                observations: observations.into_iter().collect(),
                people: people.len(),
            }
        })
        .filter(|generic| generic.people >= 2)
        .collect()
}

/// Union-find over observation indexes; a component's root is its smallest
/// index.
struct Components {
    parents: Vec<usize>,
}

impl Components {
    fn new(size: usize) -> Components {
        Components { parents: (0..size).collect() }
    }

    fn find(&mut self, mut index: usize) -> usize {
        while self.parents[index] != index {
            self.parents[index] = self.parents[self.parents[index]];
            index = self.parents[index];
        }
        index
    }

    fn union(&mut self, one: usize, other: usize) {
        let (one, other) = (self.find(one), self.find(other));
        let (root, child) = if one < other { (one, other) } else { (other, one) };
        self.parents[child] = root;
    }
}
