//! The audit log listing: filters, sorting by any column, keyset pages.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use tally_events::{AuditStatus, Operation, OriginType, ResourceKind, SourceType};

use crate::append::entry_from_read;
use crate::canonical::{ROW_COLUMNS, StoredRow};
use crate::chain::ChainRecord;
use crate::{AuditEntry, AuditError, AuditStore};

/// A column the listing can be sorted by: every field of an entry but the
/// snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditColumn {
    /// When it happened.
    At,
    /// Arrival (chain) order.
    Seq,
    /// The sender's id.
    EventId,
    /// The resource kind, by its wire name.
    Resource,
    /// The resource's identifier (empty when absent).
    ResourceId,
    /// The operation, by its wire name.
    Operation,
    /// The source type, by its wire name.
    SourceType,
    /// Who or what triggered the change.
    Source,
    /// The origin type.
    Origin,
    /// Success or failure.
    Status,
    /// The error (empty when absent).
    Error,
    /// The user's id (empty when absent).
    User,
    /// The blueprint (empty when absent).
    Blueprint,
    /// The entity (empty when absent).
    Entity,
    /// The action run (empty when absent).
    RunId,
    /// The integration (empty when absent).
    Integration,
}

impl AuditColumn {
    /// Every column, in listing order.
    pub const ALL: [AuditColumn; 16] = [
        AuditColumn::At,
        AuditColumn::Seq,
        AuditColumn::EventId,
        AuditColumn::Resource,
        AuditColumn::ResourceId,
        AuditColumn::Operation,
        AuditColumn::SourceType,
        AuditColumn::Source,
        AuditColumn::Origin,
        AuditColumn::Status,
        AuditColumn::Error,
        AuditColumn::User,
        AuditColumn::Blueprint,
        AuditColumn::Entity,
        AuditColumn::RunId,
        AuditColumn::Integration,
    ];

    /// The column's name: the field's name in [`AuditEntry`].
    pub fn name(self) -> &'static str {
        match self {
            AuditColumn::At => "at",
            AuditColumn::Seq => "seq",
            AuditColumn::EventId => "event_id",
            AuditColumn::Resource => "resource",
            AuditColumn::ResourceId => "resource_id",
            AuditColumn::Operation => "operation",
            AuditColumn::SourceType => "source_type",
            AuditColumn::Source => "source",
            AuditColumn::Origin => "origin",
            AuditColumn::Status => "status",
            AuditColumn::Error => "error",
            AuditColumn::User => "user",
            AuditColumn::Blueprint => "blueprint",
            AuditColumn::Entity => "entity",
            AuditColumn::RunId => "run_id",
            AuditColumn::Integration => "integration",
        }
    }

    /// The column with this [`name`](AuditColumn::name).
    pub fn from_name(name: &str) -> Option<AuditColumn> {
        AuditColumn::ALL.into_iter().find(|column| column.name() == name)
    }

    /// Whether the column's values are integers ([`AuditKey::Integer`]) rather
    /// than text.
    pub fn is_integer(self) -> bool {
        matches!(self, AuditColumn::At | AuditColumn::Seq)
    }

    /// The column's value in SQL: never null, so that row-value comparisons
    /// (the keyset) order every row.
    fn sql(self) -> &'static str {
        match self {
            AuditColumn::At => "at_us",
            AuditColumn::Seq => "seq",
            AuditColumn::EventId => "event_id",
            AuditColumn::Resource => "resource",
            AuditColumn::ResourceId => "coalesce(resource_id, '')",
            AuditColumn::Operation => "operation",
            AuditColumn::SourceType => "source_type",
            AuditColumn::Source => "source",
            AuditColumn::Origin => "origin",
            AuditColumn::Status => "status",
            AuditColumn::Error => "coalesce(error, '')",
            AuditColumn::User => "coalesce(user, '')",
            AuditColumn::Blueprint => "coalesce(blueprint, '')",
            AuditColumn::Entity => "coalesce(entity, '')",
            AuditColumn::RunId => "coalesce(run_id, '')",
            AuditColumn::Integration => "coalesce(integration, '')",
        }
    }
}

/// A sort key value: an integer (the instant in microseconds since the epoch,
/// or the seq) or text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuditKey {
    /// For [`AuditColumn::At`] (microseconds) and [`AuditColumn::Seq`].
    Integer(i64),
    /// For every other column; an absent value is the empty text.
    Text(String),
}

/// Where a page starts: after the entry with this sort value and seq. Entries
/// are ordered by the sort column, then by seq in the same direction, so the
/// order is total, and entries appended later never shift the ones already
/// paged through.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuditAfter {
    /// The sort column's value in the last entry seen ([`AuditEntry::key`]).
    pub key: AuditKey,
    /// The last entry's seq.
    pub seq: u64,
}

