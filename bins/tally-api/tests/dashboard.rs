//! The usage dashboard over HTTP: a widget, its rows behind, a whole tab in
//! three formats, and the refusals. Figures are worked out by hand from
//! `ACME_EVENTS` (Europe/Berlin).

use calamine::Reader;

use crate::common::*;

const AT: &str = "at=2026-04-20T00:00:00Z";

#[test]
fn a_widget_answers_its_rows_and_the_activity_behind_each() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let answer = api.get(
        &format!("/v1/accounts/acme/dashboard/actions-automations/monthly-action-runs?{AT}"),
        token,
    );
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.content_type, "application/json");
    let widget = answer.json();
    // r-a1 (two states, both March 10) and r-a2 (March 11), both acme-east:
    // two runs in March; nothing before the first state, on March 10.
    assert_eq!(
        widget["table"]["rows"],
        serde_json::json!([
            {"month": "2026-03", "organization": "acme-east", "runs": 2}
        ])
    );
    assert_eq!(widget["widget"], "monthly-action-runs");
    assert_eq!(widget["first_day"], "2025-05-01");
    assert_eq!(widget["last_day"], "2026-04-20");
    assert_eq!(widget["available_from"], "2026-03-10T10:00:00Z");
    assert_eq!(widget["notes"], serde_json::json!(["no data before 2026-03-10"]));
    assert_eq!(widget["table"]["chart"]["kind"], "stacked_bar");
    assert_eq!(widget["table"]["chart"]["series"], "organization");

    let behind = widget["rows_behind"][0].as_str().unwrap().to_owned();
    assert_eq!(
        behind,
        "/v1/accounts/acme/activity?kind=action_run&from=2026-03-01&to=2026-03-31&organization=acme-east"
    );
    let rows = api.get(&behind, token).json();
    let runs: Vec<(String, String, u64)> = rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["day"].as_str().unwrap().to_owned(),
                row["user"].as_str().unwrap().to_owned(),
                row["events"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        runs,
        [("2026-03-10".into(), "u-1".into(), 1), ("2026-03-11".into(), "u-2".into(), 1)]
    );

    // The same widget as CSV: the table alone.
    let csv = api.get(
        &format!("/v1/accounts/acme/dashboard/actions-automations/actions-by-user?{AT}&format=csv"),
        token,
    );
    assert_eq!(csv.status, 200);
    assert_eq!(csv.text(), "user,runs\r\nu-1,1\r\nu-2,1\r\n");
}

#[test]
fn a_whole_tab_reads_back_as_json_csv_sections_and_a_workbook() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let path = format!("/v1/accounts/acme/dashboard/users-activity?{AT}");

    let document = api.get(&path, token).json();
    assert_eq!(document["account"], "acme");
    assert_eq!(document["at"], "2026-04-20T00:00:00Z");
    let widgets = document["widgets"].as_array().unwrap();
    let names: Vec<&str> =
        widgets.iter().map(|widget| widget["widget"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "monthly-active-seats",
            "activated-seats",
            "most-engaged-teams",
            "least-engaged-teams",
            "least-engaged-users",
            "latest-logins",
            "popular-pages-members",
            "popular-pages-admins",
            "member-page-visits",
            "admin-page-visits",
        ]
    );
    // Ana's three Monday logins make her a seat from March 16: Jan, Feb 0,
    // Mar 1, Apr 1.
    let seats: Vec<i64> = widgets[0]["table"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["seats"].as_i64().unwrap())
        .collect();
    assert_eq!(seats, [0, 0, 1, 1]);

    let csv = api.get(&format!("{path}&format=csv"), token);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let text = csv.text();
    let sections: Vec<&str> = text.split("\r\n\r\n").filter(|part| !part.is_empty()).collect();
    assert_eq!(sections.len(), 11, "about and ten widgets: {text}");
    assert!(
        sections[0].starts_with("# about\r\nwidget,title,first_day,last_day"),
        "{}",
        sections[0]
    );
    let seats_section = sections[1].strip_prefix("# monthly-active-seats\r\n").unwrap();
    let mut reader = csv::Reader::from_reader(seats_section.as_bytes());
    let months: Vec<String> =
        reader.records().map(|record| record.unwrap()[0].to_owned()).collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03", "2026-04"]);

    // A byte-order mark starts the file once, not each section.
    let marked = api.get(&format!("{path}&format=csv&bom=true"), token).text();
    assert!(marked.starts_with("\u{feff}# about\r\n"), "{marked}");
    assert_eq!(marked.matches('\u{feff}').count(), 1);
    assert_eq!(api.get(&format!("{path}&bom=true"), token).status, 400);

    let xlsx = api.get(&format!("{path}&format=xlsx"), token);
    assert_eq!(
        xlsx.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(xlsx.disposition, "attachment; filename=\"users-activity.xlsx\"");
    let mut workbook =
        calamine::Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).expect("an XLSX workbook");
    let sheets = workbook.sheet_names();
    assert_eq!(sheets.len(), 11);
    assert_eq!(sheets[0], "About");
    assert_eq!(sheets[1], "Monthly active seats");
    let about = workbook.worksheet_range("About").unwrap();
    assert_eq!(about.height(), 11, "a header and a row per widget");
}

