//! The usage reports at scale: 1,000,000 sync observations of 200,000 people over
//! a year, and 10,000 entity syncs. Measures matching the observations into
//! people in memory, and writing the whole `Usage Reports.zip` from the store
//! (both periods: reading, matching, building the sheets, writing two
//! workbooks), and, for one period at a time, the memory its observations
//! and people hold and what writing its workbook adds. Figures and the
//! command are in `docs/PERFORMANCE.md`.

use std::io::Cursor;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tally_calendar::AccountCalendar;
use tally_events::{Limits, check_batch};
use tally_identity::{Matcher, MatcherConfig};
use tally_store::{NewAccount, Store, StoreOptions};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PEOPLE: usize = 200_000;
const OBSERVATIONS: usize = 1_000_000;
const ENTITY_SYNCS: usize = 10_000;
const SYSTEMS: [&str; 5] = ["Jira", "GitHub", "ServiceNow", "Slack", "Azure DevOps"];
const INTERACTIONS: [&str; 5] =
    ["comment_author", "attachment_author", "mapped_user_field", "mention", "updater"];

criterion_group!(benches, usage_reports);
criterion_main!(benches);

/// Observation `n`: person `n % PEOPLE` in the `n / PEOPLE`-th system, each
/// system showing a different set of identifiers (so every matching rule is
/// used), at a random instant of 2026.
fn observation_line(n: usize, rng: &mut ChaCha8Rng) -> String {
    let person = n % PEOPLE;
    let system = SYSTEMS[(n / PEOPLE) % SYSTEMS.len()];
    let email = format!("person{person}@example{}.test", person % 50);
    let username = format!("user{person}");
    let display_name = format!("Person {person}");
    let fields = match system {
        // Email and username: rule 1.
        "Jira" => format!(r#""email":"{email}","username":"{username}""#),
        // Email and display name: rule 2.
        "GitHub" => format!(r#""email":"{email}","display_name":"{display_name}""#),
        // Email only: rule 2.
        "ServiceNow" => format!(r#""email":"{email}""#),
        // Display name only: rule 3.
        "Slack" => format!(r#""display_name":"{display_name}""#),
        // Email with another username: rule 1, and a duplicate of Jira's.
        _ => format!(r#""email":"{email}","username":"{username}-ado""#),
    };
    let at = instant_in_2026(rng);
    format!(
        r#"{{"id":"o{n}","kind":"sync_observation","at":"{}","system":"{system}","project":"P{}",{fields},"interaction":"{}","service_account":{}}}"#,
        at.to_rfc3339(),
        person % 40,
        INTERACTIONS[n % INTERACTIONS.len()],
        person.is_multiple_of(97)
    )
}

/// A random instant of 2026 in Berlin, clear of its first and last hours in UTC,
/// so that the year ending at the start of 2027 in Berlin holds every event.
fn instant_in_2026(rng: &mut ChaCha8Rng) -> DateTime<Utc> {
    // 2026-01-01T00:00:00Z, plus two hours, plus up to the year less four hours.
    let at_secs = 1_767_225_600 + 7_200 + rng.random_range(0..365 * 86_400 - 14_400);
    DateTime::<Utc>::from_timestamp(at_secs, 0).expect("an instant in 2026")
}

fn entity_sync_line(n: usize, rng: &mut ChaCha8Rng) -> String {
    let source = SYSTEMS[n % SYSTEMS.len()];
    let target = SYSTEMS[(n + 1) % SYSTEMS.len()];
    let at = instant_in_2026(rng);
    format!(
        r#"{{"id":"s{n}","kind":"entity_sync","at":"{}","source_system":"{source}","target_system":"{target}","source_project":"P{}","target_project":"Q{}","entity_type":"{}","entities":{},"status":"{}"}}"#,
        at.to_rfc3339(),
        n % 40,
        n % 40,
        ["Bug", "Story", "Task", "Incident"][n % 4],
        1 + n % 20,
        if n.is_multiple_of(11) { "inactive" } else { "active" }
    )
}

/// The process's peak resident memory since the last reset, in MiB.
fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// The process's resident memory now, in MiB.
fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

/// A figure of `/proc/self/status` given in kB, in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn usage_reports(criterion: &mut Criterion) {
    let dir = tempfile::Builder::new()
        .prefix("usage-reports-bench-")
        .tempdir_in(tally_benches::scratch_dir())
        .expect("a directory for the store");
    let mut store =
        Store::open(&dir.path().join("tally.sqlite"), &StoreOptions::default()).expect("a store");
    let (account, _) = store
        .create_account(&NewAccount {
            slug: "bench".into(),
            name: "Benchmark".into(),
            calendar: AccountCalendar {
                time_zone: chrono_tz::Europe::Berlin,
                ..AccountCalendar::default()
            },
            terms: vec!["2026-01-01..2027-01-01".parse().expect("a term")],
        })
        .expect("an account");
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let started = Instant::now();
    let mut lines: Vec<String> = (0..OBSERVATIONS).map(|n| observation_line(n, &mut rng)).collect();
    lines.extend((0..ENTITY_SYNCS).map(|n| entity_sync_line(n, &mut rng)));
    for chunk in lines.chunks(10_000) {
        let batch = check_batch(chunk.join("\n").as_bytes(), &Limits::default()).expect("a batch");
        assert!(batch.rejections.is_empty(), "{:?}", &batch.rejections[..1]);
        store.append(account.id, &batch.events).expect("append");
    }
    drop(lines);
    eprintln!(
        "stored {OBSERVATIONS} observations and {ENTITY_SYNCS} syncs in {:.1?}",
        started.elapsed()
    );

    let reports = tally_access::Principal::Administrator {
        account: "bench".into(),
        server_management_read: true,
    }
    .download_usage_reports("bench")
    .expect("leave to download");
    let matcher = Matcher::new(&MatcherConfig::default()).expect("a matcher");
    // The whole year ends at the start of 2027 in Berlin: every event is in it.
    let end: DateTime<Utc> = "2026-12-31T23:00:00Z".parse().expect("an instant");

    // One zip on its own first, for its peak memory above what the process
    // already holds (VmHWM reset through /proc/self/clear_refs).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = peak_rss_mib();
    let started = Instant::now();
    let mut step_started = Instant::now();
    let zip = tally_figures::usage_reports::write_usage_reports(
        &store,
        &reports,
        end,
        &matcher,
        |step| {
            eprintln!("  {:.1?} then: {step}", step_started.elapsed());
            step_started = Instant::now();
        },
        Cursor::new(Vec::new()),
    )
    .expect("the zip");
    eprintln!(
        "one zip: {} bytes in {:.1?}; peak RSS {before:.0} MiB before, {:.0} MiB during",
        zip.get_ref().len(),
        started.elapsed(),
        peak_rss_mib()
    );
    drop(zip);

    // Each step of one period on its own: the memory the observations and the
    // matching hold, then what writing the workbook adds to them, for the year
    // and for its last month (fewer people: fewer rows in the detailed sheet).
    let started = Instant::now();
    let (observations, syncs) = tally_figures::usage_reports::read_period(
        &store,
        &reports,
        "2025-01-01T00:00:00Z".parse().expect("an instant"),
        end,
    )
    .expect("the observations");
    eprintln!(
        "read {} observations in {:.1?}; resident {:.0} MiB",
        observations.len(),
        started.elapsed(),
        rss_mib()
    );
    let options = tally_report::WriteOptions::new(chrono_tz::Europe::Berlin);
    let last_month: DateTime<Utc> = "2026-11-30T23:00:00Z".parse().expect("an instant");
    for (period, from) in [("the year", None), ("the last month", Some(last_month))] {
        let start = from.map_or(0, |from| observations.partition_point(|seen| seen.at < from));
        let sync_start = from.map_or(0, |from| syncs.partition_point(|sync| sync.at < from));
        let started = Instant::now();
        let report = tally_figures::usage_reports::PeriodReport::new(
            &observations[start..],
            &syncs[sync_start..],
            &matcher,
        );
        eprintln!(
            "{period}: matched {} observations into {} people in {:.1?}; resident {:.0} MiB",
            observations.len() - start,
            report.people(),
            started.elapsed(),
            rss_mib()
        );
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = rss_mib();
        let started = Instant::now();
        report.write(&options, std::io::sink()).expect("the workbook");
        eprintln!(
            "{period}: wrote the workbook ({} detailed rows) in {:.1?}; peak resident {:.0} MiB, {:+.0} MiB",
            report.people(),
            started.elapsed(),
            peak_rss_mib(),
            peak_rss_mib() - before
        );
    }
    drop(syncs);
    let matching = matcher.match_people(&observations);
    // Each person is seen once in each of the five systems, and each system's
    // identifiers link it to another's (Jira, GitHub, ServiceNow and Azure DevOps
    // by email, Slack to GitHub by display name): 200,000 people.
    assert_eq!(matching.people.len(), PEOPLE);
    drop(matching);

    let mut group = criterion.benchmark_group("usage_reports_1m_observations_200k_people");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    group.bench_function("match_people", |bencher| {
        bencher.iter(|| matcher.match_people(&observations).people.len())
    });
    group.bench_function("write_zip", |bencher| {
        bencher.iter(|| {
            tally_figures::usage_reports::write_usage_reports(
                &store,
                &reports,
                end,
                &matcher,
                |_| {},
                Cursor::new(Vec::new()),
            )
            .expect("the zip")
            .into_inner()
            .len()
        })
    });
    group.finish();
}
