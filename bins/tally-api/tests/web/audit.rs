//! The audit log's tabs and a member's My runs, compared with what the API
//! lists for the same token over plain HTTP.

use std::sync::{Mutex, MutexGuard};

use chrono::{SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::support::{Browser, demo};

/// The resource kinds with a tab, in the seed's order, then the two kept 30
/// days (docs/web.md).
const KINDS: [&str; 10] = [
    "entity",
    "blueprint",
    "action",
    "automation",
    "scorecard",
    "run",
    "integration",
    "secret",
    "sign_in",
    "account_access",
];

/// The kind the paging test sends more than 1,000 entries of.
const BULK_KIND: &str = "scorecard";

/// Held by each test here: the paging test adds entries, which would move
/// the first rows another test compares.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn account() -> &'static str {
    &demo().accounts[0]
}

/// The API's page of the audit log for `query` (after `resource=...&`), as
/// the administrator reads it.
fn api_audit(query: &str) -> Value {
    demo().api_json(
        &format!("/v1/accounts/{}/audit?{query}", account()),
        &demo().tokens.administrator,
    )
}

fn seqs_of(page: &Value) -> Vec<u64> {
    page["items"].as_array().unwrap().iter().map(|item| item["seq"].as_u64().unwrap()).collect()
}

/// The seqs of the entry rows the page shows, in order.
fn shown_seqs(browser: &Browser) -> Vec<u64> {
    let seqs = browser.script(
        "return [...document.querySelectorAll('table.audit-entries tr.entry')].map(r => Number(r.dataset.seq))",
    );
    seqs.as_array().unwrap().iter().map(|seq| seq.as_u64().unwrap()).collect()
}

/// The `data-column` names of the headers shown, in order.
fn shown_headers(browser: &Browser) -> Vec<String> {
    let names = browser.script(
        "return [...document.querySelectorAll('table.audit-entries thead th[data-column]')]
            .filter(th => !th.hidden).map(th => th.dataset.column)",
    );
    names.as_array().unwrap().iter().map(|name| name.as_str().unwrap().to_owned()).collect()
}

fn goto_and_wait(browser: &Browser, path: &str) {
    browser.goto(path);
    browser.wait_until("return document.readyState === 'complete'");
}

#[test]
fn each_kinds_tab_shows_the_apis_first_rows() {
    let _one = one_at_a_time();
    let mut browser = Browser::new();
    browser.sign_in(&demo().tokens.administrator);
    goto_and_wait(&browser, "/audit");
    assert_eq!(browser.path(), "/audit/entity", "/audit opens the first tab");
    for kind in KINDS {
        goto_and_wait(&browser, &format!("/audit/{kind}"));
        let api = api_audit(&format!("resource={kind}&limit=100"));
        let items = api["items"].as_array().unwrap();
        assert!(!items.is_empty(), "the demo has {kind} entries");
        assert_eq!(shown_seqs(&browser), seqs_of(&api), "the {kind} tab's rows");
        // The first row's cells, each against the API's field.
        let first = &items[0];
        let seq = first["seq"].as_u64().unwrap();
        let cell = |column: &str| {
            browser.text(&format!("tr.entry[data-seq='{seq}'] td[data-column='{column}']"))
        };
        for column in ["source", "operation", "origin", "status"] {
            assert_eq!(cell(column), first[column].as_str().unwrap(), "{kind} {column}");
        }
        assert_eq!(cell("error"), first["error"].as_str().unwrap_or(""), "{kind} error");
        // The date is the API's instant, shown in the browser's zone, named.
        let at = first["at"].as_str().unwrap();
        let time = format!("tr.entry[data-seq='{seq}'] td[data-column='at'] time");
        let datetime = browser.attr(&time, "datetime").unwrap();
        assert_eq!(datetime[..19], at[..19], "{kind} date");
        let zone = browser.script("return Intl.DateTimeFormat().resolvedOptions().timeZone");
        let title = browser.attr(&time, "title").unwrap();
        assert!(title.ends_with(&format!("(shown in {})", zone.as_str().unwrap())), "{title}");
        assert!(!browser.text(&time).contains("UTC") || zone == "UTC", "{}", browser.text(&time));
        browser.assert_accessible();
        browser.screenshot(&format!("audit-{kind}"));
        browser.phone();
        browser.assert_accessible();
        browser.screenshot(&format!("audit-{kind}"));
        browser.desktop();
    }
}

