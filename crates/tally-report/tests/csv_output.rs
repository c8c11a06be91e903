//! CSV: byte-exact output, worked out by hand from RFC 4180 and the rules in
//! `docs/reports.md`.

use tally_report::{
    Cell, Column, ColumnKind, Format, Table, TableHeader, WriteOptions, write_table,
};

use crate::common::{berlin, instant, sample_table};

fn check(table: &Table, options: &WriteOptions, expected: &str) {
    let mut out = Vec::new();
    write_table(Format::Csv, table, options, &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

#[test]
fn every_kind_quoting_time_zones_and_formulas() {
    let expected = concat!(
        "day,user,logins,hours,share,last_login\r\n",
        // Quotes doubled, the field quoted for its comma; 08:00Z is 09:00 CET.
        "2026-03-02,\"Ada \"\"the first\"\", Lovelace\",3,1.5,0.25,2026-03-02T09:00:00+01:00\r\n",
        // A line break is kept inside quotes; percent 1.0 is the fraction `1`;
        // 00:30Z on 29 March is before the 01:00Z switch: 01:30 CET.
        "2026-03-28,\"line one\nline two\",-7,0.1,1,2026-03-29T01:30:00+01:00\r\n",
        // Formula neutralised with `'`, then quoted for its quotes and comma;
        // decimal 2.0 is `2`; 01:30Z is after the switch: 03:30 CEST.
        "2026-03-29,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",0,2,0.125,2026-03-29T03:30:00+02:00\r\n",
        ",'+1,,,,\r\n",
        // 00:30Z on 25 October is still summer time (02:30 CEST) ...
        "2026-10-25,'-5,9223372036854775807,-0.5,,2026-10-25T02:30:00+02:00\r\n",
        // ... and 01:30Z, after the clocks went back, is 02:30 CET again.
        ",'@SUM(A1),,,,2026-10-25T02:30:00+01:00\r\n",
        // A tab needs no quotes; a carriage return does.
        ",'\t=1,,,,\r\n",
        ",\"'\r=1\",,,,\r\n",
    );
    check(&sample_table(), &berlin(), expected);
}

#[test]
fn date_times_default_to_utc_with_offset_and_keep_fractions() {
    let header = TableHeader::new("At", vec![Column::new("at", "At", ColumnKind::DateTime)]);
    let rows =
        vec![vec![instant("2026-03-02T08:00:00Z")], vec![instant("2026-03-02T08:00:00.25Z")]];
    check(
        &Table::new(header.clone(), rows.clone()),
        &WriteOptions::default(),
        "at\r\n2026-03-02T08:00:00+00:00\r\n2026-03-02T08:00:00.250+00:00\r\n",
    );
    check(
        &Table::new(header, rows),
        &berlin(),
        "at\r\n2026-03-02T09:00:00+01:00\r\n2026-03-02T09:00:00.250+01:00\r\n",
    );
}

#[test]
fn decimals_are_shortest_round_trip_text() {
    let header =
        TableHeader::new("Numbers", vec![Column::new("value", "Value", ColumnKind::Decimal)]);
    let rows = [0.1 + 0.2, 1e21, 1e-7, -0.0, 123_456.789]
        .into_iter()
        .map(|value| vec![Cell::Decimal(value)])
        .collect();
    // 0.1 + 0.2 is 0.30000000000000004 in binary64; Display never uses exponents.
    check(
        &Table::new(header, rows),
        &WriteOptions::default(),
        "value\r\n0.30000000000000004\r\n1000000000000000000000\r\n0.0000001\r\n-0\r\n123456.789\r\n",
    );
}

#[test]
fn a_lone_empty_cell_is_a_quoted_empty_field() {
    // An empty line would read back as no record at all.
    let header = TableHeader::new("Notes", vec![Column::new("note", "Note", ColumnKind::Text)]);
    let rows =
        vec![vec![Cell::Empty], vec![Cell::Text(String::new())], vec![Cell::Text("x".to_owned())]];
    check(&Table::new(header, rows), &WriteOptions::default(), "note\r\n\"\"\r\n\"\"\r\nx\r\n");
}

#[test]
fn a_table_without_rows_is_its_header() {
    let header = TableHeader::new(
        "Empty",
        vec![Column::new("a", "A", ColumnKind::Text), Column::new("b", "B", ColumnKind::Integer)],
    );
    check(&Table::new(header, vec![]), &WriteOptions::default(), "a,b\r\n");
}

#[test]
fn percentages_are_shown_with_two_decimals() {
    let header = TableHeader::new(
        "Changes",
        vec![Column::new("change_percent", "Change (%)", ColumnKind::Percentage)],
    );
    // 225 / 1360 * 100 = 16.544117647058822 rounds to 16.54; 100 / 3 to 33.33;
    // 2 / 3 * 100 = 66.666... up to 66.67; -25 keeps its sign; -0.001 rounds to
    // zero, written 0.00 without a sign.
    let rows = [16.544117647058822, 100.0 / 3.0, 200.0 / 3.0, -25.0, -0.001, 0.0]
        .into_iter()
        .map(|value| vec![Cell::Percentage(value)])
        .collect();
    check(
        &Table::new(header, rows),
        &WriteOptions::default(),
        "change_percent\r\n16.54\r\n33.33\r\n66.67\r\n-25.00\r\n0.00\r\n0.00\r\n",
    );
}

#[test]
fn a_byte_order_mark_comes_first_only_when_asked_for() {
    let header = TableHeader::new("People", vec![Column::new("name", "Name", ColumnKind::Text)]);
    let table = Table::new(header, vec![vec![Cell::Text("García".to_owned())]]);
    // "í" is U+00ED, two bytes in UTF-8: C3 AD.
    let without = b"name\r\nGarc\xC3\xADa\r\n";
    let mut with = b"\xEF\xBB\xBF".to_vec();
    with.extend_from_slice(without);
    let mut out = Vec::new();
    write_table(Format::Csv, &table, &WriteOptions::default(), &mut out).unwrap();
    assert_eq!(out, without);
    let options = WriteOptions::default().with_csv_byte_order_mark(true);
    let mut out = Vec::new();
    write_table(Format::Csv, &table, &options, &mut out).unwrap();
    assert_eq!(out, with);
}

#[test]
fn the_byte_order_mark_is_csv_s_alone() {
    // JSON must not start with one (RFC 8259), and XLSX is a zip: both are the
    // same bytes with the option on.
    let table = sample_table();
    let marked = berlin().with_csv_byte_order_mark(true);
    let mut plain_json = Vec::new();
    write_table(Format::Json, &table, &berlin(), &mut plain_json).unwrap();
    let mut marked_json = Vec::new();
    write_table(Format::Json, &table, &marked, &mut marked_json).unwrap();
    assert_eq!(marked_json, plain_json);
    assert_eq!(marked_json[0], b'{');
    let mut marked_xlsx = Vec::new();
    write_table(Format::Xlsx, &table, &marked, &mut marked_xlsx).unwrap();
    assert_eq!(&marked_xlsx[..2], b"PK");
}
