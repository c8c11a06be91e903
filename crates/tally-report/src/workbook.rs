//! A multi-sheet workbook written sheet by sheet and row by row.

use std::io::Write;

use crate::sheet_name::SheetNames;
use crate::xlsx_sink::{SheetWriter, new_workbook};
use crate::{Cell, ReportError, Table, TableHeader, TableSink, WriteOptions};

/// Writes an XLSX workbook of one sheet per table, in the order they are
/// started, each sheet's rows one at a time with bounded memory: every sheet
/// is spooled to a temporary file as its rows come (rust_xlsxwriter's
/// constant-memory mode), and the workbook is written to the output in
/// [`finish`](WorkbookWriter::finish). A report whose last sheet has one row
/// per person, say, need never hold those rows.
///
/// Sheet names come from the titles as [`write_workbook`](crate::write_workbook)
/// makes them. Errors in a sheet are wrapped in [`ReportError::InTable`]
/// naming its title.
///
/// ```
/// use tally_report::{Cell, Column, ColumnKind, TableHeader, TableSink, WorkbookWriter, WriteOptions};
///
/// let mut workbook = WorkbookWriter::new(&WriteOptions::new(chrono_tz::UTC));
/// workbook.start_sheet(&TableHeader::new(
///     "People",
///     vec![Column::new("name", "Name", ColumnKind::Text)],
/// ))?;
/// for name in ["Ana", "Bo"] {
///     workbook.row(&[Cell::Text(name.into())])?;
/// }
/// let bytes = workbook.finish(Vec::new())?;
/// assert_eq!(&bytes[..2], b"PK");
/// # Ok::<(), tally_report::ReportError>(())
/// ```
pub struct WorkbookWriter {
    workbook: rust_xlsxwriter::Workbook,
    options: WriteOptions,
    names: SheetNames,
    /// The sheet rows go to, once one is started.
    sheet: Option<SheetWriter>,
}

impl WorkbookWriter {
    /// A workbook with no sheets yet.
    pub fn new(options: &WriteOptions) -> WorkbookWriter {
        WorkbookWriter {
            workbook: new_workbook(),
            options: *options,
            names: SheetNames::default(),
            sheet: None,
        }
    }

    /// Finishes the sheet being written, if any, and starts the next, for a
    /// table with `header` (checked with [`TableHeader::check`]).
    pub fn start_sheet(&mut self, header: &TableHeader) -> Result<(), ReportError> {
        self.finish_sheet()?;
        header.check().map_err(in_table(&header.title))?;
        let name = self.names.next(&header.title);
        let sheet = SheetWriter::start(&mut self.workbook, &name, header, &self.options)
            .map_err(in_table(&header.title))?;
        self.sheet = Some(sheet);
        Ok(())
    }

    /// A whole table as the next sheet.
    pub fn table(&mut self, table: &Table) -> Result<(), ReportError> {
        self.start_sheet(&table.header)?;
        for row in &table.rows {
            self.row(row)?;
        }
        Ok(())
    }

    /// Finishes the last sheet and writes the workbook to `out`, which needs
    /// no [`std::io::Seek`]. A workbook needs at least one sheet.
    pub fn finish<W: Write + Send>(mut self, mut out: W) -> Result<W, ReportError> {
        if self.workbook.worksheets().is_empty() {
            return Err(ReportError::NoTables);
        }
        self.finish_sheet()?;
        self.workbook.save_to_writer(&mut out)?;
        Ok(out)
    }

    fn finish_sheet(&mut self) -> Result<(), ReportError> {
        if let Some(sheet) = self.sheet.take() {
            let title = sheet.title().to_owned();
            sheet.finish(&mut self.workbook).map_err(in_table(&title))?;
        }
        Ok(())
    }
}

impl TableSink for WorkbookWriter {
    /// Writes the next row of the sheet last started.
    fn row(&mut self, cells: &[Cell]) -> Result<(), ReportError> {
        let sheet = self.sheet.as_mut().ok_or(ReportError::NoSheetStarted)?;
        sheet.row(&mut self.workbook, cells).map_err(in_table(sheet.title()))
    }
}

fn in_table(title: &str) -> impl FnOnce(ReportError) -> ReportError {
    let title = title.to_owned();
    move |error| ReportError::InTable { title, source: Box::new(error) }
}