#[test]
fn sorting_by_a_header_lists_as_the_apis_sort() {
    let _one = one_at_a_time();
    let browser = Browser::new();
    browser.sign_in(&demo().tokens.administrator);
    goto_and_wait(&browser, "/audit/entity");
    assert_eq!(browser.attr("th[data-column='at']", "aria-sort").as_deref(), Some("descending"));

    browser.click("th[data-column='source'] a");
    browser.wait_until("return location.search.includes('sort=source')");
    assert_eq!(browser.attr("th[data-column='source']", "aria-sort").as_deref(), Some("ascending"));
    assert_eq!(browser.attr("th[data-column='at']", "aria-sort"), None);
    let ascending = seqs_of(&api_audit("resource=entity&sort=source&limit=100"));
    assert_eq!(shown_seqs(&browser), ascending);

    browser.click("th[data-column='source'] a");
    browser.wait_until("return location.search.includes('sort=-source')");
    assert_eq!(
        browser.attr("th[data-column='source']", "aria-sort").as_deref(),
        Some("descending")
    );
    let descending = seqs_of(&api_audit("resource=entity&sort=-source&limit=100"));
    assert_eq!(shown_seqs(&browser), descending);
    assert_ne!(ascending, descending, "the two orders differ on the demo");
}

#[test]
fn a_filter_rule_narrows_the_rows_as_the_api_does() {
    let _one = one_at_a_time();
    let browser = Browser::new();
    browser.sign_in(&demo().tokens.administrator);
    goto_and_wait(&browser, "/audit/entity");
    browser.click("#rule-1-field option[value='status']");
    browser.click("#rule-1-op option[value='is']");
    browser.fill("#rule-1-value", "failure");
    // A second rule, added by the script: the source contains the account's
    // name, in capitals (users' emails are at the account's domain).
    let needle = account().to_uppercase();
    browser.click("button.add-rule");
    browser.click("#rule-2-field option[value='source']");
    assert_eq!(
        browser.script("return document.querySelector('#rule-2-op').value"),
        json!("contains"),
        "a source rule takes contains, chosen for it"
    );
    browser.fill("#rule-2-value", &needle);
    browser.click("form.rules button[type=submit]");
    browser.wait_until("return location.search.includes('status=failure')");
    let query = format!("status=failure&source={needle}");
    assert_eq!(browser.path(), format!("/audit/entity?{query}"));

    let narrowed = api_audit(&format!("resource=entity&{query}&limit=100"));
    let all = api_audit("resource=entity&limit=100");
    let shown = shown_seqs(&browser);
    assert_eq!(shown, seqs_of(&narrowed));
    assert!(!shown.is_empty() && shown.len() < seqs_of(&all).len(), "{} rows", shown.len());
    for item in narrowed["items"].as_array().unwrap() {
        assert_eq!(item["status"], "failure");
        assert!(item["source"].as_str().unwrap().contains(account()), "{item}");
    }
    // The rules show as rules again, each removable.
    assert_eq!(
        browser.script("return document.querySelector('#rule-1-field').value"),
        json!("status")
    );
    browser.click("li.rule a.remove-rule");
    browser.wait_until("return !location.search.includes('status=')");
    assert_eq!(browser.path(), format!("/audit/entity?source={needle}"));
}

#[test]
fn hidden_and_reordered_columns_stay_after_a_reload() {
    let _one = one_at_a_time();
    let browser = Browser::new();
    browser.sign_in(&demo().tokens.administrator);
    goto_and_wait(&browser, "/audit/entity");
    let first_order =
        ["at", "blueprint", "entity", "source", "operation", "origin", "status", "error", "run_id"];
    assert_eq!(shown_headers(&browser), first_order);
    browser.click("details.column-settings summary");
    browser.click("details.column-settings li[data-column='source'] input[type=checkbox]");
    browser.click("details.column-settings li[data-column='status'] button[data-move='up']");
    browser.click("details.column-settings li[data-column='status'] button[data-move='up']");
    // Source hidden; Status moved up past Type (origin) and Operation.
    let expected =
        ["at", "blueprint", "entity", "status", "operation", "origin", "error", "run_id"];
    assert_eq!(shown_headers(&browser), expected);

    browser.goto("/audit/entity");
    browser.wait_until("return document.readyState === 'complete'");
    browser.wait_until("return !document.querySelector('details.column-settings').hidden");
    assert_eq!(shown_headers(&browser), expected, "after a reload");
    // Each row's cells follow the headers, the hidden one hidden too.
    let cells = browser.script(
        "return [...document.querySelector('tr.entry').querySelectorAll('td[data-column]')]
            .filter(td => td.offsetParent !== null).map(td => td.dataset.column)",
    );
    assert_eq!(cells, json!(expected));
    // Another tab keeps its own columns.
    goto_and_wait(&browser, "/audit/integration");
    assert_eq!(
        shown_headers(&browser),
        ["at", "integration", "source", "operation", "origin", "status", "error"]
    );
    goto_and_wait(&browser, "/audit/entity");
    browser.click("details.column-settings summary");
    browser.click("button.reset-columns");
    assert_eq!(shown_headers(&browser), first_order);
}

