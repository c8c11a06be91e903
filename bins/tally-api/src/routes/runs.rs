//! Action runs: all of an account's for its administrators, their own for a
//! member (the seed's "My inbox > Runs").

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tally_figures::runs::RunRow;
use tally_report::WriteOptions;
use tally_store::{RunColumn, RunQuery, RunState, RunsAfter};
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::list::{
    self, CursorScope, ListParameters, ListRequest, ListingPage, ListingQuery, StoreListing,
};
use crate::query::{self, check_range};
use crate::routes::AccountProblems;
use crate::state::{AppState, Authenticated, PathParams};

/// The runs listing's filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunParameters {
    /// Only this user's runs.
    #[serde(default, deserialize_with = "query::filter")]
    pub user: Option<String>,
    /// Only this action's runs.
    #[serde(default, deserialize_with = "query::filter")]
    pub action: Option<String>,
    /// Only states of this kind: in_progress, success, failure or cancelled.
    #[serde(default, deserialize_with = "query::filter")]
    pub status: Option<String>,
    /// Only this run.
    #[serde(default, deserialize_with = "query::filter")]
    pub run_id: Option<String>,
    /// Reported at or after this instant (RFC 3339).
    #[serde(default, deserialize_with = "query::instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<DateTime<Utc>>,
    /// Reported before this instant (RFC 3339).
    #[serde(default, deserialize_with = "query::instant")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<DateTime<Utc>>,
}

/// The store's query for a listing's filters and sort, without its page:
/// the API's listing and the web page's read the same runs.
pub(crate) fn run_query(
    params: RunParameters,
    request: &ListRequest,
) -> Result<RunQuery, ApiError> {
    check_range(&params.from, &params.to)?;
    Ok(RunQuery {
        user: params.user,
        action: params.action,
        status: params.status,
        run_id: params.run_id,
        from: params.from,
        to: params.to,
        sort: RunColumn::ALL[request.sort_column],
        descending: request.descending,
        after: None,
        limit: 0,
    })
}

/// Action runs.
///
/// The account's action run states, newest first by default. Administrators see
/// every run; a member sees only their own, whatever `user` asks for.
#[utoipa::path(
    get,
    path = "/v1/accounts/{account}/runs",
    tag = "runs",
    params(
        ("account" = String, Path, description = "The account's slug."),
        RunParameters,
        ListParameters<RunRow>,
    ),
    responses(
        ListingPage<RunRow>,
        AccountProblems,
    ),
    security(("bearer" = []))
)]
pub async fn runs(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    listing: ListingQuery,
) -> Result<Response, ApiError> {
    let view = principal.read_runs(&account)?;
    let (params, request) =
        listing.read::<RunParameters, RunRow>(CursorScope::Account(&account))?;
    let query = run_query(params, &request)?;
    let sort = query.sort;
    let slug = view.account().to_owned();
    let time_zone =
        state.with_store(move |store| Ok(store.account(&slug)?.calendar.time_zone)).await?;
    let read = move |after: Option<RunsAfter>, limit: usize| {
        let query = RunQuery { after, limit, ..query.clone() };
        state.in_store(|store| Ok(store.runs(&view, &query)?))
    };
    let listing = StoreListing {
        read,
        position: move |last: &RunState| RunsAfter { key: last.key(sort), seq: last.seq },
        item: RunRow::from,
        // A cursor holds the sort value and the row's sequence number.
        integer_sort: sort == RunColumn::At,
    };
    list::answer_from_store(listing, &request, &WriteOptions::new(time_zone)).await
}
