//! The users of an account: who they are, how often they sign in, and how their
//! membership changes over the year.
//!
//! The first ten people are scenarios that every scale must contain; people beyond
//! them follow a mix of habits. The last user is the account's service account.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use tally_events::Role;

use crate::accounts::AccountSpec;
use crate::calendar::LocalClock;
use crate::dice::Dice;

/// How a person uses the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Habit {
    /// Signs in on most working days.
    Daily,
    /// Signs in about once a week.
    Weekly,
    /// Signs in now and then.
    Occasional,
    /// Exactly three logins in three account weeks, two of them a minute either side
    /// of a week boundary: an active seat only if weeks are cut in the account's zone.
    Threshold,
    /// Three logins in two account weeks, at the very start and end of one of them:
    /// never an active seat, though cutting weeks in UTC would make it one.
    NearMiss,
    /// Signs in once.
    OneOff,
    /// Signs in twice before the first term starts and once after: three weeks in all,
    /// but only one inside the term.
    OutsideTerm,
    /// Never signs in.
    Dormant,
    /// The account's service account: triggers API runs and applies Terraform.
    Service,
}

impl Habit {
    /// Whether this person does ordinary work (visits pages, edits the catalog).
    pub(crate) fn is_engaged(self) -> bool {
        matches!(self, Habit::Daily | Habit::Weekly | Habit::Occasional)
    }
}

/// A change to a person's membership after they joined.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    Disable,
    Enable,
    Remove,
    /// Added again under the same user id, possibly to other teams.
    ReAdd {
        teams: Vec<String>,
    },
    Role {
        organization: String,
        role: Role,
    },
    Teams(Vec<String>),
}

/// One user of the account.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) id: String,
    pub(crate) display_name: String,
    pub(crate) email: String,
    pub(crate) username: String,
    /// The organization joined first.
    pub(crate) organization: String,
    /// The role in that organization when joining.
    pub(crate) role: Role,
    pub(crate) teams: Vec<String>,
    pub(crate) habit: Habit,
    pub(crate) added_at: DateTime<Utc>,
    /// Membership changes, in time order.
    pub(crate) changes: Vec<(DateTime<Utc>, Change)>,
}

impl Person {
    /// Whether the person is a member in good standing (added, not disabled or removed)
    /// throughout `from..=to`.
    pub(crate) fn present_during(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.presence()
            .iter()
            .any(|&(start, stop)| start < from && stop.is_none_or(|stop| to < stop))
    }

    /// Whether the person is an admin of some organization at `at`.
    pub(crate) fn is_admin_at(&self, at: DateTime<Utc>) -> bool {
        let mut roles = BTreeMap::from([(self.organization.as_str(), self.role)]);
        for (changed_at, change) in &self.changes {
            if let Change::Role { organization, role } = change
                && *changed_at <= at
            {
                roles.insert(organization, *role);
            }
        }
        roles.values().any(|role| *role == Role::Admin)
    }

    /// The spans during which the person is present: from joining (or re-enabling or
    /// re-adding) to the next disable or removal, if any.
    fn presence(&self) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        let mut spans = Vec::new();
        let mut open = Some(self.added_at);
        for (at, change) in &self.changes {
            match change {
                Change::Disable | Change::Remove => {
                    if let Some(start) = open.take() {
                        spans.push((start, Some(*at)));
                    }
                }
                Change::Enable | Change::ReAdd { .. } => open = open.or(Some(*at)),
                Change::Role { .. } | Change::Teams(_) => {}
            }
        }
        if let Some(start) = open {
            spans.push((start, None));
        }
        spans
    }
}

/// First names as (display, ASCII for emails and usernames).
const FIRST_NAMES: &[(&str, &str)] = &[
    ("Anna", "anna"),
    ("Ben", "ben"),
    ("Chloé", "chloe"),
    ("David", "david"),
    ("Elif", "elif"),
    ("Farah", "farah"),
    ("Grace", "grace"),
    ("Hiro", "hiro"),
    ("Ines", "ines"),
    ("Jonas", "jonas"),
    ("Kai", "kai"),
    ("Lena", "lena"),
    ("Mateo", "mateo"),
    ("Nadia", "nadia"),
    ("Oliver", "oliver"),
    ("Priya", "priya"),
    ("Quinn", "quinn"),
    ("Rosa", "rosa"),
    ("Søren", "soren"),
    ("Tariq", "tariq"),
    ("Uma", "uma"),
    ("Wiremu", "wiremu"),
    ("Xavier", "xavier"),
    ("Yuki", "yuki"),
    ("Zoë", "zoe"),
];

