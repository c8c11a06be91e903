//! XLSX, read back by independent readers: calamine for the values, the zip
//! crate for the sheet XML that calamine does not expose (frozen pane,
//! autofilter, widths, styles, charts).

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDateTime;
use tally_report::{
    Cell, Chart, ChartKind, Column, ColumnKind, Format, Table, TableHeader, WriteOptions,
    write_table, write_workbook,
};

use crate::common::{berlin, date, sample_table, text};

fn write(table: &Table, options: &WriteOptions) -> Vec<u8> {
    let mut out = Vec::new();
    write_table(Format::Xlsx, table, options, &mut out).unwrap();
    out
}

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap()
}

/// A file of the zip, or `None` if it is not there.
fn zip_entry(bytes: &[u8], name: &str) -> Option<String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut file = archive.by_name(name).ok()?;
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    Some(text)
}

/// The element starting with `start` in `xml`, up to its first `>`.
fn element<'a>(xml: &'a str, start: &str) -> &'a str {
    let at = xml.find(start).unwrap_or_else(|| panic!("no {start} in {xml}"));
    let end = at + xml[at..].find('>').unwrap();
    &xml[at..=end]
}

/// The date-time cell's serial (days since Excel's epoch, time as the
/// fraction) and its local date-time, or a panic naming what was there.
fn date_time(cell: &Data) -> (f64, NaiveDateTime) {
    match cell {
        Data::DateTime(value) => (value.as_f64(), value.as_datetime().unwrap()),
        other => panic!("expected a date cell, found {other:?}"),
    }
}

fn local(text: &str) -> NaiveDateTime {
    text.parse().unwrap()
}

fn assert_close(found: f64, expected: f64) {
    assert!((found - expected).abs() < 1e-9, "{found} is not {expected}");
}

#[test]
fn values_and_real_date_cells() {
    let bytes = write(&sample_table(), &berlin());
    let mut workbook = open(&bytes);
    assert_eq!(workbook.sheet_names(), ["Logins"]);
    let range = workbook.worksheet_range("Logins").unwrap();
    assert_eq!((range.start(), range.end()), (Some((0, 0)), Some((8, 5))));
    let cell = |row: u32, col: u32| range.get_value((row, col)).unwrap().clone();

    let header: Vec<Data> = (0..6).map(|col| cell(0, col)).collect();
    let strings = ["Day", "User", "Logins", "Hours", "Share", "Last login (Europe/Berlin)"];
    assert_eq!(header, strings.map(|title| Data::String(title.to_owned())));

    // Serials count days from 1899-12-30: 2024-01-01 is 45292, 2025-01-01 is
    // 45292 + 366 = 45658, 2026-01-01 is 45658 + 365 = 46023, so 2026-03-02 is
    // 46023 + 31 + 28 + 1 = 46083.
    assert_close(date_time(&cell(1, 0)).0, 46083.0);
    assert_eq!(cell(1, 1), Data::String("Ada \"the first\", Lovelace".to_owned()));
    assert_eq!(cell(1, 2), Data::Float(3.0));
    assert_eq!(cell(1, 3), Data::Float(1.5));
    assert_eq!(cell(1, 4), Data::Float(0.25));
    // 08:00Z is 09:00 in Berlin: 46083 + 9/24.
    assert_eq!(date_time(&cell(1, 5)), (46083.375, local("2026-03-02T09:00:00")));

    assert_eq!(cell(2, 1), Data::String("line one\nline two".to_owned()));
    assert_eq!(cell(2, 2), Data::Float(-7.0));
    assert_eq!(cell(2, 4), Data::Float(1.0));
    // 2026-03-29 is 46083 + 27 = 46110; 00:30Z is 01:30 CET: + 1.5/24 = 0.0625.
    assert_eq!(date_time(&cell(2, 5)), (46110.0625, local("2026-03-29T01:30:00")));

    assert_eq!(cell(3, 1), Data::String("=HYPERLINK(\"http://x\",\"y\")".to_owned()));
    // 01:30Z is after the switch to summer time: 03:30 CEST, + 3.5/24.
    let (serial, shown) = date_time(&cell(3, 5));
    assert_close(serial, 46110.0 + 3.5 / 24.0);
    assert_eq!(shown, local("2026-03-29T03:30:00"));

    assert_eq!(cell(4, 0), Data::Empty);
    assert_eq!(cell(4, 1), Data::String("+1".to_owned()));
    assert_eq!(cell(4, 5), Data::Empty);

    // 2026-10-25 is day 273 + 25 = 298 of the year: 46023 + 297 = 46320.
    assert_close(date_time(&cell(5, 0)).0, 46320.0);
    assert_eq!(cell(5, 1), Data::String("-5".to_owned()));
    // Excel keeps numbers as f64: 2^63 - 1 becomes 2^63.
    assert_eq!(cell(5, 2), Data::Float(9_223_372_036_854_775_808.0));
    // 00:30Z and 01:30Z on 25 October are both 02:30 local (CEST, then CET):
    // Excel has no zone, so the two instants look alike.
    let (serial, shown) = date_time(&cell(5, 5));
    assert_close(serial, 46320.0 + 2.5 / 24.0);
    assert_eq!(shown, local("2026-10-25T02:30:00"));
    assert_eq!(date_time(&cell(6, 5)).1, local("2026-10-25T02:30:00"));

    assert_eq!(cell(6, 1), Data::String("@SUM(A1)".to_owned()));
    assert_eq!(cell(7, 1), Data::String("\t=1".to_owned()));
    assert_eq!(cell(8, 1), Data::String("\r=1".to_owned()));
}

