//! `seat-lag`: how far the persisted monthly seat figures trail a login-only
//! stream into the real `tally-ingest serve`.
//!
//! Creates an account (term 2026-01-01..2027-01-01) in a fresh file, starts
//! the daemon with `--figures-every`, and for a fixed time sends the seat
//! benchmark's year of logins (100,000 users, `year_of_logins`) in arrival
//! order, as batches of 10,000 login events from two threads, as fast as the
//! daemon takes them. The last three logins of each batch are a probe: a user
//! of their own (`probe-000123`), in the organization `probe`, logging in on
//! three Mondays of January 2026, which makes them a seat from January on.
//! The persisted January figure of `probe`, read with `tally-export seats
//! monthly --no-update` every 250 ms, therefore counts the batches whose every
//! login the seat state has taken in, and a batch's lag is the time from its
//! acknowledgement to the end of the first read that counts it. A batch the
//! daemon refuses with 503 (its store stayed locked) is sent again, and the
//! refusals are counted. Fails if, some time after the stream, a probe is
//! still not counted.
//!
//! `RUST_LOG=warn` keeps the daemon's line per batch out of the output and its
//! warnings in.
//!
//! ```sh
//! cargo build --release -p tally-ingest -p tally-export
//! RUST_LOG=warn cargo run --release -p tally-benches --bin seat-lag -- --duration-secs 60 --figures-every 5
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use chrono::DateTime;
use clap::Parser;
use tally_benches::{
    BATCH_EVENTS, Daemon, EventGenerator, PostError, agent, create_account, post_batch,
    release_binary, scratch_dir, scratch_tempdir, user_name, year_of_logins,
};

#[derive(Parser)]
#[command(name = "seat-lag", about = "How far the persisted seat figures trail a login stream")]
struct Cli {
    /// The `tally-ingest` binary [default: the workspace's target/release/tally-ingest].
    #[arg(long, env = "TALLY_INGEST_BIN")]
    ingest_binary: Option<PathBuf>,
    /// The `tally-export` binary [default: the workspace's target/release/tally-export].
    #[arg(long, env = "TALLY_EXPORT_BIN")]
    export_binary: Option<PathBuf>,
    /// How long to send batches.
    #[arg(long, default_value_t = 60)]
    duration_secs: u64,
    /// The daemon's `--figures-every`: seconds between its seat updates.
    #[arg(long, default_value_t = 5)]
    figures_every: u64,
    /// How long to wait, after the stream, for the figures to count every batch.
    #[arg(long, default_value_t = 900)]
    catch_up_secs: u64,
    /// Threads sending batches at once.
    #[arg(long, default_value_t = 2)]
    senders: usize,
}

/// Logins of the year in each batch; the probe's three fill it to 10,000.
const STREAM_LOGINS: usize = BATCH_EVENTS - 3;
/// Bodies generated ahead of the senders (about 80 MiB).
const BODIES_AHEAD: usize = 32;
const POLL_EVERY: Duration = Duration::from_millis(250);
/// The stream is cut into windows of this many seconds to show whether the lag grows.
const LAG_WINDOW_SECS: u64 = 10;
/// Mondays 2026-01-05, 01-12 and 01-19 at 09:00Z: three calendar weeks.
const PROBE_LOGINS_US: [i64; 3] =
    [1_767_603_600_000_000, 1_768_208_400_000_000, 1_768_813_200_000_000];

