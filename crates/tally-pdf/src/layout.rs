//! Pages laid out first, as marks at positions, then drawn: a page's foot
//! names the page count, which is known only once every page is laid out.

use std::sync::Arc;

use ab_glyph::{Font as _, FontRef};
use chrono_tz::Tz;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla_svg::{SurfaceExt, SvgSettings};
use tally_report::{Cell, Table};

use crate::{PdfError, Report};

/// A4 portrait, in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 42.0;
/// The lowest a mark may reach: the foot lies below it.
const BOTTOM: f32 = PAGE_HEIGHT - MARGIN - 14.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// A chart keeps its SVG's shape: charts are drawn twice as wide as high.
const CHART_HEIGHT: f32 = CONTENT_WIDTH / 2.0;
const TITLE_SIZE: f32 = 17.0;
const SECTION_SIZE: f32 = 12.0;
const TEXT_SIZE: f32 = 9.0;
const TABLE_SIZE: f32 = 8.0;
const ROW_HEIGHT: f32 = 12.0;
/// Room for the longest fact label, "Organization:", in bold.
const FACT_LABEL_WIDTH: f32 = 80.0;
const CELL_PADDING: f32 = 6.0;
const INK: (u8, u8, u8) = (0x22, 0x22, 0x22);
const FAINT: (u8, u8, u8) = (0x66, 0x66, 0x66);
const RULE: (u8, u8, u8) = (0xbb, 0xbb, 0xbb);

/// Something drawn on a page.
enum Mark {
    /// Text whose baseline starts at `x`, `y`.
    Text { x: f32, y: f32, size: f32, bold: bool, colour: (u8, u8, u8), text: String },
    /// Chart `chart` of the laid-out charts, its top left at `x`, `y`.
    Chart { x: f32, y: f32, chart: usize },
    /// A horizontal rule.
    Rule { x: f32, y: f32, width: f32 },
}

/// The pages, and the charts their marks refer to.
pub(crate) struct Laid {
    pages: Vec<Vec<Mark>>,
    charts: Vec<usvg::Tree>,
}

/// DejaVu Sans and its bold face, for measuring.
struct Faces {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl Faces {
    fn new() -> Faces {
        let face =
            |bytes| FontRef::try_from_slice(bytes).expect("DejaVu Sans is a well-formed font");
        Faces { regular: face(dejavu::sans::regular()), bold: face(dejavu::sans::bold()) }
    }

    /// The width of `text` set at `size` points.
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        let per_em = face.units_per_em().unwrap_or(2048.0);
        let units: f32 =
            text.chars().map(|character| face.h_advance_unscaled(face.glyph_id(character))).sum();
        units / per_em * size
    }

    /// `text`, cut and ended with an ellipsis if it is wider than `width`.
    fn fit(&self, text: &str, width: f32, size: f32, bold: bool) -> String {
        if self.width(text, size, bold) <= width {
            return text.to_owned();
        }
        let mut kept: String = text.to_owned();
        while !kept.is_empty() && self.width(&format!("{kept}…"), size, bold) > width {
            kept.pop();
        }
        format!("{kept}…")
    }
}

/// Where marks go next, and the pages so far.
struct Cursor {
    pages: Vec<Vec<Mark>>,
    y: f32,
}

