//! An account's usage read from its events: event counts per kind and month.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use tally_report::{Cell, ColumnKind, WriteOptions};
use tally_seats::Month;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::list::{ListColumn, ListRequest, Listing};
use crate::query::{QueryParams, check_range};
use crate::state::{AppState, Authenticated, PathParams};

/// Events of one kind in one calendar month of the account's time zone.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventCount {
    /// The month, `YYYY-MM`, in the account's time zone.
    #[schema(example = "2026-03")]
    pub month: String,
    /// The event kind.
    #[schema(example = "login")]
    pub kind: String,
    /// Events stored.
    pub events: u64,
}

/// A page of event counts.
#[derive(Serialize, ToSchema)]
pub struct EventCountPage {
    /// The rows.
    pub items: Vec<EventCount>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

pub(crate) static EVENT_COUNTS: Listing<EventCount> = Listing {
    title: "Event counts",
    columns: &[
        ListColumn {
            name: "month",
            title: "Month",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.month.clone()),
        },
        ListColumn {
            name: "kind",
            title: "Kind",
            kind: ColumnKind::Text,
            cell: |row| Cell::Text(row.kind.clone()),
        },
        ListColumn {
            name: "events",
            title: "Events",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.events as i64),
        },
    ],
    key: &["month", "kind"],
    default_sort: "month",
};

/// Filters shared by the event count listings.
pub(crate) struct CountFilter {
    pub kind: Option<String>,
    pub from: Option<Month>,
    pub to: Option<Month>,
}

impl CountFilter {
    pub(crate) fn parse(params: &QueryParams) -> Result<CountFilter, ApiError> {
        let kind = params.filter("kind")?;
        if let Some(kind) = &kind
            && !tally_events::KIND_NAMES.contains(&kind.as_str())
        {
            return Err(ApiError::bad_parameter(
                "kind",
                format!("{kind:?} is not an event kind; see docs/events.md"),
            ));
        }
        let (from, to) = (params.month("from")?, params.month("to")?);
        check_range(&from, &to)?;
        Ok(CountFilter { kind, from, to })
    }

    pub(crate) fn keeps(&self, month: Month, kind: &str) -> bool {
        self.kind.as_deref().is_none_or(|wanted| wanted == kind)
            && self.from.is_none_or(|from| month >= from)
            && self.to.is_none_or(|to| month <= to)
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
    let request = ListRequest::parse(&params, &headers, &EVENT_COUNTS, EVENT_COUNTS.key_len())?;
    let (rows, time_zone) = state
        .with_store(move |store| {
            let time_zone = store.account(usage.account())?.calendar.time_zone;
            let rows: Vec<EventCount> = store
                .monthly_event_counts(&usage)?
                .into_iter()
                .filter(|count| filter.keeps(count.month, &count.kind))
                .map(|count| EventCount {
                    month: count.month.to_string(),
                    kind: count.kind,
                    events: count.events,
                })
                .collect();
            Ok((rows, time_zone))
        })
        .await?;
    let page = EVENT_COUNTS.page(rows, &request);
    EVENT_COUNTS.respond(page, &request, &WriteOptions::new(time_zone))
}
