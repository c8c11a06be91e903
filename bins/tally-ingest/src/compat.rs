//! The endpoints analytics SDKs send to: Segment's tracking API, PostHog's
//! capture API and CloudEvents (docs/ingest-compat.md).
//!
//! Each request is refused or answered as a native batch is: the body read
//! within the same limits and budget (Segment's own 500 KB a batch), a missing
//! or wrong write key 401 or 403, a malformed body 400, and then each message
//! mapped by `tally-compat`, checked by `tally-events` and stored by the same
//! writer, idempotent by the message's id. The answer counts what was stored
//! and says how each message was mapped and why any was not stored.

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use chrono::SecondsFormat;
use serde::Serialize;
use serde_json::value::RawValue;
use tally_compat::segment::{self, SegmentCall};
use tally_compat::{
    BodyError, Envelope, Format, MappedBy, Mapping, Message, Untranslatable, cloudevents, posthog,
};
use tally_events::{CheckedEvent, EventKind, Limits};
use tally_service::{Problem, error_chain};
use tally_store::{Account, EventRecord};
use utoipa::ToSchema;

use crate::audit::AuditBatch;
use crate::body::{BodyBuffer, ContentCoding, read_body};
use crate::outcome::BatchOutcome;
use crate::server::{
    BatchLine, IngestState, account_for_key, body_problem, post_batch, refusal, store_checked,
};

/// PostHog's capture paths, each also with a trailing slash as its SDKs send.
pub(crate) const POSTHOG_PATHS: [&str; 5] =
    ["/batch", "/capture", "/e", "/i/v0/e", "/i/v0/ai/batch"];

/// The routes of the compatible formats, merged into the daemon's router.
pub fn routes() -> Router<IngestState> {
    let mut router = Router::new()
        // Segment's `/v1/batch` is also Tally's own: told apart by the
        // Authorization scheme (`post_v1_batch`).
        .route("/v1/batch", post(post_v1_batch))
        .route("/api/v1/events", post(post_cloudevents));
    for call in SegmentCall::ALL {
        router = router.route(
            &format!("/v1/{}", call.name()),
            post(move |state: State<IngestState>, headers: HeaderMap, body: Body| {
                post_segment(state, headers, body, Some(call))
            }),
        );
    }
    for path in POSTHOG_PATHS {
        for path in [path.to_string(), format!("{path}/")] {
            router = router.route(&path, get(post_posthog).post(post_posthog));
        }
    }
    router
}

/// How the Authorization header names a write key.
enum Credential {
    Bearer(String),
    /// HTTP Basic, as Segment's SDKs send the write key (the user name).
    Basic(String),
    Missing,
    Malformed,
}

fn credential(headers: &HeaderMap) -> Credential {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Credential::Missing };
    let Ok(text) = value.to_str() else { return Credential::Malformed };
    if let Some(key) = text.strip_prefix("Bearer ") {
        return Credential::Bearer(key.trim().to_string());
    }
    let Some(encoded) = text.strip_prefix("Basic ") else { return Credential::Malformed };
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| pair.split_once(':').map(|(user, _)| user.to_string()))
        .map_or(Credential::Malformed, Credential::Basic)
}

/// `POST /v1/batch`: Segment's when keyed with HTTP Basic, as every Segment
/// SDK sends it; otherwise Tally's own, which refuses a request without a key
/// before reading its body.
async fn post_v1_batch(state: State<IngestState>, headers: HeaderMap, body: Body) -> Response {
    match credential(&headers) {
        Credential::Basic(_) => post_segment(state, headers, body, None).await,
        Credential::Bearer(_) | Credential::Malformed | Credential::Missing => {
            post_batch(state, headers, body).await
        }
    }
}

async fn post_segment(
    State(state): State<IngestState>,
    headers: HeaderMap,
    body: Body,
    call: Option<SegmentCall>,
) -> Response {
    let request = Request::new(&state, &headers, Format::Segment);
    let max_bytes = state.max_body_bytes.min(segment::MAX_BATCH_BYTES);
    let where_key = "as HTTP Basic user name or as the body's `writeKey`";
    let result = async {
        // A key in the header is checked before the body is read, as a native
        // batch's is: a wrong key is refused without reading what it sent.
        let header_account = match credential(&headers) {
            Credential::Basic(key) | Credential::Bearer(key) => {
                Some(request.account(Some(&key), where_key)?)
            }
            Credential::Missing | Credential::Malformed => None,
        };
        let buffer = request.read(body, max_bytes, false).await?;
        let buffer = buffer.as_slice();
        let envelope = match call {
            None => segment::read_batch(buffer, state.limits.max_events_per_batch),
            Some(_) => segment::read_single(buffer),
        }
        .map_err(|error| malformed(&error))?;
        let account = match header_account {
            Some(account) => account,
            None => request.account(envelope.write_key.as_deref(), where_key)?,
        };
        request.store(account, envelope, segment_reader(call)).await
    }
    .await;
    request.answer(result)
}

