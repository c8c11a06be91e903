//! `monitor-load`: the usage monitor's Today under load, against the real
//! `tally-ingest serve` and `tally-api serve` on loopback (issue 17).
//!
//! Creates `--accounts` accounts in a fresh file and a staff team seeing all of
//! them, starts both daemons (the API with `--monitor-refresh-secs`), and sends
//! one `activity` event for each of `--users` users (spread evenly over the
//! accounts), stamped now, so that every one of them is online. Then, for
//! `--duration-secs`, ingest goes on at `--ingest-rate` events a second (each
//! batch one account's users seen again, the accounts in turn, so that
//! everyone stays online), `--subscribers` clients hold
//! `/v1/monitor/today/events` open and `--pollers` clients poll
//! `/v1/monitor/today` every `--poll-every-ms`. It reports:
//!
//! - the latency of the polls, p50 and p99 (the target: under 20 ms at p99),
//!   and how many polls failed;
//! - for each update the subscribers receive (by its `as_of`), the spread
//!   between the first and the last subscriber receiving it (the target:
//!   within 1 s), and how many received it;
//! - the API's resident memory with the users loaded and no subscriber, and
//!   with every subscriber connected: the difference over the subscribers is
//!   the memory per subscriber.
//!
//! It stops by itself: the subscribers ask for as many events as the run
//! holds refreshes (`limit`), and everything is stopped when the time is up.
//! Each subscriber is a thread of this process: on a machine of few cores the
//! clients compete with the daemons, which the figures then include.
//!
//! ```sh
//! # not run in CI: a release build, and a load for a quiet machine
//! cargo build --release -p tally-ingest -p tally-api
//! RUST_LOG=warn cargo run --release -p tally-benches --bin monitor-load -- --duration-secs 60
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use chrono::{SecondsFormat, Utc};
use clap::Parser;
use tally_benches::{
    Daemon, agent, create_account, post_batch, release_binary, scratch_dir, scratch_tempdir,
};

#[derive(Parser)]
#[command(name = "monitor-load", about = "The usage monitor's Today under load")]
struct Cli {
    /// The `tally-ingest` binary [default: the workspace's target/release/tally-ingest].
    #[arg(long, env = "TALLY_INGEST_BIN")]
    ingest_binary: Option<PathBuf>,
    /// The `tally-api` binary [default: the workspace's target/release/tally-api].
    #[arg(long, env = "TALLY_API_BIN")]
    api_binary: Option<PathBuf>,
    /// How long the subscribers, pollers and ingest run.
    #[arg(long, default_value_t = 60)]
    duration_secs: u64,
    /// Accounts the users are spread over.
    #[arg(long, default_value_t = 50)]
    accounts: usize,
    /// Users online, over every account.
    #[arg(long, default_value_t = 50_000)]
    users: usize,
    /// Clients holding `/v1/monitor/today/events` open.
    #[arg(long, default_value_t = 500)]
    subscribers: usize,
    /// Clients polling `/v1/monitor/today`.
    #[arg(long, default_value_t = 20)]
    pollers: usize,
    /// Milliseconds each poller waits between two polls.
    #[arg(long, default_value_t = 200)]
    poll_every_ms: u64,
    /// The API's `--monitor-refresh-secs`.
    #[arg(long, default_value_t = 10)]
    refresh_secs: u64,
    /// Events a second sent during the run: batches of one account's users,
    /// the accounts in turn.
    #[arg(long, default_value_t = 10_000)]
    ingest_rate: u64,
}

/// Modules and actions the users' activity is spread over.
const MODULES: [&str; 8] =
    ["Dashboard", "Catalog", "Scorecards", "Self-service", "Reports", "Search", "Settings", "Docs"];
const ACTIONS: [&str; 4] = ["view", "edit", "export", "run"];

