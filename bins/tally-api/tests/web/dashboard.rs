//! The usage dashboard's pages in the browser, each figure compared with what
//! the API answers over plain HTTP for the same filters.

use std::path::Path;

use chrono::{SecondsFormat, Utc};
use serde_json::Value;

use crate::support::{Browser, Demo, demo};

const TABS: [&str; 5] =
    ["users-activity", "entities", "actions-automations", "data-sources", "ai-mcp"];

/// The widgets that lead with a figure, and the column of their table's last
/// row it is (the seed's headline figures).
const HEADLINES: [(&str, &str); 6] = [
    ("monthly-active-seats", "seats"),
    ("entities-total", "entities"),
    ("data-sources-total", "data_sources"),
    ("api-and-automation-triggers", "total"),
    ("monthly-ai-interactions", "interactions"),
    ("monthly-mcp-calls", "calls"),
];

/// Rows of each widget compared cell by cell.
const ROWS_COMPARED: usize = 3;

/// One instant for the page and the API, a minute ago so that nothing the
/// other tests send later moves it.
fn fixed_at() -> String {
    (Utc::now() - chrono::TimeDelta::minutes(1)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn account(demo: &Demo) -> &str {
    &demo.accounts[0]
}

/// A cell of the API's JSON as the page writes it: integers in full, decimals
/// with at most two places, percentages with two and a sign, instants as the
/// `datetime` of their `<time>` (to the second), nothing for null.
fn as_shown(value: &Value, kind: &str) -> String {
    match (kind, value) {
        (_, Value::Null) => String::new(),
        ("integer", value) => value.as_i64().unwrap().to_string(),
        ("percentage", value) => format!("{:.2}%", value.as_f64().unwrap()),
        ("decimal", value) => {
            let text = format!("{:.2}", value.as_f64().unwrap());
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        ("date_time", Value::String(at)) => chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .to_utc()
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        (_, Value::String(text)) => text.clone(),
        (kind, other) => panic!("a {kind} cell {other}"),
    }
}

/// The table of the widget `id` as the page shows it: column names, then
/// each row's cells (an instant's `datetime`, else the text).
fn page_table(browser: &Browser, id: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let script = format!(
        "const table = document.querySelector({});
         const columns = [...table.querySelectorAll('thead th')].map(th => th.dataset.column);
         const rows = [...table.querySelectorAll('tbody tr')]
            .filter(tr => !tr.querySelector('td[colspan]'))
            .map(tr => [...tr.children].map(cell => {{
                const time = cell.querySelector('time[datetime]');
                return time ? time.getAttribute('datetime') : cell.textContent.trim();
            }}));
         return [columns, rows];",
        serde_json::json!(format!("#{id} table"))
    );
    let answer = browser.script(&script);
    let strings = |value: &Value| -> Vec<String> {
        value.as_array().unwrap().iter().map(|cell| cell.as_str().unwrap().to_owned()).collect()
    };
    let columns = strings(&answer[0]);
    let rows = answer[1].as_array().unwrap().iter().map(strings).collect();
    (columns, rows)
}

/// Checks every widget of the page open in `browser` against the API's
/// answer `tab` (its `widgets`): the same widgets in order, each table's
/// columns, row count and first rows, the headline figures and a drawn chart
/// where the API describes one.
fn check_widgets(browser: &Browser, tab: &Value, context: &str) {
    let widgets = tab["widgets"].as_array().unwrap();
    let shown: Vec<String> = browser
        .script("return [...document.querySelectorAll('section[data-widget]')].map(s => s.dataset.widget)")
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    let asked: Vec<&str> = widgets.iter().map(|w| w["widget"].as_str().unwrap()).collect();
    assert_eq!(shown, asked, "{context}");
    for widget in widgets {
        let id = widget["widget"].as_str().unwrap();
        let table = &widget["table"];
        let columns = table["columns"].as_array().unwrap();
        let rows = table["rows"].as_array().unwrap();
        let (page_columns, page_rows) = page_table(browser, id);
        let names: Vec<&str> = columns.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(page_columns, names, "{context} {id}");
        assert_eq!(page_rows.len(), rows.len().min(100), "{context} {id}");
        let count = rows.len();
        let caption = browser.text(&format!("#{id} caption"));
        assert!(
            caption.ends_with(&format!(", {count} rows")) || caption.ends_with(", 1 row"),
            "{context} {id}: {caption} for {count} rows"
        );
        for (index, (row, page_row)) in rows.iter().zip(&page_rows).take(ROWS_COMPARED).enumerate()
        {
            let expected: Vec<String> = columns
                .iter()
                .map(|column| {
                    as_shown(
                        &row[column["name"].as_str().unwrap()],
                        column["type"].as_str().unwrap(),
                    )
                })
                .collect();
            assert_eq!(page_row, &expected, "{context} {id} row {index}");
        }
        if let Some((_, column)) = HEADLINES.iter().find(|(widget, _)| *widget == id) {
            let last = rows.last().expect("a headline widget has rows in the demo");
            let shown = browser.text(&format!("#{id} [data-headline]"));
            assert_eq!(shown, as_shown(&last[*column], "integer"), "{context} {id} headline");
        }
        if table["chart"].is_null() {
            let charts = browser.script(&format!(
                "return document.querySelectorAll({}).length",
                serde_json::json!(format!("#{id} img.chart"))
            ));
            assert_eq!(charts, serde_json::json!(0), "{context} {id} has no chart");
        } else {
            let img = format!("#{id} img.chart");
            browser.script(&format!(
                "document.querySelector({}).scrollIntoView()",
                serde_json::json!(img)
            ));
            browser.wait_until(&format!(
                "const img = document.querySelector({}); return img.complete && img.naturalWidth > 0",
                serde_json::json!(img)
            ));
            let alt = browser.attr(&img, "alt").unwrap_or_default();
            assert!(alt.contains("chart of"), "{context} {id}: {alt}");
        }
    }
}

#[test]
fn every_tab_shows_the_figures_the_api_gives() {
    let demo = demo();
    let token = &demo.tokens.administrator;
    let at = fixed_at();
    let mut browser = Browser::new();
    browser.sign_in(token);
    assert_eq!(browser.path(), "/dashboard/users-activity");
    for tab in TABS {
        let api = demo.api_json(
            &format!("/v1/accounts/{}/dashboard/{tab}?at={}", account(demo), encoded(&at)),
            token,
        );
        browser.desktop();
        browser.goto(&format!("/dashboard/{tab}?at={}", encoded(&at)));
        browser.wait_for("section[data-widget]");
        check_widgets(&browser, &api, tab);
        let blocked = browser.csp_violations();
        assert!(blocked.is_empty(), "{tab}: {blocked:?}");
        let violations = browser.assert_accessible();
        eprintln!(
            "{tab}: axe violations {:?}",
            violations.iter().map(|v| (&v.id, &v.impact)).collect::<Vec<_>>()
        );
        // The screenshots show today's view, as a visitor first sees it.
        browser.goto(&format!("/dashboard/{tab}"));
        browser.wait_until("return [...document.images].every(img => img.complete)");
        browser.screenshot(&format!("dashboard-{tab}"));
        browser.phone();
        browser.goto(&format!("/dashboard/{tab}"));
        browser.wait_until("return [...document.images].every(img => img.complete)");
        let overflow = browser.script(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
        );
        assert_eq!(overflow, Value::Bool(false), "{tab} is wider than a phone");
        browser.assert_accessible();
        browser.screenshot(&format!("dashboard-{tab}"));
    }
}

/// A page over plain HTTP with the session's cookies: status and body.
fn page_over_http(demo: &Demo, path: &str) -> (u16, String) {
    let cookie = format!("tally_token={}; tally_csrf=c0ffee", demo.tokens.administrator);
    let answer = demo.api.send("GET", path, None, None, &[("Cookie", &cookie)]);
    (answer.status, answer.text())
}

#[test]
fn a_filter_kept_in_the_url_changes_the_figures_as_the_apis_do() {
    let demo = demo();
    let token = &demo.tokens.administrator;
    let slug = account(demo);
    let at = fixed_at();
    let browser = Browser::new();
    browser.sign_in(token);
    browser.goto(&format!("/dashboard/actions-automations?at={}", encoded(&at)));
    let organizations: Vec<String> = browser
        .script("return [...document.querySelectorAll('select[name=organization] option')].map(o => o.value).filter(v => v)")
        .as_array()
        .unwrap()
        .iter()
        .map(|value| value.as_str().unwrap().to_owned())
        .collect();
    assert!(organizations.len() >= 2, "{organizations:?}");
    let organization = &organizations[1];

    // Chosen in the form: the URL keeps the filters given and leaves out the
    // ones left blank.
    browser.script(&format!(
        "document.querySelector('select[name=organization]').value = {};",
        serde_json::json!(organization)
    ));
    browser.click("form.dashboard-filters button[type=submit]");
    browser.wait_until(&format!(
        "return location.search.includes({})",
        serde_json::json!(format!("organization={}", encoded(organization)))
    ));
    let path = browser.path();
    assert!(!path.contains("team="), "a blank filter stays out of the URL: {path}");
    browser.wait_for("section[data-widget]");
    let filtered = demo.api_json(
        &format!(
            "/v1/accounts/{slug}/dashboard/actions-automations?at={}&organization={}",
            encoded(&at),
            encoded(organization)
        ),
        token,
    );
    let whole = demo.api_json(
        &format!("/v1/accounts/{slug}/dashboard/actions-automations?at={}", encoded(&at)),
        token,
    );
    assert_ne!(filtered["widgets"], whole["widgets"], "the filter changes the API's figures");
    check_widgets(&browser, &filtered, "filtered by organization");
    // Every figure's download asks for the same organization.
    let csv = browser.attr("#monthly-action-runs a[href*='format=csv']", "href").unwrap();
    assert!(csv.contains(&format!("organization={}", encoded(organization))), "{csv}");

    // The same URL opened afresh (a shared link) shows the same view; so does
    // another tab reached from it.
    let shared = Browser::new();
    shared.sign_in(token);
    shared.goto(&path);
    shared.wait_for("section[data-widget]");
    check_widgets(&shared, &filtered, "the shared link");
    shared.click("nav.tabs a[href^='/dashboard/ai-mcp']");
    shared.wait_until("return location.pathname === '/dashboard/ai-mcp'");
    shared.wait_for("section[data-widget]");
    let ai = demo.api_json(
        &format!(
            "/v1/accounts/{slug}/dashboard/ai-mcp?at={}&organization={}",
            encoded(&at),
            encoded(organization)
        ),
        token,
    );
    check_widgets(&shared, &ai, "another tab of the shared link");

    // A value the API refuses is refused with its words and its status.
    for bad in ["from=2026-13-01", "from=2026-05-01&to=2026-04-01", "colour=red"] {
        let problem =
            demo.api.get(&format!("/v1/accounts/{slug}/dashboard/entities?{bad}"), Some(token));
        assert_eq!(problem.status, 400, "{bad}");
        let detail = problem.json()["detail"].as_str().unwrap().to_owned();
        let (status, _) = page_over_http(demo, &format!("/dashboard/entities?{bad}"));
        assert_eq!(status, 400, "{bad}");
        browser.goto(&format!("/dashboard/entities?{bad}"));
        assert_eq!(browser.text("#dashboard-problem"), detail, "{bad}");
    }
}

/// The text of the PDF at `path`, by poppler-utils' `pdftotext -layout`.
fn pdf_text(path: &Path) -> String {
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Opens the download menu of widget `id` and downloads its `format`.
fn download(browser: &Browser, id: &str, format: &str) -> std::path::PathBuf {
    let open = browser.script(&format!(
        "return document.querySelector({}).open",
        serde_json::json!(format!("#{id} details.menu"))
    ));
    if open != Value::Bool(true) {
        browser.click(&format!("#{id} details.menu summary"));
    }
    browser.download(&format!("#{id} details.menu a[href$='format={format}']"))
}

#[test]
fn each_download_opens_in_an_independent_reader() {
    let demo = demo();
    let token = &demo.tokens.administrator;
    let slug = account(demo);
    let at = fixed_at();
    let browser = Browser::new();
    browser.sign_in(token);
    browser.goto(&format!("/dashboard/users-activity?at={}", encoded(&at)));
    let api = demo.api_json(
        &format!(
            "/v1/accounts/{slug}/dashboard/users-activity/monthly-active-seats?at={}",
            encoded(&at)
        ),
        token,
    );
    let rows = api["table"]["rows"].as_array().unwrap();
    assert!(rows.len() >= 2, "the demo has months of seats: {api}");
    // Month and seats of every row, as the API gives them.
    let expected: Vec<(String, i64)> = rows
        .iter()
        .map(|row| (row["month"].as_str().unwrap().to_owned(), row["seats"].as_i64().unwrap()))
        .collect();

    let csv_path = download(&browser, "monthly-active-seats", "csv");
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let month = headers.iter().position(|h| h == "month").expect("a month column");
    let seats = headers.iter().position(|h| h == "seats").expect("a seats column");
    let from_csv: Vec<(String, i64)> = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            (record[month].to_owned(), record[seats].parse().unwrap())
        })
        .collect();
    assert_eq!(from_csv, expected, "CSV {}", csv_path.display());

    let xlsx_path = download(&browser, "monthly-active-seats", "xlsx");
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&xlsx_path).unwrap();
    let sheet = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&sheet).unwrap();
    let mut sheet_rows = range.rows();
    let header: Vec<String> = sheet_rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    let month = header.iter().position(|h| h == "Month").unwrap_or_else(|| panic!("{header:?}"));
    let seats =
        header.iter().position(|h| h == "Active seats").unwrap_or_else(|| panic!("{header:?}"));
    let from_xlsx: Vec<(String, i64)> = sheet_rows
        .map(|row| (row[month].to_string(), row[seats].to_string().parse::<f64>().unwrap() as i64))
        .collect();
    assert_eq!(from_xlsx, expected, "XLSX {}", xlsx_path.display());

    let json_path = download(&browser, "monthly-active-seats", "json");
    let document: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(document["table"]["rows"], api["table"]["rows"], "JSON {}", json_path.display());

    let pdf_path = browser.download("a[href$='format=pdf']");
    let text = pdf_text(&pdf_path);
    for title in ["Usage dashboard: Users activity", "Monthly active seats", "Latest logins"] {
        assert!(text.contains(title), "{title} not in the PDF:\n{text}");
    }
    // The latest month and its seats, on one line of the PDF's table.
    let (last_month, last_seats) = expected.last().unwrap();
    assert!(
        text.lines().any(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words.first() == Some(&last_month.as_str())
                && words.get(1) == Some(&last_seats.to_string().as_str())
        }),
        "{last_month} {last_seats} not in the PDF:\n{text}"
    );
}

