//! The one error type of the writers.

use rust_xlsxwriter::XlsxError;

use crate::ColumnKind;

/// Why a table could not be written. Row numbers are 0-based and do not count
/// the header: row 0 is the first row of data.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The header has no columns.
    #[error("table {title:?} has no columns")]
    NoColumns {
        /// The table's title.
        title: String,
    },
    /// A column name is not snake_case.
    #[error("column name {name:?} is not snake_case ([a-z][a-z0-9_]*)")]
    ColumnNameNotSnakeCase {
        /// The offending name.
        name: String,
    },
    /// Two columns have the same name.
    #[error("column name {name:?} appears twice")]
    DuplicateColumn {
        /// The repeated name.
        name: String,
    },
    /// The chart names a column the table does not have.
    #[error("the chart names column {name:?}, which the table does not have")]
    UnknownChartColumn {
        /// The name the chart gave.
        name: String,
    },
    /// The chart has no value columns.
    #[error("the chart of table {title:?} has no value columns")]
    ChartWithoutValues {
        /// The table's title.
        title: String,
    },
    /// A pie chart names more than one value column.
    #[error("a pie chart draws one value column, not {values:?}")]
    PieChartWithManyValues {
        /// The value columns the chart named.
        values: Vec<String>,
    },
    /// A chart in long form (with a series column) names more than one value
    /// column.
    #[error("a chart with series from column {series:?} draws one value column, not {values:?}")]
    SeriesChartWithManyValues {
        /// The series column.
        series: String,
        /// The value columns the chart named.
        values: Vec<String>,
    },
    /// The chart draws a column that does not hold numbers.
    #[error("the chart draws column {name:?}, but it holds {kind}, not numbers")]
    ChartValueNotNumeric {
        /// The column's name.
        name: String,
        /// The column's kind.
        kind: ColumnKind,
    },
    /// A row has more or fewer cells than the table has columns.
    #[error("row {row} (0-based) has {found} cells; the table has {expected} columns")]
    CellCount {
        /// 0-based index of the row among the data rows.
        row: u64,
        /// The number of columns.
        expected: usize,
        /// The number of cells in the row.
        found: usize,
    },
    /// A cell is not of its column's kind.
    #[error("row {row} (0-based), column `{column}`: expected {expected}, found {found}")]
    CellKind {
        /// 0-based index of the row among the data rows.
        row: u64,
        /// The column's name.
        column: String,
        /// The column's kind.
        expected: ColumnKind,
        /// The kind of the cell given.
        found: ColumnKind,
    },
    /// A decimal or percent cell is NaN or infinite, which JSON cannot carry
    /// and a spreadsheet shows as an error.
    #[error("row {row} (0-based), column `{column}`: {value} is not a finite number")]
    NonFiniteNumber {
        /// 0-based index of the row among the data rows.
        row: u64,
        /// The column's name.
        column: String,
        /// The value given.
        value: f64,
    },
    /// A date or date-time falls outside the days Excel can show.
    #[error(
        "row {row} (0-based), column `{column}`: {value} is outside the dates an XLSX sheet can show (1900-01-01 to 9999-12-31)"
    )]
    DateOutsideXlsxRange {
        /// 0-based index of the row among the data rows.
        row: u64,
        /// The column's name.
        column: String,
        /// The date, or the date-time in the options' time zone.
        value: String,
    },
    /// A text cell is longer than an XLSX cell holds (32,767 UTF-16 units).
    #[error(
        "row {row} (0-based), column `{column}`: text of {length_utf16} UTF-16 units is longer than an XLSX cell holds (32767)"
    )]
    TextTooLongForXlsx {
        /// 0-based index of the row among the data rows.
        row: u64,
        /// The column's name.
        column: String,
        /// The text's length in UTF-16 code units, as Excel counts.
        length_utf16: usize,
    },
    /// The table has more columns than an XLSX sheet holds.
    #[error("the table has {columns} columns; an XLSX sheet holds 16384")]
    TooManyColumnsForXlsx {
        /// The number of columns.
        columns: usize,
    },
    /// The table has more rows than an XLSX sheet holds below its header.
    #[error("row {row} (0-based) does not fit: an XLSX sheet holds 1048575 rows below its header")]
    TooManyRowsForXlsx {
        /// 0-based index of the first row that did not fit.
        row: u64,
    },
    /// [`write_workbook`](crate::write_workbook) was given no tables, or a
    /// [`WorkbookWriter`](crate::WorkbookWriter) was finished with no sheet.
    #[error("a workbook needs at least one table")]
    NoTables,
    /// A row was given to a [`WorkbookWriter`](crate::WorkbookWriter) before
    /// any sheet was started.
    #[error("a row came before any sheet was started")]
    NoSheetStarted,
    /// A table of [`write_workbook`](crate::write_workbook) or a sheet of a
    /// [`WorkbookWriter`](crate::WorkbookWriter) could not be written.
    #[error("table {title:?}")]
    InTable {
        /// The table's title.
        title: String,
        /// What went wrong in it.
        source: Box<ReportError>,
    },
    /// The iterator handing rows to [`write_rows`](crate::write_rows) failed.
    #[error("reading the rows to write failed")]
    RowSource(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Writing to the output, or to the XLSX writer's temporary files, failed.
    #[error("writing the report failed")]
    Io(#[from] std::io::Error),
    /// The CSV writer failed other than by I/O.
    #[error("writing CSV failed: {message}")]
    Csv {
        /// The `csv` crate's description of the failure.
        message: String,
    },
    /// The XLSX writer failed other than by I/O.
    #[error("writing XLSX failed")]
    Xlsx(#[source] XlsxError),
}

impl ReportError {
    /// Wraps the error of a row source (a database cursor, a file) so that it
    /// can be handed through [`write_rows`](crate::write_rows).
    pub fn row_source(error: impl std::error::Error + Send + Sync + 'static) -> ReportError {
        ReportError::RowSource(Box::new(error))
    }
}

impl From<csv::Error> for ReportError {
    fn from(error: csv::Error) -> ReportError {
        match error.into_kind() {
            csv::ErrorKind::Io(error) => ReportError::Io(error),
            // The writer gets records of one length and no serde values, so
            // nothing else is expected; keep the description should it happen.
            other => ReportError::Csv { message: format!("{other:?}") },
        }
    }
}

impl From<XlsxError> for ReportError {
    fn from(error: XlsxError) -> ReportError {
        match error {
            XlsxError::IoError(error) => ReportError::Io(error),
            other => ReportError::Xlsx(other),
        }
    }
}