#[test]
fn formula_looking_text_is_a_quote_prefixed_string_not_a_formula() {
    let bytes = write(&sample_table(), &berlin());
    let mut workbook = open(&bytes);
    let formulas = workbook.worksheet_formula("Logins").unwrap();
    assert_eq!(formulas.used_cells().filter(|(_, _, formula)| !formula.is_empty()).count(), 0);

    // The quote prefix is a cell style: find the one cell format with it, and
    // check that exactly the formula-looking cells B4, B5, B6, B7, B8 and B9
    // use it.
    let styles = zip_entry(&bytes, "xl/styles.xml").unwrap();
    let cell_formats =
        &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    let formats: Vec<&str> = cell_formats.split("<xf ").skip(1).collect();
    let quoted: Vec<usize> =
        (0..formats.len()).filter(|&index| formats[index].contains("quotePrefix=\"1\"")).collect();
    assert_eq!(quoted.len(), 1, "{cell_formats}");
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml").unwrap();
    let style_of = |cell: &str| {
        let element = element(&sheet, &format!("<c r=\"{cell}\""));
        element
            .split(" s=\"")
            .nth(1)
            .map(|rest| rest[..rest.find('"').unwrap()].parse::<usize>().unwrap())
    };
    for cell in ["B4", "B5", "B6", "B7", "B8", "B9"] {
        assert_eq!(style_of(cell), Some(quoted[0]), "{cell}");
    }
    for cell in ["B2", "B3"] {
        assert_ne!(style_of(cell), Some(quoted[0]), "{cell}");
    }
}

