//! The persisted seat state: each user's seat history, their activations as
//! the activated seats log reads them, and the monthly counts, kept up to date
//! from the event log by [`Store::update_seats`].
//!
//! The state holds what the seat rule needs of every login (its instant), so
//! seat status and monthly figures survive the purge of raw sign-in events. The
//! monthly counts are kept as counts, changed by what each update does to the
//! users it touches, so reading them costs one small query. Each activation is
//! kept in a row of `seat_activations` with the user's counted logins and
//! weeks, so the activated seats log is read, not rebuilt. A login after its
//! user's activation in the same term and membership (most logins) changes
//! only that row: its instant joins the row's late logins, and the user's
//! history (`seat_users`) is rewritten only once [`LATE_LOGINS_KEPT`] of them
//! are waiting, or when a login or lifecycle change may move an activation.

use chrono::{DateTime, Utc};
use hashbrown::HashMap;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use tally_access::AccountUsage;
use tally_events::EventKind;
use tally_seats::{
    ActivatedSeat, Activation, KeptActivation, KeptLogin, KeptUser, LifecycleChange, MonthlySeats,
    SeatCountChanges, SeatExplanation, SeatLedger, SeatRule, UserEvent, UserHistory, counted_under,
    term_months,
};

use crate::kind::StoredKind;
use crate::{Account, Store, StoreError};

/// Events one step of [`Store::update_seats`] reads and commits at most. An
/// update that recounts every user reads all events in one step.
pub const SEAT_EVENTS_PER_STEP: usize = 2_000_000;

/// Late logins an activation's row holds before they join the user's history.
/// More makes the rows the activated seats log reads larger; fewer rewrites
/// each history more often (once per this many logins after the activation).
pub const LATE_LOGINS_KEPT: usize = 32;

/// One row of the activated seats log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatLogEntry {
    /// The user's seat: activation, logins and weeks so far, status.
    pub seat: ActivatedSeat,
    /// From the user's latest `user_added`, if any.
    pub email: Option<String>,
    /// From the user's latest `user_added`, if any.
    pub display_name: Option<String>,
    /// The organizations the user was seen in, sorted.
    pub organizations: Vec<String>,
    /// From the user's latest `user_added` or `user_teams_changed` that named teams.
    pub teams: Vec<String>,
}

/// What one [`Store::update_seats`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeatUpdate {
    /// Events read since the last update.
    pub events: usize,
    /// Users whose seat was recomputed.
    pub users: usize,
    /// Whether every user was recomputed (the first update, or the terms or the
    /// seat rule changed).
    pub rebuilt: bool,
}

/// A user's email, display name and teams (a JSON list), as `seat_profiles`
/// keeps them.
type StoredProfile = (Option<String>, Option<String>, String);

/// What an account's seat figures are read from, besides the instant asked
/// about: its calendar and terms, its seat rule, and how far its seat state has
/// been brought up to date and under which terms and rule. See
/// [`Store::seat_state_version`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatStateVersion {
    account: Account,
    rule: SeatRule,
    /// The last event taken in and what it was counted under; `None` before
    /// the first update.
    progress: Option<(i64, String)>,
}

impl Store {
    /// Brings the account's seat state up to date with the events stored since
    /// the last update. Only the users those events name are recomputed; when the
    /// account's terms or seat rule changed, everyone is. Events are read in steps of
    /// [`SEAT_EVENTS_PER_STEP`], each committed with how far it got, so a long
    /// history neither fills memory nor holds the write lock throughout, and an
    /// interrupted update goes on from its last step. Recounting everyone is
    /// one step and one transaction over all the events not yet taken in:
    /// counted in memory at once (about 16 bytes a login), each user's history
    /// written once rather than at every step, but holding the write lock
    /// throughout.
    pub fn update_seats(&mut self, slug: &str) -> Result<SeatUpdate, StoreError> {
        self.update_seats_in_steps(slug, SEAT_EVENTS_PER_STEP)
    }

    /// [`Store::update_seats`] with steps of `events_per_step` events.
    pub fn update_seats_in_steps(
        &mut self,
        slug: &str,
        events_per_step: usize,
    ) -> Result<SeatUpdate, StoreError> {
        let account = self.account(slug)?;
        let events_per_step = events_per_step.max(1);
        let doing = || format!("updating the seats of account {slug}");
        let mut total = SeatUpdate::default();
        loop {
            let transaction = self
                .connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(StoreError::sqlite(doing()))?;
            let (step, done) = update_step(&transaction, &account, events_per_step)?;
            transaction.commit().map_err(StoreError::sqlite(doing()))?;
            total.events += step.events;
            total.users += step.users;
            total.rebuilt |= step.rebuilt;
            if done {
                return Ok(total);
            }
        }
    }

    /// The account's seat rule: the one set with [`Store::set_seat_rule`], or the
    /// seed's (3 logins in 3 calendar weeks).
    pub fn seat_rule(&self, slug: &str) -> Result<SeatRule, StoreError> {
        let account = self.account(slug)?;
        read_rule(&self.connection, &account)
    }

    /// Sets the account's seat rule. The next [`Store::update_seats`] recounts
    /// every user under it.
    pub fn set_seat_rule(&mut self, slug: &str, rule: SeatRule) -> Result<(), StoreError> {
        rule.validate()
            .map_err(|source| StoreError::InvalidSeatRule { slug: slug.to_owned(), source })?;
        let account = self.account(slug)?;
        self.connection
            .execute(
                "INSERT INTO seat_rules (account_id, weeks_needed, logins_needed, logins_per_week)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account_id) DO UPDATE
                 SET weeks_needed = ?2, logins_needed = ?3, logins_per_week = ?4",
                params![account.id.0, rule.weeks_needed, rule.logins_needed, rule.logins_per_week],
            )
            .map_err(StoreError::sqlite(format!("setting the seat rule of {slug}")))?;
        Ok(())
    }

    /// What the account's seat figures are read from now: two reads that see
    /// equal versions read the same seat state, so a figure computed for an
    /// instant under one version can be reused while the version stands.
    pub fn seat_state_version(&self, usage: &AccountUsage) -> Result<SeatStateVersion, StoreError> {
        let account = self.account(usage.account())?;
        let rule = read_rule(&self.connection, &account)?;
        let progress = read_progress(&self.connection, &account).map_err(StoreError::sqlite(
            format!("reading the seat progress of {}", account.slug),
        ))?;
        Ok(SeatStateVersion { account, rule, progress })
    }

