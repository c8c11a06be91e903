//! `tally_ingest::serve` on a loopback port, on a tokio runtime of its own
//! thread, for the benchmarks that post batches to the daemon.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tally_store::{Store, StoreOptions};

/// The largest body the benchmarks' daemon takes: a 10,000-event batch with
/// room to spare.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The daemon, serving until [`Daemon::stop`].
pub struct Daemon {
    /// `http://127.0.0.1:PORT/v1/batch`.
    pub url: String,
    shutdown: tokio::sync::oneshot::Sender<()>,
    thread: JoinHandle<()>,
}

impl Daemon {
    /// Serves the store at `path`.
    pub fn start(path: &Path) -> Daemon {
        let write_store =
            Store::open(path, &StoreOptions::default()).expect("open the write store");
        let key_store = Store::open(path, &StoreOptions::default()).expect("open the key store");
        let audit = tally_ingest::audit::AuditLog::open(path, &tally_audit::key_file_for(path))
            .expect("open the audit log");
        let (address_sender, address) = mpsc::channel();
        let (shutdown, shutdown_received) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            // A multi-threaded runtime with one worker per core, as `tally-ingest serve` runs.
            let runtime = tokio::runtime::Runtime::new().expect("start a runtime");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
                address_sender.send(listener.local_addr().expect("local address")).expect("send");
                let stop = async move {
                    let _ = shutdown_received.await;
                };
                tally_ingest::serve(
                    listener,
                    write_store,
                    key_store,
                    audit,
                    tally_ingest::ServeOptions {
                        max_body_bytes: MAX_BODY_BYTES,
                        ..tally_ingest::ServeOptions::default()
                    },
                    stop,
                )
                .await
                .expect("serve");
            });
        });
        // The address is sent once the listener is bound, so the port already accepts.
        let address = address.recv().expect("the daemon's address");
        Daemon { url: format!("http://{address}/v1/batch"), shutdown, thread }
    }

    /// Stops the daemon after its batches in flight are committed.
    pub fn stop(self) {
        let _ = self.shutdown.send(());
        self.thread.join().expect("the daemon thread");
    }
}
