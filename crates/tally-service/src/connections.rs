//! Accepting and serving connections, the one loop both daemons use, so that a
//! client that sends nothing, sends slowly or opens too many connections is
//! closed or refused instead of holding the daemon's descriptors and memory.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::Problem;
use crate::framing::{AmbiguousRequests, FollowedStream};

/// Default of [`ConnectionLimits::header_read_timeout`], in seconds.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Default of [`ConnectionLimits::body_read_timeout`], in seconds.
pub const DEFAULT_BODY_READ_TIMEOUT_SECS: u64 = 30;
/// Default of [`ConnectionLimits::max_connections`]: half the common descriptor
/// limit of 1,024, leaving room for the database, the log and refusals.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// How long a client may take and how many it may be at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to send a request's whole header block, counted from the opening of
    /// the connection or from the end of the previous response. It is also the
    /// idle keep-alive timeout: hyper starts this clock as soon as it waits for
    /// a request, so a connection idle for this long is closed (no answer).
    pub header_read_timeout: Duration,
    /// Time a request body may go without a byte arriving; the request is then
    /// answered 408 and the connection closed.
    pub body_read_timeout: Duration,
    /// Connections served at once. One over is answered 503 (a problem
    /// document with `Retry-After`) and closed without its request being read,
    /// within half a second whatever the client does.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            body_read_timeout: Duration::from_secs(DEFAULT_BODY_READ_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// `--header-read-timeout-secs`, `--body-read-timeout-secs` and
/// `--max-connections`, the same on both daemons, to `#[command(flatten)]`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ConnectionArgs {
    /// Seconds a client has to send a request's headers, from the connection's
    /// opening or the end of the previous response; an idle keep-alive connection
    /// is closed after as long.
    #[arg(
        long,
        env = "TALLY_HEADER_READ_TIMEOUT_SECS",
        default_value_t = DEFAULT_HEADER_READ_TIMEOUT_SECS,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub header_read_timeout_secs: u64,
    /// Seconds a request body may go without a byte arriving before the request
    /// is answered 408.
    #[arg(
        long,
        env = "TALLY_BODY_READ_TIMEOUT_SECS",
        default_value_t = DEFAULT_BODY_READ_TIMEOUT_SECS,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub body_read_timeout_secs: u64,
    /// Connections served at once; one more is answered 503 and closed. Keep it
    /// well below the descriptor limit (`ulimit -n`).
    #[arg(
        long,
        env = "TALLY_MAX_CONNECTIONS",
        default_value_t = DEFAULT_MAX_CONNECTIONS as u64,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub max_connections: u64,
}

impl ConnectionArgs {
    /// The limits these arguments set.
    pub fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            body_read_timeout: Duration::from_secs(self.body_read_timeout_secs),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
        }
    }
}

/// Serves `router` over HTTP/1.1 on `listener` within `limits` until `shutdown`
/// completes; then stops accepting, lets the requests in flight finish for at
/// most `grace`, and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let router = router.layer(RequestBodyTimeoutLayer::new(limits.body_read_timeout));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    // Every connection's task, so that those still running after the grace
    // period are ended, dropping their handle on the router (and so on whatever
    // the daemon's state holds, such as the ingest writer's queue).
    let mut tasks = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    wait_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            tokio::spawn(refuse_over_capacity(stream, limits.max_connections));
            continue;
        };
        while tasks.try_join_next().is_some() {}
        let ambiguous = Arc::new(AmbiguousRequests::new());
        let stream = TokioIo::new(FollowedStream::new(stream, Arc::clone(&ambiguous)));
        let routed = TowerToHyperService::new(router.clone());
        let requests_seen = AtomicU64::new(0);
        let service = hyper::service::service_fn(move |request| {
            let number = requests_seen.fetch_add(1, Ordering::Relaxed);
            // Refused unread: hyper then closes the connection, and with it
            // whatever a proxy trusting the length took for another request.
            let answer = (!ambiguous.is_ambiguous(number))
                .then(|| hyper::service::Service::call(&routed, request));
            async move {
                match answer {
                    Some(answer) => answer.await,
                    None => Ok(ambiguous_length().into_response()),
                }
            }
        });
        let connection = graceful.watch(http.serve_connection(stream, service));
        tasks.spawn(async move {
            // Timeouts and clients that go away end here; neither is the
            // daemon's fault, so they are not warnings.
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running after {grace:?}; stopping anyway");
        tasks.abort_all();
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Whether `error`, or one of its causes, is the body-read timeout striking:
/// how a handler tells a body too slow to arrive (408) from a broken one.
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if current.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = current.source();
    }
    false
}

/// Waits before the next accept when accepting failed: without descriptors left
/// (EMFILE) the pending connection stays queued and would fail again at once.
async fn wait_after_accept_error(error: &std::io::Error) {
    match error.kind() {
        std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset => {}
        _ => {
            tracing::warn!(%error, "cannot accept a connection; retrying in 50 ms");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The answer to a request declaring both `Content-Length` and
/// `Transfer-Encoding`.
fn ambiguous_length() -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "ambiguous_length",
        "Bad Request",
        "the request declares both Content-Length and Transfer-Encoding; send one of them \
         (behind a proxy trusting the length, the rest would be read as another request)"
            .into(),
    )
}

/// Answers a connection over the cap with a 503 problem document and closes it
/// within half a second, so that refusals cannot pile up either.
async fn refuse_over_capacity(mut stream: TcpStream, max_connections: usize) {
    let problem = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "too_many_connections",
        "Service Unavailable",
        format!("the daemon serves {max_connections} connections at once; retry in a second"),
    );
    let body = serde_json::to_string(&problem).expect("a problem always serialises");
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let refused = async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client already sent before closing: closing with unread
        // bytes resets the connection, and the client might lose the answer.
        let mut discarded = [0_u8; 4096];
        let mut total_bytes = 0;
        while total_bytes < 64 * 1024 {
            match stream.read(&mut discarded).await? {
                0 => break,
                read => total_bytes += read,
            }
        }
        std::io::Result::Ok(())
    };
    let _ = tokio::time::timeout(Duration::from_millis(500), refused).await;
}
