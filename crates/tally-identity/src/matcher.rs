//! Grouping observations into people, with the join that explains each one.
//! The definition is in `docs/identity.md`, "The definition".

use std::borrow::Cow;
use std::fmt;
use std::hash::BuildHasher;

use hashbrown::hash_table::Entry;
use hashbrown::{DefaultHashBuilder, HashMap, HashSet, HashTable};

use chrono::{DateTime, Utc};

use crate::config::{ConfigError, Lists, MatcherConfig};
use crate::observation::Observation;
use crate::summary::{UniqueUsers, count_unique_users};
use crate::text::{comparison_text_cow, email_parts};

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
        let mut texts = Texts::new(&self.lists);
        let seen: Vec<Seen> =
            observations.iter().map(|observation| texts.seen(observation)).collect();
        let mut components = Components::new(seen.len());
        let mut joins = rule_joins(&seen, &texts);
        joins.extend(same_account_joins(&seen, &texts));
        for join in &joins {
            for &observation in &join.observations[1..] {
                components.union(join.observations[0], observation);
            }
        }
        let people = people(&seen, &texts, observations, &mut components, joins);
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
        let generic_identities = generic_identities(&seen, &texts, &assignments);
        let systems: Vec<&str> = seen.iter().map(|seen| texts.text(seen.system)).collect();
        let unique_users = count_unique_users(observations, &systems, &assignments, &people);
        Matching { people, assignments, generic_identities, unique_users }
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

/// A text's number among the [`Texts`] of one matching.
type TextId = u32;

/// The texts of one matching (comparison texts of values, and systems), each
/// stored once and known by its number, so that keys are hashed and compared
/// as numbers and a value seen a thousand times is normalised once. A text
/// equal to the value it came from (most identifiers are already trimmed
/// lower-case ASCII) borrows it from the observations.
struct Texts<'a> {
    lists: &'a Lists,
    texts: Vec<Cow<'a, str>>,
    /// Per text: whether it is one of the generic identities.
    generic: Vec<bool>,
    /// The numbers of `texts`, found by their text's hash.
    numbers: HashTable<TextId>,
    hasher: DefaultHashBuilder,
    /// What each username or display name given became: its text, or `None`
    /// for an empty value or a placeholder.
    values: HashMap<&'a str, Option<TextId>>,
    /// What each email given became: `None` for an empty value, a placeholder
    /// or a text that is not an email.
    emails: HashMap<&'a str, Option<SeenEmail>>,
    /// Each system given, trimmed.
    systems: HashMap<&'a str, TextId>,
}