#[test]
fn frozen_header_autofilter_widths_and_formats() {
    let bytes = write(&sample_table(), &berlin());
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml").unwrap();
    assert_eq!(
        element(&sheet, "<pane"),
        "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
    );
    // A header and 8 rows over columns A to F.
    assert_eq!(element(&sheet, "<autoFilter"), "<autoFilter ref=\"A1:F9\"/>");
    // Widths in characters: the longer of the header + 3 and the widest value
    // + 1. Excel stores w as w + 0.7109375: (7w + 5) pixels back in 256ths of
    // a character, 5/7 * 256 = 182.86, so 182/256.
    // A: "Day" 3 + 3 = 6, yyyy-mm-dd 10 + 1 = 11.
    // B: `=HYPERLINK("http://x","y")` 26 + 1 = 27 (`Ada "the first", Lovelace` is 25).
    // C: "Logins" 6 + 3 = 9, 9223372036854775807 19 + 1 = 20.
    // D: "Hours" 5 + 3 = 8, "-0.50" 5 + 1 = 6.
    // E: "Share" 5 + 3 = 8, "100.0%" 6 + 1 = 7.
    // F: "Last login (Europe/Berlin)" 26 + 3 = 29, date-times 19 + 1 = 20.
    // Adjacent columns of one width share a <col> element: D and E.
    let col = |min: u32, max: u32, width: u32| {
        format!("<col min=\"{min}\" max=\"{max}\" width=\"{width}.7109375\" customWidth=\"1\"/>")
    };
    let expected =
        [col(1, 1, 11), col(2, 2, 27), col(3, 3, 20), col(4, 5, 8), col(6, 6, 29)].concat();
    assert_eq!(
        &sheet[sheet.find("<cols>").unwrap()..sheet.find("</cols>").unwrap()],
        format!("<cols>{expected}")
    );
    let styles = zip_entry(&bytes, "xl/styles.xml").unwrap();
    for code in ["0.00", "0.0%", "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"] {
        assert!(styles.contains(&format!("formatCode=\"{code}\"")), "{code} not in {styles}");
    }
    // The header is bold.
    assert!(styles.contains("<b/>"), "{styles}");
}

#[test]
fn widths_are_capped_at_60() {
    let header = TableHeader::new("Notes", vec![Column::new("note", "Note", ColumnKind::Text)]);
    let table = Table::new(header, vec![vec![text(&"x".repeat(100))]]);
    let sheet =
        zip_entry(&write(&table, &WriteOptions::default()), "xl/worksheets/sheet1.xml").unwrap();
    assert!(
        sheet.contains("<col min=\"1\" max=\"1\" width=\"60.7109375\" customWidth=\"1\"/>"),
        "{sheet}"
    );
}

#[test]
fn chart_of_a_single_table() {
    let bytes = write(&sample_table(), &berlin());
    let chart = zip_entry(&bytes, "xl/charts/chart1.xml").unwrap();
    assert!(chart.contains("<c:lineChart>"), "{chart}");
    // Categories are the days, values the logins, rows 2 to 9.
    assert!(chart.contains("<c:f>Logins!$A$2:$A$9</c:f>"), "{chart}");
    assert!(chart.contains("<c:f>Logins!$C$2:$C$9</c:f>"), "{chart}");
    assert!(chart.contains("<c:f>Logins!$C$1</c:f>"), "{chart}");
}

#[test]
fn a_chart_without_rows_is_not_drawn() {
    let table = Table::new(sample_table().header, vec![]);
    let bytes = write(&table, &WriteOptions::default());
    assert_eq!(zip_entry(&bytes, "xl/charts/chart1.xml"), None);
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml").unwrap();
    assert_eq!(element(&sheet, "<autoFilter"), "<autoFilter ref=\"A1:F1\"/>");
}

fn seats_table(title: &str, chart: Option<Chart>) -> Table {
    let header = TableHeader {
        title: title.to_owned(),
        columns: vec![
            Column::new("month", "Month", ColumnKind::Date),
            Column::new("seats", "Seats", ColumnKind::Integer),
        ],
        chart,
    };
    Table::new(
        header,
        vec![
            vec![date("2026-01-01"), Cell::Integer(40)],
            vec![date("2026-02-01"), Cell::Integer(42)],
        ],
    )
}

