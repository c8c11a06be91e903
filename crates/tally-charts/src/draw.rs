//! The drawing itself, with plotters on its SVG backend.

use std::sync::Once;

use crate::{Frame, Plot};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The font family every text of a chart names; DejaVu Sans is registered
/// under it, so text is measured with the font a PDF embeds.
const FAMILY: &str = "sans-serif";
/// Plotters writes an SVG font size of this over 1.24: 12 px.
const TEXT_SIZE: f64 = 14.88;
const LEGEND_SWATCH: i32 = 10;
const LEGEND_ROW: i32 = 18;
/// The least room between two category labels.
const LABEL_GAP: i32 = 8;
/// The room under the plot for the category labels and the axis title.
const CATEGORY_AREA: u32 = 42;
const VALUE_AREA: u32 = 64;
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const FAINT: RGBColor = RGBColor(0x70, 0x70, 0x70);

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// The colour of series `index` of `count`: viridis sampled evenly from its
/// dark end, stopping short of its pale yellow, which is faint on white.
/// As red, green and blue.
pub fn colour_of(index: usize, count: usize) -> [u8; 3] {
    let RGBColor(red, green, blue) = series_colour(index, count);
    [red, green, blue]
}

fn series_colour(index: usize, count: usize) -> RGBColor {
    let position = if count <= 1 { 0.3 } else { 0.85 * index as f64 / (count - 1) as f64 };
    ViridisRGB::get_color(position)
}

fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // DejaVu Sans is a well-formed font: registering it cannot fail.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular());
    });
}

