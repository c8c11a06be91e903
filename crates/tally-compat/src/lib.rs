//! Reads the bodies analytics SDKs send and maps each message to one of
//! Tally's events: Segment's tracking API, PostHog's capture API and
//! CloudEvents. The wire formats and the mapping are specified in
//! docs/ingest-compat.md.

#![deny(missing_docs)]

mod rule;

pub use rule::{MAX_RULE_EVENT_BYTES, MappingRule, RuleError};
