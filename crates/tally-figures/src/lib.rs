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
//! let rows = [MonthlySeatsRow { month: "2026-03".into(), seats: 4, change: 1, change_percent: Some(33.3) }];
//! let table = MONTHLY_SEATS.to_table(&rows);
//! let mut csv = Vec::new();
//! tally_report::write_table(tally_report::Format::Csv, &table, &Default::default(), &mut csv).unwrap();
//! assert_eq!(String::from_utf8(csv).unwrap(), "month,seats,change,change_percent\r\n2026-03,4,1,33.3\r\n");
//! ```

#![deny(missing_docs)]

pub mod audit;
pub mod identity;
pub mod runs;
pub mod seats;
pub mod usage;
pub mod usage_reports;

use tally_report::{Cell, Column, ColumnKind, Table, TableHeader};

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

    /// The column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }
}

fn text(value: &str) -> Cell {
    Cell::Text(value.to_owned())
}

fn optional_text(value: Option<&str>) -> Cell {
    value.map_or(Cell::Empty, text)
}
