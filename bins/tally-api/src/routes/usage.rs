//! An account's usage read from its events: event counts per kind and month.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use tally_figures::MonthRange;
use tally_figures::usage::{CountFilter, EventCount};
use tally_report::WriteOptions;
use tally_seats::Month;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::list::{self, CursorScope, ListParameters, ListingPage, ListingQuery};
use crate::query;
use crate::routes::AccountProblems;
use crate::state::{AppState, Authenticated, PathParams};

/// The event count listings' filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountParameters {
    /// Only this event kind.
    #[serde(default, deserialize_with = "query::filter")]
    pub kind: Option<String>,
    /// First month, YYYY-MM.
    #[serde(default, deserialize_with = "query::month")]
    #[param(value_type = Option<String>, pattern = r"^\d{4}-(0[1-9]|1[0-2])$")]
    pub from: Option<Month>,
    /// Last month, YYYY-MM, included.
    #[serde(default, deserialize_with = "query::month")]
    #[param(value_type = Option<String>, pattern = r"^\d{4}-(0[1-9]|1[0-2])$")]
    pub to: Option<Month>,
}

impl CountParameters {
    /// The library's filter of these parameters.
    pub fn filter(self) -> Result<CountFilter, ApiError> {
        Ok(CountFilter::new(self.kind, MonthRange::new(self.from, self.to)?)?)
    }
}

/// Event counts per kind and calendar month.
///
/// The account's stored events per kind and month of the account's time zone;
/// months without events of a kind are left out. For the account's administrators.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/event-counts",
    tag = "usage",
    params(
        ("account" = String, Path, description = "The account's slug."),
        CountParameters,
        ListParameters<EventCount>,
    ),
    responses(
        ListingPage<EventCount>,
        AccountProblems,
    ),
    security(("bearer" = []))
)]
pub async fn event_counts(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    listing: ListingQuery,
) -> Result<Response, ApiError> {
    // Access first: a token learns nothing of another account, not even
    // which parameters its endpoints take.
    let usage = principal.read_usage(&account)?;
    let (params, request) =
        listing.read::<CountParameters, EventCount>(CursorScope::Account(&account))?;
    let filter = params.filter()?;
    let (rows, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(usage.account())?.calendar.time_zone;
            Ok((tally_figures::usage::event_counts(store, &usage, &filter)?, time_zone))
        })
        .await?;
    list::answer(rows, &request, &WriteOptions::new(time_zone))
}