#[test]
fn an_expanded_entry_shows_the_apis_diff() {
    let _one = one_at_a_time();
    let browser = Browser::new();
    browser.sign_in(&demo().tokens.administrator);
    goto_and_wait(&browser, "/audit/entity");
    let token = &demo().tokens.administrator;
    // The newest entity entry whose diff has a change with both values.
    let page = api_audit("resource=entity&limit=100");
    let (seq, detail) = seqs_of(&page)
        .into_iter()
        .map(|seq| {
            (seq, demo().api_json(&format!("/v1/accounts/{}/audit/{seq}", account()), token))
        })
        .find(|(_, detail)| {
            detail["diff"]["changes"]
                .as_array()
                .is_some_and(|changes| changes.iter().any(|change| change["kind"] == "changed"))
        })
        .expect("an entity entry with a changed field among the first 100");

    let changes_row = format!("#changes-{seq}");
    let button = format!("tr.entry[data-seq='{seq}'] button.expand");
    let visible = |css: &str| {
        browser
            .script(&format!("return document.querySelector({}).offsetParent !== null", json!(css)))
    };
    assert_eq!(visible(&changes_row), json!(false), "folded at first");
    assert_eq!(browser.attr(&button, "aria-expanded").as_deref(), Some("false"));
    browser.click(&button);
    assert_eq!(browser.attr(&button, "aria-expanded").as_deref(), Some("true"));
    assert_eq!(visible(&changes_row), json!(true));

    let shown = browser.script(&format!(
        "return [...document.querySelectorAll('{changes_row} tr.change')].map(tr =>
            [...tr.children].map(cell => cell.textContent))"
    ));
    let expected: Vec<Value> = detail["diff"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| {
            // An added value has no before, a removed one no after: blank.
            let kind = change["kind"].as_str().unwrap();
            let value = |side: &str, absent: &str| {
                if kind == absent { String::new() } else { change[side].to_string() }
            };
            let path = match change["path"].as_str().unwrap() {
                "" => "(the whole resource)",
                path => path,
            };
            json!([path, kind, value("before", "added"), value("after", "removed")])
        })
        .collect();
    assert_eq!(shown, json!(expected), "entry {seq}");

    // An entry without snapshots says so instead.
    goto_and_wait(&browser, "/audit/secret");
    let secret = api_audit("resource=secret&limit=1");
    let secret_seq = seqs_of(&secret)[0];
    let detail = demo().api_json(&format!("/v1/accounts/{}/audit/{secret_seq}", account()), token);
    assert_eq!(detail["diff"], json!({"kind": "no_snapshot", "missing": "both"}));
    browser.click(&format!("tr.entry[data-seq='{secret_seq}'] button.expand"));
    assert_eq!(
        browser.text(&format!("#changes-{secret_seq} p.no-snapshot")),
        "This entry has no snapshots: there is no diff to show."
    );
}

/// Sends `count` entries of `kind` through the ingest daemon, a minute apart
/// ending a minute ago, so that they stay inside the 90 days' retention.
fn send_entries(kind: &str, count: usize) {
    let end = Utc::now() - TimeDelta::minutes(1);
    let lines: Vec<String> = (0..count)
        .map(|index| {
            let at =
                (end - TimeDelta::minutes(index as i64)).to_rfc3339_opts(SecondsFormat::Secs, true);
            json!({"id": format!("web-bulk-{index}"), "kind": "audit_entry", "at": at,
                   "resource": kind, "resource_id": format!("card-{index}"), "operation": "update",
                   "source_type": "integration", "source": "web-bulk", "origin": "api",
                   "status": "success", "before": {"level": index}, "after": {"level": index + 1}})
            .to_string()
        })
        .collect();
    for batch in lines.chunks(500) {
        demo().send(0, &batch.join("\n"));
    }
}

/// 1001 as 1,001 (below 1,000,000).
fn with_commas(number: usize) -> String {
    match number {
        0..=999 => number.to_string(),
        _ => format!("{},{:03}", number / 1000, number % 1000),
    }
}

