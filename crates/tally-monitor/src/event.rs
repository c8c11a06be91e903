//! The events the monitor is fed: one per event that makes a user seen.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// An event that names the user who acted: a `login`, `page_visit`,
/// `entity_change`, `action_run`, `ai_invocation`, `mcp_call` or `activity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenEvent {
    /// The event's place in the log, to continue after it.
    pub seq: i64,
    /// The account's slug.
    pub account: Arc<str>,
    /// The user who acted, as the account's events name them.
    pub user: Arc<str>,
    /// When the user acted.
    pub at: DateTime<Utc>,
    /// For an `activity` event, what was used; `None` for the other kinds.
    pub activity: Option<Activity>,
}

/// What an `activity` event says was used, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The module (`Dashboard`).
    pub module: Arc<str>,
    /// The action in the module (`export`).
    pub action: Arc<str>,
    /// How long the person spent, as the vendor's product measured it.
    pub time_spent_secs: u32,
}