async fn post_posthog(
    State(state): State<IngestState>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request = Request::new(&state, &headers, Format::PostHog);
    let where_key = "as the body's `api_key`";
    let result = async {
        // As for Segment: a key in the header is checked before the body is read.
        let header_account = match credential(&headers) {
            Credential::Bearer(key) => Some(request.account(Some(&key), where_key)?),
            Credential::Basic(_) | Credential::Missing | Credential::Malformed => None,
        };
        // posthog-js says `compression=gzip-js` in the query instead of a header.
        let gzip_js = query.as_deref().is_some_and(|query| {
            form_urlencoded::parse(query.as_bytes())
                .any(|(name, value)| name == "compression" && value == "gzip-js")
        });
        let buffer = request.read(body, state.max_body_bytes, gzip_js).await?;
        let buffer = buffer.as_slice();
        // A GET carries its event in the query's `data`.
        let query = query.filter(|_| method == Method::GET || buffer.is_empty());
        let envelope =
            posthog::read_body(buffer, query.as_deref(), state.limits.max_events_per_batch)
                .map_err(|error| malformed(&error))?;
        let account = match header_account {
            Some(account) => account,
            None => request.account(envelope.write_key.as_deref(), where_key)?,
        };
        request.store(account, envelope, posthog::read_message).await
    }
    .await;
    request.answer(result)
}

async fn post_cloudevents(
    State(state): State<IngestState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request = Request::new(&state, &headers, Format::CloudEvents);
    let result = async {
        let key = match credential(&headers) {
            Credential::Bearer(key) => Some(key),
            Credential::Basic(_) | Credential::Missing | Credential::Malformed => None,
        };
        let account = request.account(key.as_deref(), "as `Authorization: Bearer <write key>`")?;
        let buffer = request.read(body, state.max_body_bytes, false).await?;
        let buffer = buffer.as_slice();
        let media_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
        let mode =
            cloudevents::Mode::of(media_type.as_deref(), headers.contains_key("ce-specversion"));
        let envelope = match mode {
            cloudevents::Mode::Binary => cloudevents::read_binary(
                headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())),
                media_type.as_deref(),
                buffer,
            ),
            cloudevents::Mode::Structured | cloudevents::Mode::Batched => {
                cloudevents::read_body(buffer, state.limits.max_events_per_batch)
            }
        }
        .map_err(|error| malformed(&error))?;
        request.store(account, envelope, cloudevents::read_message).await
    }
    .await;
    request.answer(result)
}

/// Segment's reader, with the call a single call's path names.
fn segment_reader(
    call: Option<SegmentCall>,
) -> impl for<'a> Fn(usize, &'a RawValue, &'a RawValue) -> Result<Message<'a>, Untranslatable> + Sync
{
    move |index, raw, received_at| segment::read_message(index, raw, call, received_at)
}

/// One request of a compatible format, from its body to its answer.
struct Request<'r> {
    state: &'r IngestState,
    headers: &'r HeaderMap,
    format: Format,
    started: Instant,
    /// The body's size as sent, once read: logged as native batches log it.
    body_bytes: OnceLock<usize>,
}