/// Which entries to list, in which order, from where. Every filter that is set
/// must match; text filters other than `source` and `error_contains` are exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only entries before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Only this kind of resource.
    pub resource: Option<ResourceKind>,
    /// Only this resource.
    pub resource_id: Option<String>,
    /// Only this operation.
    pub operation: Option<Operation>,
    /// Only this origin type.
    pub origin: Option<OriginType>,
    /// Only this status.
    pub status: Option<AuditStatus>,
    /// Only this source type.
    pub source_type: Option<SourceType>,
    /// Only sources containing this text, ignoring case (Unicode lower case on
    /// both sides): `dana` finds `Dana@example.com`.
    pub source: Option<String>,
    /// Only this user id.
    pub user: Option<String>,
    /// Only this blueprint.
    pub blueprint: Option<String>,
    /// Only this entity.
    pub entity: Option<String>,
    /// Only changes caused by this action run.
    pub run_id: Option<String>,
    /// Only this integration.
    pub integration: Option<String>,
    /// Only entries whose error contains this text, ignoring case; the empty
    /// text matches every entry with an error.
    pub error_contains: Option<String>,
    /// The sort column.
    pub sort: AuditColumn,
    /// Whether from the largest value down.
    pub descending: bool,
    /// Start after this entry (from the previous page's last entry).
    pub after: Option<AuditAfter>,
    /// At most this many entries.
    pub limit: usize,
}

impl Default for AuditQuery {
    /// Everything, newest first, 100 entries a page.
    fn default() -> AuditQuery {
        AuditQuery {
            from: None,
            to: None,
            resource: None,
            resource_id: None,
            operation: None,
            origin: None,
            status: None,
            source_type: None,
            source: None,
            user: None,
            blueprint: None,
            entity: None,
            run_id: None,
            integration: None,
            error_contains: None,
            sort: AuditColumn::At,
            descending: true,
            after: None,
            limit: 100,
        }
    }
}

impl AuditEntry {
    /// This entry's value of `column`, to resume after it ([`AuditAfter`]).
    pub fn key(&self, column: AuditColumn) -> AuditKey {
        let text = |value: &str| AuditKey::Text(value.to_owned());
        let optional = |value: &Option<String>| text(value.as_deref().unwrap_or(""));
        let change = &self.change;
        match column {
            AuditColumn::At => AuditKey::Integer(self.at.timestamp_micros()),
            AuditColumn::Seq => AuditKey::Integer(self.seq as i64),
            AuditColumn::EventId => text(&self.event_id),
            AuditColumn::Resource => text(change.resource.as_str()),
            AuditColumn::ResourceId => optional(&change.resource_id),
            AuditColumn::Operation => text(change.operation.as_str()),
            AuditColumn::SourceType => text(change.source_type.as_str()),
            AuditColumn::Source => text(&change.source),
            AuditColumn::Origin => text(change.origin.as_str()),
            AuditColumn::Status => text(change.status.as_str()),
            AuditColumn::Error => optional(&change.error),
            AuditColumn::User => optional(&change.user),
            AuditColumn::Blueprint => optional(&change.blueprint),
            AuditColumn::Entity => optional(&change.entity),
            AuditColumn::RunId => optional(&change.run_id),
            AuditColumn::Integration => optional(&change.integration),
        }
    }

    /// Where the page after this entry starts, in a listing sorted by `column`.
    pub fn after(&self, column: AuditColumn) -> AuditAfter {
        AuditAfter { key: self.key(column), seq: self.seq }
    }
}

