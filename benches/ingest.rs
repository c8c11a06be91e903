//! Ingest throughput into a file that already holds millions of events, three ways
//! in one criterion group so their ratios come from one run:
//!
//! - `raw_sqlite`: the floor SQLite itself sets. One prepared `INSERT` of the
//!   payload into a plain rowid table with no index, 10,000 rows per transaction,
//!   WAL with `synchronous=NORMAL`.
//! - `store_append`: `Store::append` with batches of 10,000 checked events.
//! - `http_batch`: `POST /v1/batch` over loopback to `tally_ingest::serve`, bodies of
//!   10,000 NDJSON lines sent by two client threads.
//!
//! Each variant has its own file, filled to `TALLY_BENCH_PREFILL` events (default
//! 5,000,000) before timing starts; one timed iteration inserts the next 100,000
//! fresh events. All three see the same generated events, so the same payload
//! bytes. Figures and the command are in `docs/PERFORMANCE.md`.

// The in-process daemon the dashboard benchmark also posts to.
mod daemon;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use rusqlite::Connection;
use tally_benches::{BATCH_EVENTS, EventGenerator, agent, checked_events, post_batch, scratch_dir};
use tally_calendar::AccountCalendar;
use tally_store::{AccountId, EventRecord, NewAccount, Store, StoreOptions};

use daemon::Daemon;

/// Fresh events one timed iteration inserts.
const MEASURED_EVENTS: usize = 100_000;
const SEED: u64 = 2026;
/// Client threads sending batches at once, as the daemon would see from a few SDKs.
const SENDERS: usize = 2;

/// The daemon's allocator, so that the in-process HTTP variant runs as
/// `tally-ingest serve` does (and the other variants alike).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

criterion_group!(benches, ingest);
criterion_main!(benches);