    /// Active seats per month over the account's terms, from the persisted state:
    /// of the whole account, or of one organization.
    pub fn monthly_seats(
        &self,
        usage: &AccountUsage,
        organization: Option<&str>,
    ) -> Result<Vec<MonthlySeats>, StoreError> {
        let slug = usage.account();
        let account = self.account(slug)?;
        let Some((first, last)) = term_months(&account.terms) else {
            return Ok(Vec::new());
        };
        let counts: std::collections::HashMap<String, u32> = self.collect_rows(
            "SELECT month, seats FROM seat_months WHERE account_id = ?1 AND organization = ?2",
            params![account.id.0, organization.unwrap_or("")],
            &format!("reading the monthly seats of account {slug}"),
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        // From the month before the terms (no seats), for the first month's change.
        let mut months = vec![first.previous()];
        while months[months.len() - 1] < last {
            months.push(months[months.len() - 1].next());
        }
        let seats: Vec<u32> = months
            .iter()
            .map(|month| counts.get(&month.to_string()).copied().unwrap_or(0))
            .collect();
        Ok(MonthlySeats::series(&months, &seats))
    }

    /// The activated seats log at `at` (see [`SeatLedger::activated_seats`]), with
    /// each user's email, display name, organizations and teams, from the persisted
    /// state: each user's latest activation up to `at` in the term holding `at` is
    /// read from its row. Only a user with a login after `at` in an earlier week
    /// than their last is rebuilt from their history.
    pub fn activated_seats(
        &self,
        usage: &AccountUsage,
        at: DateTime<Utc>,
    ) -> Result<Vec<SeatLogEntry>, StoreError> {
        let slug = usage.account();
        let account = self.account(slug)?;
        let ledger = ledger_for(&self.connection, &account)?;
        let (Some(term), Some(log_at)) = (
            account.terms.iter().find(|term| term_holds(&account, term, at)),
            ledger.kept_log_at(at),
        ) else {
            return Ok(Vec::new());
        };
        let doing = || format!("reading the seats of account {slug}");
        let sqlite = |error| StoreError::sqlite(doing())(error);
        // Profiles and seats both come by user: each row takes its user's
        // profile as the two are walked side by side, with no lookup.
        let mut profiles =
            read_profiles(&self.connection, &account).map_err(sqlite)?.into_iter().peekable();
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT user, membership, activated_us, logins, weeks, organizations, lifecycle,
                        last_week_logins, logins_per_week
                 FROM seat_activations
                 WHERE account_id = ?1 AND term_start = ?2 AND activated_us <= ?3
                 ORDER BY user",
            )
            .map_err(sqlite)?;
        let mut rows = statement
            .query(params![account.id.0, term.start.to_string(), at.timestamp_micros()])
            .map_err(sqlite)?;
        // Seats are sticky within a term, so the account's largest monthly
        // count is about the log's length: reserved at once, a log of a
        // hundred thousand seats is not copied as it grows (reserving more
        // than is used costs address space, not memory).
        let largest_month: Option<i64> = self
            .connection
            .prepare_cached(
                "SELECT max(seats) FROM seat_months WHERE account_id = ?1 AND organization = ''",
            )
            .and_then(|mut statement| statement.query_row(params![account.id.0], |row| row.get(0)))
            .map_err(sqlite)?;
        let mut log: Vec<SeatLogEntry> = Vec::with_capacity(
            largest_month.map_or(0, |seats| usize::try_from(seats).unwrap_or(0)),
        );
        // Rows whose seat needs the user's history, rebuilt after reading.
        let mut waiting: Vec<WaitingRow> = Vec::new();
        // The membership of the row read last, and whether it waits.
        let mut last: Option<(u32, bool)> = None;
        // One activation and lifecycle refilled row after row: a hundred
        // thousand rows would otherwise allocate each one's lists.
        let mut kept = KeptActivation {
            activation: Activation { term: *term, at, membership: 0 },
            logins_per_week: Vec::new(),
            last_week_logins_us: Vec::new(),
            logins: 0,
            weeks: 0,
        };
        let mut lifecycle = Vec::new();
        while let Some(row) = rows.next().map_err(sqlite)? {
            let user = row.get_ref(0).and_then(|user| Ok(user.as_str()?)).map_err(sqlite)?;
            let membership: u32 = row.get(1).map_err(sqlite)?;
            // A user's latest activation up to `at` is that of their latest
            // membership; `ORDER BY user` alone lets SQLite follow the key.
            let replaced = match last {
                Some((kept_membership, false))
                    if log.last().is_some_and(|entry| entry.seat.user == user) =>
                {
                    if kept_membership > membership {
                        continue;
                    }
                    log.pop().map(|entry| ShownProfile {
                        email: entry.email,
                        display_name: entry.display_name,
                        teams: entry.teams,
                    })
                }
                Some((kept_membership, true))
                    if waiting.last().is_some_and(|row| row.user == user) =>
                {
                    if kept_membership > membership {
                        continue;
                    }
                    waiting.pop().map(|row| row.profile)
                }
                _ => None,
            };
            let profile = match replaced {
                Some(profile) => profile,
                None => profile_of(&mut profiles, user)?,
            };
            kept.activation = Activation {
                term: *term,
                at: instant(row.get(2).map_err(sqlite)?, "seat_activations", "activated_us")?,
                membership,
            };
            (kept.logins, kept.weeks) = (row.get(3).map_err(sqlite)?, row.get(4).map_err(sqlite)?);
            decode_lifecycle_into(user, blob(row, 6).map_err(sqlite)?, &mut lifecycle)?;
            decode_instants_into(
                user,
                "last_week_logins",
                blob(row, 7).map_err(sqlite)?,
                &mut kept.last_week_logins_us,
            )?;
            decode_counts_into(user, blob(row, 8).map_err(sqlite)?, &mut kept.logins_per_week)?;
            let organizations = decode_organizations(
                user,
                row.get_ref(5).and_then(|value| Ok(value.as_str()?)).map_err(sqlite)?,
            )?;
            match log_at.seat(user, &kept, &lifecycle) {
                Some(seat) => {
                    let ShownProfile { email, display_name, teams } = profile;
                    log.push(SeatLogEntry { seat, email, display_name, organizations, teams });
                    last = Some((membership, false));
                }
                None => {
                    let user = user.to_owned();
                    let position = log.len();
                    waiting.push(WaitingRow { position, user, profile, organizations });
                    last = Some((membership, true));
                }
            }
        }
        drop(rows);
        drop(statement);
        if waiting.is_empty() {
            return Ok(log);
        }
        let mut ledger = ledger_for(&self.connection, &account)?;
        for row in &waiting {
            if let Some(history) = read_history(&self.connection, &account, &row.user)? {
                ledger.restore_user(&row.user, history);
            }
        }
        let mut rebuilt: HashMap<String, ActivatedSeat> =
            ledger.activated_seats(at).into_iter().map(|seat| (seat.user.clone(), seat)).collect();
        let mut merged = Vec::with_capacity(log.len() + waiting.len());
        let mut read = log.into_iter();
        let mut placed = 0;
        for row in waiting {
            merged.extend(read.by_ref().take(row.position - placed));
            placed = row.position;
            if let Some(seat) = rebuilt.remove(&row.user) {
                let WaitingRow { profile, organizations, .. } = row;
                let ShownProfile { email, display_name, teams } = profile;
                merged.push(SeatLogEntry { seat, email, display_name, organizations, teams });
            }
        }
        merged.extend(read);
        Ok(merged)
    }

