//! The vendor's usage monitor across accounts: staff, limited to their team's
//! scope; staff admins also choose which modules and activities are tracked.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tally_figures::usage::{AccountEventCount, MONITOR_EVENT_COUNTS};
use tally_report::WriteOptions;
use tally_store::TrackedActivity;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::list::{self, ListRequest};
use crate::query::QueryParams;
use crate::routes::usage::CountFilter;
use crate::state::{AppState, Authenticated};

/// A page of event counts across accounts.
#[derive(Serialize, ToSchema)]
pub struct AccountEventCountPage {
    /// The rows.
    pub items: Vec<AccountEventCount>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Event counts across accounts.
///
/// Event counts per account, kind and month, for the accounts in the staff
/// team's scope.
#[utoipa::path(
    get,
    path = "/v1/monitor/event-counts",
    tag = "monitor",
    params(
        ("account" = Option<String>, Query, description = "Only this account (in scope)."),
        ("kind" = Option<String>, Query, description = "Only this event kind."),
        ("from" = Option<String>, Query, description = "First month, YYYY-MM.", pattern = r"^\d{4}-(0[1-9]|1[0-2])$"),
        ("to" = Option<String>, Query, description = "Last month, YYYY-MM, included.", pattern = r"^\d{4}-(0[1-9]|1[0-2])$"),
        ("sort" = Option<String>, Query, description = "account, month, kind or events; a leading - sorts descending. Default account."),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor."),
        ("limit" = Option<i64>, Query, description = "Rows per page, 1 to 1000; default 100.", minimum = 1, maximum = 1000),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx; or send an Accept header."),
    ),
    responses(
        (status = 200, description = "A page of counts.", content(
            (AccountEventCountPage = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
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
    let params = QueryParams::parse::<__path_monitor_event_counts>(query.as_deref())?;
    let account = params.filter("account")?;
    let filter = CountFilter::parse(&params)?;
    let request = ListRequest::parse(
        &params,
        &headers,
        &MONITOR_EVENT_COUNTS,
        list::key_len(&MONITOR_EVENT_COUNTS),
    )?;
    let rows = state
        .with_store(move |store| {
            let mut rows = tally_figures::usage::monitor_event_counts(store, &view)?;
            rows.retain(|row: &AccountEventCount| {
                account.as_ref().is_none_or(|account| *account == row.account)
                    && filter.keeps(&row.month, row.kind)
            });
            Ok(rows)
        })
        .await?;
    let page = list::page(&MONITOR_EVENT_COUNTS, rows, &request);
    list::respond(&MONITOR_EVENT_COUNTS, page, &request, &WriteOptions::default())
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
    QueryParams::parse::<__path_tracking>(query.as_deref())?;
    let view = principal.read_monitor()?;
    let tracked = state.with_store(move |store| Ok(store.monitor_tracking(&view)?)).await?;
    Ok(Json(Tracking {
        tracked: tracked
            .into_iter()
            .map(|item| Tracked { module: item.module, activity: item.activity })
            .collect(),
    }))
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
    ),
    security(("bearer" = []))
)]
pub async fn set_tracking(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
    body: Result<Json<Tracking>, JsonRejection>,
) -> Result<Json<Tracking>, ApiError> {
    QueryParams::parse::<__path_set_tracking>(query.as_deref())?;
    let change = principal.change_tracking()?;
    let view = principal.read_monitor()?;
    let Json(tracking) = body.map_err(|rejection| ApiError::BadBody(rejection.body_text()))?;
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
    let tracked = state
        .with_store(move |store| {
            store.set_monitor_tracking(&change, &tracked)?;
            Ok(store.monitor_tracking(&view)?)
        })
        .await?;
    Ok(Json(Tracking {
        tracked: tracked
            .into_iter()
            .map(|item| Tracked { module: item.module, activity: item.activity })
            .collect(),
    }))
}
