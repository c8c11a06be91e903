//! Each chart kind drawn from a hand-built table, its SVG read back with an
//! independent XML parser (roxmltree) and its marks checked against figures
//! worked out by hand.

use roxmltree::{Document, Node};
use tally_charts::{ChartError, Frame, colour_of, draw_svg};
use tally_report::{Cell, Chart, ChartKind, Column, ColumnKind, Table, TableHeader};

fn month(text: &str) -> Cell {
    Cell::Text(text.to_owned())
}

fn table(kind: ChartKind, columns: Vec<Column>, values: &[&str], rows: Vec<Vec<Cell>>) -> Table {
    let chart = Chart::new(kind, "month", values.iter().map(|value| value.to_string()).collect());
    Table::new(TableHeader::new("Figures", columns).with_chart(chart), rows)
}

fn columns(values: &[(&str, &str)]) -> Vec<Column> {
    let mut columns = vec![Column::new("month", "Month", ColumnKind::Text)];
    for (name, title) in values {
        columns.push(Column::new(*name, *title, ColumnKind::Integer));
    }
    columns
}

fn hex([red, green, blue]: [u8; 3]) -> String {
    format!("#{red:02X}{green:02X}{blue:02X}")
}

fn number(node: &Node<'_, '_>, name: &str) -> f64 {
    node.attribute(name).unwrap_or_else(|| panic!("no {name} on {node:?}")).parse().unwrap()
}

/// A filled rectangle's left, top, width and height.
type Bar = (f64, f64, f64, f64);

/// The filled rectangles of `colour` in the plot, left to right: those at or
/// below the highest grid line, which leaves out the legend's swatches above.
fn bars(document: &Document<'_>, colour: &str) -> Vec<Bar> {
    let top = document
        .descendants()
        .filter(|node| node.has_tag_name("line"))
        .map(|node| number(&node, "y1"))
        .fold(f64::INFINITY, f64::min);
    let mut bars: Vec<Bar> = document
        .descendants()
        .filter(|node| node.has_tag_name("rect") && node.attribute("fill") == Some(colour))
        .filter(|node| number(node, "y") >= top - 0.5)
        .map(|node| {
            (
                number(&node, "x"),
                number(&node, "y"),
                number(&node, "width"),
                number(&node, "height"),
            )
        })
        .collect();
    bars.sort_by(|a, b| a.0.total_cmp(&b.0));
    bars
}

fn texts(document: &Document<'_>) -> Vec<(String, f64, f64)> {
    document
        .descendants()
        .filter(|node| node.has_tag_name("text"))
        .map(|node| {
            let text = node.text().unwrap_or_default().trim().to_owned();
            (text, number(&node, "x"), number(&node, "y"))
        })
        .collect()
}

fn svg(table: &Table, frame: &Frame) -> String {
    draw_svg(table, frame).unwrap()
}

fn near(found: f64, expected: f64, tolerance: f64) -> bool {
    (found - expected).abs() <= tolerance
}

#[test]
fn bars_stand_on_one_baseline_with_heights_in_proportion_to_their_values() {
    // Seats 4, 2 and 6: the 6 is 1.5 times the 4 and 3 times the 2.
    let table = table(
        ChartKind::Bar,
        columns(&[("seats", "Active seats")]),
        &["seats"],
        vec![
            vec![month("2026-01"), Cell::Integer(4)],
            vec![month("2026-02"), Cell::Integer(2)],
            vec![month("2026-03"), Cell::Integer(6)],
        ],
    );
    let text = svg(&table, &Frame::new(480, 300));
    let document = Document::parse(&text).unwrap();
    let bars = bars(&document, &hex(colour_of(0, 1)));
    assert_eq!(bars.len(), 3, "{text}");
    let bottoms: Vec<f64> = bars.iter().map(|(_, top, _, height)| top + height).collect();
    assert!(bottoms.iter().all(|bottom| near(*bottom, bottoms[0], 1.0)), "{bottoms:?}");
    let heights: Vec<f64> = bars.iter().map(|bar| bar.3).collect();
    // Whole pixels: each ratio within a pixel of the exact one.
    assert!(near(heights[2] / heights[0], 1.5, 1.5 / heights[0]), "{heights:?}");
    assert!(near(heights[2] / heights[1], 3.0, 3.0 / heights[1]), "{heights:?}");
    // The axis says what is counted.
    assert!(texts(&document).iter().any(|(text, ..)| text == "Active seats"));
}

