//! The daemon's upkeep: keeping every account's derived state fresh while the
//! daemon runs.
//!
//! A thread of its own, with a connection of its own, updates each account's
//! seats (`Store::update_seats_in_steps`), kept event counts
//! (`Store::update_usage_months`), dashboard aggregates
//! (`Store::update_dashboard`) and the monitor's quarter sums
//! (`Store::update_monitor`) at an interval, and purges the audit entries
//! past their retention. Steps are small, so the write
//! lock it takes now and then holds the writer back for a fraction of a second
//! at most.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tally_service::error_chain;
use tally_store::Store;

use crate::audit::AuditLog;

/// Events per step of a seat update: about a quarter of a second of work.
const SEAT_EVENTS_PER_STEP: usize = 100_000;

/// Events per step of an event-count update, which only reads three columns of
/// each: about a tenth of a second of work.
const COUNTED_EVENTS_PER_STEP: usize = 200_000;

/// The running upkeep thread; stops (after the update in progress) when dropped.
pub struct Upkeep {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Upkeep {
    /// Updates every account's seat state and kept event counts, and purges
    /// expired audit entries, now and then every `interval`.
    pub fn start(mut store: Store, audit: AuditLog, interval: Duration) -> Upkeep {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let thread = std::thread::Builder::new()
            .name("tally-upkeep".into())
            .spawn({
                let stop = Arc::clone(&stop);
                move || {
                    let (stopped, wake) = &*stop;
                    let mut purged: Option<std::time::Instant> = None;
                    loop {
                        let behind = refresh(&mut store);
                        // Rounds follow each other at once while the dashboard
                        // is behind; the purge keeps to the interval.
                        if purged.is_none_or(|at| at.elapsed() >= interval) {
                            purge_audit(&audit);
                            purged = Some(std::time::Instant::now());
                        }
                        // While the dashboard is behind, the next round starts
                        // at once: its slice is done, the seats go next.
                        let wait = match behind {
                            Backlog::CaughtUp => interval,
                            Backlog::Behind => Duration::ZERO,
                        };
                        let guard = stopped.lock().expect("upkeep flag");
                        let (guard, _) = wake
                            .wait_timeout_while(guard, wait, |stopped| !*stopped)
                            .expect("upkeep flag");
                        if *guard {
                            return;
                        }
                    }
                }
            })
            .expect("spawning the upkeep");
        Upkeep { stop, thread: Some(thread) }
    }
}

impl Drop for Upkeep {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().expect("upkeep flag") = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Events of an account's dashboard taken in per round, about a second of
/// work: the dashboard costs several times what the seats do per
/// event, so a backlog taken whole (a minute for 4 million events) held the
/// seat figures back by as long. A slice a round, the seats (and the counts)
/// go between slices.
const DASHBOARD_EVENTS_PER_ROUND: u64 = 100_000;

/// Whether a round left an account's dashboard behind the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backlog {
    CaughtUp,
    Behind,
}

fn refresh(store: &mut Store) -> Backlog {
    let accounts = match store.accounts() {
        Ok(accounts) => accounts,
        Err(error) => {
            tracing::warn!(error = %error_chain(&error), "cannot list accounts to update seats");
            return Backlog::CaughtUp;
        }
    };
    let mut backlog = Backlog::CaughtUp;
    for account in accounts {
        match store.update_seats_in_steps(&account.slug, SEAT_EVENTS_PER_STEP) {
            Ok(update) if update.events > 0 || update.rebuilt => tracing::debug!(
                account = %account.slug,
                events = update.events,
                users = update.users,
                "updated seats"
            ),
            Ok(_) => {}
            // A busy file or a full disk: the next round tries again.
            Err(error) => tracing::warn!(
                account = %account.slug,
                error = %error_chain(&error),
                "seat update failed; will retry"
            ),
        }
        match store.update_usage_months(&account.slug, COUNTED_EVENTS_PER_STEP) {
            Ok(0) => {}
            Ok(events) => tracing::debug!(account = %account.slug, events, "counted events"),
            Err(error) => tracing::warn!(
                account = %account.slug,
                error = %error_chain(&error),
                "event count update failed; will retry"
            ),
        }
        match store.update_dashboard_for(
            &account.slug,
            tally_store::DASHBOARD_EVENTS_PER_STEP,
            DASHBOARD_EVENTS_PER_ROUND,
        ) {
            Ok(update) => {
                if update.events > 0 {
                    tracing::debug!(
                        account = %account.slug,
                        events = update.events,
                        caught_up = update.caught_up,
                        "updated the dashboard"
                    );
                }
                if !update.caught_up {
                    backlog = Backlog::Behind;
                }
            }
            Err(error) => tracing::warn!(
                account = %account.slug,
                error = %error_chain(&error),
                "dashboard update failed; will retry"
            ),
        }
        match store.update_monitor(&account.slug, tally_store::MONITOR_EVENTS_PER_STEP) {
            Ok(0) => {}
            Ok(events) => tracing::debug!(account = %account.slug, events, "summed activities"),
            Err(error) => tracing::warn!(
                account = %account.slug,
                error = %error_chain(&error),
                "monitor update failed; will retry"
            ),
        }
    }
    backlog
}

/// Audit entries past their retention, removed in batches of this many.
const AUDIT_PURGE_BATCH: std::num::NonZeroUsize = std::num::NonZeroUsize::new(500).unwrap();

fn purge_audit(audit: &AuditLog) {
    match audit.purge_expired(None, chrono::Utc::now(), AUDIT_PURGE_BATCH) {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "purged expired audit entries"),
        // A busy file: the next round tries again.
        Err(error) => tracing::warn!(
            error = %error_chain(&error),
            "audit purge failed; will retry"
        ),
    }
}
