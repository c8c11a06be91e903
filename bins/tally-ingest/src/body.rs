//! Reading a batch's body: within the size limit, within the daemon's budget of
//! bytes held for bodies in flight, and inflated when it is gzip.
//!
//! The budget is what bounds the daemon's memory whatever clients do: a body
//! whose `Content-Length` does not fit what is left of it is refused before a
//! byte of it is read, and a chunked one takes budget as it arrives. What a
//! body took is given back when its batch is answered, since checking and
//! writing it hold memory in proportion to it until then.

use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Default of the daemon's budget for bodies in flight: four bodies of the
/// default size limit at once.
pub const DEFAULT_BODY_BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// The bytes the daemon may hold for request bodies at once, shared by every
/// request.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    available: Arc<Semaphore>,
    total_bytes: usize,
}

impl BodyBudget {
    /// A budget of `total_bytes`.
    pub fn new(total_bytes: usize) -> BodyBudget {
        // A semaphore holds at most `usize::MAX >> 3` permits: far above any memory.
        let total_bytes = total_bytes.min(Semaphore::MAX_PERMITS);
        BodyBudget { available: Arc::new(Semaphore::new(total_bytes)), total_bytes }
    }

    /// Bytes not taken by a body right now.
    pub fn available_bytes(&self) -> usize {
        self.available.available_permits()
    }
}

/// Why a body was not read, or not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyRefusal {
    /// Longer than the size limit, as declared or as it arrived.
    #[error("the body is larger than the limit of {limit_bytes} bytes; split the batch")]
    TooLarge {
        /// The limit.
        limit_bytes: usize,
    },
    /// A gzip body that inflates past the size limit.
    #[error(
        "the gzip body inflates to more than the limit of {limit_bytes} bytes; split the batch"
    )]
    InflatesTooLarge {
        /// The limit.
        limit_bytes: usize,
    },
    /// The bodies in flight already hold the budget.
    #[error(
        "the daemon holds as many request bodies as its budget of {budget_bytes} bytes allows; \
         retry the batch after Retry-After seconds"
    )]
    OverBudget {
        /// The whole budget.
        budget_bytes: usize,
    },
    /// No byte of the body arrived within the body-read timeout.
    #[error("the body stopped arriving: no byte came within the body-read timeout")]
    TooSlow,
    /// The body's framing is broken, such as a malformed chunked encoding, or
    /// the client went away before sending all it declared.
    #[error("the body could not be read: {reason}")]
    Unreadable {
        /// What the HTTP layer said.
        reason: String,
    },
    /// Labelled gzip, but not gzip.
    #[error("the body is labelled `Content-Encoding: gzip` but is not gzip: {reason}")]
    NotGzip {
        /// What inflating it said.
        reason: String,
    },
    /// A `Content-Encoding` other than gzip or identity.
    #[error("`Content-Encoding: {encoding}` is not supported; send the body as gzip or unencoded")]
    UnsupportedEncoding {
        /// The header's value.
        encoding: String,
    },
}

/// How a body is encoded (`Content-Encoding`), of those the daemon reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentCoding {
    /// No header, or `identity`.
    Identity,
    /// `gzip` (or its old name `x-gzip`).
    Gzip,
}

impl ContentCoding {
    /// The coding `headers` declare; codings listed together are applied in
    /// order, and only one gzip among identities is read.
    pub fn of(headers: &HeaderMap) -> Result<ContentCoding, BodyRefusal> {
        let mut coding = ContentCoding::Identity;
        for value in headers.get_all(header::CONTENT_ENCODING) {
            let unsupported =
                || BodyRefusal::UnsupportedEncoding { encoding: describe_value(value.as_bytes()) };
            let text = value.to_str().map_err(|_| unsupported())?;
            for name in text.split(',').map(str::trim).filter(|name| !name.is_empty()) {
                if name.eq_ignore_ascii_case("identity") {
                    continue;
                }
                let is_gzip =
                    name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip");
                if !is_gzip || coding == ContentCoding::Gzip {
                    return Err(unsupported());
                }
                coding = ContentCoding::Gzip;
            }
        }
        Ok(coding)
    }
}

