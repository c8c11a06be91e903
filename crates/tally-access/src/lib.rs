//! Who may read what in Tally.
//!
//! A [`Principal`] is whoever a request acts for: an account's administrator or
//! member, or one of the vendor's staff. Each kind of data has one method on
//! `Principal` that either grants it, as a capability value naming exactly what may
//! be read, or says why not. The store's reading functions take these capabilities,
//! so a service that embeds the store gets the same checks as Tally's HTTP API.
//!
//! ```
//! use tally_access::{Denied, Principal};
//!
//! let member = Principal::Member { account: "acme".into(), user: "u-1842".into() };
//! // A member sees their own action runs, and no one else's.
//! let runs = member.read_runs("acme").unwrap();
//! assert_eq!(runs.only_user(), Some("u-1842"));
//! // The usage dashboard is for the account's administrators.
//! assert!(matches!(member.read_usage("acme"), Err(Denied::Forbidden { .. })));
//! // Another account is not found, whether or not it exists.
//! assert!(matches!(member.read_runs("globex"), Err(Denied::NotFound { .. })));
//! ```

#![deny(missing_docs)]

mod principal;
mod token;

pub use principal::{
    AccountUsage, AuditView, Denied, MonitorView, Principal, Role, RoleError, RunsView, StaffScope,
    TrackingChange, UsageReports,
};
pub use token::{ApiToken, TokenError, TokenId};
