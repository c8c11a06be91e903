//! The usage monitor's pages: Today and Activities, for staff only, each team
//! seeing its scope; every figure compared with what the API answers the same
//! token over plain HTTP.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};
use tally_access::StaffScope;
use tally_store::{NewToken, StaffTeam, Store, StoreOptions, TokenGrant};

use crate::support::{Browser, demo};

/// The account the tests that send events send them to: the third, so that
/// the first's pages (and their screenshots) stay as the demo made them, and
/// the second is the one the hostile events of `every_page` go to.
const BUSY: usize = 2;
/// The account whose events the busy account's staff must not see.
const ELSEWHERE: usize = 3;

/// A staff token whose team's scope is the busy account alone.
fn busy_staff() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let mut store = Store::open(&demo().db, &StoreOptions::default()).unwrap();
        let team = "web-monitor-busy".to_owned();
        let scope = StaffScope::Accounts([demo().accounts[BUSY].clone()].into());
        store.set_staff_team(&StaffTeam { team: team.clone(), scope }).unwrap();
        let grant = TokenGrant::Staff { team, admin: false };
        let made =
            store.create_token(&NewToken { grant, label: "web monitor".into(), expires_at: None });
        made.unwrap().1.expose().to_owned()
    })
}

/// A name no other test uses.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("{prefix}-{nanos}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A tracked `activity` event at `at`.
fn activity(at: DateTime<Utc>, user: &str, module: &str, action: &str, secs: u32) -> String {
    json!({
        "id": unique("web-monitor"), "kind": "activity",
        "at": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "user": user, "module": module, "action": action, "time_spent_secs": secs,
        "properties": {"screen": format!("{module}/{action}")},
    })
    .to_string()
}

/// Seconds as the monitor's pages write them (docs/web.md), written out here
/// again rather than taken from the page's code.
fn words(secs: u64) -> String {
    if secs < 60 {
        format!("{secs} s")
    } else if secs < 3600 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else if secs < 3600 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else {
        format!("{} h {} min", secs / 3600, secs % 3600 / 60)
    }
}

fn count(value: &Value) -> String {
    value.as_u64().unwrap_or_else(|| panic!("a count: {value}")).to_string()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("a text: {value}")).to_owned()
}

/// The instant, to the second, of an RFC 3339 text.
fn second_of(value: &Value) -> i64 {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_default())
        .unwrap_or_else(|_| panic!("an instant: {value}"))
        .timestamp()
}

/// Cookies of a signed-in browser, for a plain HTTP request.
fn cookies(token: &str) -> String {
    format!("tally_token={token}; tally_csrf=c0ffee")
}

/// Today's figures, the top 10 lists and the account cells as the page has
/// them now, read in one go so that they belong to one refresh.
const READ_TODAY: &str = r#"
const figures = {};
for (const card of document.querySelectorAll('.monitor-figure[data-figure]')) {
  const value = card.querySelector('.figure');
  figures[card.dataset.figure] = {
    value: value.hasAttribute('data-value') ? Number(value.getAttribute('data-value')) : null,
    text: value.textContent.trim(),
  };
}
const rows = (id) => [...document.querySelectorAll('#' + id + ' tbody tr')]
  .map((tr) => [...tr.cells].slice(1).map((td) => td.textContent.trim()));
return {
  at: document.querySelector('#as-of time').getAttribute('datetime'),
  figures,
  top: {
    accounts: rows('top-accounts'), users: rows('top-users'),
    modules: rows('top-modules'), activities: rows('top-activities'),
  },
  stream_accounts: [...document.querySelectorAll('#stream tbody tr[data-item]')].map((tr) => tr.cells[2].textContent.trim()),
  text: document.body.innerText,
};
"#;

