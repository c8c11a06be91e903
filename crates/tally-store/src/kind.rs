//! Event kinds in SQL. The `kind` columns hold each kind's wire name as text,
//! so the file reads plainly with any SQLite client; this is the one place
//! where a kind becomes that text and back.

use rusqlite::ToSql;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, Value, ValueRef};
use tally_events::EventKind;

/// An [`EventKind`] bound to or read from a `kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoredKind(pub(crate) EventKind);

impl StoredKind {
    /// `kinds` as an SQL list of their stored names (`'login', 'user_added'`),
    /// for an `IN (...)` written into a statement.
    pub(crate) fn sql_list<'a>(kinds: impl Iterator<Item = &'a EventKind>) -> String {
        kinds.map(|kind| format!("'{}'", kind.wire_name())).collect::<Vec<_>>().join(", ")
    }
}

impl ToSql for StoredKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.0.wire_name()))
    }
}

impl FromSql for StoredKind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<StoredKind> {
        let text = value.as_str()?;
        EventKind::parse(text)
            .map(StoredKind)
            .ok_or_else(|| FromSqlError::Other(Box::new(UnknownKind { text: text.to_owned() })))
    }
}

/// For statements whose parameters are built as a list of values.
impl From<StoredKind> for Value {
    fn from(kind: StoredKind) -> Value {
        Value::Text(kind.0.wire_name().to_owned())
    }
}

/// A `kind` column holding text that names no kind.
#[derive(Debug, thiserror::Error)]
#[error("{text:?} is not an event kind")]
struct UnknownKind {
    text: String,
}
