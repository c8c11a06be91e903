//! The HTTP surface of the ingest daemon.
//!
//! `POST /v1/batch` with `Authorization: Bearer <write key>` and an NDJSON or
//! JSON-array body, plain or gzip. Checks run in this order, so a refused
//! request costs little and writes nothing: key (401 missing, 403 wrong),
//! `Content-Encoding` (415), declared size (413) and the budget for bodies in
//! flight (503), all before the body is read; then reading it (400 broken,
//! 408 too slow, 413 too large, also once inflated), body shape (400), then
//! per-event checks and the idempotent append (200 with counts).
//! Every refusal, an unknown path (404) and a wrong method (405) included, is a
//! `tally-service` problem document, the same shape the API answers with. Each
//! batch is logged in one line: status, bytes, counts and duration.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tally_events::{Limits, check_batch_parallel};
use tally_service::{Problem, error_chain};
use tally_store::{Account, EventRecord, Store};
use utoipa::ToSchema;

use crate::audit::{AuditBatch, AuditLog};
use crate::body::{BodyBudget, BodyRefusal, ContentCoding, read_body};
use crate::outcome::BatchOutcome;
use crate::writer::WriterHandle;

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct IngestState {
    /// A read connection for write-key checks; the writer thread has its own.
    pub keys: Arc<Mutex<Store>>,
    /// The writer thread.
    pub writer: WriterHandle,
    /// The audit log, where a batch's audit entries go.
    pub audit: Arc<AuditLog>,
    /// Per-event and per-batch limits.
    pub limits: Limits,
    /// Largest accepted body, in bytes, as sent and once inflated.
    pub max_body_bytes: usize,
    /// The bytes all bodies in flight may hold at once.
    pub body_budget: BodyBudget,
    /// Threads one batch's lines are checked on at once: the machine's cores.
    pub check_threads: NonZeroUsize,
}

/// The daemon's routes.
pub fn router(state: IngestState) -> Router {
    let document = axum::body::Bytes::from(
        serde_json::to_vec_pretty(&crate::openapi::document())
            .expect("the OpenAPI document serialises"),
    );
    Router::new()
        .merge(crate::compat::routes())
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            crate::openapi::DOCUMENT_PATH,
            get(move || {
                let document = document.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], document) }
            }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// The answer to an accepted batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAnswer {
    /// Events stored for the first time.
    pub accepted: usize,
    /// Events already stored with the same contents.
    pub duplicates: usize,
    /// Events whose id is stored with other contents; not stored.
    pub conflicting: usize,
    /// Events that failed checking; not stored.
    pub rejected: usize,
    /// Each conflict's line and id.
    pub conflicts: Vec<ConflictAnswer>,
    /// Each rejection's line, field, code and reason.
    pub rejections: Vec<RejectionAnswer>,
}

impl From<BatchOutcome> for BatchAnswer {
    fn from(outcome: BatchOutcome) -> BatchAnswer {
        BatchAnswer {
            accepted: outcome.accepted,
            duplicates: outcome.duplicates,
            conflicting: outcome.conflicting(),
            rejected: outcome.rejected(),
            conflicts: outcome
                .conflicts
                .into_iter()
                .map(|conflict| ConflictAnswer { line: conflict.line, id: conflict.id })
                .collect(),
            rejections: outcome
                .rejections
                .iter()
                .map(|rejection| RejectionAnswer {
                    line: rejection.line,
                    field: rejection.field.clone(),
                    code: rejection.problem.code(),
                    reason: rejection.to_string(),
                })
                .collect(),
        }
    }
}

/// One conflict in the answer to a batch: an id stored with other contents.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictAnswer {
    /// 1-based position in the batch.
    pub line: usize,
    /// The reused id.
    pub id: String,
}

/// One rejection in the answer to a batch: a line that failed its checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectionAnswer {
    /// 1-based position in the batch.
    pub line: usize,
    /// The offending field's path, when one field is at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// The whole message, line and field included.
    pub reason: String,
}

