//! The seat ledger of one account: each user's logins and lifecycle changes, and
//! the activations they imply. The semantics are in `docs/seats.md`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use hashbrown::HashMap;
use tally_calendar::{AccountCalendar, SubscriptionTerm, start_of_day, week_of_date};

use crate::recompute::seats_from_logins;
use crate::rule::{SeatRule, SeatRuleError};

/// A change in a user's membership of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LifecycleChange {
    /// The user was added (again, if removed before).
    Added,
    /// The user was enabled after being disabled.
    Enabled,
    /// The user was disabled: not a seat, and logins do not count, until enabled.
    Disabled,
    /// The user was removed: not a seat until added again, and then from zero.
    Removed,
}

/// The moment a user became an active seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activation {
    /// The term it holds for.
    pub term: SubscriptionTerm,
    /// The instant of the login that completed the rule.
    pub at: DateTime<Utc>,
    /// Which of the user's memberships (0 for the first; each re-adding after a
    /// removal starts the next) it belongs to.
    pub membership: u32,
}

/// Everything the ledger knows of one user: what a store keeps to rebuild the
/// user's seat without the events it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserHistory {
    /// Instants of the user's logins inside the terms, in microseconds since the
    /// Unix epoch, sorted.
    pub logins_us: Vec<i64>,
    /// Lifecycle changes, in microseconds, sorted by instant.
    pub lifecycle: Vec<(i64, LifecycleChange)>,
    /// Organizations the user was seen in, sorted.
    pub organizations: Vec<String>,
}

/// Where a user stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatStatus {
    /// An active seat.
    Active,
    /// In the account and enabled, but has not met the rule in this term yet.
    NotYetActive,
    /// Disabled: not a seat while disabled.
    Disabled,
    /// Removed from the account.
    Removed,
    /// The instant is in no subscription term.
    OutsideTerm,
}

impl SeatStatus {
    /// Every status, in the order tables and the API document them.
    pub const ALL: [SeatStatus; 5] = [
        SeatStatus::Active,
        SeatStatus::NotYetActive,
        SeatStatus::Disabled,
        SeatStatus::Removed,
        SeatStatus::OutsideTerm,
    ];

    /// The status whose name (see [`SeatStatus::as_str`]) is `text`, spelled exactly.
    pub fn parse(text: &str) -> Option<SeatStatus> {
        SeatStatus::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// The status's name in tables and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            SeatStatus::Active => "active",
            SeatStatus::NotYetActive => "not_yet_active",
            SeatStatus::Disabled => "disabled",
            SeatStatus::Removed => "removed",
            SeatStatus::OutsideTerm => "outside_term",
        }
    }
}

/// Why a ledger cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeatError {
    /// The rule has a zero parameter.
    #[error(transparent)]
    Rule(#[from] SeatRuleError),
    /// Two terms share days.
    #[error("subscription terms {first} and {second} overlap; terms must follow each other")]
    OverlappingTerms {
        /// The earlier term.
        first: SubscriptionTerm,
        /// The term that starts before `first` ends.
        second: SubscriptionTerm,
    },
}

/// Every user of one account, and who is an active seat when.
///
/// Logins and lifecycle changes may arrive in any order: the result is always
/// what a computation over all of them, sorted by instant, gives.
#[derive(Debug, Clone)]
pub struct SeatLedger {
    calendar: AccountCalendar,
    terms: Vec<Term>,
    /// The instant each calendar week of the terms begins, in order: placing a
    /// login in its week is then a comparison, not a time-zone conversion.
    week_starts: Vec<i64>,
    /// The first day of each of those weeks, in the account's zone.
    week_names: Vec<NaiveDate>,
    rule: SeatRule,
    /// hashbrown's map with its default hasher (foldhash) rather than std's
    /// SipHash: hashing the user id is much of the cost of placing a login, and
    /// `entry_ref` finds a known user without allocating their name.
    users: HashMap<String, UserSeat>,
}

/// A term with the instants it begins and ends, in microseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Term {
    pub(crate) term: SubscriptionTerm,
    pub(crate) start_us: i64,
    pub(crate) end_us: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct UserSeat {
    /// Instants of logins inside some term, in microseconds, sorted.
    pub(crate) logins: Vec<i64>,
    /// Lifecycle changes sorted by instant; at one instant, in `LifecycleChange`
    /// order, so a removal at the same instant as anything else wins.
    pub(crate) lifecycle: Vec<(i64, LifecycleChange)>,
    /// When the user is in the account and enabled: derived from `lifecycle`.
    pub(crate) counting: Vec<CountingSpan>,
    /// Derived from all of the above.
    pub(crate) activations: Vec<Activation>,
    /// The organizations the user was seen in, sorted.
    pub(crate) organizations: Vec<String>,
}

