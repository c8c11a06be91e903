//! Tally's identity matcher: which of the users seen in integrated systems are
//! the same person, and why (the usage reports' "Unique User Count").
//!
//! A pure engine: no I/O, no clock, no async runtime. Give [`match_people`] (or
//! a [`Matcher`]) the [`Observation`]s of users in integrated systems, in any
//! order; it groups them into [`Person`]s by the seed's four rules in their
//! priority order ([`Rule`]), and explains every merge: each person lists the
//! [`Join`]s (rule and key) that connect its observations, and each
//! observation's [`Assignment`] names the join that put it there. Generic
//! identities such as `admin` or `noreply` never join two identities by
//! themselves ([`MatcherConfig`]). [`UniqueUsers`] counts people per system.
//! The exact definition, with worked examples, is in `docs/identity.md`.
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use tally_identity::{MatcherConfig, Observation, Rule, match_people};
//!
//! let at: DateTime<Utc> = "2026-03-02T09:00:00Z".parse().unwrap();
//! let seen = |system: &str, email: Option<&str>, username: Option<&str>, display_name: Option<&str>| {
//!     Observation {
//!         system: system.into(),
//!         project: None,
//!         email: email.map(Into::into),
//!         username: username.map(Into::into),
//!         display_name: display_name.map(Into::into),
//!         interaction: None,
//!         at,
//!         service_account: false,
//!     }
//! };
//! let observations = [
//!     seen("Jira", Some("ana@example.test"), None, Some("Ana López")),
//!     // No email: rule 3 joins it to Jira's Ana by display name.
//!     seen("Slack", None, None, Some("  ANA LÓPEZ ")),
//!     // A generic identity in two systems: two people, not one.
//!     seen("Jira", None, Some("admin"), None),
//!     seen("GitHub", None, Some("Admin"), None),
//! ];
//! let matching = match_people(&observations, &MatcherConfig::default()).unwrap();
//! let ids: Vec<&str> = matching.people.iter().map(|person| person.id.as_str()).collect();
//! assert_eq!(ids, ["admin", "admin#2", "ana@example.test"]);
//! let join = matching.join_of(1).unwrap();
//! assert_eq!((join.rule, join.key.as_str()), (Rule::DisplayName, "ana lópez"));
//! assert_eq!(join.observations, [0, 1]);
//! assert_eq!(matching.generic_identities[0].identity, "admin");
//! let jira = &matching.unique_users.systems[1];
//! assert_eq!((jira.system.as_str(), jira.users.unique_users), ("Jira", 2));
//! assert_eq!((jira.users.by_email, jira.users.by_username), (1, 1));
//! ```

#![deny(missing_docs)]

mod config;
mod matcher;
mod observation;
mod summary;
mod text;

pub use config::{ConfigError, DEFAULT_GENERIC_IDENTITIES, DEFAULT_PLACEHOLDERS, MatcherConfig};
pub use matcher::{
    Assignment, Duplicate, GenericIdentity, Join, Matcher, Matching, Person, Rule, SystemUsername,
    match_people,
};
pub use observation::Observation;
pub use summary::{SystemUsers, UniqueUsers, UserCounts};
pub use text::comparison_text;
