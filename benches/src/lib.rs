//! Shared parts of Tally's benchmarks: a deterministic generator of realistic
//! events with random (UUIDv4) ids, a year of logins for the seat benchmarks, the
//! HTTP client both the ingest benchmark and the `ingest-load` tool send batches
//! with, and where their files go.
//!
//! ```
//! use tally_benches::{EventGenerator, checked_events};
//!
//! let mut generator = EventGenerator::new(7);
//! let body = generator.ndjson_batch(3);
//! let events = checked_events(&body);
//! assert_eq!(events.len(), 3);
//! // The generator writes canonical JSON, so the bytes sent are the bytes stored.
//! assert_eq!(body.lines().next().unwrap(), events[0].canonical_json);
//! ```

#![deny(missing_docs)]

mod client;
mod daemon;
mod dashboard;
mod generator;
mod logins;
mod scratch;

pub use client::{PostError, agent, post_batch};
pub use daemon::{Daemon, DaemonError, Memory, create_account};
pub use dashboard::{DASHBOARD_USERS, DashboardGenerator};
pub use generator::{BATCH_EVENTS, EventGenerator, checked_events};
pub use logins::{LOGIN_USERS, user_name, year_of_logins};
pub use scratch::{MissingBinary, release_binary, scratch_dir, scratch_tempdir, target_dir};
