//! Tally's event model.
//!
//! A vendor's product sends Tally batches of events: usage (logins, page visits,
//! runs, AI calls, activity), user lifecycle changes, observations from integrated
//! systems and audit entries. This crate defines them as types, checks a raw batch
//! into those types with errors that name the line, field and reason, and renders
//! each event's canonical JSON (what the store keeps and compares).
//!
//! It holds no I/O and reads no clock. Account calendars live in `tally-calendar`.
//!
//! ```
//! use tally_events::{check_batch, EventBody, Limits};
//!
//! let body = br#"{"id":"e1","kind":"login","at":"2026-03-02T08:00:00+01:00","user":"u1"}
//! {"id":"e2","kind":"login","at":"yesterday","user":"u1"}"#;
//! let batch = check_batch(body, &Limits::default()).unwrap();
//! assert_eq!(batch.events.len(), 1);
//! assert!(matches!(batch.events[0].event.body, EventBody::Login(_)));
//! assert_eq!(
//!     batch.events[0].canonical_json,
//!     r#"{"id":"e1","at":"2026-03-02T07:00:00Z","kind":"login","user":"u1"}"#,
//! );
//! assert_eq!(
//!     batch.rejections[0].to_string(),
//!     r#"line 2, field `at`: "yesterday" is not an RFC 3339 instant with an offset (for example 2026-03-01T09:30:00Z)"#,
//! );
//! ```

#![deny(missing_docs)]

mod batch;
mod check;
mod error;
mod event;
mod free_json;
mod kind;
mod limits;
mod object;
mod values;

pub use batch::{
    BatchShape, CheckedBatch, CheckedEvent, check_batch, check_batch_parallel, check_batch_with,
};
pub use error::{BatchError, Problem, Rejection};
pub use event::*;
pub use kind::EventKind;
pub use limits::Limits;
pub use object::EventFields;
pub use values::{
    AuditStatus, IntegrationStatus, InteractionType, Operation, OriginType, ResourceKind, Role,
    RunStatus, RunTrigger, SourceType,
};
