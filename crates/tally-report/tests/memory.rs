//! Memory that does not grow with the number of rows: the heap held at its
//! peak while a sheet is written, counted by this test binary's allocator, is
//! the same for ten times the rows. A binary of its own, since the allocator
//! counts every allocation of the process.

use std::io;
use std::sync::Mutex;

use chrono::{TimeZone, Utc};
use peak_alloc::PeakAlloc;
use tally_report::{
    Cell, Column, ColumnKind, Format, TableHeader, TableSink, TableWriter, WorkbookWriter,
    WriteOptions,
};

/// The system allocator, keeping the bytes in use and their peak.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// Tests here measure one at a time: the counters are the process's.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn header() -> TableHeader {
    TableHeader::new(
        "People",
        vec![
            Column::new("email", "Email", ColumnKind::Text),
            Column::new("observed_in", "Observed In", ColumnKind::Text),
            Column::new("logins", "Logins", ColumnKind::Integer),
            Column::new("last_seen", "Last Seen", ColumnKind::DateTime),
        ],
    )
}

/// Row `index`: every text distinct, as a detailed sheet's are.
fn row(index: u32) -> [Cell; 4] {
    let seen = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
    [
        Cell::Text(format!("person{index}@example.test")),
        Cell::Text(format!("Jira ({index}); GitHub ({})", index * 7)),
        Cell::Integer(i64::from(index % 1000)),
        Cell::DateTime(seen + chrono::Duration::seconds(i64::from(index))),
    ]
}

/// The heap's peak while `write` runs, above what was in use when it began.
fn peak_above_start(write: impl FnOnce()) -> usize {
    let start = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    write();
    ALLOCATOR.peak_usage() - start
}

/// What writing `rows` rows in `format` holds at its peak.
fn table_peak(format: Format, rows: u32) -> usize {
    peak_above_start(|| {
        let mut writer =
            TableWriter::new(format, &header(), &WriteOptions::default(), io::sink()).unwrap();
        for index in 0..rows {
            writer.row(&row(index)).unwrap();
        }
        writer.finish().unwrap();
    })
}

/// What a workbook of a one-row sheet and then a sheet of `rows` rows holds.
fn workbook_peak(rows: u32) -> usize {
    peak_above_start(|| {
        let mut workbook = WorkbookWriter::new(&WriteOptions::default());
        workbook.start_sheet(&header()).unwrap();
        workbook.row(&row(0)).unwrap();
        workbook.start_sheet(&header()).unwrap();
        for index in 0..rows {
            workbook.row(&row(index)).unwrap();
        }
        workbook.finish(io::sink()).unwrap();
    })
}

/// Ten times the rows may cost at most this much more at the peak: buffers
/// and tables that grow by doubling can land on the next size.
const SLACK: usize = 256 * 1024;

#[test]
fn each_format_holds_as_much_for_50000_rows_as_for_5000() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for format in [Format::Csv, Format::Json, Format::Xlsx] {
        let few = table_peak(format, 5_000);
        let many = table_peak(format, 50_000);
        assert!(many <= few + SLACK, "{format:?}: {few} bytes for 5,000 rows, {many} for 50,000");
    }
}

#[test]
fn a_workbook_holds_as_much_for_50000_rows_in_a_sheet_as_for_5000() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let few = workbook_peak(5_000);
    let many = workbook_peak(50_000);
    assert!(many <= few + SLACK, "{few} bytes for 5,000 rows, {many} for 50,000");
}
