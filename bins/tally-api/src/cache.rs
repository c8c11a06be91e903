//! Activated seats logs computed lately, so that the pages of one log are cut
//! from one computation: computing it reads a row per seat of the account
//! (119 ms at 100,000 users on a loaded machine; docs/PERFORMANCE.md), and a
//! client paging through it asks for it once per page.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tally_figures::seats::ActivatedSeatRow;
use tally_store::SeatStateVersion;

/// Logs kept at once: each is a row per seat of an account.
const LOGS_KEPT: usize = 2;

/// A log is reused only for the same instant and the same seat state
/// ([`SeatStateVersion`], which names the account): a seat update, a new rule
/// or new terms make a new version, and the next request computes again.
#[derive(Default)]
pub struct ActivatedLogs {
    /// Most recently used last.
    logs: Mutex<VecDeque<KeptLog>>,
}

/// One log, with what it was computed from.
#[derive(Clone)]
struct KeptLog {
    version: SeatStateVersion,
    at: DateTime<Utc>,
    rows: Arc<Vec<ActivatedSeatRow>>,
}

impl ActivatedLogs {
    /// The log of `version` at `at`, computed by `compute` unless it is kept.
    pub fn get_or_compute<E>(
        &self,
        version: SeatStateVersion,
        at: DateTime<Utc>,
        compute: impl FnOnce() -> Result<Vec<ActivatedSeatRow>, E>,
    ) -> Result<Arc<Vec<ActivatedSeatRow>>, E> {
        let kept = {
            let mut logs = self.lock();
            let position = logs.iter().position(|kept| kept.version == version && kept.at == at);
            position.and_then(|position| logs.remove(position)).inspect(|kept| {
                logs.push_back(kept.clone());
            })
        };
        if let Some(kept) = kept {
            return Ok(kept.rows);
        }
        // Computed outside the lock: another account's log need not wait.
        let rows = Arc::new(compute()?);
        let mut logs = self.lock();
        if logs.len() == LOGS_KEPT {
            logs.pop_front();
        }
        logs.push_back(KeptLog { version, at, rows: Arc::clone(&rows) });
        Ok(rows)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<KeptLog>> {
        self.logs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