/// Every entry of the kind, as the API pages them (1,000 a page).
fn api_all(kind: &str) -> Vec<u64> {
    let mut seqs = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = api_audit(&format!("resource={kind}&limit=1000{cursor}"));
        seqs.extend(seqs_of(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return seqs,
        }
    }
}

#[test]
fn paging_goes_past_the_thousandth_entry() {
    let _one = one_at_a_time();
    let before = api_all(BULK_KIND).len();
    if before < 1_001 {
        send_entries(BULK_KIND, 1_050);
    }
    let all = api_all(BULK_KIND);
    assert!(all.len() > 1_000, "{} {BULK_KIND} entries", all.len());

    let browser = Browser::new();
    browser.sign_in(&demo().tokens.administrator);
    goto_and_wait(&browser, &format!("/audit/{BULK_KIND}"));
    assert_eq!(browser.text("nav.pager .rows"), "Entries 1 to 100");
    assert_eq!(browser.texts("nav.pager a[rel=prev]").len(), 0, "no page before the first");
    for page in 1..=10 {
        browser.click("nav.pager a[rel=next]");
        let from = page * 100 + 1;
        let to = (from + 99).min(all.len());
        let label = format!("Entries {} to {}", with_commas(from), with_commas(to));
        browser.wait_until(&format!(
            "return document.querySelector('nav.pager .rows').textContent === {}",
            json!(label)
        ));
    }
    // Rows 1,001 to 1,100: the 1,001st is the API's 1,001st.
    let shown = shown_seqs(&browser);
    assert_eq!(shown[0], all[1_000], "the 1,001st entry");
    let end = all.len().min(1_100);
    assert_eq!(shown, all[1_000..end]);

    browser.click("nav.pager a[rel=prev]");
    browser.wait_until(
        "return document.querySelector('nav.pager .rows').textContent === 'Entries 901 to 1,000'",
    );
    assert_eq!(shown_seqs(&browser), all[900..1_000]);
}

