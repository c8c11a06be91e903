//! Tally's figures as typed tables: one definition of each table's rows and
//! columns, read from the store, that the API lists and the exporter writes.
//!
//! A [`FigureTable`] names a table's columns (name, title, type and how to read
//! the value from a row) and the columns that tell rows apart. Its rows are
//! plain structs that also serialise to JSON, so the API's JSON and the files
//! written through `tally-report` hold the same values under the same names.
//!
//! ```
//! use tally_figures::seats::{MONTHLY_SEATS, MonthlySeatsRow};
//!
//! let month = "2026-03".parse().unwrap();
//! // 4 seats after 3: +1 is 33.333...% of 3, written with two decimals.
//! let rows = [MonthlySeatsRow { month, seats: 4, change: 1, change_percent: Some(100.0 / 3.0) }];
//! let table = MONTHLY_SEATS.to_table(&rows);
//! let mut csv = Vec::new();
//! tally_report::write_table(tally_report::Format::Csv, &table, &Default::default(), &mut csv).unwrap();
//! assert_eq!(String::from_utf8(csv).unwrap(), "month,seats,change,change_percent\r\n2026-03,4,1,33.33\r\n");
//! ```

#![deny(missing_docs)]

pub mod audit;
pub mod dashboard;
pub mod identity;
pub mod monitor;
pub mod runs;
pub mod seats;
pub mod usage;
pub mod usage_reports;

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use tally_calendar::AccountCalendar;
use tally_report::{Cell, Column, ColumnKind, Table, TableHeader};
use tally_seats::{Month, start_of_day};

/// Why a filter cannot be used; each variant names the value at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A kind no event has.
    #[error("{kind:?} is not an event kind; see docs/events.md")]
    UnknownKind {
        /// The kind asked for.
        kind: String,
    },
    /// A range whose first month is after its last.
    #[error("from ({from}) is after to ({to})")]
    BackwardsRange {
        /// The first month asked for.
        from: Month,
        /// The last month asked for.
        to: Month,
    },
}

/// The instant a figure is as of, as a person gives it: an RFC 3339 instant,
/// or a date standing for the start of that day in the account's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstantOrDay {
    /// An instant, such as `2024-12-31T09:00:00Z`.
    Instant(DateTime<Utc>),
    /// A day, such as `2024-12-31`.
    Day(NaiveDate),
}

/// Text that is neither an instant nor a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is neither an RFC 3339 instant such as 2024-12-31T09:00:00Z nor a date such as \
     2024-12-31 (the start of that day in the account's time zone)"
)]
pub struct InstantOrDayError {
    /// The text given.
    pub text: String,
}

impl FromStr for InstantOrDay {
    type Err = InstantOrDayError;

    fn from_str(text: &str) -> Result<InstantOrDay, InstantOrDayError> {
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(InstantOrDay::Instant(at.with_timezone(&Utc)));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(InstantOrDay::Day)
            .map_err(|_| InstantOrDayError { text: text.to_owned() })
    }
}

impl InstantOrDay {
    /// The instant meant, in an account with this calendar.
    pub fn instant(self, calendar: &AccountCalendar) -> DateTime<Utc> {
        match self {
            InstantOrDay::Instant(at) => at,
            InstantOrDay::Day(day) => start_of_day(calendar, day),
        }
    }

    /// The instant meant by a viewer in `zone`.
    pub fn instant_in(self, zone: chrono_tz::Tz) -> DateTime<Utc> {
        self.instant(&AccountCalendar { time_zone: zone, ..AccountCalendar::default() })
    }
}

/// Months from `from` to `to`, both included; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthRange {
    from: Option<Month>,
    to: Option<Month>,
}

impl MonthRange {
    /// The months from `from` to `to`, refused when `from` is after `to`.
    pub fn new(from: Option<Month>, to: Option<Month>) -> Result<MonthRange, FilterError> {
        match (from, to) {
            (Some(from), Some(to)) if from > to => Err(FilterError::BackwardsRange { from, to }),
            _ => Ok(MonthRange { from, to }),
        }
    }

    /// Whether `month` is in the range.
    pub fn contains(&self, month: Month) -> bool {
        self.from.is_none_or(|from| month >= from) && self.to.is_none_or(|to| month <= to)
    }
}

/// One column of a figure table.
pub struct FigureColumn<R> {
    /// Name in JSON, CSV headers and the API's `sort`.
    pub name: &'static str,
    /// Header in XLSX.
    pub title: &'static str,
    /// The column's type.
    pub kind: ColumnKind,
    /// The row's value.
    pub cell: fn(&R) -> Cell,
}

