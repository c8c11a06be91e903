//! The web dashboard's first views on the demo database (issue 19: each under
//! 300 ms, no request over 1 MB). Each page is fetched as a browser's first
//! visit does, one request after another: the HTML, then every script,
//! stylesheet and image it names, from the release `tally-api` serving the
//! demo on loopback. Criterion's median is the first view's time; the largest
//! answer of each page is printed and kept in
//! `target/criterion/web-pages.txt`.
//!
//! Needs `cargo build --release -p tally-api` first.

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, SamplingMode};
use tally_access::StaffScope;
use tally_benches::{Daemon, agent, release_binary, scratch_tempdir, target_dir};
use tally_store::{NewToken, StaffTeam, Store, StoreOptions, TokenGrant};

/// The pages, each with the token kind that opens it.
const PAGES: &[(&str, Viewer)] = &[
    ("/dashboard/users-activity", Viewer::Administrator),
    ("/dashboard/entities", Viewer::Administrator),
    ("/dashboard/actions-automations", Viewer::Administrator),
    ("/dashboard/data-sources", Viewer::Administrator),
    ("/dashboard/ai-mcp", Viewer::Administrator),
    ("/audit/entity", Viewer::Administrator),
    ("/runs", Viewer::Member),
    ("/monitor", Viewer::Staff),
    ("/monitor/activities", Viewer::Staff),
];

#[derive(Clone, Copy)]
enum Viewer {
    Administrator,
    Member,
    Staff,
}

struct Tokens {
    administrator: String,
    member: String,
    staff: String,
}

fn main() {
    let dir = scratch_tempdir("web-pages-").expect("a scratch directory");
    let db = dir.path().join("tally-demo.sqlite");
    let audit_key = tally_audit::key_file_for(&db);
    let demo = tally_ingest::demo::build_demo(&db, &audit_key, chrono::Utc::now(), |_, _, _| {})
        .expect("the demo database");
    let account = demo.accounts[0].account.slug.clone();
    let tokens = tokens(&db, &account);
    let binary = release_binary("tally-api", None).expect("cargo build --release -p tally-api");
    let api = Daemon::start_api(&binary, &db, &[]).expect("tally-api");

    let mut report = String::from(
        "page                                 requests  page (bytes)  largest answer (bytes)\n",
    );
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("web_first_view");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    for (page, viewer) in PAGES {
        let token = match viewer {
            Viewer::Administrator => &tokens.administrator,
            Viewer::Member => &tokens.member,
            Viewer::Staff => &tokens.staff,
        };
        let (requests, html, largest) = first_view(&api.address, page, token);
        report.push_str(&format!("{page:<36} {requests:>8}  {html:>12}  {largest:>10}\n"));
        group.bench_function(*page, |bench| bench.iter(|| first_view(&api.address, page, token)));
    }
    group.finish();
    criterion.final_summary();
    print!("{report}");
    let kept = target_dir().join("criterion/web-pages.txt");
    if let Some(parent) = kept.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = std::fs::write(kept, report);
}

/// A first visit of `page`: the HTML, then each asset and image it names.
/// Answers the number of requests, the page's size and the largest answer's.
fn first_view(address: &str, page: &str, token: &str) -> (usize, usize, usize) {
    let agent = agent();
    let cookie = format!("tally_token={token}; tally_csrf=bench");
    let get = |path: &str| -> Vec<u8> {
        let mut response = agent
            .get(format!("{address}{path}"))
            .header("Cookie", &cookie)
            .call()
            .expect("an answer");
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.body_mut().with_config().limit(64 << 20).read_to_vec().expect("a body")
    };
    let html = String::from_utf8(get(page)).expect("HTML is UTF-8");
    let mut largest = html.len();
    let mut requests = 1;
    for resource in resources(&html) {
        largest = largest.max(get(&resource).len());
        requests += 1;
    }
    (requests, html.len(), largest)
}

/// The same-site scripts, stylesheets and images a page names.
fn resources(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\"/assets/"] {
        let mut rest = html;
        while let Some(start) = rest.find(attribute) {
            let value_start = start + attribute.len();
            let value_end =
                rest[value_start..].find('"').map_or(rest.len(), |end| value_start + end);
            let value = &rest[value_start..value_end];
            let value = if attribute.starts_with("href") {
                format!("/assets/{value}")
            } else {
                value.to_owned()
            };
            if value.starts_with('/') && !found.contains(&value) {
                found.push(value.replace("&amp;", "&"));
            }
            rest = &rest[value_end..];
        }
    }
    found
}

/// An administrator, a member who started a run, and staff of the account.
fn tokens(db: &Path, account: &str) -> Tokens {
    let connection = rusqlite::Connection::open(db).expect("the demo file");
    let member: String = connection
        .query_row(
            "SELECT json_extract(payload, '$.user') FROM events WHERE kind = 'action_run' \
             AND json_extract(payload, '$.user') IS NOT NULL \
             AND account_id = (SELECT account_id FROM accounts WHERE slug = ?1) LIMIT 1",
            [account],
            |row| row.get(0),
        )
        .expect("a user with a run");
    drop(connection);
    let mut store = Store::open(db, &StoreOptions::default()).expect("the demo store");
    store
        .set_staff_team(&StaffTeam { team: "bench".into(), scope: StaffScope::AllAccounts })
        .expect("a staff team");
    let mut token = |grant: TokenGrant| {
        store
            .create_token(&NewToken { grant, label: "bench".into(), expires_at: None })
            .expect("a token")
            .1
            .expose()
            .to_owned()
    };
    Tokens {
        administrator: token(TokenGrant::Administrator {
            account: account.to_owned(),
            server_management_read: true,
        }),
        member: token(TokenGrant::Member { account: account.to_owned(), user: member }),
        staff: token(TokenGrant::Staff { team: "bench".into(), admin: false }),
    }
}
