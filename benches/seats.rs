//! The seat engine over a year of logins: 100,000 users and about 20 million
//! logins, fed one at a time in arrival order (the incremental path) and all at
//! once (a full recompute), and the monthly figures from the resulting state.
//! Figures and the command are in `docs/PERFORMANCE.md`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tally_events::{AccountCalendar, SubscriptionTerm};
use tally_seats::{Month, SeatLedger, SeatRule};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USERS: u32 = 100_000;
/// 2026-01-01T00:00:00Z.
const YEAR_START: i64 = 1_767_225_600;
const DAYS: i64 = 365;

criterion_group!(benches, seats);
criterion_main!(benches);

/// A year of logins in arrival order. A fifth of the users log in on 1% of days,
/// three tenths on 30% and half on 80%; one login in ten comes with a second that
/// day. That is 0.2 × 0.01 + 0.3 × 0.3 + 0.5 × 0.8 = 0.492 login days per user and
/// day, × 1.1 logins, × 100,000 users × 365 days: about 19.8 million logins.
fn year_of_logins() -> Vec<(u32, i64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let rates: Vec<f64> = (0..USERS)
        .map(|user| match user % 10 {
            0 | 1 => 0.01,
            2..=4 => 0.3,
            _ => 0.8,
        })
        .collect();
    let mut logins = Vec::with_capacity(20_000_000);
    for day in 0..DAYS {
        let day_start = logins.len();
        for (user, rate) in rates.iter().enumerate() {
            if rng.random_bool(*rate) {
                let times = if rng.random_bool(0.1) { 2 } else { 1 };
                for _ in 0..times {
                    let second = rng.random_range(0..86_400);
                    logins.push((user as u32, (YEAR_START + day * 86_400 + second) * 1_000_000));
                }
            }
        }
        logins[day_start..].sort_unstable_by_key(|(_, at)| *at);
    }
    logins
}

fn at(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).expect("an instant in 2026")
}

fn seats(criterion: &mut Criterion) {
    let started = Instant::now();
    let logins = year_of_logins();
    let names: Vec<String> = (0..USERS).map(|user| format!("user-{user:06}")).collect();
    eprintln!("generated {} logins of {USERS} users in {:.1?}", logins.len(), started.elapsed());
    let calendar =
        AccountCalendar { time_zone: chrono_tz::Europe::Berlin, ..AccountCalendar::default() };
    let terms: [SubscriptionTerm; 1] = ["2026-01-01..2027-01-01".parse().expect("a term")];
    let rule = SeatRule::default();

    let mut group = criterion.benchmark_group("seats_100k_users_20m_logins");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(logins.len() as u64));

    group.bench_function("incremental_in_arrival_order", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                let mut ledger = SeatLedger::new(calendar.clone(), &terms, rule).expect("a ledger");
                let started = Instant::now();
                for (user, instant) in &logins {
                    ledger.record_login(&names[*user as usize], at(*instant));
                }
                elapsed += started.elapsed();
                drop(ledger);
            }
            elapsed
        })
    });

    group.bench_function("full_recompute", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                let started = Instant::now();
                let ledger = SeatLedger::from_logins(
                    calendar.clone(),
                    &terms,
                    rule,
                    logins
                        .iter()
                        .map(|(user, instant)| (names[*user as usize].as_str(), at(*instant))),
                )
                .expect("a ledger");
                elapsed += started.elapsed();
                drop(ledger);
            }
            elapsed
        })
    });

    let ledger = SeatLedger::from_logins(
        calendar.clone(),
        &terms,
        rule,
        logins.iter().map(|(user, instant)| (names[*user as usize].as_str(), at(*instant))),
    )
    .expect("a ledger");
    group.throughput(Throughput::Elements(12));
    group.sample_size(20);
    group.bench_function("monthly_active_seats_2026", |bencher| {
        bencher.iter(|| {
            ledger.monthly_active_seats(
                Month { year: 2026, month: 1 },
                Month { year: 2026, month: 12 },
            )
        })
    });
    group.finish();

    // Proof of the work done, and what it came to.
    let figures = ledger
        .monthly_active_seats(Month { year: 2026, month: 1 }, Month { year: 2026, month: 12 });
    let activated = ledger.users().filter(|user| !ledger.activations(user).is_empty()).count();
    eprintln!("{} logins, {activated} of {USERS} users activated", logins.len());
    for figure in figures {
        eprintln!("  {} {} seats", figure.month, figure.seats);
    }
    eprintln!("peak resident memory of this process: {}", peak_memory());
}

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| status.lines().find(|line| line.starts_with("VmHWM")).map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}