/// The API's top 10 lists as the page's rows.
fn top_rows(top: &Value) -> Value {
    let rows = |list: &str, cells: &dyn Fn(&Value) -> Vec<String>| -> Vec<Vec<String>> {
        top[list].as_array().unwrap().iter().map(cells).collect()
    };
    json!({
        "accounts": rows("accounts", &|row| vec![text(&row["account"]), count(&row["users_seen_today"])]),
        "users": rows("users", &|row| vec![text(&row["user"]), text(&row["account"]), words(row["time_spent_secs"].as_u64().unwrap())]),
        "modules": rows("modules", &|row| vec![text(&row["module"]), count(&row["users"])]),
        "activities": rows("activities", &|row| vec![text(&row["module"]), text(&row["action"]), count(&row["actions"])]),
    })
}

/// Reads Today from the page and from the API until both are of one refresh,
/// and checks that they agree; answers the page's reading.
fn check_today_against_api(browser: &Browser, token: &str) -> Value {
    for _ in 0..6 {
        browser.goto("/monitor");
        let page = browser.script(READ_TODAY);
        let today = demo().api_json("/v1/monitor/today", token);
        let top = demo().api_json("/v1/monitor/top", token);
        let same_refresh = second_of(&page["at"]) == second_of(&today["as_of"]["at"])
            && second_of(&page["at"]) == second_of(&top["as_of"]["at"]);
        if !same_refresh {
            continue;
        }
        for name in ["accounts_online", "users_online", "users_seen_today", "time_spent_secs"] {
            let value = today[name]["value"].as_u64().unwrap();
            assert_eq!(page["figures"][name]["value"], json!(value), "{name}");
            let shown = if name == "time_spent_secs" { words(value) } else { value.to_string() };
            assert_eq!(page["figures"][name]["text"], json!(shown), "{name}");
        }
        let per_user = &today["time_per_user_secs"]["value"];
        assert_eq!(page["figures"]["time_per_user_secs"]["value"], *per_user);
        let shown = per_user.as_u64().map_or("none yet".to_owned(), words);
        assert_eq!(page["figures"]["time_per_user_secs"]["text"], json!(shown));
        assert_eq!(page["top"], top_rows(&top));
        return page;
    }
    panic!("the page and the API never showed the same refresh in 6 tries");
}

/// The value of the attribute `name` after `marker` in `html`.
fn attribute_after<'a>(html: &'a str, marker: &str, name: &str) -> Option<&'a str> {
    let rest = &html[html.find(marker)? + marker.len()..];
    let start = rest.find(&format!("{name}=\""))? + name.len() + 2;
    rest[start..].split('"').next()
}

/// Today's figures as the server renders them, before any script runs,
/// checked against the API's of the same refresh.
fn check_server_rendered_today(token: &str) {
    for _ in 0..6 {
        let answer = demo().api.send("GET", "/monitor", None, None, &[("Cookie", &cookies(token))]);
        assert_eq!(answer.status, 200);
        let html = answer.text();
        let today = demo().api_json("/v1/monitor/today", token);
        let at = attribute_after(&html, "id=\"as-of\"", "datetime").map(|at| json!(at));
        if at.as_ref().map(second_of) != Some(second_of(&today["as_of"]["at"])) {
            continue;
        }
        for name in ["accounts_online", "users_online", "users_seen_today", "time_spent_secs"] {
            let shown = attribute_after(&html, &format!("data-figure=\"{name}\""), "data-value");
            assert_eq!(shown, Some(count(&today[name]["value"]).as_str()), "{name}");
        }
        return;
    }
    panic!("the page and the API never showed the same refresh in 6 tries");
}

