//! The HTTP surface of the ingest daemon.
//!
//! `POST /v1/batch` with `Authorization: Bearer <write key>` and an NDJSON or
//! JSON-array body. Checks run in this order, so a refused request costs little
//! and writes nothing: key (401 missing, 403 wrong), body size (413), body shape
//! (400), then per-event checks and the idempotent append (200 with counts).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use tally_events::{Limits, check_batch_with};
use tally_store::{Account, EventRecord, Store};

use crate::audit::{AuditBatch, AuditLog};
use crate::writer::{WriterHandle, error_chain};

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
    /// Largest accepted body, in bytes.
    pub max_body_bytes: usize,
}

/// The daemon's routes.
pub fn router(state: IngestState) -> Router {
    Router::new()
        .route("/v1/batch", post(post_batch))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// The answer to an accepted batch.
#[derive(Debug, Serialize)]
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

/// One conflict in a [`BatchAnswer`].
#[derive(Debug, Serialize)]
pub struct ConflictAnswer {
    /// 1-based position in the batch.
    pub line: usize,
    /// The reused id.
    pub id: String,
}

/// One rejection in a [`BatchAnswer`].
#[derive(Debug, Serialize)]
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

async fn post_batch(
    State(state): State<IngestState>,
    headers: HeaderMap,
    body: Body,
) -> Result<axum::Json<BatchAnswer>, Problem> {
    let account = authenticate(&state, &headers)?;
    let bytes = to_bytes(body, state.max_body_bytes).await.map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the body is larger than the limit of {} bytes; split the batch",
                state.max_body_bytes
            ),
        )
    })?;
    let limits = state.limits;
    // Each event is cut down to what the store writes as soon as it is checked, so
    // a batch never holds its typed events all at once.
    let (events, audit, rejections) = tokio::task::spawn_blocking(move || {
        let mut events: Vec<EventRecord> = Vec::new();
        let mut audit = AuditBatch::default();
        check_batch_with(&bytes, &limits, |checked| events.extend(audit.take(checked)))
            .map(|rejections| (events, audit, rejections))
    })
    .await
    .expect("checking a batch does not panic")
    .map_err(|error| Problem::new(StatusCode::BAD_REQUEST, "malformed_body", error.to_string()))?;

    let rejections: Vec<RejectionAnswer> = rejections
        .iter()
        .map(|rejection| RejectionAnswer {
            line: rejection.line,
            field: rejection.field.clone(),
            code: rejection.problem.code(),
            reason: rejection.to_string(),
        })
        .collect();
    // Most batches hold no audit entry: they skip the trip to a blocking thread.
    let audit_outcome = if audit.is_empty() {
        crate::audit::AuditOutcome::default()
    } else {
        let log = Arc::clone(&state.audit);
        let slug = account.slug.clone();
        tokio::task::spawn_blocking(move || log.append(&slug, audit))
            .await
            .expect("appending audit entries does not panic")
            .map_err(|error| {
                tracing::error!(account = %account.slug, error = %error_chain(&error), "audit entries not written");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the audit log could not be written right now; retry the batch (what was written is recognised as duplicates)".into(),
                )
            })?
    };
    let outcome = if events.is_empty() {
        tally_store::AppendOutcome::default()
    } else {
        state.writer.append(account.id, events).await.map_err(|failure| {
            if failure.transient {
                tracing::warn!(account = %account.slug, error = %failure, "batch not written; client may retry");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the store could not write the batch right now; nothing was written, retry it".into(),
                )
            } else {
                tracing::error!(account = %account.slug, error = %failure, "batch not written");
                Problem::internal()
            }
        })?
    };
    let mut conflicts = outcome.conflicts;
    conflicts.extend(audit_outcome.conflicts);
    conflicts.sort_by_key(|conflict| conflict.line);
    let outcome = tally_store::AppendOutcome {
        accepted: outcome.accepted + audit_outcome.accepted,
        duplicates: outcome.duplicates + audit_outcome.duplicates,
        conflicts,
    };
    Ok(axum::Json(BatchAnswer {
        accepted: outcome.accepted,
        duplicates: outcome.duplicates,
        conflicting: outcome.conflicts.len(),
        rejected: rejections.len(),
        conflicts: outcome
            .conflicts
            .into_iter()
            .map(|conflict| ConflictAnswer { line: conflict.line, id: conflict.id })
            .collect(),
        rejections,
    }))
}

fn authenticate(state: &IngestState, headers: &HeaderMap) -> Result<Account, Problem> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Problem::new(
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
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "missing_write_key",
                "the Authorization header must be `Bearer <write key>`".into(),
            )
        })?;
    let store = state.keys.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match store.account_for_write_key(key) {
        Ok(Some(account)) => Ok(account),
        Ok(None) => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "wrong_write_key",
            "no account has this write key".into(),
        )),
        Err(error) => {
            tracing::error!(error = %error_chain(&error), "checking a write key failed");
            Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the store could not check the write key right now; retry".into(),
            ))
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    detail: String,
    code: &'static str,
}

impl Problem {
    fn new(status: StatusCode, code: &'static str, detail: String) -> Problem {
        Problem {
            kind: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            code,
        }
    }

    fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the batch could not be written; nothing was written; the cause is in the daemon's log"
                .into(),
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = status == StatusCode::SERVICE_UNAVAILABLE;
        let mut response = (status, axum::Json(self)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if retry {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
