//! The vendor's usage monitor across accounts: staff, limited to their team's
//! scope; staff admins also choose which modules and activities are tracked.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tally_figures::usage::AccountEventCount;
use tally_report::WriteOptions;
use tally_store::TrackedActivity;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::list::{self, CursorScope, ListParameters, ListRequest, ListingPage};
use crate::query::{self, NoParameters};
use crate::routes::usage::CountParameters;
use crate::state::{AppState, Authenticated};

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
    Ok(Json(Tracking {
        tracked: tracked
            .into_iter()
            .map(|item| Tracked { module: item.module, activity: item.activity })
            .collect(),
    }))
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
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Json<Tracking>, ApiError> {
    query::parse::<NoParameters>(query.as_deref())?;
    let change = principal.change_tracking()?;
    let view = principal.read_monitor()?;
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