/// Waits until the staff admin's activity stream holds an item of `user`.
fn wait_for_item_of(user: &str) {
    let started = Instant::now();
    loop {
        let stream = demo().api_json("/v1/monitor/stream?limit=1000", &demo().tokens.staff_admin);
        if stream["items"].as_array().unwrap().iter().any(|item| item["user"] == user) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{user} never reached the stream");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn today_shows_the_apis_figures_and_top_lists_and_only_the_staff_scope() {
    let demo = demo();
    let (first, others) = (&demo.accounts[0], &demo.accounts[1..]);
    // Someone in another account is busy today: the scoped staff must not
    // see them, while staff of every account do.
    let elsewhere_user = unique("elsewhere-user");
    let elsewhere_module = unique("Elsewhere");
    demo.send(
        ELSEWHERE,
        &activity(Utc::now() - TimeDelta::seconds(5), &elsewhere_user, &elsewhere_module, "x", 9),
    );
    wait_for_item_of(&elsewhere_user);

    check_server_rendered_today(&demo.tokens.staff);
    let browser = Browser::new();
    browser.sign_in(&demo.tokens.staff);
    let page = check_today_against_api(&browser, &demo.tokens.staff);
    let shown_accounts: Vec<&Value> = page["top"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| &row[0])
        .chain(page["top"]["users"].as_array().unwrap().iter().map(|row| &row[1]))
        .chain(page["stream_accounts"].as_array().unwrap())
        .collect();
    assert!(!shown_accounts.is_empty(), "the first account has activity today");
    assert!(shown_accounts.iter().all(|account| *account == first), "{shown_accounts:?}");
    let text = page["text"].as_str().unwrap();
    for hidden in others.iter().chain([&elsewhere_user, &elsewhere_module]) {
        assert!(!text.contains(hidden.as_str()), "{hidden} is out of the staff's scope");
    }

    // Staff of every account see it, on the same page.
    let everyone = Browser::new();
    everyone.sign_in(&demo.tokens.staff_admin);
    let page = check_today_against_api(&everyone, &demo.tokens.staff_admin);
    assert!(page["text"].as_str().unwrap().contains(&elsewhere_user));
}

#[test]
fn a_live_figure_and_the_auto_refreshed_stream_follow_new_events_without_reloading() {
    let demo = demo();
    let browser = Browser::new();
    browser.sign_in(busy_staff());
    browser.goto("/monitor");
    browser.wait_until("return document.getElementById('live-state').textContent === 'Live.'");
    browser.script("window.notReloaded = true; return null");
    let seen =
        "Number(document.querySelector('[data-figure=users_seen_today] .figure').dataset.value)";
    let before = browser.script(&format!("return {seen}")).as_u64().unwrap();

    // A new user of the staff's account is seen: within a refresh or two.
    let newcomer = unique("newcomer");
    demo.send(BUSY, &activity(Utc::now(), &newcomer, "Dashboard", "view", 30));
    browser.wait_until_for(&format!("return {seen} > {before}"), Duration::from_secs(30));
    let change = browser.text("[data-figure=users_seen_today] .change");
    assert!(change.contains("up ") && change.contains("since the previous refresh"), "{change}");
    assert!(
        browser
            .attr("[data-figure=users_seen_today] .change", "class")
            .is_some_and(|class| class.contains("up"))
    );
    assert_eq!(browser.script("return window.notReloaded === true"), json!(true));

    // With auto refresh on, the stream shows the newest item as it comes.
    browser.click("#auto-refresh");
    let streamer = unique("streamer");
    let module = unique("Streamed");
    demo.send(BUSY, &activity(Utc::now(), &streamer, &module, "export", 42));
    let row = format!(
        "[...document.querySelectorAll('#stream tbody tr[data-item]')].find((tr) => tr.cells[1].textContent === {})",
        json!(streamer)
    );
    browser.wait_until_for(&format!("return {row} !== undefined"), Duration::from_secs(30));
    assert_eq!(browser.script("return window.notReloaded === true"), json!(true));
    let cells = browser
        .script(&format!("return [...{row}.cells].slice(1, 7).map((td) => td.textContent.trim())"));
    assert_eq!(cells, json!([streamer, demo.accounts[BUSY], module, "1", "export ×1", "42 s"]));

    // Its events open below it: the API's events behind the item.
    let item = browser.script(&format!("return {row}.dataset.item"));
    let item = item.as_str().unwrap();
    browser.click(&format!("#stream tr[data-item=\"{item}\"] button.item-events"));
    let detail = format!("[id=\"events-{item}\"] tbody tr");
    browser.wait_for(&detail);
    let events = demo.api_json(&format!("/v1/monitor/stream/items/{item}/events"), busy_staff());
    let rows = browser.texts(&format!("{detail} td:nth-child(2)"));
    let expected: Vec<String> =
        events["events"].as_array().unwrap().iter().map(|event| text(&event["action"])).collect();
    assert_eq!(rows, expected);
    assert_eq!(rows, ["export"]);
    // What the script built (rows, an opened item) is as accessible as the
    // server's first view.
    browser.assert_accessible();
}

/// The list's rows as the page has them.
const READ_LIST: &str = r#"
return [...document.querySelectorAll('#activity-list tbody tr')].map((tr) => [...tr.cells]
  .map((td, index) => index === 5 ? td.querySelector('[aria-hidden]').textContent : td.textContent.trim()));
"#;

/// The API's list rows as the page writes them.
fn list_rows(list: &Value) -> Value {
    let rows: Vec<Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let change = match item["change_percent"].as_f64() {
                None if item["new"] == true => "new".to_owned(),
                None => "–".to_owned(),
                Some(percent) if percent > 0.0 => format!("▲ {percent:.1}%"),
                Some(percent) if percent < 0.0 => format!("▼ {:.1}%", -percent),
                Some(_) => "0.0%".to_owned(),
            };
            json!([
                text(&item["kind"]),
                text(&item["module"]),
                item["activity"].as_str().unwrap_or(""),
                count(&item["actions"]),
                count(&item["previous_actions"]),
                change,
                if item["new"] == true { "yes" } else { "no" },
            ])
        })
        .collect();
    Value::Array(rows)
}