/// Checks the page open in `browser` at both widths: no serious accessibility
/// violation, and nothing wider than a phone but the tables' own scrolling.
fn fits_a_phone(browser: &mut Browser) {
    browser.assert_accessible();
    let page = browser.path();
    browser.phone();
    browser.goto(&page);
    browser.wait_until("return document.readyState === 'complete'");
    let overflow = browser.script(
        "return document.documentElement.scrollWidth > document.documentElement.clientWidth",
    );
    assert_eq!(overflow, Value::Bool(false), "{page} is wider than a phone");
    browser.assert_accessible();
    browser.desktop();
}

#[test]
fn a_figure_opens_the_activity_rows_behind_it() {
    let demo = demo();
    let token = &demo.tokens.administrator;
    let slug = account(demo);
    let at = fixed_at();
    let mut browser = Browser::new();
    browser.sign_in(token);
    browser.goto(&format!("/dashboard/users-activity?at={}", encoded(&at)));
    let api = demo.api_json(
        &format!("/v1/accounts/{slug}/dashboard/users-activity/latest-logins?at={}", encoded(&at)),
        token,
    );
    let first = &api["table"]["rows"][0];
    let logins = first["logins"].as_i64().expect("the demo has logins this week");
    let behind = api["rows_behind"][0].as_str().unwrap().to_owned();
    let link = "#latest-logins tbody tr:first-child a[href^='/dashboard/activity']";
    assert_eq!(browser.text(link), logins.to_string());
    let href = browser.attr(link, "href").unwrap();
    let query = href.split_once('?').unwrap().1.to_owned();
    // The page asks for what the API says lies behind the row.
    assert_eq!(query, behind.split_once('?').unwrap().1);
    browser.click(link);
    browser.wait_until("return location.pathname === '/dashboard/activity'");
    browser.wait_for("table caption");

    let listing = demo.api_json(&format!("/v1/accounts/{slug}/activity?{query}"), token);
    let items = listing["items"].as_array().unwrap();
    // The rows add up to the figure clicked.
    let events: i64 = items.iter().map(|item| item["events"].as_i64().unwrap()).sum();
    assert_eq!(events, logins, "{listing}");
    let shown = browser.script(
        "return [...document.querySelectorAll('tbody tr')].map(tr => {
            const cells = [...tr.children];
            const column = (name) => [...document.querySelectorAll('thead th')].findIndex(th => th.dataset.column === name);
            return [cells[column('day')].textContent, cells[column('kind')].textContent,
                    cells[column('user')].textContent, Number(cells[column('events')].textContent)];
        })",
    );
    let expected: Vec<Value> = items
        .iter()
        .map(|item| serde_json::json!([item["day"], item["kind"], item["user"], item["events"]]))
        .collect();
    assert_eq!(shown, Value::Array(expected));

    // Paged as the API pages: two rows a page, the next page's rows the API's.
    let all =
        demo.api_json(&format!("/v1/accounts/{slug}/activity?kind=login&from=2026-01-01"), token);
    let first_two = demo.api_json(
        &format!("/v1/accounts/{slug}/activity?kind=login&from=2026-01-01&limit=2"),
        token,
    );
    assert!(all["items"].as_array().unwrap().len() > 2);
    let cursor = first_two["next_cursor"].as_str().unwrap();
    let second = demo.api_json(
        &format!(
            "/v1/accounts/{slug}/activity?kind=login&from=2026-01-01&limit=2&cursor={}",
            encoded(cursor)
        ),
        token,
    );
    browser.goto("/dashboard/activity?kind=login&from=2026-01-01&limit=2");
    browser.click("a[rel=next]");
    browser.wait_until("return location.search.includes('cursor=')");
    let firsts = browser.script(
        "const column = [...document.querySelectorAll('thead th')].findIndex(th => th.dataset.column === 'first_at');
         return [...document.querySelectorAll('tbody tr')].map(tr => tr.children[column].querySelector('time').getAttribute('datetime'))",
    );
    let expected: Vec<Value> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| Value::String(as_shown(&item["first_at"], "date_time")))
        .collect();
    assert_eq!(firsts, Value::Array(expected));
    fits_a_phone(&mut browser);
}