fn ingest(criterion: &mut Criterion) {
    let prefill_events: usize = match std::env::var("TALLY_BENCH_PREFILL") {
        Ok(text) => text.parse().expect("TALLY_BENCH_PREFILL is a number of events"),
        Err(_) => 5_000_000,
    };
    let files = prefill(prefill_events);

    let mut group = criterion.benchmark_group("ingest_into_a_file_of_5m_events");
    // Every iteration grows the file, so iterations are few and alike: a one-iteration
    // warm-up and flat sampling, with a measurement time short enough that each of
    // the 10 samples is a single iteration. Then every file ends with the same rows.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1))
        .throughput(Throughput::Elements(MEASURED_EVENTS as u64));

    {
        let mut connection = open_raw(&files.raw);
        let mut generator = files.generator.clone();
        group.bench_function("raw_sqlite", |bencher| {
            bencher.iter_custom(|iterations| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iterations {
                    let payloads: Vec<String> = next_batches(&mut generator)
                        .into_iter()
                        .flat_map(|batch| checked_events(&batch))
                        .map(|checked| checked.canonical_json)
                        .collect();
                    let started = Instant::now();
                    raw_insert(&mut connection, &payloads);
                    elapsed += started.elapsed();
                }
                elapsed
            })
        });
    }

    {
        let mut store =
            Store::open(&files.store, &StoreOptions::default()).expect("open the store");
        let mut generator = files.generator.clone();
        group.bench_function("store_append", |bencher| {
            bencher.iter_custom(|iterations| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iterations {
                    // Checking, and cutting each event down to its record, is the
                    // daemon's work before the writer's: not timed here.
                    let batches: Vec<Vec<EventRecord>> = next_batches(&mut generator)
                        .iter()
                        .map(|body| {
                            checked_events(body).into_iter().map(EventRecord::from).collect()
                        })
                        .collect();
                    let started = Instant::now();
                    for batch in &batches {
                        let outcome = store.append_records(files.account, batch).expect("append");
                        assert_eq!(outcome.accepted, batch.len());
                    }
                    elapsed += started.elapsed();
                }
                elapsed
            })
        });
    }

    {
        let daemon = Daemon::start(&files.http);
        let agent = agent();
        let mut generator = files.generator.clone();
        group.bench_function("http_batch", |bencher| {
            bencher.iter_custom(|iterations| {
                let mut elapsed = Duration::ZERO;
                for _ in 0..iterations {
                    let bodies = next_batches(&mut generator);
                    let started = Instant::now();
                    std::thread::scope(|scope| {
                        for sender in 0..SENDERS {
                            let (agent, bodies) = (&agent, &bodies);
                            let (url, write_key) = (&daemon.url, &files.write_key);
                            scope.spawn(move || {
                                for body in bodies.iter().skip(sender).step_by(SENDERS) {
                                    let accepted =
                                        post_batch(agent, url, write_key, body.as_bytes())
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
        daemon.stop();
    }
    group.finish();

    // Proof that every variant did the same work: each file holds as many rows.
    println!("SQLite {}", rusqlite::version());
    for (variant, path) in
        [("raw_sqlite", &files.raw), ("store_append", &files.store), ("http_batch", &files.http)]
    {
        let connection = Connection::open(path).expect("open for counting");
        let rows: i64 = connection
            .query_row("SELECT count(*) FROM events", [], |row| row.get(0))
            .expect("count rows");
        let file_bytes = std::fs::metadata(path).map(|metadata| metadata.len()).unwrap_or(0);
        println!(
            "{variant}: {rows} rows in {} ({} MiB)",
            path.display(),
            file_bytes / (1024 * 1024)
        );
    }
}

/// The three files, filled with the same first events, and the generator that
/// continues the stream after them.
struct PrefilledFiles {
    /// Deleted, with the files, when the benchmark ends.
    _dir: tempfile::TempDir,
    raw: PathBuf,
    store: PathBuf,
    http: PathBuf,
    account: AccountId,
    write_key: String,
    generator: EventGenerator,
}

/// Fills the raw file and a store file with `events` events in one pass over the
/// generator, then copies the store file for the HTTP variant.
fn prefill(events: usize) -> PrefilledFiles {
    let scratch = scratch_dir();
    std::fs::create_dir_all(&scratch).expect("create the scratch directory");
    let dir = tempfile::Builder::new()
        .prefix("ingest-bench-")
        .tempdir_in(&scratch)
        .expect("create a directory for the files");
    let raw = dir.path().join("raw.sqlite");
    let store_path = dir.path().join("store.sqlite");
    let http = dir.path().join("http.sqlite");
    eprintln!("prefilling {events} events into {}", dir.path().display());
    let started = Instant::now();

    let mut connection = open_raw(&raw);
    let mut store = Store::open(&store_path, &StoreOptions::default()).expect("create the store");
    let (account, write_key) = store
        .create_account(&NewAccount {
            slug: "bench".into(),
            name: "Benchmark".into(),
            calendar: AccountCalendar::default(),
            terms: vec!["2026-01-01..2027-01-01".parse().expect("a term")],
        })
        .expect("create the account");
    let mut generator = EventGenerator::new(SEED);
    let mut filled = 0;
    while filled < events {
        let batch = checked_events(&generator.ndjson_batch(BATCH_EVENTS.min(events - filled)));
        let payloads: Vec<String> =
            batch.iter().map(|checked| checked.canonical_json.clone()).collect();
        raw_insert(&mut connection, &payloads);
        let outcome = store.append(account.id, &batch).expect("prefill the store");
        assert_eq!(outcome.accepted, batch.len());
        filled += batch.len();
        if filled % 500_000 == 0 {
            eprintln!("  {filled} events after {:.0?}", started.elapsed());
        }
    }
    // Closing the last connection checkpoints the WAL into the file, so copying the
    // file alone copies everything.
    drop(store);
    drop(connection);
    std::fs::copy(&store_path, &http).expect("copy the store file");
    // Several GiB just written are still dirty in the page cache: flush them now,
    // or the kernel writes them back during the first variant's samples.
    for path in [&raw, &store_path, &http] {
        std::fs::File::open(path).and_then(|file| file.sync_all()).expect("sync a prefilled file");
    }
    eprintln!("prefilled in {:.0?}", started.elapsed());

    PrefilledFiles {
        _dir: dir,
        raw,
        store: store_path,
        http,
        account: account.id,
        write_key: write_key.expose().to_owned(),
        generator,
    }
}

/// The next [`MEASURED_EVENTS`] events, as NDJSON bodies of [`BATCH_EVENTS`].
fn next_batches(generator: &mut EventGenerator) -> Vec<String> {
    (0..MEASURED_EVENTS / BATCH_EVENTS).map(|_| generator.ndjson_batch(BATCH_EVENTS)).collect()
}

/// Opens the raw file: WAL and `synchronous=NORMAL`, as the store runs, and
/// otherwise SQLite's defaults.
fn open_raw(path: &Path) -> Connection {
    let connection = Connection::open(path).expect("open the raw file");
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS events (payload TEXT NOT NULL);",
        )
        .expect("set up the raw file");
    connection
}

/// The raw loop: one prepared statement, a transaction per [`BATCH_EVENTS`] rows.
fn raw_insert(connection: &mut Connection, payloads: &[String]) {
    for chunk in payloads.chunks(BATCH_EVENTS) {
        let transaction = connection.transaction().expect("begin");
        {
            let mut insert = transaction
                .prepare_cached("INSERT INTO events (payload) VALUES (?1)")
                .expect("prepare");
            for payload in chunk {
                insert.execute([payload]).expect("insert");
            }
        }
        transaction.commit().expect("commit");
    }
}