/// The page's list equals the API's for the same query.
fn check_list(browser: &Browser, query: &str) {
    let list =
        demo().api_json(&format!("/v1/monitor/activities/list?{query}"), &demo().tokens.staff);
    assert_eq!(browser.script(READ_LIST), list_rows(&list), "{query}");
}

#[test]
fn activities_period_picker_sort_and_filter_equal_the_api() {
    let demo = demo();
    let token = &demo.tokens.staff;
    let browser = Browser::new();
    browser.sign_in(token);
    browser.goto("/monitor/activities");
    for (label, period) in [
        ("Last 90 days", "last-90-days"),
        ("Last 30 days", "last-30-days"),
        ("Yesterday", "yesterday"),
        ("Last 7 days", "last-7-days"),
    ] {
        let link = format!("nav.tabs[aria-label=Period] a[href*=\"period={period}\"]");
        assert_eq!(browser.text(&link), label);
        browser.click(&link);
        browser.wait_until(&format!("return location.search.includes('period={period}')"));
        let summary = demo.api_json(&format!("/v1/monitor/activities?period={period}"), token);
        for name in ["time_spent_secs", "actions"] {
            let shown = browser.attr(&format!("[data-figure={name}] .figure"), "data-value");
            assert_eq!(shown, Some(count(&summary[name]["current"])), "{period} {name}");
        }
        let first = text(&summary["current"]["first_day"]);
        let last = text(&summary["current"]["last_day"]);
        let days = if first == last { first } else { format!("{first} to {last}") };
        assert_eq!(browser.text("#period-days"), days);
        check_list(&browser, &format!("period={period}"));
    }
    let rows = browser.script(READ_LIST);
    assert!(rows.as_array().is_some_and(|rows| rows.len() > 2), "the demo has activities: {rows}");

    // Sorting by a header, then the other way.
    browser.click("#activity-list th a[data-sort=module]");
    browser.wait_until("return location.search.includes('sort=module')");
    assert_eq!(
        browser.attr("#activity-list th[aria-sort]", "aria-sort").as_deref(),
        Some("ascending")
    );
    check_list(&browser, "period=last-7-days&sort=module");
    browser.click("#activity-list th a[data-sort=\"-module\"]");
    browser.wait_until("return location.search.includes('sort=-module')");
    check_list(&browser, "period=last-7-days&sort=-module");

    // Filtering by part of a module's name, in other letters' case.
    let module = rows[0][1].as_str().unwrap().to_owned();
    let part: String = module.chars().skip(1).take(4).collect::<String>().to_uppercase();
    browser.fill("#name", &part);
    browser.click("form.filters button[type=submit]");
    browser.wait_until("return location.search.includes('name=')");
    let query = serde_urlencoded::to_string([
        ("period", "last-7-days"),
        ("name", part.as_str()),
        ("sort", "-module"),
    ])
    .unwrap();
    check_list(&browser, &query);
    let filtered = browser.script(READ_LIST);
    assert!(filtered.as_array().is_some_and(|rows| !rows.is_empty()), "{part} finds {module}");
}