/// Last names as (display, ASCII).
const LAST_NAMES: &[(&str, &str)] = &[
    ("Schmidt", "schmidt"),
    ("Müller", "mueller"),
    ("García", "garcia"),
    ("Nguyen", "nguyen"),
    ("Kowalski", "kowalski"),
    ("Okafor", "okafor"),
    ("Tanaka", "tanaka"),
    ("Ó Briain", "obriain"),
    ("Patel", "patel"),
    ("Smith", "smith"),
    ("Haddad", "haddad"),
    ("Larsen", "larsen"),
    ("Ngata", "ngata"),
    ("Rossi", "rossi"),
    ("Cohen", "cohen"),
    ("Teiwaki", "teiwaki"),
    ("Walker", "walker"),
    ("Yilmaz", "yilmaz"),
];

/// The habits of people beyond the scenarios, in rotation.
const EXTRA_HABITS: &[Habit] = &[
    Habit::Daily,
    Habit::Weekly,
    Habit::Daily,
    Habit::Occasional,
    Habit::Weekly,
    Habit::Daily,
    Habit::OneOff,
    Habit::Occasional,
    Habit::Weekly,
    Habit::Dormant,
];

/// Builds the account's users: `people` persons (at least the ten scenarios) and the
/// service account, with their membership changes over the year.
pub(crate) fn roster(
    spec: &AccountSpec,
    clock: &LocalClock,
    people: u32,
    dice: &mut Dice,
) -> Vec<Person> {
    let mut names = NamePicker::default();
    let organizations = spec.organizations;
    let org = |index: usize| organizations[index % organizations.len()].to_owned();
    let last_org = organizations.len() - 1;
    // The initial users arrive by SCIM on the first morning, a few seconds apart.
    let first_morning = clock.at(clock.first_day, 9, 0, 0);
    let fraction = |fraction: f64, hour: u32, minute: u32| {
        clock.at(clock.day_at_fraction(fraction), hour, minute, 0)
    };

    let scenarios: [(Habit, Role, usize); 10] = [
        (Habit::Daily, Role::Admin, 0),
        (Habit::Weekly, Role::Member, 0),
        (Habit::Weekly, Role::Member, 1),
        (Habit::Weekly, Role::Member, 0),
        (Habit::Threshold, Role::Member, 0),
        (Habit::NearMiss, Role::Member, 1),
        (Habit::OneOff, Role::Member, 2),
        (Habit::OutsideTerm, Role::Member, 0),
        (Habit::Dormant, Role::Admin, last_org),
        (Habit::Weekly, Role::Member, 1),
    ];
    let mut roster = Vec::new();
    for number in 1..=people.max(10) {
        let (habit, role, organization) = match scenarios.get(number as usize - 1) {
            Some(&(habit, role, organization)) => (habit, role, org(organization)),
            None => {
                let extra = (number - 11) as usize;
                let role = if extra % 6 == 5 { Role::Admin } else { Role::Member };
                (EXTRA_HABITS[extra % EXTRA_HABITS.len()], role, org(extra))
            }
        };
        let name = names.pick(dice, spec.email_domain);
        let teams = pick_teams(spec.teams, dice);
        let mut person = Person {
            id: user_id(number),
            display_name: name.display_name,
            email: name.email,
            username: name.username,
            organization,
            role,
            teams,
            habit,
            added_at: first_morning + TimeDelta::seconds(i64::from(number) * 7),
            changes: Vec::new(),
        };
        match number {
            2 => {
                let teams = pick_teams(spec.teams, dice);
                person.changes = vec![
                    (fraction(0.55, 11, 0), Change::Remove),
                    (fraction(0.70, 9, 15), Change::ReAdd { teams }),
                ];
            }
            3 => {
                person.changes = vec![
                    (fraction(0.40, 16, 0), Change::Disable),
                    (fraction(0.50, 9, 0), Change::Enable),
                ];
            }
            4 => {
                let teams = vec![spec.teams[spec.teams.len() - 1].to_owned()];
                person.changes = vec![
                    (
                        fraction(0.60, 14, 0),
                        Change::Role { organization: org(1), role: Role::Admin },
                    ),
                    (fraction(0.65, 10, 30), Change::Teams(teams)),
                ];
            }
            9 => {
                person.changes = vec![
                    (
                        fraction(0.30, 13, 0),
                        Change::Role { organization: org(last_org), role: Role::Member },
                    ),
                    (fraction(0.90, 17, 30), Change::Remove),
                ];
            }
            10 => person.added_at = fraction(0.75, 10, 0),
            _ if number > 10 => extra_changes(&mut person, spec, clock, dice),
            _ => {}
        }
        roster.push(person);
    }
    roster.push(Person {
        id: user_id(people.max(10) + 1),
        display_name: "CI Bot".to_owned(),
        email: format!("ci-bot@{}", spec.email_domain),
        username: "ci-bot".to_owned(),
        organization: org(0),
        role: Role::Member,
        teams: Vec::new(),
        habit: Habit::Service,
        added_at: clock.at(clock.first_day, 9, 30, 0),
        changes: Vec::new(),
    });
    roster
}