#[test]
fn grouped_bars_leave_out_a_missing_value_and_keep_the_series_apart() {
    // Two series over two months; Feb has no value of the second: three bars,
    // the second series' Jan bar right of the first's.
    let table = table(
        ChartKind::Bar,
        columns(&[("ui", "Via UI"), ("api", "Via API")]),
        &["ui", "api"],
        vec![
            vec![month("2026-01"), Cell::Integer(3), Cell::Integer(6)],
            vec![month("2026-02"), Cell::Integer(3), Cell::Empty],
        ],
    );
    let text = svg(&table, &Frame::new(480, 300));
    let document = Document::parse(&text).unwrap();
    let first = bars(&document, &hex(colour_of(0, 2)));
    let second = bars(&document, &hex(colour_of(1, 2)));
    assert_eq!((first.len(), second.len()), (2, 1), "{text}");
    assert!(second[0].0 >= first[0].0 + first[0].2 - 1.0, "{first:?} {second:?}");
    assert!(second[0].0 < first[1].0, "Jan's second bar lies before Feb's first");
    // 6 is twice 3.
    assert!(near(second[0].3 / first[0].3, 2.0, 2.0 / first[0].3));
    // The legend names both series.
    let texts = texts(&document);
    for name in ["Via UI", "Via API"] {
        assert!(texts.iter().any(|(text, ..)| text == name), "{name} in {texts:?}");
    }
}

#[test]
fn stacked_bars_put_each_series_on_top_of_the_one_before() {
    // Runs by organization in long form: Jan north 3, south 1; Feb north 2.
    // Jan's south bar sits on north's 3 and is a third of its height.
    let mut columns = columns(&[("runs", "Runs")]);
    columns.insert(1, Column::new("organization", "Organization", ColumnKind::Text));
    let chart =
        Chart::new(ChartKind::StackedBar, "month", vec!["runs".into()]).by_series("organization");
    let rows = vec![
        vec![month("2026-01"), Cell::Text("north".into()), Cell::Integer(3)],
        vec![month("2026-01"), Cell::Text("south".into()), Cell::Integer(1)],
        vec![month("2026-02"), Cell::Text("north".into()), Cell::Integer(2)],
    ];
    let table = Table::new(TableHeader::new("Runs", columns).with_chart(chart), rows);
    let text = svg(&table, &Frame::new(480, 300));
    let document = Document::parse(&text).unwrap();
    let north = bars(&document, &hex(colour_of(0, 2)));
    let south = bars(&document, &hex(colour_of(1, 2)));
    assert_eq!((north.len(), south.len()), (2, 1), "{text}");
    let (jan_north, jan_south) = (north[0], south[0]);
    assert!(near(jan_south.1 + jan_south.3, jan_north.1, 1.0), "south on top of north");
    assert!(near(jan_north.3 / jan_south.3, 3.0, 3.0 / jan_south.3));
    assert!(near(north[1].3 / jan_south.3, 2.0, 2.0 / jan_south.3));
}

