//! Keeping an account's monthly seat counts as counts, user by user.
//!
//! A store that keeps each user's history and the monthly counts does not
//! recount every user when events arrive: it brings the users those events
//! name up to date ([`SeatLedger::update_user`]) and applies what that changes
//! in the counts ([`SeatCountChanges`]), summed per organization and month.
//!
//! Most logins come after the user's activation in their term: they change
//! neither the activation nor the months, only what the activated seats log
//! shows. A store keeps each activation with that ([`KeptActivation`]), takes
//! such a login into it without the user's history
//! ([`SeatLedger::take_kept_login`]), and reads the log from it
//! ([`SeatLedger::kept_log_at`]).

use chrono::{DateTime, Duration, Utc};
use hashbrown::HashMap;
use tally_calendar::{Month, SubscriptionTerm};

use crate::ledger::{
    Activation, LifecycleChange, Membership, SeatLedger, SeatStatus, Term, UserHistory, UserSeat,
    counting_spans,
};
use crate::readings::ActivatedSeat;
use crate::rule::SeatRule;

/// One of a user's events, as the seat rule reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent {
    /// The user logged in, to `organization` when the product knows it.
    Login {
        /// When.
        at: DateTime<Utc>,
        /// The organization logged in to.
        organization: Option<String>,
    },
    /// The user's membership of the account changed (adding them to
    /// `organization`, when named).
    Lifecycle {
        /// When.
        at: DateTime<Utc>,
        /// What changed.
        change: LifecycleChange,
        /// The organization named with the change.
        organization: Option<String>,
    },
    /// The user was seen in an organization and nothing else bears on their
    /// seat (a role change): their seat counts in its figures too.
    OrganizationSeen {
        /// The organization.
        organization: String,
    },
}

/// What a store keeps of a user: their history, to rebuild them, and each of
/// their activations with what the activated seats log reads of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptUser {
    /// Everything the ledger knows of the user.
    pub history: UserHistory,
    /// Their activations, oldest first.
    pub activations: Vec<KeptActivation>,
}

/// One activation as a store keeps it beside the user's history: enough to
/// list the user in the activated seats log as of any instant from the week of
/// their last counted login on, and to take in a later login of the same term
/// and membership without the rest of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptActivation {
    /// The activation.
    pub activation: Activation,
    /// Counted logins of the activation's term and membership in each calendar
    /// week of the term, the first being the week holding the term's first
    /// day; nothing after the last week that has any.
    pub logins_per_week: Vec<u32>,
    /// The instants (microseconds since the Unix epoch) of those logins in the
    /// last week that has any, sorted.
    pub last_week_logins_us: Vec<i64>,
    /// Counted logins of the activation's term and membership: the sum of
    /// `logins_per_week`.
    pub logins: u32,
    /// Weeks of `logins_per_week` holding the rule's logins per week.
    pub weeks: u32,
}

/// What became of a login offered to a user's kept activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptLogin {
    /// Counted in the kept activation at this index, after it: the user's
    /// activations and months stand. The store keeps the login's instant.
    Counted(usize),
    /// In no term: the ledger keeps nothing of it.
    OutsideTerms,
    /// It may change an activation, or counts for none of them: the user is
    /// brought up to date from their whole history ([`SeatLedger::update_user`]).
    NeedsHistory,
}

/// What an update changes in an account's monthly seat counts, summed over the
/// users it brings up to date, per organization and month.
#[derive(Debug, Clone)]
pub struct SeatCountChanges {
    /// Whether the counts are rebuilt from nothing rather than changed.
    from_nothing: bool,
    /// By (organization, `None` for the whole account; month).
    by_group: HashMap<(Option<String>, Month), i64>,
}

impl SeatCountChanges {
    /// Changes to counts kept from earlier updates: each user's months before
    /// the update are taken away and their months after it added.
    pub fn to_kept_counts() -> SeatCountChanges {
        SeatCountChanges { from_nothing: false, by_group: HashMap::new() }
    }