    /// Why `user` is or is not an active seat at `at`, from the persisted state.
    pub fn explain_seat(
        &self,
        usage: &AccountUsage,
        user: &str,
        at: DateTime<Utc>,
    ) -> Result<SeatExplanation, StoreError> {
        let account = self.account(usage.account())?;
        let mut ledger = ledger_for(&self.connection, &account)?;
        let history = read_history(&self.connection, &account, user)?;
        if let Some(history) = history {
            ledger.restore_user(user, history);
        }
        Ok(ledger.explain(user, at))
    }
}

/// Whether `term` of `account` holds `at`, in the account's calendar.
fn term_holds(
    account: &Account,
    term: &tally_calendar::SubscriptionTerm,
    at: DateTime<Utc>,
) -> bool {
    let start = tally_seats::start_of_day(&account.calendar, term.start);
    let end = tally_seats::start_of_day(&account.calendar, term.end);
    start <= at && at < end
}

/// A row of the activated seats log whose seat needs the user's history:
/// what was read of it, and where it goes among the rows read from their own.
struct WaitingRow {
    /// The number of rows read from their own before it.
    position: usize,
    user: String,
    profile: ShownProfile,
    organizations: Vec<String>,
}

/// What the activated seats log shows of a user's profile.
struct ShownProfile {
    email: Option<String>,
    display_name: Option<String>,
    teams: Vec<String>,
}

/// Every stored profile of `account`'s users, by user.
fn read_profiles(
    connection: &rusqlite::Connection,
    account: &Account,
) -> rusqlite::Result<Vec<(String, StoredProfile)>> {
    let mut statement = connection.prepare_cached(
        "SELECT user, email, display_name, teams FROM seat_profiles
         WHERE account_id = ?1 ORDER BY user",
    )?;
    statement
        .query_map([account.id.0], |row| {
            Ok((row.get(0)?, (row.get(1)?, row.get(2)?, row.get(3)?)))
        })?
        .collect()
}

/// `user`'s email, display name and teams, taken from `profiles` (by user,
/// none of them before `user`'s): none for a user without a profile.
fn profile_of(
    profiles: &mut std::iter::Peekable<impl Iterator<Item = (String, StoredProfile)>>,
    user: &str,
) -> Result<ShownProfile, StoreError> {
    while profiles.next_if(|(profile_user, _)| profile_user.as_str() < user).is_some() {}
    let Some((_, (email, display_name, teams))) =
        profiles.next_if(|(profile_user, _)| profile_user == user)
    else {
        return Ok(ShownProfile { email: None, display_name: None, teams: Vec::new() });
    };
    let teams = serde_json::from_str(&teams).map_err(|_| StoreError::CorruptValue {
        table: "seat_profiles",
        column: "teams",
        value: teams.clone(),
    })?;
    Ok(ShownProfile { email, display_name, teams })
}

/// A user's events read from one step of the log, in the order stored.
#[derive(Default)]
struct ReadEvents {
    /// Users by number, in the order first read.
    users: Vec<String>,
    numbers: HashMap<String, u32>,
    /// Logins: the user's number and the instant.
    logins: Vec<(u32, i64)>,
    /// The organizations each user (by number) logged in to, without repeats.
    login_organizations: Vec<Vec<String>>,
    /// Every other event the seat state reads, with its user's number.
    others: Vec<(u32, UserEvent)>,
    profiles: Vec<(String, i64, Profile)>,
    /// Events read.
    read: usize,
    last_seq: i64,
}

impl ReadEvents {
    fn number(&mut self, user: &str) -> u32 {
        if let Some(number) = self.numbers.get(user) {
            return *number;
        }
        let number = self.users.len() as u32;
        self.users.push(user.to_owned());
        self.numbers.insert(user.to_owned(), number);
        self.login_organizations.push(Vec::new());
        number
    }

    /// Each user's logins, by number: the logins sorted by user, and where each
    /// user's begin (the last entry is where the last user's end).
    fn logins_by_user(&self) -> (Vec<i64>, Vec<usize>) {
        // Laid out by counting: two sequential passes instead of a growing list
        // per user at a random place in memory for every login.
        let mut starts = vec![0usize; self.users.len() + 1];
        for (user, _) in &self.logins {
            starts[*user as usize + 1] += 1;
        }
        for user in 0..self.users.len() {
            starts[user + 1] += starts[user];
        }
        let mut laid_out = vec![0i64; self.logins.len()];
        let mut next = starts.clone();
        for (user, at_us) in &self.logins {
            laid_out[next[*user as usize]] = *at_us;
            next[*user as usize] += 1;
        }
        (laid_out, starts)
    }
}

