//! What the live usage monitor reads from the event log: the events that make
//! a user seen (docs/monitor.md), to fill its state at start and to follow
//! the log, and the `activity` events behind one stream item.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Transaction, TransactionBehavior, params};
use tally_access::MonitorView;
use tally_events::EventKind;
use tally_monitor::{Activity, SeenEvent, Tracking};

use crate::kind::StoredKind;
use crate::{Store, StoreError};

/// One `activity` event behind a stream item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemEvent {
    /// The event's place in the log.
    pub seq: i64,
    /// The event's id, as sent.
    pub id: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The action done in the module.
    pub action: String,
    /// Seconds spent.
    pub time_spent_secs: u32,
    /// The event's `properties` as JSON text, when it has them.
    pub properties: Option<String>,
}

/// One stream item's events: a user's in a module of an account, with an
/// instant in `from..to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemQuery<'a> {
    /// The account's slug.
    pub account: &'a str,
    /// The user.
    pub user: &'a str,
    /// The module.
    pub module: &'a str,
    /// The first instant included.
    pub from: DateTime<Utc>,
    /// The first instant after the range.
    pub to: DateTime<Utc>,
}

/// Whether an event of this kind makes the user named in it seen: the user
/// acted. Lifecycle events are done to a user, and audit entries may arrive
/// late in bulk, so neither does.
fn makes_user_seen(kind: EventKind) -> bool {
    match kind {
        EventKind::Login
        | EventKind::PageVisit
        | EventKind::EntityChange
        | EventKind::ActionRun
        | EventKind::AiInvocation
        | EventKind::McpCall
        | EventKind::Activity => true,
        EventKind::AutomationRun
        | EventKind::DataSourceChange
        | EventKind::SyncObservation
        | EventKind::EntitySync
        | EventKind::UserAdded
        | EventKind::UserRemoved
        | EventKind::UserDisabled
        | EventKind::UserEnabled
        | EventKind::UserRoleChanged
        | EventKind::UserTeamsChanged
        | EventKind::AuditEntry => false,
    }
}

/// The columns a [`SeenEvent`] is read from; a login's user is in a column of
/// its own, any other kind's in its payload. Events naming no user (an
/// automation's entity change) make no one seen and are left out.
const SEEN_COLUMNS: &str = "seq, account_id, at_us,
    coalesce(login_user, payload ->> '$.user') AS user,
    CASE WHEN kind = 'activity' THEN payload ->> '$.module' END,
    CASE WHEN kind = 'activity' THEN payload ->> '$.action' END,
    CASE WHEN kind = 'activity' THEN payload ->> '$.time_spent_secs' END";

