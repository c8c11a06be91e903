//! XLSX through rust_xlsxwriter in constant-memory mode: each row is written
//! to a temporary file as soon as the next one starts, so a sheet of a million
//! rows holds one row in memory. Header row bold and frozen, an autofilter
//! over the data, column widths from the widest value, real date cells.

use std::io::Write;

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook};

use crate::formula::looks_like_formula;
use crate::model::check_row;
use crate::{
    Cell, ChartKind, Column, ColumnKind, ReportError, TableHeader, TableSink, WriteOptions,
};

/// Excel's last row index (0-based): 1,048,576 rows in all.
const LAST_ROW: RowNum = 1_048_575;
/// Excel's column count.
const MAX_COLUMNS: usize = 16_384;
/// Excel's longest cell text, in UTF-16 code units.
const MAX_TEXT_UTF16: usize = 32_767;
/// The deflate level of the XML inside a workbook. rust_xlsxwriter's default
/// is 6; at 3 the usage reports' year workbook (21 MB) is written in 1.7 s
/// instead of 2.4 s for 8% more bytes (docs/reports.md, "XLSX").
const ZIP_COMPRESSION_LEVEL: u8 = 3;
/// Widest column, in characters, so one long text does not push the rest
/// off the screen.
const MAX_COLUMN_WIDTH: u32 = 60;

/// One table written to one constant-memory worksheet. It holds the
/// worksheet's position, not the worksheet, so a [`Workbook`] can own both.
pub(crate) struct SheetWriter {
    sheet_index: usize,
    sheet_name: String,
    header: TableHeader,
    time_zone: Tz,
    formats: CellFormats,
    /// Per column, the widest value as shown, in characters.
    widths: Vec<u32>,
    rows_written: u64,
    /// For a chart in long form, each row's category, series and value, to be
    /// pivoted into one column per series under the table for the chart.
    long_form: Vec<(Cell, String, Option<f64>)>,
}

impl SheetWriter {
    /// Adds a worksheet named `sheet_name` (already valid and unique) to
    /// `workbook` and writes the header row. `header` must have passed
    /// [`TableHeader::check`].
    pub(crate) fn start(
        workbook: &mut Workbook,
        sheet_name: &str,
        header: &TableHeader,
        options: &WriteOptions,
    ) -> Result<SheetWriter, ReportError> {
        if header.columns.len() > MAX_COLUMNS {
            return Err(ReportError::TooManyColumnsForXlsx { columns: header.columns.len() });
        }
        let sheet_index = workbook.worksheets().len();
        let worksheet = workbook.add_worksheet_with_constant_memory()?;
        worksheet.set_name(sheet_name)?;
        let formats = CellFormats::new();
        let mut widths = Vec::with_capacity(header.columns.len());
        for (index, column) in header.columns.iter().enumerate() {
            let title = header_title(column, options.time_zone);
            let format =
                if looks_like_formula(&title) { &formats.header_quoted } else { &formats.header };
            worksheet.write_string_with_format(0, column_number(index), &title, format)?;
            // The bold face and the autofilter's button take about three
            // characters more than the title.
            widths.push(text_width(&title).saturating_add(3));
        }
        worksheet.set_freeze_panes(1, 0)?;
        Ok(SheetWriter {
            sheet_index,
            sheet_name: sheet_name.to_owned(),
            header: header.clone(),
            time_zone: options.time_zone,
            formats,
            widths,
            rows_written: 0,
            long_form: Vec::new(),
        })
    }

    pub(crate) fn rows_written(&self) -> u64 {
        self.rows_written
    }

    /// The title of the table written.
    pub(crate) fn title(&self) -> &str {
        &self.header.title
    }

