//! What lies behind a figure: the activity rows a widget's row was summed
//! from, and why a person is (or is not) an active seat.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::SecondsFormat;
use chrono_tz::Tz;
use maud::{Markup, html};
use tally_figures::dashboard::{ACTIVITY, ActivityRow};
use tally_figures::seats::SeatExplanationBody;
use tally_store::ActivityFilter;

use crate::error::ApiError;
use crate::list::{self, CursorScope, Page};
use crate::query;
use crate::routes::dashboard::{ActivityParameters, activity_listing};
use crate::routes::seats::{ExplanationParameters, instant_in};
use crate::state::{AppState, PathParams};
use crate::web::WebError;
use crate::web::dashboard::widget::{DOWNLOADS, cell_markup, segment};
use crate::web::layout::{self, Section};
use crate::web::session::Viewer;

/// The activity rows behind a figure: the page of `GET
/// /v1/accounts/{account}/activity` the same query asks for, with the same
/// filters, sort, cursor and limit. A query asking for a whole file is sent
/// to the API, which writes it.
pub async fn activity_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let slug = viewer.administered_account()?.to_owned();
    let usage = viewer.principal.read_usage(&slug)?;
    let raw = raw.unwrap_or_default();
    let api_listing = format!("/v1/accounts/{}/activity", segment(&slug));
    // No Accept header: the page is a page whatever the browser accepts.
    let (params, request) = list::read_listing::<ActivityParameters, ActivityRow>(
        Some(&raw),
        &HeaderMap::new(),
        state.cursor_key(),
        CursorScope::Account(&slug),
    )?;
    let listing = state.with_store(move |store| activity_listing(store, &usage, params)).await?;
    let all_rows = listing.rows.len();
    let Some(page) = list::page_of(listing.rows, &request) else {
        return Ok(Redirect::to(&format!("{api_listing}?{raw}")).into_response());
    };
    let filter_query = without(&raw, &["cursor", "limit", "format", "bom"]);
    let downloads = DOWNLOADS.map(|(label, format)| {
        (label, format!("{api_listing}?{}", with(&filter_query, "format", format)))
    });
    let next = page.next_cursor.as_ref().map(|cursor| {
        format!("/dashboard/activity?{}", with(&without(&raw, &["cursor"]), "cursor", cursor))
    });
    let first = raw
        .split('&')
        .any(|piece| piece.starts_with("cursor="))
        .then(|| format!("/dashboard/activity?{}", without(&raw, &["cursor"])));
    let body = html! {
        (describe(&listing.filter))
        div class="dashboard-summary" {
            p { (all_rows) @if all_rows == 1 { " row" } @else { " rows" } " match; a page holds up to " (request_limit(&raw)) "." }
            (layout::download_menu("Download every row", downloads))
        }
        (rows_table(&page, listing.time_zone))
        nav class="pager" aria-label="Pages" {
            @if let Some(first) = &first { a href=(first) { "First page" } }
            @if let Some(next) = &next { a href=(next) rel="next" { "Next page" } }
        }
    };
    Ok(layout::page(&viewer, "The activity behind a figure", Section::Dashboard, &[], body)
        .into_response())
}

/// The page size `raw` asks for, as the API reads it (checked already).
fn request_limit(raw: &str) -> String {
    form_urlencoded::parse(raw.as_bytes())
        .find(|(name, _)| name == "limit")
        .map_or_else(|| list::DEFAULT_LIMIT.to_string(), |(_, value)| value.into_owned())
}

/// `raw` without the parameters `names`.
fn without(raw: &str, names: &[&str]) -> String {
    let kept: Vec<&str> = raw
        .split('&')
        .filter(|piece| {
            let name = piece.split_once('=').map_or(*piece, |(name, _)| name);
            !piece.is_empty() && !names.contains(&name)
        })
        .collect();
    kept.join("&")
}

/// `raw` with `name=value` added.
fn with(raw: &str, name: &str, value: &str) -> String {
    form_urlencoded::Serializer::for_suffix(raw.to_owned(), 0).append_pair(name, value).finish()
}

/// The filter in words.
fn describe(filter: &ActivityFilter) -> Markup {
    let kinds: Vec<&str> = filter.kinds.iter().map(|kind| kind.wire_name()).collect();
    let subject = match filter.subject.as_deref() {
        Some("") => Some("none (AI invocations shown as Other, MCP calls without a tool)"),
        other => other,
    };
    html! {
        dl class="dashboard-filter" {
            dt { "Kinds" } dd { (kinds.join(", ")) }
            dt { "Days" } dd { (filter.days.first) " to " (filter.days.last) }
            @for (name, value) in [
                ("Organization", filter.organization.as_deref()),
                ("Team", filter.team.as_deref()),
                ("Role", filter.role.map(|role| role.as_str())),
                ("Page, action, source or tool", subject),
                ("User", filter.user.as_deref()),
            ] {
                @if let Some(value) = value { dt { (name) } dd { (value) } }
            }
        }
    }
}

