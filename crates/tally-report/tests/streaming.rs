//! Streaming: rows come from a lazy iterator and go on to the output as they
//! come, so no format holds the table.

use std::io::{self, Cursor, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;
use tally_report::{
    Cell, Column, ColumnKind, Format, ReportError, Table, TableHeader, TableSink, TableWriter,
    WorkbookWriter, WriteOptions, write_rows,
};

/// Counts what reaches it, and keeps nothing.
struct CountingWriter {
    bytes: Arc<AtomicU64>,
    newlines: u64,
}

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
        self.newlines += buf.iter().filter(|&&byte| byte == b'\n').count() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const ROWS: u64 = 500_000;

/// What a writer may hold back: the csv crate's buffer and JSON's
/// `BufWriter` are 8 KiB each.
const BUFFERED_BYTES: u64 = 16 * 1024;

fn header() -> TableHeader {
    TableHeader::new(
        "Stream",
        vec![
            Column::new("day", "Day", ColumnKind::Date),
            Column::new("label", "Label", ColumnKind::Text),
        ],
    )
}

/// `ROWS` rows made on demand. Before making row `index` it checks that the
/// output has received everything up to that row but `BUFFERED_BYTES`: the
/// first `prefix_bytes`, then `row_bytes` per row.
fn lazy_rows(
    received: Arc<AtomicU64>,
    prefix_bytes: u64,
    row_bytes: u64,
) -> impl Iterator<Item = Result<Vec<Cell>, ReportError>> {
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    (0..ROWS).map(move |index| {
        let due = prefix_bytes + index * row_bytes;
        let received = received.load(Ordering::Relaxed);
        assert!(
            received + BUFFERED_BYTES >= due,
            "row {index}: {received} bytes out of {due} written"
        );
        Ok(vec![Cell::Date(day), Cell::Text("abc".to_owned())])
    })
}

#[test]
fn csv_streams_half_a_million_rows() {
    let received = Arc::new(AtomicU64::new(0));
    let mut out = CountingWriter { bytes: received.clone(), newlines: 0 };
    // "day,label\r\n" is 11 bytes, "2026-03-02,abc\r\n" 16.
    let rows = lazy_rows(received.clone(), 11, 16);
    write_rows(Format::Csv, &header(), rows, &WriteOptions::default(), &mut out).unwrap();
    assert_eq!(out.newlines, ROWS + 1);
    assert_eq!(received.load(Ordering::Relaxed), 11 + 16 * ROWS);
}

#[test]
fn json_streams_half_a_million_rows() {
    let prefix = concat!(
        "{\"title\":\"Stream\",\"columns\":[{\"name\":\"day\",\"title\":\"Day\",\"type\":\"date\"},",
        "{\"name\":\"label\",\"title\":\"Label\",\"type\":\"text\"}],\"rows\":["
    );
    let row = "{\"day\":\"2026-03-02\",\"label\":\"abc\"}";
    let suffix = "\n],\"chart\":null}\n";
    let received = Arc::new(AtomicU64::new(0));
    let mut out = CountingWriter { bytes: received.clone(), newlines: 0 };
    // Each row is `,\n` and the object, but the first has no comma.
    let (prefix_bytes, row_bytes) = (prefix.len() as u64 - 1, row.len() as u64 + 2);
    let rows = lazy_rows(received.clone(), prefix_bytes, row_bytes);
    write_rows(Format::Json, &header(), rows, &WriteOptions::default(), &mut out).unwrap();
    // A line break before each row, one after the last and one at the end.
    assert_eq!(out.newlines, ROWS + 2);
    assert_eq!(
        received.load(Ordering::Relaxed),
        prefix_bytes + ROWS * row_bytes + suffix.len() as u64
    );
}

#[test]
fn xlsx_streams_rows_into_a_constant_memory_sheet() {
    const XLSX_ROWS: u32 = 10_000;
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let rows =
        (0..XLSX_ROWS).map(|index| Ok(vec![Cell::Date(day), Cell::Text(format!("row {index}"))]));
    let mut out = Vec::new();
    write_rows(Format::Xlsx, &header(), rows, &WriteOptions::default(), &mut out).unwrap();
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(out)).unwrap();
    let range = workbook.worksheet_range("Stream").unwrap();
    assert_eq!(range.height(), 1 + XLSX_ROWS as usize);
    assert_eq!(range.get_value((XLSX_ROWS, 1)), Some(&Data::String("row 9999".to_owned())));
}