fn main() -> ExitCode {
    match run(&Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("monitor-load: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    ensure!(cli.accounts > 0 && cli.users >= cli.accounts, "give at least one user per account");
    ensure!(cli.subscribers > 0, "--subscribers must be at least 1");
    let ingest_binary = release_binary("tally-ingest", cli.ingest_binary.as_deref())?;
    let api_binary = release_binary("tally-api", cli.api_binary.as_deref())?;
    let dir = scratch_tempdir("monitor-load-")
        .with_context(|| format!("making a directory in {}", scratch_dir().display()))?;
    let db = dir.path().join("tally.sqlite");

    let mut write_keys = Vec::with_capacity(cli.accounts);
    for account in 0..cli.accounts {
        let slug = account_slug(account);
        write_keys.push(create_account(&ingest_binary, &db, &slug, "2026-01-01..2027-01-01")?);
    }
    let token = staff_token(&api_binary, &db)?;
    let ingest = Daemon::start(&ingest_binary, &db, &[])?;
    // Room for every subscriber and poller, within the descriptor limit.
    let max_connections = (cli.subscribers + cli.pollers + 64).to_string();
    let refresh = cli.refresh_secs.to_string();
    let api = Daemon::start_api(
        &api_binary,
        &db,
        &["--monitor-refresh-secs", &refresh, "--max-connections", &max_connections],
    )?;
    println!(
        "ingest pid {} and API pid {} (refresh {} s) on {}",
        ingest.pid(),
        api.pid(),
        cli.refresh_secs,
        db.display()
    );

    // Everyone seen now, an account at a time.
    let users_per_account = cli.users / cli.accounts;
    let agent = agent();
    let batch_url = ingest.batch_url();
    let loading = Instant::now();
    for (account, write_key) in write_keys.iter().enumerate() {
        let body = activity_batch(account, users_per_account, 0);
        post_batch(&agent, &batch_url, write_key, body.as_bytes())?;
    }
    let online = users_per_account * cli.accounts;
    println!("{online} users seen in {:.1} s", loading.elapsed().as_secs_f64());
    let today = wait_for_users_online(&api.address, &token, online, cli)?;
    println!("the API counts {today} users online");
    let before = api.memory()?;

    let run = load(cli, &ingest, &api, &write_keys, users_per_account, &token)?;
    drop(api);
    drop(ingest);
    report(cli, &run, before.rss_bytes)
}

fn account_slug(account: usize) -> String {
    format!("load-{account:03}")
}

/// A staff team seeing every account, and a token of it, with `tally-api`'s
/// command line.
fn staff_token(api_binary: &Path, db: &Path) -> anyhow::Result<String> {
    let command = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new(api_binary)
            .arg("--db")
            .arg(db)
            .args(args)
            .output()
            .with_context(|| format!("running {}", api_binary.display()))?;
        ensure!(
            output.status.success(),
            "{} {args:?}: {}",
            api_binary.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    command(&["staff-team", "set", "--team", "load", "--all-accounts"])?;
    command(&["token", "create", "--role", "staff", "--team", "load"])
}

/// One `activity` event, stamped now, for each of the account's users;
/// `round` tells the events' ids apart.
fn activity_batch(account: usize, users: usize, round: u64) -> String {
    let at = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    let mut body = String::with_capacity(users * 200);
    for user in 0..users {
        let module = MODULES[(user + account) % MODULES.len()];
        let action = ACTIONS[(user / MODULES.len()) % ACTIONS.len()];
        let event = serde_json::json!({
            "id": format!("r{round}-u{user}"),
            "kind": "activity",
            "at": at,
            "user": format!("user-{user:05}"),
            "module": module,
            "action": action,
            "time_spent_secs": 5 + user % 120,
        });
        body.push_str(&event.to_string());
        body.push('\n');
    }
    body
}

/// Polls Today until it counts `users` online; answers the count.
fn wait_for_users_online(
    address: &str,
    token: &str,
    users: usize,
    cli: &Cli,
) -> anyhow::Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(3 * cli.refresh_secs + 60);
    loop {
        let today = get_today(&agent(), address, token)?;
        let online = today["users_online"]["value"].as_u64().unwrap_or(0);
        if online as usize >= users {
            return Ok(online);
        }
        if Instant::now() > deadline {
            bail!("the API counts {online} users online, not {users}: {today}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn get_today(agent: &ureq::Agent, address: &str, token: &str) -> anyhow::Result<serde_json::Value> {
    let mut response = agent
        .get(format!("{address}/v1/monitor/today"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .context("GET /v1/monitor/today")?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().context("reading Today")?;
    ensure!(status == 200, "GET /v1/monitor/today: {status} {text}");
    serde_json::from_str(&text).context("Today is not JSON")
}

/// What the run saw.
struct Run {
    /// Every answered poll's latency.
    polls: Vec<Duration>,
    /// Polls answered with an error, or not at all.
    failed_polls: u64,
    /// Per update (`as_of.at`), when each subscriber received it.
    updates: BTreeMap<String, Vec<Instant>>,
    /// Subscribers that ended before their last event.
    cut_short: usize,
    /// The API's memory once every subscriber had its first event.
    rss_with_subscribers: u64,
    /// Batches ingested during the run.
    batches: u64,
}

fn load(
    cli: &Cli,
    ingest: &Daemon,
    api: &Daemon,
    write_keys: &[String],
    users_per_account: usize,
    token: &str,
) -> anyhow::Result<Run> {
    let duration = Duration::from_secs(cli.duration_secs);
    // The first event at once, then one a refresh.
    let events = cli.duration_secs / cli.refresh_secs + 1;
    let updates = Mutex::new(BTreeMap::<String, Vec<Instant>>::new());
    let polls = Mutex::new(Vec::new());
    let failed_polls = AtomicU64::new(0);
    let connected = Mutex::new(0_usize);
    let cut_short = Mutex::new(0_usize);
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let mut rss_with_subscribers = 0;
    let mut batches = 0;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        for _ in 0..cli.subscribers {
            scope.spawn(|| {
                let received = subscribe(&api.address, token, events, duration, &connected);
                let complete =
                    received.as_ref().is_ok_and(|received| received.len() as u64 == events);
                if !complete {
                    *cut_short.lock().expect("not poisoned") += 1;
                }
                let mut updates = updates.lock().expect("not poisoned");
                // The first event is sent on connecting, not at an update.
                for (at, when) in received.unwrap_or_default().into_iter().skip(1) {
                    updates.entry(at).or_default().push(when);
                }
            });
        }
        for _ in 0..cli.pollers {
            scope.spawn(|| {
                let agent = agent();
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let asked = Instant::now();
                    match get_today(&agent, &api.address, token) {
                        Ok(_) => latencies.push(asked.elapsed()),
                        Err(_) => {
                            failed_polls.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(cli.poll_every_ms));
                }
                polls.lock().expect("not poisoned").extend(latencies);
            });
        }
        let ingested = (|| -> anyhow::Result<()> {
            let agent = agent();
            let batch_url = ingest.batch_url();
            let mut round = 1;
            // A batch is one account's users: sent every `users / rate` seconds.
            let batch_every =
                Duration::from_secs_f64(users_per_account as f64 / cli.ingest_rate.max(1) as f64);
            let mut next_batch = Instant::now();
            while started.elapsed() < duration {
                let account = round as usize % write_keys.len();
                let body = activity_batch(account, users_per_account, round);
                post_batch(&agent, &batch_url, &write_keys[account], body.as_bytes())?;
                batches += 1;
                round += 1;
                if rss_with_subscribers == 0
                    && *connected.lock().expect("not poisoned") == cli.subscribers
                {
                    rss_with_subscribers = api.memory()?.rss_bytes;
                }
                next_batch += batch_every;
                if let Some(wait) = next_batch.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            Ok(())
        })();
        // The pollers stop whatever happened; the subscribers at their limit.
        stop.store(true, Ordering::Relaxed);
        ingested?;
        if rss_with_subscribers == 0 {
            bail!(
                "only {} of {} subscribers connected",
                connected.lock().expect("not poisoned"),
                cli.subscribers
            );
        }
        Ok(())
    })?;
    Ok(Run {
        polls: polls.into_inner().expect("not poisoned"),
        failed_polls: failed_polls.into_inner(),
        updates: updates.into_inner().expect("not poisoned"),
        cut_short: cut_short.into_inner().expect("not poisoned"),
        rss_with_subscribers,
        batches,
    })
}

/// Reads `events` events of the Today stream; answers each event's `as_of.at`
/// and when it arrived.
fn subscribe(
    address: &str,
    token: &str,
    events: u64,
    duration: Duration,
    connected: &Mutex<usize>,
) -> anyhow::Result<Vec<(String, Instant)>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(duration + Duration::from_secs(120)))
        .build()
        .into();
    let response = agent
        .get(format!("{address}/v1/monitor/today/events?limit={events}"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .context("subscribing")?;
    let mut lines = BufReader::new(response.into_body().into_reader());
    let mut received = Vec::new();
    let mut line = String::new();
    while lines.read_line(&mut line).context("reading the stream")? > 0 {
        if let Some(data) = line.strip_prefix("data: ") {
            let when = Instant::now();
            let today: serde_json::Value = serde_json::from_str(data).context("not JSON")?;
            let at = today["as_of"]["at"].as_str().context("no as_of.at")?.to_owned();
            if received.is_empty() {
                *connected.lock().expect("not poisoned") += 1;
            }
            received.push((at, when));
        }
        line.clear();
    }
    Ok(received)
}

fn report(cli: &Cli, run: &Run, rss_before: u64) -> anyhow::Result<()> {
    let mut polls = run.polls.clone();
    polls.sort();
    ensure!(!polls.is_empty(), "no poll succeeded");
    let percentile = |p: usize| polls[(polls.len() * p / 100).min(polls.len() - 1)];
    println!(
        "Today polls: {} answered ({} failed) by {} pollers, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        polls.len(),
        run.failed_polls,
        cli.pollers,
        percentile(50).as_secs_f64() * 1e3,
        percentile(99).as_secs_f64() * 1e3,
        polls[polls.len() - 1].as_secs_f64() * 1e3
    );
    println!(
        "ingest: {} batches during the run, {} events a second asked",
        run.batches, cli.ingest_rate
    );
    let mut widest = Duration::ZERO;
    for (at, received) in &run.updates {
        let first = received.iter().min().expect("an update has a receiver");
        let last = received.iter().max().expect("an update has a receiver");
        let spread = *last - *first;
        widest = widest.max(spread);
        println!(
            "update {at}: {} of {} subscribers, spread {:.1} ms",
            received.len(),
            cli.subscribers,
            spread.as_secs_f64() * 1e3
        );
    }
    println!(
        "widest spread {:.1} ms; {} subscribers cut short",
        widest.as_secs_f64() * 1e3,
        run.cut_short
    );
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let per_subscriber =
        run.rss_with_subscribers.saturating_sub(rss_before) / cli.subscribers as u64;
    println!(
        "API memory: {:.1} MiB with the users and no subscriber, {:.1} MiB with {} subscribers: {:.1} KiB each",
        mib(rss_before),
        mib(run.rss_with_subscribers),
        cli.subscribers,
        per_subscriber as f64 / 1024.0
    );
    Ok(())
}