impl<'r> Request<'r> {
    fn new(state: &'r IngestState, headers: &'r HeaderMap, format: Format) -> Request<'r> {
        Request { state, headers, format, started: Instant::now(), body_bytes: OnceLock::new() }
    }

    /// Reads the body within `max_bytes` and the budget, inflated when it says
    /// gzip (or `gzip` is set by the format's own signal).
    /// The buffer holds its share of the budget until it is dropped, after the answer.
    async fn read(&self, body: Body, max_bytes: usize, gzip: bool) -> Result<BodyBuffer, Problem> {
        let coding = ContentCoding::of(self.headers).map_err(|refused| body_problem(&refused))?;
        let buffer = read_body(body, self.headers, &self.state.body_budget, max_bytes)
            .await
            .map_err(|refused| body_problem(&refused))?;
        let _ = self.body_bytes.set(buffer.as_slice().len());
        let buffer = match (coding, gzip) {
            (ContentCoding::Identity, false) => buffer,
            (ContentCoding::Gzip, _) | (ContentCoding::Identity, true) => {
                tokio::task::spawn_blocking(move || buffer.inflate_gzip())
                    .await
                    .expect("inflating a body does not panic")
                    .map_err(|refused| body_problem(&refused))?
            }
        };
        Ok(buffer)
    }

    fn account(&self, key: Option<&str>, where_key: &str) -> Result<Account, Problem> {
        match key.map(str::trim).filter(|key| !key.is_empty()) {
            Some(key) => account_for_key(self.state, key),
            None => Err(refusal(
                StatusCode::UNAUTHORIZED,
                "missing_write_key",
                format!("send the account's write key {where_key}"),
            )),
        }
    }

    /// Maps, checks and stores every message of `envelope`, on every core.
    async fn store<F>(
        &self,
        account: Account,
        envelope: Envelope<'_>,
        read: F,
    ) -> Result<(Account, CompatOutcome), Problem>
    where
        F: for<'a> Fn(usize, &'a RawValue, &'a RawValue) -> Result<Message<'a>, Untranslatable>
            + Sync,
    {
        let mapping = self.mapping(&account)?;
        let received_at = chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        let received_at = RawValue::from_string(format!("\"{received_at}\""))
            .expect("an RFC 3339 instant is a JSON string's text");
        let (limits, threads) = (self.state.limits, self.state.check_threads.get());
        let checked = tokio::task::block_in_place(|| {
            check_messages(&envelope.messages, &mapping, &read, &received_at, &limits, threads)
        });
        drop(envelope);
        let outcome = BatchOutcome::default();
        let stored =
            store_checked(self.state, &account, checked.events, checked.audit, outcome).await?;
        Ok((
            account,
            CompatOutcome { stored, rejections: checked.rejections, mapped: checked.mapped },
        ))
    }

    /// The account's rules as they are now: a rule set by `tally-ingest account
    /// map-event` applies from the next request on.
    fn mapping(&self, account: &Account) -> Result<Mapping, Problem> {
        let store = self.state.keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match store.event_mappings(account.id) {
            Ok(rules) => Ok(Mapping::new(rules)),
            Err(error) => {
                tracing::error!(account = %account.slug, error = %error_chain(&error), "reading the account's mapping rules failed");
                Err(refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the store could not read the account's mapping rules right now; retry".into(),
                ))
            }
        }
    }

    fn answer(&self, result: Result<(Account, CompatOutcome), Problem>) -> Response {
        let line = BatchLine {
            format: Some(format_name(self.format)),
            bytes: self.body_bytes.get().copied(),
            started: self.started,
        };
        match result {
            Ok((account, outcome)) => {
                let answer = CompatAnswer::new(self.format, outcome);
                line.stored(
                    &account,
                    [answer.accepted, answer.duplicates, answer.conflicting, answer.rejected],
                );
                axum::Json(answer).into_response()
            }
            Err(problem) => {
                line.refused(&problem);
                problem.into_response()
            }
        }
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Segment => "segment",
        Format::PostHog => "posthog",
        Format::CloudEvents => "cloudevents",
    }
}

fn malformed(error: &BodyError) -> Problem {
    refusal(StatusCode::BAD_REQUEST, "malformed_body", error.to_string())
}

/// What checking a body's messages gave, in body order.
#[derive(Default)]
struct CheckedMessages {
    events: Vec<EventRecord>,
    audit: AuditBatch,
    rejections: Vec<MessageRejection>,
    mapped: Vec<(usize, EventKind, MappedBy)>,
}

/// Messages a run takes at least: below that a thread costs more than it
/// saves, and concurrent requests keep the cores busy anyway (SDKs send
/// batches of 100 to 1,500 messages).
const RUN_MESSAGES: usize = 256;

