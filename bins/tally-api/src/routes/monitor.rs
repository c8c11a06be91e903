//! The vendor's usage monitor across accounts: staff, limited to their team's
//! scope; staff admins also choose which modules and activities are tracked,
//! and every change is recorded in the deployment's audit chain.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tally_access::{TokenId, TrackingChange};
use tally_audit::{AuditColumn, AuditError, AuditQuery, NewAuditEntry};
use tally_events::{AuditStatus, Operation, OriginType, ResourceKind, SourceType};
use tally_figures::usage::AccountEventCount;
use tally_report::WriteOptions;
use tally_store::{DEPLOYMENT_AUDIT_CHAIN, TrackedActivity};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::list::{self, CursorScope, ListParameters, ListRequest, ListingPage};
use crate::query::{self, NoParameters};
use crate::routes::usage::CountParameters;
use crate::state::{AppState, Authenticated, bearer_token};

/// The usage monitor's choice of one account.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountParameter {
    /// Only this account (in scope).
    #[serde(default, deserialize_with = "query::filter")]
    pub account: Option<String>,
}

/// Event counts across accounts.
///
/// Event counts per account, kind and month, for the accounts in the staff
/// team's scope.
#[utoipa::path(
    get,
    path = "/v1/monitor/event-counts",
    tag = "monitor",
    params(AccountParameter, CountParameters, ListParameters<AccountEventCount>),
    responses(
        ListingPage<AccountEventCount>,
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn monitor_event_counts(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let view = principal.read_monitor()?;
    let parts = [
        query::names::<AccountParameter>(),
        query::names::<CountParameters>(),
        query::names::<ListParameters<AccountEventCount>>(),
    ];
    let checked = query::Checked::new(query.as_deref(), &parts)?;
    let AccountParameter { account } = checked.read()?;
    let filter = checked.read::<CountParameters>()?.filter()?;
    let list_params: ListParameters<AccountEventCount> = checked.read()?;
    let request =
        ListRequest::parse(&list_params, &headers, state.cursor_key(), CursorScope::Monitor)?;
    let rows = state
        .with_store(move |store| {
            Ok(tally_figures::usage::monitor_event_counts(
                store,
                &view,
                account.as_deref(),
                &filter,
            )?)
        })
        .await?;
    list::answer(rows, &request, &WriteOptions::default())
}

/// A module, or one activity (the `action` of `activity` events) of a module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tracked {
    /// The module, as `activity` events name it.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub module: String,
    /// One activity of the module; null or absent for the whole module.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub activity: Option<String>,
}

/// What the usage monitor tracks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tracking {
    /// The tracked modules and activities; empty tracks everything.
    #[schema(max_items = 1000)]
    pub tracked: Vec<Tracked>,
}