#[test]
fn a_workbook_writer_takes_sheet_after_sheet_row_by_row() {
    const STREAMED_ROWS: u32 = 10_000;
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let mut workbook = WorkbookWriter::new(&WriteOptions::default());
    let summary = Table::new(
        TableHeader::new("Summary", vec![Column::new("rows", "Rows", ColumnKind::Integer)]),
        vec![vec![Cell::Integer(i64::from(STREAMED_ROWS))]],
    );
    workbook.table(&summary).unwrap();
    workbook.start_sheet(&header()).unwrap();
    for index in 0..STREAMED_ROWS {
        workbook.row(&[Cell::Date(day), Cell::Text(format!("row {index}"))]).unwrap();
    }
    // A second sheet of the same title gets a numbered name, as in write_workbook.
    workbook.start_sheet(&header()).unwrap();
    push_monthly_seats(&mut workbook).unwrap();
    let out = workbook.finish(Vec::new()).unwrap();

    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(out)).unwrap();
    assert_eq!(workbook.sheet_names(), ["Summary", "Stream", "Stream (2)"]);
    let range = workbook.worksheet_range("Summary").unwrap();
    assert_eq!(range.get_value((1, 0)), Some(&Data::Float(10_000.0)));
    let range = workbook.worksheet_range("Stream").unwrap();
    assert_eq!(range.height(), 1 + STREAMED_ROWS as usize);
    assert_eq!(range.get_value((1, 1)), Some(&Data::String("row 0".to_owned())));
    assert_eq!(range.get_value((STREAMED_ROWS, 1)), Some(&Data::String("row 9999".to_owned())));
    let range = workbook.worksheet_range("Stream (2)").unwrap();
    assert_eq!(range.height(), 4);
    assert_eq!(range.get_value((3, 1)), Some(&Data::String("43".to_owned())));
}

#[test]
fn a_workbook_writer_refuses_rows_before_a_sheet_and_a_workbook_without_one() {
    let mut workbook = WorkbookWriter::new(&WriteOptions::default());
    let error = workbook.row(&[Cell::Integer(1)]).unwrap_err();
    assert!(matches!(error, ReportError::NoSheetStarted), "{error:?}");
    let error = workbook.finish(Vec::new()).unwrap_err();
    assert!(matches!(error, ReportError::NoTables), "{error:?}");

    // A bad row names its sheet.
    let mut workbook = WorkbookWriter::new(&WriteOptions::default());
    workbook.start_sheet(&header()).unwrap();
    let error = workbook.row(&[Cell::Integer(1), Cell::Empty]).unwrap_err();
    assert_eq!(error.to_string(), "table \"Stream\"");
}

/// A row source that knows no format, as an export from the store would be.
fn push_monthly_seats(sink: &mut dyn TableSink) -> Result<(), ReportError> {
    for month in 1..=3 {
        let first_day = NaiveDate::from_ymd_opt(2026, month, 1).unwrap();
        sink.row(&[Cell::Date(first_day), Cell::Text(format!("{}", 40 + month))])?;
    }
    Ok(())
}

#[test]
fn a_table_writer_takes_rows_pushed_through_the_sink_trait() {
    let mut writer =
        TableWriter::new(Format::Csv, &header(), &WriteOptions::default(), Vec::new()).unwrap();
    push_monthly_seats(&mut writer).unwrap();
    assert_eq!(writer.rows_written(), 3);
    let out = writer.finish().unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "day,label\r\n2026-01-01,41\r\n2026-02-01,42\r\n2026-03-01,43\r\n"
    );
}

#[test]
fn a_table_writer_can_move_to_another_thread() {
    // The HTTP API hands exports to blocking threads.
    fn assert_send<T: Send>() {}
    assert_send::<TableWriter<Vec<u8>>>();
}