impl<'a> Texts<'a> {
    fn new(lists: &'a Lists) -> Texts<'a> {
        Texts {
            lists,
            texts: Vec::new(),
            generic: Vec::new(),
            numbers: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            values: HashMap::new(),
            emails: HashMap::new(),
            systems: HashMap::new(),
        }
    }

    fn text(&self, id: TextId) -> &str {
        &self.texts[id as usize]
    }

    fn is_generic(&self, id: TextId) -> bool {
        self.generic[id as usize]
    }

    /// The number of `text`, given it if it has none yet.
    fn number(&mut self, text: Cow<'a, str>) -> TextId {
        let Texts { lists, texts, generic, numbers, hasher, .. } = self;
        let hash = hasher.hash_one(&*text);
        let entry = numbers.entry(
            hash,
            |&id| *texts[id as usize] == *text,
            |&id| hasher.hash_one(&*texts[id as usize]),
        );
        match entry {
            Entry::Occupied(entry) => *entry.get(),
            Entry::Vacant(entry) => {
                // More distinct texts than that would not fit in memory anyway.
                let id = TextId::try_from(texts.len()).expect("fewer than 2^32 distinct texts");
                generic.push(lists.generic_identities.contains(&*text));
                texts.push(text);
                entry.insert(id);
                id
            }
        }
    }

    /// A username or display name as matching compares it.
    fn value(&mut self, value: &'a Option<String>) -> Option<TextId> {
        let value = value.as_deref()?;
        if let Some(&known) = self.values.get(value) {
            return known;
        }
        let text = self.present(value).map(|text| self.number(text));
        self.values.insert(value, text);
        text
    }

    /// An email as matching compares it.
    fn email(&mut self, value: &'a Option<String>) -> Option<SeenEmail> {
        let value = value.as_deref()?;
        if let Some(&known) = self.emails.get(value) {
            return known;
        }
        let email = self.present(value).and_then(|text| {
            let (local_part, domain) = email_parts(&text)?;
            let (local_length, domain_length) = (local_part.len(), domain.len());
            // The untagged local part starts the text, and the domain ends it.
            let local_part = self.number(slice(&text, 0..local_length));
            let address = if local_length + 1 + domain_length == text.len() {
                text
            } else {
                Cow::Owned(format!(
                    "{}@{}",
                    &text[..local_length],
                    &text[text.len() - domain_length..]
                ))
            };
            Some(SeenEmail { address: self.number(address), local_part })
        });
        self.emails.insert(value, email);
        email
    }

    fn system(&mut self, system: &'a str) -> TextId {
        if let Some(&known) = self.systems.get(system) {
            return known;
        }
        let text = self.number(Cow::Borrowed(system.trim()));
        self.systems.insert(system, text);
        text
    }

    /// The comparison text of `value`, unless it is empty or a placeholder.
    fn present(&self, value: &'a str) -> Option<Cow<'a, str>> {
        Some(comparison_text_cow(value))
            .filter(|text| !text.is_empty() && !self.lists.placeholders.contains(&**text))
    }

    fn seen(&mut self, observation: &'a Observation) -> Seen {
        let system = self.system(&observation.system);
        let email = self.email(&observation.email);
        let username = self.value(&observation.username);
        let display_name = self.value(&observation.display_name);
        let generic = |id: TextId| self.is_generic(id).then_some(id);
        let generic = [
            email.and_then(|email| generic(email.address).or_else(|| generic(email.local_part))),
            username.and_then(generic),
            display_name.and_then(generic),
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
        Seen { system, email, username, display_name, generic, class }
    }
}

/// `range` of `text`, borrowed from what `text` borrows, if it does.
fn slice<'a>(text: &Cow<'a, str>, range: std::ops::Range<usize>) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(&text[range]),
        Cow::Owned(text) => Cow::Owned(text[range].to_owned()),
    }
}

/// An email as matching uses it.
#[derive(Debug, Clone, Copy)]
struct SeenEmail {
    /// The local part without its `+tag`, `@`, the domain: the key of rule 2.
    address: TextId,
    /// The local part without its `+tag`: a key of rule 1.
    local_part: TextId,
}

/// One observation's values as matching sees them: comparison texts, with
/// placeholders and malformed emails gone.
struct Seen {
    system: TextId,
    email: Option<SeenEmail>,
    username: Option<TextId>,
    display_name: Option<TextId>,
    /// The generic identity each value is, if any: email, username, display name.
    generic: [Option<TextId>; 3],
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
/// System, email address, username, display name.
type Identity = (TextId, Option<TextId>, Option<TextId>, Option<TextId>);

/// Which value names a person: not generic first, then email, display name,
/// username, then the value (compared as text).
type Label = (bool, u8, TextId);

/// A rule and a text, packed in one number so that keys sort and compare as
/// numbers: the rule in the high half, in order of priority.
type Key = u64;

fn key(rule: Rule, text: TextId) -> Key {
    (rule as u64) << 32 | Key::from(text)
}

fn key_rule(key: Key) -> Rule {
    match key >> 32 {
        0 => Rule::UsernameOrEmail,
        1 => Rule::Email,
        2 => Rule::DisplayName,
        _ => Rule::Username,
    }
}

fn key_text(key: Key) -> TextId {
    // The low half is the text.
    key as TextId
}

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

/// The few keys of one observation, without duplicates, held in place.
#[derive(Default)]
struct Keys {
    keys: [Key; 5],
    len: usize,
}

impl Keys {
    fn extend(&mut self, keys: impl IntoIterator<Item = Key>) {
        for key in keys {
            self.keys[self.len] = key;
            self.len += 1;
        }
    }

