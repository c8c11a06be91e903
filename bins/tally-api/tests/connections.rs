//! Issue 13: idle and hostile connections against the real API binary, with
//! raw sockets on loopback. Every wait is bounded by a deadline.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{BINARY, fixture};

/// `tally-api serve` under `prlimit --nofile=1024:1024`, with `extra` arguments.
struct LimitedApi {
    child: Child,
    address: SocketAddr,
}

impl LimitedApi {
    fn start(db: &std::path::Path, extra: &[&str]) -> LimitedApi {
        let mut child = Command::new("/usr/bin/prlimit")
            .arg("--nofile=1024:1024")
            .arg(BINARY)
            .arg("--db")
            .arg(db)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn prlimit tally-api serve");
        // Ready when it prints its address: it does so after binding.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let address = line
            .strip_prefix("tally-api listening on http://")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        LimitedApi { child, address }
    }

    fn connect(&self) -> TcpStream {
        TcpStream::connect_timeout(&self.address, Duration::from_secs(10)).expect("connect")
    }

    /// Asks `raw` on a new connection; the answer's status and body, read until
    /// the API closes the connection (within `within`).
    fn exchange(&self, raw: &[u8], within: Duration) -> (u16, String) {
        let mut stream = self.connect();
        stream.write_all(raw).unwrap();
        let received = String::from_utf8(read_until_closed(&mut stream, within)).unwrap();
        let (head, body) =
            received.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no answer: {received:?}"));
        let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status");
        (status, body.to_owned())
    }
}

impl Drop for LimitedApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything the API sends until it closes the connection; panics when it is
/// still open after `within`.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Vec<u8> {
    let deadline = Instant::now() + within;
    let mut received = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "still open after {within:?}; received {received:?}");
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut chunk) {
            Ok(0) => return received,
            Ok(read) => received.extend_from_slice(&chunk[..read]),
            Err(error) if error.kind() == ErrorKind::ConnectionReset => return received,
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) => panic!("reading: {error}"),
        }
    }
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

/// 1,100 idle sockets against an API limited to 1,024 descriptors, held longer
/// than it takes to open them all: `/healthz` is answered within 3 s each time
/// (503 while the cap is full, 200 once the idle sockets time out), the sockets
/// past the cap are refused at once and the others closed by the 10 s
/// header-read timeout.
#[test]
fn issue_13_idle_sockets_cannot_exhaust_the_apis_descriptors() {
    let fixture = fixture();
    let api = LimitedApi::start(&fixture.db, &["--header-read-timeout-secs", "10"]);
    let opened = Instant::now();
    let mut idle: Vec<TcpStream> = (0..1_100).map(|_| api.connect()).collect();
    let opening = opened.elapsed();
    assert!(opening < Duration::from_secs(10), "opening 1,100 sockets took {opening:?}");

    loop {
        let attempt = Instant::now();
        let (status, body) = api.exchange(HEALTHZ, Duration::from_secs(3));
        assert!(
            attempt.elapsed() < Duration::from_secs(3),
            "answered after {:?}",
            attempt.elapsed()
        );
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("\"code\":\"too_many_connections\""), "{body}");
        // 10 s of header-read timeout from the first socket, and 5 s more.
        assert!(opened.elapsed() < Duration::from_secs(15), "not healthy within 15 s");
        std::thread::sleep(Duration::from_millis(250));
    }

    let mut refused = 0;
    for stream in &mut idle {
        let received = read_until_closed(stream, Duration::from_secs(15));
        if received.starts_with(b"HTTP/1.1 503 ") {
            refused += 1;
        } else {
            assert_eq!(received, b"");
        }
    }
    // At most 512 are served at once (the default cap).
    assert!(refused >= 1_100 - 512, "{refused} refused");
}

#[test]
fn issue_13_the_api_refuses_content_length_with_transfer_encoding_and_slow_bodies() {
    let fixture = fixture();
    let api = LimitedApi::start(&fixture.db, &["--body-read-timeout-secs", "1"]);
    let token = &fixture.tokens.acme_staff_admin;
    let put = |headers: &str, body: &str| {
        format!(
            "PUT /v1/monitor/tracking HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\n{headers}\r\n{body}"
        )
    };
    let (status, body) = api.exchange(
        put("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n").as_bytes(),
        Duration::from_secs(5),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"code\":\"ambiguous_length\""), "{body}");

    // 100 bytes declared, one sent: answered and closed after the 1 s timeout.
    let (status, body) =
        api.exchange(put("Content-Length: 100\r\n", "{").as_bytes(), Duration::from_secs(5));
    assert_eq!(status, 408, "{body}");
}
