//! Active seats (D1-D3): monthly figures, the activated seats log, and one user's
//! explanation. For the account's administrators.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use serde::Serialize;
use tally_figures::seats::{
    ACTIVATED_SEATS, ActivatedSeatRow, MONTHLY_SEATS, MonthlySeatsRow, STATUSES,
    SeatExplanationBody,
};
use tally_report::WriteOptions;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::list::{self, ListRequest};
use crate::query::{QueryParams, check_range};
use crate::state::{AppState, Authenticated, PathParams};

/// A page of monthly seats.
#[derive(Serialize, ToSchema)]
pub struct MonthlySeatsPage {
    /// The rows.
    pub items: Vec<MonthlySeatsRow>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
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
        ("organization" = Option<String>, Query, description = "Only this organization's seats."),
        ("from" = Option<String>, Query, description = "First month, YYYY-MM.", pattern = r"^\d{4}-(0[1-9]|1[0-2])$"),
        ("to" = Option<String>, Query, description = "Last month, YYYY-MM, included.", pattern = r"^\d{4}-(0[1-9]|1[0-2])$"),
        ("sort" = Option<String>, Query, description = "month, seats, change or change_percent; a leading - sorts descending. Default month."),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor."),
        ("limit" = Option<i64>, Query, description = "Rows per page, 1 to 1000; default 100.", minimum = 1, maximum = 1000),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx; or send an Accept header."),
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
    let params = QueryParams::parse::<__path_monthly_seats>(query.as_deref())?;
    let organization = params.filter("organization")?;
    let (from, to) = (params.month("from")?, params.month("to")?);
    check_range(&from, &to)?;
    let request =
        ListRequest::parse(&params, &headers, &MONTHLY_SEATS, list::key_len(&MONTHLY_SEATS))?;
    let (from, to) = (from.map(|month| month.to_string()), to.map(|month| month.to_string()));
    let (rows, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(usage.account())?.calendar.time_zone;
            let mut rows =
                tally_figures::seats::monthly_seats(store, &usage, organization.as_deref())?;
            // `YYYY-MM` orders as text.
            rows.retain(|row: &MonthlySeatsRow| {
                from.as_ref().is_none_or(|from| row.month >= *from)
                    && to.as_ref().is_none_or(|to| row.month <= *to)
            });
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
        ("at" = Option<String>, Query, description = "The instant the log is as of (RFC 3339); default now. A cursor keeps its page's instant, so later pages may leave it out; a cursor made at another instant is refused.", format = DateTime),
        ("status" = Option<String>, Query, description = "Only users with this status: active, not_yet_active, disabled, removed or outside_term."),
        ("organization" = Option<String>, Query, description = "Only users seen in this organization."),
        ("sort" = Option<String>, Query, description = "Any column; a leading - sorts descending. Default activated_at."),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor."),
        ("limit" = Option<i64>, Query, description = "Rows per page, 1 to 1000; default 100.", minimum = 1, maximum = 1000),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx; or send an Accept header."),
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
    let params = QueryParams::parse::<__path_activated_seats>(query.as_deref())?;
    let given_at = params.instant("at")?;
    let status = params.filter("status")?;
    if let Some(status) = &status
        && !STATUSES.contains(&status.as_str())
    {
        return Err(ApiError::bad_parameter(
            "status",
            format!("{status:?} is not a status: use one of {}", STATUSES.join(", ")),
        ));
    }
    let organization = params.filter("organization")?;
    let mut request =
        ListRequest::parse(&params, &headers, &ACTIVATED_SEATS, list::key_len(&ACTIVATED_SEATS))?;
    let at = request.instant(given_at, Utc::now())?;
    let logs = state.activated_logs();
    let (rows, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(usage.account())?.calendar.time_zone;
            let version = store.seat_state_version(&usage)?;
            let log = logs.get_or_compute(version, at, || {
                tally_figures::seats::activated_seats(store, &usage, at)
            })?;
            let rows: Vec<ActivatedSeatRow> = log
                .iter()
                .filter(|row| {
                    status.as_ref().is_none_or(|status| row.status == *status)
                        && organization
                            .as_ref()
                            .is_none_or(|organization| row.organizations.contains(organization))
                })
                .cloned()
                .collect();
            Ok((rows, time_zone))
        })
        .await?;
    let page = list::page(&ACTIVATED_SEATS, rows, &request);
    list::respond(&ACTIVATED_SEATS, page, &request, &WriteOptions::new(time_zone))
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
        ("at" = Option<String>, Query, description = "The instant to explain (RFC 3339); default now.", format = DateTime),
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
    let params = QueryParams::parse::<__path_seat_explanation>(query.as_deref())?;
    let at = params.instant("at")?.unwrap_or_else(Utc::now);
    Ok(Json(
        state
            .with_store(move |store| {
                Ok(tally_figures::seats::seat_explanation(store, &usage, &user, at)?)
            })
            .await?,
    ))
}