#[test]
fn activities_show_only_the_staff_scope() {
    let demo = demo();
    // Yesterday noon, UTC: in the "yesterday" period of the default zone.
    let yesterday = (Utc::now() - TimeDelta::days(1)).date_naive().and_hms_opt(12, 0, 0).unwrap();
    let yesterday = yesterday.and_utc();
    let here = unique("HereYesterday");
    let elsewhere = unique("ElsewhereYesterday");
    demo.send(BUSY, &activity(yesterday, "web-here", &here, "run", 60));
    demo.send(ELSEWHERE, &activity(yesterday, "web-elsewhere", &elsewhere, "run", 60));
    let everyone = demo.api_json(
        "/v1/monitor/activities/list?period=yesterday&limit=1000",
        &demo.tokens.staff_admin,
    );
    let modules = |list: &Value| -> Vec<String> {
        list["items"].as_array().unwrap().iter().map(|item| text(&item["module"])).collect()
    };
    assert!(modules(&everyone).contains(&elsewhere), "staff of every account see it");

    let browser = Browser::new();
    browser.sign_in(busy_staff());
    browser.goto("/monitor/activities?period=yesterday&limit=1000");
    let page = browser.script("return document.body.innerText");
    let page = page.as_str().unwrap();
    assert!(page.contains(&here), "the staff's own account's module is listed");
    assert!(!page.contains(&elsewhere), "another account's module is not");
    for other in demo.accounts.iter().filter(|account| **account != demo.accounts[BUSY]) {
        assert!(!page.contains(other.as_str()), "{other}");
    }
}

#[test]
fn administrators_and_members_are_refused_the_monitor() {
    let demo = demo();
    for path in ["/monitor", "/monitor/activities"] {
        for (who, token) in
            [("administrator", &demo.tokens.administrator), ("member", &demo.tokens.member)]
        {
            let answer = demo.api.send("GET", path, None, None, &[("Cookie", &cookies(token))]);
            assert_eq!(answer.status, 403, "{who} on {path}");
            assert!(answer.text().contains("staff"), "{who} on {path}: {}", answer.text());
        }
        let answer =
            demo.api.send("GET", path, None, None, &[("Cookie", &cookies(&demo.tokens.staff))]);
        assert_eq!(answer.status, 200, "staff on {path}");
    }
}

/// Each violation's rule and impact, for the note.
fn summary(violations: &[crate::support::Violation]) -> Vec<(String, String)> {
    violations.iter().map(|violation| (violation.id.clone(), violation.impact.clone())).collect()
}

#[test]
fn the_monitor_pages_are_accessible_and_fit_a_phone() {
    let demo = demo();
    let mut browser = Browser::new();
    browser.sign_in(&demo.tokens.staff);
    for (path, name) in
        [("/monitor", "monitor-today"), ("/monitor/activities", "monitor-activities")]
    {
        browser.desktop();
        browser.goto(path);
        browser.wait_for("main h1");
        let violations = browser.assert_accessible();
        println!("axe on {path}, desktop: {:?}", summary(&violations));
        browser.screenshot(name);
        browser.phone();
        browser.goto(path);
        browser.wait_for("main h1");
        let violations = browser.assert_accessible();
        println!("axe on {path}, phone: {:?}", summary(&violations));
        let fits =
            browser.script("return document.documentElement.scrollWidth <= window.innerWidth");
        assert_eq!(fits, json!(true), "{path} is wider than a phone");
        browser.screenshot(name);
    }
}

