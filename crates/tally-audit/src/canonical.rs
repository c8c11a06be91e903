//! Canonical JSON, and an entry's canonical bytes: what its chain hash covers.
//!
//! The rules are spelled out in `docs/audit.md` ("Canonical bytes"); a verifier in
//! another language can rebuild them from a row.

use serde_json::Value;

/// One stored entry as the columns hold it: text as stored, the instant in
/// microseconds, snapshots as canonical JSON text. Built from a new entry at
/// append time and read back from the file at verification time, so both sides
/// hash the same thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredRow {
    pub(crate) seq: u64,
    pub(crate) event_id: String,
    pub(crate) at_us: i64,
    pub(crate) resource: String,
    pub(crate) resource_id: Option<String>,
    pub(crate) operation: String,
    pub(crate) source_type: String,
    pub(crate) source: String,
    pub(crate) origin: String,
    pub(crate) status: String,
    pub(crate) error: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) blueprint: Option<String>,
    pub(crate) entity: Option<String>,
    pub(crate) run_id: Option<String>,
    pub(crate) integration: Option<String>,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
}

/// The columns of `audit_entries` that make a [`StoredRow`], in `StoredRow` order.
pub(crate) const ROW_COLUMNS: &str = "seq, event_id, at_us, resource, resource_id, operation, \
     source_type, source, origin, status, error, user, blueprint, entity, run_id, integration, \
     before, after";

/// A column that does not hold what the schema promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadColumn {
    pub(crate) column: &'static str,
    pub(crate) value: String,
}

/// Why a row could not be read: SQLite failed, or a column holds a bad value.
#[derive(Debug)]
pub(crate) enum ReadError {
    Sqlite(rusqlite::Error),
    Bad(BadColumn),
}

impl From<rusqlite::Error> for ReadError {
    fn from(error: rusqlite::Error) -> ReadError {
        ReadError::Sqlite(error)
    }
}

impl From<BadColumn> for ReadError {
    fn from(bad: BadColumn) -> ReadError {
        ReadError::Bad(bad)
    }
}

impl StoredRow {
    /// Reads the [`ROW_COLUMNS`] starting at column `first`. Text that is not UTF-8,
    /// a value of the wrong type or a missing required value is a
    /// [`ReadError::Bad`], which a verifier reports as tampering.
    pub(crate) fn read(row: &rusqlite::Row<'_>, first: usize) -> Result<StoredRow, ReadError> {
        let mut columns = ColumnReader { row, next: first };
        let seq = columns.integer("seq")?;
        if seq < 1 {
            return Err(bad("seq", seq.to_string()).into());
        }
        Ok(StoredRow {
            seq: seq as u64,
            event_id: columns.required("event_id")?,
            at_us: columns.integer("at_us")?,
            resource: columns.required("resource")?,
            resource_id: columns.text("resource_id")?,
            operation: columns.required("operation")?,
            source_type: columns.required("source_type")?,
            source: columns.required("source")?,
            origin: columns.required("origin")?,
            status: columns.required("status")?,
            error: columns.text("error")?,
            user: columns.text("user")?,
            blueprint: columns.text("blueprint")?,
            entity: columns.text("entity")?,
            run_id: columns.text("run_id")?,
            integration: columns.text("integration")?,
            before: columns.text("before")?,
            after: columns.text("after")?,
        })
    }

    /// The entry's canonical bytes: a JSON object of its fields (absent ones left
    /// out) with keys sorted by bytes, no whitespace, `account` and `seq` included.
    pub(crate) fn canonical_bytes(&self, account: &str) -> String {
        let mut object = ObjectWriter::new();
        object.text("account", Some(account));
        object.raw("after", self.after.as_deref());
        object.integer("at_us", self.at_us);
        object.raw("before", self.before.as_deref());
        object.text("blueprint", self.blueprint.as_deref());
        object.text("entity", self.entity.as_deref());
        object.text("error", self.error.as_deref());
        object.text("event_id", Some(&self.event_id));
        object.text("integration", self.integration.as_deref());
        object.text("operation", Some(&self.operation));
        object.text("origin", Some(&self.origin));
        object.text("resource", Some(&self.resource));
        object.text("resource_id", self.resource_id.as_deref());
        object.text("run_id", self.run_id.as_deref());
        object.integer("seq", self.seq as i64);
        object.text("source", Some(&self.source));
        object.text("source_type", Some(&self.source_type));
        object.text("status", Some(&self.status));
        object.text("user", self.user.as_deref());
        object.finish()
    }

    /// Whether this row and `other` hold the same entry, whatever their seqs.
    pub(crate) fn same_content(&self, other: &StoredRow) -> bool {
        StoredRow { seq: other.seq, ..self.clone() } == *other
    }
}

/// Canonical JSON of a value: no whitespace, object keys sorted by their UTF-8
/// bytes at every depth, strings and numbers written as serde_json writes them.
pub(crate) fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(text: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(text).expect("a string always serialises"));
}

