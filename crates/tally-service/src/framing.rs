//! Finding a request that declares both `Content-Length` and
//! `Transfer-Encoding`, which hyper lets through (chunked wins, the length is
//! dropped from the headers): behind a proxy that trusts the length, such a
//! request smuggles a second one. hyper hides the pair from the handler, so the
//! bytes are followed here, request by request, as hyper reads them.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most header lines followed, as many as hyper accepts by default.
const MAX_HEADERS: usize = 100;
/// The most bytes kept of an unfinished head or line; hyper refuses far less.
const MAX_KEPT_BYTES: usize = 1024 * 1024;

/// Where a connection's requests stand, shared by its reader and its service.
#[derive(Debug, Default)]
pub(crate) struct AmbiguousRequests {
    /// The 0-based number, on its connection, of the first request declaring
    /// both lengths; `u64::MAX` while there is none.
    first: AtomicU64,
}

impl AmbiguousRequests {
    pub(crate) fn new() -> AmbiguousRequests {
        AmbiguousRequests { first: AtomicU64::new(u64::MAX) }
    }

    /// Whether request `number` (0-based, on this connection) declares both.
    pub(crate) fn is_ambiguous(&self, number: u64) -> bool {
        self.first.load(Ordering::Acquire) == number
    }
}

/// A connection's stream, followed as it is read.
pub(crate) struct FollowedStream<S> {
    stream: S,
    framing: RequestFraming,
    ambiguous: Arc<AmbiguousRequests>,
}

impl<S> FollowedStream<S> {
    pub(crate) fn new(stream: S, ambiguous: Arc<AmbiguousRequests>) -> FollowedStream<S> {
        FollowedStream { stream, framing: RequestFraming::default(), ambiguous }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FollowedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && let Some(number) = this.framing.follow(&buf.filled()[before..])
        {
            this.ambiguous.first.store(number, Ordering::Release);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FollowedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, bytes)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buffers: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, buffers)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// What the next bytes of a connection are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Expecting {
    /// A request head.
    #[default]
    Head,
    /// The rest of a body of declared length.
    Body { left_bytes: u64 },
    /// A chunk's size line.
    ChunkSize,
    /// The rest of a chunk and its CRLF.
    ChunkData { left_bytes: u64 },
    /// A trailer line, or the empty line ending a chunked body.
    Trailer,
    /// Nothing followed any more: after an ambiguous request (hyper closes the
    /// connection after it) or bytes hyper will refuse too.
    Nothing,
}

/// Follows the requests of one connection through their heads and bodies.
#[derive(Debug, Default)]
struct RequestFraming {
    expecting: Expecting,
    /// The start of a head or line that has not all arrived.
    kept: Vec<u8>,
    heads_seen: u64,
}

impl RequestFraming {
    /// Follows `bytes`, the next the connection received; answers the number of
    /// the request whose head declares both lengths, when they complete it.
    fn follow(&mut self, mut bytes: &[u8]) -> Option<u64> {
        while !bytes.is_empty() {
            match self.expecting {
                Expecting::Nothing => return None,
                Expecting::Body { left_bytes } => {
                    let left_bytes = left_bytes - skip(&mut bytes, left_bytes);
                    self.expecting = match left_bytes {
                        0 => Expecting::Head,
                        _ => Expecting::Body { left_bytes },
                    };
                }
                Expecting::ChunkData { left_bytes } => {
                    let left_bytes = left_bytes - skip(&mut bytes, left_bytes);
                    self.expecting = match left_bytes {
                        0 => Expecting::ChunkSize,
                        _ => Expecting::ChunkData { left_bytes },
                    };
                }
                Expecting::Head => {
                    let (used, head) = self.complete(bytes, parse_head)?;
                    bytes = &bytes[used..];
                    let Some(head) = head else {
                        self.expecting = Expecting::Nothing;
                        return None;
                    };
                    let number = self.heads_seen;
                    self.heads_seen += 1;
                    self.expecting = match head {
                        Head { content_length: Some(_), chunked: true } => {
                            self.expecting = Expecting::Nothing;
                            return Some(number);
                        }
                        Head { chunked: true, .. } => Expecting::ChunkSize,
                        Head { content_length: Some(0) | None, .. } => Expecting::Head,
                        Head { content_length: Some(left_bytes), .. } => {
                            Expecting::Body { left_bytes }
                        }
                    };
                }
                Expecting::ChunkSize => {
                    let (used, size) = self.complete(bytes, parse_chunk_size)?;
                    bytes = &bytes[used..];
                    self.expecting = match size {
                        None => Expecting::Nothing,
                        Some(0) => Expecting::Trailer,
                        // The chunk's data, then its CRLF.
                        Some(size) => Expecting::ChunkData { left_bytes: size.saturating_add(2) },
                    };
                }
                Expecting::Trailer => {
                    let (used, is_empty) = self.complete(bytes, parse_line)?;
                    bytes = &bytes[used..];
                    if is_empty == Some(true) {
                        self.expecting = Expecting::Head;
                    }
                }
            }
        }
        None
    }