#[test]
fn each_monitor_page_is_under_a_megabyte() {
    let demo = demo();
    let cookie = cookies(&demo.tokens.staff_admin);
    for path in ["/monitor", "/monitor/activities?period=last-90-days"] {
        // Its time is measured by `cargo bench --bench web_pages`, not here.
        let answer = demo.api.send("GET", path, None, None, &[("Cookie", &cookie)]);
        assert_eq!(answer.status, 200, "{path}");
        assert!(answer.bytes.len() < 1 << 20, "{path}: {} bytes", answer.bytes.len());
    }
}

#[test]
fn names_holding_html_and_script_show_as_text_on_the_monitor_pages() {
    let demo = demo();
    let mark = unique("xss");
    let user = format!("<img src=x id=xss-user onerror=\"window.xssRan=1\">{mark}");
    let module = format!("<script>window.xssRan=1</script>Mod {mark}");
    let action = "<b id=xss-action>act</b>&amp;";
    let event = |at: DateTime<Utc>| {
        json!({
            "id": unique("web-monitor-xss"), "kind": "activity",
            "at": at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "user": user, "module": module, "action": action, "time_spent_secs": 5,
            "properties": {"note": "<svg id=xss-svg onload=\"window.xssRan=1\"></svg>"},
        })
        .to_string()
    };
    let yesterday = (Utc::now() - TimeDelta::days(1)).date_naive().and_hms_opt(12, 0, 0).unwrap();
    demo.send(BUSY, &format!("{}\n{}", event(Utc::now()), event(yesterday.and_utc())));
    let injected = "return document.querySelector('#xss-user, #xss-action, #xss-svg') === null \
                    && window.xssRan === undefined";

    let browser = Browser::new();
    browser.sign_in(busy_staff());
    browser.goto("/monitor");
    browser.click("#auto-refresh");
    let row = format!(
        "[...document.querySelectorAll('#stream tbody tr[data-item]')].find((tr) => tr.cells[1].textContent === {})",
        json!(user)
    );
    // Put in place by the script (auto refresh), from the API's JSON.
    browser.wait_until_for(&format!("return {row} !== undefined"), Duration::from_secs(30));
    let cells = browser
        .script(&format!("return [...{row}.cells].slice(1, 6).map((td) => td.textContent.trim())"));
    assert_eq!(cells, json!([user, demo.accounts[BUSY], module, "1", format!("{action} ×1")]));
    let item = browser.script(&format!("return {row}.dataset.item"));
    browser
        .click(&format!("#stream tr[data-item=\"{}\"] button.item-events", item.as_str().unwrap()));
    browser.wait_until("return document.querySelector('tr.item-detail tbody td') !== null");
    let properties = browser.text("tr.item-detail tbody td:nth-child(4)");
    assert!(properties.contains("<svg id=xss-svg"), "{properties}");
    assert_eq!(browser.script(injected), json!(true));

    // Rendered by the server: the stream, the top lists' first view.
    browser.goto("/monitor");
    let text = browser.script("return document.body.innerText");
    assert!(text.as_str().unwrap().contains(&user), "the stream shows the user as written");
    assert_eq!(browser.script(injected), json!(true));

    // Activities, with the name filter holding markup too.
    let query =
        serde_urlencoded::to_string([("period", "yesterday"), ("name", module.as_str())]).unwrap();
    browser.goto(&format!("/monitor/activities?{query}"));
    let modules = browser.texts("#activity-list tbody td:nth-child(2)");
    assert!(!modules.is_empty() && modules.iter().all(|shown| *shown == module), "{modules:?}");
    let activities = browser.texts("#activity-list tbody td:nth-child(3)");
    assert!(activities.contains(&action.to_owned()), "{activities:?}");
    assert_eq!(browser.attr("#name", "value").as_deref(), Some(module.as_str()));
    assert_eq!(browser.script(injected), json!(true));
}

