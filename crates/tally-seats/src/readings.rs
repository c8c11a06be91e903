//! What is read off a ledger: monthly active seats, the activated seats log and
//! one user's explanation, as the dashboard and reports show them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use tally_calendar::{Month, SubscriptionTerm, start_of_day};

use crate::ledger::{Activation, SeatLedger, SeatStatus, UserSeat, from_micros};
use crate::rule::SeatRule;

/// Active seats in one calendar month.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlySeats {
    /// The month, in the account's zone.
    pub month: Month,
    /// Users who were an active seat at some moment of the month.
    pub seats: u32,
    /// `seats` minus the month before's.
    pub change: i64,
    /// `change` as a percentage of the month before's seats; `None` when that was 0.
    pub change_percent: Option<f64>,
}

/// A user who became an active seat, as the activated seats log lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivatedSeat {
    /// The user.
    pub user: String,
    /// When the user became an active seat in this term.
    pub activated_at: DateTime<Utc>,
    /// Counted logins in the term up to the report's instant.
    pub logins: u32,
    /// Qualifying weeks in the term up to the report's instant: calendar weeks
    /// holding at least the rule's `logins_per_week` counted logins, as
    /// [`SeatExplanation::counting_weeks`] counts them.
    pub weeks: u32,
    /// Where the user stands at the report's instant.
    pub status: SeatStatus,
}

/// Why a user is, or is not, an active seat at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatExplanation {
    /// Where the user stands.
    pub status: SeatStatus,
    /// The term the instant is in.
    pub term: Option<SubscriptionTerm>,
    /// The rule applied.
    pub rule: SeatRule,
    /// The activation that makes the user a seat in this term and membership.
    pub activation: Option<Activation>,
    /// Counted logins in the term and current membership up to the instant, per
    /// calendar week (named by its first day), in order.
    pub weeks: Vec<WeekOfLogins>,
}

/// Counted logins in one calendar week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekOfLogins {
    /// The week's first day, in the account's zone.
    pub week: NaiveDate,
    /// Their instants.
    pub logins: Vec<DateTime<Utc>>,
    /// Whether the week holds the rule's `logins_per_week`.
    pub counts: bool,
}

impl SeatExplanation {
    /// Counted logins, over all weeks.
    pub fn counted_logins(&self) -> usize {
        self.weeks.iter().map(|week| week.logins.len()).sum()
    }

    /// Weeks that hold the rule's logins per week.
    pub fn counting_weeks(&self) -> usize {
        self.weeks.iter().filter(|week| week.counts).count()
    }

    /// Why the user is or is not an active seat, in one sentence.
    pub fn reason(&self) -> String {
        let rule = &self.rule;
        let needs = format!(
            "{} logins in {} calendar weeks with at least {} login(s) each",
            rule.logins_needed, rule.weeks_needed, rule.logins_per_week
        );
        let so_far = format!(
            "{} counted login(s) in {} qualifying week(s)",
            self.counted_logins(),
            self.counting_weeks()
        );
        match (self.status, &self.activation) {
            (SeatStatus::Active, Some(activation)) => format!(
                "an active seat since {}, the login that completed {needs}; {so_far} so far",
                activation.at.to_rfc3339()
            ),
            (SeatStatus::Active, None) => format!("an active seat; {so_far} so far"),
            (SeatStatus::NotYetActive, _) => {
                format!("not an active seat yet: {so_far} in this term; the rule needs {needs}")
            }
            (SeatStatus::Disabled, Some(activation)) => format!(
                "not a seat while disabled; an active seat since {}, the login that completed \
                 {needs}, and again once enabled; {so_far} in this term",
                activation.at.to_rfc3339()
            ),
            (SeatStatus::Disabled, None) => {
                format!("not a seat while disabled; {so_far} in this term")
            }
            (SeatStatus::Removed, Some(activation)) => format!(
                "not a seat: removed from the account; it had been an active seat since {}, the \
                 login that completed {needs}",
                activation.at.to_rfc3339()
            ),
            (SeatStatus::Removed, None) => "not a seat: removed from the account".to_owned(),
            (SeatStatus::OutsideTerm, _) => {
                "not a seat: the instant is in no subscription term".to_owned()
            }
        }
    }
}