    /// Counts rebuilt from nothing (the first update, or after the terms or the
    /// rule changed): nothing was counted, so nothing is taken away.
    pub fn from_nothing() -> SeatCountChanges {
        SeatCountChanges { from_nothing: true, by_group: HashMap::new() }
    }

    /// Whether these are counts rebuilt from nothing.
    pub fn starts_from_nothing(&self) -> bool {
        self.from_nothing
    }

    /// The changes that are not zero, in no particular order: the organization
    /// (`None` for the whole account), the month and what to add to its count.
    pub fn changes(&self) -> impl Iterator<Item = (Option<&str>, Month, i64)> {
        self.by_group
            .iter()
            .filter(|(_, change)| **change != 0)
            .map(|((organization, month), change)| (organization.as_deref(), *month, *change))
    }
}

impl SeatLedger {
    /// Brings one user up to date: restores what was kept of them (`kept`),
    /// records their new `events`, and adds what that changes in the monthly
    /// counts to `changes`. Answers what to keep of the user now (`None` when
    /// the ledger knows nothing of them) and forgets them, so that a store
    /// going through many users holds one at a time.
    pub fn update_user(
        &mut self,
        user: &str,
        kept: Option<UserHistory>,
        events: impl IntoIterator<Item = UserEvent>,
        changes: &mut SeatCountChanges,
    ) -> Option<KeptUser> {
        if let Some(history) = kept {
            self.restore_user(user, history);
        }
        let months = term_months(self.subscription_terms());
        let before = match months {
            Some((first, last)) if !changes.from_nothing => self.counted_in(user, first, last),
            _ => Vec::new(),
        };
        for event in events {
            match event {
                UserEvent::Login { at, organization } => {
                    if let Some(organization) = &organization {
                        self.record_organization(user, organization);
                    }
                    self.record_login(user, at);
                }
                UserEvent::Lifecycle { at, change, organization } => {
                    if let Some(organization) = &organization {
                        self.record_organization(user, organization);
                    }
                    self.record_lifecycle(user, at, change);
                }
                UserEvent::OrganizationSeen { organization } => {
                    self.record_organization(user, &organization);
                }
            }
        }
        let after = match months {
            Some((first, last)) => self.counted_in(user, first, last),
            None => Vec::new(),
        };
        if before != after {
            for group in before {
                *changes.by_group.entry(group).or_default() -= 1;
            }
            for group in after {
                *changes.by_group.entry(group).or_default() += 1;
            }
        }
        let kept = self.kept_user(user);
        self.forget_user(user);
        kept
    }

    /// What a store keeps of `user`; `None` when the ledger knows nothing of them.
    pub fn kept_user(&self, user: &str) -> Option<KeptUser> {
        let history = self.user_history(user)?;
        Some(KeptUser { history, activations: self.kept_activations(user) })
    }

    /// Each of `user`'s activations as a store keeps it, oldest first.
    pub fn kept_activations(&self, user: &str) -> Vec<KeptActivation> {
        let Some(seat) = self.seat(user) else {
            return Vec::new();
        };
        let mut kept: Vec<KeptActivation> = seat
            .activations
            .iter()
            .map(|activation| KeptActivation {
                activation: *activation,
                logins_per_week: Vec::new(),
                last_week_logins_us: Vec::new(),
                logins: 0,
                weeks: 0,
            })
            .collect();
        if kept.is_empty() {
            return kept;
        }
        // Logins are sorted, so the counting span of each only moves forward.
        let mut spans = seat.counting.iter().peekable();
        for &at_us in &seat.logins {
            while spans.peek().is_some_and(|span| span.end_us <= at_us) {
                spans.next();
            }
            let Some(span) = spans.peek().filter(|span| span.start_us <= at_us) else {
                continue;
            };
            let Some(term) = self.term_index(at_us).map(|index| self.term(index)) else {
                continue;
            };
            let Some(activation) = kept.iter_mut().find(|kept| {
                kept.activation.term == term.term && kept.activation.membership == span.membership
            }) else {
                continue;
            };
            activation.count(self.week_in_term(term, at_us), at_us, self.rule());
        }
        kept
    }

