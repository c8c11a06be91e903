//! The usage monitor's Today, kept live: a thread of its own reads the events
//! the ingest daemon appends into a [`tally_monitor::Live`] and, every refresh
//! interval, publishes a [`Snapshot`] that every request handler and event
//! stream reads, so that a poll costs a look at the shared snapshot and never a
//! read of the database.
//!
//! The thread has its own store connection. At start it reads every event of
//! the seen kinds since the start of today (in the monitor's zone) less the
//! online window, then follows the log by sequence number. A store error is
//! logged and the read tried again at the next tick; it never stops the thread.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use tally_monitor::{Live, MonitorSettings, Snapshot, Tracked, Tracking};
use tally_store::{Store, StoreError, StoreOptions};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Default of `--online-window-mins`.
pub const DEFAULT_ONLINE_WINDOW_MINS: u32 = 5;
/// Default of `--monitor-refresh-secs`.
pub const DEFAULT_REFRESH_SECS: u32 = 10;
/// The longest refresh interval, and the longest `every` of a stream.
pub const MAX_REFRESH_SECS: u32 = 3600;

/// Events read from the log at a time while following it.
const EVENTS_PER_READ: usize = 10_000;
/// How often the log is followed at most: new events are in the live state
/// within a second, whatever the refresh interval.
const LONGEST_TAIL_INTERVAL: Duration = Duration::from_secs(1);

/// `tally-api serve`'s usage monitor flags, to `#[command(flatten)]`.
#[derive(Debug, Clone, clap::Args)]
pub struct MonitorArgs {
    /// Minutes within which a user seen counts as online now (1 to 1440); an
    /// event exactly this old no longer does.
    #[arg(
        long,
        env = "TALLY_ONLINE_WINDOW_MINS",
        default_value_t = DEFAULT_ONLINE_WINDOW_MINS,
        value_parser = clap::value_parser!(u32).range(1..=1440)
    )]
    pub online_window_mins: u32,
    /// Seconds between two computations of the monitor's figures (1 to 3600):
    /// each figure's change is since the previous one, and the least interval
    /// of the event streams.
    #[arg(
        long,
        env = "TALLY_MONITOR_REFRESH_SECS",
        default_value_t = DEFAULT_REFRESH_SECS,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REFRESH_SECS))
    )]
    pub monitor_refresh_secs: u32,
    /// The time zone whose calendar day is the monitor's "today", an IANA name
    /// such as Europe/Berlin.
    #[arg(long, env = "TALLY_MONITOR_ZONE", default_value = "UTC", value_parser = parse_zone)]
    pub monitor_zone: Tz,
}

fn parse_zone(text: &str) -> Result<Tz, tally_calendar::AccountConfigError> {
    tally_calendar::parse_time_zone(text)
}

impl MonitorArgs {
    /// The monitor these flags ask for.
    pub fn config(&self) -> LiveConfig {
        LiveConfig {
            settings: MonitorSettings {
                online_window: TimeDelta::minutes(i64::from(self.online_window_mins)),
                zone: self.monitor_zone,
            },
            refresh: Duration::from_secs(u64::from(self.monitor_refresh_secs)),
        }
    }
}

/// How the live monitor runs.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// The online window and the zone of "today".
    pub settings: MonitorSettings,
    /// Time between two snapshots.
    pub refresh: Duration,
}

/// What the monitor thread publishes at each refresh.
pub struct Published {
    /// The latest snapshot.
    pub current: Arc<Snapshot>,
    /// The one before, which each figure's change is counted from; `None`
    /// until the second refresh.
    pub previous: Option<Arc<Snapshot>>,
    /// The tracking list the snapshot was computed with, which the events
    /// behind an item are filtered by.
    pub tracking: Arc<Tracking>,
}

/// The handlers' side of the live monitor: the published snapshots, the
/// refresh interval, and the signal that the daemon is stopping, which ends
/// every event stream.
#[derive(Clone)]
pub struct LiveFeed {
    snapshots: watch::Receiver<Arc<Published>>,
    refresh: Duration,
    stopping: CancellationToken,
}

impl LiveFeed {
    /// The latest publication.
    pub fn latest(&self) -> Arc<Published> {
        Arc::clone(&self.snapshots.borrow())
    }

    /// A receiver of every publication from now on, for an event stream.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Published>> {
        let mut receiver = self.snapshots.clone();
        receiver.mark_unchanged();
        receiver
    }

    /// Time between two snapshots.
    pub fn refresh(&self) -> Duration {
        self.refresh
    }

    /// Cancelled when the daemon starts stopping: event streams end then, so
    /// that the graceful shutdown does not wait for them.
    pub fn stopping(&self) -> &CancellationToken {
        &self.stopping
    }
}

