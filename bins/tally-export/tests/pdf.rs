//! `tally-export dashboard --format pdf` on the demo's data: each tab's PDF
//! read back with poppler-utils (`pdftotext`, `pdftoppm`). Every widget's
//! title and every row of its table (as the JSON export of the same query
//! gives them) must be in the text, each row on one line in its column order;
//! the first page must render to an image with the charts' ink on it.
//!
//! With `TALLY_SCREENSHOTS=DIR` set, the first page of each tab is also
//! written to `DIR/dashboard-TAB.png` (how `docs/screenshots/` is made).

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::export;

const TABS: [&str; 5] =
    ["users-activity", "entities", "actions-automations", "data-sources", "ai-mcp"];

fn tool(program: &str, arguments: &[&str]) -> Vec<u8> {
    let output = Command::new(program)
        .args(arguments)
        .output()
        .unwrap_or_else(|error| panic!("{program} (poppler-utils) must be installed: {error}"));
    assert!(output.status.success(), "{program}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// How a cell of `kind` reads in the PDF, by the rules of docs/dashboard.md
/// ("PDF"): numbers as in the XLSX sheet, instants to the second in the
/// account's zone.
fn shown(value: &Value, kind: &str, zone: chrono_tz::Tz) -> String {
    match (kind, value) {
        (_, Value::Null) => String::new(),
        ("integer", Value::Number(number)) => number.to_string(),
        ("percentage", Value::Number(number)) => format!("{:.2}%", number.as_f64().unwrap()),
        ("percent", Value::Number(number)) => format!("{:.2}%", number.as_f64().unwrap() * 100.0),
        ("decimal", Value::Number(number)) => {
            let text = format!("{:.2}", number.as_f64().unwrap());
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        ("date_time", Value::String(text)) => {
            let at: DateTime<Utc> = text.parse().unwrap();
            at.with_timezone(&zone).to_rfc3339_opts(SecondsFormat::Secs, false).replace('T', " ")
        }
        (_, Value::String(text)) => text.clone(),
        (kind, value) => panic!("a {kind} cell {value}"),
    }
}

/// Whether `cells` appear in `line` in order; a cell too wide for its column
/// is cut and ends with "…", so its first characters and the ellipsis do.
fn in_order(line: &str, cells: &[String]) -> bool {
    let mut rest = line;
    for cell in cells.iter().filter(|cell| !cell.is_empty()) {
        if let Some(at) = rest.find(cell.as_str()) {
            rest = &rest[at + cell.len()..];
            continue;
        }
        let cut = (2..cell.chars().count()).rev().find_map(|kept| {
            let prefix: String = cell.chars().take(kept).collect();
            rest.find(&format!("{prefix}…")).map(|at| at + prefix.len() + '…'.len_utf8())
        });
        match cut {
            Some(end) => rest = &rest[end..],
            None => return false,
        }
    }
    true
}

fn demo(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("demo.sqlite");
    let end: DateTime<Utc> = "2026-11-25T00:00:00Z".parse().unwrap();
    tally_ingest::demo::build_demo(&db, &dir.join("audit.key"), end, |_, _, _| {}).unwrap();
    db
}

#[test]
fn each_tab_as_a_pdf_holds_every_widget_title_and_row_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    // acme-robotics keeps its calendar in Berlin (tally-fixtures).
    let zone: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    for tab in TABS {
        let asked = ["dashboard", "--account", "acme-robotics", "--tab", tab, "--at", "2026-11-20"];
        let json = export(&db, &[&asked[..], &["--format", "json"]].concat());
        assert!(json.status.success(), "{}", String::from_utf8_lossy(&json.stderr));
        let document: Value = serde_json::from_slice(&json.stdout).unwrap();
        let pdf = dir.path().join(format!("{tab}.pdf"));
        let written = export(
            &db,
            &[&asked[..], &["--format", "pdf", "--output", pdf.to_str().unwrap()]].concat(),
        );
        assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
        let text =
            String::from_utf8(tool("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"])).unwrap();
        assert!(text.contains("acme-robotics"), "{tab}: the account");
        let mut rows_seen = 0;
        for widget in document["widgets"].as_array().unwrap() {
            let table = &widget["table"];
            let title = table["title"].as_str().unwrap();
            assert!(text.contains(title), "{tab}: widget title {title:?}");
            let columns: Vec<(&str, &str)> = table["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|column| (column["name"].as_str().unwrap(), column["type"].as_str().unwrap()))
                .collect();
            for row in table["rows"].as_array().unwrap().iter().take(500) {
                let cells: Vec<String> =
                    columns.iter().map(|(name, kind)| shown(&row[name], kind, zone)).collect();
                assert!(
                    text.lines().any(|line| in_order(line, &cells)),
                    "{tab}/{title}: no line holds {cells:?}"
                );
                rows_seen += 1;
            }
        }
        assert!(rows_seen > 0, "{tab}: the demo gives the tab some rows");

        let image = dir.path().join(tab);
        tool(
            "pdftoppm",
            &[
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                pdf.to_str().unwrap(),
                image.to_str().unwrap(),
            ],
        );
        let png = image.with_extension("png");
        assert!(std::fs::metadata(&png).unwrap().len() > 5_000, "{tab}: page 1 rendered");
        if let Some(screenshots) = std::env::var_os("TALLY_SCREENSHOTS") {
            std::fs::copy(&png, Path::new(&screenshots).join(format!("dashboard-{tab}.png")))
                .unwrap();
        }
    }
}