    /// Writes the next row below the ones written before.
    pub(crate) fn row(
        &mut self,
        workbook: &mut Workbook,
        cells: &[Cell],
    ) -> Result<(), ReportError> {
        let row = self.rows_written;
        check_row(&self.header.columns, row, cells)?;
        let sheet_row = match RowNum::try_from(row + 1) {
            Ok(sheet_row) if sheet_row <= LAST_ROW => sheet_row,
            _ => return Err(ReportError::TooManyRowsForXlsx { row }),
        };
        let worksheet = workbook.worksheet_from_index(self.sheet_index)?;
        for (index, (column, cell)) in self.header.columns.iter().zip(cells).enumerate() {
            let col = column_number(index);
            let formats = &self.formats;
            let shown_width = match cell {
                Cell::Empty => 0,
                Cell::Text(text) => {
                    let length_utf16 = text.encode_utf16().count();
                    if length_utf16 > MAX_TEXT_UTF16 {
                        return Err(ReportError::TextTooLongForXlsx {
                            row,
                            column: column.name.clone(),
                            length_utf16,
                        });
                    }
                    // A string cell is never evaluated, but a user who edits
                    // one and presses Enter has Excel parse it again. The quote
                    // prefix (what Excel stores for a typed leading `'`) keeps
                    // it text; the value itself is left as it is.
                    if looks_like_formula(text) {
                        worksheet.write_string_with_format(
                            sheet_row,
                            col,
                            text,
                            &formats.text_quoted,
                        )?;
                    } else {
                        worksheet.write_string(sheet_row, col, text)?;
                    }
                    text_width(text)
                }
                Cell::Integer(value) => {
                    // Excel keeps numbers as f64: integers beyond 2^53 lose
                    // their last digits, as they would if typed in.
                    let number = *value as f64;
                    worksheet.write_number_with_format(sheet_row, col, number, &formats.integer)?;
                    shown_len(format_args!("{value}"))
                }
                Cell::Decimal(value) => {
                    worksheet.write_number_with_format(sheet_row, col, *value, &formats.decimal)?;
                    shown_len(format_args!("{value:.2}"))
                }
                Cell::Percentage(value) => {
                    let format = &formats.percentage;
                    worksheet.write_number_with_format(sheet_row, col, *value, format)?;
                    shown_len(format_args!("{value:.2}"))
                }
                Cell::Percent(value) => {
                    worksheet.write_number_with_format(sheet_row, col, *value, &formats.percent)?;
                    shown_len(format_args!("{:.1}%", value * 100.0))
                }
                Cell::Date(date) => {
                    check_excel_date(*date, row, column, || date.to_string())?;
                    worksheet.write_datetime_with_format(sheet_row, col, date, &formats.date)?;
                    // yyyy-mm-dd
                    10
                }
                Cell::DateTime(instant) => {
                    let local: NaiveDateTime = instant.with_timezone(&self.time_zone).naive_local();
                    check_excel_date(local.date(), row, column, || local.to_string())?;
                    worksheet.write_datetime_with_format(
                        sheet_row,
                        col,
                        local,
                        &formats.date_time,
                    )?;
                    // yyyy-mm-dd hh:mm:ss
                    19
                }
            };
            self.widths[index] = self.widths[index].max(shown_width.saturating_add(1));
        }
        if let Some(chart) = &self.header.chart
            && let Some(series) = &chart.series
        {
            let at = |name: &str| self.header.column_index(name).expect("a checked chart column");
            let series = label(&cells[at(series)], self.time_zone);
            let value = match &cells[at(&chart.values[0])] {
                Cell::Integer(value) => Some(*value as f64),
                Cell::Decimal(value) | Cell::Percent(value) | Cell::Percentage(value) => {
                    Some(*value)
                }
                Cell::Empty | Cell::Text(_) | Cell::Date(_) | Cell::DateTime(_) => None,
            };
            self.long_form.push((cells[at(&chart.category)].clone(), series, value));
        }
        self.rows_written += 1;
        Ok(())
    }

