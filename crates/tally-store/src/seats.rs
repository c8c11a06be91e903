//! The persisted seat state: each user's seat history and the monthly counts,
//! kept up to date from the event log by [`Store::update_seats`].
//!
//! The state holds what the seat rule needs of every login (its instant), so
//! seat status and monthly figures survive the purge of raw sign-in events. The
//! monthly counts are kept as counts, changed by what each update does to the
//! users it touches, so reading them costs one small query.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use tally_access::AccountUsage;
use tally_events::EventKind;
use tally_seats::{
    ActivatedSeat, LifecycleChange, MonthlySeats, SeatCountChanges, SeatExplanation, SeatLedger,
    SeatRule, UserEvent, UserHistory, counted_under, term_months,
};

use crate::kind::StoredKind;
use crate::{Account, Store, StoreError};

/// Events one step of [`Store::update_seats`] reads and commits at most.
pub const SEAT_EVENTS_PER_STEP: usize = 2_000_000;

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
    /// interrupted update goes on from its last step.
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
    /// state: every user of the account is read and rebuilt.
    pub fn activated_seats(
        &self,
        usage: &AccountUsage,
        at: DateTime<Utc>,
    ) -> Result<Vec<SeatLogEntry>, StoreError> {
        let slug = usage.account();
        let account = self.account(slug)?;
        let mut ledger = ledger_for(&self.connection, &account)?;
        let doing = || format!("reading the seats of account {slug}");
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT user, logins, lifecycle, organizations FROM seat_users
                 WHERE account_id = ?1",
            )
            .map_err(StoreError::sqlite(doing()))?;
        let mut rows = statement.query([account.id.0]).map_err(StoreError::sqlite(doing()))?;
        let sqlite = |error| StoreError::sqlite(doing())(error);
        while let Some(row) = rows.next().map_err(sqlite)? {
            let user: String = row.get(0).map_err(sqlite)?;
            let logins: Vec<u8> = row.get(1).map_err(sqlite)?;
            let lifecycle: Vec<u8> = row.get(2).map_err(sqlite)?;
            let organizations: String = row.get(3).map_err(sqlite)?;
            let history = decode_history(&user, &logins, &lifecycle, organizations)?;
            ledger.restore_user(&user, history);
        }
        drop(rows);
        drop(statement);
        // Every profile in one pass: a lookup per seat cost more than the
        // rebuild at 100,000 seats.
        let mut profiles: HashMap<String, StoredProfile> = HashMap::new();
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT user, email, display_name, teams FROM seat_profiles WHERE account_id = ?1",
            )
            .map_err(StoreError::sqlite(doing()))?;
        let mut rows = statement.query([account.id.0]).map_err(sqlite)?;
        while let Some(row) = rows.next().map_err(sqlite)? {
            let user: String = row.get(0).map_err(sqlite)?;
            let profile = (
                row.get(1).map_err(sqlite)?,
                row.get(2).map_err(sqlite)?,
                row.get(3).map_err(sqlite)?,
            );
            profiles.insert(user, profile);
        }
        drop(rows);
        drop(statement);
        ledger
            .activated_seats(at)
            .into_iter()
            .map(|seat| {
                let (email, display_name, teams) =
                    profiles.remove(&seat.user).unwrap_or((None, None, "[]".to_owned()));
                let teams = serde_json::from_str(&teams).map_err(|_| StoreError::CorruptValue {
                    table: "seat_profiles",
                    column: "teams",
                    value: teams.clone(),
                })?;
                Ok(SeatLogEntry {
                    organizations: ledger.organizations(&seat.user).to_vec(),
                    email,
                    display_name,
                    teams,
                    seat,
                })
            })
            .collect()
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