    /// The keys, each once.
    fn distinct(&mut self) -> &[Key] {
        let keys = &mut self.keys[..self.len];
        keys.sort_unstable();
        let mut distinct = 0;
        for index in 0..keys.len() {
            if distinct == 0 || keys[index] != keys[distinct - 1] {
                keys[distinct] = keys[index];
                distinct += 1;
            }
        }
        &self.keys[..distinct]
    }
}

impl Seen {
    fn usable_email(&self) -> Option<SeenEmail> {
        self.email.filter(|_| self.generic[EMAIL].is_none())
    }

    fn usable_username(&self) -> Option<TextId> {
        self.username.filter(|_| self.generic[USERNAME].is_none())
    }

    fn usable_display_name(&self) -> Option<TextId> {
        self.display_name.filter(|_| self.generic[DISPLAY_NAME].is_none())
    }

    /// The keys others can match this observation by: each usable value under
    /// the rule that compares it, and, for an observation under rule 1, its
    /// username and local part as rule 1 keys. A username that is also the
    /// email's local part is one key, held once.
    fn held_keys(&self) -> Keys {
        let mut keys = Keys::default();
        let Some(class) = self.class.filter(|class| !class.generic_only) else {
            return keys;
        };
        if class.rule == Rule::UsernameOrEmail {
            keys.extend(self.sought_keys().distinct().iter().copied());
        }
        keys.extend(self.usable_email().map(|email| key(Rule::Email, email.address)));
        keys.extend(self.usable_display_name().map(|name| key(Rule::DisplayName, name)));
        keys.extend(self.usable_username().map(|username| key(Rule::Username, username)));
        keys
    }

    /// The keys this observation looks for, under its own rule only.
    fn sought_keys(&self) -> Keys {
        let mut keys = Keys::default();
        let Some(class) = self.class.filter(|class| !class.generic_only) else {
            return keys;
        };
        match class.rule {
            Rule::UsernameOrEmail => {
                keys.extend(self.usable_username().map(|name| key(Rule::UsernameOrEmail, name)));
                keys.extend(
                    self.usable_email().map(|email| key(Rule::UsernameOrEmail, email.local_part)),
                );
            }
            Rule::Email => {
                keys.extend(self.usable_email().map(|email| key(Rule::Email, email.address)));
            }
            Rule::DisplayName => {
                keys.extend(self.usable_display_name().map(|name| key(Rule::DisplayName, name)));
            }
            Rule::Username => {
                keys.extend(self.usable_username().map(|name| key(Rule::Username, name)));
            }
        }
        keys
    }

    /// The value an observation under `rule` is known by, generic or not.
    fn identifying_value(&self, rule: Rule) -> Option<TextId> {
        match rule {
            Rule::UsernameOrEmail | Rule::Username => self.username,
            Rule::Email => self.email.map(|email| email.address),
            Rule::DisplayName => self.display_name,
        }
    }

    fn label(&self) -> Option<Label> {
        let class = self.class?;
        let (rank, value) = match class.rule {
            Rule::UsernameOrEmail | Rule::Email => (0, self.identifying_value(Rule::Email)),
            Rule::DisplayName => (1, self.identifying_value(Rule::DisplayName)),
            Rule::Username => (2, self.identifying_value(Rule::Username)),
        };
        Some((class.generic_only, rank, value?))
    }

