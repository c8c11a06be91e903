//! The table model: typed columns, typed cells, an optional chart, and the
//! checks every writer runs before it writes a byte of a table or a row.

use std::fmt;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;

use crate::ReportError;

/// One column of a table: its machine name, its human title and the kind of
/// value its cells hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Machine name in snake_case (`[a-z][a-z0-9_]*`): the CSV header and the
    /// JSON key of the column.
    pub name: String,
    /// Human header, shown in the XLSX header row.
    pub title: String,
    /// What every non-empty cell of the column holds.
    pub kind: ColumnKind,
}

impl Column {
    /// A column named `name` (snake_case), headed `title` in spreadsheets.
    pub fn new(name: impl Into<String>, title: impl Into<String>, kind: ColumnKind) -> Column {
        Column { name: name.into(), title: title.into(), kind }
    }
}

/// The type of a column, and so of each of its non-empty cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// Free text ([`Cell::Text`]).
    Text,
    /// A whole number ([`Cell::Integer`]).
    Integer,
    /// A finite decimal number ([`Cell::Decimal`]).
    Decimal,
    /// A finite fraction shown as a percentage ([`Cell::Percent`]).
    Percent,
    /// A finite number of percent, shown rounded to two decimals in CSV and
    /// XLSX and exact in JSON ([`Cell::Percentage`]).
    Percentage,
    /// A calendar date ([`Cell::Date`]).
    Date,
    /// An instant ([`Cell::DateTime`]), shown in [`WriteOptions::time_zone`](crate::WriteOptions::time_zone).
    DateTime,
}

impl ColumnKind {
    /// The kind's name in the JSON `columns` list and in error messages:
    /// `text`, `integer`, `decimal`, `percent`, `percentage`, `date` or `date_time`.
    pub fn name(self) -> &'static str {
        match self {
            ColumnKind::Text => "text",
            ColumnKind::Integer => "integer",
            ColumnKind::Decimal => "decimal",
            ColumnKind::Percent => "percent",
            ColumnKind::Percentage => "percentage",
            ColumnKind::Date => "date",
            ColumnKind::DateTime => "date_time",
        }
    }

    /// Whether the kind's cells are numbers: set right-aligned in tables and
    /// charted as values.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ColumnKind::Integer
                | ColumnKind::Decimal
                | ColumnKind::Percent
                | ColumnKind::Percentage
        )
    }
}

impl fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One value of a row. [`Cell::Empty`] fits any column; every other cell must
/// match its column's [`ColumnKind`].
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// No value: an empty CSV field, JSON `null`, a blank XLSX cell.
    Empty,
    /// Text, written as is except for formula neutralisation in CSV and XLSX.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A decimal number; must be finite.
    Decimal(f64),
    /// A fraction: `0.25` is 25 %. Must be finite.
    Percent(f64),
    /// A number of percent: `16.5` is 16.5 %. Must be finite. Files for people
    /// (CSV, XLSX) show it with two decimals, JSON exactly.
    Percentage(f64),
    /// A calendar date, written without a zone.
    Date(NaiveDate),
    /// An instant, converted to the options' time zone in CSV and XLSX.
    DateTime(DateTime<Utc>),
}

impl Cell {
    /// How the cell reads for a person, in a PDF or a chart's data block:
    /// numbers as the XLSX sheet shows them (decimals and percentages to two
    /// decimals), instants to the second in `zone` with their offset, nothing
    /// for an empty cell.
    pub fn shown(&self, zone: Tz) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.clone(),
            Cell::Integer(value) => value.to_string(),
            Cell::Decimal(value) => {
                let text = format!("{value:.2}");
                text.trim_end_matches('0').trim_end_matches('.').to_owned()
            }
            Cell::Percent(value) => format!("{:.2}%", value * 100.0),
            Cell::Percentage(value) => format!("{value:.2}%"),
            Cell::Date(date) => date.to_string(),
            Cell::DateTime(at) => at
                .with_timezone(&zone)
                .to_rfc3339_opts(SecondsFormat::Secs, false)
                .replace('T', " "),
        }
    }

    /// The column kind this cell fits, or `None` for [`Cell::Empty`], which
    /// fits every column.
    pub fn kind(&self) -> Option<ColumnKind> {
        match self {
            Cell::Empty => None,
            Cell::Text(_) => Some(ColumnKind::Text),
            Cell::Integer(_) => Some(ColumnKind::Integer),
            Cell::Decimal(_) => Some(ColumnKind::Decimal),
            Cell::Percent(_) => Some(ColumnKind::Percent),
            Cell::Percentage(_) => Some(ColumnKind::Percentage),
            Cell::Date(_) => Some(ColumnKind::Date),
            Cell::DateTime(_) => Some(ColumnKind::DateTime),
        }
    }
}

