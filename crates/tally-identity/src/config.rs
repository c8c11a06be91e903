//! What a matcher is configured with: generic identities and placeholders.

use std::collections::BTreeSet;

use crate::text::comparison_text;

/// Identities shared by many people or programs, which never join two
/// identities by themselves (`docs/identity.md`, "Generic identities"). Each
/// is compared with a whole username, display name or email address, and with
/// an email's local part.
pub const DEFAULT_GENERIC_IDENTITIES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "sysadmin",
    "superuser",
    "system",
    "service",
    "support",
    "helpdesk",
    "info",
    "noreply",
    "no-reply",
    "donotreply",
    "do-not-reply",
    "notifications",
    "mailer-daemon",
    "postmaster",
    "bot",
    "jira",
    "jira-bot",
    "automation",
    "automation for jira",
    "github-actions",
    "github-actions[bot]",
    "dependabot",
    "dependabot[bot]",
    "renovate[bot]",
    "ghost",
    "ci",
    "jenkins",
    "build",
    "deploy",
    "integration",
    "api",
    "test",
    "tester",
    "guest",
    "user",
    "demo",
];

/// Values that mean "no value": an email, username or display name equal to
/// one of them counts as absent.
pub const DEFAULT_PLACEHOLDERS: &[&str] = &[
    "-",
    "--",
    "?",
    "n/a",
    "none",
    "null",
    "nil",
    "undefined",
    "unknown",
    "unassigned",
    "anonymous",
];

/// How a [`Matcher`](crate::Matcher) treats generic and placeholder values.
/// Entries are compared by their [`comparison_text`], so case and surrounding
/// whitespace do not matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatcherConfig {
    /// Identities that never join two identities by themselves.
    pub generic_identities: Vec<String>,
    /// Values that count as absent.
    pub placeholders: Vec<String>,
}

impl Default for MatcherConfig {
    /// [`DEFAULT_GENERIC_IDENTITIES`] and [`DEFAULT_PLACEHOLDERS`].
    fn default() -> MatcherConfig {
        MatcherConfig {
            generic_identities: DEFAULT_GENERIC_IDENTITIES
                .iter()
                .map(|&entry| entry.to_owned())
                .collect(),
            placeholders: DEFAULT_PLACEHOLDERS.iter().map(|&entry| entry.to_owned()).collect(),
        }
    }
}

/// A configuration a matcher cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A generic identity with nothing in it but whitespace.
    #[error("generic identity {value:?} is empty once whitespace is removed")]
    EmptyGenericIdentity {
        /// The entry as configured.
        value: String,
    },
    /// A placeholder with nothing in it but whitespace: empty values are
    /// absent anyway.
    #[error("placeholder {value:?} is empty once whitespace is removed")]
    EmptyPlaceholder {
        /// The entry as configured.
        value: String,
    },
}

/// A configuration's entries as comparison texts.
#[derive(Debug, Clone)]
pub(crate) struct Lists {
    pub(crate) generic_identities: BTreeSet<String>,
    pub(crate) placeholders: BTreeSet<String>,
}

impl Lists {
    pub(crate) fn new(config: &MatcherConfig) -> Result<Lists, ConfigError> {
        let generic_identities = normalised(&config.generic_identities, |value| {
            ConfigError::EmptyGenericIdentity { value }
        })?;
        let placeholders =
            normalised(&config.placeholders, |value| ConfigError::EmptyPlaceholder { value })?;
        Ok(Lists { generic_identities, placeholders })
    }
}

fn normalised(
    entries: &[String],
    empty: impl Fn(String) -> ConfigError,
) -> Result<BTreeSet<String>, ConfigError> {
    entries
        .iter()
        .map(|entry| {
            let text = comparison_text(entry);
            if text.is_empty() { Err(empty(entry.clone())) } else { Ok(text) }
        })
        .collect()
}