/// Reads the events after `through` that the seat state reads, at most `limit`.
fn read_events(
    transaction: &Transaction<'_>,
    account: &Account,
    through: i64,
    limit: Option<usize>,
) -> Result<ReadEvents, StoreError> {
    let doing = || format!("updating the seats of account {}", account.slug);
    let sqlite = |error| StoreError::sqlite(doing())(error);
    // The unary `+` keeps SQLite from reading them through the (account, kind,
    // instant) index, which would visit every login the account ever had and
    // sort them, instead of the rowid range after `through`. Only logins have a
    // `login_user`: they are told from other kinds without comparing the kind,
    // and their user and organization come from columns. The other kinds the
    // seat state reads, few, are read again by `seq` for what their JSON says.
    let mut statement = transaction
        .prepare_cached(&format!(
            "SELECT seq, at_us, login_user, login_organization
             FROM events
             WHERE seq > ?1 AND +account_id = ?2
               AND (login_user IS NOT NULL OR +kind IN ({}))
             ORDER BY seq LIMIT ?3",
            StoredKind::sql_list(EventKind::ALL.iter().filter(|kind| {
                seat_reading(**kind).is_some_and(|reading| reading != SeatReading::Login)
            }))
        ))
        .map_err(sqlite)?;
    let mut other = transaction
        .prepare_cached(
            "SELECT kind, payload ->> '$.user', payload ->> '$.organization',
                    payload ->> '$.email', payload ->> '$.display_name', payload -> '$.teams'
             FROM events WHERE seq = ?1",
        )
        .map_err(sqlite)?;
    let mut events = ReadEvents { last_seq: through, ..ReadEvents::default() };
    let limit = limit.map_or(-1, |limit| limit as i64);
    let mut rows = statement.query(params![through, account.id.0, limit]).map_err(sqlite)?;
    while let Some(row) = rows.next().map_err(sqlite)? {
        events.read += 1;
        let seq: i64 = row.get(0).map_err(sqlite)?;
        events.last_seq = seq;
        let at_us: i64 = row.get(1).map_err(sqlite)?;
        if let Some(user) =
            row.get_ref(2).and_then(|user| Ok(user.as_str_or_null()?)).map_err(sqlite)?
        {
            let user_number = events.number(user);
            if let Some(organization) =
                row.get_ref(3).and_then(|value| Ok(value.as_str_or_null()?)).map_err(sqlite)?
            {
                let seen = &mut events.login_organizations[user_number as usize];
                if !seen.iter().any(|known| known == organization) {
                    seen.push(organization.to_owned());
                }
            }
            events.logins.push((user_number, at_us));
            continue;
        }
        let (StoredKind(kind), user, organization, email, display_name, teams) = other
            .query_row([seq], |row| {
                Ok((
                    row.get(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                ))
            })
            .map_err(sqlite)?;
        // The query reads only the kinds the seat state reads.
        let Some(reading) = seat_reading(kind) else { continue };
        let Some(user) = user else { continue };
        let user_number = events.number(&user);
        if reading == SeatReading::Lifecycle(LifecycleChange::Added) {
            events.profiles.push((user.clone(), at_us, Profile::Names { email, display_name }));
        }
        if let Some(teams) = teams {
            events.profiles.push((user, at_us, Profile::Teams(teams)));
        }
        let at = instant(at_us, "events", "at_us")?;
        match reading {
            SeatReading::Login => {}
            SeatReading::Lifecycle(change) => {
                events.others.push((user_number, UserEvent::Lifecycle { at, change, organization }))
            }
            SeatReading::Profile => {
                if let Some(organization) = organization {
                    events.others.push((user_number, UserEvent::OrganizationSeen { organization }));
                }
            }
        }
    }
    Ok(events)
}

/// One step of an update: the next events (at most `events_per_step`, or all
/// of them when every user is recounted) and whether that reached the end of
/// the log.
fn update_step(
    transaction: &Transaction<'_>,
    account: &Account,
    events_per_step: usize,
) -> Result<(SeatUpdate, bool), StoreError> {
    let doing = || format!("updating the seats of account {}", account.slug);
    let sqlite = |error| StoreError::sqlite(doing())(error);
    // What the counts depend on besides the events: when it changes, recount all.
    let rule = read_rule(transaction, account)?;
    let counted_under = counted_under(&account.terms, rule);
    let progress = read_progress(transaction, account).map_err(sqlite)?;
    let rebuild = progress.as_ref().is_none_or(|(_, under)| *under != counted_under);
    let through = progress.map_or(0, |(through, _)| through);
    let latest: i64 = transaction
        .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |row| row.get(0))
        .map_err(sqlite)?;
    let events = read_events(transaction, account, through, (!rebuild).then_some(events_per_step))?;
    // A short step read to the end: the log is done up to its latest event.
    let done = rebuild || events.read < events_per_step;
    let through_now = if done { latest } else { events.last_seq };
    for (user, at_us, profile) in &events.profiles {
        write_profile(transaction, account, user, *at_us, profile).map_err(sqlite)?;
    }
    let users = if account.terms.is_empty() {
        0
    } else if rebuild {
        recount_every_user(transaction, account, &events)?
    } else {
        update_named_users(transaction, account, &events)?
    };
    transaction
        .execute(
            "INSERT INTO seat_progress (account_id, through_seq, counted_under)
             VALUES (?1, ?2, ?3)
             ON CONFLICT (account_id) DO UPDATE SET through_seq = ?2, counted_under = ?3",
            params![account.id.0, through_now, counted_under],
        )
        .map_err(sqlite)?;
    Ok((SeatUpdate { events: events.read, users, rebuilt: rebuild }, done))
}