    /// Runs `parse` over what is kept and `bytes`; answers how many of `bytes`
    /// it used and what it found, or `None` (keeping them) when it needs more.
    /// `parse` answers how many bytes it used and what it found (`None` for
    /// bytes hyper refuses too), or `None` when it needs more.
    fn complete<T>(
        &mut self,
        bytes: &[u8],
        parse: impl Fn(&[u8]) -> Option<(usize, Option<T>)>,
    ) -> Option<(usize, Option<T>)> {
        if self.kept.is_empty() {
            if let Some(done) = parse(bytes) {
                return Some(done);
            }
        } else {
            let kept_bytes = self.kept.len();
            self.kept.extend_from_slice(bytes);
            if let Some((used, found)) = parse(&self.kept) {
                self.kept.clear();
                return Some((used.saturating_sub(kept_bytes), found));
            }
            self.kept.truncate(kept_bytes);
        }
        if self.kept.len() + bytes.len() > MAX_KEPT_BYTES {
            self.expecting = Expecting::Nothing;
            self.kept = Vec::new();
            return None;
        }
        self.kept.extend_from_slice(bytes);
        None
    }
}

/// Passes over up to `left_bytes` of `bytes`, answering how many.
fn skip(bytes: &mut &[u8], left_bytes: u64) -> u64 {
    let skipped = usize::try_from(left_bytes).map_or(bytes.len(), |left| left.min(bytes.len()));
    *bytes = &bytes[skipped..];
    skipped as u64
}

/// What a head says of its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    content_length: Option<u64>,
    chunked: bool,
}

fn parse_head(bytes: &[u8]) -> Option<(usize, Option<Head>)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Partial) => None,
        Err(_) => Some((bytes.len(), None)),
        Ok(httparse::Status::Complete(used)) => {
            let mut head = Head { content_length: None, chunked: false };
            for header in request.headers.iter() {
                if header.name.eq_ignore_ascii_case("transfer-encoding") {
                    head.chunked = true;
                } else if header.name.eq_ignore_ascii_case("content-length") {
                    let length = std::str::from_utf8(header.value)
                        .ok()
                        .and_then(|text| text.trim().parse::<u64>().ok());
                    match length {
                        Some(length) => head.content_length = Some(length),
                        // hyper refuses a length it cannot read.
                        None => return Some((used, None)),
                    }
                }
            }
            Some((used, Some(head)))
        }
    }
}

fn parse_chunk_size(bytes: &[u8]) -> Option<(usize, Option<u64>)> {
    match httparse::parse_chunk_size(bytes) {
        Ok(httparse::Status::Partial) => None,
        Ok(httparse::Status::Complete((used, size))) => Some((used, Some(size))),
        Err(_) => Some((bytes.len(), None)),
    }
}

/// A line up to its LF: whether it is empty.
fn parse_line(bytes: &[u8]) -> Option<(usize, Option<bool>)> {
    let end = bytes.iter().position(|&byte| byte == b'\n')?;
    let line = &bytes[..end];
    Some((end + 1, Some(line.is_empty() || line == b"\r")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `stream` in pieces of `piece_bytes` and answers the ambiguous
    /// request's number.
    fn check(stream: &str, piece_bytes: usize, expected: Option<u64>) {
        let mut framing = RequestFraming::default();
        let mut found = None;
        for piece in stream.as_bytes().chunks(piece_bytes) {
            if let Some(number) = framing.follow(piece) {
                found = Some(number);
            }
        }
        assert_eq!(found, expected, "in pieces of {piece_bytes}: {stream:?}");
    }

    fn check_all_pieces(stream: &str, expected: Option<u64>) {
        for piece_bytes in [1, 2, 3, 7, 64, stream.len()] {
            check(stream, piece_bytes, expected);
        }
    }

    const GET: &str = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
    const SIZED: &str = "POST /v1/batch HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    const CHUNKED: &str = "POST /v1/batch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
                           5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\nA-Trailer: 1\r\n\r\n";
    const BOTH: &str = "POST /v1/batch HTTP/1.1\r\nContent-Length: 5\r\n\
                        Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";

    #[test]
    fn plain_requests_are_not_ambiguous() {
        check_all_pieces(&[GET, SIZED, CHUNKED, GET].concat(), None);
    }

    #[test]
    fn the_request_declaring_both_lengths_is_found_by_its_number() {
        check_all_pieces(BOTH, Some(0));
        // Requests 0 to 2, then 3 declares both.
        check_all_pieces(&[GET, SIZED, CHUNKED, BOTH].concat(), Some(3));
        let length_last = BOTH.replace(
            "Content-Length: 5\r\nTransfer-Encoding: chunked",
            "Transfer-Encoding: chunked\r\nContent-Length: 5",
        );
        check_all_pieces(&[CHUNKED, &length_last].concat(), Some(1));
    }

    #[test]
    fn a_body_holding_header_lines_is_not_read_as_a_head() {
        let body = "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
        let sized = format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        check_all_pieces(&[sized.as_str(), GET].concat(), None);
    }
}
