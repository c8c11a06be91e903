//! What a batch did, whichever way it came in: the HTTP answer, the import's
//! summary and the daemon's log line are all read from one [`BatchOutcome`].

use tally_events::Rejection;
use tally_store::{AppendOutcome, Conflict};

/// What checking and storing a batch (or all of an import's chunks) did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Events stored for the first time.
    pub accepted: usize,
    /// Events already stored with the same contents.
    pub duplicates: usize,
    /// Events whose id is stored with other contents, by line; not stored.
    pub conflicts: Vec<Conflict>,
    /// Lines that failed checking, by line; not stored.
    pub rejections: Vec<Rejection>,
}

impl BatchOutcome {
    /// Adds what one append (to the event log or to the audit log) did.
    pub fn add_stored(&mut self, appended: AppendOutcome) {
        self.accepted += appended.accepted;
        self.duplicates += appended.duplicates;
        if !appended.conflicts.is_empty() {
            self.conflicts.extend(appended.conflicts);
            // The event log's and the audit log's conflicts arrive apart.
            self.conflicts.sort_by_key(|conflict| conflict.line);
        }
    }

    /// Adds what another part of the batch did (its audit entries), keeping
    /// conflicts and rejections in line order.
    pub fn merge(&mut self, other: BatchOutcome) {
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        if !other.conflicts.is_empty() {
            self.conflicts.extend(other.conflicts);
            self.conflicts.sort_by_key(|conflict| conflict.line);
        }
        if !other.rejections.is_empty() {
            self.rejections.extend(other.rejections);
            self.rejections.sort_by_key(|rejection| rejection.line);
        }
    }

    /// Events refused because their id is stored with other contents.
    pub fn conflicting(&self) -> usize {
        self.conflicts.len()
    }

    /// Lines refused by the checks.
    pub fn rejected(&self) -> usize {
        self.rejections.len()
    }

    /// Whether every line was stored or recognised as a duplicate.
    pub fn is_complete(&self) -> bool {
        self.conflicts.is_empty() && self.rejections.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(line: usize) -> Conflict {
        Conflict { line, id: format!("id-{line}") }
    }

    fn check(appends: Vec<AppendOutcome>, expected: (usize, usize, Vec<usize>)) {
        let mut outcome = BatchOutcome::default();
        for appended in appends {
            outcome.add_stored(appended);
        }
        let lines = outcome.conflicts.iter().map(|conflict| conflict.line).collect();
        assert_eq!((outcome.accepted, outcome.duplicates, lines), expected);
    }

    #[test]
    fn appends_add_up_and_conflicts_come_in_line_order() {
        // Events: 3 accepted, 1 duplicate, conflict on line 7; audit entries:
        // 1 accepted, 2 duplicates, conflict on line 2. 3 + 1 = 4, 1 + 2 = 3.
        check(
            vec![
                AppendOutcome { accepted: 3, duplicates: 1, conflicts: vec![conflict(7)] },
                AppendOutcome { accepted: 1, duplicates: 2, conflicts: vec![conflict(2)] },
            ],
            (4, 3, vec![2, 7]),
        );
        check(vec![], (0, 0, vec![]));
    }
}
