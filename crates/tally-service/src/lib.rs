//! The shell Tally's three binaries share, so that they take the same
//! arguments, log the same way, stop on the same signals and answer errors in
//! the same shape.
//!
//! - [`DatabaseArgs`]: `--db` and `--audit-key-file`, to `#[command(flatten)]`;
//!   [`DatabaseArgs::existing_database`] for the commands that must not create
//!   the file.
//! - [`ListenAddress`]: a daemon's `--listen HOST:PORT`, host names included.
//! - [`LogArgs`] and [`init_logging`]: `--log-format text|json` and the
//!   tracing subscriber on standard error.
//! - [`shutdown_signal`]: SIGTERM or Ctrl-C.
//! - [`Problem`]: the RFC 9457 problem document both daemons answer errors with.
//! - [`serve`] with [`ConnectionLimits`] (from [`ConnectionArgs`]): the HTTP/1.1
//!   accept loop both daemons serve with: header and body read timeouts, a cap
//!   on connections, requests declaring both `Content-Length` and
//!   `Transfer-Encoding` refused, and the graceful stop.
//!
//! ```no_run
//! use clap::Parser;
//!
//! #[derive(Parser)]
//! struct Cli {
//!     #[command(flatten)]
//!     database: tally_service::DatabaseArgs,
//!     #[command(flatten)]
//!     log: tally_service::LogArgs,
//! }
//!
//! let cli = Cli::parse();
//! tally_service::init_logging(cli.log.log_format, "info");
//! println!("database {}, audit key {}", cli.database.db.display(),
//!     cli.database.audit_key_file().display());
//! ```
//!
//! Only binaries depend on this crate: it brings in clap, axum, hyper, tokio's
//! signals and tracing-subscriber, which the libraries stay free of.

#![deny(missing_docs)]

mod args;
mod connections;
mod framing;
mod listen;
mod logging;
mod problem;
mod shutdown;

pub use args::{DatabaseArgs, MissingDatabase};
pub use connections::{
    ConnectionArgs, ConnectionLimits, DEFAULT_BODY_READ_TIMEOUT_SECS,
    DEFAULT_HEADER_READ_TIMEOUT_SECS, DEFAULT_MAX_CONNECTIONS, is_body_timeout, serve,
};
pub use listen::{BadListenAddress, ListenAddress};
pub use logging::{LogArgs, LogFormat, init_logging};
pub use problem::{PROBLEM_TYPE_PREFIX, Problem};
pub use shutdown::shutdown_signal;

/// An error and its causes on one line, for the log.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
