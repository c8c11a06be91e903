//! JSON: the documented shape, parsed back and checked field by field.

use serde_json::{Value, json};
use tally_report::{
    Cell, Column, ColumnKind, Format, Table, TableHeader, WriteOptions, write_table,
};

use crate::common::{berlin, sample_table};

fn write(table: &Table, options: &WriteOptions) -> String {
    let mut out = Vec::new();
    write_table(Format::Json, table, options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn sample_table_parses_back_with_typed_values() {
    // The Berlin zone must not matter: JSON date-times are UTC with `Z`.
    let parsed: Value = serde_json::from_str(&write(&sample_table(), &berlin())).unwrap();
    assert_eq!(parsed["title"], "Logins");
    assert_eq!(
        parsed["columns"],
        json!([
            {"name": "day", "title": "Day", "type": "date"},
            {"name": "user", "title": "User", "type": "text"},
            {"name": "logins", "title": "Logins", "type": "integer"},
            {"name": "hours", "title": "Hours", "type": "decimal"},
            {"name": "share", "title": "Share", "type": "percent"},
            {"name": "last_login", "title": "Last login", "type": "date_time"},
        ])
    );
    let rows = parsed["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    assert_eq!(
        rows[0],
        json!({
            "day": "2026-03-02",
            "user": "Ada \"the first\", Lovelace",
            "logins": 3,
            "hours": 1.5,
            "share": 0.25,
            "last_login": "2026-03-02T08:00:00Z",
        })
    );
    assert_eq!(rows[1]["user"], "line one\nline two");
    assert_eq!(rows[1]["logins"], -7);
    assert_eq!(rows[1]["hours"].as_f64(), Some(0.1));
    assert_eq!(rows[1]["share"].as_f64(), Some(1.0));
    assert_eq!(rows[1]["last_login"], "2026-03-29T00:30:00Z");
    // Formula-looking text is kept as it is: JSON is not opened by spreadsheets.
    assert_eq!(rows[2]["user"], "=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(
        rows[3],
        json!({"day": null, "user": "+1", "logins": null, "hours": null, "share": null, "last_login": null})
    );
    assert_eq!(rows[4]["logins"].as_i64(), Some(i64::MAX));
    assert_eq!(rows[4]["hours"].as_f64(), Some(-0.5));
    assert_eq!(rows[4]["last_login"], "2026-10-25T00:30:00Z");
    assert_eq!(rows[5]["user"], "@SUM(A1)");
    assert_eq!(rows[6]["user"], "\t=1");
    assert_eq!(rows[7]["user"], "\r=1");
    assert_eq!(parsed["chart"], json!({"kind": "line", "category": "day", "values": ["logins"]}));
}

#[test]
fn layout_is_one_row_per_line() {
    let header = TableHeader::new("Seats", vec![Column::new("a", "A", ColumnKind::Integer)]);
    assert_eq!(
        write(
            &Table::new(header.clone(), vec![vec![Cell::Integer(1)], vec![Cell::Empty]]),
            &WriteOptions::default()
        ),
        concat!(
            "{\"title\":\"Seats\",\"columns\":[{\"name\":\"a\",\"title\":\"A\",\"type\":\"integer\"}],\"rows\":[\n",
            "{\"a\":1},\n",
            "{\"a\":null}\n",
            "],\"chart\":null}\n",
        )
    );
    assert_eq!(
        write(&Table::new(header, vec![]), &WriteOptions::default()),
        "{\"title\":\"Seats\",\"columns\":[{\"name\":\"a\",\"title\":\"A\",\"type\":\"integer\"}],\"rows\":[],\"chart\":null}\n"
    );
}

#[test]
fn decimals_keep_every_digit_and_dates_have_fractions() {
    let header = TableHeader::new(
        "Numbers",
        vec![
            Column::new("value", "Value", ColumnKind::Decimal),
            Column::new("at", "At", ColumnKind::DateTime),
        ],
    );
    let at = "2026-03-02T08:00:00.123456Z".parse().unwrap();
    let table = Table::new(header, vec![vec![Cell::Decimal(0.1 + 0.2), Cell::DateTime(at)]]);
    let parsed: Value = serde_json::from_str(&write(&table, &berlin())).unwrap();
    // 0.1 + 0.2 is 0.30000000000000004 in binary64, and reads back as such.
    assert_eq!(parsed["rows"][0]["value"].as_f64(), Some(0.30000000000000004));
    assert_eq!(parsed["rows"][0]["at"], "2026-03-02T08:00:00.123456Z");
}

#[test]
fn percentages_keep_every_digit() {
    let header = TableHeader::new(
        "Changes",
        vec![Column::new("change_percent", "Change (%)", ColumnKind::Percentage)],
    );
    let table = Table::new(header, vec![vec![Cell::Percentage(16.544117647058822)]]);
    let parsed: Value = serde_json::from_str(&write(&table, &berlin())).unwrap();
    assert_eq!(parsed["columns"][0]["type"], "percentage");
    assert_eq!(parsed["rows"][0]["change_percent"].as_f64(), Some(16.544117647058822));
}
