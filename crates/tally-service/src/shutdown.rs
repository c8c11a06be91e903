//! When a daemon stops.

use std::future::Future;

/// Listens for SIGTERM (what service managers send) and Ctrl-C from the
/// moment it is called, and answers a future that completes at the first.
///
/// Call it inside the runtime, before announcing the daemon's address: a
/// signal sent once the address is known must stop the daemon cleanly, and
/// listeners registered only when the future is first polled would leave a
/// window in which SIGTERM kills it instead.
///
/// Where a signal cannot be listened for, only the other stops the daemon;
/// that is logged, since a service manager's stop would then end in a kill.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (terminate, interrupt) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |listened: std::io::Result<tokio::signal::unix::Signal>,
                        name: &'static str| async move {
                match listened {
                    Ok(mut signal) => {
                        signal.recv().await;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "cannot listen for {name}");
                        std::future::pending::<()>().await;
                    }
                }
            };
            tokio::select! {
                () = wait(terminate, "SIGTERM") => {},
                () = wait(interrupt, "Ctrl-C") => {},
            }
        }
        #[cfg(not(unix))]
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down: finishing the requests in flight");
    }
}
