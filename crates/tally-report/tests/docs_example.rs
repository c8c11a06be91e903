//! The example table of `docs/reports.md`, written in each format: the page
//! shows these outputs, so they are checked here.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use tally_report::{Cell, Format, Table, write_table};

use crate::common::{berlin, date, instant, logins_header, text};

fn example_table() -> Table {
    // docs/reports.md shows the logins table without its hours column.
    let mut header = logins_header();
    header.columns.retain(|column| column.name != "hours");
    let rows = vec![
        vec![
            date("2026-03-02"),
            text("=cmd"),
            Cell::Integer(3),
            Cell::Percent(0.25),
            instant("2026-03-02T08:00:00Z"),
        ],
        vec![
            Cell::Empty,
            text("Ada, \"Countess\""),
            Cell::Integer(12),
            Cell::Percent(1.0),
            instant("2026-03-29T01:30:00Z"),
        ],
    ];
    Table::new(header, rows)
}

fn write(format: Format) -> Vec<u8> {
    let mut out = Vec::new();
    write_table(format, &example_table(), &berlin(), &mut out).unwrap();
    out
}

#[test]
fn csv() {
    let expected = concat!(
        "day,user,logins,share,last_login\r\n",
        "2026-03-02,'=cmd,3,0.25,2026-03-02T09:00:00+01:00\r\n",
        ",\"Ada, \"\"Countess\"\"\",12,1,2026-03-29T03:30:00+02:00\r\n",
    );
    assert_eq!(String::from_utf8(write(Format::Csv)).unwrap(), expected);
}

#[test]
fn json() {
    let expected = concat!(
        "{\"title\":\"Logins\",\"columns\":[{\"name\":\"day\",\"title\":\"Day\",\"type\":\"date\"},",
        "{\"name\":\"user\",\"title\":\"User\",\"type\":\"text\"},",
        "{\"name\":\"logins\",\"title\":\"Logins\",\"type\":\"integer\"},",
        "{\"name\":\"share\",\"title\":\"Share\",\"type\":\"percent\"},",
        "{\"name\":\"last_login\",\"title\":\"Last login\",\"type\":\"date_time\"}],\"rows\":[\n",
        "{\"day\":\"2026-03-02\",\"user\":\"=cmd\",\"logins\":3,\"share\":0.25,",
        "\"last_login\":\"2026-03-02T08:00:00Z\"},\n",
        "{\"day\":null,\"user\":\"Ada, \\\"Countess\\\"\",\"logins\":12,\"share\":1.0,",
        "\"last_login\":\"2026-03-29T01:30:00Z\"}\n",
        "],\"chart\":{\"kind\":\"line\",\"category\":\"day\",\"values\":[\"logins\"]}}\n",
    );
    assert_eq!(String::from_utf8(write(Format::Json)).unwrap(), expected);
}

#[test]
fn xlsx() {
    let bytes = write(Format::Xlsx);
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(workbook.sheet_names(), ["Logins"]);
    let range = workbook.worksheet_range("Logins").unwrap();
    let strings = |row: u32| -> Vec<String> {
        (0..5).map(|col| range.get_value((row, col)).unwrap().to_string()).collect()
    };
    assert_eq!(strings(0), ["Day", "User", "Logins", "Share", "Last login (Europe/Berlin)"]);
    let serial = |row: u32, col: u32| match range.get_value((row, col)).unwrap() {
        Data::DateTime(value) => value.as_f64(),
        other => panic!("expected a date cell, found {other:?}"),
    };
    assert_eq!((serial(1, 0), serial(1, 4)), (46083.0, 46083.375));
    assert_eq!(range.get_value((1, 1)), Some(&Data::String("=cmd".to_owned())));
    assert_eq!(range.get_value((2, 0)), Some(&Data::Empty));
    assert_eq!(range.get_value((2, 1)), Some(&Data::String("Ada, \"Countess\"".to_owned())));
    assert_eq!(range.get_value((2, 3)), Some(&Data::Float(1.0)));

    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
        text
    };
    assert!(read("xl/worksheets/sheet1.xml").contains("<autoFilter ref=\"A1:E3\"/>"));
    // The chart's top left corner is column G (index 6), row 2 (index 1).
    let drawing = read("xl/drawings/drawing1.xml");
    assert!(
        drawing.contains(
            "<xdr:from><xdr:col>6</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>"
        ),
        "{drawing}"
    );
}
