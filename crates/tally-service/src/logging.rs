//! The log: tracing events on standard error, as text for people or as JSON
//! for operators who ship logs.

use std::io::IsTerminal;

use clap::{Args, ValueEnum};
use tracing_subscriber::EnvFilter;

/// The logging arguments every binary takes.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// How log lines are written to standard error: text for people, or one
    /// JSON object a line for log shippers.
    #[arg(long, global = true, env = "TALLY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per event, coloured on a terminal.
    Text,
    /// One JSON object per event: `timestamp`, `level`, `fields` (the message
    /// among them), `target`.
    Json,
}

/// Sends tracing events to standard error in `format`, filtered by `RUST_LOG`
/// when it is set and parses, else by `default_filter` (such as `"info"`).
///
/// Colours are written only when standard error is a terminal: escape codes in
/// a file or a log collector are noise.
pub fn init_logging(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}
