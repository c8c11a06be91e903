//! `ingest-load`: sustained load on the real `tally-ingest serve` process.
//!
//! Creates an account in a fresh file, starts the daemon on a loopback port, and
//! for a fixed time sends batches of 10,000 new events from a few threads, while
//! sampling the daemon's resident memory every second. Prints the events per
//! second, the peak memory and the rows in the file, then kills the daemon.
//!
//! ```sh
//! cargo build --release -p tally-ingest
//! cargo run --release -p tally-benches --bin ingest-load -- --duration-secs 60
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use clap::Parser;
use tally_benches::{
    BATCH_EVENTS, Daemon, EventGenerator, agent, create_account, post_batch, release_binary,
    scratch_dir, scratch_tempdir,
};

#[derive(Parser)]
#[command(name = "ingest-load", about = "Sustained load on tally-ingest serve, with its memory")]
struct Cli {
    /// The `tally-ingest` binary [default: the workspace's target/release/tally-ingest].
    #[arg(long, env = "TALLY_INGEST_BIN")]
    binary: Option<PathBuf>,
    /// How long to send batches.
    #[arg(long, default_value_t = 60)]
    duration_secs: u64,
    /// Threads sending batches at once.
    #[arg(long, default_value_t = 2)]
    senders: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

/// Bodies generated ahead of the senders: enough that a sender never waits for the
/// generator, few enough (about 80 MiB) not to weigh on the machine.
const BODIES_AHEAD: usize = 32;
const MIB: f64 = 1024.0 * 1024.0;

fn main() -> ExitCode {
    match run(&Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ingest-load: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    ensure!(cli.senders > 0, "--senders must be at least 1");
    let binary = release_binary("tally-ingest", cli.binary.as_deref())?;
    let dir = scratch_tempdir("ingest-load-")
        .with_context(|| format!("making a directory in {}", scratch_dir().display()))?;
    let db = dir.path().join("tally.sqlite");

    let write_key = create_account(&binary, &db, "load", "2026-01-01..2027-01-01")?;
    let daemon = Daemon::start(&binary, &db, &[])?;
    println!("daemon pid {} at {} on {}", daemon.pid(), daemon.address, db.display());
    let result = load(cli, &daemon, &write_key);
    drop(daemon);
    let load = result?;

    let connection = rusqlite::Connection::open(&db)
        .with_context(|| format!("opening {} to count rows", db.display()))?;
    let rows: i64 = connection
        .query_row("SELECT count(*) FROM events", [], |row| row.get(0))
        .with_context(|| format!("counting rows in {}", db.display()))?;

    let elapsed_secs = load.elapsed.as_secs_f64();
    println!(
        "sent {} events in {elapsed_secs:.1} s from {} threads: {:.0} events/s",
        load.accepted,
        cli.senders,
        load.accepted as f64 / elapsed_secs
    );
    // The kernel updates VmHWM lazily, so a VmRSS sample can exceed it: take both.
    println!(
        "daemon peak resident memory: {:.1} MiB (highest 1-second VmRSS sample {:.1} MiB, VmHWM {:.1} MiB)",
        load.highest_rss_bytes.max(load.high_water_bytes) as f64 / MIB,
        load.highest_rss_bytes as f64 / MIB,
        load.high_water_bytes as f64 / MIB
    );
    println!(
        "generating bodies took {:.1} s of this tool's CPU, alongside the daemon",
        load.generating.as_secs_f64()
    );
    println!("rows in {}: {rows}", db.display());
    ensure!(
        rows as u64 == load.accepted,
        "the file holds {rows} rows but the daemon acknowledged {} events",
        load.accepted
    );
    Ok(())
}

/// What one load run measured.
struct Load {
    accepted: u64,
    elapsed: Duration,
    highest_rss_bytes: u64,
    high_water_bytes: u64,
    generating: Duration,
}

fn load(cli: &Cli, daemon: &Daemon, write_key: &str) -> anyhow::Result<Load> {
    let (body_sender, bodies) = mpsc::sync_channel::<String>(BODIES_AHEAD);
    let bodies = Arc::new(Mutex::new(bodies));
    let generating = Arc::new(Mutex::new(Duration::ZERO));
    let generator_thread = {
        let mut generator = EventGenerator::new(cli.seed);
        let generating = Arc::clone(&generating);
        std::thread::spawn(move || {
            loop {
                let started = Instant::now();
                let body = generator.ndjson_batch(BATCH_EVENTS);
                *generating.lock().expect("not poisoned") += started.elapsed();
                // The senders have stopped once the channel is closed.
                if body_sender.send(body).is_err() {
                    break;
                }
            }
        })
    };

    let accepted = AtomicU64::new(0);
    let agent = agent();
    let batch_url = daemon.batch_url();
    let duration = Duration::from_secs(cli.duration_secs);
    let (done_sender, done) = mpsc::channel::<anyhow::Result<()>>();
    let started = Instant::now();
    let deadline = started + duration;
    let mut highest_rss_bytes = 0;
    let mut sender_results = Vec::new();
    std::thread::scope(|scope| {
        for _ in 0..cli.senders {
            let (bodies, accepted, agent, batch_url) = (&bodies, &accepted, &agent, &batch_url);
            let done_sender = done_sender.clone();
            scope.spawn(move || {
                let result = (|| {
                    while Instant::now() < deadline {
                        let body = bodies.lock().expect("not poisoned").recv()?;
                        let count = post_batch(agent, batch_url, write_key, body.as_bytes())?;
                        ensure!(count == BATCH_EVENTS as u64, "accepted {count} of a batch");
                        accepted.fetch_add(count, Ordering::Relaxed);
                    }
                    Ok(())
                })();
                let _ = done_sender.send(result);
            });
        }
        drop(done_sender);
        let mut next_sample = started;
        let mut finished = 0;
        while finished < cli.senders {
            let now = Instant::now();
            if now >= next_sample {
                next_sample += Duration::from_secs(1);
                match daemon.memory() {
                    Ok(memory) => {
                        highest_rss_bytes = highest_rss_bytes.max(memory.rss_bytes);
                        println!(
                            "{:>4.0} s  {:>9} events  VmRSS {:>6.1} MiB  VmHWM {:>6.1} MiB",
                            now.duration_since(started).as_secs_f64(),
                            accepted.load(Ordering::Relaxed),
                            memory.rss_bytes as f64 / MIB,
                            memory.high_water_bytes as f64 / MIB
                        );
                    }
                    Err(error) => sender_results.push(Err(error.into())),
                }
                continue;
            }
            // Wake for the next sample, or as soon as a sender finishes.
            match done.recv_timeout(next_sample - now) {
                Ok(result) => {
                    finished += 1;
                    sender_results.push(result);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    });
    let elapsed = started.elapsed();
    let final_memory = daemon.memory()?;
    drop(bodies);
    generator_thread.join().expect("the generator thread");
    for result in sender_results {
        result?;
    }
    let generating = *generating.lock().expect("not poisoned");
    Ok(Load {
        accepted: accepted.into_inner(),
        elapsed,
        highest_rss_bytes: highest_rss_bytes.max(final_memory.rss_bytes),
        high_water_bytes: final_memory.high_water_bytes,
        generating,
    })
}