fn describe_value(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

/// Bodies from this size on are kept in a memory map of their own.
pub const MAPPED_FROM_BYTES: usize = 4 * 1024 * 1024;

/// Where a body's bytes are kept. Small ones are on the heap. Large ones have
/// an anonymous memory map of their own, so that their memory goes back to the
/// system the moment they are dropped: mimalloc keeps freed memory for reuse
/// and gives it back only at some later allocation, which after a burst of
/// large uploads may not come.
#[derive(Debug)]
enum BodyStorage {
    Heap(Vec<u8>),
    Mapped { map: memmap2::MmapMut, len_bytes: usize },
}

impl BodyStorage {
    fn with_capacity(capacity_bytes: usize) -> std::io::Result<BodyStorage> {
        if capacity_bytes < MAPPED_FROM_BYTES {
            Ok(BodyStorage::Heap(Vec::with_capacity(capacity_bytes)))
        } else {
            let map = memmap2::MmapMut::map_anon(capacity_bytes)?;
            Ok(BodyStorage::Mapped { map, len_bytes: 0 })
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            BodyStorage::Heap(bytes) => bytes,
            BodyStorage::Mapped { map, len_bytes } => &map[..*len_bytes],
        }
    }

    fn capacity(&self) -> usize {
        match self {
            BodyStorage::Heap(bytes) => bytes.capacity(),
            BodyStorage::Mapped { map, .. } => map.len(),
        }
    }

    /// Appends `data`, which fits the capacity.
    fn extend_from_slice(&mut self, data: &[u8]) {
        match self {
            BodyStorage::Heap(bytes) => bytes.extend_from_slice(data),
            BodyStorage::Mapped { map, len_bytes } => {
                map[*len_bytes..*len_bytes + data.len()].copy_from_slice(data);
                *len_bytes += data.len();
            }
        }
    }
}

/// A body's bytes, with the part of the budget they hold.
#[derive(Debug)]
pub struct BodyBuffer {
    bytes: BodyStorage,
    lease: BudgetLease,
    limit_bytes: usize,
}

/// A part of the budget, given back when dropped.
#[derive(Debug)]
pub struct BudgetLease {
    budget: BodyBudget,
    permit: Option<OwnedSemaphorePermit>,
}

impl BudgetLease {
    fn held_bytes(&self) -> usize {
        self.permit.as_ref().map_or(0, OwnedSemaphorePermit::num_permits)
    }

    /// Takes `bytes` more, at once or not at all.
    fn take(&mut self, bytes: usize) -> Result<(), BodyRefusal> {
        let over_budget = || BodyRefusal::OverBudget { budget_bytes: self.budget.total_bytes };
        let permits = u32::try_from(bytes).map_err(|_| over_budget())?;
        let taken = Arc::clone(&self.budget.available)
            .try_acquire_many_owned(permits)
            .map_err(|_| over_budget())?;
        match &mut self.permit {
            Some(permit) => permit.merge(taken),
            None => self.permit = Some(taken),
        }
        Ok(())
    }
}

impl BodyBuffer {
    fn new(budget: &BodyBudget, limit_bytes: usize) -> BodyBuffer {
        BodyBuffer {
            bytes: BodyStorage::Heap(Vec::new()),
            lease: BudgetLease { budget: budget.clone(), permit: None },
            limit_bytes,
        }
    }

    /// The body.
    pub fn as_slice(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// Frees the bytes but keeps their budget, for as long as what was made
    /// from them is held.
    pub fn into_lease(self) -> BudgetLease {
        self.lease
    }

    /// Makes room for `capacity_bytes` in all, within the limit and the budget.
    fn reserve(&mut self, capacity_bytes: usize) -> Result<(), BodyRefusal> {
        if capacity_bytes > self.limit_bytes {
            return Err(BodyRefusal::TooLarge { limit_bytes: self.limit_bytes });
        }
        let held_bytes = self.lease.held_bytes();
        if capacity_bytes > held_bytes {
            self.lease.take(capacity_bytes - held_bytes)?;
        }
        if capacity_bytes > self.bytes.capacity() {
            let mut grown = BodyStorage::with_capacity(capacity_bytes).map_err(|_| {
                BodyRefusal::OverBudget { budget_bytes: self.lease.budget.total_bytes }
            })?;
            grown.extend_from_slice(self.bytes.as_slice());
            self.bytes = grown;
        }
        Ok(())
    }

    fn extend(&mut self, data: &[u8]) -> Result<(), BodyRefusal> {
        let needed_bytes = self.bytes.as_slice().len() + data.len();
        if needed_bytes > self.lease.held_bytes() {
            // Doubling keeps a chunked body's copies few; when the budget cannot
            // give the double, exactly what is needed may still fit.
            let doubled_bytes = (2 * self.lease.held_bytes())
                .clamp(needed_bytes, self.limit_bytes.max(needed_bytes));
            if self.reserve(doubled_bytes).is_err() {
                self.reserve(needed_bytes)?;
            }
        }
        self.bytes.extend_from_slice(data);
        Ok(())
    }

    /// The body inflated from gzip, within the same limit; the compressed
    /// bytes' budget is given back once it is inflated.
    pub fn inflate_gzip(self) -> Result<BodyBuffer, BodyRefusal> {
        let mut inflated = BodyBuffer::new(&self.lease.budget, self.limit_bytes);
        let mut decoder = flate2::read::MultiGzDecoder::new(self.as_slice());
        let mut chunk = vec![0_u8; 64 * 1024];
        loop {
            let read = decoder
                .read(&mut chunk)
                .map_err(|error| BodyRefusal::NotGzip { reason: error.to_string() })?;
            if read == 0 {
                return Ok(inflated);
            }
            inflated.extend(&chunk[..read]).map_err(|refusal| match refusal {
                BodyRefusal::TooLarge { limit_bytes } => {
                    BodyRefusal::InflatesTooLarge { limit_bytes }
                }
                other => other,
            })?;
        }
    }
}

/// Reads `body`, declared by `headers`, into a buffer within `limit_bytes` and
/// `budget`. A declared length is checked, and its budget taken, before any of
/// the body is read.
pub async fn read_body(
    body: Body,
    headers: &HeaderMap,
    budget: &BodyBudget,
    limit_bytes: usize,
) -> Result<BodyBuffer, BodyRefusal> {
    let mut buffer = BodyBuffer::new(budget, limit_bytes);
    let declared_bytes = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if let Some(declared_bytes) = declared_bytes {
        let declared_bytes = usize::try_from(declared_bytes).unwrap_or(usize::MAX);
        buffer.reserve(declared_bytes)?;
    }
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| classify_read_error(&error))?;
        if let Ok(data) = frame.into_data() {
            buffer.extend(&data)?;
        }
    }
    Ok(buffer)
}

