//! Draws the chart a table describes ([`tally_report::Chart`]) as SVG: lines,
//! grouped bars, stacked bars and pies, with axes and units, a legend, the
//! account's time zone on a time axis and "no data before" drawn as such.
//!
//! One drawing serves every place a chart is shown: the PDF of a dashboard tab
//! embeds it, and the web page serves it. Text is set in DejaVu Sans, which is
//! built in, so that the same labels measure the same everywhere.
//!
//! Colours come from the viridis colour map, sampled evenly: it stays readable
//! to colour-blind readers, and its lightness rises from one series to the
//! next, so the series stay apart when printed in grey. Bars and slices are
//! outlined in white, so that neighbours stay apart even when their colours
//! are close.

mod draw;
mod plot;

use tally_report::{ChartKind, ColumnKind, Table};

use crate::draw::Marks;

pub use crate::draw::colour_of;
pub use crate::plot::{Plot, Series};

/// What a chart needs besides its table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Width of the drawing, in pixels (CSS px, or points in a PDF).
    pub width: u32,
    /// Height of the drawing.
    pub height: u32,
    /// The time zone the categories are dates or months in, named on the
    /// axis; `None` when the categories are not times.
    pub time_zone: Option<String>,
    /// The first day the widget's data covers, when it starts later than the
    /// period asked for: drawn as "no data before" at the start of the axis,
    /// never as zeros.
    pub no_data_before: Option<String>,
}

impl Frame {
    /// A frame of `width` by `height` without a time axis or a floor.
    pub fn new(width: u32, height: u32) -> Frame {
        Frame { width, height, time_zone: None, no_data_before: None }
    }
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The table has no chart description.
    #[error("the table {title:?} describes no chart")]
    NoChart {
        /// The table's title.
        title: String,
    },
    /// The chart names columns the table lacks, or columns of the wrong kind.
    #[error("the chart of table {title:?} does not fit its columns: {source}")]
    Description {
        /// The table's title.
        title: String,
        /// What the table model found.
        source: tally_report::ReportError,
    },
    /// A frame too small to hold axes and a plot.
    #[error("a chart of {width}x{height} pixels is too small: at least {min}x{min} is needed")]
    TooSmall {
        /// The frame's width.
        width: u32,
        /// The frame's height.
        height: u32,
        /// The least width and height.
        min: u32,
    },
    /// The drawing library failed.
    #[error("drawing the chart of table {title:?} failed: {message}")]
    Drawing {
        /// The table's title.
        title: String,
        /// What the drawing library said.
        message: String,
    },
}

/// The least width and height of a frame.
pub const MIN_SIDE: u32 = 160;

/// Draws `table`'s chart in `frame` as an SVG document.
pub fn draw_svg(table: &Table, frame: &Frame) -> Result<String, ChartError> {
    let title = &table.header.title;
    let chart =
        table.header.chart.as_ref().ok_or_else(|| ChartError::NoChart { title: title.clone() })?;
    table
        .header
        .check()
        .map_err(|source| ChartError::Description { title: title.clone(), source })?;
    if frame.width < MIN_SIDE || frame.height < MIN_SIDE {
        return Err(ChartError::TooSmall {
            width: frame.width,
            height: frame.height,
            min: MIN_SIDE,
        });
    }
    let plot = Plot::of(table, chart);
    let drawn = match chart.kind {
        ChartKind::Line => draw::cartesian(&plot, Marks::Lines, frame),
        ChartKind::Bar => draw::cartesian(&plot, Marks::Bars, frame),
        ChartKind::StackedBar => draw::cartesian(&plot, Marks::StackedBars, frame),
        ChartKind::Pie => draw::pie(&plot, frame),
    };
    drawn.map_err(|message| ChartError::Drawing { title: title.clone(), message })
}

/// Whether values of `kind` are shown as percentages.
fn is_percentage(kind: ColumnKind) -> bool {
    match kind {
        ColumnKind::Percent | ColumnKind::Percentage => true,
        ColumnKind::Text
        | ColumnKind::Integer
        | ColumnKind::Decimal
        | ColumnKind::Date
        | ColumnKind::DateTime => false,
    }
}