    /// Sets the autofilter over the rows written, the column widths and the
    /// chart, if the table has one and at least one row.
    pub(crate) fn finish(self, workbook: &mut Workbook) -> Result<(), ReportError> {
        let worksheet = workbook.worksheet_from_index(self.sheet_index)?;
        let last_column = column_number(self.header.columns.len() - 1);
        // `row` refused every row past LAST_ROW, so the count fits.
        let last_row = RowNum::try_from(self.rows_written).expect("at most LAST_ROW rows");
        worksheet.autofilter(0, 0, last_row, last_column)?;
        for (index, width) in self.widths.iter().enumerate() {
            worksheet.set_column_width(column_number(index), (*width).min(MAX_COLUMN_WIDTH))?;
        }
        let Some(chart) = &self.header.chart else { return Ok(()) };
        if last_row == 0 {
            return Ok(());
        }
        let drawn = match &chart.series {
            None => self.chart(chart, last_row),
            Some(_) => self.pivoted_chart(chart, worksheet, last_row)?,
        };
        worksheet.insert_chart(1, last_column + 2, &drawn)?;
        Ok(())
    }

    /// A chart in long form: its rows pivoted into one column per series
    /// under the table (below a blank row and a line naming the block), which
    /// the chart draws. Rows below the table keep a constant-memory sheet's
    /// order.
    fn pivoted_chart(
        &self,
        chart: &crate::Chart,
        worksheet: &mut rust_xlsxwriter::Worksheet,
        last_row: RowNum,
    ) -> Result<rust_xlsxwriter::Chart, ReportError> {
        let mut categories: Vec<&Cell> = Vec::new();
        let mut series: Vec<&str> = Vec::new();
        for (category, name, _) in &self.long_form {
            if !categories.contains(&category) {
                categories.push(category);
            }
            if !series.contains(&name.as_str()) {
                series.push(name);
            }
        }
        let at = |name: &str| self.header.column_index(name).expect("a checked chart column");
        let value_column = &self.header.columns[at(&chart.values[0])];
        let series_title =
            &self.header.columns[at(chart.series.as_deref().expect("long form"))].title;
        let named_row = last_row + 2;
        let header_row = named_row + 1;
        let first_row = header_row + 1;
        let block_last = header_row + RowNum::try_from(categories.len()).unwrap_or(LAST_ROW);
        if block_last > LAST_ROW || series.len() + 1 > MAX_COLUMNS {
            return Err(ReportError::TooManyRowsForXlsx { row: u64::from(block_last) });
        }
        worksheet.write_string_with_format(
            named_row,
            0,
            format!("Chart data: {} by {}", value_column.title, series_title),
            &self.formats.header,
        )?;
        let category_column = &self.header.columns[at(&chart.category)];
        worksheet.write_string_with_format(
            header_row,
            0,
            &category_column.title,
            &self.formats.header,
        )?;
        for (index, name) in series.iter().enumerate() {
            worksheet.write_string_with_format(
                header_row,
                column_number(index + 1),
                *name,
                &self.formats.header,
            )?;
        }
        let format = match value_column.kind {
            ColumnKind::Percent => &self.formats.percent,
            ColumnKind::Percentage => &self.formats.percentage,
            ColumnKind::Decimal => &self.formats.decimal,
            ColumnKind::Integer | ColumnKind::Text | ColumnKind::Date | ColumnKind::DateTime => {
                &self.formats.integer
            }
        };
        for (offset, category) in categories.iter().enumerate() {
            let row = first_row + RowNum::try_from(offset).expect("checked above");
            match category {
                Cell::Date(date) => {
                    worksheet.write_datetime_with_format(row, 0, *date, &self.formats.date)?;
                }
                Cell::Text(text) => {
                    worksheet.write_string(row, 0, text)?;
                }
                other => {
                    worksheet.write_string(row, 0, label(other, self.time_zone))?;
                }
            }
            for (index, name) in series.iter().enumerate() {
                let sum: Option<f64> = self
                    .long_form
                    .iter()
                    .filter(|(held, held_series, _)| held == *category && held_series == name)
                    .filter_map(|(_, _, value)| *value)
                    .fold(None, |total, value| Some(total.unwrap_or(0.0) + value));
                if let Some(sum) = sum {
                    worksheet.write_number_with_format(
                        row,
                        column_number(index + 1),
                        sum,
                        format,
                    )?;
                }
            }
        }
        let mut drawn = rust_xlsxwriter::Chart::new(chart_type(chart.kind));
        drawn.title().set_name(&self.header.title);
        let sheet = self.sheet_name.as_str();
        let last = block_last;
        for index in 0..series.len() {
            let column = column_number(index + 1);
            drawn
                .add_series()
                .set_name((sheet, header_row, column))
                .set_categories((sheet, first_row, 0, last, 0))
                .set_values((sheet, first_row, column, last, column));
        }
        Ok(drawn)
    }

