//! What a matcher is given: one sighting of a user in an integrated system.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A user seen once in an integrated system: the usage reports' raw material.
///
/// Every text is kept as it was seen; the matcher compares normalised copies
/// (see `docs/identity.md`). Read from files with the field names below; a field
/// the type does not know is an error, so a misspelt `emial` is not silently
/// dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// The integrated system, such as `Jira` or `GitHub`.
    pub system: String,
    /// The project within the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The email seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The username seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The display name seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Where the user was seen, such as `COMMENT AUTHOR` or `MENTION`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction: Option<String>,
    /// When the user was seen.
    pub at: DateTime<Utc>,
    /// Whether the system marks the identity as a service account.
    #[serde(default)]
    pub service_account: bool,
}