/// Late joiners, leavers and team moves among the people beyond the scenarios.
fn extra_changes(person: &mut Person, spec: &AccountSpec, clock: &LocalClock, dice: &mut Dice) {
    let at = |dice: &mut Dice, low: u32, high: u32| {
        let day = clock.day_at_fraction(f64::from(dice.between(low, high)) / 100.0);
        clock.at(day, dice.between(9, 16), dice.below(60), dice.below(60))
    };
    if dice.percent(20) {
        person.added_at = at(dice, 5, 80);
    }
    if dice.percent(15) {
        let removed_at = at(dice, 85, 98);
        if removed_at > person.added_at + TimeDelta::days(14) {
            person.changes.push((removed_at, Change::Remove));
        }
    }
    if dice.percent(20) {
        let moved_at = at(dice, 82, 84);
        if moved_at > person.added_at + TimeDelta::days(7) {
            person.changes.insert(0, (moved_at, Change::Teams(pick_teams(spec.teams, dice))));
        }
    }
}

/// `u-0007`: stable, sortable, and obviously a fixture id.
fn user_id(number: u32) -> String {
    format!("u-{number:04}")
}

/// One or two teams, sorted as the event checker keeps them.
fn pick_teams(teams: &[&str], dice: &mut Dice) -> Vec<String> {
    let mut picked = vec![dice.pick(teams).to_string()];
    if dice.percent(30) {
        picked.push(dice.pick(teams).to_string());
    }
    picked.sort();
    picked.dedup();
    picked
}

struct Name {
    display_name: String,
    email: String,
    username: String,
}

/// Picks names without repeating an email within the account; once the combinations
/// run short (large scales), a number keeps emails and usernames apart.
#[derive(Default)]
struct NamePicker {
    used: BTreeMap<String, u32>,
}

impl NamePicker {
    fn pick(&mut self, dice: &mut Dice, email_domain: &str) -> Name {
        let mut attempts = 0;
        loop {
            let (first_display, first) = *dice.pick(FIRST_NAMES);
            let (last_display, last) = *dice.pick(LAST_NAMES);
            let local_part = format!("{first}.{last}");
            let seen = self.used.entry(local_part.clone()).or_insert(0);
            attempts += 1;
            if *seen > 0 && attempts < 8 {
                continue;
            }
            *seen += 1;
            let suffix = if *seen == 1 { String::new() } else { seen.to_string() };
            let initial = first.chars().next().expect("first names are not empty");
            return Name {
                display_name: format!("{first_display} {last_display}"),
                email: format!("{local_part}{suffix}@{email_domain}"),
                username: format!("{initial}{last}{suffix}"),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Weekday};
    use tally_calendar::AccountCalendar;

    fn clock() -> LocalClock {
        LocalClock::new(
            AccountCalendar { time_zone: chrono_tz::UTC, week_start: Weekday::Mon },
            "2026-06-30T12:00:00Z".parse().unwrap(),
        )
    }

    fn check_presence(person: &Person, at: &str, expected: bool) {
        let at = at.parse().unwrap();
        assert_eq!(person.present_during(at, at), expected, "at {at}");
    }

    #[test]
    fn presence_follows_disable_enable_remove_and_re_add() {
        let clock = clock();
        let mut dice = Dice::for_account(3, 0);
        let spec = &crate::accounts::ACCOUNTS[3];
        let people = roster(spec, &clock, 10, &mut dice);
        assert_eq!(people.len(), 11);
        assert_eq!(people[10].habit, Habit::Service);
        // first_day = 2025-07-01; the year holds 364 days after it, so fraction 0.55
        // is day round(200.2) = 200 -> 2026-01-17, and 0.70 is day round(254.8) = 255 -> 2026-03-13.
        let removed_and_back = &people[1];
        check_presence(removed_and_back, "2025-07-01T09:00:00Z", false);
        check_presence(removed_and_back, "2025-07-01T10:00:00Z", true);
        check_presence(removed_and_back, "2026-01-17T10:59:59Z", true);
        check_presence(removed_and_back, "2026-01-17T11:00:00Z", false);
        check_presence(removed_and_back, "2026-03-13T09:15:01Z", true);
        // 0.40 -> day round(145.6) = 146 -> 2025-11-24; 0.50 -> day 182 -> 2025-12-30.
        let disabled = &people[2];
        check_presence(disabled, "2025-11-24T15:59:00Z", true);
        check_presence(disabled, "2025-12-01T12:00:00Z", false);
        check_presence(disabled, "2025-12-30T09:00:01Z", true);
        // 0.60 -> day round(218.4) = 218 -> 2026-02-04, promoted at 14:00.
        let promoted = &people[3];
        assert!(!promoted.is_admin_at("2026-02-04T13:59:59Z".parse().unwrap()));
        assert!(promoted.is_admin_at("2026-02-04T14:00:00Z".parse().unwrap()));
        assert_eq!(people[0].added_at.year(), 2025);
    }
}