    fn chart(&self, chart: &crate::Chart, last_row: RowNum) -> rust_xlsxwriter::Chart {
        let mut drawn = rust_xlsxwriter::Chart::new(chart_type(chart.kind));
        drawn.title().set_name(&self.header.title);
        let sheet = self.sheet_name.as_str();
        // TableHeader::check made sure the chart names existing columns.
        let category_index = self.header.column_index(&chart.category).expect("checked");
        let category = column_number(category_index);
        if chart.kind != ChartKind::Pie {
            // Without this the axis shows dates as serial numbers where the
            // reader does not take the format from the cells.
            if let Some(num_format) = number_format(self.header.columns[category_index].kind) {
                drawn.x_axis().set_num_format(num_format);
            }
            let kind_of = |name: &String| {
                self.header.columns[self.header.column_index(name).expect("checked")].kind
            };
            if chart.values.iter().all(|name| kind_of(name) == ColumnKind::Percent) {
                drawn.y_axis().set_num_format("0%");
            }
        }
        for name in &chart.values {
            let value = column_number(self.header.column_index(name).expect("checked"));
            drawn
                .add_series()
                .set_name((sheet, 0, value))
                .set_categories((sheet, 1, category, last_row, category))
                .set_values((sheet, 1, value, last_row, value));
        }
        drawn
    }
}

/// A cell as a category or series name in a chart's data block: as a person
/// reads it, "(none)" for an empty cell.
fn label(cell: &Cell, zone: Tz) -> String {
    if *cell == Cell::Empty { "(none)".to_owned() } else { cell.shown(zone) }
}

/// The Excel chart drawing `kind`.
fn chart_type(kind: ChartKind) -> rust_xlsxwriter::ChartType {
    match kind {
        ChartKind::Line => rust_xlsxwriter::ChartType::Line,
        ChartKind::Bar => rust_xlsxwriter::ChartType::Column,
        ChartKind::StackedBar => rust_xlsxwriter::ChartType::ColumnStacked,
        ChartKind::Pie => rust_xlsxwriter::ChartType::Pie,
    }
}

/// A single table written as a one-sheet workbook to `out`.
pub(crate) struct XlsxSink<W: Write + Send> {
    workbook: Workbook,
    sheet: SheetWriter,
    out: W,
}

impl<W: Write + Send> XlsxSink<W> {
    /// `header` must have passed [`TableHeader::check`].
    pub(crate) fn new(
        header: &TableHeader,
        options: &WriteOptions,
        out: W,
    ) -> Result<XlsxSink<W>, ReportError> {
        let mut workbook = new_workbook();
        let sheet_name = crate::sheet_name::SheetNames::default().next(&header.title);
        let sheet = SheetWriter::start(&mut workbook, &sheet_name, header, options)?;
        Ok(XlsxSink { workbook, sheet, out })
    }

    pub(crate) fn rows_written(&self) -> u64 {
        self.sheet.rows_written()
    }

