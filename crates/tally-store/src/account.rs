//! Accounts, their calendars and terms, and their write keys.

use chrono::{NaiveDate, Utc};
use rand::{RngCore, SeedableRng, rngs::StdRng};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use tally_calendar::{AccountCalendar, SubscriptionTerm};

use crate::{Store, StoreError};

/// An account's row number in the store; stable for the life of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub i64);

/// An account as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Row number.
    pub id: AccountId,
    /// Short name used on command lines and in URLs, such as `acme`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Time zone and week start.
    pub calendar: AccountCalendar,
    /// Subscription terms, oldest first.
    pub terms: Vec<SubscriptionTerm>,
}

/// What is needed to create an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Short name, lower-case letters, digits and dashes.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Time zone and week start.
    pub calendar: AccountCalendar,
    /// Subscription terms.
    pub terms: Vec<SubscriptionTerm>,
}

/// A write key in clear. It is shown once, when made; the store keeps only its hash.
#[derive(Clone, PartialEq, Eq)]
pub struct WriteKey(String);

impl WriteKey {
    /// The key's text, to hand to the account's sender.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn generate() -> WriteKey {
        let mut secret = [0u8; 24];
        StdRng::from_os_rng().fill_bytes(&mut secret);
        // The prefix lets secret scanners recognise a leaked key.
        WriteKey(format!("tally_wk_{}", hex::encode(secret)))
    }
}

impl std::fmt::Debug for WriteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteKey(..)")
    }
}

/// The hash under which a write key is stored and looked up.
fn write_key_hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The audit chain of the deployment itself rather than of an account: the
/// usage monitor's tracking changes are recorded there (docs/monitor.md). No
/// slug can take the name: slugs have no underscore ([`is_valid_slug`]).
pub const DEPLOYMENT_AUDIT_CHAIN: &str = "_deployment";