    /// Offers a login of a user at `at` to their kept activations (`kept`,
    /// whose lifecycle changes are `lifecycle`), and counts it in the one it
    /// comes after in the same term and membership, if any: such a login
    /// changes neither the user's activations nor their months.
    pub fn take_kept_login(
        &self,
        kept: &mut [KeptActivation],
        lifecycle: &[(i64, LifecycleChange)],
        at: DateTime<Utc>,
    ) -> KeptLogin {
        let at_us = at.timestamp_micros();
        let Some(term) = self.term_index(at_us).map(|index| self.term(index)) else {
            return KeptLogin::OutsideTerms;
        };
        let Some(membership) = seat_of(lifecycle).counting_membership(at_us) else {
            return KeptLogin::NeedsHistory;
        };
        let Some(index) = kept.iter().position(|kept| {
            kept.activation.term == term.term
                && kept.activation.membership == membership
                && kept.activation.at <= at
        }) else {
            return KeptLogin::NeedsHistory;
        };
        kept[index].count(self.week_in_term(term, at_us), at_us, self.rule());
        KeptLogin::Counted(index)
    }

    /// The activated seats log at `at` (see [`SeatLedger::activated_seats`]),
    /// to be read row by row from kept activations; `None` when no term holds
    /// `at`.
    pub fn kept_log_at(&self, at: DateTime<Utc>) -> Option<KeptLogAt> {
        let at_us = at.timestamp_micros();
        let term = self.term_index(at_us).map(|index| self.term(index))?;
        Some(KeptLogAt { at, term, week: self.week_in_term(term, at_us), rule: self.rule() })
    }

    /// The index, within `term`, of the calendar week holding `at_us` (an
    /// instant in the term): 0 for the week holding the term's first day.
    fn week_in_term(&self, term: Term, at_us: i64) -> usize {
        let (week_starts, _) = self.weeks();
        let week = |instant: i64| week_starts.partition_point(|start| *start <= instant) - 1;
        week(at_us) - week(term.start_us)
    }

    /// The (organization, month) counts `user` is in: `None` for the whole
    /// account, then each of their organizations.
    fn counted_in(&self, user: &str, first: Month, last: Month) -> Vec<(Option<String>, Month)> {
        let months = self.active_months(user, first, last);
        let groups = std::iter::once(None).chain(self.organizations(user).iter().map(Some));
        groups.flat_map(|group| months.iter().map(move |month| (group.cloned(), *month))).collect()
    }
}

/// The activated seats log at one instant, read row by row from kept
/// activations ([`SeatLedger::kept_log_at`]): the term holding the instant,
/// and the week of it, found once for every row.
#[derive(Debug, Clone, Copy)]
pub struct KeptLogAt {
    at: DateTime<Utc>,
    term: Term,
    /// The week of the term holding `at`, as [`KeptActivation::logins_per_week`] counts them.
    week: usize,
    rule: SeatRule,
}

impl KeptLogAt {
    /// `user`'s row of the log, read from `kept`: their latest activation at
    /// or before the log's instant in the term holding it, whose lifecycle
    /// changes are `lifecycle`. `None` when the instant falls before the last
    /// week with a login in `kept`, or outside its term: the row then needs
    /// the user's history.
    pub fn seat(
        &self,
        user: &str,
        kept: &KeptActivation,
        lifecycle: &[(i64, LifecycleChange)],
    ) -> Option<ActivatedSeat> {
        let (at, at_us) = (self.at, self.at.timestamp_micros());
        if self.term.term != kept.activation.term || kept.activation.at > at {
            return None;
        }
        let last_week = kept.logins_per_week.len().checked_sub(1)?;
        let rule = self.rule;
        let (logins, weeks) = match self.week.cmp(&last_week) {
            std::cmp::Ordering::Less => return None,
            std::cmp::Ordering::Greater => (kept.logins, kept.weeks),
            std::cmp::Ordering::Equal => {
                let after =
                    kept.last_week_logins_us.iter().filter(|login| **login > at_us).count() as u32;
                let in_last_week = kept.logins_per_week[last_week];
                let no_longer_counts = in_last_week >= rule.logins_per_week
                    && in_last_week - after < rule.logins_per_week;
                (kept.logins - after, kept.weeks - u32::from(no_longer_counts))
            }
        };
        let status = match seat_of(lifecycle).membership_at(at_us) {
            Membership::Removed => SeatStatus::Removed,
            Membership::Disabled => SeatStatus::Disabled,
            // The latest activation up to `at` is of the membership in force
            // then, if that membership has one: memberships follow each other.
            Membership::Counting(membership) if membership == kept.activation.membership => {
                SeatStatus::Active
            }
            Membership::Counting(_) => SeatStatus::NotYetActive,
        };
        Some(ActivatedSeat {
            user: user.to_owned(),
            activated_at: kept.activation.at,
            logins,
            weeks,
            status,
        })
    }
}

