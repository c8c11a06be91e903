//! Active seats (D1-D3): monthly figures, the activated seats log, and one user's
//! explanation. For the account's administrators.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tally_figures::seats::{
    ActivatedSeatFilter, ActivatedSeatRow, MonthlySeatsRow, SeatExplanationBody,
};
use tally_figures::{InstantOrDay, MonthRange};
use tally_report::WriteOptions;
use tally_seats::Month;

use utoipa::openapi::RefOr;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::{IntoParams, IntoResponses, PartialSchema};

use crate::error::ApiError;
use crate::list::{self, CursorScope, ListParameters, ListingPage, ListingQuery};
use crate::query::{self, SeatStatusFilter};
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
    /// No month after the one holding this instant (RFC 3339) or date (YYYY-MM-DD, the start of that day in the account's time zone); default now. A cursor keeps its page's instant.
    #[serde(default, deserialize_with = "query::instant_or_day")]
    #[param(value_type = Option<String>)]
    pub at: Option<InstantOrDay>,
}

/// Monthly active seats.
///
/// For each calendar month of the account's terms up to the one holding `at`,
/// the users who were an active seat at some moment of it, of the whole account
/// or of one organization.
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
    let (params, mut request) =
        listing.read::<MonthlySeatsParameters, MonthlySeatsRow>(CursorScope::Account(&account))?;
    let months = MonthRange::new(params.from, params.to)?;
    let at = request.instant(instant_in(&state, &account, params.at).await?, Utc::now())?;
    let organization = params.organization;
    let (rows, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(usage.account())?.calendar.time_zone;
            let rows = tally_figures::seats::monthly_seats_between(
                store,
                &usage,
                organization.as_deref(),
                months,
                at,
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
    /// The instant the log is as of (RFC 3339), or a date (YYYY-MM-DD, the start of that day in the account's time zone); default now. A cursor keeps its page's instant, so later pages may leave it out; a cursor made at another instant is refused.
    #[serde(default, deserialize_with = "query::instant_or_day")]
    #[param(value_type = Option<String>)]
    pub at: Option<InstantOrDay>,
    /// Only users with this status: active, not_yet_active, disabled, removed or outside_term.
    #[param(inline)]
    pub status: Option<SeatStatusFilter>,
    /// Only users seen in this organization.
    #[serde(default, deserialize_with = "query::filter")]
    pub organization: Option<String>,
}

/// The activated seats log's answer, as any listing's, with its `Tally-Term`.
pub struct ActivatedLogAnswer;

impl IntoResponses for ActivatedLogAnswer {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let term = HeaderBuilder::new()
            .schema(Some(String::schema()))
            .description(Some("The term holding `at`, START..END, or `none`."));
        let response =
            ListingPage::<ActivatedSeatRow>::response().header("Tally-Term", term.build()).build();
        BTreeMap::from([("200".to_owned(), RefOr::T(response))])
    }
}

/// The activated seats log.
///
/// Every user who became an active seat in the term holding `at`, with their
/// activation, logins and qualifying weeks so far, and their status at `at`.
/// The `Tally-Term` header names the term looked at (`2026-01-01..2027-01-01`),
/// or is `none` when `at` is in no term: an empty page then says why.
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
        ActivatedLogAnswer,
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
    let at = request.instant(instant_in(&state, &account, params.at).await?, Utc::now())?;
    let logs = state.activated_logs();
    let (rows, time_zone, term) = state
        .with_store(move |store| {
            let account = store.account(usage.account())?;
            let version = store.seat_state_version(&usage)?;
            let log = logs.get_or_compute(version, at, || {
                tally_figures::seats::activated_seats(store, &usage, at)
            })?;
            let term = tally_figures::seats::term_holding(&account, at);
            Ok((filter.select(&log), account.calendar.time_zone, term))
        })
        .await?;
    let mut response = list::answer(rows, &request, &WriteOptions::new(time_zone))?;
    let term = term.map_or_else(|| "none".to_owned(), |term| term.to_string());
    response.headers_mut().insert(
        HeaderName::from_static("tally-term"),
        HeaderValue::from_str(&term).expect("a term is ASCII"),
    );
    Ok(response)
}

/// The instant `at` stands for in `account`: a date is the start of that day
/// in the account's time zone, which only the store knows.
pub(crate) async fn instant_in(
    state: &AppState,
    account: &str,
    at: Option<InstantOrDay>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    match at {
        None => Ok(None),
        Some(InstantOrDay::Instant(at)) => Ok(Some(at)),
        Some(day @ InstantOrDay::Day(_)) => {
            let slug = account.to_owned();
            let calendar =
                state.with_store(move |store| Ok(store.account(&slug)?.calendar)).await?;
            Ok(Some(day.instant(&calendar)))
        }
    }
}

/// The explanation's instant.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExplanationParameters {
    /// The instant explained (RFC 3339), or a date (YYYY-MM-DD, the start of that day in the account's time zone); default now.
    #[serde(default, deserialize_with = "query::instant_or_day")]
    #[param(value_type = Option<String>)]
    pub at: Option<InstantOrDay>,
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
    let params = query::parse::<ExplanationParameters>(query.as_deref())?;
    let at = instant_in(&state, &account, params.at).await?.unwrap_or_else(Utc::now);
    Ok(Json(
        state
            .with_store(move |store| {
                Ok(tally_figures::seats::seat_explanation(store, &usage, &user, at)?)
            })
            .await?,
    ))
}