/// Whether a slug is 1 to 64 lower-case ASCII letters, digits and dashes.
pub fn is_valid_slug(slug: &str) -> bool {
    (1..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

impl Store {
    /// Creates an account and returns it with its write key, which is not stored in clear.
    pub fn create_account(&mut self, new: &NewAccount) -> Result<(Account, WriteKey), StoreError> {
        if !is_valid_slug(&new.slug) {
            return Err(StoreError::InvalidSlug { slug: new.slug.clone() });
        }
        let key = WriteKey::generate();
        let doing = || format!("creating account {}", new.slug);
        let transaction = self.connection.transaction().map_err(StoreError::sqlite(doing()))?;
        let exists: bool = transaction
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE slug = ?1)",
                [&new.slug],
                |row| row.get(0),
            )
            .map_err(StoreError::sqlite(doing()))?;
        if exists {
            return Err(StoreError::AccountExists { slug: new.slug.clone() });
        }
        transaction
            .execute(
                "INSERT INTO accounts (slug, name, time_zone, week_start, write_key_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    new.slug,
                    new.name,
                    new.calendar.time_zone.name(),
                    new.calendar.week_start.to_string(),
                    write_key_hash(key.expose()).as_slice(),
                    Utc::now().to_rfc3339(),
                ],
            )
            .map_err(StoreError::sqlite(doing()))?;
        let id = AccountId(transaction.last_insert_rowid());
        for (index, term) in new.terms.iter().enumerate() {
            refuse_overlap(&new.slug, &new.terms[..index], *term)?;
            insert_term(&transaction, id, term).map_err(StoreError::sqlite(doing()))?;
        }
        transaction.commit().map_err(StoreError::sqlite(doing()))?;
        let account = self.account(&new.slug)?;
        Ok((account, key))
    }

    /// Adds a subscription term to an account. A term sharing a day with one
    /// the account has is refused: seat figures cannot be counted over
    /// overlapping terms (docs/seats.md).
    pub fn add_term(&mut self, slug: &str, term: SubscriptionTerm) -> Result<Account, StoreError> {
        let account = self.account(slug)?;
        refuse_overlap(slug, &account.terms, term)?;
        insert_term(&self.connection, account.id, &term)
            .map_err(StoreError::sqlite(format!("adding term {term} to account {slug}")))?;
        self.account(slug)
    }

    /// Removes one of an account's subscription terms, given exactly as the
    /// account holds it. Seat figures are recounted under the remaining terms
    /// at their next update, as after any change of terms.
    pub fn remove_term(
        &mut self,
        slug: &str,
        term: SubscriptionTerm,
    ) -> Result<Account, StoreError> {
        let account = self.account(slug)?;
        if !account.terms.contains(&term) {
            return Err(StoreError::UnknownTerm {
                slug: slug.to_owned(),
                term,
                terms: account.terms,
            });
        }
        self.connection
            .execute(
                "DELETE FROM subscription_terms
                 WHERE account_id = ?1 AND start_date = ?2 AND end_date = ?3",
                params![account.id.0, term.start.to_string(), term.end.to_string()],
            )
            .map_err(StoreError::sqlite(format!("removing term {term} from account {slug}")))?;
        self.account(slug)
    }

    /// Deletes an account and everything the store holds of it: its terms,
    /// configuration, events, seat state, kept counts and API tokens, and its
    /// slug from the staff teams that list it. One transaction: all of it goes,
    /// or nothing does. The audit log is not the store's: see `tally-audit`.
    pub fn delete_account(&mut self, slug: &str) -> Result<DeletedAccount, StoreError> {
        let account = self.account(slug)?;
        let teams = self.staff_teams_listing(slug)?;
        let doing = || format!("deleting account {slug}");
        let transaction = self.connection.transaction().map_err(StoreError::sqlite(doing()))?;
        let mut deleted = DeletedAccount { events: 0, tokens: 0, staff_teams: Vec::new() };
        // Children first: the other tables name the account by foreign key.
        for table in ACCOUNT_TABLES {
            let rows = transaction
                .execute(&format!("DELETE FROM {table} WHERE account_id = ?1"), [account.id.0])
                .map_err(StoreError::sqlite(doing()))?;
            match table {
                "events" => deleted.events = rows,
                "api_tokens" => deleted.tokens = rows,
                _ => {}
            }
        }
        for (team, mut accounts) in teams {
            accounts.remove(slug);
            let accounts =
                serde_json::to_string(&accounts).expect("a set of strings serialises to JSON");
            transaction
                .execute(
                    "UPDATE staff_teams SET accounts = ?2 WHERE team = ?1",
                    params![team, accounts],
                )
                .map_err(StoreError::sqlite(doing()))?;
            deleted.staff_teams.push(team);
        }
        transaction
            .execute("DELETE FROM accounts WHERE account_id = ?1", [account.id.0])
            .map_err(StoreError::sqlite(doing()))?;
        transaction.commit().map_err(StoreError::sqlite(doing()))?;
        Ok(deleted)
    }

    /// Replaces an account's write key; the old key stops working at once.
    pub fn rotate_write_key(&mut self, slug: &str) -> Result<WriteKey, StoreError> {
        let account = self.account(slug)?;
        let key = WriteKey::generate();
        self.connection
            .execute(
                "UPDATE accounts SET write_key_hash = ?1 WHERE account_id = ?2",
                params![write_key_hash(key.expose()).as_slice(), account.id.0],
            )
            .map_err(StoreError::sqlite(format!("rotating the write key of account {slug}")))?;
        Ok(key)
    }

    /// The account with this slug.
    pub fn account(&self, slug: &str) -> Result<Account, StoreError> {
        read_account(&self.connection, slug)
    }

    /// Every account, by slug.
    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let slugs: Vec<String> = self
            .connection
            .prepare("SELECT slug FROM accounts ORDER BY slug")
            .and_then(|mut statement| {
                statement.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()
            })
            .map_err(StoreError::sqlite("listing accounts"))?;
        slugs.iter().map(|slug| self.account(slug)).collect()
    }

    /// The account a write key belongs to, or `None` when no account has it.
    pub fn account_for_write_key(&self, key: &str) -> Result<Option<Account>, StoreError> {
        let slug: Option<String> = self
            .connection
            .query_row(
                "SELECT slug FROM accounts WHERE write_key_hash = ?1",
                [write_key_hash(key).as_slice()],
                |row| row.get(0),
            )
            .optional()
            .map_err(StoreError::sqlite("checking a write key"))?;
        slug.map(|slug| self.account(&slug)).transpose()
    }
}