#[test]
fn workbook_has_a_sheet_per_table_with_unique_valid_names() {
    let tables = [
        seats_table("Seats", Some(Chart::new(ChartKind::Bar, "month", vec!["seats".to_owned()]))),
        seats_table("seats", None),
        seats_table(
            "Logins: March/April",
            Some(Chart::new(ChartKind::Pie, "month", vec!["seats".to_owned()])),
        ),
    ];
    let mut bytes = Vec::new();
    write_workbook(&tables, &WriteOptions::default(), &mut bytes).unwrap();
    let mut workbook = open(&bytes);
    assert_eq!(workbook.sheet_names(), ["Seats", "seats (2)", "Logins_ March_April"]);
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).unwrap();
        assert_eq!(range.get_value((0, 0)), Some(&Data::String("Month".to_owned())), "{name}");
        assert_eq!(range.get_value((0, 1)), Some(&Data::String("Seats".to_owned())), "{name}");
        // 2026-02-01 is 46023 + 31 = 46054.
        assert_close(date_time(range.get_value((2, 0)).unwrap()).0, 46054.0);
        assert_eq!(range.get_value((2, 1)), Some(&Data::Float(42.0)), "{name}");
    }
    for sheet in 1..=3 {
        let xml = zip_entry(&bytes, &format!("xl/worksheets/sheet{sheet}.xml")).unwrap();
        assert_eq!(element(&xml, "<autoFilter"), "<autoFilter ref=\"A1:B3\"/>");
        assert!(element(&xml, "<pane").contains("state=\"frozen\""));
    }
    // Bars stand up (Excel's column chart); the pie refers to its sheet by
    // its quoted name.
    let bar = zip_entry(&bytes, "xl/charts/chart1.xml").unwrap();
    assert!(bar.contains("<c:barChart>") && bar.contains("<c:barDir val=\"col\"/>"), "{bar}");
    assert!(bar.contains("<c:f>Seats!$B$2:$B$3</c:f>"), "{bar}");
    // The months along the axis are shown as dates, not serial numbers.
    assert!(bar.contains("<c:numFmt formatCode=\"yyyy-mm-dd\" sourceLinked=\"0\"/>"), "{bar}");
    let pie = zip_entry(&bytes, "xl/charts/chart2.xml").unwrap();
    assert!(pie.contains("<c:pieChart>"), "{pie}");
    assert!(pie.contains("<c:f>'Logins_ March_April'!$B$2:$B$3</c:f>"), "{pie}");
    assert_eq!(zip_entry(&bytes, "xl/charts/chart3.xml"), None);
}

#[test]
fn a_chart_of_percents_has_a_percent_axis() {
    let header = TableHeader::new(
        "Share",
        vec![
            Column::new("plan", "Plan", ColumnKind::Text),
            Column::new("share", "Share", ColumnKind::Percent),
        ],
    )
    .with_chart(Chart::new(ChartKind::Bar, "plan", vec!["share".to_owned()]));
    let table = Table::new(
        header,
        vec![vec![text("Team"), Cell::Percent(0.4)], vec![text("Enterprise"), Cell::Percent(0.6)]],
    );
    let chart =
        zip_entry(&write(&table, &WriteOptions::default()), "xl/charts/chart1.xml").unwrap();
    // Text categories need no format; the value axis counts in percent.
    assert!(chart.contains("<c:numFmt formatCode=\"0%\" sourceLinked=\"0\"/>"), "{chart}");
    assert!(!chart.contains("formatCode=\"yyyy-mm-dd\""), "{chart}");
}

#[test]
fn a_percentage_is_the_exact_number_shown_with_two_decimals() {
    let header = TableHeader::new(
        "Changes",
        vec![Column::new("change_percent", "Change (%)", ColumnKind::Percentage)],
    );
    let table = Table::new(header, vec![vec![Cell::Percentage(16.544117647058822)]]);
    let bytes = write(&table, &berlin());
    let mut workbook = open(&bytes);
    let range = workbook.worksheet_range("Changes").unwrap();
    assert_eq!(range.get((1, 0)), Some(&Data::Float(16.544117647058822)));
    let styles = zip_entry(&bytes, "xl/styles.xml").unwrap();
    assert!(styles.contains("formatCode=\"0.00\""), "{styles}");
}