/// Writes a JSON object whose keys the caller gives in sorted order.
struct ObjectWriter {
    out: String,
    empty: bool,
}

impl ObjectWriter {
    fn new() -> ObjectWriter {
        ObjectWriter { out: String::from("{"), empty: true }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        write_string(key, &mut self.out);
        self.out.push(':');
    }

    fn text(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.key(key);
            write_string(value, &mut self.out);
        }
    }

    fn raw(&mut self, key: &str, json: Option<&str>) {
        if let Some(json) = json {
            self.key(key);
            self.out.push_str(json);
        }
    }

    fn integer(&mut self, key: &str, value: i64) {
        self.key(key);
        self.out.push_str(&value.to_string());
    }

    fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

fn bad(column: &'static str, value: String) -> BadColumn {
    BadColumn { column, value }
}

/// Reads columns in order, turning wrong types and bad UTF-8 into [`BadColumn`].
struct ColumnReader<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    next: usize,
}

impl ColumnReader<'_, '_> {
    fn take(&mut self) -> rusqlite::Result<rusqlite::types::ValueRef<'_>> {
        self.next += 1;
        self.row.get_ref(self.next - 1)
    }

    fn integer(&mut self, column: &'static str) -> Result<i64, ReadError> {
        use rusqlite::types::ValueRef;
        match self.take()? {
            ValueRef::Integer(value) => Ok(value),
            other => Err(bad(column, describe(other)).into()),
        }
    }

    fn text(&mut self, column: &'static str) -> Result<Option<String>, ReadError> {
        use rusqlite::types::ValueRef;
        match self.take()? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => Ok(Some(text.to_owned())),
                Err(_) => Err(bad(column, String::from_utf8_lossy(bytes).into_owned()).into()),
            },
            other => Err(bad(column, describe(other)).into()),
        }
    }

    fn required(&mut self, column: &'static str) -> Result<String, ReadError> {
        self.text(column)?.ok_or_else(|| bad(column, "null".to_owned()).into())
    }
}

fn describe(value: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => "null".to_owned(),
        ValueRef::Integer(value) => value.to_string(),
        ValueRef::Real(value) => value.to_string(),
        ValueRef::Text(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        ValueRef::Blob(bytes) => format!("a blob of {} bytes", bytes.len()),
    }
}

/// Whether `text` is one JSON value written canonically: what a snapshot column
/// must hold. Anything else (another spelling of the same value included) was
/// not written by the store.
pub(crate) fn is_canonical_json(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|value| canonical_json(&value) == text)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(value: Value, expected: &str) {
        assert_eq!(canonical_json(&value), expected);
        assert!(is_canonical_json(expected), "{expected} reads back as itself");
    }

    #[test]
    fn keys_are_sorted_by_bytes_at_every_depth() {
        check(
            json!({"b": 1, "a": {"d": [true, null], "c": "x"}}),
            r#"{"a":{"c":"x","d":[true,null]},"b":1}"#,
        );
        // Upper case sorts before lower case, and "é" (0xC3 0xA9) after "z".
        check(json!({"é": 1, "z": 2, "Z": 3}), r#"{"Z":3,"z":2,"é":1}"#);
    }

    #[test]
    fn strings_and_numbers_are_written_as_serde_json_writes_them() {
        check(json!("tab\there \"q\" \\ / é \u{1}"), r#""tab\there \"q\" \\ / é \u0001""#);
        check(
            json!([1, -2, 1.5, 1.0, 1e20, 18446744073709551615u64]),
            "[1,-2,1.5,1.0,1e+20,18446744073709551615]",
        );
    }

    #[test]
    fn other_spellings_are_not_canonical() {
        assert!(!is_canonical_json(r#"{"a": 1}"#));
        assert!(!is_canonical_json(r#"{"b":1,"a":2}"#));
        assert!(!is_canonical_json("1E+20"));
        assert!(!is_canonical_json("1e20"));
        assert!(!is_canonical_json(r#"{"a":1},"b":2"#));
        assert!(!is_canonical_json(r#""\u0041""#));
    }

    #[test]
    fn canonical_bytes_leave_out_absent_fields() {
        let row = StoredRow {
            seq: 7,
            event_id: "e1".into(),
            at_us: 1_772_438_700_000_000,
            resource: "entity".into(),
            resource_id: None,
            operation: "update".into(),
            source_type: "user".into(),
            source: "dana@example.com".into(),
            origin: "UI".into(),
            status: "success".into(),
            error: None,
            user: None,
            blueprint: Some("service".into()),
            entity: None,
            run_id: None,
            integration: None,
            before: Some(r#"{"replicas":2}"#.into()),
            after: None,
        };
        assert_eq!(
            row.canonical_bytes("acme"),
            r#"{"account":"acme","at_us":1772438700000000,"before":{"replicas":2},"blueprint":"service","event_id":"e1","operation":"update","origin":"UI","resource":"entity","seq":7,"source":"dana@example.com","source_type":"user","status":"success"}"#
        );
    }
}
