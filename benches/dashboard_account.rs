//! The account of 10 million events over 2026 that the dashboard benchmarks
//! read (`dashboard.rs`, `dashboard_pdf.rs`): made once (about a minute and a
//! half of appending, then the first dashboard update, whose time is printed
//! and kept beside it) and kept in the scratch directory as
//! `dashboard-bench-v2/account.sqlite`; delete it to make it again.

use std::path::PathBuf;
use std::time::Instant;

use tally_benches::{DashboardGenerator, checked_events, scratch_dir};
use tally_store::{NewAccount, Store, StoreOptions};

/// Events of the account, after its users' `user_added`.
pub const EVENTS: u64 = 10_000_000;
pub const SEED: u64 = 15;
/// The instant the widgets are evaluated at: the end of the generated year.
pub const AT: &str = "2026-12-31T12:00:00Z";
/// The account's file, made if missing, with its dashboard up to date.
pub fn prepared_file() -> PathBuf {
    let dir = scratch_dir().join("dashboard-bench-v2");
    let path = dir.join("account.sqlite");
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    let partial = dir.join("account.partial.sqlite");
    let _ = std::fs::remove_file(&partial);
    let mut store = Store::open(&partial, &StoreOptions::default()).expect("create the store");
    let (account, _) = store.create_account(&new_account()).expect("create the account");
    let mut generator = DashboardGenerator::new(SEED, EVENTS);
    let started = Instant::now();
    store.append(account.id, &checked_events(&generator.users())).expect("append the users");
    let mut appended = 0;
    while let Some(batch) = generator.next_batch(10_000) {
        appended += store.append(account.id, &checked_events(&batch)).expect("append").accepted;
        if appended % 1_000_000 == 0 {
            eprintln!("  {appended} events after {:.0?}", started.elapsed());
        }
    }
    eprintln!("appended {appended} events in {:.1?}", started.elapsed());
    let started = Instant::now();
    let read = store
        .update_dashboard("bench", tally_store::DASHBOARD_EVENTS_PER_STEP)
        .expect("the first dashboard update");
    let first_update = started.elapsed();
    store.update_seats("bench").expect("the seat state");
    let note = format!(
        "first update_dashboard over {read} events: {first_update:.2?} ({:.0} events/s)\n",
        read as f64 / first_update.as_secs_f64()
    );
    eprint!("{note}");
    std::fs::write(dir.join("first-update.txt"), note).expect("keep the first update's time");
    drop(store);
    std::fs::rename(&partial, &path).expect("name the finished file");
    path
}

pub fn new_account() -> NewAccount {
    NewAccount {
        slug: "bench".into(),
        name: "Benchmark".into(),
        calendar: tally_calendar::AccountCalendar {
            time_zone: chrono_tz::Europe::Berlin,
            week_start: chrono::Weekday::Mon,
        },
        terms: vec!["2026-01-01..2027-01-01".parse().expect("a term")],
    }
}