#[test]
fn the_chain_status_names_the_files_head_and_checks_an_anchor() {
    let _one = one_at_a_time();
    let browser = Browser::new();
    browser.sign_in(&demo().tokens.administrator);
    // A view waits a moment for the verification it starts; on a slow machine
    // the status comes on a later view (web/chain.rs).
    let started = std::time::Instant::now();
    loop {
        goto_and_wait(&browser, "/audit/entity");
        if browser.script("return document.querySelector('section.chain p.status.pending, section.chain p.status.earlier') === null")
            == serde_json::Value::Bool(true)
        {
            break;
        }
        assert!(started.elapsed().as_secs() < 30, "the chain was still being verified after 30 s");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    // The head read straight from the file: seq and the first 16 bytes of its hash.
    let connection = rusqlite::Connection::open(&demo().db).unwrap();
    let (head_seq, head_hash): (i64, Vec<u8>) = connection
        .query_row(
            "SELECT head_seq, head_hash FROM audit_accounts WHERE account = ?1",
            [account()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    let digest: String = head_hash[..16].iter().map(|byte| format!("{byte:02x}")).collect();
    let anchor = format!("{}:{head_seq}:{digest}", account());
    assert_eq!(browser.text("section.chain code.anchor"), anchor);
    let status = browser.text("section.chain p.status.ok");
    assert!(status.starts_with("Verified: the chain is intact."), "{status}");

    browser.fill("#anchor", &anchor);
    browser.click("form.anchor-check button[type=submit]");
    browser.wait_until("return location.search.includes('anchor=')");
    let outcome = browser.text("section.chain p.anchor-outcome.ok");
    assert!(outcome.ends_with("nothing up to it was rewritten."), "{outcome}");

    // The same seq with another digest: rewritten.
    let forged = format!("{}:{head_seq}:{}", account(), "0".repeat(32));
    browser.fill("#anchor", &forged);
    browser.click("form.anchor-check button[type=submit]");
    browser.wait_until("return document.querySelector('p.anchor-outcome.broken') !== null");
    let outcome = browser.text("section.chain p.anchor-outcome.broken");
    assert!(outcome.contains("does not hold this digest"), "{outcome}");
    // Against that anchor the chain is not intact, and the page says where.
    let status = browser.text("section.chain p.status.broken[role=alert]");
    assert!(status.starts_with("The chain is broken:"), "{status}");
    assert!(status.contains(&format!("at or before seq {head_seq}")), "{status}");
}

#[test]
fn a_member_sees_their_own_runs_and_no_audit_log() {
    let _one = one_at_a_time();
    let demo = demo();
    let mut browser = Browser::new();
    browser.sign_in(&demo.tokens.member);
    assert_eq!(browser.path(), "/runs");
    assert_eq!(browser.text("main h1"), "My runs");
    let api =
        demo.api_json(&format!("/v1/accounts/{}/runs?limit=100", account()), &demo.tokens.member);
    let items = api["items"].as_array().unwrap();
    assert!(!items.is_empty(), "the member has runs");
    let shown = browser.script(
        "return [...document.querySelectorAll('table.runs tbody tr')].map(tr => [
            tr.querySelector('[data-column=at] time').getAttribute('datetime'),
            tr.querySelector('[data-column=run_id]').textContent,
            tr.querySelector('[data-column=status]').textContent,
            tr.querySelector('[data-column=user]').textContent])",
    );
    let expected: Vec<Value> = items
        .iter()
        .map(|item| {
            let at = item["at"].as_str().unwrap();
            json!([format!("{}Z", &at[..19]), item["run_id"], item["status"], demo.member_user])
        })
        .collect();
    assert_eq!(shown, json!(expected));
    browser.assert_accessible();
    browser.screenshot("my-runs");
    browser.phone();
    browser.assert_accessible();
    browser.screenshot("my-runs");
    browser.desktop();

    // The audit log and the dashboard are an administrator's: a 403 page,
    // in the browser and over HTTP.
    goto_and_wait(&browser, "/audit/entity");
    assert_eq!(browser.text("main h1"), "Forbidden");
    let cookie = format!("tally_token={}; tally_csrf=x", demo.tokens.member);
    for path in ["/audit", "/audit/entity", "/audit/run?run_id=r_1", "/dashboard/users-activity"] {
        let answer = demo.api.send("GET", path, None, None, &[("Cookie", &cookie)]);
        assert_eq!(answer.status, 403, "{path}: {}", answer.text());
    }
}

#[test]
fn a_members_run_shows_its_audit_details_and_no_one_elses() {
    let _one = one_at_a_time();
    let demo = demo();
    let runs =
        demo.api_json(&format!("/v1/accounts/{}/runs?limit=1000", account()), &demo.tokens.member);
    let items = runs["items"].as_array().unwrap();
    // The member's newest run with more than one audit entry, so that their
    // order shows.
    let (run_id, entries) = items
        .iter()
        .map(|item| item["run_id"].as_str().unwrap().to_owned())
        .find_map(|run_id| {
            let entries = demo.api_json(
                &format!("/v1/accounts/{}/audit?run_id={run_id}&limit=100", account()),
                &demo.tokens.member,
            );
            (seqs_of(&entries).len() > 1).then_some((run_id, entries))
        })
        .expect("a run of the member's with two audit entries or more");

    let browser = Browser::new();
    browser.sign_in(&demo.tokens.member);
    browser.click(&format!("table.runs td[data-column='run_id'] a[href='/runs/{run_id}']"));
    browser.wait_until(&format!("return location.pathname === '/runs/{run_id}'"));
    assert_eq!(browser.text("main h1"), format!("Run {run_id}"));
    assert_eq!(shown_seqs(&browser), seqs_of(&entries));
    let first = &entries["items"][0];
    let seq = first["seq"].as_u64().unwrap();
    for column in ["resource", "operation", "origin", "status"] {
        let shown = browser.text(&format!("tr.entry[data-seq='{seq}'] td[data-column='{column}']"));
        assert_eq!(shown, first[column].as_str().unwrap(), "{column}");
    }
    browser.click(&format!("tr.entry[data-seq='{seq}'] button.expand"));
    assert_eq!(
        browser
            .attr(&format!("tr.entry[data-seq='{seq}'] button.expand"), "aria-expanded")
            .as_deref(),
        Some("true")
    );
    browser.assert_accessible();

    // Someone else's run is as absent as a missing one, as in the API.
    let all = demo.api_json(
        &format!("/v1/accounts/{}/runs?limit=1000", account()),
        &demo.tokens.administrator,
    );
    let others = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["user"].as_str().is_some_and(|user| user != demo.member_user))
        .expect("a run of another user");
    let cookie = format!("tally_token={}; tally_csrf=x", demo.tokens.member);
    let path = format!("/runs/{}", others["run_id"].as_str().unwrap());
    let answer = demo.api.send("GET", &path, None, None, &[("Cookie", &cookie)]);
    assert_eq!(answer.status, 404, "{path}: {}", answer.text());
}