/// A figure table's definition.
pub struct FigureTable<R: 'static> {
    /// The table's title (the XLSX sheet name).
    pub title: &'static str,
    /// Its columns, in order.
    pub columns: &'static [FigureColumn<R>],
    /// Columns that together tell rows apart, used to order ties.
    pub key: &'static [&'static str],
    /// The natural order: a column name, with a leading `-` for descending.
    pub default_sort: &'static str,
}

impl<R> FigureTable<R> {
    /// The header `tally-report` writes.
    pub fn header(&self) -> TableHeader {
        TableHeader::new(
            self.title,
            self.columns
                .iter()
                .map(|column| Column::new(column.name, column.title, column.kind))
                .collect(),
        )
    }

    /// One row's cells, in column order.
    pub fn cells(&self, row: &R) -> Vec<Cell> {
        self.columns.iter().map(|column| (column.cell)(row)).collect()
    }

    /// The rows as a `tally-report` table.
    pub fn to_table(&self, rows: &[R]) -> Table {
        Table::new(self.header(), rows.iter().map(|row| self.cells(row)).collect())
    }

    /// The values a listing of this table's `sort` takes: every column, either way.
    pub fn sort_choices(&self) -> Vec<String> {
        self.columns
            .iter()
            .flat_map(|column| [column.name.to_owned(), format!("-{}", column.name)])
            .collect()
    }

    /// The column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }
}

/// Writes a value as its `Display` text: a month as `YYYY-MM`, a status as
/// its wire name.
fn display<T: std::fmt::Display, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

fn text(value: &str) -> Cell {
    Cell::Text(value.to_owned())
}

fn optional_text(value: Option<&str>) -> Cell {
    value.map_or(Cell::Empty, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(text: &str) -> Month {
        text.parse().unwrap()
    }

    fn check(from: Option<&str>, to: Option<&str>, expected: &[(&str, bool)]) {
        let range = MonthRange::new(from.map(month), to.map(month)).unwrap();
        for (text, inside) in expected {
            assert_eq!(range.contains(month(text)), *inside, "{from:?}..={to:?} {text}");
        }
    }

    #[test]
    fn an_instant_or_a_day_is_read_and_placed_in_the_accounts_zone() {
        let berlin =
            AccountCalendar { time_zone: chrono_tz::Europe::Berlin, ..AccountCalendar::default() };
        let utc = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        let read = |text: &str| text.parse::<InstantOrDay>().unwrap().instant(&berlin);
        // An instant stays itself whatever the zone; an offset is honoured.
        assert_eq!(read("2024-12-31T09:00:00Z"), utc("2024-12-31T09:00:00Z"));
        assert_eq!(read("2024-12-31T10:00:00+01:00"), utc("2024-12-31T09:00:00Z"));
        // Midnight on 2024-12-31 in Berlin (CET, +1) is 23:00Z the day before;
        // on 2024-07-01 (CEST, +2) it is 22:00Z.
        assert_eq!(read("2024-12-31"), utc("2024-12-30T23:00:00Z"));
        assert_eq!(read("2024-07-01"), utc("2024-06-30T22:00:00Z"));
        for text in ["2024-12", "2024-12-32", "31.12.2024", "2024-12-31T09:00", ""] {
            let error = text.parse::<InstantOrDay>().unwrap_err().to_string();
            assert_eq!(
                error,
                format!(
                    "{text:?} is neither an RFC 3339 instant such as 2024-12-31T09:00:00Z nor a \
                     date such as 2024-12-31 (the start of that day in the account's time zone)"
                )
            );
        }
    }

    #[test]
    fn a_month_range_holds_both_ends() {
        check(
            Some("2026-02"),
            Some("2026-04"),
            &[("2026-01", false), ("2026-02", true), ("2026-04", true), ("2026-05", false)],
        );
        // Months order by year first: 2025-12 is before 2026-01.
        check(Some("2025-12"), None, &[("2025-11", false), ("2025-12", true), ("2026-01", true)]);
        check(None, Some("2026-01"), &[("2025-12", true), ("2026-02", false)]);
        check(Some("2026-03"), Some("2026-03"), &[("2026-03", true), ("2026-04", false)]);
    }

    #[test]
    fn a_backwards_range_is_refused_naming_both_ends() {
        let error = MonthRange::new(Some(month("2026-05")), Some(month("2026-03"))).unwrap_err();
        assert_eq!(error.to_string(), "from (2026-05) is after to (2026-03)");
    }
}
