//! The audit log at scale: 10,000,000 entries of one account over 100 days
//! (100,000 a day), then appends, filtered queries (a first page and a deep
//! page), the purge of a day's entries, and appends while a purge runs.
//! `AUDIT_BENCH_ENTRIES` sets another size. Figures and the command are in
//! `docs/PERFORMANCE.md`.

use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use tally_audit::{
    AuditColumn, AuditOptions, AuditQuery, AuditStore, NewAuditEntry, RetentionPolicy,
};
use tally_events::{AuditEntry, AuditStatus, Operation, OriginType, ResourceKind, SourceType};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PER_DAY: u64 = 100_000;
const BATCH: usize = 10_000;
/// 2026-01-01T00:00:00Z.
const START_SECS: i64 = 1_767_225_600;

criterion_group!(benches, audit);
criterion_main!(benches);

const RESOURCES: [ResourceKind; 10] = [
    ResourceKind::Entity,
    ResourceKind::Blueprint,
    ResourceKind::Action,
    ResourceKind::Automation,
    ResourceKind::Scorecard,
    ResourceKind::Run,
    ResourceKind::Integration,
    ResourceKind::Secret,
    ResourceKind::SignIn,
    ResourceKind::AccountAccess,
];

/// Entry `n`: the `n`-th of the 100 days' stream, spread evenly over its day.
fn entry(n: u64, prefix: &str) -> NewAuditEntry {
    let at_secs =
        START_SECS + (n / PER_DAY) as i64 * 86_400 + ((n % PER_DAY) * 86_400 / PER_DAY) as i64;
    let at = DateTime::<Utc>::from_timestamp(at_secs, 0).expect("an instant in 2026");
    let resource = RESOURCES[(n % 10) as usize];
    let failed = n % 50 == 7;
    NewAuditEntry {
        event_id: format!("{prefix}{n}"),
        at,
        change: AuditEntry {
            resource,
            resource_id: Some(format!("res-{}", n % 5_000)),
            operation: [Operation::Create, Operation::Update, Operation::Delete][(n % 3) as usize],
            source_type: SourceType::User,
            source: format!("user{}@example.test", n % 2_000),
            origin: OriginType::parse(["UI", "API", "Port Automation"][(n % 3) as usize]),
            status: if failed { AuditStatus::Failure } else { AuditStatus::Success },
            error: failed.then(|| format!("quota exceeded on res-{}", n % 5_000)),
            user: Some(format!("u-{}", n % 2_000)),
            blueprint: (resource == ResourceKind::Entity).then(|| format!("bp-{}", n % 20)),
            entity: (resource == ResourceKind::Entity).then(|| format!("ent-{}", n % 5_000)),
            run_id: n.is_multiple_of(4).then(|| format!("r-{}", n / 4)),
            integration: None,
            before: Some(
                serde_json::json!({"tier": "bronze", "owner": {"team": format!("t{}", n % 30)}}),
            ),
            after: Some(
                serde_json::json!({"tier": "gold", "owner": {"team": format!("t{}", n % 31)}}),
            ),
        },
    }
}