#[test]
fn the_activities_list_pages_and_downloads_as_the_api_gives_it() {
    let demo = demo();
    let token = &demo.tokens.staff;
    let browser = Browser::new();
    browser.sign_in(token);
    // One module's rows, which no other test adds to over these days.
    let query = "period=last-30-days&name=dashboard&sort=module&limit=2";
    browser.goto(&format!("/monitor/activities?{query}"));
    check_list(&browser, query);

    // The next page, through the page's own cursor, is the API's next page.
    let next = browser.attr(".monitor-list .pager a", "href").expect("more than 2 rows");
    let cursor = next
        .split(['?', '&', '#'])
        .find_map(|pair| pair.strip_prefix("cursor="))
        .expect("a cursor")
        .to_owned();
    browser.click(".monitor-list .pager a");
    browser.wait_until("return location.search.includes('cursor=')");
    check_list(&browser, &format!("{query}&cursor={cursor}"));

    // The whole list, downloaded, read with a CSV reader.
    browser.goto(&format!("/monitor/activities?{query}"));
    browser.click(".monitor-list details.menu summary");
    let path = browser.download(".monitor-list details.menu a[href*=\"format=csv\"]");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|record| record.unwrap().iter().take(5).map(str::to_owned).collect())
        .collect();
    let list = demo.api_json(
        "/v1/monitor/activities/list?period=last-30-days&name=dashboard&sort=module&limit=1000",
        token,
    );
    let expected: Vec<Vec<String>> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            vec![
                text(&item["kind"]),
                text(&item["module"]),
                item["activity"].as_str().unwrap_or("").to_owned(),
                count(&item["actions"]),
                count(&item["previous_actions"]),
            ]
        })
        .collect();
    assert!(expected.len() > 2, "{expected:?}");
    assert_eq!(rows, expected);
}

/// The ids of the stream's rows, the as-of instant and the next page's link
/// of Today as the server renders it at `path`.
fn rendered_stream(path: &str, token: &str) -> (Vec<String>, Value, Option<String>) {
    let answer = demo().api.send("GET", path, None, None, &[("Cookie", &cookies(token))]);
    assert_eq!(answer.status, 200, "{path}");
    let html = answer.text();
    let ids = html
        .split("<tr data-item=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or("").to_owned())
        .collect();
    let at = json!(attribute_after(&html, "id=\"as-of\"", "datetime").unwrap_or(""));
    let next =
        attribute_after(&html, "class=\"pager\"", "href").map(|href| href.replace("&amp;", "&"));
    (ids, at, next)
}

#[test]
fn the_stream_pages_on_with_the_apis_cursor() {
    let demo = demo();
    // More items than a page holds: 55 users of one module, a minute ago.
    let mark = unique("pager");
    let now = Utc::now();
    let events: Vec<String> = (0..55)
        .map(|index| {
            let at = now - TimeDelta::seconds(60 + index);
            activity(at, &format!("{mark}-{index:02}"), "Paged", "view", 1)
        })
        .collect();
    demo.send(BUSY, &events.join("\n"));
    wait_for_item_of(&format!("{mark}-54"));
    let token = busy_staff();
    for _ in 0..6 {
        let (first_page, at, next) = rendered_stream("/monitor", token);
        let api = demo.api_json("/v1/monitor/stream?limit=50", token);
        if second_of(&at) != second_of(&api["as_of"]["at"]) {
            continue;
        }
        let ids = |answer: &Value| -> Vec<String> {
            answer["items"].as_array().unwrap().iter().map(|item| text(&item["id"])).collect()
        };
        assert_eq!(first_page, ids(&api));
        assert_eq!(first_page.len(), 50);
        // The next page, through the page's own link, is the API's page after
        // the same cursor.
        let next = next.expect("a link to older items");
        let cursor = next
            .split(['?', '&', '#'])
            .find_map(|pair| pair.strip_prefix("cursor="))
            .expect("a cursor")
            .to_owned();
        let (second_page, at, _) = rendered_stream(next.split('#').next().unwrap(), token);
        let api = demo.api_json(&format!("/v1/monitor/stream?limit=50&cursor={cursor}"), token);
        if second_of(&at) != second_of(&api["as_of"]["at"]) {
            continue;
        }
        assert!(!second_page.is_empty());
        assert_eq!(second_page, ids(&api));
        assert!(second_page.iter().all(|id| !first_page.contains(id)));
        return;
    }
    panic!("the page and the API never showed the same refresh in 6 tries");
}