pub(crate) async fn post_batch(
    State(state): State<IngestState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let mut body_bytes = None;
    let result = store_batch(&state, &headers, body, &mut body_bytes).await;
    let line = BatchLine { format: None, bytes: body_bytes, started };
    match result {
        Ok((account, outcome)) => {
            line.stored(
                &account,
                [outcome.accepted, outcome.duplicates, outcome.conflicting(), outcome.rejected()],
            );
            axum::Json(BatchAnswer::from(outcome)).into_response()
        }
        Err(problem) => {
            line.refused(&problem);
            problem.into_response()
        }
    }
}

/// One line per batch, as the API logs its requests: what an operator greps
/// for when a sender says its events are missing. The same fields for every
/// format, the SDKs' (`format`) and Tally's own.
pub(crate) struct BatchLine {
    /// The SDK format's name; none for Tally's own batches.
    pub format: Option<&'static str>,
    /// The body's size as sent, once read.
    pub bytes: Option<usize>,
    /// When the request came in.
    pub started: Instant,
}

impl BatchLine {
    /// Logs a stored batch: accepted, duplicates, conflicting and rejected.
    pub(crate) fn stored(
        &self,
        account: &Account,
        [accepted, duplicates, conflicting, rejected]: [usize; 4],
    ) {
        tracing::info!(
            account = %account.slug,
            format = self.format,
            status = 200,
            bytes = self.bytes,
            accepted,
            duplicates,
            conflicting,
            rejected,
            duration_ms = self.duration_ms(),
            "batch"
        );
    }

    /// Logs a refused batch: nothing of it stored.
    pub(crate) fn refused(&self, problem: &Problem) {
        tracing::info!(
            format = self.format,
            status = problem.status,
            code = %problem.code,
            bytes = self.bytes,
            accepted = 0,
            duplicates = 0,
            conflicting = 0,
            rejected = 0,
            duration_ms = self.duration_ms(),
            "batch refused"
        );
    }

    fn duration_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1e3
    }
}

/// Authenticates, reads, checks and stores one batch; `body_bytes` is set once
/// the body is read.
async fn store_batch(
    state: &IngestState,
    headers: &HeaderMap,
    body: Body,
    body_bytes: &mut Option<usize>,
) -> Result<(Account, BatchOutcome), Problem> {
    let account = authenticate(state, headers)?;
    let coding = ContentCoding::of(headers).map_err(|refused| body_problem(&refused))?;
    let buffer = read_body(body, headers, &state.body_budget, state.max_body_bytes)
        .await
        .map_err(|refused| body_problem(&refused))?;
    *body_bytes = Some(buffer.as_slice().len());
    let (limits, check_threads) = (state.limits, state.check_threads);
    // Each event is cut down to what the store writes as soon as it is checked, so
    // a batch never holds its typed events all at once. The body's budget stays
    // taken until the batch is answered: its events take memory until then.
    // The lines are checked on every core: the writer commits the batch before
    // while this one is checked, and a sender waits for the answer.
    let (events, audit, rejections, _budget) = tokio::task::spawn_blocking(move || {
        let buffer = match coding {
            ContentCoding::Identity => buffer,
            ContentCoding::Gzip => {
                buffer.inflate_gzip().map_err(|refused| body_problem(&refused))?
            }
        };
        let (parts, rejections) = check_batch_parallel(
            buffer.as_slice(),
            &limits,
            check_threads,
            <(Vec<EventRecord>, AuditBatch)>::default,
            |(events, audit), checked| events.extend(audit.take(checked)),
        )
        .map_err(|error| refusal(StatusCode::BAD_REQUEST, "malformed_body", error.to_string()))?;
        let mut events = Vec::with_capacity(parts.iter().map(|(events, _)| events.len()).sum());
        let mut audit = AuditBatch::default();
        for (part_events, part_audit) in parts {
            events.extend(part_events);
            audit.append(part_audit);
        }
        Ok((events, audit, rejections, buffer.into_lease()))
    })
    .await
    .expect("checking a batch does not panic")?;

    let outcome = BatchOutcome { rejections, ..BatchOutcome::default() };
    let outcome = store_checked(state, &account, events, audit, outcome).await?;
    Ok((account, outcome))
}