/// One step of an update: the next events (at most `events_per_step`) and
/// whether that reached the end of the log.
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

    // The next events, by user, in the order stored. The unary `+` keeps SQLite
    // from reading them through the (account, kind, instant) index, which would
    // visit every login the account ever had and sort them, instead of the
    // rowid range after `through`.
    let mut statement = transaction
        .prepare_cached(&format!(
            "SELECT seq, kind, at_us, payload ->> '$.user', payload ->> '$.organization',
                    payload ->> '$.email', payload ->> '$.display_name', payload -> '$.teams'
             FROM events WHERE seq > ?1 AND +account_id = ?2 AND +kind IN ({})
             ORDER BY seq LIMIT ?3",
            StoredKind::sql_list(
                EventKind::ALL.iter().filter(|kind| seat_reading(**kind).is_some())
            )
        ))
        .map_err(sqlite)?;
    let mut events: std::collections::BTreeMap<String, Vec<UserEvent>> = Default::default();
    let mut profiles: Vec<(String, i64, Profile)> = Vec::new();
    let (mut read, mut last_seq) = (0, through);
    let mut rows =
        statement.query(params![through, account.id.0, events_per_step as i64]).map_err(sqlite)?;
    while let Some(row) = rows.next().map_err(sqlite)? {
        read += 1;
        last_seq = row.get(0).map_err(sqlite)?;
        let StoredKind(kind) = row.get(1).map_err(sqlite)?;
        // The query reads only the kinds the seat state reads.
        let Some(reading) = seat_reading(kind) else { continue };
        let at_us: i64 = row.get(2).map_err(sqlite)?;
        let Some(user) = row.get::<_, Option<String>>(3).map_err(sqlite)? else { continue };
        let organization: Option<String> = row.get(4).map_err(sqlite)?;
        let (email, display_name, teams): (Option<String>, Option<String>, Option<String>) =
            (row.get(5).map_err(sqlite)?, row.get(6).map_err(sqlite)?, row.get(7).map_err(sqlite)?);
        if reading == SeatReading::Lifecycle(LifecycleChange::Added) {
            profiles.push((user.clone(), at_us, Profile::Names { email, display_name }));
        }
        if let Some(teams) = teams {
            profiles.push((user.clone(), at_us, Profile::Teams(teams)));
        }
        let at = DateTime::from_timestamp_micros(at_us).ok_or_else(|| {
            StoreError::CorruptValue { table: "events", column: "at_us", value: at_us.to_string() }
        })?;
        let user_events = events.entry(user).or_default();
        match reading {
            SeatReading::Login => user_events.push(UserEvent::Login { at, organization }),
            SeatReading::Lifecycle(change) => {
                user_events.push(UserEvent::Lifecycle { at, change, organization })
            }
            SeatReading::Profile => {
                if let Some(organization) = organization {
                    user_events.push(UserEvent::OrganizationSeen { organization });
                }
            }
        }
    }
    drop(rows);
    drop(statement);
    for (user, at_us, profile) in profiles {
        write_profile(transaction, account, &user, at_us, profile).map_err(sqlite)?;
    }
    // A short step read to the end: the log is done up to its latest event.
    let done = read < events_per_step;
    let through_now = if done { latest } else { last_seq };

    let mut users: Vec<String> = events.keys().cloned().collect();
    if rebuild {
        transaction
            .execute("DELETE FROM seat_months WHERE account_id = ?1", [account.id.0])
            .map_err(sqlite)?;
        let mut known = transaction
            .prepare("SELECT user FROM seat_users WHERE account_id = ?1")
            .map_err(sqlite)?;
        let stored: Vec<String> = known
            .query_map([account.id.0], |row| row.get(0))
            .and_then(|rows| rows.collect())
            .map_err(sqlite)?;
        users.extend(stored);
        users.sort();
        users.dedup();
    }

    let mut ledger = ledger_for(transaction, account)?;
    if account.terms.is_empty() {
        return Ok((SeatUpdate { events: read, users: 0, rebuilt: rebuild }, done));
    }
    let mut changes =
        if rebuild { SeatCountChanges::from_nothing() } else { SeatCountChanges::to_kept_counts() };
    for user in &users {
        let kept = read_history(transaction, account, user)?;
        let user_events = events.remove(user).unwrap_or_default();
        if let Some(history) = ledger.update_user(user, kept, user_events, &mut changes) {
            write_history(transaction, account, user, &history).map_err(sqlite)?;
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
    drop(upsert);
    transaction
        .execute(
            "INSERT INTO seat_progress (account_id, through_seq, counted_under)
             VALUES (?1, ?2, ?3)
             ON CONFLICT (account_id) DO UPDATE SET through_seq = ?2, counted_under = ?3",
            params![account.id.0, through_now, counted_under],
        )
        .map_err(sqlite)?;
    Ok((SeatUpdate { events: read, users: users.len(), rebuilt: rebuild }, done))
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
    profile: Profile,
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

fn read_history(
    connection: &rusqlite::Connection,
    account: &Account,
    user: &str,
) -> Result<Option<UserHistory>, StoreError> {
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
        .map_err(StoreError::sqlite(format!("reading the seat of {user} in {}", account.slug)))?;
    let Some((logins, lifecycle, organizations)) = row else {
        return Ok(None);
    };
    decode_history(user, &logins, &lifecycle, organizations).map(Some)
}

/// A `seat_users` row's history, as `write_history` encoded it.
fn decode_history(
    user: &str,
    logins: &[u8],
    lifecycle: &[u8],
    organizations: String,
) -> Result<UserHistory, StoreError> {
    let corrupt = |column: &'static str, value: String| StoreError::CorruptValue {
        table: "seat_users",
        column,
        value: format!("{user}: {value}"),
    };
    if !logins.len().is_multiple_of(8) {
        return Err(corrupt("logins", format!("{} bytes", logins.len())));
    }
    if !lifecycle.len().is_multiple_of(9) {
        return Err(corrupt("lifecycle", format!("{} bytes", lifecycle.len())));
    }
    let logins_us =
        logins.chunks_exact(8).map(|at| i64::from_le_bytes(at.try_into().expect("8"))).collect();
    let lifecycle = lifecycle
        .chunks_exact(9)
        .map(|entry| {
            let at = i64::from_le_bytes(entry[..8].try_into().expect("8"));
            let change = match entry[8] {
                0 => LifecycleChange::Added,
                1 => LifecycleChange::Enabled,
                2 => LifecycleChange::Disabled,
                3 => LifecycleChange::Removed,
                other => return Err(corrupt("lifecycle", format!("change code {other}"))),
            };
            Ok((at, change))
        })
        .collect::<Result<_, _>>()?;
    let organizations = serde_json::from_str(&organizations)
        .map_err(|_| corrupt("organizations", organizations.clone()))?;
    Ok(UserHistory { logins_us, lifecycle, organizations })
}

fn write_history(
    transaction: &Transaction<'_>,
    account: &Account,
    user: &str,
    history: &UserHistory,
) -> rusqlite::Result<()> {
    let logins: Vec<u8> = history.logins_us.iter().flat_map(|at| at.to_le_bytes()).collect();
    let lifecycle: Vec<u8> = history
        .lifecycle
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
        .collect();
    let organizations =
        serde_json::to_string(&history.organizations).expect("a list of strings serialises");
    transaction
        .prepare_cached(
            "INSERT INTO seat_users (account_id, user, logins, lifecycle, organizations)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (account_id, user) DO UPDATE
             SET logins = ?3, lifecycle = ?4, organizations = ?5",
        )?
        .execute(params![account.id.0, user, logins, lifecycle, organizations])?;
    Ok(())
}
