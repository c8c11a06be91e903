//! Action runs: all of an account's for its administrators, their own for a
//! member (the seed's "My inbox > Runs").

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use tally_figures::runs::{RUNS, RunRow};
use tally_report::WriteOptions;
use tally_store::{RunColumn, RunKey, RunQuery, RunsAfter};
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::list::{self, ListRequest, StoreKey};
use crate::query::{QueryParams, check_range};
use crate::state::{AppState, Authenticated, PathParams};

/// A page of runs.
#[derive(Serialize, ToSchema)]
pub struct RunPage {
    /// The rows.
    pub items: Vec<RunRow>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
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
        ("user" = Option<String>, Query, description = "Only this user's runs."),
        ("action" = Option<String>, Query, description = "Only this action's runs."),
        ("status" = Option<String>, Query, description = "Only states of this kind: in_progress, success, failure or cancelled."),
        ("run_id" = Option<String>, Query, description = "Only this run."),
        ("from" = Option<String>, Query, description = "Reported at or after this instant (RFC 3339).", format = DateTime),
        ("to" = Option<String>, Query, description = "Reported before this instant (RFC 3339).", format = DateTime),
        ("sort" = Option<String>, Query, description = "at, run_id, action, organization, trigger, status or user; a leading - sorts descending. Default -at."),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor."),
        ("limit" = Option<i64>, Query, description = "Rows per page, 1 to 1000; default 100.", minimum = 1, maximum = 1000),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx; or send an Accept header."),
    ),
    responses(
        (status = 200, description = "A page of run states.", content(
            (RunPage = "application/json"),
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
pub async fn runs(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let view = principal.read_runs(&account)?;
    let params = QueryParams::parse::<__path_runs>(query.as_deref())?;
    let (from, to) = (params.instant("from")?, params.instant("to")?);
    check_range(&from, &to)?;
    // A cursor holds the sort value and the row's sequence number.
    let request = ListRequest::parse(&params, &headers, &RUNS, list::STORE_KEY_LEN)?;
    let sort = RunColumn::ALL[request.sort_column];
    let after = request.store_after(sort == RunColumn::At)?.map(|(value, seq)| RunsAfter {
        key: match value {
            StoreKey::Text(text) => RunKey::Text(text),
            StoreKey::Integer(value) => RunKey::Micros(value),
        },
        seq,
    });
    let query = RunQuery {
        user: params.filter("user")?,
        action: params.filter("action")?,
        status: params.filter("status")?,
        run_id: params.filter("run_id")?,
        from,
        to,
        sort,
        descending: request.descending,
        after,
        // One more than asked, to know whether there is a next page.
        limit: request.limit + 1,
    };
    let (states, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(view.account())?.calendar.time_zone;
            Ok((store.runs(&view, &query)?, time_zone))
        })
        .await?;
    let page = request.store_page(
        states,
        |last| {
            let value = match last.key(sort) {
                RunKey::Micros(micros) => StoreKey::Integer(micros),
                RunKey::Text(text) => StoreKey::Text(text),
            };
            (value, last.seq)
        },
        RunRow::from,
    );
    list::respond(&RUNS, page, &request, &WriteOptions::new(time_zone))
}
