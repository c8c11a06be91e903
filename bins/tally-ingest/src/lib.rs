//! The ingest daemon's parts, wired by `main.rs` and driven by the benchmarks:
//! the HTTP server ([`server`]), its OpenAPI document ([`openapi`]) and its body reading ([`body`]), the writer thread ([`writer`]), the file
//! importer ([`import`]), the one [`outcome`] of a batch both report, and the
//! thread that keeps every account's derived state fresh ([`upkeep`]).

#![deny(missing_docs)]

pub mod audit;
pub mod body;
pub mod compat;
pub mod demo;
pub mod import;
pub mod openapi;
pub mod outcome;
pub mod server;
pub mod upkeep;
pub mod writer;

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tally_events::Limits;
use tally_service::ConnectionLimits;
use tally_store::Store;
use tokio::net::TcpListener;

use crate::body::{BodyBudget, DEFAULT_BODY_BUDGET_BYTES};
use crate::server::IngestState;
use crate::writer::Writer;

/// Default of [`ServeOptions::max_body_bytes`].
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How long requests in flight may take to finish once the daemon is told to stop.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// What the daemon accepts and holds.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// Per-event and per-batch limits.
    pub limits: Limits,
    /// Largest accepted body, in bytes, as sent and once inflated.
    pub max_body_bytes: usize,
    /// Bytes all bodies in flight may hold at once; at least `max_body_bytes`.
    pub body_budget_bytes: usize,
    /// Timeouts and the cap on connections.
    pub connections: ConnectionLimits,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            limits: Limits::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_budget_bytes: DEFAULT_BODY_BUDGET_BYTES,
            connections: ConnectionLimits::default(),
        }
    }
}

/// Serves `POST /v1/batch` on `listener` until `shutdown` completes, then finishes
/// the requests in flight (for at most [`SHUTDOWN_GRACE`]), commits what they
/// submitted and returns.
pub async fn serve(
    listener: TcpListener,
    write_store: Store,
    key_store: Store,
    audit: audit::AuditLog,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (writer, handle) = Writer::start(write_store, 64);
    let state = IngestState {
        keys: Arc::new(Mutex::new(key_store)),
        audit: Arc::new(audit),
        writer: handle,
        limits: options.limits,
        max_body_bytes: options.max_body_bytes,
        body_budget: BodyBudget::new(options.body_budget_bytes.max(options.max_body_bytes)),
        check_threads: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
    };
    let served = tally_service::serve(
        listener,
        server::router(state),
        options.connections,
        shutdown,
        SHUTDOWN_GRACE,
    )
    .await;
    // The router (and with it the last writer handle) is gone: the writer drains and stops.
    tokio::task::spawn_blocking(move || writer.join()).await.expect("joining the writer");
    served
}