/// A chart to draw from a table's columns: one category column along the
/// axis and one series per value column, or, for a table in long form (one row
/// per category and series, such as month and organization), one series per
/// distinct value of a `series` column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// Line, bar, stacked bar or pie.
    pub kind: ChartKind,
    /// Name of the column giving the categories (the x axis, or the pie's
    /// slices).
    pub category: String,
    /// Names of the numeric columns drawn as series; a pie takes exactly one.
    pub values: Vec<String>,
    /// Name of the column whose values split the rows into series, when the
    /// table is in long form; then `values` holds exactly one column.
    pub series: Option<String>,
}

impl Chart {
    /// A chart of `values` (column names) against `category` (a column name).
    pub fn new(kind: ChartKind, category: impl Into<String>, values: Vec<String>) -> Chart {
        Chart { kind, category: category.into(), values, series: None }
    }

    /// The same chart, with one series per value of the column `series`.
    pub fn by_series(mut self, series: impl Into<String>) -> Chart {
        self.series = Some(series.into());
        self
    }
}

/// The kind of a [`Chart`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    /// Lines through the values, one per series.
    Line,
    /// Vertical bars, one per category and series (Excel calls this a
    /// column chart).
    Bar,
    /// Vertical bars, one per category, each stacked from its series.
    StackedBar,
    /// One slice per category; exactly one series.
    Pie,
}

impl ChartKind {
    /// The kind's name in JSON: `line`, `bar`, `stacked_bar` or `pie`.
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Line => "line",
            ChartKind::Bar => "bar",
            ChartKind::StackedBar => "stacked_bar",
            ChartKind::Pie => "pie",
        }
    }
}

impl fmt::Display for ChartKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything about a table but its rows: what a streaming writer needs
/// before the first row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableHeader {
    /// Human title; also the XLSX sheet name, made valid and unique.
    pub title: String,
    /// The columns, in order; at least one, names unique.
    pub columns: Vec<Column>,
    /// A chart to draw from the columns, if any.
    pub chart: Option<Chart>,
}

impl TableHeader {
    /// A header without a chart.
    pub fn new(title: impl Into<String>, columns: Vec<Column>) -> TableHeader {
        TableHeader { title: title.into(), columns, chart: None }
    }

    /// The same header with `chart`.
    pub fn with_chart(mut self, chart: Chart) -> TableHeader {
        self.chart = Some(chart);
        self
    }

    /// Checks what the writers rely on: at least one column, snake_case
    /// names without repeats, and a chart that names existing columns, numeric
    /// value columns, at least one of them, and exactly one for a pie.
    pub fn check(&self) -> Result<(), ReportError> {
        if self.columns.is_empty() {
            return Err(ReportError::NoColumns { title: self.title.clone() });
        }
        for (index, column) in self.columns.iter().enumerate() {
            if !is_snake_case(&column.name) {
                return Err(ReportError::ColumnNameNotSnakeCase { name: column.name.clone() });
            }
            if self.columns[..index].iter().any(|earlier| earlier.name == column.name) {
                return Err(ReportError::DuplicateColumn { name: column.name.clone() });
            }
        }
        if let Some(chart) = &self.chart {
            self.check_chart(chart)?;
        }
        Ok(())
    }

    /// The position of the column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }

    fn check_chart(&self, chart: &Chart) -> Result<(), ReportError> {
        let unknown = |name: &str| ReportError::UnknownChartColumn { name: name.to_owned() };
        self.column_index(&chart.category).ok_or_else(|| unknown(&chart.category))?;
        if chart.values.is_empty() {
            return Err(ReportError::ChartWithoutValues { title: self.title.clone() });
        }
        if chart.kind == ChartKind::Pie && chart.values.len() > 1 {
            return Err(ReportError::PieChartWithManyValues { values: chart.values.clone() });
        }
        if let Some(series) = &chart.series {
            self.column_index(series).ok_or_else(|| unknown(series))?;
            if chart.values.len() > 1 {
                return Err(ReportError::SeriesChartWithManyValues {
                    series: series.clone(),
                    values: chart.values.clone(),
                });
            }
        }
        for name in &chart.values {
            let index = self.column_index(name).ok_or_else(|| unknown(name))?;
            let kind = self.columns[index].kind;
            if !kind.is_numeric() {
                return Err(ReportError::ChartValueNotNumeric { name: name.clone(), kind });
            }
        }
        Ok(())
    }
}