fn audit(criterion: &mut Criterion) {
    let entries: u64 = std::env::var("AUDIT_BENCH_ENTRIES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(10_000_000);
    let days = entries.div_ceil(PER_DAY);
    let dir = tempfile::Builder::new()
        .prefix("audit-bench-")
        .tempdir_in(tally_benches::scratch_dir())
        .expect("a directory for the log");
    let path = dir.path().join("audit.sqlite");
    let key_file = dir.path().join("audit.sqlite.audit-key");
    std::fs::write(&key_file, "07".repeat(32)).expect("write the key file");
    let options = AuditOptions::new([7; 32]);
    let mut log = AuditStore::open(&path, &options).expect("an audit log");

    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for n in 0..entries {
        batch.push(entry(n, "e"));
        if batch.len() == BATCH || n + 1 == entries {
            log.append("bench", &batch).expect("append");
            batch.clear();
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "appended {entries} entries over {days} days in {elapsed:.1?}: {:.0} entries/s",
        entries as f64 / elapsed.as_secs_f64()
    );

    let mut group = criterion.benchmark_group("audit_10m_entries");
    group.sample_size(20);
    // Indexed filters, newest first, 100 a page.
    let first_page = |query: AuditQuery| {
        move |log: &AuditStore| log.query("bench", &query).expect("a page").len()
    };
    let newest =
        AuditQuery { sort: AuditColumn::At, descending: true, limit: 100, ..AuditQuery::default() };
    let by_resource =
        first_page(AuditQuery { resource: Some(ResourceKind::Secret), ..newest.clone() });
    let by_day = first_page(AuditQuery {
        from: DateTime::from_timestamp(START_SECS + 40 * 86_400, 0),
        to: DateTime::from_timestamp(START_SECS + 41 * 86_400, 0),
        ..newest.clone()
    });
    let failed_secrets = first_page(AuditQuery {
        resource: Some(ResourceKind::Secret),
        status: Some(AuditStatus::Failure),
        ..newest.clone()
    });
    group.bench_function("first_page_by_resource", |bencher| bencher.iter(|| by_resource(&log)));
    group.bench_function("first_page_of_one_day", |bencher| bencher.iter(|| by_day(&log)));
    group.bench_function("first_page_failed_secrets", |bencher| {
        bencher.iter(|| failed_secrets(&log))
    });
    // A page half-way through the log, resumed from a cursor.
    let deep = {
        let middle = log.get("bench", entries / 2).expect("a read").expect("the middle entry");
        AuditQuery { after: Some(middle.after(AuditColumn::At)), ..newest.clone() }
    };
    group.bench_function("deep_page", |bencher| {
        bencher.iter(|| log.query("bench", &deep).expect("a page").len())
    });

    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    let mut appended = 0u64;
    group.bench_function("append_10k", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                let batch: Vec<NewAuditEntry> =
                    (0..BATCH as u64).map(|n| entry(n + appended, "more-")).collect();
                appended += BATCH as u64;
                let started = Instant::now();
                log.append("bench", &batch).expect("append");
                elapsed += started.elapsed();
            }
            elapsed
        })
    });
    // Each iteration moves "now" on by a day under a 90-day retention: the next
    // day's 100,000 entries expire and are purged, 500 per transaction.
    log.set_retention("bench", RetentionPolicy { audit_days: 90, sign_in_days: 90 })
        .expect("retention");
    let mut purged_days = 0i64;
    group.bench_function("purge_one_day", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iterations {
                purged_days += 1;
                let now =
                    DateTime::<Utc>::from_timestamp(START_SECS + (90 + purged_days) * 86_400, 0)
                        .expect("an instant");
                let started = Instant::now();
                loop {
                    let outcome = log
                        .purge("bench", now, NonZeroUsize::new(500).expect("not zero"))
                        .expect("purge");
                    if !outcome.more {
                        break;
                    }
                }
                elapsed += started.elapsed();
            }
            elapsed
        })
    });
    group.finish();
    drop(log);

    // Appends on their own, then while another connection purges a day at a time.
    let rate = |during_purge: bool| {
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            if during_purge {
                // The daemon's own purge (tally-ingest's AuditLog), with its pacing.
                scope.spawn(|| {
                    let purger = tally_ingest::audit::AuditLog::open(&path, &key_file)
                        .expect("a second connection");
                    let mut day = 90 + purged_days;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        day += 1;
                        let now = DateTime::<Utc>::from_timestamp(START_SECS + day * 86_400, 0)
                            .expect("an instant");
                        purger
                            .purge_expired(
                                Some("bench"),
                                now,
                                NonZeroUsize::new(500).expect("not zero"),
                            )
                            .expect("purge");
                    }
                });
            }
            let mut writer = AuditStore::open(&path, &options).expect("a connection");
            let started = Instant::now();
            let mut written = 0u64;
            for round in 0..10u64 {
                let batch: Vec<NewAuditEntry> = (0..BATCH as u64)
                    .map(|n| {
                        entry(
                            n + round * BATCH as u64,
                            if during_purge { "during-" } else { "alone-" },
                        )
                    })
                    .collect();
                writer.append("bench", &batch).expect("append");
                written += BATCH as u64;
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            written as f64 / started.elapsed().as_secs_f64()
        })
    };
    let alone = rate(false);
    let during = rate(true);
    eprintln!(
        "appends alone {alone:.0} entries/s, while purging {during:.0} entries/s: {:.2} of the rate",
        during / alone
    );
}
