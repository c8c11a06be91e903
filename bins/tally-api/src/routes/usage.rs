//! An account's usage read from its events: event counts per kind and month.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use tally_events::EventKind;
use tally_figures::usage::{EVENT_COUNTS, EventCount};
use tally_report::WriteOptions;
use tally_seats::Month;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::list::{self, ListRequest};
use crate::query::{QueryParams, check_range};
use crate::state::{AppState, Authenticated, PathParams};

/// A page of event counts.
#[derive(Serialize, ToSchema)]
pub struct EventCountPage {
    /// The rows.
    pub items: Vec<EventCount>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Filters shared by the event count listings.
pub(crate) struct CountFilter {
    pub kind: Option<EventKind>,
    pub from: Option<Month>,
    pub to: Option<Month>,
}

impl CountFilter {
    pub(crate) fn parse(params: &QueryParams) -> Result<CountFilter, ApiError> {
        let kind = match params.filter("kind")? {
            None => None,
            Some(kind) => Some(EventKind::parse(&kind).ok_or_else(|| {
                ApiError::bad_parameter(
                    "kind",
                    format!("{kind:?} is not an event kind; see docs/events.md"),
                )
            })?),
        };
        let (from, to) = (params.month("from")?, params.month("to")?);
        check_range(&from, &to)?;
        Ok(CountFilter { kind, from, to })
    }

    /// Whether a row of `month` (`YYYY-MM`, which orders as text) and `kind` passes.
    pub(crate) fn keeps(&self, month: &str, kind: EventKind) -> bool {
        self.kind.is_none_or(|wanted| wanted == kind)
            && self.from.is_none_or(|from| month >= from.to_string().as_str())
            && self.to.is_none_or(|to| month <= to.to_string().as_str())
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
        ("kind" = Option<String>, Query, description = "Only this event kind."),
        ("from" = Option<String>, Query, description = "First month, YYYY-MM.", pattern = r"^\d{4}-(0[1-9]|1[0-2])$"),
        ("to" = Option<String>, Query, description = "Last month, YYYY-MM, included.", pattern = r"^\d{4}-(0[1-9]|1[0-2])$"),
        ("sort" = Option<String>, Query, description = "month, kind or events; a leading - sorts descending. Default month."),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor."),
        ("limit" = Option<i64>, Query, description = "Rows per page, 1 to 1000; default 100.", minimum = 1, maximum = 1000),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx; or send an Accept header."),
    ),
    responses(
        (status = 200, description = "A page of counts.", content(
            (EventCountPage = "application/json"),
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
pub async fn event_counts(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(account): PathParams<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Access first: a token learns nothing of another account, not even
    // which parameters its endpoints take.
    let usage = principal.read_usage(&account)?;
    let params = QueryParams::parse::<__path_event_counts>(query.as_deref())?;
    let filter = CountFilter::parse(&params)?;
    let request =
        ListRequest::parse(&params, &headers, &EVENT_COUNTS, list::key_len(&EVENT_COUNTS))?;
    let (rows, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(usage.account())?.calendar.time_zone;
            let mut rows = tally_figures::usage::event_counts(store, &usage)?;
            rows.retain(|row: &EventCount| filter.keeps(&row.month, row.kind));
            Ok((rows, time_zone))
        })
        .await?;
    let page = list::page(&EVENT_COUNTS, rows, &request);
    list::respond(&EVENT_COUNTS, page, &request, &WriteOptions::new(time_zone))
}
