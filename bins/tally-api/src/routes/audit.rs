//! The audit log (A1-A6): the listing with every filter the seed names, and one
//! entry with its snapshots and diff. Administrators read all of it; a member
//! reads the audit details of their own action runs.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tally_audit::{AuditAfter, AuditColumn, AuditEntry, AuditQuery};
use tally_events::OriginType;
use tally_figures::audit::{AUDIT_ENTRIES, AuditDetail, AuditReadError, AuditRow};
use tally_report::WriteOptions;
use utoipa::IntoParams;

use crate::error::{ApiError, Problem};
use crate::list::{
    self, CursorScope, ListParameters, ListRequest, ListingPage, ListingQuery, StoreListing,
};
use crate::query::{
    self, AuditStatusFilter, NoParameters, OperationFilter, ResourceFilter, SourceTypeFilter,
    check_range,
};
use crate::state::{AppState, Authenticated, PathParams};

impl From<AuditReadError> for ApiError {
    fn from(error: AuditReadError) -> ApiError {
        match error {
            AuditReadError::RunRequired => ApiError::Forbidden {
                needs: "the run_id of one of your own action runs (members read only those)",
            },
            AuditReadError::NotYourRun { .. } => ApiError::NotFound(error.to_string()),
            AuditReadError::Store(error) => error.into(),
            AuditReadError::Audit(error) => {
                tracing::error!(error = %crate::error::error_chain(&error), "audit log error");
                ApiError::Internal
            }
        }
    }
}

/// The audit log's filters: every one the seed names.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParameters {
    /// Entries at or after this instant (RFC 3339).
    #[serde(default, deserialize_with = "query::instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant (RFC 3339).
    #[serde(default, deserialize_with = "query::instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<DateTime<Utc>>,
    /// entity, blueprint, action, automation, scorecard, run, integration, secret, sign_in, account_access or monitor_tracking.
    #[param(inline)]
    pub resource: Option<ResourceFilter>,
    /// create, update, delete or timer_expired.
    #[param(inline)]
    pub operation: Option<OperationFilter>,
    /// The origin type, in any spelling (docs/events.md).
    #[serde(default, deserialize_with = "query::filter")]
    pub origin: Option<String>,
    /// success or failure.
    #[param(inline)]
    pub status: Option<AuditStatusFilter>,
    /// user, integration or webhook.
    #[param(inline)]
    pub source_type: Option<SourceTypeFilter>,
    /// Source containing this text, ignoring case.
    #[serde(default, deserialize_with = "query::filter")]
    pub source: Option<String>,
    /// Only this user's entries.
    #[serde(default, deserialize_with = "query::filter")]
    pub user: Option<String>,
    /// Only this blueprint.
    #[serde(default, deserialize_with = "query::filter")]
    pub blueprint: Option<String>,
    /// Only this entity.
    #[serde(default, deserialize_with = "query::filter")]
    pub entity: Option<String>,
    /// Only this action run (required for members).
    #[serde(default, deserialize_with = "query::filter")]
    pub run_id: Option<String>,
    /// Only this integration.
    #[serde(default, deserialize_with = "query::filter")]
    pub integration: Option<String>,
    /// Error containing this text, ignoring case.
    #[serde(default, deserialize_with = "query::filter")]
    pub error: Option<String>,
}

/// The store's query for a listing's filters and sort, without its page:
/// the API's listing and the web page's read the same entries.
pub(crate) fn audit_query(
    params: AuditParameters,
    request: &ListRequest,
) -> Result<AuditQuery, ApiError> {
    check_range(&params.from, &params.to)?;
    let sort = AuditColumn::from_name(AUDIT_ENTRIES.columns[request.sort_column].name)
        .expect("every listing column is an audit column");
    Ok(AuditQuery {
        from: params.from,
        to: params.to,
        resource: query::member(params.resource),
        resource_id: None,
        operation: query::member(params.operation),
        origin: params.origin.map(|text| OriginType::parse(&text)),
        status: query::member(params.status),
        source_type: query::member(params.source_type),
        source: params.source,
        user: params.user,
        blueprint: params.blueprint,
        entity: params.entity,
        run_id: params.run_id,
        integration: params.integration,
        error_contains: params.error,
        sort,
        descending: request.descending,
        after: None,
        limit: 0,
    })
}

/// The audit log.
///
/// The account's audit entries, newest first by default, with every filter of
/// the seed and no cap on how far back (everything retained). A member must name
/// one of their own action runs in `run_id`.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/audit",
    tag = "audit",
    params(
        ("account" = String, Path, description = "The account's slug."),
        AuditParameters,
        ListParameters<AuditRow>,
    ),
    responses(
        ListingPage<AuditRow>,
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read this.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account, or run of the member's, visible to the token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn audit_entries(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    listing: ListingQuery,
) -> Result<Response, ApiError> {
    let view = principal.read_audit(&account)?;
    let (params, request) =
        listing.read::<AuditParameters, AuditRow>(CursorScope::Account(&account))?;
    let query = audit_query(params, &request)?;
    let sort = query.sort;
    let slug = view.account().to_owned();
    let time_zone =
        state.with_store(move |store| Ok(store.account(&slug)?.calendar.time_zone)).await?;
    let read = move |after: Option<AuditAfter>, limit: usize| {
        let query = AuditQuery { after, limit, ..query.clone() };
        state.in_audit(|store, log| {
            Ok(tally_figures::audit::audit_entries(store, log, &view, &query)?)
        })
    };
    let listing = StoreListing {
        read,
        position: move |last: &AuditEntry| last.after(sort),
        item: |entry: AuditEntry| AuditRow::from(&entry),
        integer_sort: sort.is_integer(),
    };
    list::answer_from_store(listing, &request, &WriteOptions::new(time_zone)).await
}

/// One audit entry.
///
/// The entry with its before and after snapshots (secrets and sensitive fields
/// hashed) and what changed between them, or why that cannot be said.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/audit/{seq}",
    tag = "audit",
    params(
        ("account" = String, Path, description = "The account's slug."),
        ("seq" = u64, Path, description = "The entry's seq in the account's chain."),
    ),
    responses(
        (status = 200, description = "The entry.", body = AuditDetail),
        (status = 400, description = "A bad path or query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read this.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry visible to the token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn audit_entry(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams((account, seq)): PathParams<(String, u64)>,
    RawQuery(query): RawQuery,
) -> Result<Json<AuditDetail>, ApiError> {
    let view = principal.read_audit(&account)?;
    query::parse::<NoParameters>(query.as_deref())?;
    let detail = state
        .with_audit(move |store, log| {
            Ok(tally_figures::audit::audit_entry(store, log, &view, seq)?)
        })
        .await?;
    detail
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no audit entry {seq} visible to this token")))
}
