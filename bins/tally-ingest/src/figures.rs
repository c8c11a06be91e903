//! Keeping every account's derived figures fresh while the daemon runs.
//!
//! A thread of its own, with a connection of its own, updates each account's
//! seats (`Store::update_seats_in_steps`) and kept event counts
//! (`Store::update_usage_months`) at an interval, and purges the audit entries
//! past their retention. Steps are small, so the write
//! lock it takes now and then holds the writer back for a fraction of a second
//! at most.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tally_store::Store;

use crate::audit::AuditLog;

/// Events per step of a seat update: about a quarter of a second of work.
const SEAT_EVENTS_PER_STEP: usize = 100_000;

/// Events per step of an event-count update, which only reads three columns of
/// each: about a tenth of a second of work.
const COUNTED_EVENTS_PER_STEP: usize = 200_000;

/// The running refresher; stops (after the update in progress) when dropped.
pub struct FigureRefresher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl FigureRefresher {
    /// Updates every account's figures now and then every `interval`.
    pub fn start(mut store: Store, audit: AuditLog, interval: Duration) -> FigureRefresher {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let thread = std::thread::Builder::new()
            .name("tally-figures".into())
            .spawn({
                let stop = Arc::clone(&stop);
                move || {
                    let (stopped, wake) = &*stop;
                    loop {
                        refresh(&mut store);
                        purge_audit(&audit);
                        let guard = stopped.lock().expect("figure refresher flag");
                        let (guard, _) = wake
                            .wait_timeout_while(guard, interval, |stopped| !*stopped)
                            .expect("figure refresher flag");
                        if *guard {
                            return;
                        }
                    }
                }
            })
            .expect("spawning the figure refresher");
        FigureRefresher { stop, thread: Some(thread) }
    }
}

impl Drop for FigureRefresher {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().expect("figure refresher flag") = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn refresh(store: &mut Store) {
    let accounts = match store.accounts() {
        Ok(accounts) => accounts,
        Err(error) => {
            tracing::warn!(error = %crate::writer::error_chain(&error), "cannot list accounts to update seats");
            return;
        }
    };
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
                error = %crate::writer::error_chain(&error),
                "seat update failed; will retry"
            ),
        }
        match store.update_usage_months(&account.slug, COUNTED_EVENTS_PER_STEP) {
            Ok(0) => {}
            Ok(events) => tracing::debug!(account = %account.slug, events, "counted events"),
            Err(error) => tracing::warn!(
                account = %account.slug,
                error = %crate::writer::error_chain(&error),
                "event count update failed; will retry"
            ),
        }
    }
}

/// Audit entries past their retention, removed in batches of this many.
const AUDIT_PURGE_BATCH: std::num::NonZeroUsize = std::num::NonZeroUsize::new(500).unwrap();

fn purge_audit(audit: &AuditLog) {
    match audit.purge_expired(None, chrono::Utc::now(), AUDIT_PURGE_BATCH) {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "purged expired audit entries"),
        // A busy file: the next round tries again.
        Err(error) => tracing::warn!(
            error = %crate::writer::error_chain(&error),
            "audit purge failed; will retry"
        ),
    }
}