/// Why the live monitor could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Reading today's events or the tracking list.
    #[error("reading today's events for the usage monitor")]
    Store(#[from] StoreError),
    /// The thread could not be made.
    #[error("starting the usage monitor's thread")]
    Thread(#[source] std::io::Error),
}

/// The monitor thread; stops (and is joined) when dropped.
pub struct LiveMonitor {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LiveMonitor {
    /// Opens a connection to the store at `db`, reads today's events and
    /// publishes the first snapshot, on the calling thread, so that the daemon
    /// answers from its first request; then follows the log on a thread of
    /// its own.
    pub fn start(db: &Path, config: LiveConfig) -> Result<(LiveMonitor, LiveFeed), StartError> {
        let options = StoreOptions { cache_kib: 4 * 1024, ..StoreOptions::default() };
        let mut store = Store::open(db, &options)?;
        let now = Utc::now();
        let mut follower = Follower::load(&mut store, &config, now)?;
        let tracking = Arc::new(tracking_in_force(&store)?);
        let first = follower.live.snapshot(Utc::now(), &tracking);
        let (publisher, snapshots) = watch::channel(Arc::new(Published {
            current: Arc::new(first),
            previous: None,
            tracking,
        }));
        let (stop, stopped) = mpsc::channel();
        let refresh = config.refresh;
        let thread = std::thread::Builder::new()
            .name("live-monitor".into())
            .spawn(move || follower.run(&mut store, &publisher, &stopped, refresh))
            .map_err(StartError::Thread)?;
        let feed = LiveFeed { snapshots, refresh, stopping: CancellationToken::new() };
        Ok((LiveMonitor { stop: Some(stop), thread: Some(thread) }, feed))
    }
}

impl Drop for LiveMonitor {
    fn drop(&mut self) {
        // Dropping the sender wakes the thread at once.
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the live monitor's thread panicked");
        }
    }
}

/// The live state and where in the log it has read up to.
struct Follower {
    live: Live,
    last_seq: i64,
}

impl Follower {
    /// Today's events (and those of the online window before today began).
    fn load(
        store: &mut Store,
        config: &LiveConfig,
        now: DateTime<Utc>,
    ) -> Result<Follower, StoreError> {
        let mut live = Live::new(config.settings, now);
        let (events, last_seq) = store.monitor_events_since(live.events_from(now))?;
        for event in &events {
            live.add(event);
        }
        tracing::info!(events = events.len(), last_seq, "the live monitor read today's events");
        Ok(Follower { live, last_seq })
    }

    /// Follows the log and publishes a snapshot every `refresh` until `stopped`
    /// hears from the daemon (or its sender is dropped).
    fn run(
        mut self,
        store: &mut Store,
        publisher: &watch::Sender<Arc<Published>>,
        stopped: &mpsc::Receiver<()>,
        refresh: Duration,
    ) {
        let tail_interval = LONGEST_TAIL_INTERVAL.min(refresh / 4);
        let mut next_refresh = Instant::now() + refresh;
        loop {
            let wait = tail_interval.min(next_refresh.saturating_duration_since(Instant::now()));
            match stopped.recv_timeout(wait) {
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            self.follow(store);
            if Instant::now() < next_refresh {
                continue;
            }
            let previous = publisher.borrow().clone();
            let tracking = match tracking_in_force(store) {
                Ok(tracking) => Arc::new(tracking),
                Err(error) => {
                    tracing::warn!(
                        error = %crate::error::error_chain(&error),
                        "reading what the monitor tracks; keeping the list read before"
                    );
                    Arc::clone(&previous.tracking)
                }
            };
            let snapshot = self.live.snapshot(Utc::now(), &tracking);
            publisher.send_replace(Arc::new(Published {
                current: Arc::new(snapshot),
                previous: Some(Arc::clone(&previous.current)),
                tracking,
            }));
            // A refresh that came late (a slow read) does not make the next
            // ones come in a burst.
            next_refresh = (next_refresh + refresh).max(Instant::now());
        }
    }

    /// Reads what was appended since the last read.
    fn follow(&mut self, store: &mut Store) {
        loop {
            match store.monitor_events_after(self.last_seq, EVENTS_PER_READ) {
                Ok((events, through_seq)) => {
                    for event in &events {
                        self.live.add(event);
                    }
                    self.last_seq = through_seq;
                    if events.len() < EVENTS_PER_READ {
                        return;
                    }
                }
                Err(error) => {
                    tracing::warn!(
                        error = %crate::error::error_chain(&error),
                        after_seq = self.last_seq,
                        "following the event log for the monitor; trying again shortly"
                    );
                    return;
                }
            }
        }
    }
}

/// What the monitor tracks now.
fn tracking_in_force(store: &Store) -> Result<Tracking, StoreError> {
    let tracked = store.monitor_tracking_in_force()?;
    Ok(Tracking::new(
        tracked
            .into_iter()
            .map(|item| Tracked { module: item.module, activity: item.activity })
            .collect(),
    ))
}