fn main() -> ExitCode {
    match run(&Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("seat-lag: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    ensure!(cli.senders > 0, "--senders must be at least 1");
    let ingest = release_binary("tally-ingest", cli.ingest_binary.as_deref())?;
    let export = release_binary("tally-export", cli.export_binary.as_deref())?;
    let dir = scratch_tempdir("seat-lag-")
        .with_context(|| format!("making a directory in {}", scratch_dir().display()))?;
    let db = dir.path().join("tally.sqlite");

    let write_key = create_account(&ingest, &db, "load", "2026-01-01..2027-01-01")?;
    let figures_every = cli.figures_every.to_string();
    let daemon = Daemon::start(&ingest, &db, &["--figures-every", &figures_every])?;
    println!(
        "daemon pid {} at {} on {}, figures every {} s",
        daemon.pid(),
        daemon.address,
        db.display(),
        cli.figures_every
    );
    let run = stream(cli, &daemon, &write_key, &export, &db)?;
    drop(daemon);
    report(cli, &run)
}

/// What one run saw.
struct Run {
    /// Every batch acknowledged, earliest first.
    acknowledged: Vec<Batch>,
    /// Every read of the figures, in order.
    reads: Vec<Read>,
    refusals: Refusals,
    started: Instant,
    stream_ended: Instant,
}

/// One batch's sending that the daemon took.
struct Batch {
    sent: Instant,
    acknowledged: Instant,
}

/// Batches the daemon refused with 503 and that were sent again.
#[derive(Default)]
struct Refusals {
    count: u64,
    /// From each refused batch's first sending to the end of each refusal.
    batches_waited: Duration,
}

/// One read of the persisted figures.
struct Read {
    ended: Instant,
    took: Duration,
    /// Probes the January figure counts: batches the seat state has taken in.
    counted: u64,
}

fn stream(
    cli: &Cli,
    daemon: &Daemon,
    write_key: &str,
    export: &Path,
    db: &Path,
) -> anyhow::Result<Run> {
    let logins = year_of_logins(2026);
    let batches = logins.len().div_ceil(STREAM_LOGINS);
    let (body_sender, bodies) = mpsc::sync_channel::<String>(BODIES_AHEAD);
    let generator_thread = std::thread::spawn(move || {
        let mut generator = EventGenerator::new(2026);
        for (batch, chunk) in logins.chunks(STREAM_LOGINS).enumerate() {
            let mut body = String::with_capacity(BATCH_EVENTS * 300);
            for (user, at_us) in chunk {
                let at = DateTime::from_timestamp_micros(*at_us).expect("an instant in 2026");
                let organization = format!("org-{:03}", user % 60);
                generator.push_login(&mut body, at, &user_name(*user), &organization);
            }
            let probe = format!("probe-{batch:06}");
            for at_us in PROBE_LOGINS_US {
                let at = DateTime::from_timestamp_micros(at_us).expect("an instant in 2026");
                generator.push_login(&mut body, at, &probe, "probe");
            }
            // The senders have stopped once the channel is closed.
            if body_sender.send(body).is_err() {
                break;
            }
        }
    });
    let bodies = Mutex::new(bodies);
    let acknowledged = Mutex::new(Vec::with_capacity(batches));
    let refusals = Mutex::new(Refusals::default());
    let agent = agent();
    let batch_url = daemon.batch_url();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(cli.duration_secs);
    let mut reads = Vec::new();
    let mut stream_ended = started;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut senders: Vec<_> = (0..cli.senders)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    while Instant::now() < deadline {
                        let Ok(body) = bodies.lock().expect("not poisoned").recv() else {
                            break;
                        };
                        let first_sent = Instant::now();
                        // The daemon answers 503 when the store stayed locked past its
                        // busy timeout, having written nothing, and asks for a retry.
                        let (sent, count) = loop {
                            let sent = Instant::now();
                            match post_batch(&agent, &batch_url, write_key, body.as_bytes()) {
                                Ok(count) => break (sent, count),
                                Err(PostError::Answer { status: 503, .. }) => {
                                    let mut refusals = refusals.lock().expect("not poisoned");
                                    refusals.count += 1;
                                    refusals.batches_waited += first_sent.elapsed();
                                }
                                Err(error) => return Err(error.into()),
                            }
                        };
                        ensure!(count == BATCH_EVENTS as u64, "accepted {count} of a batch");
                        let mut acknowledged = acknowledged.lock().expect("not poisoned");
                        acknowledged.push(Batch { sent, acknowledged: Instant::now() });
                    }
                    Ok(())
                })
            })
            .collect();
        let (mut last_second, mut sending) = (0, true);
        loop {
            // Checked before the read, so that once the stream has ended every
            // batch the read can count is acknowledged already.
            if sending && senders.iter().all(|sender| sender.is_finished()) {
                sending = false;
                stream_ended = Instant::now();
                // A batch not taken whole ends the run now, not after the catch-up.
                for sender in std::mem::take(&mut senders) {
                    sender.join().expect("a sender thread")?;
                }
            }
            let read_started = Instant::now();
            let counted = probes_counted(export, db)?;
            let read_ended = Instant::now();
            reads.push(Read { ended: read_ended, took: read_ended - read_started, counted });
            let sent = acknowledged.lock().expect("not poisoned").len() as u64;
            let second = read_started.duration_since(started).as_secs();
            if second > last_second {
                last_second = second;
                println!("{second:>4} s  {sent:>5} batches acknowledged  {counted:>5} counted");
            }
            if !sending {
                ensure!(
                    counted <= sent,
                    "the figures count {counted} probes but only {sent} batches were acknowledged"
                );
                if counted == sent {
                    break;
                }
                if stream_ended.elapsed() > Duration::from_secs(cli.catch_up_secs) {
                    bail!(
                        "{} s after the stream the figures count the probes of {counted} of {sent} batches: the seat state never took in the rest",
                        cli.catch_up_secs
                    );
                }
            }
            std::thread::sleep(POLL_EVERY.saturating_sub(read_started.elapsed()));
        }
        Ok(())
    })?;
    drop(bodies);
    generator_thread.join().expect("the generator thread");
    Ok(Run {
        // Each instant is taken under the lock, so they are in order.
        acknowledged: acknowledged.into_inner().expect("not poisoned"),
        reads,
        refusals: refusals.into_inner().expect("not poisoned"),
        started,
        stream_ended,
    })
}