/// A 408 when the body-read timeout struck, else a 400 naming what hyper said.
fn classify_read_error(error: &axum::Error) -> BodyRefusal {
    if tally_service::is_body_timeout(error) {
        return BodyRefusal::TooSlow;
    }
    // The error comes wrapped in layers that repeat their cause's message.
    let mut messages: Vec<String> = Vec::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        let message = current.to_string();
        if messages.last() != Some(&message) {
            messages.push(message);
        }
        cause = current.source();
    }
    BodyRefusal::Unreadable { reason: messages.join(": ") }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use axum::http::HeaderValue;

    use super::*;

    fn check_coding(values: &[&str], expected: Result<ContentCoding, BodyRefusal>) {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::CONTENT_ENCODING, HeaderValue::from_str(value).unwrap());
        }
        assert_eq!(ContentCoding::of(&headers), expected, "{values:?}");
    }

    #[test]
    fn gzip_and_identity_are_read_and_other_codings_named() {
        check_coding(&[], Ok(ContentCoding::Identity));
        check_coding(&["identity"], Ok(ContentCoding::Identity));
        check_coding(&["GZip"], Ok(ContentCoding::Gzip));
        check_coding(&["x-gzip"], Ok(ContentCoding::Gzip));
        check_coding(&["identity, gzip"], Ok(ContentCoding::Gzip));
        let unsupported =
            |encoding: &str| Err(BodyRefusal::UnsupportedEncoding { encoding: encoding.into() });
        check_coding(&["br"], unsupported("br"));
        check_coding(&["gzip, deflate"], unsupported("gzip, deflate"));
        check_coding(&["gzip", "gzip"], unsupported("gzip"));
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn buffer_of(budget: &BodyBudget, limit_bytes: usize, bytes: &[u8]) -> BodyBuffer {
        let mut buffer = BodyBuffer::new(budget, limit_bytes);
        buffer.extend(bytes).unwrap();
        buffer
    }

    #[test]
    fn a_gzip_body_inflates_within_the_limit_and_gives_back_its_budget() {
        let budget = BodyBudget::new(1000);
        let compressed = gzip(b"{\"id\":\"a\"}\n");
        let buffer = buffer_of(&budget, 100, &compressed);
        let inflated = buffer.inflate_gzip().unwrap();
        assert_eq!(inflated.as_slice(), b"{\"id\":\"a\"}\n");
        // The 11 inflated bytes fit a first reservation of 11 bytes exactly.
        assert_eq!(budget.available_bytes(), 1000 - 11);
        drop(inflated);
        assert_eq!(budget.available_bytes(), 1000);
    }

    #[test]
    fn a_gzip_bomb_is_too_large_once_inflated() {
        let budget = BodyBudget::new(1 << 20);
        // 100,000 zeros compress to about 100 bytes; the limit is 1,000.
        let compressed = gzip(&[0_u8; 100_000]);
        assert!(compressed.len() < 1000);
        let buffer = buffer_of(&budget, 1000, &compressed);
        assert_eq!(
            buffer.inflate_gzip().unwrap_err(),
            BodyRefusal::InflatesTooLarge { limit_bytes: 1000 }
        );
        assert_eq!(budget.available_bytes(), 1 << 20);
    }

    #[test]
    fn a_plain_body_labelled_gzip_is_not_gzip() {
        let budget = BodyBudget::new(1000);
        let refusal = buffer_of(&budget, 1000, b"{\"id\":\"a\"}").inflate_gzip().unwrap_err();
        assert!(matches!(refusal, BodyRefusal::NotGzip { .. }), "{refusal:?}");
    }

    #[test]
    fn a_large_body_is_kept_in_a_map_of_its_own_and_grows_into_it() {
        let budget = BodyBudget::new(4 * MAPPED_FROM_BYTES);
        let mut buffer = BodyBuffer::new(&budget, 2 * MAPPED_FROM_BYTES);
        let first = vec![b'a'; MAPPED_FROM_BYTES - 1];
        buffer.extend(&first).unwrap();
        assert!(matches!(buffer.bytes, BodyStorage::Heap(_)));
        buffer.extend(b"bc").unwrap();
        // Doubled from MAPPED_FROM_BYTES - 1 bytes: into a map.
        assert!(matches!(buffer.bytes, BodyStorage::Mapped { .. }));
        assert_eq!(buffer.as_slice().len(), MAPPED_FROM_BYTES + 1);
        assert_eq!(&buffer.as_slice()[MAPPED_FROM_BYTES - 2..], b"abc");
        assert_eq!(budget.available_bytes(), 4 * MAPPED_FROM_BYTES - (2 * MAPPED_FROM_BYTES - 2));
    }

    #[test]
    fn a_body_takes_budget_as_it_grows_and_is_refused_when_none_is_left() {
        let budget = BodyBudget::new(100);
        let mut first = BodyBuffer::new(&budget, 80);
        first.extend(&[b'x'; 30]).unwrap();
        // 30 bytes first, then doubled to 60 for 20 more.
        first.extend(&[b'x'; 20]).unwrap();
        assert_eq!(budget.available_bytes(), 40);
        let mut second = BodyBuffer::new(&budget, 80);
        second.extend(&[b'y'; 40]).unwrap();
        assert_eq!(
            second.extend(&[b'y'; 1]).unwrap_err(),
            BodyRefusal::OverBudget { budget_bytes: 100 }
        );
        assert_eq!(
            first.extend(&[b'x'; 31]).unwrap_err(),
            BodyRefusal::TooLarge { limit_bytes: 80 }
        );
        drop((first, second));
        assert_eq!(budget.available_bytes(), 100);
    }
}