#[test]
fn a_seats_row_opens_why_the_person_is_billed() {
    let demo = demo();
    let token = &demo.tokens.administrator;
    let slug = account(demo);
    let at = fixed_at();
    let mut browser = Browser::new();
    browser.sign_in(token);
    browser.goto(&format!("/dashboard/users-activity?at={}", encoded(&at)));
    let link = "#activated-seats tbody tr:first-child a[href^='/dashboard/seats/']";
    let user = browser.text(link);
    browser.click(link);
    browser.wait_for("[data-seat-status]");
    let explanation = demo
        .api_json(&format!("/v1/accounts/{slug}/seats/users/{user}?at={}", encoded(&at)), token);
    assert_eq!(
        browser.attr("[data-seat-status]", "data-seat-status").unwrap(),
        explanation["status"].as_str().unwrap()
    );
    assert_eq!(browser.text("[data-seat-reason]"), explanation["reason"].as_str().unwrap());
    let activated = browser.attr("[data-activated-at]", "data-activated-at");
    assert_eq!(
        activated,
        explanation["activated_at"]
            .as_str()
            .map(|at| as_shown(&Value::String(at.to_owned()), "date_time"))
    );
    let weeks = explanation["weeks"].as_array().unwrap();
    let shown_weeks: Vec<String> = browser.texts("tbody th[scope=row]");
    let expected: Vec<String> =
        weeks.iter().map(|week| week["week"].as_str().unwrap().to_owned()).collect();
    assert_eq!(shown_weeks, expected);
    let counting = weeks.iter().filter(|week| week["counts"] == Value::Bool(true)).count();
    assert_eq!(
        browser.attr("[data-weeks-counting]", "data-weeks-counting").unwrap(),
        counting.to_string()
    );
    fits_a_phone(&mut browser);
}