    fn identity(&self) -> Identity {
        (self.system, self.email.map(|email| email.address), self.username, self.display_name)
    }
}

/// Rules 1 to 4: a key joins every observation holding it, provided at least
/// one of them looks for it.
fn rule_joins(seen: &[Seen], texts: &Texts<'_>) -> Vec<Join> {
    // Every (key, holder) pair, sorted: a run of one key is its holders in
    // ascending order. A million observations hold a few million keys; sorting
    // numbers is much quicker than a map of string keys to lists.
    let mut held: Vec<(Key, usize)> = Vec::with_capacity(seen.len() * 3);
    let mut sought: Vec<Key> = Vec::with_capacity(seen.len() * 2);
    for (index, seen) in seen.iter().enumerate() {
        held.extend(seen.held_keys().distinct().iter().map(|&key| (key, index)));
        sought.extend(seen.sought_keys().distinct());
    }
    held.sort_unstable();
    sought.sort_unstable();
    sought.dedup();
    let mut sought = sought.into_iter().peekable();
    let mut joins = Vec::new();
    for holders in held.chunk_by(|one, other| one.0 == other.0) {
        let key = holders[0].0;
        while sought.next_if(|&sought| sought < key).is_some() {}
        if holders.len() >= 2 && sought.peek() == Some(&key) {
            joins.push(Join {
                rule: key_rule(key),
                key: texts.text(key_text(key)).to_owned(),
                system: None,
                observations: holders.iter().map(|&(_, index)| index).collect(),
            });
        }
    }
    joins
}

/// An observation whose every value is generic is one account with the
/// observations of the very same identity in its system, and nothing more.
fn same_account_joins(seen: &[Seen], texts: &Texts<'_>) -> Vec<Join> {
    let mut accounts: HashMap<Identity, (Rule, Vec<usize>)> = HashMap::new();
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
            key: seen[members[0]]
                .identifying_value(rule)
                .map(|value| texts.text(value).to_owned())
                .unwrap_or_default(),
            system: Some(texts.text(identity.0).to_owned()),
            observations: members,
        })
        .collect()
}

/// The connected components of the observations that have a class, named and
/// ordered by id.
fn people(
    seen: &[Seen],
    texts: &Texts<'_>,
    observations: &[Observation],
    components: &mut Components,
    joins: Vec<Join>,
) -> Vec<Person> {
    // A component's root is its smallest observation, so in ascending order
    // the root comes first: groups are made in order of their roots.
    const NO_GROUP: usize = usize::MAX;
    let mut group_of_root = vec![NO_GROUP; seen.len()];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (index, seen) in seen.iter().enumerate() {
        if seen.class.is_some() {
            let group = &mut group_of_root[components.find(index)];
            if *group == NO_GROUP {
                *group = groups.len();
                groups.push(Vec::new());
            }
            groups[*group].push(index);
        }
    }
    let mut joins_of: Vec<Vec<Join>> = (0..groups.len()).map(|_| Vec::new()).collect();
    for join in joins {
        // Every joined observation has a class, so its component is a group.
        joins_of[group_of_root[components.find(join.observations[0])]].push(join);
    }
    drop(group_of_root);
    let label_order = |label: &Label| (label.0, label.1, texts.text(label.2));
    let (labels, mut unnamed): (Vec<Label>, Vec<Option<Person>>) = groups
        .into_iter()
        .zip(joins_of)
        .map(|(members, mut joins)| {
            let label = members
                .iter()
                .filter_map(|&index| seen[index].label())
                .min_by(|one, other| label_order(one).cmp(&label_order(other)))
                .expect("an observation with a class has a label");
            joins.sort();
            let person = Person {
                id: String::new(),
                service_account: members.iter().any(|&index| observations[index].service_account),
                last_seen: members
                    .iter()
                    .map(|&index| observations[index].at)
                    .max()
                    .unwrap_or(DateTime::<Utc>::MIN_UTC),
                duplicates: duplicates(seen, texts, &members),
                observations: members,
                joins,
            };
            (label, Some(person))
        })
        .unzip();
    // People whose labels have the same value would share an id: all-generic
    // people, or one named by a display name and another by the same text as a
    // username. Grouped by value, the best label keeps it; people with the very
    // same label are ordered by their identities, then by their first
    // observation. The people are sorted as positions: a person is large.
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_unstable_by(|&one, &other| {
        let (one_label, other_label) = (&labels[one], &labels[other]);
        (texts.text(one_label.2), one_label.0, one_label.1, one).cmp(&(
            texts.text(other_label.2),
            other_label.0,
            other_label.1,
            other,
        ))
    });
    for same_label in order.chunk_by_mut(|&one, &other| labels[one] == labels[other]) {
        if same_label.len() > 1 {
            // A stable sort: equal identities stay in order of first observation.
            same_label.sort_by_cached_key(|&person| {
                identities(seen, texts, unnamed[person].as_ref().expect("not taken yet"))
            });
        }
    }
    let taken: HashSet<&str> = labels.iter().map(|label| texts.text(label.2)).collect();
    let mut suffixed: HashSet<String> = HashSet::new();
    let mut people: Vec<Person> = Vec::with_capacity(order.len());
    let mut previous: Option<TextId> = None;
    for position in order {
        let value = labels[position].2;
        let mut person = unnamed[position].take().expect("each person is taken once");
        let text = texts.text(value);
        person.id = if previous == Some(value) {
            let id = (2..)
                .map(|suffix| format!("{text}#{suffix}"))
                .find(|id| !taken.contains(id.as_str()) && !suffixed.contains(id))
                .unwrap_or_default();
            suffixed.insert(id.clone());
            id
        } else {
            text.to_owned()
        };
        previous = Some(value);
        people.push(person);
    }
    // Ids are unique.
    people.sort_unstable_by(|one, other| one.id.cmp(&other.id));
    people
}