fn rows_table(page: &Page<ActivityRow>, zone: Tz) -> Markup {
    let columns = ACTIVITY.columns;
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label="Activity rows" {
            table {
                caption { "Activity rows, " (page.items.len()) " on this page" }
                thead {
                    tr {
                        @for column in columns {
                            th scope="col" class=[column.kind.is_numeric().then_some("number")]
                                data-column=(column.name) { (column.title) }
                        }
                    }
                }
                tbody {
                    @if page.items.is_empty() {
                        tr { td colspan=(columns.len()) class="hint" { "No activity matches." } }
                    }
                    @for row in &page.items {
                        tr {
                            @for (column, cell) in columns.iter().zip(ACTIVITY.cells(row)) {
                                td class=[column.kind.is_numeric().then_some("number")] { (cell_markup(&cell, zone)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Why `user` is, or is not, an active seat at the instant asked: the same
/// explanation as `GET /v1/accounts/{account}/seats/users/{user}`.
pub async fn seat_page(
    State(state): State<AppState>,
    viewer: Viewer,
    path: Result<PathParams<String>, ApiError>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let PathParams(user) = path?;
    let slug = viewer.administered_account()?.to_owned();
    let usage = viewer.principal.read_usage(&slug)?;
    let params = query::parse::<ExplanationParameters>(raw.as_deref())?;
    let at = instant_in(&state, &slug, params.at).await?.unwrap_or_else(chrono::Utc::now);
    let asked_user = user.clone();
    let (explanation, zone) = state
        .with_store(move |store| {
            let zone = store.account(usage.account())?.calendar.time_zone;
            let explanation =
                tally_figures::seats::seat_explanation(store, &usage, &asked_user, at)?;
            Ok((explanation, zone))
        })
        .await?;
    let api = format!(
        "/v1/accounts/{}/seats/users/{}?{}",
        segment(&slug),
        segment(&user),
        form_urlencoded::Serializer::new(String::new())
            .append_pair("at", &at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            .finish()
    );
    let title = format!("Why {user} is billed, or not");
    let body = explanation_body(&explanation, zone, &api);
    Ok(layout::page(&viewer, &title, Section::Dashboard, &[], body).into_response())
}

fn explanation_body(explanation: &SeatExplanationBody, zone: Tz, api: &str) -> Markup {
    let rule = &explanation.rule;
    let counting = explanation.weeks.iter().filter(|week| week.counts).count();
    html! {
        div class="seat-explanation" {
            p class="seat-status" {
                "Status as of " (layout::instant(explanation.at)) ": "
                strong data-seat-status=(explanation.status.as_str()) { (explanation.status.as_str().replace('_', " ")) }
            }
            p class="seat-reason" data-seat-reason { (explanation.reason) }
            dl class="dashboard-filter" {
                dt { "Rule" }
                dd {
                    (rule.logins_needed) " counted logins in " (rule.weeks_needed)
                    " different calendar weeks of the term, a week counting from "
                    (rule.logins_per_week) @if rule.logins_per_week == 1 { " login" } @else { " logins" }
                }
                dt { "Term" }
                dd {
                    @match &explanation.term {
                        Some(term) => { (term.start) " up to " (term.end) }
                        None => { "none holds this instant" }
                    }
                }
                dt { "Became a seat" }
                dd data-activated-at=[explanation.activated_at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true))] {
                    @match explanation.activated_at {
                        Some(at) => { (layout::instant(at)) }
                        None => { "not in this term" }
                    }
                }
                dt { "Weeks that count" }
                dd data-weeks-counting=(counting) { (counting) " of " (explanation.weeks.len()) " weeks with counted logins" }
            }
            p { a href=(api) { "The same explanation as JSON" } }
        }
        div class="table-wrap" tabindex="0" role="region" aria-label="Counted logins by week" {
            table {
                caption { "Counted logins by calendar week (weeks start in " (zone.name()) ")" }
                thead {
                    tr {
                        th scope="col" { "Week of" }
                        th scope="col" class="number" { "Logins" }
                        th scope="col" { "Counts" }
                        th scope="col" { "Logins at" }
                    }
                }
                tbody {
                    @if explanation.weeks.is_empty() {
                        tr { td colspan="4" class="hint" { "No counted logins in the term." } }
                    }
                    @for week in &explanation.weeks {
                        tr {
                            th scope="row" { (week.week) }
                            td class="number" { (week.logins.len()) }
                            td { @if week.counts { "yes" } @else { "no" } }
                            td {
                                @for (index, login) in week.logins.iter().enumerate() {
                                    @if index > 0 { ", " }
                                    (layout::instant(*login))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