/// Reads, maps and checks every message, in runs on every core. Each mapped
/// event's fields go to the native event checker as they are, checked as a
/// native line holding them would be.
fn check_messages<F>(
    messages: &[Cow<'_, RawValue>],
    mapping: &Mapping,
    read: &F,
    received_at: &RawValue,
    limits: &Limits,
    threads: usize,
) -> CheckedMessages
where
    F: for<'a> Fn(usize, &'a RawValue, &'a RawValue) -> Result<Message<'a>, Untranslatable> + Sync,
{
    let check_run = |first: usize, run: &[Cow<'_, RawValue>]| {
        let mut checked = CheckedMessages {
            events: Vec::with_capacity(run.len()),
            mapped: Vec::with_capacity(run.len()),
            ..CheckedMessages::default()
        };
        for (offset, raw) in run.iter().enumerate() {
            let index = first + offset;
            let message = match read(index, raw, received_at) {
                Ok(message) => message,
                Err(untranslatable) => {
                    checked.rejections.push(MessageRejection::from(untranslatable));
                    continue;
                }
            };
            let (mapped, fields) = mapping.translate_fields(message);
            checked.mapped.push((index, mapped.kind, mapped.by));
            match CheckedEvent::check_fields(index + 1, fields, limits) {
                Ok(event) => checked.events.extend(checked.audit.take(event)),
                Err(rejection) => {
                    // Where the field was read is worked out again, for the few rejected.
                    let field = rejection.field.as_deref().map(|field| {
                        read(index, raw, received_at)
                            .map(|message| mapping.translate(message).source_of(field))
                            .unwrap_or_else(|_| field.to_string())
                    });
                    checked.rejections.push(MessageRejection {
                        index,
                        field,
                        code: rejection.problem.code(),
                        reason: rejection.problem.to_string(),
                    });
                }
            }
        }
        checked
    };
    let run_length = messages.len().div_ceil(threads.max(1)).max(RUN_MESSAGES);
    if messages.len() <= run_length {
        return check_run(0, messages);
    }
    let parts: Vec<CheckedMessages> = std::thread::scope(|scope| {
        let handles: Vec<_> = messages
            .chunks(run_length)
            .enumerate()
            .map(|(run, chunk)| {
                let check_run = &check_run;
                scope.spawn(move || check_run(run * run_length, chunk))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("checking messages does not panic"))
            .collect()
    });
    let mut all = CheckedMessages {
        events: Vec::with_capacity(messages.len()),
        mapped: Vec::with_capacity(messages.len()),
        ..CheckedMessages::default()
    };
    for part in parts {
        all.events.extend(part.events);
        all.audit.append(part.audit);
        all.rejections.extend(part.rejections);
        all.mapped.extend(part.mapped);
    }
    all
}

/// What storing a compatible body did.
struct CompatOutcome {
    stored: BatchOutcome,
    rejections: Vec<MessageRejection>,
    mapped: Vec<(usize, EventKind, MappedBy)>,
}

/// A message not stored: not readable, not mappable or not a valid event.
#[derive(Debug, Serialize, ToSchema)]
struct MessageRejection {
    /// 0-based position in the body.
    index: usize,
    /// The message's field at fault, as the format spells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    /// Stable code: the event checker's, or `not_mapped`.
    code: &'static str,
    /// What is wrong.
    reason: String,
}

impl From<Untranslatable> for MessageRejection {
    fn from(untranslatable: Untranslatable) -> MessageRejection {
        MessageRejection {
            index: untranslatable.index,
            field: untranslatable.field,
            code: "not_mapped",
            reason: untranslatable.reason,
        }
    }
}

/// The answer to a compatible body: the counts of Tally's own answer, with
/// messages named by their 0-based index, and how each was mapped.
#[derive(Serialize, ToSchema)]
pub(crate) struct CompatAnswer {
    /// Segment's success flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    success: Option<bool>,
    /// PostHog's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u8>,
    accepted: usize,
    duplicates: usize,
    conflicting: usize,
    rejected: usize,
    conflicts: Vec<ConflictAnswer>,
    rejections: Vec<MessageRejection>,
    mapped: Vec<MappedAnswer>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = MessageConflict)]
struct ConflictAnswer {
    index: usize,
    id: String,
}

/// The messages one mapping made into one kind.
#[derive(Serialize, ToSchema)]
struct MappedAnswer {
    #[schema(schema_with = crate::openapi::event_kind_schema)]
    kind: EventKind,
    by: MappedBy,
    messages: Vec<usize>,
}

impl CompatAnswer {
    fn new(format: Format, outcome: CompatOutcome) -> CompatAnswer {
        let CompatOutcome { stored, mut rejections, mapped } = outcome;
        // The audit log's rejections (an entry past retention) come with lines.
        rejections.extend(stored.rejections.iter().map(|rejection| MessageRejection {
            index: rejection.line - 1,
            field: rejection.field.clone(),
            code: rejection.problem.code(),
            reason: rejection.problem.to_string(),
        }));
        rejections.sort_by_key(|rejection| rejection.index);
        let mut groups: Vec<MappedAnswer> = Vec::new();
        for (index, kind, by) in mapped {
            match groups.iter_mut().find(|group| group.kind == kind && group.by == by) {
                Some(group) => group.messages.push(index),
                None => groups.push(MappedAnswer { kind, by, messages: vec![index] }),
            }
        }
        CompatAnswer {
            success: (format == Format::Segment).then_some(true),
            status: (format == Format::PostHog).then_some(1),
            accepted: stored.accepted,
            duplicates: stored.duplicates,
            conflicting: stored.conflicting(),
            rejected: rejections.len(),
            conflicts: stored
                .conflicts
                .into_iter()
                .map(|conflict| ConflictAnswer { index: conflict.line - 1, id: conflict.id })
                .collect(),
            rejections,
            mapped: groups,
        }
    }
}
