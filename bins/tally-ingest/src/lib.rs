//! The ingest daemon's parts, wired by `main.rs` and driven by the benchmarks:
//! the HTTP server ([`server`]), the writer thread ([`writer`]), the file
//! importer ([`import`]), the one [`outcome`] of a batch both report, and the
//! thread that keeps every account's derived state fresh ([`upkeep`]).

#![deny(missing_docs)]

pub mod audit;
pub mod demo;
pub mod import;
pub mod outcome;
pub mod server;
pub mod upkeep;
pub mod writer;

use std::future::Future;
use std::sync::{Arc, Mutex};

use tally_events::Limits;
use tally_store::Store;
use tokio::net::TcpListener;

use crate::server::IngestState;
use crate::writer::Writer;

/// Serves `POST /v1/batch` on `listener` until `shutdown` completes, then finishes
/// the requests in flight, commits what they submitted and returns.
pub async fn serve(
    listener: TcpListener,
    write_store: Store,
    key_store: Store,
    audit: audit::AuditLog,
    limits: Limits,
    max_body_bytes: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (writer, handle) = Writer::start(write_store, 64);
    let state = IngestState {
        keys: Arc::new(Mutex::new(key_store)),
        audit: Arc::new(audit),
        writer: handle,
        limits,
        max_body_bytes,
    };
    let served =
        axum::serve(listener, server::router(state)).with_graceful_shutdown(shutdown).await;
    // The router (and with it the last writer handle) is gone: the writer drains and stops.
    tokio::task::spawn_blocking(move || writer.join()).await.expect("joining the writer");
    served
}
