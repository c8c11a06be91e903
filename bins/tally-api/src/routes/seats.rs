//! Active seats (D1-D3): monthly figures, the activated seats log, and one user's
//! explanation. For the account's administrators.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tally_figures::MonthRange;
use tally_figures::seats::{
    ACTIVATED_SEATS, ActivatedSeatFilter, ActivatedSeatRow, MONTHLY_SEATS, MonthlySeatsRow,
    SeatExplanationBody,
};
use tally_report::WriteOptions;
use tally_seats::{Month, SeatStatus};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, Problem};
use crate::list::{self, ListParameters, ListRequest};
use crate::query;
use crate::state::{AppState, Authenticated, PathParams};

/// A page of monthly seats.
#[derive(Serialize, ToSchema)]
pub struct MonthlySeatsPage {
    /// The rows.
    pub items: Vec<MonthlySeatsRow>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// The monthly seats' filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthlySeatsParameters {
    /// Only this organization's seats.
    #[serde(default, deserialize_with = "query::filter")]
    pub organization: Option<String>,
    /// First month, YYYY-MM.
    #[serde(default, deserialize_with = "query::month")]
    #[param(value_type = Option<String>, pattern = r"^\d{4}-(0[1-9]|1[0-2])$")]
    pub from: Option<Month>,
    /// Last month, YYYY-MM, included.
    #[serde(default, deserialize_with = "query::month")]
    #[param(value_type = Option<String>, pattern = r"^\d{4}-(0[1-9]|1[0-2])$")]
    pub to: Option<Month>,
}

/// Monthly active seats.
///
/// For each calendar month of the account's terms, the users who were an active
/// seat at some moment of it, of the whole account or of one organization.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/seats/monthly",
    tag = "seats",
    params(
        ("account" = String, Path, description = "The account's slug."),
        MonthlySeatsParameters,
        ListParameters<MonthlySeatsRow>,
    ),
    responses(
        (status = 200, description = "A page of monthly figures.", content(
            (MonthlySeatsPage = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read this.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account visible to the token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn monthly_seats(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let usage = principal.read_usage(&account)?;
    let (params, list_params) =
        query::parse_listing::<MonthlySeatsParameters, MonthlySeatsRow>(query.as_deref())?;
    let months = MonthRange::new(params.from, params.to)?;
    let request = ListRequest::parse(&list_params, &headers, list::key_len(&MONTHLY_SEATS))?;
    let organization = params.organization;
    let (rows, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(usage.account())?.calendar.time_zone;
            let rows = tally_figures::seats::monthly_seats_between(
                store,
                &usage,
                organization.as_deref(),
                months,
            )?;
            Ok((rows, time_zone))
        })
        .await?;
    let page = list::page(&MONTHLY_SEATS, rows, &request);
    list::respond(&MONTHLY_SEATS, page, &request, &WriteOptions::new(time_zone))
}

/// A page of the activated seats log.
#[derive(Serialize, ToSchema)]
pub struct ActivatedSeatPage {
    /// The rows.
    pub items: Vec<ActivatedSeatRow>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// The activated seats log's instant and filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivatedSeatsParameters {
    /// The instant the log is as of (RFC 3339); default now. A cursor keeps its page's instant, so later pages may leave it out; a cursor made at another instant is refused.
    #[serde(default, deserialize_with = "query::instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub at: Option<DateTime<Utc>>,
    /// Only users with this status: active, not_yet_active, disabled, removed or outside_term.
    #[serde(default, deserialize_with = "query::closed")]
    #[param(value_type = Option<String>)]
    pub status: Option<SeatStatus>,
    /// Only users seen in this organization.
    #[serde(default, deserialize_with = "query::filter")]
    pub organization: Option<String>,
}

/// The activated seats log.
///
/// Every user who became an active seat in the term holding `at`, with their
/// activation, logins and weeks so far, and their status at `at`.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/seats/activated",
    tag = "seats",
    params(
        ("account" = String, Path, description = "The account's slug."),
        ActivatedSeatsParameters,
        ListParameters<ActivatedSeatRow>,
    ),
    responses(
        (status = 200, description = "A page of the log.", content(
            (ActivatedSeatPage = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read this.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account visible to the token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn activated_seats(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let usage = principal.read_usage(&account)?;
    let (params, list_params) =
        query::parse_listing::<ActivatedSeatsParameters, ActivatedSeatRow>(query.as_deref())?;
    let filter = ActivatedSeatFilter { status: params.status, organization: params.organization };
    let mut request = ListRequest::parse(&list_params, &headers, list::key_len(&ACTIVATED_SEATS))?;
    let at = request.instant(params.at, Utc::now())?;
    let logs = state.activated_logs();
    let (rows, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(usage.account())?.calendar.time_zone;
            let version = store.seat_state_version(&usage)?;
            let log = logs.get_or_compute(version, at, || {
                tally_figures::seats::activated_seats(store, &usage, at)
            })?;
            Ok((filter.select(&log), time_zone))
        })
        .await?;
    let page = list::page(&ACTIVATED_SEATS, rows, &request);
    list::respond(&ACTIVATED_SEATS, page, &request, &WriteOptions::new(time_zone))
}

/// The instant a seat explanation is given at.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExplanationParameters {
    /// The instant to explain (RFC 3339); default now.
    #[serde(default, deserialize_with = "query::instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub at: Option<DateTime<Utc>>,
}

/// One user's seat explanation.
///
/// Their counted logins grouped by week, and why they are or are not an active
/// seat at `at`.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/seats/users/{user}",
    tag = "seats",
    params(
        ("account" = String, Path, description = "The account's slug."),
        ("user" = String, Path, description = "The user's id in the account's events."),
        ExplanationParameters,
    ),
    responses(
        (status = 200, description = "The explanation.", body = SeatExplanationBody),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role may not read this.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account visible to the token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn seat_explanation(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams((account, user)): PathParams<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<SeatExplanationBody>, ApiError> {
    let usage = principal.read_usage(&account)?;
    let params = query::parse::<ExplanationParameters>(query.as_deref())?;
    let at = params.at.unwrap_or_else(Utc::now);
    Ok(Json(
        state
            .with_store(move |store| {
                Ok(tally_figures::seats::seat_explanation(store, &usage, &user, at)?)
            })
            .await?,
    ))
}
