//! One account's plan: its calendar, terms, people and scale, shared by the generators.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};
use tally_calendar::{AccountCalendar, SubscriptionTerm};

use crate::accounts::AccountSpec;
use crate::calendar::LocalClock;
use crate::dice::Dice;
use crate::people::Person;
use crate::scale::{SCENARIO_PEOPLE, Shape};

/// Everything the generators of one account read.
pub(crate) struct Plan {
    pub(crate) spec: &'static AccountSpec,
    pub(crate) clock: LocalClock,
    pub(crate) terms: Vec<SubscriptionTerm>,
    pub(crate) shape: Shape,
    /// People first (`people[0]` is the first admin), the service account last.
    pub(crate) people: Vec<Person>,
}

impl Plan {
    pub(crate) fn new(
        spec: &'static AccountSpec,
        shape: Shape,
        end: DateTime<Utc>,
        dice: &mut Dice,
    ) -> Plan {
        let calendar = AccountCalendar { time_zone: spec.time_zone, week_start: spec.week_start };
        let clock = LocalClock::new(calendar, end);
        let terms = spec.terms(clock.last_day);
        let extra_people = shape.people.saturating_sub(SCENARIO_PEOPLE) * spec.size_percent / 100;
        let people_count = SCENARIO_PEOPLE + extra_people;
        let people = crate::people::roster(spec, &clock, people_count, dice);
        Plan { spec, clock, terms, shape, people }
    }

    /// The account's first admin, present all year.
    pub(crate) fn admin(&self) -> &Person {
        &self.people[0]
    }

    /// The account's service account.
    pub(crate) fn service_account(&self) -> &Person {
        self.people.last().expect("every roster ends with its service account")
    }

    /// The organization that a person's usage events (login, page visit, AI and MCP
    /// calls) name: single-organization accounts leave it out, as many products do.
    pub(crate) fn login_organization(&self, person: &Person) -> Option<String> {
        (self.spec.organizations.len() > 1).then(|| person.organization.clone())
    }

    /// The week boundary (a local midnight starting an account week) that the
    /// boundary scenarios straddle: about ten weeks before the end, inside every term.
    pub(crate) fn boundary_week(&self) -> NaiveDate {
        self.clock.week_start_of(self.clock.last_day - Days::new(70))
    }

    /// The instant `fraction` of the way through the year at a local time.
    pub(crate) fn at_fraction(&self, fraction: f64, hour: u32, minute: u32) -> DateTime<Utc> {
        self.clock.at(self.clock.day_at_fraction(fraction), hour, minute, 0)
    }

    /// How many events of a kind happen in one week, for a rate per year (52 weeks).
    pub(crate) fn weekly_count(rate_per_year: u32, dice: &mut Dice) -> u32 {
        rate_per_year / 52 + u32::from(dice.below(52) < rate_per_year % 52)
    }

    /// A random working-hours instant (Monday to Friday, 08:00 to 18:59 local) in the
    /// account week starting `week`; none when the chosen day lies outside the year or
    /// on its first day, which belongs to the account's setup.
    pub(crate) fn working_time(&self, week: NaiveDate, dice: &mut Dice) -> Option<DateTime<Utc>> {
        let workdays: Vec<NaiveDate> = (0..7)
            .map(|offset| week + Days::new(offset))
            .filter(|day| !matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
            .collect();
        let day = *dice.pick(&workdays);
        if !self.clock.covers(day) || day == self.clock.first_day {
            return None;
        }
        Some(self.clock.at(day, dice.between(8, 18), dice.below(60), dice.below(60)))
    }

    /// A person who could have done something by hand at `at`: one of the account's
    /// regular users, present for the next hour so that what they started (a run, a
    /// session) ends while they are still there.
    pub(crate) fn actor_at(&self, at: DateTime<Utc>, dice: &mut Dice) -> Option<&Person> {
        let until = at + TimeDelta::hours(1);
        let candidates: Vec<&Person> = self
            .people
            .iter()
            .filter(|person| person.habit.is_engaged() && person.present_during(at, until))
            .collect();
        (!candidates.is_empty()).then(|| *dice.pick(&candidates))
    }
}