impl KeptActivation {
    /// Counts a login at `at_us` in the term's week `week`.
    fn count(&mut self, week: usize, at_us: i64, rule: SeatRule) {
        if week >= self.logins_per_week.len() {
            self.logins_per_week.resize(week + 1, 0);
            self.last_week_logins_us.clear();
        }
        self.logins_per_week[week] += 1;
        self.logins += 1;
        if self.logins_per_week[week] == rule.logins_per_week {
            self.weeks += 1;
        }
        if week + 1 == self.logins_per_week.len() {
            let position = self.last_week_logins_us.partition_point(|login| *login <= at_us);
            self.last_week_logins_us.insert(position, at_us);
        }
    }
}

/// A user with these lifecycle changes and nothing else: where they stand in
/// the account at each instant.
fn seat_of(lifecycle: &[(i64, LifecycleChange)]) -> UserSeat {
    UserSeat {
        logins: Vec::new(),
        lifecycle: lifecycle.to_vec(),
        counting: counting_spans(lifecycle),
        activations: Vec::new(),
        organizations: Vec::new(),
    }
}

/// The first and last month the terms touch, in the account's calendar.
pub fn term_months<'a>(
    terms: impl IntoIterator<Item = &'a SubscriptionTerm> + Clone,
) -> Option<(Month, Month)> {
    let first = terms.clone().into_iter().map(|term| term.start).min()?;
    let last = terms.into_iter().map(|term| term.end).max()? - Duration::days(1);
    Some((Month::of(first), Month::of(last)))
}

/// What seat counts are counted under besides the events: the terms and the
/// rule. A store keeps it with its counts and rebuilds them from nothing when
/// it changes.
pub fn counted_under(terms: &[SubscriptionTerm], rule: SeatRule) -> String {
    format!(
        "terms {}; rule {} weeks, {} logins, {} a week",
        terms.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
        rule.weeks_needed,
        rule.logins_needed,
        rule.logins_per_week
    )
}

/// A row of the log at `at` in one call, as the tests read rows.
#[cfg(test)]
impl SeatLedger {
    fn kept_activated_seat(
        &self,
        user: &str,
        kept: &KeptActivation,
        lifecycle: &[(i64, LifecycleChange)],
        at: DateTime<Utc>,
    ) -> Option<ActivatedSeat> {
        self.kept_log_at(at)?.seat(user, kept, lifecycle)
    }
}

#[cfg(test)]
mod tests {
    use tally_calendar::AccountCalendar;

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn month(text: &str) -> Month {
        text.parse().unwrap()
    }

    /// A ledger over March and April 2026, in UTC with Monday weeks, under the
    /// seed's rule (3 logins in 3 calendar weeks).
    fn ledger() -> SeatLedger {
        let term = "2026-03-01..2026-05-01".parse().unwrap();
        SeatLedger::new(AccountCalendar::default(), &[term], SeatRule::default()).unwrap()
    }

    fn login(text: &str, organization: Option<&str>) -> UserEvent {
        UserEvent::Login { at: at(text), organization: organization.map(str::to_owned) }
    }

