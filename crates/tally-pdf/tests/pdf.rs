//! Reports laid out as PDFs and read back with poppler-utils (`pdftotext`,
//! `pdfinfo`, `pdftoppm`), an independent reader.

use std::path::Path;
use std::process::Command;

use chrono::{TimeZone, Utc};
use tally_pdf::{Report, Section, write_pdf};
use tally_report::{Cell, Column, ColumnKind, Table, TableHeader};

fn run(program: &str, arguments: &[&str]) -> String {
    let output = Command::new(program)
        .args(arguments)
        .output()
        .unwrap_or_else(|error| panic!("{program} (poppler-utils) must be installed: {error}"));
    assert!(output.status.success(), "{program}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn runs_table(rows: i64) -> Table {
    let header = TableHeader::new(
        "Automation runs",
        vec![
            Column::new("run_id", "Run", ColumnKind::Text),
            Column::new("started", "Started", ColumnKind::DateTime),
            Column::new("share", "Share", ColumnKind::Percent),
            Column::new("states", "States", ColumnKind::Integer),
        ],
    );
    let rows = (1..=rows)
        .map(|number| {
            vec![
                Cell::Text(format!("run-{number:04}")),
                // 2026-03-01 10:00Z plus an hour per run.
                Cell::DateTime(
                    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
                        + chrono::Duration::hours(number),
                ),
                Cell::Percent(number as f64 / 1000.0),
                Cell::Integer(number * 3),
            ]
        })
        .collect();
    Table::new(header, rows)
}

/// A chart of two bars, as `tally-charts` would draw it: a bar labelled by
/// text, so that its text lands in the PDF.
const CHART: &str = r##"<svg width="640" height="320" viewBox="0 0 640 320" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="640" height="320" fill="#FFFFFF"/>
<rect x="100" y="100" width="80" height="200" fill="#35608D"/>
<rect x="300" y="200" width="80" height="100" fill="#35608D"/>
<text x="140" y="315" text-anchor="middle" font-family="sans-serif" font-size="12">2026-02</text>
</svg>"##;

fn report<'a>(tables: &'a [Table], rows_per_table: usize) -> Report<'a> {
    Report {
        title: "Actions & automations".to_owned(),
        facts: vec![
            ("Account".to_owned(), "acme-robotics".to_owned()),
            ("Period".to_owned(), "2026-03-01 to 2026-03-31 (Pacific/Auckland)".to_owned()),
            ("Filters".to_owned(), "organization north".to_owned()),
        ],
        computed_for: "2026-04-01T00:00:00Z".to_owned(),
        time_zone: chrono_tz::Pacific::Auckland,
        rows_per_table,
        sections: vec![
            Section {
                title: "Automation runs per month".to_owned(),
                notes: vec!["no data before 2026-03-04".to_owned()],
                chart: Some(CHART.to_owned()),
                table: &tables[0],
            },
            Section {
                title: "Automation runs log".to_owned(),
                notes: vec![],
                chart: None,
                table: &tables[1],
            },
        ],
    }
}

fn written(report: &Report<'_>, dir: &Path) -> std::path::PathBuf {
    let path = dir.join("tab.pdf");
    std::fs::write(&path, write_pdf(report).unwrap()).unwrap();
    path
}

#[test]
fn every_title_fact_and_figure_reads_back_and_long_tables_continue_on_numbered_pages() {
    let dir = tempfile::tempdir().unwrap();
    let tables = [runs_table(2), runs_table(150)];
    let path = written(&report(&tables, 500), dir.path());
    let file = path.to_str().unwrap();
    let text = run("pdftotext", &["-layout", file, "-"]);
    for expected in [
        "Actions & automations",
        "acme-robotics",
        "organization north",
        "2026-03-01 to 2026-03-31 (Pacific/Auckland)",
        "Automation runs per month",
        "no data before 2026-03-04",
        "Automation runs log",
        "Computed for 2026-04-01T00:00:00Z",
        // The chart's own text, drawn as text.
        "2026-02",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    // Every run's figures: run-0150 started 150 hours after 2026-03-01 10:00Z,
    // 2026-03-07 16:00Z, which is 2026-03-08 05:00 in Auckland (UTC+13 in
    // March); its share 150/1000 = 15.00%, its states 450.
    let row = text.lines().find(|line| line.contains("run-0150")).expect("run-0150");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells, ["run-0150", "2026-03-08", "05:00:00+13:00", "15.00%", "450"], "{row}");
    for number in 1..=150 {
        assert!(text.contains(&format!("run-{number:04}")), "run {number}");
    }
    // 150 rows of 12 points do not fit one A4 page: the table goes on, under
    // its header again, on numbered pages.
    let info = run("pdfinfo", &[file]);
    let pages: usize = info
        .lines()
        .find_map(|line| line.strip_prefix("Pages:"))
        .map(|count| count.trim().parse().unwrap())
        .unwrap();
    assert!(pages >= 3, "{info}");
    assert!(text.contains(&format!("Page {pages} of {pages}")), "{text}");
    assert_eq!(text.matches("Started").count(), text.matches("States").count());
    assert!(text.matches("Started").count() >= pages - 1, "the header on each page of the log");
    // Title and metadata agree.
    let title = info.lines().find_map(|line| line.strip_prefix("Title:")).map(str::trim);
    assert_eq!(title, Some("Actions & automations"), "{info}");
}

#[test]
fn a_table_longer_than_the_limit_says_how_many_rows_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let tables = [runs_table(0), runs_table(30)];
    let path = written(&report(&tables, 25), dir.path());
    let text = run("pdftotext", &[path.to_str().unwrap(), "-"]);
    assert!(text.contains("run-0025") && !text.contains("run-0026"), "{text}");
    assert!(text.contains("Showing the first 25 of 30 rows"), "{text}");
    // The empty table says so rather than leaving a header alone.
    assert!(text.contains("No rows."), "{text}");
}

#[test]
fn a_page_renders_to_an_image_with_ink_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let tables = [runs_table(2), runs_table(10)];
    let path = written(&report(&tables, 500), dir.path());
    let prefix = dir.path().join("page");
    run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "1",
            path.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let image = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|extension| extension == "png"))
        .expect("a PNG of page 1");
    // The chart's blue bars (#35608D) are drawn: some pixel is close to it.
    let ppm = run_bytes("pdftoppm", &["-r", "40", "-f", "1", "-l", "1", path.to_str().unwrap()]);
    let pixels = ppm_pixels(&ppm);
    let blue = pixels.iter().filter(|(red, green, blue)| {
        red.abs_diff(0x35) < 24 && green.abs_diff(0x60) < 24 && blue.abs_diff(0x8d) < 24
    });
    assert!(blue.count() > 50, "the bars are drawn");
    assert!(std::fs::metadata(image).unwrap().len() > 1000);
}

fn run_bytes(program: &str, arguments: &[&str]) -> Vec<u8> {
    let output = Command::new(program).args(arguments).output().unwrap();
    assert!(output.status.success());
    output.stdout
}

/// The pixels of a binary PPM (P6, maximum 255), as pdftoppm writes it.
fn ppm_pixels(ppm: &[u8]) -> Vec<(u8, u8, u8)> {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8(ppm[start..at].to_vec()).unwrap());
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P6", "255"));
    ppm[at + 1..].chunks_exact(3).map(|pixel| (pixel[0], pixel[1], pixel[2])).collect()
}