/// Recounts every user from their kept history and the new `events`, in
/// memory, and writes every count, activation and changed history anew.
/// Answers how many users there are.
fn recount_every_user(
    transaction: &Transaction<'_>,
    account: &Account,
    events: &ReadEvents,
) -> Result<usize, StoreError> {
    let doing = || format!("recounting the seats of account {}", account.slug);
    let sqlite = |error| StoreError::sqlite(doing())(error);
    let mut histories = read_every_history(transaction, account)?;
    // Users whose history changes: the named ones, and those with late logins.
    let mut changed: std::collections::BTreeSet<String> = histories
        .iter()
        .filter(|(_, history)| history.late)
        .map(|(user, _)| user.clone())
        .collect();
    let (logins, starts) = events.logins_by_user();
    for (number, user) in events.users.iter().enumerate() {
        let history = histories.entry(user.clone()).or_default();
        history.history.logins_us.extend_from_slice(&logins[starts[number]..starts[number + 1]]);
        history.history.organizations.extend(events.login_organizations[number].iter().cloned());
        changed.insert(user.clone());
    }
    let mut ledger = ledger_for(transaction, account)?;
    for (user, history) in histories {
        ledger.restore_user(&user, history.history);
    }
    for (number, event) in &events.others {
        let user = &events.users[*number as usize];
        match event {
            UserEvent::Login { at, organization } => {
                if let Some(organization) = organization {
                    ledger.record_organization(user, organization);
                }
                ledger.record_login(user, *at);
            }
            UserEvent::Lifecycle { at, change, organization } => {
                if let Some(organization) = organization {
                    ledger.record_organization(user, organization);
                }
                ledger.record_lifecycle(user, *at, *change);
            }
            UserEvent::OrganizationSeen { organization } => {
                ledger.record_organization(user, organization);
            }
        }
    }

    transaction
        .execute("DELETE FROM seat_months WHERE account_id = ?1", [account.id.0])
        .map_err(sqlite)?;
    if let Some((first, last)) = term_months(&account.terms) {
        let mut insert = transaction
            .prepare_cached(
                "INSERT INTO seat_months (account_id, organization, month, seats)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(sqlite)?;
        let by_organization = ledger.monthly_active_seats_by_organization(first, last);
        let whole = std::iter::once(("", ledger.monthly_active_seats(first, last)));
        for (organization, figures) in whole
            .chain(by_organization.iter().map(|(name, figures)| (name.as_str(), figures.clone())))
        {
            for figure in figures.iter().filter(|figure| figure.seats > 0) {
                insert
                    .execute(params![
                        account.id.0,
                        organization,
                        figure.month.to_string(),
                        figure.seats
                    ])
                    .map_err(sqlite)?;
            }
        }
    }
    transaction
        .execute("DELETE FROM seat_activations WHERE account_id = ?1", [account.id.0])
        .map_err(sqlite)?;
    // In key order: each insert lands next to the one before.
    let mut users: Vec<&str> = ledger.users().collect();
    users.sort_unstable();
    for user in &users {
        let kept = ledger.kept_user(user).expect("a user the ledger knows");
        if changed.contains(*user) {
            write_history(transaction, account, user, &kept.history).map_err(sqlite)?;
        }
        write_activations(transaction, account, user, &kept).map_err(sqlite)?;
    }
    Ok(users.len())
}

/// Brings the users `events` name up to date, each from their kept
/// activations when all their new events are logins those take in, and from
/// their whole history otherwise. Answers how many users that was.
fn update_named_users(
    transaction: &Transaction<'_>,
    account: &Account,
    events: &ReadEvents,
) -> Result<usize, StoreError> {
    let doing = || format!("updating the seats of account {}", account.slug);
    let sqlite = |error| StoreError::sqlite(doing())(error);
    let mut ledger = ledger_for(transaction, account)?;
    let mut changes = SeatCountChanges::to_kept_counts();
    let (logins, starts) = events.logins_by_user();
    let mut others: Vec<Vec<UserEvent>> = vec![Vec::new(); events.users.len()];
    for (number, event) in &events.others {
        others[*number as usize].push(event.clone());
    }
    // In key order: each row read or written lies next to the one before.
    let mut order: Vec<usize> = (0..events.users.len()).collect();
    order.sort_unstable_by(|a, b| events.users[*a].cmp(&events.users[*b]));
    for number in order {
        let user = &events.users[number];
        let user_logins = &logins[starts[number]..starts[number + 1]];
        if others[number].is_empty()
            && take_kept_logins(
                transaction,
                account,
                &ledger,
                user,
                user_logins,
                &events.login_organizations[number],
            )?
        {
            continue;
        }
        let kept = read_history(transaction, account, user)?;
        let organizations = &events.login_organizations[number];
        let user_events = user_logins
            .iter()
            .map(|at_us| {
                Ok(UserEvent::Login { at: instant(*at_us, "events", "at_us")?, organization: None })
            })
            .chain(organizations.iter().map(|organization| {
                Ok(UserEvent::OrganizationSeen { organization: organization.clone() })
            }))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let user_events = user_events.into_iter().chain(std::mem::take(&mut others[number]));
        if let Some(kept) = ledger.update_user(user, kept, user_events, &mut changes) {
            write_history(transaction, account, user, &kept.history).map_err(sqlite)?;
            transaction
                .prepare_cached("DELETE FROM seat_activations WHERE account_id = ?1 AND user = ?2")
                .and_then(|mut statement| statement.execute(params![account.id.0, user]))
                .map_err(sqlite)?;
            write_activations(transaction, account, user, &kept).map_err(sqlite)?;
        }
    }
    let mut upsert = transaction
        .prepare_cached(
            "INSERT INTO seat_months (account_id, organization, month, seats)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (account_id, organization, month)
             DO UPDATE SET seats = seats + excluded.seats",
        )
        .map_err(sqlite)?;
    // `seat_months` keeps the whole account's counts under the organization "".
    for (organization, month, change) in changes.changes() {
        upsert
            .execute(params![account.id.0, organization.unwrap_or(""), month.to_string(), change])
            .map_err(sqlite)?;
    }
    Ok(events.users.len())
}

/// Takes `logins` of `user` into their kept activations, when every one comes
/// after an activation of its term and membership, names no organization new
/// to them, and the rows have room for them: answers whether it did. Then the
/// user's activations and months stand, and only those rows change.
fn take_kept_logins(
    transaction: &Transaction<'_>,
    account: &Account,
    ledger: &SeatLedger,
    user: &str,
    logins: &[i64],
    organizations: &[String],
) -> Result<bool, StoreError> {
    let doing = || format!("updating the seat of {user} in {}", account.slug);
    let sqlite = |error| StoreError::sqlite(doing())(error);
    let mut rows = read_activation_rows(transaction, account, user)?;
    let Some(first) = rows.first() else {
        return Ok(false);
    };
    if organizations.iter().any(|organization| !first.organizations.contains(organization)) {
        return Ok(false);
    }
    let lifecycle = first.lifecycle.clone();
    let mut kept: Vec<KeptActivation> = rows.iter().map(|row| row.kept.clone()).collect();
    for at_us in logins {
        match ledger.take_kept_login(&mut kept, &lifecycle, instant(*at_us, "events", "at_us")?) {
            KeptLogin::Counted(index) => {
                if rows[index].late_logins_us.len() == LATE_LOGINS_KEPT {
                    return Ok(false);
                }
                rows[index].late_logins_us.push(*at_us);
            }
            KeptLogin::OutsideTerms => {}
            KeptLogin::NeedsHistory => return Ok(false),
        }
    }
    let mut update = transaction
        .prepare_cached(
            "UPDATE seat_activations
             SET logins = ?5, weeks = ?6, last_week_logins = ?7, logins_per_week = ?8,
                 late_logins = ?9
             WHERE account_id = ?1 AND user = ?2 AND term_start = ?3 AND membership = ?4",
        )
        .map_err(sqlite)?;
    for (row, kept) in rows.iter().zip(&kept) {
        if row.kept == *kept {
            continue;
        }
        update
            .execute(params![
                account.id.0,
                user,
                kept.activation.term.start.to_string(),
                kept.activation.membership,
                kept.logins,
                kept.weeks,
                encode_instants(&kept.last_week_logins_us),
                encode_counts(&kept.logins_per_week),
                encode_instants(&row.late_logins_us),
            ])
            .map_err(sqlite)?;
    }
    Ok(true)
}

/// One row of `seat_activations`, read back.
struct ActivationRow {
    kept: KeptActivation,
    organizations: Vec<String>,
    lifecycle: Vec<(i64, LifecycleChange)>,
    late_logins_us: Vec<i64>,
}

/// `user`'s rows of `seat_activations`, oldest activation first.
fn read_activation_rows(
    connection: &rusqlite::Connection,
    account: &Account,
    user: &str,
) -> Result<Vec<ActivationRow>, StoreError> {
    let doing = || format!("reading the activations of {user} in {}", account.slug);
    let sqlite = |error| StoreError::sqlite(doing())(error);
    let mut statement = connection
        .prepare_cached(
            "SELECT term_start, membership, activated_us, logins, weeks, organizations,
                    lifecycle, last_week_logins, logins_per_week, late_logins
             FROM seat_activations WHERE account_id = ?1 AND user = ?2
             ORDER BY term_start, membership",
        )
        .map_err(sqlite)?;
    let mut rows = statement.query(params![account.id.0, user]).map_err(sqlite)?;
    let mut read = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite)? {
        let term_start: String = row.get(0).map_err(sqlite)?;
        let corrupt = |column: &'static str, value: String| StoreError::CorruptValue {
            table: "seat_activations",
            column,
            value: format!("{user}: {value}"),
        };
        let term = account
            .terms
            .iter()
            .find(|term| term.start.to_string() == term_start)
            .copied()
            .ok_or_else(|| corrupt("term_start", term_start.clone()))?;
        let organizations: String = row.get(5).map_err(sqlite)?;
        read.push(ActivationRow {
            kept: KeptActivation {
                activation: Activation {
                    term,
                    membership: row.get(1).map_err(sqlite)?,
                    at: instant(row.get(2).map_err(sqlite)?, "seat_activations", "activated_us")?,
                },
                logins: row.get(3).map_err(sqlite)?,
                weeks: row.get(4).map_err(sqlite)?,
                last_week_logins_us: decode_instants(
                    user,
                    "last_week_logins",
                    blob(row, 7).map_err(sqlite)?,
                )?,
                logins_per_week: decode_counts(user, blob(row, 8).map_err(sqlite)?)?,
            },
            organizations: serde_json::from_str(&organizations)
                .map_err(|_| corrupt("organizations", organizations.clone()))?,
            lifecycle: decode_lifecycle(user, blob(row, 6).map_err(sqlite)?)?,
            late_logins_us: decode_instants(user, "late_logins", blob(row, 9).map_err(sqlite)?)?,
        });
    }
    Ok(read)
}

