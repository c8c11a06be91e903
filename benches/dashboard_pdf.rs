//! A dashboard tab's PDF (issue 16), end to end as the exporter and the API
//! make it from an up-to-date dashboard: every widget of the tab computed,
//! each chart drawn, the document laid out and written. On the demo's data
//! (`acme-robotics`, built once in the scratch directory) and on the account of
//! 10 million events the dashboard benchmark reads (`dashboard_account.rs`,
//! made once if missing).

mod dashboard_account;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use criterion::Criterion;
use tally_access::Principal;
use tally_benches::scratch_dir;
use tally_figures::dashboard::{DashboardQuery, Tab, tab_pdf, tab_tables};
use tally_store::{Store, StoreOptions};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let demo = demo_file();
    tab_pdfs(
        &mut criterion,
        "dashboard_tab_pdf_demo",
        &demo,
        "acme-robotics",
        "2026-11-20T12:00:00Z",
    );
    let ten_million = dashboard_account::prepared_file();
    tab_pdfs(
        &mut criterion,
        "dashboard_tab_pdf_10m_events",
        &ten_million,
        "bench",
        dashboard_account::AT,
    );
    criterion.final_summary();
}

/// The demo's database, built once (with its dashboard up to date) and kept.
fn demo_file() -> PathBuf {
    let dir = scratch_dir().join("dashboard-pdf-demo-v1");
    let path = dir.join("demo.sqlite");
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    let end: DateTime<Utc> = "2026-11-25T00:00:00Z".parse().expect("an instant");
    let partial = dir.join("demo.partial.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    tally_ingest::demo::build_demo(&partial, &dir.join("audit.key"), end, |_, _, _| {})
        .expect("build the demo");
    {
        let mut store = Store::open(&partial, &StoreOptions::default()).expect("open the demo");
        store
            .update_dashboard("acme-robotics", tally_store::DASHBOARD_EVENTS_PER_STEP)
            .expect("the demo's dashboard");
    }
    std::fs::rename(&partial, &path).expect("name the finished file");
    path
}

/// Each tab's PDF of `account` in `file`, as of `at`.
fn tab_pdfs(criterion: &mut Criterion, group: &str, file: &Path, account: &str, at: &str) {
    let store = Store::open(file, &StoreOptions::default()).expect("open the file");
    let usage = Principal::database_holder(account).read_usage(account).expect("read usage");
    let zone = store.account(account).expect("the account").calendar.time_zone;
    let query = DashboardQuery::new(at.parse().expect("an instant"), None, None, None, None)
        .expect("a query");
    let mut group = criterion.benchmark_group(group);
    group.sample_size(10);
    for tab in Tab::ALL {
        group.bench_function(tab.name(), |bencher| {
            bencher.iter(|| {
                let tables = tab_tables(&store, &usage, *tab, &query).expect("the widgets");
                let pdf = tab_pdf(*tab, account, &query, &tables, zone).expect("the PDF");
                assert!(pdf.starts_with(b"%PDF-"));
                pdf.len()
            })
        });
    }
    group.finish();
}