impl Cursor {
    fn marks(&mut self) -> &mut Vec<Mark> {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Starts a new page unless `height` more fits on this one.
    fn room_for(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, colour: (u8, u8, u8), text: String) {
        let y = self.y + size;
        self.marks().push(Mark::Text { x, y, size, bold, colour, text });
    }
}

/// Lays every section out on pages.
pub(crate) fn paginate(report: &Report<'_>) -> Result<Laid, PdfError> {
    let faces = Faces::new();
    let mut cursor = Cursor { pages: vec![Vec::new()], y: MARGIN };
    cursor.text(MARGIN, TITLE_SIZE, true, INK, report.title.clone());
    cursor.y += TITLE_SIZE + 8.0;
    for (label, value) in &report.facts {
        cursor.text(MARGIN, TEXT_SIZE, true, INK, format!("{label}:"));
        let indent = MARGIN + FACT_LABEL_WIDTH;
        let fitted = faces.fit(value, CONTENT_WIDTH - FACT_LABEL_WIDTH, TEXT_SIZE, false);
        cursor.text(indent, TEXT_SIZE, false, INK, fitted);
        cursor.y += TEXT_SIZE + 4.0;
    }
    cursor.y += 6.0;
    let y = cursor.y;
    cursor.marks().push(Mark::Rule { x: MARGIN, y, width: CONTENT_WIDTH });
    cursor.y += 14.0;

    let fonts = fonts_for_charts();
    let mut charts = Vec::new();
    for section in &report.sections {
        // A section's title stays with its chart, or with its first rows.
        let opening = SECTION_SIZE
            + 6.0
            + section.notes.len() as f32 * (TEXT_SIZE + 3.0)
            + if section.chart.is_some() { CHART_HEIGHT + 8.0 } else { 3.0 * ROW_HEIGHT };
        cursor.room_for(opening.min(BOTTOM - MARGIN));
        cursor.text(MARGIN, SECTION_SIZE, true, INK, section.title.clone());
        cursor.y += SECTION_SIZE + 6.0;
        for note in &section.notes {
            cursor.text(MARGIN, TEXT_SIZE, false, FAINT, note.clone());
            cursor.y += TEXT_SIZE + 3.0;
        }
        if let Some(svg) = &section.chart {
            let options = usvg::Options { fontdb: Arc::clone(&fonts), ..usvg::Options::default() };
            let tree = usvg::Tree::from_str(svg, &options).map_err(|error| PdfError::Chart {
                section: section.title.clone(),
                message: error.to_string(),
            })?;
            cursor.room_for(CHART_HEIGHT);
            let y = cursor.y;
            cursor.marks().push(Mark::Chart { x: MARGIN, y, chart: charts.len() });
            charts.push(tree);
            cursor.y += CHART_HEIGHT + 8.0;
        }
        lay_table(&mut cursor, &faces, section.table, report);
        cursor.y += 18.0;
    }
    Ok(Laid { pages: cursor.pages, charts })
}

/// The fonts charts' text is set in: DejaVu Sans, also as `sans-serif`.
fn fonts_for_charts() -> Arc<usvg::fontdb::Database> {
    let mut database = usvg::fontdb::Database::new();
    database.load_font_data(dejavu::sans::regular().to_vec());
    database.load_font_data(dejavu::sans::bold().to_vec());
    database.set_sans_serif_family("DejaVu Sans");
    Arc::new(database)
}

/// Column widths: each column's widest shown text, shrunk fairly when the
/// columns together are wider than the page.
fn column_widths(faces: &Faces, table: &Table, rows: &[Vec<Cell>], zone: Tz) -> Vec<f32> {
    let columns = &table.header.columns;
    let mut natural: Vec<f32> = columns
        .iter()
        .map(|column| faces.width(&column.title, TABLE_SIZE, true) + CELL_PADDING)
        .collect();
    for row in rows {
        for (width, cell) in natural.iter_mut().zip(row) {
            *width = width.max(faces.width(&cell.shown(zone), TABLE_SIZE, false) + CELL_PADDING);
        }
    }
    // Narrow columns keep their width; what is left is shared by the rest.
    let mut widths = natural.clone();
    let mut open: Vec<usize> = (0..widths.len()).collect();
    let mut left = CONTENT_WIDTH;
    loop {
        let share = left / open.len().max(1) as f32;
        let (fitting, wide): (Vec<usize>, Vec<usize>) =
            open.iter().partition(|index| natural[**index] <= share);
        if fitting.is_empty() {
            for index in &wide {
                widths[*index] = share;
            }
            break;
        }
        for index in &fitting {
            left -= natural[*index];
        }
        open = wide;
        if open.is_empty() {
            break;
        }
    }
    widths
}

fn lay_table(cursor: &mut Cursor, faces: &Faces, table: &Table, report: &Report<'_>) {
    let zone = report.time_zone;
    let rows = &table.rows[..table.rows.len().min(report.rows_per_table)];
    let widths = column_widths(faces, table, rows, zone);
    let columns = &table.header.columns;
    let header = |cursor: &mut Cursor| {
        let mut x = MARGIN;
        for (column, width) in columns.iter().zip(&widths) {
            let title = faces.fit(&column.title, width - CELL_PADDING, TABLE_SIZE, true);
            let offset = if column.kind.is_numeric() {
                width - CELL_PADDING - faces.width(&title, TABLE_SIZE, true)
            } else {
                0.0
            };
            cursor.text(x + offset, TABLE_SIZE, true, INK, title);
            x += width;
        }
        cursor.y += ROW_HEIGHT;
        let y = cursor.y - 2.0;
        cursor.marks().push(Mark::Rule { x: MARGIN, y, width: CONTENT_WIDTH });
    };
    cursor.room_for(2.0 * ROW_HEIGHT);
    header(cursor);
    if rows.is_empty() {
        cursor.text(MARGIN, TABLE_SIZE, false, FAINT, "No rows.".to_owned());
        cursor.y += ROW_HEIGHT;
    }
    for row in rows {
        if cursor.y + ROW_HEIGHT > BOTTOM {
            cursor.new_page();
            header(cursor);
        }
        let mut x = MARGIN;
        for ((cell, column), width) in row.iter().zip(columns).zip(&widths) {
            let text = faces.fit(&cell.shown(zone), width - CELL_PADDING, TABLE_SIZE, false);
            let offset = if column.kind.is_numeric() {
                width - CELL_PADDING - faces.width(&text, TABLE_SIZE, false)
            } else {
                0.0
            };
            cursor.text(x + offset, TABLE_SIZE, false, INK, text);
            x += width;
        }
        cursor.y += ROW_HEIGHT;
    }
    if table.rows.len() > rows.len() {
        cursor.room_for(ROW_HEIGHT);
        let note = format!(
            "Showing the first {} of {} rows: the CSV, XLSX and JSON exports hold every row.",
            rows.len(),
            table.rows.len()
        );
        cursor.text(MARGIN, TABLE_SIZE, false, FAINT, note);
        cursor.y += ROW_HEIGHT;
    }
}

fn fill(surface: &mut Surface<'_>, (red, green, blue): (u8, u8, u8)) {
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(red, green, blue).into(),
        ..Fill::default()
    }));
}