impl Store {
    /// Every account's events that make a user seen, with an instant at or
    /// after `from`, in log order, and the highest seq in the log: read in one
    /// transaction, so that following the log with
    /// [`Store::monitor_events_after`] from that seq misses and repeats nothing.
    ///
    /// Read through the (account, kind, instant) index, so the cost follows
    /// the events since `from`, not the log.
    pub fn monitor_events_since(
        &mut self,
        from: DateTime<Utc>,
    ) -> Result<(Vec<SeenEvent>, i64), StoreError> {
        let doing = || format!("reading the events the monitor needs since {from}");
        let snapshot = self.read_snapshot().map_err(StoreError::sqlite(doing()))?;
        let read = || -> rusqlite::Result<(Vec<SeenEvent>, i64)> {
            let latest: i64 =
                snapshot
                    .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |row| row.get(0))?;
            let accounts = account_slugs(&snapshot)?;
            let mut statement = snapshot.prepare(&format!(
                "SELECT {SEEN_COLUMNS} FROM events
                 WHERE account_id = ?1 AND kind IN ({}) AND at_us >= ?2 AND user IS NOT NULL",
                seen_kinds()
            ))?;
            let mut names = Names::default();
            let mut events = Vec::new();
            for account_id in accounts.keys() {
                let mut rows = statement.query(params![account_id, from.timestamp_micros()])?;
                while let Some(row) = rows.next()? {
                    events.push(seen_event(row, &accounts, &mut names)?);
                }
            }
            events.sort_by_key(|event| event.seq);
            Ok((events, latest))
        };
        let read = read().map_err(StoreError::sqlite(doing()))?;
        snapshot.commit().map_err(StoreError::sqlite(doing()))?;
        Ok(read)
    }

    /// The events that make a user seen after `seq`, in log order, at most
    /// `limit` (at least one), and the seq read through: the last event's
    /// when `limit` were found, else the highest in the log. A caller
    /// continues from that seq, so events of other kinds are passed over once.
    pub fn monitor_events_after(
        &mut self,
        seq: i64,
        limit: usize,
    ) -> Result<(Vec<SeenEvent>, i64), StoreError> {
        let doing = || format!("reading the events the monitor needs after seq {seq}");
        let limit = limit.max(1);
        let snapshot = self.read_snapshot().map_err(StoreError::sqlite(doing()))?;
        let read = || -> rusqlite::Result<(Vec<SeenEvent>, i64)> {
            let latest: i64 =
                snapshot
                    .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |row| row.get(0))?;
            let accounts = account_slugs(&snapshot)?;
            // The unary `+` keeps SQLite on the rowid range after `seq`.
            let mut statement = snapshot.prepare_cached(&format!(
                "SELECT {SEEN_COLUMNS} FROM events
                 WHERE seq > ?1 AND +kind IN ({}) AND user IS NOT NULL
                 ORDER BY seq LIMIT ?2",
                seen_kinds()
            ))?;
            let mut names = Names::default();
            let mut rows = statement.query(params![seq, limit as i64])?;
            let mut events = Vec::new();
            while let Some(row) = rows.next()? {
                events.push(seen_event(row, &accounts, &mut names)?);
            }
            let through = match events.last() {
                Some(last) if events.len() == limit => last.seq,
                _ => latest.max(seq),
            };
            Ok((events, through))
        };
        let read = read().map_err(StoreError::sqlite(doing()))?;
        snapshot.commit().map_err(StoreError::sqlite(doing()))?;
        Ok(read)
    }

    /// The `activity` events of one stream item whose action `tracking`
    /// tracks, oldest first: what the item is made of. An account outside the
    /// view's scope is answered as one that does not exist.
    pub fn monitor_item_events(
        &self,
        view: &MonitorView,
        tracking: &Tracking,
        item: &ItemQuery<'_>,
    ) -> Result<Vec<ItemEvent>, StoreError> {
        let ItemQuery { account, user, module, from, to } = *item;
        if !view.scope().includes(account) {
            return Err(StoreError::UnknownAccount { slug: account.to_owned() });
        }
        let account = self.account(account)?;
        let doing = format!(
            "reading the events of user {user} in module {module} of account {}",
            account.slug
        );
        let events: Vec<ItemEvent> = self.collect_rows(
            "SELECT seq, payload ->> '$.id', at_us, payload ->> '$.action',
                    payload ->> '$.time_spent_secs', payload -> '$.properties'
             FROM events
             WHERE account_id = ?1 AND kind = 'activity' AND at_us >= ?2 AND at_us < ?3
               AND payload ->> '$.user' = ?4 AND payload ->> '$.module' = ?5
             ORDER BY at_us, seq",
            params![account.id.0, from.timestamp_micros(), to.timestamp_micros(), user, module],
            &doing,
            |row| {
                Ok(ItemEvent {
                    seq: row.get(0)?,
                    id: row.get(1)?,
                    at: instant(row.get(2)?, 2)?,
                    action: row.get(3)?,
                    time_spent_secs: row.get(4)?,
                    properties: row.get(5)?,
                })
            },
        )?;
        Ok(events.into_iter().filter(|event| tracking.tracks(module, &event.action)).collect())
    }

    /// A read transaction: every read in it sees the same state of the file.
    fn read_snapshot(&mut self) -> rusqlite::Result<Transaction<'_>> {
        self.connection.transaction_with_behavior(TransactionBehavior::Deferred)
    }
}

/// The seen kinds as an SQL list, for an `IN (...)`.
fn seen_kinds() -> String {
    StoredKind::sql_list(EventKind::ALL.iter().filter(|kind| makes_user_seen(**kind)))
}

/// Every account's slug by its row number.
fn account_slugs(snapshot: &Transaction<'_>) -> rusqlite::Result<HashMap<i64, Arc<str>>> {
    let mut statement = snapshot.prepare_cached("SELECT account_id, slug FROM accounts")?;
    let rows = statement
        .query_map([], |row| Ok((row.get::<_, i64>(0)?, Arc::from(row.get::<_, String>(1)?))))?;
    rows.collect()
}

/// One copy of each user, module and action name read in one call.
#[derive(Default)]
struct Names(HashSet<Arc<str>>);

impl Names {
    fn get(&mut self, name: String) -> Arc<str> {
        match self.0.get(name.as_str()) {
            Some(kept) => kept.clone(),
            None => {
                let name: Arc<str> = Arc::from(name);
                self.0.insert(name.clone());
                name
            }
        }
    }
}

/// A row of [`SEEN_COLUMNS`].
fn seen_event(
    row: &rusqlite::Row<'_>,
    accounts: &HashMap<i64, Arc<str>>,
    names: &mut Names,
) -> rusqlite::Result<SeenEvent> {
    let account_id: i64 = row.get(1)?;
    // Events and their account are read in one transaction, and an account's
    // events go with it: a missing account is a broken file.
    let account = accounts.get(&account_id).cloned().ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Integer,
            format!("events of account row {account_id}, which the accounts table lacks").into(),
        )
    })?;
    let module: Option<String> = row.get(4)?;
    let action: Option<String> = row.get(5)?;
    let time_spent_secs: Option<u32> = row.get(6)?;
    let activity = match (module, action, time_spent_secs) {
        (Some(module), Some(action), Some(time_spent_secs)) => {
            Some(Activity { module: names.get(module), action: names.get(action), time_spent_secs })
        }
        _ => None,
    };
    Ok(SeenEvent {
        seq: row.get(0)?,
        account,
        user: names.get(row.get(3)?),
        at: instant(row.get(2)?, 2)?,
        activity,
    })
}

fn instant(at_us: i64, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(at_us).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Integer,
            format!("{at_us} µs is outside the instants Tally reads").into(),
        )
    })
}