/// Writes `kept`'s activations as rows of `seat_activations`, with no late
/// logins: its history holds them all.
fn write_activations(
    transaction: &Transaction<'_>,
    account: &Account,
    user: &str,
    kept: &KeptUser,
) -> rusqlite::Result<()> {
    if kept.activations.is_empty() {
        return Ok(());
    }
    let organizations =
        serde_json::to_string(&kept.history.organizations).expect("a list of strings serialises");
    let lifecycle = encode_lifecycle(&kept.history.lifecycle);
    let mut insert = transaction.prepare_cached(
        "INSERT INTO seat_activations
             (account_id, user, term_start, membership, activated_us, logins, weeks,
              organizations, lifecycle, last_week_logins, logins_per_week, late_logins)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, x'')",
    )?;
    for activation in &kept.activations {
        insert.execute(params![
            account.id.0,
            user,
            activation.activation.term.start.to_string(),
            activation.activation.membership,
            activation.activation.at.timestamp_micros(),
            activation.logins,
            activation.weeks,
            organizations,
            lifecycle,
            encode_instants(&activation.last_week_logins_us),
            encode_counts(&activation.logins_per_week),
        ])?;
    }
    Ok(())
}

/// Schema version 7's upgrade: a row of `seat_activations` for each activation
/// of every user kept in `seat_users`, computed under the account's terms and
/// rule as they stand.
pub(crate) fn keep_every_activation(transaction: &Transaction<'_>) -> Result<(), StoreError> {
    let slugs: Vec<String> = transaction
        .prepare(
            "SELECT slug FROM accounts JOIN seat_progress USING (account_id) ORDER BY account_id",
        )
        .and_then(|mut statement| statement.query_map([], |row| row.get(0))?.collect())
        .map_err(StoreError::sqlite("listing the accounts with a seat state"))?;
    for slug in slugs {
        let account = crate::account::read_account(transaction, &slug)?;
        let mut ledger = ledger_for(transaction, &account)?;
        for (user, history) in read_every_history(transaction, &account)? {
            ledger.restore_user(&user, history.history);
            let kept = ledger.kept_user(&user).expect("a user just restored");
            write_activations(transaction, &account, &user, &kept).map_err(StoreError::sqlite(
                format!("keeping the activations of {user} in {slug}"),
            ))?;
            ledger.forget_user(&user);
        }
    }
    Ok(())
}

/// What an event says of a user besides their seat.
enum Profile {
    /// From `user_added`.
    Names { email: Option<String>, display_name: Option<String> },
    /// The teams, as JSON.
    Teams(String),
}

/// Keeps `profile` unless the user's profile holds something as of a later instant.
fn write_profile(
    transaction: &Transaction<'_>,
    account: &Account,
    user: &str,
    at_us: i64,
    profile: &Profile,
) -> rusqlite::Result<()> {
    let sql = match profile {
        Profile::Names { .. } => {
            "INSERT INTO seat_profiles
                 (account_id, user, email, display_name, names_as_of_us, teams, teams_as_of_us)
             VALUES (?1, ?2, ?3, ?4, ?5, '[]', ?6)
             ON CONFLICT (account_id, user) DO UPDATE
             SET email = ?3, display_name = ?4, names_as_of_us = ?5
             WHERE ?5 >= names_as_of_us"
        }
        Profile::Teams(_) => {
            "INSERT INTO seat_profiles
                 (account_id, user, email, display_name, names_as_of_us, teams, teams_as_of_us)
             VALUES (?1, ?2, NULL, NULL, ?6, ?3, ?5)
             ON CONFLICT (account_id, user) DO UPDATE
             SET teams = ?3, teams_as_of_us = ?5
             WHERE ?5 >= teams_as_of_us"
        }
    };
    let mut statement = transaction.prepare_cached(sql)?;
    match profile {
        Profile::Names { email, display_name } => {
            statement.execute(params![account.id.0, user, email, display_name, at_us, i64::MIN])?
        }
        Profile::Teams(teams) => statement.execute(params![
            account.id.0,
            user,
            teams,
            Option::<String>::None,
            at_us,
            i64::MIN
        ])?,
    };
    Ok(())
}

/// How the seat state reads an event of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SeatReading {
    Login,
    Lifecycle(LifecycleChange),
    /// The organization it names and the teams it sets, nothing else (a role
    /// or teams change).
    Profile,
}

