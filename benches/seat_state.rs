//! The persisted seat state at scale: a store holding a year of logins of
//! 100,000 users (about 20 million login events), its seat state brought up to
//! date, against the engine's full recompute in memory over the same logins in
//! the same run; then the figures read from that state and small updates made
//! to it; and the event counts per kind and month, over the index and kept.
//! Figures and the command are in `docs/PERFORMANCE.md`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use tally_benches::{LOGIN_USERS, scratch_dir, user_name, year_of_logins};
use tally_calendar::AccountCalendar;
use tally_events::{Event, EventBody, EventKind, Login};
use tally_seats::{Month, SeatLedger, SeatRule};
use tally_store::{EventRecord, NewAccount, Store, StoreOptions};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Logins appended (each with a fresh id, at an earlier instant than most) before
/// each timed update.
const LATE_LOGINS: usize = 10_000;

criterion_group!(benches, seat_state);
criterion_main!(benches);

fn record(id: String, user: &str, at_us: i64) -> EventRecord {
    let event = Event {
        id,
        at: DateTime::<Utc>::from_timestamp_micros(at_us).expect("an instant in 2026"),
        body: EventBody::Login(Login { user: user.to_owned(), organization: None }),
        properties: None,
    };
    let canonical_json = event.canonical_json();
    EventRecord {
        line: 1,
        id: event.id,
        kind: EventKind::Login,
        at_us,
        canonical_json,
        earlier_canonical_json: None,
        login_user: Some(user.to_owned()),
        login_organization: None,
    }
}

fn seat_state(criterion: &mut Criterion) {
    let logins = year_of_logins(2026);
    let dir = tempfile::Builder::new()
        .prefix("seat-state-bench-")
        .tempdir_in(scratch_dir())
        .expect("a directory for the store");
    let mut store =
        Store::open(&dir.path().join("tally.sqlite"), &StoreOptions::default()).expect("a store");
    let calendar =
        AccountCalendar { time_zone: chrono_tz::Europe::Berlin, ..AccountCalendar::default() };
    let (account, _) = store
        .create_account(&NewAccount {
            slug: "bench".into(),
            name: "Benchmark".into(),
            calendar,
            terms: vec!["2026-01-01..2027-01-01".parse().expect("a term")],
        })
        .expect("an account");

    let started = Instant::now();
    for (batch_number, batch) in logins.chunks(10_000).enumerate() {
        let records: Vec<EventRecord> = batch
            .iter()
            .enumerate()
            .map(|(n, (user, at_us))| {
                record(format!("l{batch_number}-{n}"), &user_name(*user), *at_us)
            })
            .collect();
        store.append_records(account.id, &records).expect("append logins");
    }
    eprintln!("stored {} login events in {:.1?}", logins.len(), started.elapsed());
    let started = Instant::now();
    let update = store.update_seats("bench").expect("update the seats");
    let first_update = started.elapsed();
    eprintln!(
        "first seat update: {} events, {} users, in {first_update:.1?}",
        update.events, update.users,
    );
    // What `full_recompute` in benches/seats.rs does, timed once here so that
    // the ratio comes from one run.
    let names: Vec<String> = (0..LOGIN_USERS).map(user_name).collect();
    let started = Instant::now();
    let ledger = SeatLedger::from_logins(
        account.calendar.clone(),
        &account.terms,
        SeatRule::default(),
        logins.iter().map(|(user, at_us)| {
            let at = DateTime::<Utc>::from_timestamp_micros(*at_us).expect("an instant in 2026");
            (names[*user as usize].as_str(), at)
        }),
    )
    .expect("a ledger");
    let january: Month = "2026-01".parse().expect("a month");
    let figures = ledger.monthly_active_seats(january, "2026-12".parse().expect("a month"));
    let recompute = started.elapsed();
    eprintln!(
        "full recompute in memory: {recompute:.1?}; the first update took {:.1} times as long",
        first_update.as_secs_f64() / recompute.as_secs_f64()
    );
    drop((ledger, names));

    // Event counts per kind and month: first over the (account, kind, instant)
    // index, as for an account whose counts were never kept, then kept.
    let started = Instant::now();
    let over_the_index = store.monthly_event_counts(&usage("bench")).expect("event counts");
    eprintln!("event counts over the index: {:.1?}", started.elapsed());
    let started = Instant::now();
    let counted = store
        .update_usage_months("bench", tally_store::USAGE_EVENTS_PER_STEP)
        .expect("count the events per month");
    eprintln!("first event count update: {counted} events in {:.1?}", started.elapsed());
    assert_eq!(store.monthly_event_counts(&usage("bench")).expect("event counts"), over_the_index);

    let mut group = criterion.benchmark_group("seat_state_100k_users_20m_logins");
    group.sample_size(20);
    group.bench_function("monthly_event_counts_kept", |bencher| {
        bencher.iter(|| store.monthly_event_counts(&usage("bench")).expect("event counts"))
    });
    group.bench_function("monthly_seats", |bencher| {
        bencher.iter(|| store.monthly_seats(&usage("bench"), None).expect("monthly seats"))
    });
    // user-000005 logs in on 80% of days: one of the longest histories.
    let at: DateTime<Utc> = "2026-12-31T12:00:00Z".parse().expect("an instant");
    group.bench_function("explain_seat", |bencher| {
        bencher.iter(|| {
            store.explain_seat(&usage("bench"), &user_name(5), at).expect("an explanation")
        })
    });

    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    group.bench_function("activated_seats_log", |bencher| {
        bencher.iter(|| {
            let log = store.activated_seats(&usage("bench"), at).expect("the log");
            assert!(log.len() > 90_000);
            log
        })
    });
    let mut late = 0usize;
    group.bench_function("update_after_10k_late_logins", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                // Logins of the stored ones again under new ids: late, spread over
                // the year and over the users.
                let records: Vec<EventRecord> = (0..LATE_LOGINS)
                    .map(|n| {
                        let (user, at_us) = logins[(late * 7_919 + n * 1_987) % logins.len()];
                        record(format!("late-{late}-{n}"), &user_name(user), at_us)
                    })
                    .collect();
                late += 1;
                store.append_records(account.id, &records).expect("append late logins");
                let started = Instant::now();
                let update = store.update_seats("bench").expect("update the seats");
                elapsed += started.elapsed();
                assert_eq!(update.events, LATE_LOGINS);
            }
            elapsed
        })
    });
    group.finish();

    let stored = store.monthly_seats(&usage("bench"), None).expect("monthly seats");
    eprintln!(
        "{LOGIN_USERS} users; seats in January {} and December {}",
        stored[0].seats, stored[11].seats
    );
    // The late logins are logins of the year again: each month's seats stay
    // what the engine counted over the year.
    let stored: Vec<u32> = stored.iter().map(|figure| figure.seats).collect();
    assert_eq!(stored, figures.iter().map(|figure| figure.seats).collect::<Vec<_>>());
}

fn usage(slug: &str) -> tally_access::AccountUsage {
    tally_access::Principal::Administrator {
        account: slug.to_owned(),
        server_management_read: false,
    }
    .read_usage(slug)
    .expect("an administrator may read their own account's usage")
}