    /// Logins on Mondays 2026-03-02 and 03-09 (two weeks), kept earlier.
    fn two_weeks_kept() -> UserHistory {
        UserHistory {
            logins_us: vec![
                at("2026-03-02T09:00:00Z").timestamp_micros(),
                at("2026-03-09T09:00:00Z").timestamp_micros(),
            ],
            lifecycle: Vec::new(),
            organizations: vec!["acme-platform".to_owned()],
        }
    }

    fn check(changes: &SeatCountChanges, expected: &[(Option<&str>, &str, i64)]) {
        let mut got: Vec<(Option<&str>, Month, i64)> = changes.changes().collect();
        got.sort();
        let mut expected: Vec<(Option<&str>, Month, i64)> = expected
            .iter()
            .map(|(organization, text, change)| (*organization, month(text), *change))
            .collect();
        expected.sort();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_login_that_completes_the_rule_adds_the_user_to_each_month_and_organization() {
        let mut ledger = ledger();
        let mut changes = SeatCountChanges::to_kept_counts();
        // The third week's login (Wednesday 2026-03-18) completes the rule: the
        // user is a seat from then to the end of the term, so in March and
        // April, of the account and of both organizations (one kept, one new).
        let history = ledger.update_user(
            "ada",
            Some(two_weeks_kept()),
            [login("2026-03-18T09:00:00Z", Some("acme-data"))],
            &mut changes,
        );
        check(
            &changes,
            &[
                (None, "2026-03", 1),
                (None, "2026-04", 1),
                (Some("acme-data"), "2026-03", 1),
                (Some("acme-data"), "2026-04", 1),
                (Some("acme-platform"), "2026-03", 1),
                (Some("acme-platform"), "2026-04", 1),
            ],
        );
        let history = history.unwrap().history;
        assert_eq!(history.logins_us.len(), 3);
        assert_eq!(history.logins_us[2], at("2026-03-18T09:00:00Z").timestamp_micros());
        assert_eq!(history.organizations, ["acme-data", "acme-platform"]);
        // The user is forgotten once kept.
        assert_eq!(ledger.users().count(), 0);
    }

    #[test]
    fn a_removal_takes_the_months_after_it_away() {
        let mut ledger = ledger();
        let mut changes = SeatCountChanges::to_kept_counts();
        let mut kept = two_weeks_kept();
        kept.logins_us.push(at("2026-03-18T09:00:00Z").timestamp_micros());
        // A seat since 2026-03-18 (March and April), removed on 2026-03-25: a
        // seat in March only, so April loses one, of the account and of the
        // kept organization.
        let removal = UserEvent::Lifecycle {
            at: at("2026-03-25T12:00:00Z"),
            change: LifecycleChange::Removed,
            organization: None,
        };
        ledger.update_user("ada", Some(kept), [removal], &mut changes);
        check(&changes, &[(None, "2026-04", -1), (Some("acme-platform"), "2026-04", -1)]);
    }

    #[test]
    fn counts_rebuilt_from_nothing_take_nothing_away() {
        let mut kept = two_weeks_kept();
        kept.logins_us.push(at("2026-03-18T09:00:00Z").timestamp_micros());

        // No new events on kept counts: the user's months are the same before
        // and after, so nothing changes.
        let mut changes = SeatCountChanges::to_kept_counts();
        assert!(!changes.starts_from_nothing());
        ledger().update_user("ada", Some(kept.clone()), [], &mut changes);
        check(&changes, &[]);

        // Rebuilt from nothing, the same user is added to each of their months.
        let mut changes = SeatCountChanges::from_nothing();
        assert!(changes.starts_from_nothing());
        ledger().update_user("ada", Some(kept), [], &mut changes);
        check(
            &changes,
            &[
                (None, "2026-03", 1),
                (None, "2026-04", 1),
                (Some("acme-platform"), "2026-03", 1),
                (Some("acme-platform"), "2026-04", 1),
            ],
        );
    }

    #[test]
    fn changes_sum_over_users_and_zeros_are_left_out() {
        let mut ledger = ledger();
        let mut changes = SeatCountChanges::to_kept_counts();
        // bob becomes a seat on 2026-03-18 (+1 in March and April); ada, a seat
        // of acme-platform since then too, is removed on 2026-03-25 (-1 in April,
        // of the account and of acme-platform). April nets 0 for the account.
        let mut bob = two_weeks_kept();
        bob.organizations.clear();
        ledger.update_user("bob", Some(bob), [login("2026-03-18T09:00:00Z", None)], &mut changes);
        let mut ada = two_weeks_kept();
        ada.logins_us.push(at("2026-03-18T09:00:00Z").timestamp_micros());
        let removal = UserEvent::Lifecycle {
            at: at("2026-03-25T12:00:00Z"),
            change: LifecycleChange::Removed,
            organization: None,
        };
        ledger.update_user("ada", Some(ada), [removal], &mut changes);
        check(&changes, &[(None, "2026-03", 1), (Some("acme-platform"), "2026-04", -1)]);
    }

    #[test]
    fn an_organization_alone_is_kept_but_counts_nothing() {
        let mut ledger = ledger();
        let mut changes = SeatCountChanges::to_kept_counts();
        let seen = UserEvent::OrganizationSeen { organization: "acme-data".to_owned() };
        let history = ledger.update_user("cy", None, [seen], &mut changes);
        check(&changes, &[]);
        assert_eq!(
            history.map(|kept| kept.history),
            Some(UserHistory {
                logins_us: Vec::new(),
                lifecycle: Vec::new(),
                organizations: vec!["acme-data".to_owned()],
            })
        );
        // A user the ledger never heard of leaves nothing to keep.
        assert_eq!(ledger.update_user("dee", None, [], &mut changes), None);
    }

    #[test]
    fn a_kept_activation_takes_later_logins_and_reads_the_log_as_of_its_last_week() {
        let mut ledger = ledger();
        for login in [
            "2026-03-02T09:00:00Z",
            "2026-03-09T09:00:00Z",
            "2026-03-18T09:00:00Z",
            "2026-03-19T09:00:00Z",
        ] {
            ledger.record_login("ada", at(login));
        }
        let mut kept = ledger.kept_activations("ada");
        // The term starts on Sunday 03-01, in the week of Monday 02-23 (week 0);
        // 03-02 is in week 1, 03-09 in week 2, 03-18 and 03-19 in week 3. The
        // login on 03-18 completes the rule.
        let micros = |text: &str| at(text).timestamp_micros();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].activation.at, at("2026-03-18T09:00:00Z"));
        assert_eq!(kept[0].logins_per_week, [0, 1, 1, 2]);
        assert_eq!(
            kept[0].last_week_logins_us,
            [micros("2026-03-18T09:00:00Z"), micros("2026-03-19T09:00:00Z")]
        );
        assert_eq!((kept[0].logins, kept[0].weeks), (4, 3));