/// How the seat state reads events of `kind`; `None` for kinds it never
/// reads. Every kind is named, so a new kind must say.
fn seat_reading(kind: EventKind) -> Option<SeatReading> {
    match kind {
        EventKind::Login => Some(SeatReading::Login),
        EventKind::UserAdded => Some(SeatReading::Lifecycle(LifecycleChange::Added)),
        EventKind::UserRemoved => Some(SeatReading::Lifecycle(LifecycleChange::Removed)),
        EventKind::UserDisabled => Some(SeatReading::Lifecycle(LifecycleChange::Disabled)),
        EventKind::UserEnabled => Some(SeatReading::Lifecycle(LifecycleChange::Enabled)),
        EventKind::UserRoleChanged | EventKind::UserTeamsChanged => Some(SeatReading::Profile),
        EventKind::PageVisit
        | EventKind::EntityChange
        | EventKind::ActionRun
        | EventKind::AutomationRun
        | EventKind::DataSourceChange
        | EventKind::AiInvocation
        | EventKind::McpCall
        | EventKind::Activity
        | EventKind::SyncObservation
        | EventKind::EntitySync
        | EventKind::AuditEntry => None,
    }
}

fn ledger_for(
    connection: &rusqlite::Connection,
    account: &Account,
) -> Result<SeatLedger, StoreError> {
    let rule = read_rule(connection, account)?;
    SeatLedger::new(account.calendar.clone(), &account.terms, rule).map_err(|error| {
        StoreError::CorruptValue {
            table: "subscription_terms",
            column: "start_date",
            value: format!("account {}: {error}", account.slug),
        }
    })
}