/// The account with this slug, read over `connection` (a store's, or a
/// migration's transaction).
pub(crate) fn read_account(
    connection: &rusqlite::Connection,
    slug: &str,
) -> Result<Account, StoreError> {
    let doing = || format!("reading account {slug}");
    let row = connection
        .query_row(
            "SELECT account_id, name, time_zone, week_start FROM accounts WHERE slug = ?1",
            [slug],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            },
        )
        .optional()
        .map_err(StoreError::sqlite(doing()))?;
    let Some((id, name, time_zone, week_start)) = row else {
        return Err(StoreError::UnknownAccount { slug: slug.to_owned() });
    };
    let calendar = AccountCalendar {
        time_zone: tally_calendar::parse_time_zone(&time_zone).map_err(|_| {
            StoreError::CorruptValue { table: "accounts", column: "time_zone", value: time_zone }
        })?,
        week_start: tally_calendar::parse_weekday(&week_start).map_err(|_| {
            StoreError::CorruptValue { table: "accounts", column: "week_start", value: week_start }
        })?,
    };
    let id = AccountId(id);
    let terms = terms(connection, id).map_err(StoreError::sqlite(doing()))??;
    Ok(Account { id, slug: slug.to_owned(), name, calendar, terms })
}

fn terms(
    connection: &rusqlite::Connection,
    id: AccountId,
) -> rusqlite::Result<Result<Vec<SubscriptionTerm>, StoreError>> {
    let mut statement = connection.prepare_cached(
        "SELECT start_date, end_date FROM subscription_terms WHERE account_id = ?1 ORDER BY start_date",
    )?;
    let rows: Vec<(String, String)> = statement
        .query_map([id.0], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .map(|(start, end)| {
            let parse = |text: String, column| {
                NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| StoreError::CorruptValue {
                    table: "subscription_terms",
                    column,
                    value: text,
                })
            };
            Ok(SubscriptionTerm {
                start: parse(start, "start_date")?,
                end: parse(end, "end_date")?,
            })
        })
        .collect())
}

/// What deleting an account removed besides the account itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedAccount {
    /// Its events.
    pub events: usize,
    /// Its API tokens.
    pub tokens: usize,
    /// The staff teams whose lists named it, by name.
    pub staff_teams: Vec<String>,
}

/// Every table holding rows of one account by `account_id`, besides `accounts`
/// itself; `delete_account` empties them of the account's rows.
const ACCOUNT_TABLES: [&str; 29] = [
    "subscription_terms",
    "organizations",
    "teams",
    "events",
    "seat_users",
    "seat_activations",
    "seat_months",
    "seat_progress",
    "seat_profiles",
    "seat_rules",
    "api_tokens",
    "usage_months",
    "usage_progress",
    "dashboard_progress",
    "dashboard_roles",
    "dashboard_teams",
    "dashboard_presence",
    "dashboard_days",
    "dashboard_totals",
    "dashboard_team_totals",
    "dashboard_user_totals",
    "dashboard_latency",
    "dashboard_runs",
    "dashboard_items",
    "dashboard_item_days",
    "dashboard_item_floors",
    "monitor_quarters",
    "monitor_progress",
    "event_mappings",
];

/// Refuses `term` when it shares a day with one of `terms` (each term ends the
/// day before its `end`).
fn refuse_overlap(
    slug: &str,
    terms: &[SubscriptionTerm],
    term: SubscriptionTerm,
) -> Result<(), StoreError> {
    match terms.iter().find(|held| held.start < term.end && term.start < held.end) {
        Some(held) => {
            Err(StoreError::OverlappingTerms { slug: slug.to_owned(), held: *held, term })
        }
        None => Ok(()),
    }
}

fn insert_term(
    connection: &rusqlite::Connection,
    id: AccountId,
    term: &SubscriptionTerm,
) -> rusqlite::Result<usize> {
    connection.execute(
        "INSERT INTO subscription_terms (account_id, start_date, end_date) VALUES (?1, ?2, ?3)",
        params![id.0, term.start.to_string(), term.end.to_string()],
    )
}
