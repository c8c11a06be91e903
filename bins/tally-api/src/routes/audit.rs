//! The audit log (A1-A6): the listing with every filter the seed names, and one
//! entry with its snapshots and diff. Administrators read all of it; a member
//! reads the audit details of their own action runs.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use tally_audit::{AuditAfter, AuditColumn, AuditKey, AuditQuery};
use tally_events::{AuditStatus, Operation, OriginType, ResourceKind, SourceType};
use tally_figures::audit::{AUDIT_ENTRIES, AuditDetail, AuditReadError, AuditRow};
use tally_report::WriteOptions;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::list::{self, ListRequest, StoreKey};
use crate::query::{QueryParams, check_range};
use crate::state::{AppState, Authenticated, PathParams};

/// A page of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    /// The rows.
    pub items: Vec<AuditRow>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

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

fn closed<T>(
    params: &QueryParams,
    name: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    params
        .filter(name)?
        .map(|text| {
            parse(&text).ok_or_else(|| {
                ApiError::bad_parameter(
                    name,
                    format!("{text:?} is not a value of {name}; see docs/events.md"),
                )
            })
        })
        .transpose()
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
        ("from" = Option<String>, Query, description = "Entries at or after this instant (RFC 3339).", format = DateTime),
        ("to" = Option<String>, Query, description = "Entries before this instant (RFC 3339).", format = DateTime),
        ("resource" = Option<String>, Query, description = "entity, blueprint, action, automation, scorecard, run, integration, secret, sign_in or account_access."),
        ("operation" = Option<String>, Query, description = "create, update, delete or timer_expired."),
        ("origin" = Option<String>, Query, description = "The origin type, in any spelling (docs/events.md)."),
        ("status" = Option<String>, Query, description = "success or failure."),
        ("source_type" = Option<String>, Query, description = "user, integration or webhook."),
        ("source" = Option<String>, Query, description = "Source containing this text, ignoring case."),
        ("user" = Option<String>, Query, description = "Only this user's entries."),
        ("blueprint" = Option<String>, Query, description = "Only this blueprint."),
        ("entity" = Option<String>, Query, description = "Only this entity."),
        ("run_id" = Option<String>, Query, description = "Only this action run (required for members)."),
        ("integration" = Option<String>, Query, description = "Only this integration."),
        ("error" = Option<String>, Query, description = "Error containing this text, ignoring case."),
        ("sort" = Option<String>, Query, description = "Any column; a leading - sorts descending. Default -at."),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor."),
        ("limit" = Option<i64>, Query, description = "Rows per page, 1 to 1000; default 100.", minimum = 1, maximum = 1000),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx; or send an Accept header."),
    ),
    responses(
        (status = 200, description = "A page of entries.", content(
            (AuditPage = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
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
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let view = principal.read_audit(&account)?;
    let params = QueryParams::parse::<__path_audit_entries>(query.as_deref())?;
    let (from, to) = (params.instant("from")?, params.instant("to")?);
    check_range(&from, &to)?;
    let request = ListRequest::parse(&params, &headers, &AUDIT_ENTRIES, list::STORE_KEY_LEN)?;
    let sort = AuditColumn::from_name(AUDIT_ENTRIES.columns[request.sort_column].name)
        .expect("every listing column is an audit column");
    let after = request.store_after(sort.is_integer())?.map(|(value, seq)| AuditAfter {
        key: match value {
            StoreKey::Text(text) => AuditKey::Text(text),
            StoreKey::Integer(value) => AuditKey::Integer(value),
        },
        seq: seq as u64,
    });
    let query = AuditQuery {
        from,
        to,
        resource: closed(&params, "resource", ResourceKind::parse)?,
        resource_id: None,
        operation: closed(&params, "operation", Operation::parse)?,
        origin: params.filter("origin")?.map(|text| OriginType::parse(&text)),
        status: closed(&params, "status", AuditStatus::parse)?,
        source_type: closed(&params, "source_type", SourceType::parse)?,
        source: params.filter("source")?,
        user: params.filter("user")?,
        blueprint: params.filter("blueprint")?,
        entity: params.filter("entity")?,
        run_id: params.filter("run_id")?,
        integration: params.filter("integration")?,
        error_contains: params.filter("error")?,
        sort,
        descending: request.descending,
        after,
        // One more than asked, to know whether there is a next page.
        limit: request.limit + 1,
    };
    let (entries, time_zone) = state
        .with_audit(move |store, log| {
            let time_zone = store.account(view.account())?.calendar.time_zone;
            Ok((tally_figures::audit::audit_entries(store, log, &view, &query)?, time_zone))
        })
        .await?;
    let page = request.store_page(
        entries,
        |last| {
            let after = last.after(sort);
            let value = match after.key {
                AuditKey::Integer(value) => StoreKey::Integer(value),
                AuditKey::Text(text) => StoreKey::Text(text),
            };
            (value, after.seq as i64)
        },
        |entry| AuditRow::from(&entry),
    );
    list::respond(&AUDIT_ENTRIES, page, &request, &WriteOptions::new(time_zone))
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
    QueryParams::parse::<__path_audit_entry>(query.as_deref())?;
    let detail = state
        .with_audit(move |store, log| {
            Ok(tally_figures::audit::audit_entry(store, log, &view, seq)?)
        })
        .await?;
    detail
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no audit entry {seq} visible to this token")))
}