/// The account's seat rule: its own, or the seed's.
/// The last event the account's seat state took in, and what it was counted
/// under; `None` before its first update.
fn read_progress(
    connection: &rusqlite::Connection,
    account: &Account,
) -> rusqlite::Result<Option<(i64, String)>> {
    connection
        .query_row(
            "SELECT through_seq, counted_under FROM seat_progress WHERE account_id = ?1",
            [account.id.0],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
}

fn read_rule(connection: &rusqlite::Connection, account: &Account) -> Result<SeatRule, StoreError> {
    let stored: Option<(u32, u32, u32)> = connection
        .query_row(
            "SELECT weeks_needed, logins_needed, logins_per_week FROM seat_rules
             WHERE account_id = ?1",
            [account.id.0],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
        .map_err(StoreError::sqlite(format!("reading the seat rule of {}", account.slug)))?;
    Ok(stored.map_or_else(SeatRule::default, |(weeks_needed, logins_needed, logins_per_week)| {
        SeatRule { weeks_needed, logins_needed, logins_per_week }
    }))
}

/// A user's kept history, and whether any of it was in late logins.
#[derive(Default)]
struct KeptHistory {
    history: UserHistory,
    late: bool,
}

/// `user`'s history: their row of `seat_users` with the late logins of their
/// rows of `seat_activations`; `None` when the state has neither.
fn read_history(
    connection: &rusqlite::Connection,
    account: &Account,
    user: &str,
) -> Result<Option<UserHistory>, StoreError> {
    let doing = || format!("reading the seat of {user} in {}", account.slug);
    let row: Option<(Vec<u8>, Vec<u8>, String)> = connection
        .prepare_cached(
            "SELECT logins, lifecycle, organizations FROM seat_users
             WHERE account_id = ?1 AND user = ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_row(params![account.id.0, user], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()
        })
        .map_err(StoreError::sqlite(doing()))?;
    let late: Vec<Vec<u8>> = connection
        .prepare_cached(
            "SELECT late_logins FROM seat_activations
             WHERE account_id = ?1 AND user = ?2 AND length(late_logins) > 0",
        )
        .and_then(|mut statement| {
            statement.query_map(params![account.id.0, user], |row| row.get(0))?.collect()
        })
        .map_err(StoreError::sqlite(doing()))?;
    let mut history = match row {
        Some((logins, lifecycle, organizations)) => {
            decode_history(user, &logins, &lifecycle, organizations)?
        }
        None if late.is_empty() => return Ok(None),
        None => UserHistory::default(),
    };
    for logins in late {
        history.logins_us.extend(decode_instants(user, "late_logins", &logins)?);
    }
    history.logins_us.sort_unstable();
    Ok(Some(history))
}

/// Every user's history kept for `account`, by user.
fn read_every_history(
    connection: &rusqlite::Connection,
    account: &Account,
) -> Result<std::collections::BTreeMap<String, KeptHistory>, StoreError> {
    let doing = || format!("reading the seats of account {}", account.slug);
    let sqlite = |error| StoreError::sqlite(doing())(error);
    let mut histories: std::collections::BTreeMap<String, KeptHistory> = Default::default();
    let mut statement = connection
        .prepare_cached(
            "SELECT user, logins, lifecycle, organizations FROM seat_users WHERE account_id = ?1",
        )
        .map_err(sqlite)?;
    let mut rows = statement.query([account.id.0]).map_err(sqlite)?;
    while let Some(row) = rows.next().map_err(sqlite)? {
        let user: String = row.get(0).map_err(sqlite)?;
        let history = decode_history(
            &user,
            blob(row, 1).map_err(sqlite)?,
            blob(row, 2).map_err(sqlite)?,
            row.get(3).map_err(sqlite)?,
        )?;
        histories.insert(user, KeptHistory { history, late: false });
    }
    drop(rows);
    drop(statement);
    let mut statement = connection
        .prepare_cached(
            "SELECT user, late_logins FROM seat_activations
             WHERE account_id = ?1 AND length(late_logins) > 0",
        )
        .map_err(sqlite)?;
    let mut rows = statement.query([account.id.0]).map_err(sqlite)?;
    while let Some(row) = rows.next().map_err(sqlite)? {
        let user: String = row.get(0).map_err(sqlite)?;
        let late = decode_instants(&user, "late_logins", blob(row, 1).map_err(sqlite)?)?;
        let kept = histories.entry(user).or_default();
        kept.history.logins_us.extend(late);
        kept.history.logins_us.sort_unstable();
        kept.late = true;
    }
    Ok(histories)
}

/// A blob column's bytes, borrowed from the row.
fn blob<'row>(row: &'row rusqlite::Row<'_>, column: usize) -> rusqlite::Result<&'row [u8]> {
    Ok(row.get_ref(column)?.as_blob()?)
}

/// An instant read from a column, in microseconds.
fn instant(
    at_us: i64,
    table: &'static str,
    column: &'static str,
) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(at_us).ok_or_else(|| StoreError::CorruptValue {
        table,
        column,
        value: at_us.to_string(),
    })
}

/// A `seat_users` row's history, as `write_history` encoded it.
fn decode_history(
    user: &str,
    logins: &[u8],
    lifecycle: &[u8],
    organizations: String,
) -> Result<UserHistory, StoreError> {
    let logins_us = decode_instants(user, "logins", logins)?;
    let lifecycle = decode_lifecycle(user, lifecycle)?;
    let organizations =
        serde_json::from_str(&organizations).map_err(|_| StoreError::CorruptValue {
            table: "seat_users",
            column: "organizations",
            value: format!("{user}: {organizations}"),
        })?;
    Ok(UserHistory { logins_us, lifecycle, organizations })
}

/// Instants kept as little-endian microseconds.
fn decode_instants(user: &str, column: &'static str, bytes: &[u8]) -> Result<Vec<i64>, StoreError> {
    let mut instants = Vec::new();
    decode_instants_into(user, column, bytes, &mut instants)?;
    Ok(instants)
}

/// [`decode_instants`] into `instants`, whose room is kept.
fn decode_instants_into(
    user: &str,
    column: &'static str,
    bytes: &[u8],
    instants: &mut Vec<i64>,
) -> Result<(), StoreError> {
    if !bytes.len().is_multiple_of(8) {
        return Err(StoreError::CorruptValue {
            table: "seat_users",
            column,
            value: format!("{user}: {} bytes", bytes.len()),
        });
    }
    instants.clear();
    instants.extend(bytes.chunks_exact(8).map(|at| i64::from_le_bytes(at.try_into().expect("8"))));
    Ok(())
}

fn encode_instants(instants: &[i64]) -> Vec<u8> {
    instants.iter().flat_map(|at| at.to_le_bytes()).collect()
}

/// Counts kept as unsigned LEB128 varints: a week's count takes one byte up
/// to 127, so a year's counts take about 53 bytes and the rows stay small.
fn decode_counts(user: &str, bytes: &[u8]) -> Result<Vec<u32>, StoreError> {
    let mut counts = Vec::new();
    decode_counts_into(user, bytes, &mut counts)?;
    Ok(counts)
}

/// [`decode_counts`] into `counts`, whose room is kept.
fn decode_counts_into(user: &str, bytes: &[u8], counts: &mut Vec<u32>) -> Result<(), StoreError> {
    let corrupt = || StoreError::CorruptValue {
        table: "seat_activations",
        column: "logins_per_week",
        value: format!("{user}: {bytes:02x?}"),
    };
    counts.clear();
    // A count under 128 is its one byte: when all are (nearly always, a
    // week holding at most a few logins a day), the bytes are the counts.
    if bytes.iter().fold(0, |high_bits, byte| high_bits | byte & 0x80) == 0 {
        counts.extend(bytes.iter().map(|byte| u32::from(*byte)));
        return Ok(());
    }
    counts.reserve(bytes.len());
    let (mut count, mut shift) = (0u32, 0u32);
    for byte in bytes {
        let bits = u32::from(byte & 0x7f);
        count |= bits
            .checked_shl(shift)
            .filter(|shifted| shifted >> shift == bits)
            .ok_or_else(corrupt)?;
        if byte & 0x80 == 0 {
            counts.push(count);
            (count, shift) = (0, 0);
        } else {
            shift += 7;
        }
    }
    if shift != 0 {
        return Err(corrupt());
    }
    Ok(())
}

fn encode_counts(counts: &[u32]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(counts.len());
    for count in counts {
        let mut rest = *count;
        while rest >= 0x80 {
            bytes.push((rest & 0x7f) as u8 | 0x80);
            rest >>= 7;
        }
        bytes.push(rest as u8);
    }
    bytes
}

/// Lifecycle changes kept as microseconds and a change code each.
fn decode_lifecycle(user: &str, bytes: &[u8]) -> Result<Vec<(i64, LifecycleChange)>, StoreError> {
    let mut lifecycle = Vec::new();
    decode_lifecycle_into(user, bytes, &mut lifecycle)?;
    Ok(lifecycle)
}

/// [`decode_lifecycle`] into `lifecycle`, whose room is kept.
fn decode_lifecycle_into(
    user: &str,
    bytes: &[u8],
    lifecycle: &mut Vec<(i64, LifecycleChange)>,
) -> Result<(), StoreError> {
    let corrupt = |value: String| StoreError::CorruptValue {
        table: "seat_users",
        column: "lifecycle",
        value: format!("{user}: {value}"),
    };
    if !bytes.len().is_multiple_of(9) {
        return Err(corrupt(format!("{} bytes", bytes.len())));
    }
    lifecycle.clear();
    for entry in bytes.chunks_exact(9) {
        let at = i64::from_le_bytes(entry[..8].try_into().expect("8"));
        let change = match entry[8] {
            0 => LifecycleChange::Added,
            1 => LifecycleChange::Enabled,
            2 => LifecycleChange::Disabled,
            3 => LifecycleChange::Removed,
            other => return Err(corrupt(format!("change code {other}"))),
        };
        lifecycle.push((at, change));
    }
    Ok(())
}

/// The organizations of a row of `seat_activations`, a JSON array of names.
fn decode_organizations(user: &str, text: &str) -> Result<Vec<String>, StoreError> {
    // Most users are in no organization: an empty array needs no parser.
    if text == "[]" {
        return Ok(Vec::new());
    }
    serde_json::from_str(text).map_err(|_| StoreError::CorruptValue {
        table: "seat_activations",
        column: "organizations",
        value: format!("{user}: {text}"),
    })
}

fn encode_lifecycle(lifecycle: &[(i64, LifecycleChange)]) -> Vec<u8> {
    lifecycle
        .iter()
        .flat_map(|(at, change)| {
            let code: u8 = match change {
                LifecycleChange::Added => 0,
                LifecycleChange::Enabled => 1,
                LifecycleChange::Disabled => 2,
                LifecycleChange::Removed => 3,
            };
            at.to_le_bytes().into_iter().chain([code])
        })
        .collect()
}

fn write_history(
    transaction: &Transaction<'_>,
    account: &Account,
    user: &str,
    history: &UserHistory,
) -> rusqlite::Result<()> {
    let organizations =
        serde_json::to_string(&history.organizations).expect("a list of strings serialises");
    transaction
        .prepare_cached(
            "INSERT INTO seat_users (account_id, user, logins, lifecycle, organizations)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (account_id, user) DO UPDATE
             SET logins = ?3, lifecycle = ?4, organizations = ?5",
        )?
        .execute(params![
            account.id.0,
            user,
            encode_instants(&history.logins_us),
            encode_lifecycle(&history.lifecycle),
            organizations
        ])?;
    Ok(())
}