        let take = |kept: &mut Vec<KeptActivation>, text: &str| {
            ledger.take_kept_login(kept, &[], at(text))
        };
        // Friday 03-20, after the activation, in the last week (3).
        assert_eq!(take(&mut kept, "2026-03-20T09:00:00Z"), KeptLogin::Counted(0));
        assert_eq!(kept[0].logins_per_week, [0, 1, 1, 3]);
        assert_eq!(kept[0].last_week_logins_us.len(), 3);
        assert_eq!((kept[0].logins, kept[0].weeks), (5, 3));
        // Wednesday 03-25 opens week 4, the new last week.
        assert_eq!(take(&mut kept, "2026-03-25T09:00:00Z"), KeptLogin::Counted(0));
        assert_eq!(kept[0].logins_per_week, [0, 1, 1, 3, 1]);
        assert_eq!(kept[0].last_week_logins_us, [micros("2026-03-25T09:00:00Z")]);
        assert_eq!((kept[0].logins, kept[0].weeks), (6, 4));
        // Before the activation (Tuesday 03-10) it may move it; after the term
        // nothing counts.
        assert_eq!(take(&mut kept, "2026-03-10T09:00:00Z"), KeptLogin::NeedsHistory);
        assert_eq!(take(&mut kept, "2026-06-01T09:00:00Z"), KeptLogin::OutsideTerms);
        // Disabled on 03-20: a login then counts for no membership.
        let disabled = [(micros("2026-03-20T00:00:00Z"), LifecycleChange::Disabled)];
        assert_eq!(
            ledger.take_kept_login(&mut kept, &disabled, at("2026-03-26T09:00:00Z")),
            KeptLogin::NeedsHistory
        );