impl MonthlySeats {
    /// Each month after the first of `months` with its seats (`seats`, in the
    /// same order) and its change from the month before it.
    pub fn series(months: &[Month], seats: &[u32]) -> Vec<MonthlySeats> {
        (1..months.len())
            .map(|index| {
                let (before, now) = (seats[index - 1], seats[index]);
                let change = i64::from(now) - i64::from(before);
                MonthlySeats {
                    month: months[index],
                    seats: now,
                    change,
                    change_percent: (before > 0).then(|| change as f64 * 100.0 / f64::from(before)),
                }
            })
            .collect()
    }
}

impl SeatLedger {
    /// Active seats per month from `first` to `last` (inclusive), each with its
    /// change from the month before.
    pub fn monthly_active_seats(&self, first: Month, last: Month) -> Vec<MonthlySeats> {
        let mut seats = Vec::new();
        let months = self.for_each_seat_by_month(first, last, |_, counted| {
            seats.resize(counted.len(), 0);
            add_months(&mut seats, counted);
        });
        seats.resize(months.len(), 0);
        MonthlySeats::series(&months, &seats)
    }

    /// Active seats per month, from `first` to `last` (inclusive), of each
    /// organization that has had a seat in those months. A user in several
    /// organizations is a seat of each, and one seat of the account.
    pub fn monthly_active_seats_by_organization(
        &self,
        first: Month,
        last: Month,
    ) -> BTreeMap<String, Vec<MonthlySeats>> {
        let mut seats: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let months = self.for_each_seat_by_month(first, last, |seat, counted| {
            for organization in &seat.organizations {
                let totals = match seats.get_mut(organization) {
                    Some(totals) => totals,
                    None => seats.entry(organization.clone()).or_insert(vec![0; counted.len()]),
                };
                add_months(totals, counted);
            }
        });
        seats
            .into_iter()
            .map(|(organization, seats)| (organization, MonthlySeats::series(&months, &seats)))
            .collect()
    }

    /// The months from `first` to `last` (inclusive) in which `user` was an active
    /// seat at some moment: what a store adds to or takes from its monthly counts
    /// when it updates one user.
    pub fn active_months(&self, user: &str, first: Month, last: Month) -> Vec<Month> {
        let Some(seat) = self.seat(user) else {
            return Vec::new();
        };
        let calendar = self.calendar();
        let mut months = Vec::new();
        let mut month = first;
        while month <= last {
            let start = start_of_day(calendar, month.first_day()).timestamp_micros();
            let end = start_of_day(calendar, month.next().first_day()).timestamp_micros();
            if self.active_spans_us(seat).any(|(from, until)| from < end && start < until) {
                months.push(month);
            }
            month = month.next();
        }
        months
    }

    /// The organizations `user` was seen in, sorted.
    pub fn organizations(&self, user: &str) -> &[String] {
        self.seat(user).map_or(&[], |seat| &seat.organizations)
    }

    /// Calls `each` with every user who was an active seat in some month from the
    /// one before `first` to `last`, and which of those months; returns the months.
    fn for_each_seat_by_month(
        &self,
        first: Month,
        last: Month,
        mut each: impl FnMut(&UserSeat, &[bool]),
    ) -> Vec<Month> {
        let mut months = vec![first.previous()];
        let mut month = first;
        while month <= last {
            months.push(month);
            month = month.next();
        }
        let calendar = self.calendar();
        let bounds: Vec<i64> = months
            .iter()
            .map(|month| start_of_day(calendar, month.first_day()).timestamp_micros())
            .chain(std::iter::once(
                start_of_day(calendar, months[months.len() - 1].next().first_day())
                    .timestamp_micros(),
            ))
            .collect();
        let mut counted = vec![false; months.len()];
        for (_, seat) in self.seats() {
            counted.fill(false);
            let mut any = false;
            for (start, end) in self.active_spans_us(seat) {
                // Months whose [bounds[i], bounds[i + 1]) meets [start, end).
                let first = bounds.partition_point(|bound| *bound <= start).saturating_sub(1);
                let last = bounds.partition_point(|bound| *bound < end).min(months.len());
                for index in first..last {
                    if bounds[index] < end && start < bounds[index + 1] {
                        counted[index] = true;
                        any = true;
                    }
                }
            }
            if any {
                each(seat, &counted);
            }
        }
        months
    }

