//! The usage dashboard on one account of 10 million events over a year (issue
//! 15): each widget's time from the aggregates (criterion's median, and the
//! 50th and 99th percentiles of 200 evaluations, printed and kept in
//! `target/criterion/dashboard-widgets.txt`), and what keeping the aggregates
//! current costs HTTP ingest: the same batches posted to the daemon with and
//! without a thread bringing the dashboard up to date every second, in one
//! criterion group so that their ratio comes from one run.
//!
//! The 10-million-event file is made once (`dashboard_account.rs`, shared
//! with the PDF benchmark) and kept in the scratch directory as
//! `dashboard-bench-v2/account.sqlite`; delete it to make it again.

mod daemon;
mod dashboard_account;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use tally_access::Principal;
use tally_benches::{DashboardGenerator, agent, checked_events, post_batch, scratch_dir};
use tally_figures::dashboard::{DashboardQuery, Widget, widget_table};
use tally_store::{Store, StoreOptions};

use crate::dashboard_account::{AT, EVENTS, SEED, new_account, prepared_file};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Evaluations of each widget for its percentiles.
const EVALUATIONS: usize = 200;

fn main() {
    let file = prepared_file();
    widget_percentiles(&file);
    let mut criterion = Criterion::default().configure_from_args();
    widget_medians(&mut criterion, &file);
    upkeep_cost(&mut criterion);
    criterion.final_summary();
}

fn query() -> DashboardQuery {
    DashboardQuery::new(AT.parse().expect("an instant"), None, None, None, None).expect("a query")
}

fn usage() -> tally_access::AccountUsage {
    Principal::database_holder("bench").read_usage("bench").expect("the holder reads usage")
}

/// Each widget evaluated `EVALUATIONS` times: the 50th and 99th percentiles.
fn widget_percentiles(file: &Path) {
    let store = Store::open(file, &StoreOptions::default()).expect("open the file");
    let (usage, query) = (usage(), query());
    let mut report = format!(
        "widget times over {EVENTS} events, {EVALUATIONS} evaluations each (ms)\n{:<32} {:>8} {:>8} {:>8}\n",
        "widget", "p50", "p99", "rows"
    );
    for widget in Widget::ALL {
        let mut times = Vec::with_capacity(EVALUATIONS);
        let mut rows = 0;
        for _ in 0..EVALUATIONS {
            let started = Instant::now();
            let answer = widget_table(&store, &usage, *widget, &query).expect("a widget");
            times.push(started.elapsed());
            rows = answer.table.rows.len();
        }
        times.sort();
        let percentile = |p: usize| times[(EVALUATIONS * p).div_ceil(100) - 1].as_secs_f64() * 1e3;
        report.push_str(&format!(
            "{:<32} {:>8.2} {:>8.2} {:>8}\n",
            format!("{}/{}", widget.tab().name(), widget.name()),
            percentile(50),
            percentile(99),
            rows
        ));
    }
    print!("{report}");
    let out = tally_benches::target_dir().join("criterion");
    std::fs::create_dir_all(&out).expect("create target/criterion");
    std::fs::write(out.join("dashboard-widgets.txt"), report).expect("keep the report");
}

fn widget_medians(criterion: &mut Criterion, file: &Path) {
    let store = Store::open(file, &StoreOptions::default()).expect("open the file");
    let (usage, query) = (usage(), query());
    let mut group = criterion.benchmark_group("dashboard_widget_10m_events");
    group.sample_size(20).measurement_time(Duration::from_secs(3));
    for widget in Widget::ALL {
        group.bench_function(format!("{}/{}", widget.tab().name(), widget.name()), |bencher| {
            bencher.iter(|| widget_table(&store, &usage, *widget, &query).expect("a widget"))
        });
    }
    group.finish();
}

/// Batches per criterion iteration: 20 of 10,000 events.
const BATCHES: usize = 20;
const BATCH_EVENTS: usize = 10_000;

/// HTTP ingest of the dashboard's mix of events, with and without the
/// dashboard kept current by a thread that updates it every second.
fn upkeep_cost(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("ingest_with_dashboard_upkeep");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements((BATCHES * BATCH_EVENTS) as u64));
    for upkeep in [false, true] {
        let dir = tempfile::tempdir_in(scratch_dir()).expect("a directory for the file");
        let path = dir.path().join("ingest.sqlite");
        let write_key = {
            let mut store = Store::open(&path, &StoreOptions::default()).expect("create");
            let (account, key) = store.create_account(&new_account()).expect("account");
            let users = checked_events(&DashboardGenerator::new(SEED, 1).users());
            store.append(account.id, &users).expect("the users");
            key.expose().to_owned()
        };
        let daemon = daemon::Daemon::start(&path);
        let running = Arc::new(AtomicBool::new(true));
        let updater = upkeep.then(|| {
            let (running, path) = (Arc::clone(&running), path.clone());
            std::thread::spawn(move || {
                let mut store = Store::open(&path, &StoreOptions::default()).expect("open");
                while running.load(Ordering::Relaxed) {
                    store
                        .update_dashboard("bench", tally_store::DASHBOARD_EVENTS_PER_STEP)
                        .expect("update the dashboard");
                    std::thread::sleep(Duration::from_secs(1));
                }
            })
        });
        let agent = agent();
        // Enough events for every iteration criterion may run, made up front.
        let mut generator = DashboardGenerator::new(SEED + 1, 40_000_000);
        let name = if upkeep { "http_batch_with_dashboard_upkeep" } else { "http_batch" };
        group.bench_function(name, |bencher| {
            bencher.iter_custom(|iterations| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iterations {
                    let bodies: Vec<String> = (0..BATCHES)
                        .map(|_| generator.next_batch(BATCH_EVENTS).expect("events left"))
                        .collect();
                    let started = Instant::now();
                    std::thread::scope(|scope| {
                        for sender in 0..2 {
                            let (agent, bodies, url, key) =
                                (&agent, &bodies, &daemon.url, &write_key);
                            scope.spawn(move || {
                                for body in bodies.iter().skip(sender).step_by(2) {
                                    let accepted = post_batch(agent, url, key, body.as_bytes())
                                        .unwrap_or_else(|error| panic!("{error}"));
                                    assert_eq!(accepted, BATCH_EVENTS as u64);
                                }
                            });
                        }
                    });
                    elapsed += started.elapsed();
                }
                elapsed
            })
        });
        running.store(false, Ordering::Relaxed);
        if let Some(updater) = updater {
            updater.join().expect("the updater");
        }
        daemon.stop();
    }
    group.finish();
}
