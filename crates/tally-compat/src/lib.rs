//! Reads the bodies analytics SDKs send and maps each message to one of
//! Tally's events: Segment's tracking API, PostHog's capture API and
//! CloudEvents. The wire formats and the mapping are specified in
//! docs/ingest-compat.md.
//!
//! Each format's module reads a body into an [`Envelope`] of raw messages and
//! each raw message into a [`Message`]; [`Mapping::translate`] makes it one
//! event in Tally's own JSON, which the caller checks with `tally-events` like
//! any other.

#![deny(missing_docs)]

pub mod cloudevents;
mod envelope;
mod mapping;
mod message;
pub mod posthog;
mod raw;
mod rule;
pub mod segment;

pub use envelope::{BodyError, Envelope};
pub use mapping::{Mapped, Mapping};
pub use message::{Call, Format, MappedBy, Message, Source, Translated, Untranslatable};
pub use raw::{Members, Raw};
pub use rule::{MAX_RULE_EVENT_BYTES, MappingRule, RuleError};
