//! What the usage reports are made of: users seen in integrated systems
//! (`sync_observation`) and entities synchronised between them (`entity_sync`),
//! read for one period with the leave to download an account's usage reports.

use std::borrow::Cow;
use std::ops::Range;

use chrono::{DateTime, Utc};
use rusqlite::params;
use tally_access::UsageReports;
use tally_events::EventKind;

use crate::kind::StoredKind;
use crate::{AccountId, Store, StoreError};

/// A user seen in an integrated system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncObservationRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// The integrated system.
    pub system: String,
    /// The project within it.
    pub project: Option<String>,
    /// The email seen.
    pub email: Option<String>,
    /// The username seen.
    pub username: Option<String>,
    /// The display name seen.
    pub display_name: Option<String>,
    /// Where the user was seen (an open value, normalised).
    pub interaction: String,
    /// Whether the identity is a service account.
    pub service_account: bool,
}

/// Entities synchronised from one system to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitySyncRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// The system the entities came from.
    pub source_system: String,
    /// The system they were synced to.
    pub target_system: String,
    /// The project in the source system.
    pub source_project: Option<String>,
    /// The project in the target system.
    pub target_project: Option<String>,
    /// The type of entity.
    pub entity_type: String,
    /// How many were synced.
    pub entities: u64,
    /// `active` or `inactive`.
    pub status: String,
}

impl Store {
    /// How many `sync_observation`s the account has in `[from, to)`, counted over
    /// the index: so that a reader can make room for them all at once.
    pub fn count_sync_observations(
        &self,
        reports: &UsageReports,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let account = self.account(reports.account())?;
        let doing = || format!("counting the sync observations of account {}", account.slug);
        self.connection
            .prepare_cached(
                "SELECT count(*) FROM events
                 WHERE account_id = ?1 AND kind = ?4
                   AND at_us >= ?2 AND at_us < ?3",
            )
            .and_then(|mut statement| {
                statement.query_row(
                    params![
                        account.id.0,
                        from.timestamp_micros(),
                        to.timestamp_micros(),
                        StoredKind(EventKind::SyncObservation)
                    ],
                    |row| row.get::<_, i64>(0),
                )
            })
            .map(|count| count as u64)
            .map_err(StoreError::sqlite(doing()))
    }

    /// Hands each `sync_observation` of the account in `[from, to)` to `each`, in
    /// time order, without holding them all; answers how many there were.
    pub fn for_each_sync_observation(
        &self,
        reports: &UsageReports,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        mut each: impl FnMut(SyncObservationRecord),
    ) -> Result<u64, StoreError> {
        let account = self.account(reports.account())?;
        let doing = || format!("reading the sync observations of account {}", account.slug);
        let sqlite = |error| StoreError::sqlite(doing())(error);
        // The payload is parsed once here: asking SQLite for each of seven fields
        // parses it seven times, which was most of the cost.
        let select = "SELECT at_us, payload FROM events
                 WHERE account_id = ?1 AND kind = ?4
                   AND at_us >= ?2 AND at_us < ?3
                 ORDER BY at_us";
        self.for_each_row(
            select,
            account.id,
            EventKind::SyncObservation,
            from..to,
            &sqlite,
            |row| {
                let at_us: i64 = row.get(0).map_err(sqlite)?;
                let payload =
                    row.get_ref(1).and_then(|value| Ok(value.as_str()?)).map_err(sqlite)?;
                let seen: StoredObservation<'_> =
                    serde_json::from_str(payload).map_err(|_| StoreError::CorruptValue {
                        table: "events",
                        column: "payload",
                        value: payload.to_owned(),
                    })?;
                each(SyncObservationRecord {
                    at: instant(at_us),
                    system: seen.system.into_owned(),
                    project: seen.project.map(Cow::into_owned),
                    email: seen.email.map(Cow::into_owned),
                    username: seen.username.map(Cow::into_owned),
                    display_name: seen.display_name.map(Cow::into_owned),
                    interaction: seen.interaction.into_owned(),
                    service_account: seen.service_account,
                });
                Ok(())
            },
        )
    }

    /// Hands each `entity_sync` of the account in `[from, to)` to `each`, in time
    /// order, without holding them all; answers how many there were.
    pub fn for_each_entity_sync(
        &self,
        reports: &UsageReports,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        mut each: impl FnMut(EntitySyncRecord),
    ) -> Result<u64, StoreError> {
        let account = self.account(reports.account())?;
        let doing = || format!("reading the entity syncs of account {}", account.slug);
        let sqlite = |error| StoreError::sqlite(doing())(error);
        let select = "SELECT at_us, payload ->> '$.source_system', payload ->> '$.target_system',
                        payload ->> '$.source_project', payload ->> '$.target_project',
                        payload ->> '$.entity_type', coalesce(payload ->> '$.entities', 1),
                        coalesce(payload ->> '$.status', 'active')
                 FROM events WHERE account_id = ?1 AND kind = ?4
                   AND at_us >= ?2 AND at_us < ?3
                 ORDER BY at_us";
        self.for_each_row(select, account.id, EventKind::EntitySync, from..to, &sqlite, |row| {
            let read = || -> rusqlite::Result<EntitySyncRecord> {
                Ok(EntitySyncRecord {
                    at: instant(row.get(0)?),
                    source_system: row.get(1)?,
                    target_system: row.get(2)?,
                    source_project: row.get(3)?,
                    target_project: row.get(4)?,
                    entity_type: row.get(5)?,
                    entities: row.get::<_, i64>(6)? as u64,
                    status: row.get(7)?,
                })
            };
            each(read().map_err(sqlite)?);
            Ok(())
        })
    }

    /// Runs `select`, whose `?1` is the account, `?4` the event kind and `?2`,
    /// `?3` the bounds of `period` in microseconds, handing each row to `each`;
    /// answers how many rows there were.
    fn for_each_row(
        &self,
        select: &str,
        account: AccountId,
        kind: EventKind,
        period: Range<DateTime<Utc>>,
        sqlite: &dyn Fn(rusqlite::Error) -> StoreError,
        mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let mut statement = self.connection.prepare_cached(select).map_err(sqlite)?;
        let mut rows = statement
            .query(params![
                account.0,
                period.start.timestamp_micros(),
                period.end.timestamp_micros(),
                StoredKind(kind)
            ])
            .map_err(sqlite)?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(sqlite)? {
            each(row)?;
            count += 1;
        }
        Ok(count)
    }
}

/// A stored `sync_observation`'s fields, as its canonical JSON holds them.
#[derive(serde::Deserialize)]
struct StoredObservation<'a> {
    #[serde(borrow)]
    system: Cow<'a, str>,
    #[serde(borrow, default)]
    project: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    email: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    username: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    display_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    interaction: Cow<'a, str>,
    #[serde(default)]
    service_account: bool,
}

/// Stored instants were checked on the way in, so they are always in range.
fn instant(at_us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at_us).unwrap_or_default()
}
