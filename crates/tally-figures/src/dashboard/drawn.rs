//! The dashboard drawn: a widget's chart as SVG, and a whole tab as one PDF
//! (D11), the same way for the API and the exporter.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use tally_charts::{ChartError, Frame};
use tally_pdf::{PdfError, Report, Section};

use super::{DashboardQuery, Tab, WidgetTable};

/// The size charts are drawn at: what the PDF's page width holds at a
/// readable text size, and what the web page scales.
const CHART_WIDTH: u32 = 640;
const CHART_HEIGHT: u32 = 320;

/// The most rows a table of a tab's PDF shows; the exports hold every row.
pub const PDF_ROWS_PER_TABLE: usize = 500;

/// Why a tab could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum DrawingError {
    /// A widget's chart.
    #[error("drawing the chart of widget {widget}: {source}")]
    Chart {
        /// The widget's name.
        widget: &'static str,
        /// What went wrong.
        source: ChartError,
    },
    /// The PDF.
    #[error("laying out the PDF of tab {tab}: {source}")]
    Pdf {
        /// The tab's name.
        tab: &'static str,
        /// What went wrong.
        source: PdfError,
    },
}

/// The local day `at` falls on in `zone`.
fn local_day(at: DateTime<Utc>, zone: Tz) -> chrono::NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// A widget's chart as SVG, `None` for a widget drawn as a table only. Time
/// axes name `zone`; a widget whose data starts after its first day says
/// "no data before" that day.
pub fn widget_svg(widget: &WidgetTable, zone: Tz) -> Result<Option<String>, DrawingError> {
    let Some(chart) = &widget.table.header.chart else { return Ok(None) };
    let time_axis = matches!(chart.category.as_str(), "month" | "day");
    let floor =
        widget.available_from.map(|at| local_day(at, zone)).filter(|day| *day > widget.days.first);
    let frame = Frame {
        time_zone: time_axis.then(|| zone.name().to_owned()),
        no_data_before: floor.map(|day| day.to_string()),
        ..Frame::new(CHART_WIDTH, CHART_HEIGHT)
    };
    tally_charts::draw_svg(&widget.table, &frame)
        .map(Some)
        .map_err(|source| DrawingError::Chart { widget: widget.widget.name(), source })
}

/// Every widget of `tab`, computed for `account` under `query`, as one PDF:
/// the filters in force on the first page, each widget's period and notes
/// above its chart and table.
pub fn tab_pdf(
    tab: Tab,
    account: &str,
    query: &DashboardQuery,
    widgets: &[WidgetTable],
    zone: Tz,
) -> Result<Vec<u8>, DrawingError> {
    let mut charts = Vec::with_capacity(widgets.len());
    for widget in widgets {
        charts.push(widget_svg(widget, zone)?);
    }
    let range = match (query.from, query.to) {
        (None, None) => "each widget's own period, ending with the day of the instant".to_owned(),
        (from, to) => format!(
            "{} to {}",
            from.map_or_else(|| "each widget's first day".to_owned(), |day| day.to_string()),
            to.map_or_else(|| "the day of the instant".to_owned(), |day| day.to_string())
        ),
    };
    let facts = vec![
        ("Account".to_owned(), account.to_owned()),
        ("As of".to_owned(), instant(query.at)),
        ("Days".to_owned(), format!("{range} ({})", zone.name())),
        (
            "Organization".to_owned(),
            query.organization.clone().unwrap_or_else(|| "every organization".to_owned()),
        ),
        ("Team".to_owned(), query.team.clone().unwrap_or_else(|| "every team".to_owned())),
    ];
    let sections = widgets
        .iter()
        .zip(charts)
        .map(|(widget, chart)| {
            let mut notes = vec![format!("{} to {}", widget.days.first, widget.days.last)];
            notes.extend(widget.notes.iter().cloned());
            Section { title: widget.widget.title().to_owned(), notes, chart, table: &widget.table }
        })
        .collect();
    let report = Report {
        title: format!("Usage dashboard: {}", tab.title()),
        facts,
        computed_for: instant(query.at),
        time_zone: zone,
        rows_per_table: PDF_ROWS_PER_TABLE,
        sections,
    };
    tally_pdf::write_pdf(&report).map_err(|source| DrawingError::Pdf { tab: tab.name(), source })
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