        let read = |text: &str, lifecycle: &[(i64, LifecycleChange)]| {
            ledger
                .kept_activated_seat("ada", &kept[0], lifecycle, at(text))
                .map(|seat| (seat.logins, seat.weeks, seat.status))
        };
        // At 08:00 on 03-25, in the last week but before its login: 5 logins,
        // and week 4 no longer qualifies.
        assert_eq!(read("2026-03-25T08:00:00Z", &[]), Some((5, 3, SeatStatus::Active)));
        assert_eq!(read("2026-04-30T00:00:00Z", &[]), Some((6, 4, SeatStatus::Active)));
        assert_eq!(read("2026-04-30T00:00:00Z", &disabled), Some((6, 4, SeatStatus::Disabled)));
        // In week 3 the kept counts cannot tell which logins came after.
        assert_eq!(read("2026-03-20T00:00:00Z", &[]), None);
        // Before the activation, or after the term, there is no row to read.
        assert_eq!(read("2026-03-18T08:59:59Z", &[]), None);
        assert_eq!(read("2026-05-01T00:00:00Z", &[]), None);
    }

    #[test]
    fn a_kept_row_is_read_at_its_own_activation_instant_and_never_for_another_term() {
        let terms: Vec<SubscriptionTerm> = ["2026-03-01..2026-05-01", "2026-05-01..2027-01-01"]
            .iter()
            .map(|term| term.parse().unwrap())
            .collect();
        let mut ledger =
            SeatLedger::new(AccountCalendar::default(), &terms, SeatRule::default()).unwrap();
        for login in [
            "2026-03-02T09:00:00Z",
            "2026-03-09T09:00:00Z",
            "2026-03-18T09:00:00Z",
            "2026-03-19T09:00:00Z",
        ] {
            ledger.record_login("ada", at(login));
        }
        let kept = ledger.kept_activations("ada");
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].logins_per_week, [0, 1, 1, 2]);
        let read = |text: &str| {
            ledger
                .kept_activated_seat("ada", &kept[0], &[], at(text))
                .map(|seat| (seat.logins, seat.weeks, seat.status))
        };
        // At the activation's very instant, 03-18 09:00 in the last week (3):
        // the login on 03-19 comes after, so 4 - 1 = 3 logins; week 3 still
        // has its 03-18 login, so 3 weeks.
        assert_eq!(read("2026-03-18T09:00:00Z"), Some((3, 3, SeatStatus::Active)));
        // On 2026-07-01, in the second term's week 9 (its first week holds
        // Friday 05-01), past the kept row's last week: the row is the first
        // term's, so the second term's log cannot be read from it.
        assert_eq!(read("2026-07-01T00:00:00Z"), None);
    }

    #[test]
    fn the_counts_name_the_terms_and_the_rule_they_were_counted_under() {
        let terms: Vec<SubscriptionTerm> = ["2026-01-01..2027-01-01", "2027-01-01..2028-01-01"]
            .iter()
            .map(|term| term.parse().unwrap())
            .collect();
        assert_eq!(
            counted_under(&terms, SeatRule::default()),
            "terms 2026-01-01..2027-01-01,2027-01-01..2028-01-01; rule 3 weeks, 3 logins, 1 a week"
        );
        // The last day of the terms is 2027-12-31.
        assert_eq!(term_months(&terms), Some((month("2026-01"), month("2027-12"))));
        assert_eq!(term_months(&[]), None);
    }
}