fn text(anchor: (HPos, VPos), colour: &'static RGBColor) -> TextStyle<'static> {
    TextStyle::from((FAMILY, TEXT_SIZE).into_font()).color(colour).pos(Pos::new(anchor.0, anchor.1))
}

fn text_width(label: &str) -> i32 {
    (FAMILY, TEXT_SIZE).into_font().box_size(label).map(|(width, _)| width as i32).unwrap_or(0)
}

fn failed(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// What a chart over categories draws for its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marks {
    /// A line through each series' values, broken where one is missing.
    Lines,
    /// A bar per category and series, side by side.
    Bars,
    /// A bar per category, stacked from its series' values.
    StackedBars,
}

/// Lines, grouped bars or stacked bars over the categories.
pub(crate) fn cartesian(plot: &Plot, marks: Marks, frame: &Frame) -> Result<String, String> {
    register_font();
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (frame.width, frame.height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let names: Vec<&str> = plot.series.iter().map(|series| series.name.as_str()).collect();
        let legend_height = if names.len() > 1 { legend(&root, &names, frame.width)? } else { 0 };
        let (_, area) = root.split_vertically(legend_height as u32 + 8);

        let stacked = marks == Marks::StackedBars;
        let smallest = plot
            .series
            .iter()
            .flat_map(|series| series.values.iter().flatten())
            .fold(0.0_f64, |least, value| least.min(*value));
        let bottom = if stacked { 0.0 } else { smallest };
        let top = nice_ceiling(plot.largest(stacked)).max(if bottom < 0.0 { 0.0 } else { 1.0 });
        let slots = plot.categories.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&area)
            .margin_right(16)
            .margin_top(4)
            .x_label_area_size(CATEGORY_AREA)
            .y_label_area_size(VALUE_AREA)
            .build_cartesian_2d(0.0..slots, bottom..top)
            .map_err(failed)?;
        let percentage = plot.percentage;
        let value_label = move |value: &f64| format_value(*value, percentage);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&value_label)
            .x_desc(category_axis_title(plot, frame))
            .y_desc(plot.value_title.as_str())
            .label_style((FAMILY, TEXT_SIZE).into_font().color(&INK))
            .axis_desc_style((FAMILY, TEXT_SIZE).into_font().color(&INK))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(failed)?;

        // Category labels under the slots. Times that would not fit side by
        // side are drawn every `step`-th (the others follow from them); names
        // are each cut to their slot, since no name follows from another.
        let slot_width = {
            let (left, _) = chart.backend_coord(&(0.0, bottom));
            let (right, _) = chart.backend_coord(&(slots, bottom));
            f64::from(right - left) / slots
        };
        let widest = plot.categories.iter().map(|label| text_width(label)).max().unwrap_or(0);
        let step = match frame.time_zone {
            Some(_) => label_step(widest, slot_width),
            None => 1,
        };
        for (at, label) in plot.categories.iter().enumerate().step_by(step) {
            let (x, y) = chart.backend_coord(&(at as f64 + 0.5, bottom));
            let label = match frame.time_zone {
                Some(_) => label.clone(),
                None => fit(label, slot_width as i32 - LABEL_GAP),
            };
            root.draw(&Text::new(label, (x, y + 6), text((HPos::Center, VPos::Top), &INK)))
                .map_err(failed)?;
        }

        let count = plot.series.len();
        match marks {
            Marks::Lines => {
                for (index, series) in plot.series.iter().enumerate() {
                    let colour = series_colour(index, count);
                    // A missing value breaks the line rather than dropping to zero.
                    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
                    for (at, value) in series.values.iter().enumerate() {
                        match value {
                            Some(value) => {
                                runs.last_mut().expect("a run").push((at as f64 + 0.5, *value))
                            }
                            None => runs.push(Vec::new()),
                        }
                    }
                    for points in runs.into_iter().filter(|run| !run.is_empty()) {
                        chart
                            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                            .map_err(failed)?;
                        chart
                            .draw_series(
                                points
                                    .into_iter()
                                    .map(|point| Circle::new(point, 3, colour.filled())),
                            )
                            .map_err(failed)?;
                    }
                }
            }
            Marks::Bars => {
                let width = 0.8 / count.max(1) as f64;
                for (index, series) in plot.series.iter().enumerate() {
                    let colour = series_colour(index, count);
                    let bars = series.values.iter().enumerate().filter_map(|(at, value)| {
                        let left = at as f64 + 0.1 + width * index as f64;
                        value.map(|value| {
                            Rectangle::new([(left, 0.0), (left + width, value)], colour.filled())
                        })
                    });
                    chart.draw_series(bars).map_err(failed)?;
                }
            }
            Marks::StackedBars => {
                let mut heights = vec![0.0_f64; plot.categories.len()];
                for (index, series) in plot.series.iter().enumerate() {
                    let colour = series_colour(index, count);
                    let mut bars = Vec::new();
                    for (at, value) in series.values.iter().enumerate() {
                        let Some(value) = value.filter(|value| *value > 0.0) else { continue };
                        let corners = [
                            (at as f64 + 0.1, heights[at]),
                            (at as f64 + 0.9, heights[at] + value),
                        ];
                        bars.push(Rectangle::new(corners, colour.filled()));
                        bars.push(Rectangle::new(corners, WHITE.stroke_width(1)));
                        heights[at] += value;
                    }
                    chart.draw_series(bars).map_err(failed)?;
                }
            }
        }

        let (left, top_edge) = chart.backend_coord(&(0.0, top));
        let (right, bottom_edge) = chart.backend_coord(&(slots, bottom));
        if plot.categories.is_empty() {
            let message = match &frame.no_data_before {
                Some(day) => format!("No data before {day}"),
                None => "No data in this period".to_owned(),
            };
            let centre = ((left + right) / 2, (top_edge + bottom_edge) / 2);
            root.draw(&Text::new(message, centre, text((HPos::Center, VPos::Center), &FAINT)))
                .map_err(failed)?;
        } else if let Some(day) = &frame.no_data_before {
            // The period starts before the data: say so where the axis starts.
            root.draw(&PathElement::new(
                vec![(left, top_edge), (left, bottom_edge)],
                FAINT.stroke_width(2),
            ))
            .map_err(failed)?;
            root.draw(&Text::new(
                format!("no data before {day}"),
                (left + 6, top_edge + 2),
                text((HPos::Left, VPos::Top), &FAINT),
            ))
            .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// One slice per category, clockwise from twelve o'clock, with a legend
/// giving each slice's value and share.
pub(crate) fn pie(plot: &Plot, frame: &Frame) -> Result<String, String> {
    register_font();
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (frame.width, frame.height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let values: Vec<f64> = match plot.series.first() {
            Some(series) => {
                series.values.iter().map(|value| value.unwrap_or(0.0).max(0.0)).collect()
            }
            None => Vec::new(),
        };
        let total: f64 = values.iter().sum();
        let side = frame.height.min(frame.width / 2) as i32;
        let radius = side / 2 - 12;
        let centre = (side / 2, frame.height as i32 / 2);
        if total <= 0.0 {
            let message = match &frame.no_data_before {
                Some(day) => format!("No data before {day}"),
                None => "No data in this period".to_owned(),
            };
            root.draw(&Text::new(message, centre, text((HPos::Center, VPos::Center), &FAINT)))
                .map_err(failed)?;
        }
        let slices = slices_that_fit(&plot.categories, &values, legend_rows(frame));
        let count = slices.len();
        let legend_width = frame.width as i32 - side - 16 - LEGEND_SWATCH - 6 - 8;
        let mut start = 0.0_f64;
        let mut row = 0;
        for (index, (name, value)) in slices.iter().enumerate() {
            let colour = series_colour(index, count);
            if *value > 0.0 {
                let sweep = value / total * std::f64::consts::TAU;
                let points = slice(centre, radius, start, sweep);
                root.draw(&Polygon::new(points.clone(), colour.filled())).map_err(failed)?;
                let mut outline = points;
                outline.push(centre);
                root.draw(&PathElement::new(outline, WHITE.stroke_width(1))).map_err(failed)?;
                start += sweep;
            }
            let y = 16 + row * LEGEND_ROW;
            let x = side + 16;
            root.draw(&Rectangle::new(
                [(x, y), (x + LEGEND_SWATCH, y + LEGEND_SWATCH)],
                colour.filled(),
            ))
            .map_err(failed)?;
            let share = if total > 0.0 { value / total * 100.0 } else { 0.0 };
            let label = fit(
                &format!("{name}: {} ({share:.1}%)", format_value(*value, plot.percentage)),
                legend_width,
            );
            root.draw(&Text::new(
                label,
                (x + LEGEND_SWATCH + 6, y - 1),
                text((HPos::Left, VPos::Top), &INK),
            ))
            .map_err(failed)?;
            row += 1;
        }
        if let Some(day) = &frame.no_data_before {
            let y = 16 + row * LEGEND_ROW + 6;
            root.draw(&Text::new(
                format!("no data before {day}"),
                (side + 16, y),
                text((HPos::Left, VPos::Top), &FAINT),
            ))
            .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// Legend rows a pie's frame holds, leaving one for a "no data before" line.
fn legend_rows(frame: &Frame) -> usize {
    let rows = (frame.height as i32 - 16) / LEGEND_ROW;
    (rows.max(2) as usize) - usize::from(frame.no_data_before.is_some())
}

/// The slices drawn: every category when the legend holds them all, else the
/// largest `rows - 1` in their order and one "Other (n)" slice of the rest,
/// so that no legend line falls off the drawing.
fn slices_that_fit(categories: &[String], values: &[f64], rows: usize) -> Vec<(String, f64)> {
    let all = categories.iter().cloned().zip(values.iter().copied());
    if categories.len() <= rows {
        return all.collect();
    }
    let mut by_size: Vec<usize> = (0..values.len()).collect();
    by_size.sort_by(|a, b| values[*b].total_cmp(&values[*a]).then(a.cmp(b)));
    let kept: Vec<usize> = by_size[..rows - 1].to_vec();
    let mut slices: Vec<(String, f64)> =
        all.enumerate().filter(|(index, _)| kept.contains(index)).map(|(_, slice)| slice).collect();
    let others = values.len() - kept.len();
    let rest = by_size[rows - 1..].iter().map(|index| values[*index]).sum();
    slices.push((format!("Other ({others})"), rest));
    slices
}

/// `label`, cut and ended with an ellipsis if wider than `width` pixels.
fn fit(label: &str, width: i32) -> String {
    if text_width(label) <= width {
        return label.to_owned();
    }
    let mut kept = label.to_owned();
    while !kept.is_empty() && text_width(&format!("{kept}…")) > width {
        kept.pop();
    }
    format!("{kept}…")
}

/// The outline of a slice from `start` through `sweep` radians, clockwise
/// from twelve o'clock: the centre, then points on the arc at most two
/// degrees apart.
fn slice(centre: (i32, i32), radius: i32, start: f64, sweep: f64) -> Vec<(i32, i32)> {
    let steps = (sweep.to_degrees() / 2.0).ceil().max(1.0) as usize;
    let mut points = vec![centre];
    for step in 0..=steps {
        let angle = start + sweep * step as f64 / steps as f64;
        points.push((
            centre.0 + (f64::from(radius) * angle.sin()).round() as i32,
            centre.1 - (f64::from(radius) * angle.cos()).round() as i32,
        ));
    }
    points
}

/// Draws the legend across the top, wrapping rows; answers its height.
fn legend(root: &Area<'_>, names: &[&str], width: u32) -> Result<i32, String> {
    let (mut x, mut y) = (VALUE_AREA as i32, 4);
    let count = names.len();
    for (index, name) in names.iter().enumerate() {
        let entry = LEGEND_SWATCH + 6 + text_width(name) + 16;
        if x + entry > width as i32 && x > VALUE_AREA as i32 {
            x = VALUE_AREA as i32;
            y += LEGEND_ROW;
        }
        root.draw(&Rectangle::new(
            [(x, y + 2), (x + LEGEND_SWATCH, y + 2 + LEGEND_SWATCH)],
            series_colour(index, count).filled(),
        ))
        .map_err(failed)?;
        root.draw(&Text::new(
            *name,
            (x + LEGEND_SWATCH + 6, y),
            text((HPos::Left, VPos::Top), &INK),
        ))
        .map_err(failed)?;
        x += entry;
    }
    Ok(y + LEGEND_ROW)
}

/// How many slots apart the category labels are drawn so that none overlaps
/// the next: a label is as wide as `widest` plus a gap.
fn label_step(widest: i32, slot_width: f64) -> usize {
    if slot_width <= 0.0 {
        return 1;
    }
    (f64::from(widest + LABEL_GAP) / slot_width).ceil().max(1.0) as usize
}

fn category_axis_title(plot: &Plot, frame: &Frame) -> String {
    match &frame.time_zone {
        Some(zone) => format!("{} ({zone})", plot.category_title),
        None => plot.category_title.clone(),
    }
}

/// A round value at or above `value`: 1, 2 or 5 times a power of ten.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 {
        return 0.0;
    }
    let power = 10_f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * power)
        .find(|candidate| *candidate >= value)
        .unwrap_or(10.0 * power)
}

fn format_value(value: f64, percentage: bool) -> String {
    let number = if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    if percentage { format!("{number}%") } else { number }
}