#[test]
fn unknown_tabs_and_widgets_and_backwards_ranges_are_refused_by_name() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let tab = api.get("/v1/accounts/acme/dashboard/usage", token);
    assert_eq!(tab.status, 404);
    assert!(tab.text().contains("users-activity, entities"), "{}", tab.text());
    let widget = api.get("/v1/accounts/acme/dashboard/entities/monthly-seats", token);
    assert_eq!(widget.status, 404);
    assert!(widget.text().contains("monthly-entities"), "{}", widget.text());
    let backwards =
        api.get("/v1/accounts/acme/dashboard/entities?from=2026-04-02&to=2026-04-01", token);
    assert_eq!(backwards.status, 400);
    assert_eq!(backwards.json()["code"], "bad_range");
    let not_a_day = api.get("/v1/accounts/acme/dashboard/entities?from=2026-04", token);
    assert_eq!(not_a_day.status, 400);
    assert!(not_a_day.text().contains("2026-04"), "{}", not_a_day.text());
    let kind = api.get("/v1/accounts/acme/activity?kind=audit_entry", token);
    assert_eq!(kind.status, 400);
    assert!(kind.text().contains("not a kind of activity"), "{}", kind.text());
}

#[test]
fn a_tab_and_a_widget_answer_a_pdf_asked_for_by_parameter_or_accept_header() {
    let fixture = fixture();
    let api = Api::start(&fixture.db);
    let token = Some(fixture.tokens.acme_administrator.as_str());
    let by_parameter =
        api.get(&format!("/v1/accounts/acme/dashboard/actions-automations?{AT}&format=pdf"), token);
    let by_header = api.send(
        "GET",
        &format!("/v1/accounts/acme/dashboard/actions-automations?{AT}"),
        token,
        None,
        &[("Accept", "text/csv;q=0.5, application/pdf")],
    );
    for answer in [&by_parameter, &by_header] {
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.content_type, "application/pdf");
        assert_eq!(answer.disposition, "attachment; filename=\"actions-automations.pdf\"");
        assert!(answer.bytes.starts_with(b"%PDF-"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tab.pdf");
    std::fs::write(&path, &by_parameter.bytes).unwrap();
    let text = pdf_text(&path);
    // Every widget of the tab is there, under the filters in force.
    for title in [
        "Actions triggered via API + automation triggers",
        "Total monthly automation runs",
        "Automation runs log",
        "Total monthly action runs",
        "Top actions",
        "Actions by organization",
        "Actions by user",
        "Actions by role",
        "Actions by team",
    ] {
        assert!(text.contains(title), "{title:?} in {text}");
    }
    assert!(text.contains("acme") && text.contains("every organization"), "{text}");

    // One widget, filtered: its table's one row (r-a1 and r-a2 in March,
    // acme-east: 2 runs) and the filter named.
    let widget = api.get(
        &format!(
            "/v1/accounts/acme/dashboard/actions-automations/monthly-action-runs?{AT}&format=pdf&organization=acme-east"
        ),
        token,
    );
    assert_eq!(widget.status, 200, "{}", widget.text());
    std::fs::write(&path, &widget.bytes).unwrap();
    let text = pdf_text(&path);
    assert!(
        text.lines().any(|line| line.split_whitespace().eq(["2026-03", "acme-east", "2"])),
        "{text}"
    );
    assert!(
        text.lines().any(|line| line.split_whitespace().eq(["Organization:", "acme-east"])),
        "{text}"
    );

    // A byte-order mark is for CSV only.
    let refused = api.get(
        &format!("/v1/accounts/acme/dashboard/actions-automations?{AT}&format=pdf&bom=true"),
        token,
    );
    assert_eq!(refused.status, 400, "{}", refused.text());
}

/// The text of the PDF at `path`, by poppler-utils' `pdftotext -layout`.
fn pdf_text(path: &std::path::Path) -> String {
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}