/// The persisted January figure of the organization `probe`, as
/// `tally-export` reads it without updating the seat state first.
fn probes_counted(export: &Path, db: &Path) -> anyhow::Result<u64> {
    let output = Command::new(export)
        .arg("--db")
        .arg(db)
        .args(["seats", "monthly", "--account", "load", "--organization", "probe"])
        .args(["--from", "2026-01", "--to", "2026-01", "--no-update", "--format", "csv"])
        .output()
        .with_context(|| format!("running {}", export.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "{} seats monthly failed ({}): {}",
        export.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // month,seats,change,change_percent
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("2026-01,"))
        .and_then(|rest| rest.split(',').next())
        .and_then(|seats| seats.parse().ok())
        .with_context(|| format!("no figure for 2026-01 in {stdout:?}"))
}

fn report(cli: &Cli, run: &Run) -> anyhow::Result<()> {
    let batches = run.acknowledged.len();
    ensure!(batches > 0, "no batch was acknowledged in {} s", cli.duration_secs);
    let events = batches * BATCH_EVENTS;
    let stream_secs = run.stream_ended.duration_since(run.started).as_secs_f64();
    println!(
        "sent {batches} batches ({events} logins) in {stream_secs:.1} s from {} threads: {:.0} logins/s",
        cli.senders,
        events as f64 / stream_secs
    );
    println!(
        "the daemon refused batches {} times with 503 (store locked past its busy timeout); refused batches waited {:.1} s in all before they were taken, not counted in their lag",
        run.refusals.count,
        run.refusals.batches_waited.as_secs_f64()
    );
    let mut read_secs: Vec<f64> = run.reads.iter().map(|read| read.took.as_secs_f64()).collect();
    read_secs.sort_by(f64::total_cmp);
    println!(
        "{} reads of the figures, each taking {:.2} s (median), {:.2} s at most",
        read_secs.len(),
        read_secs[read_secs.len() / 2],
        read_secs[read_secs.len() - 1]
    );

    let lags = lags(run);
    // Whether the figures kept up: a bounded lag stays alike from the first
    // window of the stream to the last; a growing one climbs with each.
    println!("lag by when the batch was acknowledged:");
    let window = Duration::from_secs(LAG_WINDOW_SECS);
    let mut from = 0;
    while from < lags.len() {
        let window_index = lags[from].0.duration_since(run.started).as_secs() / window.as_secs();
        let to = lags[from..]
            .iter()
            .position(|(acknowledged, _)| {
                acknowledged.duration_since(run.started).as_secs() / window.as_secs()
                    != window_index
            })
            .map_or(lags.len(), |length| from + length);
        let mut window_lags: Vec<Duration> = lags[from..to].iter().map(|(_, lag)| *lag).collect();
        window_lags.sort();
        println!(
            "  {:>4}-{:<4} s  {:>4} batches  lag median {:>6.1} s, most {:>6.1} s",
            window_index * LAG_WINDOW_SECS,
            (window_index + 1) * LAG_WINDOW_SECS,
            window_lags.len(),
            quantile(&window_lags, 0.5).as_secs_f64(),
            quantile(&window_lags, 1.0).as_secs_f64()
        );
        from = to;
    }
    let mut all_lags: Vec<Duration> = lags.iter().map(|(_, lag)| *lag).collect();
    all_lags.sort();
    println!(
        "lag from acknowledgement to the persisted monthly figures: median {:.1} s, 99th percentile {:.1} s, most {:.1} s (figures every {} s, read every {} ms)",
        quantile(&all_lags, 0.5).as_secs_f64(),
        quantile(&all_lags, 0.99).as_secs_f64(),
        quantile(&all_lags, 1.0).as_secs_f64(),
        cli.figures_every,
        POLL_EVERY.as_millis()
    );

    let all = run
        .reads
        .iter()
        .find(|read| read.counted >= batches as u64)
        .context("not every batch counted")?;
    println!(
        "the last batch was counted {:.1} s after the stream ended",
        all.ended.saturating_duration_since(run.stream_ended).as_secs_f64()
    );
    Ok(())
}

/// Each batch's acknowledgement and its lag, in the order acknowledged.
///
/// The seat state takes events in the order they were committed, so the
/// batches it counts are always the first ones committed; but with several
/// senders a batch can be committed before another and acknowledged after it.
/// Every batch committed before batch b was sent before b was acknowledged,
/// so b is among the first n committed, n being the batches sent before b's
/// acknowledgement (b included): it is surely counted once a read counts n.
/// This overstates a lag by at most the time the updater takes over the
/// `senders - 1` batches in flight beside b, and never understates it.
fn lags(run: &Run) -> Vec<(Instant, Duration)> {
    let mut sent: Vec<Instant> = run.acknowledged.iter().map(|batch| batch.sent).collect();
    sent.sort();
    run.acknowledged
        .iter()
        .map(|batch| {
            let surely_counted = sent.partition_point(|at| *at < batch.acknowledged) as u64;
            let seen = run
                .reads
                .iter()
                .find(|read| read.counted >= surely_counted)
                .map(|read| read.ended)
                .expect("the run waits until every batch is counted");
            (batch.acknowledged, seen.saturating_duration_since(batch.acknowledged))
        })
        .collect()
}

/// The value below which `fraction` of the sorted, non-empty `values` lie.
fn quantile(values: &[Duration], fraction: f64) -> Duration {
    values[((values.len() - 1) as f64 * fraction).round() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `lags` over batches given as (sent, acknowledged) seconds and
    /// reads as (ended, counted), from one start, and compares the lags.
    fn check(batches: &[(u64, u64)], reads: &[(u64, u64)], expected_lag_secs: &[u64]) {
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let run = Run {
            acknowledged: batches
                .iter()
                .map(|(sent, acknowledged)| Batch {
                    sent: at(*sent),
                    acknowledged: at(*acknowledged),
                })
                .collect(),
            reads: reads
                .iter()
                .map(|(ended, counted)| Read {
                    ended: at(*ended),
                    took: Duration::ZERO,
                    counted: *counted,
                })
                .collect(),
            refusals: Refusals::default(),
            started: start,
            stream_ended: start,
        };
        let lags: Vec<u64> = lags(&run).iter().map(|(_, lag)| lag.as_secs()).collect();
        assert_eq!(lags, expected_lag_secs);
    }

    #[test]
    fn a_batch_waits_for_the_batches_in_flight_beside_it() {
        // B (sent 1, acknowledged 2) may have been committed after A (sent 0,
        // acknowledged 3): both were sent before 2, so B is surely counted only
        // at the read counting 2 (ended 6): 6 - 2 = 4. A: also 2 sent before 3,
        // 6 - 3 = 3. C, sent at 5 after both were acknowledged, is third: the
        // read counting 3 ends at 9, 9 - 7 = 2.
        check(&[(1, 2), (0, 3), (5, 7)], &[(4, 1), (6, 2), (8, 2), (9, 3)], &[4, 3, 2]);
    }

    #[test]
    fn a_batch_sent_after_an_acknowledgement_does_not_delay_it() {
        // A batch refused and sent again at 5 does not hold back the one
        // acknowledged at 2: one batch was sent before 2, and the read counting
        // 1 ends at 3, 3 - 2 = 1. The second: 2 sent before 6, read at 8, 8 - 6 = 2.
        check(&[(0, 2), (5, 6)], &[(3, 1), (8, 2)], &[1, 2]);
    }

    #[test]
    fn a_read_ending_before_the_acknowledgement_gives_no_lag() {
        // The read that counts the batch ended at 1, before its acknowledgement
        // at 2 reached the sender: its lag is 0, not negative.
        check(&[(0, 2)], &[(1, 1)], &[0]);
    }

    #[test]
    fn quantiles_are_read_off_the_sorted_values() {
        // 1..=100 s: the median is at index round(99 × 0.5) = 50 (51 s), the
        // 99th percentile at round(99 × 0.99) = 98 (99 s), the most at 99 (100 s).
        let values: Vec<Duration> = (1..=100).map(Duration::from_secs).collect();
        assert_eq!(quantile(&values, 0.5), Duration::from_secs(51));
        assert_eq!(quantile(&values, 0.99), Duration::from_secs(99));
        assert_eq!(quantile(&values, 1.0), Duration::from_secs(100));
    }
}
