//! The audit chain's verification status as the audit log's tabs show it.
//!
//! Verifying walks an account's whole retained chain, which grows without
//! bound; walking it on every view would make a tab's time grow with the log
//! and let any viewer keep a database connection busy. So each account's last
//! verification is kept with its instant, and a view shows it while it is
//! current: taken at the head the file has now, less than [`FRESH_FOR`] ago.
//! Otherwise the view starts a new verification on a blocking thread and waits
//! for it at most [`WAIT_FOR`]; a verification that takes longer goes on, and
//! the view shows the last one (or that none has finished yet) with its
//! instant, so a reader always knows how fresh the status is. Checking an
//! anchor the viewer kept is always a whole verification of its own.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tally_audit::{Anchor, VerifyReport};

use crate::error::ApiError;
use crate::state::AppState;

/// How long a verification at the current head is shown without another.
pub const FRESH_FOR: TimeDelta = TimeDelta::seconds(60);
/// How long a view waits for a verification it started.
pub const WAIT_FOR: Duration = Duration::from_millis(200);

/// A finished verification.
#[derive(Debug, Clone)]
pub struct Checked {
    /// What it found, up to the head it read.
    pub report: VerifyReport,
    /// When it finished.
    pub at: DateTime<Utc>,
}

/// What a tab shows of the chain's state.
#[derive(Debug, Clone)]
pub enum Verification {
    /// A verification at the current head, recent enough.
    Current(Checked),
    /// The last verification, older than the file's head or than
    /// [`FRESH_FOR`]; a new one is under way.
    Earlier(Checked),
    /// None has finished since the service started; one is under way.
    Pending,
}

/// Each account's last verification, and the accounts being verified.
#[derive(Default)]
pub struct ChainChecks {
    last: Mutex<HashMap<String, Checked>>,
    running: Mutex<HashSet<String>>,
}

impl ChainChecks {
    fn current(&self, account: &str, head: &Anchor, now: DateTime<Utc>) -> Option<Checked> {
        let last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        last.get(account)
            .filter(|checked| &checked.report.head == head && now - checked.at < FRESH_FOR)
            .cloned()
    }

    fn earlier(&self, account: &str) -> Option<Checked> {
        let last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        last.get(account).cloned()
    }

    /// Marks `account` as being verified; false when it already is.
    fn start(&self, account: &str) -> bool {
        let mut running = self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        running.insert(account.to_owned())
    }

    fn finish(&self, account: &str, checked: Option<Checked>) {
        if let Some(checked) = checked {
            let mut last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            last.insert(account.to_owned(), checked);
        }
        let mut running = self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        running.remove(account);
    }
}

/// The status a tab of `account` shows, the file's head being `head`.
pub async fn verification(state: &AppState, account: &str, head: &Anchor) -> Verification {
    let checks = state.chain_checks();
    if let Some(checked) = checks.current(account, head, Utc::now()) {
        return Verification::Current(checked);
    }
    if checks.start(account) {
        let (state, checks, account) = (state.clone(), checks.clone(), account.to_owned());
        tokio::spawn(async move {
            let verified = {
                let account = account.clone();
                state
                    .with_audit(move |_, log| {
                        log.verify(&account, None).map_err(|error| {
                            tracing::error!(error = %crate::error::error_chain(&error), "verifying the audit chain");
                            ApiError::Internal
                        })
                    })
                    .await
            };
            let checked = verified.ok().map(|report| Checked { report, at: Utc::now() });
            checks.finish(&account, checked);
        });
    }
    // Wait for this verification, or one another view started, at most WAIT_FOR.
    let waited = tokio::time::timeout(WAIT_FOR, async {
        loop {
            if let Some(checked) = checks.current(account, head, Utc::now()) {
                return checked;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    match waited {
        Ok(checked) => Verification::Current(checked),
        Err(_) => match checks.earlier(account) {
            Some(checked) => Verification::Earlier(checked),
            None => Verification::Pending,
        },
    }
}

/// Shared by every clone of the service's state.
pub type SharedChainChecks = Arc<ChainChecks>;

#[cfg(test)]
mod tests {
    use super::*;

    fn report(seq: u64) -> VerifyReport {
        VerifyReport {
            account: "acme".into(),
            head: Anchor { account: "acme".into(), seq, digest: [7; 16] },
            checkpoint_seq: 0,
            entries: seq,
            tombstones: 0,
            anchor: None,
            problem: None,
        }
    }

    #[test]
    fn a_verification_is_current_only_at_the_same_head_and_within_its_freshness() {
        let checks = ChainChecks::default();
        let at: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        let head = report(5).head;
        assert!(checks.current("acme", &head, at).is_none(), "nothing verified yet");
        assert!(checks.start("acme"));
        assert!(!checks.start("acme"), "one verification of an account at a time");
        checks.finish("acme", Some(Checked { report: report(5), at }));
        assert!(checks.start("acme"), "finished, another may start");
        checks.finish("acme", None);

        assert!(
            checks.current("acme", &head, at + FRESH_FOR - TimeDelta::microseconds(1)).is_some()
        );
        assert!(checks.current("acme", &head, at + FRESH_FOR).is_none(), "stale at FRESH_FOR");
        assert!(checks.current("acme", &report(6).head, at).is_none(), "the head moved on");
        let mut other_digest = head.clone();
        other_digest.digest = [8; 16];
        assert!(checks.current("acme", &other_digest, at).is_none(), "the head was rewritten");
        assert!(checks.current("globex", &head, at).is_none(), "another account");
        assert_eq!(checks.earlier("acme").map(|checked| checked.report.head.seq), Some(5));
    }
}