/// A whole table in memory: a header and its rows. For large tables, hand the
/// rows to [`write_rows`](crate::write_rows) or a [`TableWriter`](crate::TableWriter)
/// one at a time instead.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Title, columns and chart.
    pub header: TableHeader,
    /// The rows, each with exactly one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table of `rows` under `header`.
    pub fn new(header: TableHeader, rows: Vec<Vec<Cell>>) -> Table {
        Table { header, rows }
    }
}

/// Checks row `row` (0-based, not counting the header) against `columns`:
/// one cell per column, each empty or of its column's kind, numbers finite.
pub(crate) fn check_row(columns: &[Column], row: u64, cells: &[Cell]) -> Result<(), ReportError> {
    if cells.len() != columns.len() {
        return Err(ReportError::CellCount { row, expected: columns.len(), found: cells.len() });
    }
    for (column, cell) in columns.iter().zip(cells) {
        let Some(found) = cell.kind() else { continue };
        if found != column.kind {
            return Err(ReportError::CellKind {
                row,
                column: column.name.clone(),
                expected: column.kind,
                found,
            });
        }
        if let Cell::Decimal(value) | Cell::Percent(value) | Cell::Percentage(value) = cell
            && !value.is_finite()
        {
            return Err(ReportError::NonFiniteNumber {
                row,
                column: column.name.clone(),
                value: *value,
            });
        }
    }
    Ok(())
}

fn is_snake_case(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(header: TableHeader, expected: &str) {
        let found = match header.check() {
            Ok(()) => "ok".to_owned(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected);
    }

    fn columns() -> Vec<Column> {
        vec![
            Column::new("day", "Day", ColumnKind::Date),
            Column::new("seats", "Seats", ColumnKind::Integer),
            Column::new("note", "Note", ColumnKind::Text),
        ]
    }

    fn chart(kind: ChartKind, category: &str, values: &[&str]) -> Chart {
        Chart::new(kind, category, values.iter().map(|name| name.to_string()).collect())
    }

    #[test]
    fn headers() {
        check(TableHeader::new("Seats", columns()), "ok");
        check(TableHeader::new("Seats", vec![]), "table \"Seats\" has no columns");
        check(
            TableHeader::new("Seats", vec![Column::new("Day", "Day", ColumnKind::Date)]),
            "column name \"Day\" is not snake_case ([a-z][a-z0-9_]*)",
        );
        check(
            TableHeader::new("Seats", vec![Column::new("", "Day", ColumnKind::Date)]),
            "column name \"\" is not snake_case ([a-z][a-z0-9_]*)",
        );
        let mut repeated = columns();
        repeated.push(Column::new("seats", "Seats again", ColumnKind::Integer));
        check(TableHeader::new("Seats", repeated), "column name \"seats\" appears twice");
    }

    #[test]
    fn charts() {
        let header = TableHeader::new("Seats", columns());
        check(header.clone().with_chart(chart(ChartKind::Line, "day", &["seats"])), "ok");
        check(
            header.clone().with_chart(chart(ChartKind::Line, "week", &["seats"])),
            "the chart names column \"week\", which the table does not have",
        );
        check(
            header.clone().with_chart(chart(ChartKind::Bar, "day", &["note"])),
            "the chart draws column \"note\", but it holds text, not numbers",
        );
        check(
            header.clone().with_chart(chart(ChartKind::Bar, "day", &[])),
            "the chart of table \"Seats\" has no value columns",
        );
        check(
            header.with_chart(chart(ChartKind::Pie, "day", &["seats", "seats"])),
            "a pie chart draws one value column, not [\"seats\", \"seats\"]",
        );
    }

    fn check_cells(columns: &[Column], cells: &[Cell], expected: &str) {
        let found = match check_row(columns, 7, cells) {
            Ok(()) => "ok".to_owned(),
            Err(error) => error.to_string(),
        };
        assert_eq!(found, expected);
    }

    #[test]
    fn rows() {
        let columns = columns();
        let day = Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
        check_cells(&columns, &[day.clone(), Cell::Integer(3), Cell::Empty], "ok");
        check_cells(&columns, &[Cell::Empty, Cell::Empty, Cell::Empty], "ok");
        check_cells(
            &columns,
            std::slice::from_ref(&day),
            "row 7 (0-based) has 1 cells; the table has 3 columns",
        );
        check_cells(
            &columns,
            &[day, Cell::Decimal(3.0), Cell::Empty],
            "row 7 (0-based), column `seats`: expected integer, found decimal",
        );
        let share = [Column::new("share", "Share", ColumnKind::Percent)];
        check_cells(
            &share,
            &[Cell::Percent(f64::NAN)],
            "row 7 (0-based), column `share`: NaN is not a finite number",
        );
        check_cells(
            &share,
            &[Cell::Percent(f64::INFINITY)],
            "row 7 (0-based), column `share`: inf is not a finite number",
        );
    }
}