    /// The users who became an active seat in the term holding `at`, with their
    /// logins and weeks in the term up to `at` and their status at `at`, by user.
    pub fn activated_seats(&self, at: DateTime<Utc>) -> Vec<ActivatedSeat> {
        let at_us = at.timestamp_micros();
        let Some(term) = self.term_index(at_us).map(|index| self.term(index)) else {
            return Vec::new();
        };
        let mut log: Vec<ActivatedSeat> = self
            .seats()
            .filter_map(|(user, seat)| {
                let activation = seat.activations.iter().rev().find(|activation| {
                    activation.term == term.term && activation.at.timestamp_micros() <= at_us
                })?;
                let weeks = self.counted_weeks(user, activation.membership, term.term, at_us);
                Some(ActivatedSeat {
                    user: user.to_owned(),
                    activated_at: activation.at,
                    logins: weeks.iter().map(|week| week.logins.len() as u32).sum(),
                    weeks: weeks.iter().filter(|week| week.counts).count() as u32,
                    status: self.status_at(user, at),
                })
            })
            .collect();
        log.sort_by(|a, b| a.user.cmp(&b.user));
        log
    }

    /// Why `user` is or is not an active seat at `at`.
    pub fn explain(&self, user: &str, at: DateTime<Utc>) -> SeatExplanation {
        let at_us = at.timestamp_micros();
        let status = self.status_at(user, at);
        let term = self.term_index(at_us).map(|index| self.term(index).term);
        let membership = self.seat(user).and_then(|seat| {
            // The membership in force at `at`, or, if removed or disabled, the last
            // one that began before it.
            seat.counting_membership(at_us).or_else(|| {
                seat.counting
                    .iter()
                    .filter(|span| span.start_us <= at_us)
                    .map(|span| span.membership)
                    .next_back()
            })
        });
        let (activation, weeks) = match (term, membership) {
            (Some(term), Some(membership)) => (
                self.activations(user)
                    .iter()
                    .find(|activation| {
                        activation.term == term
                            && activation.membership == membership
                            && activation.at <= at
                    })
                    .copied(),
                self.counted_weeks(user, membership, term, at_us),
            ),
            _ => (None, Vec::new()),
        };
        SeatExplanation { status, term, rule: self.rule(), activation, weeks }
    }

    /// Counted logins of one membership in one term, up to `until_us`, by week.
    fn counted_weeks(
        &self,
        user: &str,
        membership: u32,
        term: SubscriptionTerm,
        until_us: i64,
    ) -> Vec<WeekOfLogins> {
        let Some(seat) = self.seat(user) else {
            return Vec::new();
        };
        let Some(bounds) = self.term_of(term) else {
            return Vec::new();
        };
        let (week_starts, week_names) = self.weeks();
        let per_week = self.rule().logins_per_week as usize;
        let mut weeks: Vec<WeekOfLogins> = Vec::new();
        // Logins are sorted, so the span and the week of each only move forward.
        let mut spans = seat.counting.iter().peekable();
        let mut week_index = 0;
        for &at_us in seat.logins.iter().take_while(|login| **login <= until_us) {
            if at_us < bounds.start_us || at_us >= bounds.end_us {
                continue;
            }
            while spans.peek().is_some_and(|span| span.end_us <= at_us) {
                spans.next();
            }
            if !spans
                .peek()
                .is_some_and(|span| span.start_us <= at_us && span.membership == membership)
            {
                continue;
            }
            while week_starts.get(week_index + 1).is_some_and(|next| *next <= at_us) {
                week_index += 1;
            }
            let at = from_micros(at_us);
            let week = week_names[week_index];
            match weeks.last_mut() {
                Some(last) if last.week == week => last.logins.push(at),
                _ => weeks.push(WeekOfLogins { week, logins: vec![at], counts: false }),
            }
        }
        for week in &mut weeks {
            week.counts = week.logins.len() >= per_week;
        }
        weeks
    }
}

fn add_months(totals: &mut [u32], counted: &[bool]) {
    for (total, counted) in totals.iter_mut().zip(counted) {
        *total += u32::from(*counted);
    }
}