#[test]
fn a_page_of_long_entries_stays_under_a_megabyte_and_goes_on_where_it_stopped() {
    let demo = demo();
    // The second account, so that the first account's tabs keep their rows.
    let account = &demo.accounts[1];
    let mut store =
        tally_store::Store::open(&demo.db, &tally_store::StoreOptions::default()).unwrap();
    let token = store
        .create_token(&tally_store::NewToken {
            grant: tally_store::TokenGrant::Administrator {
                account: account.clone(),
                server_management_read: false,
            },
            label: "web audit tests".into(),
            expires_at: None,
        })
        .unwrap()
        .1
        .expose()
        .to_owned();
    drop(store);
    // 120 failed changes, each with an error of 4,000 quotes and angle
    // brackets (escaped, six times longer) and 16 fields of 300 of them
    // changed: about 40 kB of HTML an entry, 4 MB for 100.
    let long = "\"<&".repeat(1_400);
    let snapshot = |side: &str| {
        let fields: serde_json::Map<String, Value> = (0..16)
            .map(|field| (format!("f{field:02}"), json!(format!("{side}{}", &long[..300]))))
            .collect();
        Value::Object(fields)
    };
    let end = Utc::now() - TimeDelta::minutes(1);
    let lines: Vec<String> = (0..120)
        .map(|index| {
            let at = (end - TimeDelta::minutes(index)).to_rfc3339_opts(SecondsFormat::Secs, true);
            json!({"id": format!("web-long-{index}"), "kind": "audit_entry", "at": at,
                   "resource": "automation", "resource_id": format!("auto-{index}"),
                   "operation": "update", "source_type": "user", "source": "long@example.com",
                   "origin": "ui", "status": "failure", "error": &long[..4_000],
                   "before": snapshot("b"), "after": snapshot("a")})
            .to_string()
        })
        .collect();
    // Batches under the daemon's 1 MiB body limit.
    for batch in lines.chunks(20) {
        demo.send(1, &batch.join("\n"));
    }
    let api: Vec<u64> =
        seqs_of(&demo.api_json(
            &format!("/v1/accounts/{account}/audit?resource=automation&limit=1000"),
            &token,
        ));
    assert!(api.len() >= 120, "{} automation entries", api.len());

    let cookie = format!("tally_token={token}; tally_csrf=x");
    let get = |path: &str| {
        let answer = demo.api.send("GET", path, None, None, &[("Cookie", &cookie)]);
        assert_eq!(answer.status, 200, "{path}");
        answer.text()
    };
    let rows = |html: &str| -> Vec<u64> {
        html.split("<tr class=\"entry\" data-seq=\"")
            .skip(1)
            .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
            .collect()
    };
    let first = get("/audit/automation");
    assert!(first.len() < 1_000_000, "the first page is {} bytes", first.len());
    let shown = rows(&first);
    assert!(!shown.is_empty() && shown.len() < 100, "{} rows on the first page", shown.len());
    assert_eq!(shown, api[..shown.len()]);
    // The next page starts at the first row not shown.
    let next = first.split("rel=\"next\"").next().unwrap();
    let href = &next[next.rfind("href=\"").unwrap() + 6..];
    let href = href[..href.find('"').unwrap()].replace("&amp;", "&");
    let second = get(&href);
    assert!(second.len() < 1_000_000, "the second page is {} bytes", second.len());
    let following = rows(&second);
    assert_eq!(following[0], api[shown.len()], "the page after goes on at the next row");
    assert!(second.contains(&format!(
        "Entries {} to {}",
        shown.len() + 1,
        shown.len() + following.len()
    )));
}

#[test]
fn each_audit_page_is_under_a_megabyte() {
    let _one = one_at_a_time();
    let demo = demo();
    let administrator = format!("tally_token={}; tally_csrf=x", demo.tokens.administrator);
    let member = format!("tally_token={}; tally_csrf=x", demo.tokens.member);
    let pages = KINDS
        .iter()
        .map(|kind| (format!("/audit/{kind}"), &administrator))
        .chain([("/runs".to_owned(), &member)]);
    for (path, cookie) in pages {
        // Its time is measured by `cargo bench --bench web_pages`, not here.
        let answer = demo.api.send("GET", &path, None, None, &[("Cookie", cookie)]);
        assert_eq!(answer.status, 200, "{path}");
        assert!(answer.bytes.len() < 1 << 20, "{path}: {} bytes", answer.bytes.len());
    }
}