#[test]
fn a_line_breaks_at_a_missing_value_and_its_points_rise_with_their_values() {
    // 10, 20, none, 5: a line through the first two, the last point alone.
    let table = table(
        ChartKind::Line,
        columns(&[("calls", "MCP calls")]),
        &["calls"],
        vec![
            vec![month("2026-01"), Cell::Integer(10)],
            vec![month("2026-02"), Cell::Integer(20)],
            vec![month("2026-03"), Cell::Empty],
            vec![month("2026-04"), Cell::Integer(5)],
        ],
    );
    let text = svg(&table, &Frame::new(480, 300));
    let document = Document::parse(&text).unwrap();
    let colour = hex(colour_of(0, 1));
    let lines: Vec<Vec<(f64, f64)>> = document
        .descendants()
        .filter(|node| node.has_tag_name("polyline") && node.attribute("stroke") == Some(&colour))
        .map(|node| {
            node.attribute("points")
                .unwrap()
                .split_whitespace()
                .map(|pair| {
                    let (x, y) = pair.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect();
    assert_eq!(lines.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1], "{text}");
    let baseline = bars_baseline(&document);
    let height = |y: f64| baseline - y;
    // 20 is twice 10, 5 half of 10.
    assert!(near(height(lines[0][1].1) / height(lines[0][0].1), 2.0, 0.05));
    assert!(near(height(lines[1][0].1) / height(lines[0][0].1), 0.5, 0.05));
    // A point per value, drawn as a circle.
    let points = document
        .descendants()
        .filter(|node| node.has_tag_name("circle") && node.attribute("fill") == Some(&colour))
        .count();
    assert_eq!(points, 3);
}

/// The y of the value axis' zero: the horizontal axis line.
fn bars_baseline(document: &Document<'_>) -> f64 {
    let zero = texts(document).into_iter().find(|(text, ..)| text == "0").expect("a 0 label");
    zero.2
}

#[test]
fn a_pie_turns_clockwise_from_twelve_with_angles_in_proportion() {
    // Blueprints service 1, team 1, repo 2 of 4: 90, 90 and 180 degrees, so
    // slices end at 90, 180 and 360 degrees clockwise from twelve o'clock.
    let columns = vec![
        Column::new("blueprint", "Blueprint", ColumnKind::Text),
        Column::new("entities", "Entities", ColumnKind::Integer),
    ];
    let chart = Chart::new(ChartKind::Pie, "blueprint", vec!["entities".into()]);
    let rows = vec![
        vec![Cell::Text("service".into()), Cell::Integer(1)],
        vec![Cell::Text("team".into()), Cell::Integer(1)],
        vec![Cell::Text("repo".into()), Cell::Integer(2)],
    ];
    let table =
        Table::new(TableHeader::new("Entities by blueprint", columns).with_chart(chart), rows);
    let text = svg(&table, &Frame::new(480, 300));
    let document = Document::parse(&text).unwrap();
    let mut ends = Vec::new();
    for index in 0..3 {
        let colour = hex(colour_of(index, 3));
        let polygon = document
            .descendants()
            .find(|node| node.has_tag_name("polygon") && node.attribute("fill") == Some(&colour))
            .unwrap_or_else(|| panic!("slice {index} in {text}"));
        let points: Vec<(f64, f64)> = polygon
            .attribute("points")
            .unwrap()
            .split_whitespace()
            .map(|pair| {
                let (x, y) = pair.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        let centre = points[0];
        let angle = |(x, y): (f64, f64)| {
            let degrees = (x - centre.0).atan2(centre.1 - y).to_degrees();
            if degrees < -0.5 { degrees + 360.0 } else { degrees }
        };
        let (start, end) = (angle(points[1]), angle(*points.last().unwrap()));
        ends.push((start, end));
    }
    let expected = [(0.0, 90.0), (90.0, 180.0), (180.0, 360.0)];
    for ((start, end), (from, to)) in ends.iter().zip(expected) {
        // Whole pixels on a radius over 100: within a degree.
        let end = if to == 360.0 && *end < 1.0 { end + 360.0 } else { *end };
        assert!(near(*start, from, 1.0) && near(end, to, 1.0), "{ends:?}");
    }
    // The legend gives each share.
    let texts = texts(&document);
    assert!(texts.iter().any(|(text, ..)| text == "repo: 2 (50.0%)"), "{texts:?}");
    assert!(texts.iter().any(|(text, ..)| text == "service: 1 (25.0%)"), "{texts:?}");
}

#[test]
fn category_labels_never_overlap_and_the_time_axis_names_its_zone() {
    // 31 days in 480 pixels: slots of about 13 px, labels "2026-01-01" of
    // about 70 px in DejaVu Sans at 12 px (8 digits of 0.636 em and 2 hyphens
    // of 0.361 em: 12 * (8 * 0.636 + 2 * 0.361) = 69.7), so not every day can
    // be labelled: those drawn are at least 70 px apart.
    let rows = (1..=31)
        .map(|day| vec![Cell::Text(format!("2026-01-{day:02}")), Cell::Integer(day)])
        .collect();
    let table = table(ChartKind::Bar, columns(&[("visits", "Page visits")]), &["visits"], rows);
    let frame = Frame { time_zone: Some("Pacific/Auckland".into()), ..Frame::new(480, 300) };
    let text = svg(&table, &frame);
    let document = Document::parse(&text).unwrap();
    let labels: Vec<f64> = texts(&document)
        .into_iter()
        .filter(|(text, ..)| text.starts_with("2026-01-"))
        .map(|(_, x, _)| x)
        .collect();
    assert!(labels.len() >= 3, "{labels:?}");
    assert!(labels.len() < 31, "{labels:?}");
    for pair in labels.windows(2) {
        assert!(pair[1] - pair[0] >= 69.7, "{labels:?}");
    }
    assert_eq!(bars(&document, &hex(colour_of(0, 1))).len(), 31);
    assert!(texts(&document).iter().any(|(text, ..)| text == "Month (Pacific/Auckland)"));
}

#[test]
fn a_floor_is_drawn_as_no_data_not_as_zeros() {
    // Data from 2026-03-04 on: two months drawn, and the note says so.
    let table = table(
        ChartKind::Line,
        columns(&[("seats", "Active seats")]),
        &["seats"],
        vec![vec![month("2026-03"), Cell::Integer(2)], vec![month("2026-04"), Cell::Integer(3)]],
    );
    let frame = Frame { no_data_before: Some("2026-03-04".into()), ..Frame::new(480, 300) };
    let document_text = svg(&table, &frame);
    let document = Document::parse(&document_text).unwrap();
    let texts = texts(&document);
    assert!(texts.iter().any(|(text, ..)| text == "no data before 2026-03-04"), "{texts:?}");
    assert!(!texts.iter().any(|(text, ..)| text == "2026-02"), "no month before the floor");

    // With no rows at all, the plot says there is nothing rather than
    // drawing an empty axis as zeros.
    let empty = Table::new(table.header.clone(), Vec::new());
    let document_text = svg(&empty, &frame);
    let document = Document::parse(&document_text).unwrap();
    assert!(texts_of(&document).contains(&"No data before 2026-03-04".to_owned()));
    assert!(bars(&document, &hex(colour_of(0, 1))).is_empty());
}

fn texts_of(document: &Document<'_>) -> Vec<String> {
    texts(document).into_iter().map(|(text, ..)| text).collect()
}

#[test]
fn series_colours_grow_lighter_so_they_stay_apart_in_grey() {
    // Relative luminance by Rec. 709 weights of the sRGB values (a close
    // enough stand-in for a grey print): rising from one series to the next.
    let grey = |index: usize| {
        let [red, green, blue] = colour_of(index, 6);
        0.2126 * f64::from(red) + 0.7152 * f64::from(green) + 0.0722 * f64::from(blue)
    };
    for index in 1..6 {
        assert!(grey(index) > grey(index - 1) + 10.0, "series {index}");
    }
}

#[test]
fn a_table_without_a_chart_or_a_tiny_frame_is_refused_by_name() {
    let header = TableHeader::new("Plain", vec![Column::new("month", "Month", ColumnKind::Text)]);
    let error = draw_svg(&Table::new(header, Vec::new()), &Frame::new(480, 300)).unwrap_err();
    assert!(matches!(&error, ChartError::NoChart { title } if title == "Plain"), "{error}");

    let table = table(ChartKind::Bar, columns(&[("seats", "Seats")]), &["seats"], Vec::new());
    let error = draw_svg(&table, &Frame::new(100, 300)).unwrap_err();
    assert!(error.to_string().contains("100x300"), "{error}");
}

#[test]
fn a_pie_with_more_slices_than_its_legend_holds_gathers_the_smallest_as_other() {
    // 20 blueprints worth 20, 19, ..., 1 (210 in all) in a 300 px frame: the
    // legend holds (300 - 16) / 18 = 15 lines, so the 14 largest keep their
    // slice and the 6 smallest (6 + 5 + 4 + 3 + 2 + 1 = 21, 10% of 210) make
    // one "Other (6)" slice.
    let columns = vec![
        Column::new("blueprint", "Blueprint", ColumnKind::Text),
        Column::new("entities", "Entities", ColumnKind::Integer),
    ];
    let chart = Chart::new(ChartKind::Pie, "blueprint", vec!["entities".into()]);
    let rows = (0..20)
        .map(|index| vec![Cell::Text(format!("blueprint-{index:02}")), Cell::Integer(20 - index)])
        .collect();
    let table = Table::new(TableHeader::new("Entities", columns).with_chart(chart), rows);
    let text = svg(&table, &Frame::new(480, 300));
    let document = Document::parse(&text).unwrap();
    let texts = texts_of(&document);
    assert!(texts.contains(&"Other (6): 21 (10.0%)".to_owned()), "{texts:?}");
    assert!(texts.contains(&"blueprint-13: 7 (3.3%)".to_owned()), "{texts:?}");
    assert!(!texts.iter().any(|text| text.starts_with("blueprint-14")), "{texts:?}");
    let slices = document.descendants().filter(|node| node.has_tag_name("polygon")).count();
    assert_eq!(slices, 15);
}

#[test]
fn names_too_wide_for_their_slot_are_cut_so_that_every_bar_keeps_its_label() {
    // Ten pages whose paths are far wider than a tenth of the plot: each bar
    // keeps a label, cut with an ellipsis, and no two labels overlap (their
    // centres a slot apart, each narrower than a slot).
    let rows = (0..10)
        .map(|index| {
            vec![
                Cell::Text(format!("/catalog/services/{index}/overview/settings")),
                Cell::Integer(10 - index),
            ]
        })
        .collect();
    let table = table(ChartKind::Bar, columns(&[("visits", "Visits")]), &["visits"], rows);
    let text = svg(&table, &Frame::new(480, 300));
    let document = Document::parse(&text).unwrap();
    let labels: Vec<(String, f64)> = texts(&document)
        .into_iter()
        .filter(|(text, ..)| text.starts_with("/c"))
        .map(|(text, x, _)| (text, x))
        .collect();
    assert_eq!(labels.len(), 10, "{labels:?}");
    assert!(labels.iter().all(|(text, _)| text.ends_with('…')), "{labels:?}");
    let slot = labels[1].1 - labels[0].1;
    // DejaVu Sans at 12 px: each character at least 3.3 px (the narrowest,
    // "i" and "l", are 0.278 em), so a cut label of n characters is at least
    // 3.3 n px wide; it must stay under a slot.
    for (label, _) in &labels {
        assert!(3.3 * label.chars().count() as f64 <= slot, "{label} in a slot of {slot}");
    }
}
