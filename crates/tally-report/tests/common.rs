//! The sample table every format is tested on, and helpers.

use chrono::{DateTime, NaiveDate, Utc};
use tally_report::{Cell, Chart, ChartKind, Column, ColumnKind, Table, TableHeader, WriteOptions};

pub fn date(text: &str) -> Cell {
    Cell::Date(text.parse::<NaiveDate>().unwrap())
}

pub fn instant(text: &str) -> Cell {
    Cell::DateTime(text.parse::<DateTime<Utc>>().unwrap())
}

pub fn text(text: &str) -> Cell {
    Cell::Text(text.to_owned())
}

pub fn berlin() -> WriteOptions {
    WriteOptions::new(chrono_tz::Europe::Berlin)
}

/// The header of the logins tables: a column of every kind, and a line chart
/// of logins by day.
pub fn logins_header() -> TableHeader {
    TableHeader::new(
        "Logins",
        vec![
            Column::new("day", "Day", ColumnKind::Date),
            Column::new("user", "User", ColumnKind::Text),
            Column::new("logins", "Logins", ColumnKind::Integer),
            Column::new("hours", "Hours", ColumnKind::Decimal),
            Column::new("share", "Share", ColumnKind::Percent),
            Column::new("last_login", "Last login", ColumnKind::DateTime),
        ],
    )
    .with_chart(Chart::new(ChartKind::Line, "day", vec!["logins".to_owned()]))
}

/// Every column kind; text with quotes, commas and a line break; text that
/// looks like a formula; date-times on both sides of Berlin's 2026 clock
/// changes (29 March and 25 October, at 01:00 UTC).
pub fn sample_table() -> Table {
    let header = logins_header();
    let rows = vec![
        vec![
            date("2026-03-02"),
            text("Ada \"the first\", Lovelace"),
            Cell::Integer(3),
            Cell::Decimal(1.5),
            Cell::Percent(0.25),
            instant("2026-03-02T08:00:00Z"),
        ],
        vec![
            date("2026-03-28"),
            text("line one\nline two"),
            Cell::Integer(-7),
            Cell::Decimal(0.1),
            Cell::Percent(1.0),
            instant("2026-03-29T00:30:00Z"),
        ],
        vec![
            date("2026-03-29"),
            text("=HYPERLINK(\"http://x\",\"y\")"),
            Cell::Integer(0),
            Cell::Decimal(2.0),
            Cell::Percent(0.125),
            instant("2026-03-29T01:30:00Z"),
        ],
        vec![Cell::Empty, text("+1"), Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty],
        vec![
            date("2026-10-25"),
            text("-5"),
            Cell::Integer(i64::MAX),
            Cell::Decimal(-0.5),
            Cell::Empty,
            instant("2026-10-25T00:30:00Z"),
        ],
        vec![
            Cell::Empty,
            text("@SUM(A1)"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            instant("2026-10-25T01:30:00Z"),
        ],
        vec![Cell::Empty, text("\t=1"), Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty],
        vec![Cell::Empty, text("\r=1"), Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty],
    ];
    Table::new(header, rows)
}