impl Default for UserSeat {
    /// A user first seen: in the account and enabled all along.
    fn default() -> Self {
        UserSeat {
            logins: Vec::new(),
            lifecycle: Vec::new(),
            counting: counting_spans(&[]),
            activations: Vec::new(),
            organizations: Vec::new(),
        }
    }
}

/// A stretch `[start_us, end_us)` in which the user is in the account and enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CountingSpan {
    pub(crate) start_us: i64,
    pub(crate) end_us: i64,
    pub(crate) membership: u32,
}

impl SeatLedger {
    /// An empty ledger for an account with these terms (in any order).
    pub fn new(
        calendar: AccountCalendar,
        terms: &[SubscriptionTerm],
        rule: SeatRule,
    ) -> Result<SeatLedger, SeatError> {
        rule.validate()?;
        let mut sorted = terms.to_vec();
        sorted.sort();
        sorted.dedup();
        for pair in sorted.windows(2) {
            if pair[1].start < pair[0].end {
                return Err(SeatError::OverlappingTerms { first: pair[0], second: pair[1] });
            }
        }
        let terms: Vec<Term> = sorted
            .into_iter()
            .map(|term| Term {
                term,
                start_us: start_of_day(&calendar, term.start).timestamp_micros(),
                end_us: start_of_day(&calendar, term.end).timestamp_micros(),
            })
            .collect();
        let mut weeks = Vec::new();
        for term in &terms {
            let mut week = week_of_date(&calendar, term.term.start);
            while week < term.term.end {
                weeks.push((start_of_day(&calendar, week).timestamp_micros(), week));
                week += Duration::days(7);
            }
        }
        weeks.dedup();
        let (week_starts, week_names) = weeks.into_iter().unzip();
        Ok(SeatLedger { calendar, terms, week_starts, week_names, rule, users: HashMap::new() })
    }

    /// A ledger built from many logins at once: each user's logins are sorted and
    /// the rule applied once per user, on two threads. Equal to recording them
    /// one by one.
    pub fn from_logins<'a>(
        calendar: AccountCalendar,
        terms: &[SubscriptionTerm],
        rule: SeatRule,
        logins: impl IntoIterator<Item = (&'a str, DateTime<Utc>)>,
    ) -> Result<SeatLedger, SeatError> {
        let mut ledger = SeatLedger::new(calendar, terms, rule)?;
        let seats = seats_from_logins(&ledger.terms, &ledger.week_starts, ledger.rule, logins);
        ledger.users.reserve(seats.len());
        for (name, seat) in seats {
            ledger.users.insert(name.to_owned(), seat);
        }
        Ok(ledger)
    }

    /// The account's calendar.
    pub fn calendar(&self) -> &AccountCalendar {
        &self.calendar
    }

    /// The rule in force.
    pub fn rule(&self) -> SeatRule {
        self.rule
    }

    /// Records a login. Returns false, and keeps nothing, for a login outside
    /// every term: it can never count.
    pub fn record_login(&mut self, user: &str, at: DateTime<Utc>) -> bool {
        let at_us = at.timestamp_micros();
        let Some(term) = self.term_index(at_us) else {
            return false;
        };
        let seat = self.users.entry_ref(user).or_default();
        let position = match seat.logins.last() {
            Some(last) if *last > at_us => seat.logins.partition_point(|login| *login <= at_us),
            _ => seat.logins.len(),
        };
        seat.logins.insert(position, at_us);
        // A login after the activation it would count towards changes nothing; any
        // other may complete the rule or move an activation earlier.
        let settled = seat.counting_membership(at_us).is_none_or(|membership| {
            seat.activations.iter().any(|activation| {
                activation.membership == membership
                    && activation.term == self.terms[term].term
                    && activation.at.timestamp_micros() <= at_us
            })
        });
        if !settled {
            seat.activations = activations(&self.terms, &self.week_starts, self.rule, seat);
        }
        true
    }

    /// Records that `user` belongs to `organization` (a login to it, being added
    /// to it): their seat counts in its figures too.
    pub fn record_organization(&mut self, user: &str, organization: &str) {
        let seat = self.users.entry_ref(user).or_default();
        if let Err(position) =
            seat.organizations.binary_search_by(|known| known.as_str().cmp(organization))
        {
            seat.organizations.insert(position, organization.to_owned());
        }
    }

    /// Restores a user from a [`UserHistory`] kept earlier, replacing what the
    /// ledger knew of them. Logins outside the terms are dropped.
    pub fn restore_user(&mut self, user: &str, history: UserHistory) {
        let mut logins = history.logins_us;
        logins.retain(|at_us| self.term_index(*at_us).is_some());
        logins.sort_unstable();
        let mut lifecycle = history.lifecycle;
        lifecycle.sort();
        let mut organizations = history.organizations;
        organizations.sort();
        organizations.dedup();
        let counting = counting_spans(&lifecycle);
        let mut seat =
            UserSeat { logins, lifecycle, counting, activations: Vec::new(), organizations };
        seat.activations = activations(&self.terms, &self.week_starts, self.rule, &seat);
        self.users.insert(user.to_owned(), seat);
    }

