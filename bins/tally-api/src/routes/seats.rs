//! Active seats (D1-D3): monthly figures, the activated seats log, and one user's
//! explanation. For the account's administrators.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tally_figures::MonthRange;
use tally_figures::seats::{
    ActivatedSeatFilter, ActivatedSeatRow, MonthlySeatsRow, SeatExplanationBody,
};
use tally_report::WriteOptions;
use tally_seats::Month;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::list::{self, CursorScope, ListParameters, ListingPage, ListingQuery};
use crate::query::{self, AsOf, SeatStatusFilter};
use crate::routes::AccountProblems;
use crate::state::{AppState, Authenticated, PathParams};

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
        ListingPage<MonthlySeatsRow>,
        AccountProblems,
    ),
    security(("bearer" = []))
)]
pub async fn monthly_seats(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    listing: ListingQuery,
) -> Result<Response, ApiError> {
    let usage = principal.read_usage(&account)?;
    let (params, request) =
        listing.read::<MonthlySeatsParameters, MonthlySeatsRow>(CursorScope::Account(&account))?;
    let months = MonthRange::new(params.from, params.to)?;
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
    list::answer(rows, &request, &WriteOptions::new(time_zone))
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
    #[param(inline)]
    pub status: Option<SeatStatusFilter>,
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
        ListingPage<ActivatedSeatRow>,
        AccountProblems,
    ),
    security(("bearer" = []))
)]
pub async fn activated_seats(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    listing: ListingQuery,
) -> Result<Response, ApiError> {
    let usage = principal.read_usage(&account)?;
    let (params, mut request) = listing
        .read::<ActivatedSeatsParameters, ActivatedSeatRow>(CursorScope::Account(&account))?;
    let filter = ActivatedSeatFilter {
        status: query::member(params.status),
        organization: params.organization,
    };
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
    list::answer(rows, &request, &WriteOptions::new(time_zone))
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
        AsOf,
    ),
    responses(
        (status = 200, description = "The explanation.", body = SeatExplanationBody),
        AccountProblems,
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
    let params = query::parse::<AsOf>(query.as_deref())?;
    let at = params.at.unwrap_or_else(Utc::now);
    Ok(Json(
        state
            .with_store(move |store| {
                Ok(tally_figures::seats::seat_explanation(store, &usage, &user, at)?)
            })
            .await?,
    ))
}