    /// Finishes the sheet and writes the workbook to the output.
    pub(crate) fn finish(mut self) -> Result<W, ReportError> {
        self.sheet.finish(&mut self.workbook)?;
        self.workbook.save_to_writer(&mut self.out)?;
        Ok(self.out)
    }
}

impl<W: Write + Send> TableSink for XlsxSink<W> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ReportError> {
        self.sheet.row(&mut self.workbook, cells)
    }
}

/// An empty workbook, set up as every workbook Tally writes.
pub(crate) fn new_workbook() -> Workbook {
    let mut workbook = Workbook::new();
    workbook.set_zip_compression_level(ZIP_COMPRESSION_LEVEL);
    workbook
}

struct CellFormats {
    header: Format,
    header_quoted: Format,
    text_quoted: Format,
    integer: Format,
    decimal: Format,
    percent: Format,
    percentage: Format,
    date: Format,
    date_time: Format,
}

impl CellFormats {
    fn new() -> CellFormats {
        let header = Format::new().set_bold();
        let number =
            |kind| Format::new().set_num_format(number_format(kind).expect("a numeric kind"));
        CellFormats {
            header_quoted: header.clone().set_quote_prefix(),
            header,
            text_quoted: Format::new().set_quote_prefix(),
            integer: number(ColumnKind::Integer),
            decimal: number(ColumnKind::Decimal),
            percent: number(ColumnKind::Percent),
            percentage: number(ColumnKind::Percentage),
            date: number(ColumnKind::Date),
            date_time: number(ColumnKind::DateTime),
        }
    }
}

/// The Excel number format of a column kind's cells; text has none.
fn number_format(kind: ColumnKind) -> Option<&'static str> {
    match kind {
        ColumnKind::Text => None,
        ColumnKind::Integer => Some("0"),
        ColumnKind::Decimal => Some("0.00"),
        ColumnKind::Percent => Some("0.0%"),
        ColumnKind::Percentage => Some("0.00"),
        ColumnKind::Date => Some("yyyy-mm-dd"),
        ColumnKind::DateTime => Some("yyyy-mm-dd hh:mm:ss"),
    }
}

/// The header cell of `column`: its title, and for date-times the zone they
/// are shown in, since Excel's date cells have none.
fn header_title(column: &Column, time_zone: Tz) -> String {
    match column.kind {
        ColumnKind::DateTime => format!("{} ({})", column.title, time_zone.name()),
        _ => column.title.clone(),
    }
}

/// Refuses days Excel cannot show: it counts from 1900-01-01 and stops at
/// 9999-12-31.
fn check_excel_date(
    date: NaiveDate,
    row: u64,
    column: &Column,
    shown: impl FnOnce() -> String,
) -> Result<(), ReportError> {
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date");
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");
    if (first..=last).contains(&date) {
        Ok(())
    } else {
        Err(ReportError::DateOutsideXlsxRange { row, column: column.name.clone(), value: shown() })
    }
}

/// Column `index` as rust_xlsxwriter numbers it; `start` refused tables
/// wider than Excel's 16,384 columns.
fn column_number(index: usize) -> ColNum {
    ColNum::try_from(index).expect("at most MAX_COLUMNS columns")
}

/// The width of `text` in characters: its longest line.
fn text_width(text: &str) -> u32 {
    let longest = text.split('\n').map(|line| line.chars().count()).max().unwrap_or(0);
    u32::try_from(longest).unwrap_or(u32::MAX)
}

/// The length of a number as the column's format shows it.
fn shown_len(shown: std::fmt::Arguments<'_>) -> u32 {
    struct Counter(u32);
    impl std::fmt::Write for Counter {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            self.0 += u32::try_from(text.len()).unwrap_or(u32::MAX);
            Ok(())
        }
    }
    let mut counter = Counter(0);
    std::fmt::write(&mut counter, shown).expect("counting cannot fail");
    counter.0
}