/// Appends a batch's checked audit entries and events, adding what each
/// append did to `outcome`. Shared by Tally's own batches and the formats of
/// analytics SDKs ([`crate::compat`]).
pub(crate) async fn store_checked(
    state: &IngestState,
    account: &Account,
    events: Vec<EventRecord>,
    audit: AuditBatch,
    mut outcome: BatchOutcome,
) -> Result<BatchOutcome, Problem> {
    // Most batches hold no audit entry: they skip the trip to a blocking thread.
    if !audit.is_empty() {
        let log = Arc::clone(&state.audit);
        let slug = account.slug.clone();
        let appended = tokio::task::spawn_blocking(move || log.append(&slug, audit, chrono::Utc::now()))
            .await
            .expect("appending audit entries does not panic")
            .map_err(|error| {
                tracing::error!(account = %account.slug, error = %error_chain(&error), "audit entries not written");
                refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the audit log could not be written right now; retry the batch (what was written is recognised as duplicates)".into(),
                )
            })?;
        outcome.merge(appended);
    }
    if !events.is_empty() {
        let appended = state.writer.append(account.id, events).await.map_err(|failure| {
            if failure.transient {
                tracing::warn!(account = %account.slug, error = %failure, "batch not written; client may retry");
                refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the store could not write the batch right now; nothing was written, retry it".into(),
                )
            } else {
                tracing::error!(account = %account.slug, error = %failure, "batch not written");
                refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the batch could not be written; nothing was written; the cause is in the daemon's log"
                        .into(),
                )
            }
        })?;
        outcome.add_stored(appended);
    }
    Ok(outcome)
}

fn authenticate(state: &IngestState, headers: &HeaderMap) -> Result<Account, Problem> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(refusal(
            StatusCode::UNAUTHORIZED,
            "missing_write_key",
            "send the account's write key as `Authorization: Bearer <write key>`".into(),
        ));
    };
    let key = value
        .to_str()
        .ok()
        .and_then(|text| text.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .ok_or_else(|| {
            refusal(
                StatusCode::UNAUTHORIZED,
                "missing_write_key",
                "the Authorization header must be `Bearer <write key>`".into(),
            )
        })?;
    account_for_key(state, key)
}

/// The account whose write key `key` is: 403 for a key no account has.
pub(crate) fn account_for_key(state: &IngestState, key: &str) -> Result<Account, Problem> {
    let store = state.keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match store.account_for_write_key(key) {
        Ok(Some(account)) => Ok(account),
        Ok(None) => Err(refusal(
            StatusCode::FORBIDDEN,
            "wrong_write_key",
            "no account has this write key".into(),
        )),
        Err(error) => {
            tracing::error!(error = %error_chain(&error), "checking a write key failed");
            Err(refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the store could not check the write key right now; retry".into(),
            ))
        }
    }
}

/// The answer to a body not read or not used.
pub(crate) fn body_problem(refused: &BodyRefusal) -> Problem {
    let (status, code) = match refused {
        BodyRefusal::TooLarge { .. } | BodyRefusal::InflatesTooLarge { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
        }
        BodyRefusal::OverBudget { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
        BodyRefusal::TooSlow => (StatusCode::REQUEST_TIMEOUT, "body_timeout"),
        BodyRefusal::Unreadable { .. } | BodyRefusal::NotGzip { .. } => {
            (StatusCode::BAD_REQUEST, "malformed_body")
        }
        BodyRefusal::UnsupportedEncoding { .. } => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_encoding")
        }
    };
    refusal(status, code, refused.to_string())
}

/// A refusal under the stable `code`, titled with the status's reason phrase.
pub(crate) fn refusal(status: StatusCode, code: &'static str, detail: String) -> Problem {
    Problem::new(status, code, status.canonical_reason().unwrap_or("Error"), detail)
}

// Titled as the API titles them, so that both daemons answer these alike.
async fn not_found(request: Request) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "Not found",
        format!("no endpoint at {}; batches go to POST /v1/batch", request.uri().path()),
    )
}

async fn method_not_allowed(request: Request) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
        format!("this endpoint does not answer {}", request.method()),
    )
}
