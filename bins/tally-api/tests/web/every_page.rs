//! What holds on every page a token reaches, found by following the pages'
//! own links: user data shown as text and never run, nothing blocked by the
//! content security policy, no serious accessibility violation.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{SecondsFormat, Utc};
use serde_json::json;
use tally_store::{Store, StoreOptions};

use tally_access::StaffScope;
use tally_store::{NewToken, StaffTeam, TokenGrant};

use crate::support::{Browser, a_user_with_runs, demo};

/// An administrator's, a member's and a staff token of `account` alone.
struct Tokens {
    administrator: String,
    member: String,
    staff: String,
}

fn tokens_of(account: &str, member: &str) -> Tokens {
    let mut store = Store::open(&demo().db, &StoreOptions::default()).unwrap();
    let team = format!("{account}-care");
    store
        .set_staff_team(&StaffTeam {
            team: team.clone(),
            scope: StaffScope::Accounts([account.to_owned()].into()),
        })
        .unwrap();
    let mut token = |grant: TokenGrant| {
        let made = store.create_token(&NewToken { grant, label: "xss".into(), expires_at: None });
        made.unwrap().1.expose().to_owned()
    };
    Tokens {
        administrator: token(TokenGrant::Administrator {
            account: account.to_owned(),
            server_management_read: true,
        }),
        member: token(TokenGrant::Member { account: account.to_owned(), user: member.to_owned() }),
        staff: token(TokenGrant::Staff { team, admin: false }),
    }
}

/// Pages visited per crawl, at most; and per kind of page (its path's first
/// two segments), whatever the rest.
const MOST_PAGES: usize = 60;
const MOST_PER_PATH: usize = 2;

/// Strings of HTML and script, as a hostile or careless sender would put in
/// names, pages and errors. Each sets `window.__tallyXss` if it ever runs.
const NAME: &str = r#"<script>window.__tallyXss='name'</script><img src=x onerror="window.__tallyXss='name-img'">Eve"#;
const PAGE: &str = r#"/pages/<script>window.__tallyXss='page'</script>"#;
const ERROR: &str = r#"<img src=x onerror="window.__tallyXss='error'">quota <b>exceeded</b>"#;
const ACTION: &str = r#"<svg onload="window.__tallyXss='action'">deploy"#;

/// What one crawl saw.
struct Crawl {
    pages: Vec<String>,
    /// Every page's text, as the browser shows it.
    text: String,
    /// axe-core's violations, by impact, over every page.
    impacts: BTreeMap<String, usize>,
}

/// Visits the pages `token` reaches from its first page, checking each.
fn crawl(token: &str) -> Crawl {
    let browser = Browser::new();
    browser.sign_in(token);
    let first = browser.path();
    let mut queue = VecDeque::from([first]);
    let mut seen = BTreeSet::new();
    let mut per_path: BTreeMap<String, usize> = BTreeMap::new();
    let mut crawl = Crawl { pages: Vec::new(), text: String::new(), impacts: BTreeMap::new() };
    while let Some(page) = queue.pop_front() {
        if crawl.pages.len() == MOST_PAGES || !seen.insert(page.clone()) {
            continue;
        }
        // Pages of one kind (a seat's explanation, the rows behind a figure)
        // share their first two segments: a few of each, then other kinds.
        let path = page.split('?').next().unwrap_or("");
        let kind: Vec<&str> = path.split('/').take(3).collect();
        let visits = per_path.entry(kind.join("/")).or_default();
        if *visits == MOST_PER_PATH {
            continue;
        }
        *visits += 1;
        browser.goto(&page);
        browser.wait_until("return document.readyState === 'complete'");
        let ran =
            browser.script("return window.__tallyXss === undefined ? null : window.__tallyXss");
        assert_eq!(ran, serde_json::Value::Null, "a sender's string ran as script on {page}");
        let inline = browser.script(
            "return document.querySelectorAll('script:not([src]), [onerror], [onload], [onclick]').length",
        );
        assert_eq!(inline, json!(0), "inline script or handlers on {page}");
        let blocked = browser.csp_violations();
        assert!(blocked.is_empty(), "the policy blocked on {page}: {blocked:?}");
        for violation in browser.assert_accessible() {
            *crawl.impacts.entry(violation.impact).or_default() += 1;
        }
        crawl
            .text
            .push_str(browser.script("return document.body.innerText").as_str().unwrap_or(""));
        crawl.pages.push(page);
        queue.extend(browser.page_links());
    }
    crawl
}

#[test]
fn every_page_shows_html_and_script_from_events_as_text() {
    let demo = demo();
    // The second account takes the hostile events, so that the first's pages
    // (and the screenshots the other tests take of them) stay as the demo made them.
    let account = &demo.accounts[1];
    let member = a_user_with_runs(&demo.db, account);
    let tokens = tokens_of(account, &member);
    let now = Utc::now() - chrono::TimeDelta::minutes(2);
    let at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let events = [
        json!({"id": "xss-1", "kind": "user_added", "at": at, "user": "u-xss", "email": "eve@example.com",
               "display_name": NAME, "role": "member"}),
        json!({"id": "xss-2", "kind": "login", "at": at, "user": "u-xss"}),
        json!({"id": "xss-3", "kind": "page_visit", "at": at, "user": "u-xss", "page": PAGE}),
        json!({"id": "xss-4", "kind": "mcp_call", "at": at, "user": "u-xss", "tool": ACTION,
               "status": "failure", "error": ERROR}),
        json!({"id": "xss-5", "kind": "action_run", "at": at, "user": member, "organization": "xss-org",
               "action": ACTION, "run_id": "xss-run", "trigger": "ui", "status": "failure"}),
        json!({"id": "xss-6", "kind": "audit_entry", "at": at, "resource": "entity", "resource_id": "svc-xss",
               "operation": "update", "source_type": "user", "source": NAME, "origin": "ui",
               "status": "failure", "error": ERROR, "user": "u-xss", "blueprint": "service",
               "entity": "svc-xss", "before": {"name": PAGE}, "after": {"name": NAME}}),
    ];
    let lines: Vec<String> = events.iter().map(|event| event.to_string()).collect();
    demo.send(1, &lines.join("\n"));
    // The figures the dashboard reads are brought up to date as the ingest
    // daemon's upkeep would.
    let mut store = Store::open(&demo.db, &StoreOptions::default()).unwrap();
    store.update_seats(account).unwrap();
    store.update_dashboard(account, 100_000).unwrap();
    drop(store);

    let mut shown = String::new();
    for (who, token) in [
        ("administrator", &tokens.administrator),
        ("member", &tokens.member),
        ("staff", &tokens.staff),
    ] {
        let crawl = crawl(token);
        assert!(crawl.pages.len() > 1 || who == "member", "{who} reached only {:?}", crawl.pages);
        eprintln!(
            "{who}: {} pages, axe violations by impact {:?}: {:?}",
            crawl.pages.len(),
            crawl.impacts,
            crawl.pages
        );
        shown.push_str(&crawl.text);
    }
    for hostile in [NAME, PAGE, ERROR, ACTION] {
        assert!(shown.contains(hostile), "{hostile} is shown as text on no page");
    }
}