impl AuditStore {
    /// A page of the account's entries: those matching every filter of `query`,
    /// sorted by its column then by seq, after `query.after`, at most
    /// `query.limit`. There is no cap besides the limit: every retained entry can
    /// be reached page by page.
    ///
    /// Sorting by [`AuditColumn::At`] follows the instants the entries name, which
    /// may differ from their arrival (chain) order, [`AuditColumn::Seq`].
    /// Text sorts by bytes.
    pub fn query(&self, account: &str, query: &AuditQuery) -> Result<Vec<AuditEntry>, AuditError> {
        let doing = || format!("listing the audit entries of account {account}");
        let sqlite = |error| AuditError::sqlite(doing())(error);
        let Some(chain) = ChainRecord::load(&self.connection, account).map_err(sqlite)? else {
            return Ok(Vec::new());
        };
        if let Some(after) = &query.after
            && matches!(after.key, AuditKey::Integer(_)) != query.sort.is_integer()
        {
            return Err(AuditError::KeyMismatch {
                column: query.sort.name(),
                key: after.key.clone(),
            });
        }
        let (sql, values) = listing_sql(chain.account_id, query);
        let mut statement = self.connection.prepare_cached(&sql).map_err(sqlite)?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(values), |row| {
                Ok((row.get::<_, i64>(0)?, StoredRow::read(row, 0), row.get::<_, Vec<u8>>(18)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(sqlite)?;
        rows.into_iter()
            .map(|(seq, row, hash)| entry_from_read(account, seq.max(0) as u64, row, hash))
            .collect()
    }
}

/// The statement that lists a page, and its parameters.
fn listing_sql(account_id: i64, query: &AuditQuery) -> (String, Vec<Value>) {
    let mut sql = format!("SELECT {ROW_COLUMNS}, hash FROM audit_entries WHERE account_id = ?1");
    let mut values: Vec<Value> = vec![Value::Integer(account_id)];
    let mut bind = |sql: &mut String, condition: &str, value: Value| {
        values.push(value);
        sql.push_str(&format!(" AND {condition}?{}", values.len()));
    };
    let text = |value: &str| Value::Text(value.to_owned());
    if let Some(from) = query.from {
        bind(&mut sql, "at_us >= ", Value::Integer(from.timestamp_micros()));
    }
    if let Some(to) = query.to {
        bind(&mut sql, "at_us < ", Value::Integer(to.timestamp_micros()));
    }
    let exact: [(&str, Option<&str>); 11] = [
        ("resource", query.resource.map(ResourceKind::as_str)),
        ("resource_id", query.resource_id.as_deref()),
        ("operation", query.operation.map(Operation::as_str)),
        ("origin", query.origin.as_ref().map(OriginType::as_str)),
        ("status", query.status.map(AuditStatus::as_str)),
        ("source_type", query.source_type.map(SourceType::as_str)),
        ("user", query.user.as_deref()),
        ("blueprint", query.blueprint.as_deref()),
        ("entity", query.entity.as_deref()),
        ("run_id", query.run_id.as_deref()),
        ("integration", query.integration.as_deref()),
    ];
    for (column, value) in exact {
        if let Some(value) = value {
            bind(&mut sql, &format!("{column} = "), text(value));
        }
    }
    for (column, needle) in [("source", &query.source), ("error", &query.error_contains)] {
        if let Some(needle) = needle {
            bind(&mut sql, &format!("instr(audit_fold({column}), "), text(&needle.to_lowercase()));
            sql.push_str(") > 0");
        }
    }
    let column = query.sort.sql();
    let (order, beyond) = if query.descending { ("DESC", "<") } else { ("ASC", ">") };
    if let Some(after) = &query.after {
        let key = match &after.key {
            AuditKey::Integer(value) => Value::Integer(*value),
            AuditKey::Text(value) => Value::Text(value.clone()),
        };
        values.push(key);
        values.push(Value::Integer(after.seq as i64));
        sql.push_str(&format!(
            " AND ({column}, seq) {beyond} (?{}, ?{})",
            values.len() - 1,
            values.len()
        ));
    }
    values.push(Value::Integer(query.limit.min(i64::MAX as usize) as i64));
    sql.push_str(&format!(" ORDER BY {column} {order}, seq {order} LIMIT ?{}", values.len()));
    (sql, values)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn check_plan(query: &AuditQuery, expected: &[&str]) {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute("ATTACH DATABASE ':memory:' AS store", []).unwrap();
        let mut connection = connection;
        crate::schema::seal_functions(&connection, &crate::seal::Keys::new([7; 32])).unwrap();
        crate::schema::migrations().to_latest(&mut connection).unwrap();
        connection
            .create_scalar_function(
                "audit_fold",
                1,
                rusqlite::functions::FunctionFlags::SQLITE_UTF8,
                |_| Ok(None::<String>),
            )
            .unwrap();
        let (sql, values) = listing_sql(1, query);
        let plan: Vec<String> = connection
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(rusqlite::params_from_iter(values), |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(plan, expected, "{sql}");
    }

    #[test]
    fn the_listing_by_instant_walks_the_instant_index_without_sorting() {
        let from = DateTime::from_timestamp(1_772_000_000, 0);
        let newest_first = AuditQuery { from, ..AuditQuery::default() };
        check_plan(
            &newest_first,
            &["SEARCH audit_entries USING INDEX audit_entries_by_at (account_id=? AND at_us>?)"],
        );
        let next_page = AuditQuery {
            after: Some(AuditAfter { key: AuditKey::Integer(1_772_000_000_000_000), seq: 9 }),
            ..newest_first
        };
        check_plan(
            &next_page,
            &[
                "SEARCH audit_entries USING INDEX audit_entries_by_at (account_id=? AND at_us>? AND (at_us,seq)<(?,?))",
            ],
        );
    }

    #[test]
    fn one_resource_kind_walks_the_resource_index() {
        let entities = AuditQuery { resource: Some(ResourceKind::Entity), ..AuditQuery::default() };
        check_plan(
            &entities,
            &[
                "SEARCH audit_entries USING INDEX audit_entries_by_resource (account_id=? AND resource=?)",
            ],
        );
    }
}
