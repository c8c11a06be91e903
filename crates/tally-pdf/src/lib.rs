//! A report as a PDF: a title, the facts it was asked with (account, period,
//! filters), then sections, each a title, notes, a chart drawn as vectors from
//! its SVG and a table, on A4 pages that carry their number and the instant
//! the figures were computed for.
//!
//! Text is set in DejaVu Sans (built in, the font the charts are measured
//! with), embedded as real text so that a reader can search and copy it. A
//! table longer than [`Report::rows_per_table`] shows that many rows and says
//! how many it has: a PDF is for reading, the CSV and XLSX exports hold every
//! row.

mod layout;

use chrono_tz::Tz;
use tally_report::Table;

/// What a PDF holds.
#[derive(Clone, Debug)]
pub struct Report<'a> {
    /// The document's title, on its first page and in its metadata.
    pub title: String,
    /// Facts under the title, as label and value: the account, the period,
    /// the filters in force.
    pub facts: Vec<(String, String)>,
    /// The instant the figures are as of, on every page's foot.
    pub computed_for: String,
    /// The zone instants in tables are shown in.
    pub time_zone: Tz,
    /// The most rows a table shows.
    pub rows_per_table: usize,
    /// The sections, in order.
    pub sections: Vec<Section<'a>>,
}

/// One titled part of a report: a widget.
#[derive(Clone, Debug)]
pub struct Section<'a> {
    /// The section's title.
    pub title: String,
    /// Lines under the title: what a reader must know to read the figures.
    pub notes: Vec<String>,
    /// A chart as an SVG document, drawn above the table.
    pub chart: Option<String>,
    /// The table.
    pub table: &'a Table,
}

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// A section's chart is not an SVG document usvg can read.
    #[error("the chart of section {section:?} is not a readable SVG document: {message}")]
    Chart {
        /// The section's title.
        section: String,
        /// What usvg said.
        message: String,
    },
    /// The PDF writer failed.
    #[error("writing the PDF failed: {message}")]
    Writing {
        /// What krilla said.
        message: String,
    },
}

/// Lays out `report` and answers the PDF's bytes.
pub fn write_pdf(report: &Report<'_>) -> Result<Vec<u8>, PdfError> {
    let pages = layout::paginate(report)?;
    layout::render(report, &pages)
}