/// Draws the laid-out pages, each with its foot.
pub(crate) fn render(report: &Report<'_>, laid: &Laid) -> Result<Vec<u8>, PdfError> {
    let regular = Font::new(dejavu::sans::regular().into(), 0).expect("DejaVu Sans loads");
    let bold = Font::new(dejavu::sans::bold().into(), 0).expect("DejaVu Sans Bold loads");
    let faces = Faces::new();
    let mut document = Document::new();
    document.set_metadata(Metadata::new().title(report.title.clone()).creator("Tally".to_owned()));
    let count = laid.pages.len();
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A4 is a page size");
    for (index, marks) in laid.pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let text = |surface: &mut Surface<'_>,
                    (x, y): (f32, f32),
                    size,
                    bold_face,
                    colour,
                    line: &str| {
            fill(surface, colour);
            let font = if bold_face { bold.clone() } else { regular.clone() };
            surface.draw_text(Point::from_xy(x, y), font, size, line, false, TextDirection::Auto);
        };
        for mark in marks {
            match mark {
                Mark::Text { x, y, size, bold, colour, text: line } => {
                    text(&mut surface, (*x, *y), *size, *bold, *colour, line);
                }
                Mark::Chart { x, y, chart } => {
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    let size = Size::from_wh(CONTENT_WIDTH, CHART_HEIGHT).expect("a chart's size");
                    surface.draw_svg(&laid.charts[*chart], size, SvgSettings::default());
                    surface.pop();
                }
                Mark::Rule { x, y, width } => {
                    fill(&mut surface, RULE);
                    let mut path = PathBuilder::new();
                    path.push_rect(Rect::from_xywh(*x, *y, *width, 0.6).expect("a rule's box"));
                    if let Some(path) = path.finish() {
                        surface.draw_path(&path);
                    }
                }
            }
        }
        let foot_y = PAGE_HEIGHT - MARGIN + 6.0;
        let computed = format!("Computed for {}", report.computed_for);
        text(&mut surface, (MARGIN, foot_y), TEXT_SIZE - 1.0, false, FAINT, &computed);
        let number = format!("Page {} of {count}", index + 1);
        let right = PAGE_WIDTH - MARGIN - faces.width(&number, TEXT_SIZE - 1.0, false);
        text(&mut surface, (right, foot_y), TEXT_SIZE - 1.0, false, FAINT, &number);
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|error| PdfError::Writing { message: format!("{error:?}") })
}