    /// Drops everything the ledger knows of `user` (after keeping it elsewhere).
    pub fn forget_user(&mut self, user: &str) {
        self.users.remove(user);
    }

    /// What the ledger knows of `user`, to keep and restore later.
    pub fn user_history(&self, user: &str) -> Option<UserHistory> {
        self.users.get(user).map(|seat| UserHistory {
            logins_us: seat.logins.clone(),
            lifecycle: seat.lifecycle.clone(),
            organizations: seat.organizations.clone(),
        })
    }

    /// Records a lifecycle change.
    pub fn record_lifecycle(&mut self, user: &str, at: DateTime<Utc>, change: LifecycleChange) {
        let seat = self.users.entry_ref(user).or_default();
        let entry = (at.timestamp_micros(), change);
        let position = seat.lifecycle.partition_point(|known| *known <= entry);
        seat.lifecycle.insert(position, entry);
        seat.counting = counting_spans(&seat.lifecycle);
        seat.activations = activations(&self.terms, &self.week_starts, self.rule, seat);
    }

    /// The user's activations, oldest first: one per term and membership at most.
    pub fn activations(&self, user: &str) -> &[Activation] {
        self.users.get(user).map_or(&[], |seat| &seat.activations)
    }

    /// The users the ledger knows, in no particular order.
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.users.keys().map(String::as_str)
    }

    /// Where `user` stands at `at`.
    pub fn status_at(&self, user: &str, at: DateTime<Utc>) -> SeatStatus {
        let at_us = at.timestamp_micros();
        let Some(term) = self.term_index(at_us) else {
            return SeatStatus::OutsideTerm;
        };
        let Some(seat) = self.users.get(user) else {
            return SeatStatus::NotYetActive;
        };
        match seat.membership_at(at_us) {
            Membership::Removed => SeatStatus::Removed,
            Membership::Disabled => SeatStatus::Disabled,
            Membership::Counting(membership) => {
                let active = seat.activations.iter().any(|activation| {
                    activation.membership == membership
                        && activation.term == self.terms[term].term
                        && activation.at.timestamp_micros() <= at_us
                });
                if active { SeatStatus::Active } else { SeatStatus::NotYetActive }
            }
        }
    }

    /// The stretches `[start, end)` in which `user` is an active seat, in order.
    pub fn active_spans(&self, user: &str) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        self.users
            .get(user)
            .map(|seat| {
                self.active_spans_us(seat)
                    .map(|(start, end)| (from_micros(start), from_micros(end)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn active_spans_us<'a>(
        &'a self,
        seat: &'a UserSeat,
    ) -> impl Iterator<Item = (i64, i64)> + 'a {
        seat.activations.iter().flat_map(move |activation| {
            let term_end = self
                .terms
                .iter()
                .find(|term| term.term == activation.term)
                .expect("activations are in known terms")
                .end_us;
            let from = activation.at.timestamp_micros();
            seat.counting
                .iter()
                .filter(move |span| span.membership == activation.membership)
                .filter_map(move |span| {
                    let start = span.start_us.max(from);
                    let end = span.end_us.min(term_end);
                    (start < end).then_some((start, end))
                })
        })
    }

    pub(crate) fn seats(&self) -> impl Iterator<Item = (&str, &UserSeat)> {
        self.users.iter().map(|(user, seat)| (user.as_str(), seat))
    }

    pub(crate) fn seat(&self, user: &str) -> Option<&UserSeat> {
        self.users.get(user)
    }

    // Called for every login: kept inlinable into `record_login` whichever
    // codegen unit each lands in.
    #[inline]
    pub(crate) fn term_index(&self, at_us: i64) -> Option<usize> {
        term_index(&self.terms, at_us)
    }

    /// The terms, in order.
    pub(crate) fn subscription_terms(&self) -> impl Iterator<Item = &SubscriptionTerm> + Clone {
        self.terms.iter().map(|term| &term.term)
    }

    pub(crate) fn term(&self, index: usize) -> Term {
        self.terms[index]
    }

    pub(crate) fn term_of(&self, term: SubscriptionTerm) -> Option<Term> {
        self.terms.iter().find(|known| known.term == term).copied()
    }

    /// The instant each week of the terms begins, and its first day.
    pub(crate) fn weeks(&self) -> (&[i64], &[NaiveDate]) {
        (&self.week_starts, &self.week_names)
    }
}

/// The index of the term (of `terms`, in order) holding `at_us`.
#[inline]
pub(crate) fn term_index(terms: &[Term], at_us: i64) -> Option<usize> {
    let after = terms.partition_point(|term| term.start_us <= at_us);
    let index = after.checked_sub(1)?;
    (at_us < terms[index].end_us).then_some(index)
}

/// Where a user is in the account at an instant.
pub(crate) enum Membership {
    Removed,
    Disabled,
    Counting(u32),
}

impl UserSeat {
    /// The membership whose counting span holds `at_us`, if any.
    #[inline]
    pub(crate) fn counting_membership(&self, at_us: i64) -> Option<u32> {
        let after = self.counting.partition_point(|span| span.start_us <= at_us);
        let span = self.counting.get(after.checked_sub(1)?)?;
        (at_us < span.end_us).then_some(span.membership)
    }

    pub(crate) fn membership_at(&self, at_us: i64) -> Membership {
        if let Some(membership) = self.counting_membership(at_us) {
            return Membership::Counting(membership);
        }
        // Not counting: removed or disabled, whichever the last change up to `at_us` made it.
        let mut present = true;
        for (instant, change) in &self.lifecycle {
            if *instant > at_us {
                break;
            }
            match change {
                LifecycleChange::Removed => present = false,
                LifecycleChange::Added => present = true,
                LifecycleChange::Disabled | LifecycleChange::Enabled => {}
            }
        }
        if present { Membership::Disabled } else { Membership::Removed }
    }
}

/// Turns sorted lifecycle changes into the spans in which logins count. A user
/// the ledger has no change for has been in the account, enabled, all along.
pub(crate) fn counting_spans(lifecycle: &[(i64, LifecycleChange)]) -> Vec<CountingSpan> {
    let mut spans = Vec::new();
    let (mut present, mut enabled, mut membership, mut since) = (true, true, 0, i64::MIN);
    for &(at, change) in lifecycle {
        let counting = present && enabled;
        match change {
            LifecycleChange::Removed if present => present = false,
            // Added while present (a late first sighting) changes nothing.
            LifecycleChange::Added if !present => {
                present = true;
                enabled = true;
                membership += 1;
            }
            LifecycleChange::Disabled if present => enabled = false,
            LifecycleChange::Enabled if present => enabled = true,
            _ => {}
        }
        match (counting, present && enabled) {
            (true, false) if since < at => {
                spans.push(CountingSpan { start_us: since, end_us: at, membership })
            }
            (false, true) => since = at,
            _ => {}
        }
    }
    if present && enabled {
        spans.push(CountingSpan { start_us: since, end_us: i64::MAX, membership });
    }
    spans
}

/// Every activation of one user, from scratch: for each term and membership, the
/// first counted login at which the rule is met.
pub(crate) fn activations(
    terms: &[Term],
    week_starts: &[i64],
    rule: SeatRule,
    seat: &UserSeat,
) -> Vec<Activation> {
    let mut found = Vec::new();
    let mut group: Option<(usize, u32)> = None;
    let (mut activated, mut logins, mut qualified_weeks) = (false, 0, 0);
    let mut week: Option<(usize, u32)> = None;
    let mut spans = seat.counting.iter().peekable();
    let (mut term_index, mut week_index) = (0, 0);
    for &at_us in &seat.logins {
        while spans.peek().is_some_and(|span| span.end_us <= at_us) {
            spans.next();
        }
        let Some(span) = spans.peek().filter(|span| span.start_us <= at_us) else {
            continue;
        };
        while terms[term_index].end_us <= at_us {
            term_index += 1;
        }
        let key = (term_index, span.membership);
        if group != Some(key) {
            group = Some(key);
            (activated, logins, qualified_weeks, week) = (false, 0, 0, None);
        }
        if activated {
            continue;
        }
        logins += 1;
        while week_starts.get(week_index + 1).is_some_and(|next| *next <= at_us) {
            week_index += 1;
        }
        let this_week = week_index;
        let in_week = match week {
            Some((known, count)) if known == this_week => count + 1,
            _ => 1,
        };
        week = Some((this_week, in_week));
        if in_week == rule.logins_per_week {
            qualified_weeks += 1;
        }
        if qualified_weeks >= rule.weeks_needed && logins >= rule.logins_needed {
            activated = true;
            found.push(Activation {
                term: terms[term_index].term,
                at: from_micros(at_us),
                membership: span.membership,
            });
        }
    }
    found
}

pub(crate) fn from_micros(at_us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at_us).expect("instants come from DateTime<Utc>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_read_by_their_names() {
        for status in SeatStatus::ALL {
            assert_eq!(SeatStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(SeatStatus::parse("happy"), None);
        assert_eq!(SeatStatus::parse("Active"), None);
    }
}
