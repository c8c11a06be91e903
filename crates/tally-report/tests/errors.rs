//! What the writers refuse, and how they say so. Rows are numbered from 0,
//! not counting the header.

use std::error::Error as _;

use tally_report::{
    Cell, Column, ColumnKind, Format, ReportError, Table, TableHeader, WriteOptions, write_rows,
    write_table, write_workbook,
};

use crate::common::{berlin, date, instant, text};

fn seats_header() -> TableHeader {
    TableHeader::new(
        "Seats",
        vec![
            Column::new("month", "Month", ColumnKind::Date),
            Column::new("seats", "Seats", ColumnKind::Integer),
        ],
    )
}

/// Writes `table` in every format and checks each fails with `expected`.
fn check_all_formats(table: &Table, expected: &str) {
    for format in [Format::Csv, Format::Json, Format::Xlsx] {
        let error = write_table(format, table, &berlin(), Vec::new()).unwrap_err();
        assert_eq!(error.to_string(), expected, "{format}");
    }
}

#[test]
fn a_row_with_the_wrong_cell_count() {
    let rows = vec![vec![date("2026-01-01"), Cell::Integer(40)], vec![date("2026-02-01")]];
    check_all_formats(
        &Table::new(seats_header(), rows),
        "row 1 (0-based) has 1 cells; the table has 2 columns",
    );
    let error =
        write_table(Format::Csv, &Table::new(seats_header(), vec![vec![]]), &berlin(), Vec::new())
            .unwrap_err();
    assert!(matches!(error, ReportError::CellCount { row: 0, expected: 2, found: 0 }), "{error:?}");
}

#[test]
fn a_cell_of_the_wrong_kind() {
    let rows = vec![
        vec![date("2026-01-01"), Cell::Integer(40)],
        vec![Cell::Empty, Cell::Empty],
        vec![date("2026-03-01"), text("41")],
    ];
    check_all_formats(
        &Table::new(seats_header(), rows),
        "row 2 (0-based), column `seats`: expected integer, found text",
    );
    let rows = vec![vec![instant("2026-01-01T00:00:00Z"), Cell::Integer(40)]];
    check_all_formats(
        &Table::new(seats_header(), rows),
        "row 0 (0-based), column `month`: expected date, found date_time",
    );
}

#[test]
fn a_number_that_is_not_finite() {
    let header =
        TableHeader::new("Hours", vec![Column::new("hours", "Hours", ColumnKind::Decimal)]);
    let rows = vec![vec![Cell::Decimal(1.0)], vec![Cell::Decimal(f64::NEG_INFINITY)]];
    check_all_formats(
        &Table::new(header, rows),
        "row 1 (0-based), column `hours`: -inf is not a finite number",
    );
}

#[test]
fn a_bad_header_writes_nothing() {
    let mut header = seats_header();
    header.columns.push(Column::new("seats", "Seats again", ColumnKind::Integer));
    for format in [Format::Csv, Format::Json, Format::Xlsx] {
        let mut out = Vec::new();
        let error = write_rows(
            format,
            &header,
            Vec::<Result<Vec<Cell>, ReportError>>::new(),
            &berlin(),
            &mut out,
        );
        assert_eq!(
            error.unwrap_err().to_string(),
            "column name \"seats\" appears twice",
            "{format}"
        );
        assert_eq!(out, b"", "{format}");
    }
}

#[test]
fn a_failing_row_source_stops_the_writing() {
    let rows = vec![
        Ok(vec![date("2026-01-01"), Cell::Integer(40)]),
        Err(ReportError::row_source(std::io::Error::other("cursor closed"))),
        Ok(vec![date("2026-03-01"), Cell::Integer(41)]),
    ];
    let mut out = Vec::new();
    let error = write_rows(Format::Csv, &seats_header(), rows, &berlin(), &mut out).unwrap_err();
    assert!(matches!(error, ReportError::RowSource(_)), "{error:?}");
    assert_eq!(error.source().unwrap().to_string(), "cursor closed");
    // The first row went through before the failure.
    assert_eq!(String::from_utf8(out).unwrap(), "month,seats\r\n2026-01-01,40\r\n");
}

#[test]
fn dates_excel_cannot_show() {
    let header = TableHeader::new(
        "Days",
        vec![
            Column::new("day", "Day", ColumnKind::Date),
            Column::new("at", "At", ColumnKind::DateTime),
        ],
    );
    let check = |cells: Vec<Cell>, expected: &str| {
        let table = Table::new(header.clone(), vec![cells.clone()]);
        let error = write_table(Format::Xlsx, &table, &berlin(), Vec::new()).unwrap_err();
        assert_eq!(error.to_string(), expected);
        // CSV and JSON take any date.
        write_table(Format::Csv, &table, &berlin(), Vec::new()).unwrap();
        write_table(Format::Json, &table, &berlin(), Vec::new()).unwrap();
    };
    let outside = "is outside the dates an XLSX sheet can show (1900-01-01 to 9999-12-31)";
    check(
        vec![date("1899-12-31"), Cell::Empty],
        &format!("row 0 (0-based), column `day`: 1899-12-31 {outside}"),
    );
    // 23:30Z on the last day of 9999 is already 10000 in Berlin (UTC+1).
    check(
        vec![date("9999-12-31"), instant("9999-12-31T23:30:00Z")],
        &format!("row 0 (0-based), column `at`: +10000-01-01 00:30:00 {outside}"),
    );
}

#[test]
fn text_longer_than_an_xlsx_cell() {
    let header = TableHeader::new("Notes", vec![Column::new("note", "Note", ColumnKind::Text)]);
    let write = |text: String| {
        write_table(
            Format::Xlsx,
            &Table::new(header.clone(), vec![vec![Cell::Text(text)]]),
            &berlin(),
            Vec::new(),
        )
    };
    write("x".repeat(32_767)).unwrap();
    assert_eq!(
        write("x".repeat(32_768)).unwrap_err().to_string(),
        "row 0 (0-based), column `note`: text of 32768 UTF-16 units is longer than an XLSX cell holds (32767)"
    );
    // 16,384 characters outside the Basic Multilingual Plane are 32,768 units.
    assert!(matches!(
        write("𝄞".repeat(16_384)).unwrap_err(),
        ReportError::TextTooLongForXlsx { row: 0, length_utf16: 32_768, .. }
    ));
}

#[test]
fn workbook_errors_name_the_table() {
    let good = Table::new(seats_header(), vec![vec![date("2026-01-01"), Cell::Integer(40)]]);
    let mut broken = good.clone();
    broken.header.title = "Broken".to_owned();
    broken.rows.push(vec![Cell::Integer(41), Cell::Integer(41)]);
    let error = write_workbook(&[good.clone(), broken], &berlin(), Vec::new()).unwrap_err();
    assert_eq!(error.to_string(), "table \"Broken\"");
    assert_eq!(
        error.source().unwrap().to_string(),
        "row 1 (0-based), column `month`: expected date, found integer"
    );

    let mut unnamed = good;
    unnamed.header.columns[0].name = "Month".to_owned();
    let error = write_workbook(&[unnamed], &berlin(), Vec::new()).unwrap_err();
    assert!(matches!(&error, ReportError::InTable { title, .. } if title == "Seats"), "{error:?}");

    assert!(matches!(
        write_workbook(&[], &WriteOptions::default(), Vec::new()),
        Err(ReportError::NoTables)
    ));
}