#[test]
fn a_chart_in_long_form_draws_its_rows_pivoted_under_the_table() {
    // Runs by month and organization: Jan north 3, south 1; Feb north 2 and
    // north 4 again (a category met twice for one series adds up: 6). The
    // pivot lies under the four rows and a blank row: its name on row 7, its
    // header on row 8 (Month, north, south), Jan on row 9, Feb on row 10; Feb
    // has no south, so that cell stays empty.
    let header = TableHeader::new(
        "Runs",
        vec![
            Column::new("month", "Month", ColumnKind::Text),
            Column::new("organization", "Organization", ColumnKind::Text),
            Column::new("runs", "Runs", ColumnKind::Integer),
        ],
    )
    .with_chart(
        Chart::new(ChartKind::StackedBar, "month", vec!["runs".to_owned()])
            .by_series("organization"),
    );
    let table = Table::new(
        header,
        vec![
            vec![text("2026-01"), text("north"), Cell::Integer(3)],
            vec![text("2026-01"), text("south"), Cell::Integer(1)],
            vec![text("2026-02"), text("north"), Cell::Integer(2)],
            vec![text("2026-02"), text("north"), Cell::Integer(4)],
        ],
    );
    let bytes = write(&table, &WriteOptions::default());
    let mut workbook = open(&bytes);
    let range = workbook.worksheet_range("Runs").unwrap();
    let cell = |row: u32, column: u32| range.get_value((row, column)).cloned();
    assert_eq!(cell(6, 0), Some(Data::String("Chart data: Runs by Organization".to_owned())));
    let header: Vec<_> = (0..3).map(|column| cell(7, column)).collect();
    assert_eq!(header, ["Month", "north", "south"].map(|name| Some(Data::String(name.to_owned()))));
    assert_eq!(cell(8, 0), Some(Data::String("2026-01".to_owned())));
    assert_eq!((cell(8, 1), cell(8, 2)), (Some(Data::Float(3.0)), Some(Data::Float(1.0))));
    assert_eq!(cell(9, 0), Some(Data::String("2026-02".to_owned())));
    assert_eq!(cell(9, 1), Some(Data::Float(6.0)));
    assert!(matches!(cell(9, 2), None | Some(Data::Empty)));

    // The chart stacks one series per organization over those rows.
    let chart = zip_entry(&bytes, "xl/charts/chart1.xml").unwrap();
    assert!(chart.contains("<c:grouping val=\"stacked\"/>"), "{chart}");
    assert!(chart.contains("<c:f>Runs!$A$9:$A$10</c:f>"), "{chart}");
    assert!(chart.contains("<c:f>Runs!$B$9:$B$10</c:f>"), "{chart}");
    assert!(chart.contains("<c:f>Runs!$C$9:$C$10</c:f>"), "{chart}");
    assert!(chart.contains("<c:f>Runs!$B$8</c:f>"), "{chart}");
}

#[test]
fn a_chart_in_long_form_names_series_of_numbers_as_the_sheet_shows_them() {
    // Logins by day and plan tier (1 or 2): the block's header names the
    // tiers "1" and "2", and an empty tier "(none)".
    let header = TableHeader::new(
        "Tiers",
        vec![
            Column::new("day", "Day", ColumnKind::Text),
            Column::new("tier", "Tier", ColumnKind::Integer),
            Column::new("logins", "Logins", ColumnKind::Integer),
        ],
    )
    .with_chart(Chart::new(ChartKind::Bar, "day", vec!["logins".to_owned()]).by_series("tier"));
    let table = Table::new(
        header,
        vec![
            vec![text("03-02"), Cell::Integer(1), Cell::Integer(5)],
            vec![text("03-02"), Cell::Integer(2), Cell::Integer(7)],
            vec![text("03-03"), Cell::Empty, Cell::Integer(1)],
        ],
    );
    let mut workbook = open(&write(&table, &WriteOptions::default()));
    let range = workbook.worksheet_range("Tiers").unwrap();
    // Three rows, a blank row, the block's name on row 6, its header on row 7.
    let header: Vec<_> = (0..4).map(|column| range.get_value((6, column)).cloned()).collect();
    assert_eq!(header, ["Day", "1", "2", "(none)"].map(|name| Some(Data::String(name.to_owned()))));
}
