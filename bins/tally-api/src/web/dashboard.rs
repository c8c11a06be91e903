//! The usage dashboard's pages (docs/web.md, "The usage dashboard"), for an
//! account's administrator: a page per tab with every widget's figures, chart
//! and table under the filters in the URL, each widget's chart as the SVG the
//! tab's PDF embeds, the activity behind a figure, and a seat's explanation.
//!
//! Every figure comes from the same `tally-figures` call the API's dashboard
//! endpoints make, asked with the query they read, so a page shows what the
//! API answers for the same URL's filters.

mod behind;
mod filters;
mod widget;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::SecondsFormat;
use maud::{Markup, html};
use tally_figures::dashboard::{
    DashboardQuery, Tab, WidgetTable, tab_tables, widget_svg, widget_table,
};
use tally_store::{Account, Organization, Team};

use crate::error::ApiError;
use crate::routes::dashboard::{asked, tab_named, widget_named};
use crate::state::{AppState, PathParams};
use crate::web::WebError;
use crate::web::layout::{self, Section};
use crate::web::session::Viewer;

use filters::Filters;
use widget::{WidgetView, segment};

/// The usage dashboard's pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(|| async { Redirect::to("/dashboard/users-activity") }))
        .route("/dashboard/activity", get(behind::activity_page))
        .route("/dashboard/seats/{user}", get(behind::seat_page))
        .route("/dashboard/{tab}", get(tab_page))
        .route("/dashboard/{tab}/{widget}/chart.svg", get(chart))
}

/// What a tab's page needs besides the viewer.
struct TabView {
    tab: Tab,
    filters: Filters,
    organizations: Vec<Organization>,
    teams: Vec<Team>,
    zone: String,
    /// The tab's widgets, or the API's refusal of the filters.
    widgets: Result<TabFigures, ApiError>,
}

/// A tab's widgets and what they were asked with.
struct TabFigures {
    account: Account,
    query: DashboardQuery,
    widgets: Vec<WidgetTable>,
}

/// A tab of the dashboard: the filters, the tab's PDF, every widget. Filters
/// the API would refuse are shown refused, with the API's words and its 400.
async fn tab_page(
    State(state): State<AppState>,
    viewer: Viewer,
    path: Result<PathParams<String>, ApiError>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let PathParams(tab) = path?;
    let slug = viewer.administered_account()?.to_owned();
    let usage = viewer.principal.read_usage(&slug)?;
    let tab = tab_named(&tab)?;
    let filters = Filters::read(raw.as_deref());
    let asked_filters = filters.parameters();
    let view = state
        .with_store(move |store| {
            let organizations = store.organizations(usage.account())?;
            let teams = store.teams(usage.account())?;
            let zone = store.account(usage.account())?.calendar.time_zone.name().to_owned();
            let widgets = asked_filters.and_then(|params| {
                let (account, query) = asked(store, &usage, &params)?;
                let widgets = tab_tables(store, &usage, tab, &query)?;
                Ok(TabFigures { account, query, widgets })
            });
            Ok(TabView { tab, filters, organizations, teams, zone, widgets })
        })
        .await?;
    // A refused filter is shown on the page, under the form to correct it;
    // anything else is the error page's.
    let status = match view.widgets {
        Ok(_) => StatusCode::OK,
        Err(ApiError::BadParameter { .. } | ApiError::UnknownParameter { .. }) => {
            StatusCode::BAD_REQUEST
        }
        Err(error) => return Err(WebError::Api(error)),
    };
    let body = render_tab(&view);
    let title = format!("Usage dashboard: {}", tab.title());
    Ok((status, layout::page(&viewer, &title, Section::Dashboard, &["dashboard.js"], body))
        .into_response())
}

fn render_tab(view: &TabView) -> Markup {
    let tab = view.tab;
    let path = format!("/dashboard/{}", tab.name());
    let same_view = view.filters.query();
    let tabs = Tab::ALL.iter().map(|other| {
        (other.title(), format!("/dashboard/{}{same_view}", other.name()), *other == tab)
    });
    html! {
        (layout::tabs("Dashboard tabs", tabs))
        (view.filters.form(&path, &view.organizations, &view.teams, &view.zone))
        @match &view.widgets {
            Err(refusal) => {
                p class="problem" role="alert" id="dashboard-problem" { (refusal) }
            }
            Ok(TabFigures { account, query, widgets }) => {
                @let at = query.at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
                @let same_figures = view.filters.pinned(&at);
                @let zone = account.calendar.time_zone;
                div class="dashboard-summary" {
                    p {
                        (account.name) ", as of " (layout::instant(query.at))
                        @if let Some(organization) = &query.organization { " · organization " strong { (organization) } }
                        @if let Some(team) = &query.team { " · team " strong { (team) } }
                        @if query.from.is_some() || query.to.is_some() {
                            " · days "
                            (query.from.map_or_else(|| "each widget's first".to_owned(), |day| day.to_string()))
                            " to "
                            (query.to.map_or_else(|| "the day of the instant".to_owned(), |day| day.to_string()))
                        }
                    }
                    a class="button" download
                        href={ "/v1/accounts/" (segment(&account.slug)) "/dashboard/" (tab.name()) "?" (same_figures) "&format=pdf" } {
                        "Download the tab as PDF"
                    }
                }
                div class="widgets" {
                    @for answer in widgets {
                        (WidgetView { account: &account.slug, answer, same_figures: &same_figures, at: query.at, zone }.render())
                    }
                }
            }
        }
    }
}

/// A widget's chart, drawn as the tab's PDF draws it, for the same filters as
/// its page.
async fn chart(
    State(state): State<AppState>,
    viewer: Viewer,
    path: Result<PathParams<(String, String)>, ApiError>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let PathParams((tab, widget)) = path?;
    let slug = viewer.administered_account()?.to_owned();
    let usage = viewer.principal.read_usage(&slug)?;
    let tab = tab_named(&tab)?;
    let widget = widget_named(tab, &widget)?;
    let params = Filters::read(raw.as_deref()).parameters()?;
    let svg = state
        .with_store(move |store| {
            let (account, query) = asked(store, &usage, &params)?;
            let answer = widget_table(store, &usage, widget, &query)?;
            widget_svg(&answer, account.calendar.time_zone).map_err(|error| {
                tracing::error!(error = %crate::error::error_chain(&error), "drawing a chart");
                ApiError::Internal
            })
        })
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!("the widget {} is a table, not a chart", widget.name()))
        })?;
    let mut response = svg.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    Ok(response)
}