/// An [`Identity`] as texts.
type IdentityText<'t> = (&'t str, Option<&'t str>, Option<&'t str>, Option<&'t str>);

/// A person's distinct identities as texts, in order.
fn identities<'t>(seen: &[Seen], texts: &'t Texts<'_>, person: &Person) -> Vec<IdentityText<'t>> {
    let text = |id: Option<TextId>| id.map(|id| texts.text(id));
    let mut identities: Vec<_> = person
        .observations
        .iter()
        .map(|&index| {
            let (system, email, username, display_name) = seen[index].identity();
            (texts.text(system), text(email), text(username), text(display_name))
        })
        .collect();
    identities.sort_unstable();
    identities.dedup();
    identities
}

/// The person's emails seen with a username in two systems, the usernames
/// differing.
fn duplicates(seen: &[Seen], texts: &Texts<'_>, members: &[usize]) -> Vec<Duplicate> {
    // (email, system, username), compared as numbers until one is found.
    let mut seen_with: Vec<(TextId, TextId, TextId)> = members
        .iter()
        .filter_map(|&index| {
            let seen = &seen[index];
            Some((seen.usable_email()?.address, seen.system, seen.username?))
        })
        .collect();
    if seen_with.len() < 2 {
        return Vec::new();
    }
    seen_with.sort_unstable();
    seen_with.dedup();
    let mut duplicates: Vec<Duplicate> = seen_with
        .chunk_by(|one, other| one.0 == other.0)
        .filter(|usernames| {
            usernames
                .iter()
                .any(|one| usernames.iter().any(|other| one.1 != other.1 && one.2 != other.2))
        })
        .map(|group| {
            let mut usernames: Vec<SystemUsername> = group
                .iter()
                .map(|&(_, system, username)| SystemUsername {
                    system: texts.text(system).to_owned(),
                    username: texts.text(username).to_owned(),
                })
                .collect();
            usernames.sort_unstable();
            Duplicate { email: texts.text(group[0].0).to_owned(), usernames }
        })
        .collect();
    duplicates.sort_unstable_by(|one, other| one.email.cmp(&other.email));
    duplicates
}

fn generic_identities(
    seen: &[Seen],
    texts: &Texts<'_>,
    assignments: &[Assignment],
) -> Vec<GenericIdentity> {
    let mut holders: HashMap<TextId, Vec<usize>> = HashMap::new();
    for (index, seen) in seen.iter().enumerate() {
        for &identity in seen.generic.iter().flatten() {
            let observations = holders.entry(identity).or_default();
            // An email and a username may be the same generic identity.
            if observations.last() != Some(&index) {
                observations.push(index);
            }
        }
    }
    let mut generic: Vec<GenericIdentity> = holders
        .into_iter()
        .map(|(identity, observations)| {
            let people: HashSet<usize> =
                observations.iter().filter_map(|&index| assignments[index].person).collect();
            GenericIdentity {
                identity: texts.text(identity).to_owned(),
                observations,
                people: people.len(),
            }
        })
        .filter(|generic| generic.people >= 2)
        .collect();
    generic.sort_unstable_by(|one, other| one.identity.cmp(&other.identity));
    generic
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