/// What the usage monitor tracks.
#[utoipa::path(
    get,
    path = "/v1/monitor/tracking",
    tag = "monitor",
    responses(
        (status = 200, description = "The tracked modules and activities.", body = Tracking),
        (status = 400, description = "A query parameter was given.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn tracking(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Json<Tracking>, ApiError> {
    query::parse::<NoParameters>(query.as_deref())?;
    let view = principal.read_monitor()?;
    let tracked = state.with_store(move |store| Ok(store.monitor_tracking(&view)?)).await?;
    Ok(Json(tracking_of_list(tracked)))
}

/// The body as a [`Tracking`]. serde reads a struct from a JSON array too, by
/// position; the schema says objects, so an array where an object belongs is
/// refused rather than read.
fn tracking_of(body: serde_json::Value) -> Result<Tracking, ApiError> {
    let objects = body.as_object().is_some_and(|fields| match fields.get("tracked") {
        Some(serde_json::Value::Array(items)) => items.iter().all(serde_json::Value::is_object),
        _ => true,
    });
    if !objects {
        return Err(ApiError::BadBody(
            "give {\"tracked\": [{\"module\": ..., \"activity\": ...}]}: objects, not arrays"
                .into(),
        ));
    }
    serde_json::from_value(body).map_err(|error| ApiError::BadBody(error.to_string()))
}

/// Choose what the usage monitor tracks.
///
/// Replaces the list; an empty list tracks everything. For staff admins.
#[utoipa::path(
    put,
    path = "/v1/monitor/tracking",
    tag = "monitor",
    request_body(content = Tracking, content_type = "application/json"),
    responses(
        (status = 200, description = "The list now in force.", body = Tracking),
        (status = 400, description = "A bad body or query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff-admin token.", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body stopped arriving (the body-read timeout).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_tracking(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<Tracking>, ApiError> {
    query::parse::<NoParameters>(query.as_deref())?;
    let change = principal.change_tracking()?;
    let view = principal.read_monitor()?;
    let token = bearer_token(&headers)?.id();
    let Json(body) = body?;
    let tracking = tracking_of(body)?;
    if tracking.tracked.len() > 1000 {
        return Err(ApiError::BadBody("at most 1000 modules and activities".into()));
    }
    let mut tracked = Vec::with_capacity(tracking.tracked.len());
    for (index, item) in tracking.tracked.into_iter().enumerate() {
        let check = |field: &str, text: &str| {
            if text.trim().is_empty() || text.chars().count() > 200 {
                Err(ApiError::BadBody(format!(
                    "tracked[{index}].{field}: give 1 to 200 characters that are not all blank"
                )))
            } else {
                Ok(())
            }
        };
        check("module", &item.module)?;
        if let Some(activity) = &item.activity {
            check("activity", activity)?;
        }
        tracked.push(TrackedActivity { module: item.module, activity: item.activity });
    }
    let one_at_a_time = state.tracking_changes();
    let tracked = state
        .with_audit(move |store, log| {
            let _changing = one_at_a_time.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let before = store.set_monitor_tracking(&change, &tracked)?;
            let after = store.monitor_tracking(&view)?;
            let entry = tracking_change_entry(&change, &token, Utc::now(), &before, &after);
            let recorded = log.append(DEPLOYMENT_AUDIT_CHAIN, &[entry]);
            if recorded.as_ref().is_ok_and(|outcome| outcome.accepted == 1) {
                return Ok(after);
            }
            // A change that cannot be recorded is not made: the list goes back.
            store.set_monitor_tracking(&change, &before)?;
            match recorded {
                Err(error) => tracing::error!(
                    error = %crate::error::error_chain(&error),
                    "recording a tracking change in the audit log"
                ),
                Ok(outcome) => tracing::error!(
                    ?outcome,
                    "recording a tracking change in the audit log stored nothing"
                ),
            }
            Err(ApiError::Internal)
        })
        .await?;
    Ok(Json(tracking_of_list(tracked)))
}

fn tracking_of_list(tracked: Vec<TrackedActivity>) -> Tracking {
    Tracking {
        tracked: tracked
            .into_iter()
            .map(|item| Tracked { module: item.module, activity: item.activity })
            .collect(),
    }
}

/// The audit entry of a tracking change: by the staff team, through the
/// token (as `user`), with the lists before and after as the snapshots.
fn tracking_change_entry(
    change: &TrackingChange,
    token: &TokenId,
    at: DateTime<Utc>,
    before: &[TrackedActivity],
    after: &[TrackedActivity],
) -> NewAuditEntry {
    let snapshot = |list: &[TrackedActivity]| {
        serde_json::to_value(tracking_of_list(list.to_vec()))
            .expect("a tracking list serialises to JSON")
    };
    NewAuditEntry {
        at,
        // One token changes the list at most once a microsecond.
        event_id: format!("monitor-tracking-{}-{token}", at.timestamp_micros()),
        change: tally_events::AuditEntry {
            resource: ResourceKind::MonitorTracking,
            resource_id: None,
            operation: Operation::Update,
            source_type: SourceType::User,
            source: format!("staff team {}", change.team()),
            origin: OriginType::Api,
            status: AuditStatus::Success,
            error: None,
            user: Some(token.to_string()),
            blueprint: None,
            entity: None,
            run_id: None,
            integration: None,
            before: Some(snapshot(before)),
            after: Some(snapshot(after)),
        },
    }
}

/// One change of what the usage monitor tracks, as the deployment's audit
/// chain holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackingChangeRecord {
    /// Its place in the deployment's chain.
    pub seq: u64,
    /// When the list was changed.
    pub at: DateTime<Utc>,
    /// Who changed it: `staff team <team>`.
    pub source: String,
    /// The id of the token it was changed with.
    pub token: Option<String>,
    /// The list before.
    #[schema(value_type = Option<Tracking>)]
    pub before: Option<serde_json::Value>,
    /// The list after.
    #[schema(value_type = Option<Tracking>)]
    pub after: Option<serde_json::Value>,
    /// The entry's chain hash (hexadecimal SHA-256).
    pub hash: String,
}

/// The changes of what the usage monitor tracks, and whether their chain is
/// intact.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackingChanges {
    /// The chain they are kept in: the deployment's, which no account can be.
    pub chain: String,
    /// Whether the chain verifies (every entry, tombstone and seal checked).
    pub intact: bool,
    /// The chain's head as an anchor to keep elsewhere
    /// (`tally-export audit verify --account _deployment --anchor ...`).
    pub head: String,
    /// The changes, newest first.
    pub changes: Vec<TrackingChangeRecord>,
}

/// Changes of what the usage monitor tracks.
///
/// Every `PUT /v1/monitor/tracking` is recorded in the deployment's own audit
/// chain (`_deployment`), with the lists before and after; this lists them,
/// newest first, with whether the chain verifies. For staff admins.
#[utoipa::path(
    get,
    path = "/v1/monitor/tracking/changes",
    tag = "monitor",
    responses(
        (status = 200, description = "The recorded changes.", body = TrackingChanges),
        (status = 400, description = "A query parameter was given.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a staff-admin token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn tracking_changes(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Json<TrackingChanges>, ApiError> {
    query::parse::<NoParameters>(query.as_deref())?;
    principal.change_tracking()?;
    state
        .with_audit(move |_, log| {
            let internal = |error: AuditError| {
                tracing::error!(
                    error = %crate::error::error_chain(&error),
                    "reading the tracking changes"
                );
                ApiError::Internal
            };
            let mut changes = Vec::new();
            let mut after = None;
            loop {
                let page = log
                    .query(
                        DEPLOYMENT_AUDIT_CHAIN,
                        &AuditQuery {
                            resource: Some(ResourceKind::MonitorTracking),
                            sort: AuditColumn::Seq,
                            descending: true,
                            after: after.take(),
                            limit: 500,
                            ..AuditQuery::default()
                        },
                    )
                    .map_err(internal)?;
                let Some(last) = page.last() else { break };
                after = Some(last.after(AuditColumn::Seq));
                changes.extend(page.into_iter().map(|entry| TrackingChangeRecord {
                    seq: entry.seq,
                    at: entry.at,
                    source: entry.change.source,
                    token: entry.change.user,
                    before: entry.change.before,
                    after: entry.change.after,
                    hash: entry.hash.to_hex(),
                }));
            }
            let report = log.verify(DEPLOYMENT_AUDIT_CHAIN, None).map_err(internal)?;
            Ok(Json(TrackingChanges {
                chain: DEPLOYMENT_AUDIT_CHAIN.to_owned(),
                intact: report.is_intact(),
                head: report.head.to_string(),
                changes,
            }))
        })
        .await
}
