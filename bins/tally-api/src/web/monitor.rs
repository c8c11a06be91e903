//! The usage monitor's pages (docs/web.md, "The usage monitor"): Today and
//! Activities, for the vendor's staff, each team seeing the accounts of its
//! scope exactly as the API's monitor routes decide, since both read the same
//! snapshot and the same store functions through the same `MonitorView`.
//!
//! Every figure is on the page as the server rendered it, so the pages read
//! without scripts; `monitor.js` keeps Today live over the API's server-sent
//! event streams.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::get;
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use tally_figures::monitor::{
    ACTIVITY_ITEMS, ActivitiesSummary, ActivityItem, Comparison, DaySpan, ItemKind, Period,
};
use tally_monitor::{AsOf, Figure, OptionalFigure, StreamItem};
use tally_report::Format;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::list::{self, CursorScope, ListParameters, ListRequest};
use crate::query;
use crate::routes::activities::{ActivitiesParameters, NameParameter};
use crate::routes::live::{LiveItem, stream_answer, today_answer, top_answer};
use crate::state::AppState;
use crate::web::WebError;
use crate::web::layout::{Section, download_menu, instant, page, tabs};
use crate::web::session::Viewer;

/// Items of the activity stream a page of Today shows; the rest is a page on.
pub const STREAM_ITEMS: usize = 50;
/// Rows of the Activities list a page shows; the rest is a page on, and the
/// whole list is a download.
pub const LIST_ROWS: usize = 100;

/// The usage monitor's pages.
pub fn routes() -> Router<AppState> {
    Router::new().route("/monitor", get(today)).route("/monitor/activities", get(activities))
}

/// The two tabs, the current one marked.
fn monitor_tabs(current: &str) -> Markup {
    tabs(
        "Usage monitor",
        [("Today", "/monitor"), ("Activities", "/monitor/activities")]
            .map(|(name, href)| (name, href.to_owned(), name == current)),
    )
}

/// Today's query: the activity stream's page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TodayParameters {
    /// The previous page's next cursor of the activity stream.
    cursor: Option<String>,
}

/// Today: the figures, the four top 10 lists and the activity stream.
async fn today(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Markup, WebError> {
    let view = viewer.principal.read_monitor()?;
    let TodayParameters { cursor } = query::parse(raw.as_deref())?;
    let figures = today_answer(state.live(), &view);
    let top = top_answer(state.live(), &view).top;
    let stream = stream_answer(&state, &view, cursor.as_deref(), STREAM_ITEMS)?;
    let as_of = &figures.figures.as_of;
    let body = html! {
        (monitor_tabs("Today"))
        (clock(as_of, figures.refresh_secs))
        section class="monitor-figures" aria-label="Today's figures" {
            (figure_card("accounts_online", "Accounts online now", &figures.figures.accounts_online, Unit::Count))
            (figure_card("users_online", "Users online now", &figures.figures.users_online, Unit::Count))
            (optional_figure_card(&figures.figures.time_per_user_secs, &figures.figures.users_with_activity_today))
            (figure_card("users_seen_today", "Users seen today", &figures.figures.users_seen_today, Unit::Count))
            (figure_card("time_spent_secs", "Time spent today", &figures.figures.time_spent_secs, Unit::Seconds))
        }
        div class="widgets monitor-top" {
            (top_table("top-accounts", "Most active accounts today", &["Account", "Users seen today"],
                top.accounts.iter().map(|row| vec![TopCell::text(&row.account), TopCell::count(row.users_seen_today)]).collect()))
            (top_table("top-users", "Most active users today", &["User", "Account", "Time spent"],
                top.users.iter().map(|row| vec![TopCell::text(&row.user), TopCell::text(&row.account), TopCell::secs(row.time_spent_secs)]).collect()))
            (top_table("top-modules", "Popular modules today", &["Module", "Users"],
                top.modules.iter().map(|row| vec![TopCell::text(&row.module), TopCell::count(row.users)]).collect()))
            (top_table("top-activities", "Frequent actions today", &["Module", "Action", "Actions"],
                top.activities.iter().map(|row| vec![TopCell::text(&row.module), TopCell::text(&row.action), TopCell::count(row.actions)]).collect()))
        }
        section class="widget wide monitor-stream" {
            header {
                h2 id="stream-title" { "Activity stream" }
                div class="stream-controls" {
                    // Auto refresh needs the script, which shows the box.
                    label class="auto-refresh" hidden {
                        input type="checkbox" id="auto-refresh";
                        " Auto refresh"
                    }
                    a href="/monitor#stream-title" { "Refresh" }
                }
            }
            p class="note" {
                "One row per user and module today, newest first. Times since are as of the figures' instant."
            }
            div class="table-wrap" tabindex="0" role="region" aria-label="Activity stream" {
                table id="stream" class="monitor-table" {
                    caption class="visually-hidden" { "Activity stream" }
                    thead {
                        tr {
                            th scope="col" { "Last used" }
                            th scope="col" { "User" }
                            th scope="col" { "Account" }
                            th scope="col" { "Module" }
                            th scope="col" class="number" { "Uses" }
                            th scope="col" { "Actions" }
                            th scope="col" class="number" { "Time spent" }
                            th scope="col" { "Status" }
                            th scope="col" { "Events" }
                        }
                    }
                    tbody {
                        @for item in &stream.items {
                            (stream_row(item))
                        }
                    }
                }
            }
            @if stream.items.is_empty() {
                p class="empty" { "No tracked activity today yet." }
            }
            @if let Some(next) = &stream.next_cursor {
                p class="pager" {
                    a href={ "/monitor?" (encode(&[("cursor", next.as_str())])) "#stream-title" } { "Older items" }
                }
            }
        }
    };
    Ok(page(&viewer, "Usage monitor: Today", Section::Monitor, &["monitor.js"], body))
}

/// When the figures were computed, what "online" means, and how often they
/// are refreshed.
fn clock(as_of: &AsOf, refresh_secs: u64) -> Markup {
    html! {
        p class="monitor-clock" id="monitor-clock" data-refresh-secs=(refresh_secs) {
            "Today is " span id="as-of-day" { (as_of.day) } " (" span id="as-of-zone" { (as_of.zone) } "). "
            "Figures as of " span id="as-of" { (instant_seconds(as_of.at)) } ". "
            strong { "Online" } " means seen in the last "
            span id="online-window" data-secs=(as_of.online_window_secs) { (duration(as_of.online_window_secs.unsigned_abs())) } ". "
            "Refreshed every " (refresh_secs) " s; each change is since the previous refresh. "
            span id="live-state" role="status" {}
        }
    }
}

/// An instant to the second, shown by app.js in the viewer's zone.
fn instant_seconds(at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) data-local-seconds {
            (at.format("%Y-%m-%d %H:%M:%S UTC"))
        }
    }
}

/// How a figure reads.
#[derive(Debug, Clone, Copy)]
enum Unit {
    /// A number of things.
    Count,
    /// A duration in seconds, read as hours, minutes and seconds.
    Seconds,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Seconds => "seconds",
        }
    }

    fn show(self, value: u64) -> String {
        match self {
            Unit::Count => value.to_string(),
            Unit::Seconds => duration(value),
        }
    }
}

/// One of Today's figures: its value and its change, in words and arrow.
fn figure_card(id: &str, title: &str, figure: &Figure, unit: Unit) -> Markup {
    html! {
        div class="monitor-figure" data-figure=(id) data-unit=(unit.name()) {
            h2 { (title) }
            p class="figure" data-value=(figure.value) { (unit.show(figure.value)) }
            (change_since_refresh(figure.change, unit))
        }
    }
}

/// Time per user, which has no value when nobody has a tracked activity.
fn optional_figure_card(figure: &OptionalFigure, users: &Figure) -> Markup {
    html! {
        div class="monitor-figure" data-figure="time_per_user_secs" data-unit=(Unit::Seconds.name()) {
            h2 { "Time per user" }
            p class="figure" data-value=[figure.value] {
                @match figure.value {
                    Some(secs) => (duration(secs)),
                    None => "none yet",
                }
            }
            (change_since_refresh(figure.change, Unit::Seconds))
            p class="note" {
                "over " span data-users-with-activity { (users.value) } " "
                span data-users-noun { (if users.value == 1 { "user" } else { "users" }) }
                " with a tracked activity today"
            }
        }
    }
}

/// A change since the previous refresh: an arrow for the eye and words for
/// everyone, never colour alone.
fn change_since_refresh(change: Option<i64>, unit: Unit) -> Markup {
    let (class, arrow, words) = match change {
        None => ("change none", "", "no earlier refresh to compare with".to_owned()),
        Some(0) => ("change same", "=", "no change since the previous refresh".to_owned()),
        Some(up) if up > 0 => (
            "change up",
            "▲",
            format!("up {} since the previous refresh", unit.show(up.unsigned_abs())),
        ),
        Some(down) => (
            "change down",
            "▼",
            format!("down {} since the previous refresh", unit.show(down.unsigned_abs())),
        ),
    };
    html! {
        p class=(class) data-change=[change] {
            @if !arrow.is_empty() { span class="arrow" aria-hidden="true" { (arrow) " " } }
            (words)
        }
    }
}

/// A cell of a top 10 list.
struct TopCell {
    text: String,
    number: bool,
    value: Option<u64>,
}

impl TopCell {
    fn text(text: &str) -> TopCell {
        TopCell { text: text.to_owned(), number: false, value: None }
    }

    fn count(value: u64) -> TopCell {
        TopCell { text: value.to_string(), number: true, value: Some(value) }
    }

    fn secs(value: u64) -> TopCell {
        TopCell { text: duration(value), number: true, value: Some(value) }
    }
}

/// A top 10 list as a table; monitor.js refills its body at each refresh.
fn top_table(id: &str, title: &str, columns: &[&str], rows: Vec<Vec<TopCell>>) -> Markup {
    html! {
        section class="widget" {
            h2 id={ (id) "-title" } { (title) }
            div class="table-wrap" tabindex="0" role="region" aria-label=(title) {
                table id=(id) class="monitor-table" {
                    caption class="visually-hidden" { (title) }
                    thead {
                        tr {
                            th scope="col" class="number" { "#" }
                            @for (index, column) in columns.iter().enumerate() {
                                th scope="col" class=[(index + 1 == columns.len()).then_some("number")] { (column) }
                            }
                        }
                    }
                    tbody {
                        @for (rank, row) in rows.iter().enumerate() {
                            tr {
                                td class="number" { (rank + 1) }
                                @for cell in row {
                                    td class=[cell.number.then_some("number")] data-value=[cell.value] { (cell.text) }
                                }
                            }
                        }
                    }
                }
            }
            @if rows.is_empty() { p class="empty" { "Nothing today yet." } }
        }
    }
}

/// An item of the activity stream; monitor.js builds the same row from the
/// API's JSON.
fn stream_row(live: &LiveItem) -> Markup {
    let item: &StreamItem = &live.item;
    html! {
        tr data-item=(live.id) data-last-at=(item.last_at.to_rfc3339()) {
            td {
                span class="since" { (since(item.secs_since_last)) }
                br;
                (instant_seconds(item.last_at))
            }
            td { (item.user) }
            td { (item.account) }
            td { (item.module) }
            td class="number" { (item.count) }
            td {
                ul class="actions" {
                    @for action in &item.actions {
                        li { (action.action) " ×" (action.count) }
                    }
                }
            }
            td class="number" data-value=(item.time_spent_secs) { (duration(item.time_spent_secs)) }
            td {
                @if item.online {
                    span class="online" { span class="dot" aria-hidden="true" {} "online" }
                } @else {
                    span class="offline" { span class="dot" aria-hidden="true" {} "offline" }
                }
            }
            td {
                // Without the script the link opens the events as JSON; with
                // it, they open below the row.
                a class="item-events" data-item=(live.id)
                    href={ "/v1/monitor/stream/items/" (live.id) "/events" } { "Events" }
            }
        }
    }
}

/// Seconds since an instant, in words.
fn since(secs: i64) -> String {
    match secs {
        ..=9 => "just now".to_owned(),
        10..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        _ => format!("{} h {} min ago", secs / 3600, secs % 3600 / 60),
    }
}

/// A duration: seconds, minutes and seconds, or hours and minutes.
fn duration(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 if secs.is_multiple_of(60) => format!("{} min", secs / 60),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// A query string of `pairs`.
fn encode(pairs: &[(&str, &str)]) -> String {
    // Text pairs always encode.
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// What Activities was asked for, to keep in every link of the page.
#[derive(Clone, Copy)]
struct ActivitiesLinks<'a> {
    period: Period,
    zone: Option<&'a str>,
    at: Option<&'a str>,
    name: Option<&'a str>,
    sort: Option<&'a str>,
    limit: Option<&'a str>,
}

impl ActivitiesLinks<'_> {
    /// The query of these choices, with `period` and `sort` replaced when
    /// given, and no cursor: a new choice starts at the first page.
    fn query(&self, period: Option<Period>, sort: Option<&str>) -> String {
        let period = period.unwrap_or(self.period);
        let mut pairs = vec![("period", period.name())];
        pairs.extend(self.zone.map(|zone| ("zone", zone)));
        pairs.extend(self.at.map(|at| ("at", at)));
        pairs.extend(self.name.map(|name| ("name", name)));
        pairs.extend(sort.or(self.sort).map(|sort| ("sort", sort)));
        pairs.extend(self.limit.map(|limit| ("limit", limit)));
        encode(&pairs)
    }
}

/// The text of the parameters kept in links as given, not as read.
#[derive(Debug, Default, Deserialize)]
struct RawActivitiesParameters {
    zone: Option<String>,
    at: Option<String>,
    limit: Option<String>,
}

/// Activities: the period picker, the figures with their change, the top 5
/// activities and modules, a series per day, and the list.
async fn activities(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Result<Markup, WebError> {
    let view = viewer.principal.read_monitor()?;
    // The same parameters as /v1/monitor/activities/list, read the same way.
    let parts = [
        query::names::<ActivitiesParameters>(),
        query::names::<NameParameter>(),
        query::names::<ListParameters<ActivityItem>>(),
    ];
    let checked = query::Checked::new(raw.as_deref(), &parts)?;
    let params: ActivitiesParameters = checked.read()?;
    let NameParameter { name } = checked.read()?;
    let mut list_params: ListParameters<ActivityItem> = checked.read()?;
    if list_params.format.is_some() {
        return Err(ApiError::bad_parameter(
            "format",
            "the page shows a page of the list: download the whole list from its menu",
        )
        .into());
    }
    list_params.limit = Some(list_params.limit.unwrap_or_else(|| LIST_ROWS.to_string()));
    // The page is HTML whatever the browser accepts: no Accept header.
    let mut request = ListRequest::parse(
        &list_params,
        &HeaderMap::new(),
        state.cursor_key(),
        CursorScope::Monitor,
    )?;
    let query = params.query(request.instant(params.given_instant(), Utc::now())?);
    let filter = name.clone();
    let (summary, rows) = state
        .with_store(move |store| {
            let activities = tally_figures::monitor::activities(store, &view, query)?;
            Ok((activities.summary(), activities.items(filter.as_deref())))
        })
        .await?;
    // `format` was refused above, so the request is for a page.
    let page_rows = list::page_of(rows, &request).ok_or_else(|| {
        ApiError::bad_parameter("format", "the page shows a page of the list, not a file")
    })?;
    let raw_params: RawActivitiesParameters =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let sort = list_params.sort.as_deref();
    let links = ActivitiesLinks {
        period: summary.period,
        zone: raw_params.zone.as_deref().filter(|zone| !zone.is_empty()),
        at: raw_params.at.as_deref().filter(|at| !at.is_empty()),
        name: name.as_deref(),
        sort,
        limit: raw_params.limit.as_deref().filter(|limit| !limit.is_empty()),
    };
    let sort_text = sort.unwrap_or("-actions");
    let body = html! {
        (monitor_tabs("Activities"))
        (tabs("Period", Period::ALL.map(|period| {
            (period_name(period), format!("/monitor/activities?{}", links.query(Some(period), None)), period == summary.period)
        })))
        (period_sentence(&summary))
        section class="monitor-figures" aria-label="The period's figures" {
            (comparison_card("time_spent_secs", "Overall time spent", &summary.time_spent_secs, Unit::Seconds, summary.period))
            (comparison_card("actions", "Tracked actions", &summary.actions, Unit::Count, summary.period))
        }
        div class="widgets" {
            (top_five("top-activities", "Top activities", &summary.top_activities, summary.period))
            (top_five("top-modules", "Top modules", &summary.top_modules, summary.period))
            (per_day(&summary))
        }
        section class="widget wide monitor-list" {
            header {
                h2 id="list-title" { "Activities and modules" }
                (download_menu("Download", [Format::Csv, Format::Xlsx, Format::Json].map(|format| {
                    // The whole list: no page size.
                    let mut query = ActivitiesLinks { limit: None, ..links }.query(None, None);
                    query.push_str("&format=");
                    query.push_str(&format.to_string());
                    (format_label(format), format!("/v1/monitor/activities/list?{query}"))
                })))
            }
            form class="filters" method="get" action="/monitor/activities" {
                input type="hidden" name="period" value=(summary.period.name());
                @if let Some(at) = links.at { input type="hidden" name="at" value=(at); }
                @if let Some(sort) = sort { input type="hidden" name="sort" value=(sort); }
                @if let Some(limit) = links.limit { input type="hidden" name="limit" value=(limit); }
                label for="name" {
                    "Filter by name"
                    input type="search" id="name" name="name" value=[name.as_deref()];
                }
                label for="zone" {
                    "Time zone of the days"
                    input type="text" id="zone" name="zone" value=(summary.zone.name())
                        spellcheck="false" autocomplete="off";
                }
                button type="submit" { "Apply" }
            }
            div class="table-wrap" tabindex="0" role="region" aria-label="Activities and modules" {
                table id="activity-list" class="monitor-table" {
                    caption class="visually-hidden" { "Activities and modules; click a column's header to sort by it" }
                    thead {
                        tr {
                            @for column in ACTIVITY_ITEMS.columns {
                                (sort_header(&links, sort_text, column.name, column.title, column.kind.is_numeric()))
                            }
                        }
                    }
                    tbody {
                        @for row in &page_rows.items {
                            tr {
                                td { (row.kind.name()) }
                                td { (row.module) }
                                td { (row.activity.as_deref().unwrap_or("")) }
                                td class="number" { (row.actions) }
                                td class="number" { (row.previous_actions) }
                                td class="number" { (percent_cell(row.change_percent, row.new, summary.period)) }
                                td { (if row.new { "yes" } else { "no" }) }
                            }
                        }
                    }
                }
            }
            @if page_rows.items.is_empty() {
                p class="empty" { "No tracked activity in either period" @if name.is_some() { " matches the filter" } "." }
            }
            @if let Some(next) = &page_rows.next_cursor {
                p class="pager" {
                    a href={ "/monitor/activities?" (links.query(None, None)) "&" (encode(&[("cursor", next.as_str())])) "#list-title" } { "Next rows" }
                }
            }
        }
    };
    Ok(page(&viewer, "Usage monitor: Activities", Section::Monitor, &["monitor.js"], body))
}

/// A column's header: a link that sorts by it, the other way when it is the
/// current sort.
fn sort_header(
    links: &ActivitiesLinks<'_>,
    sort: &str,
    column: &str,
    title: &str,
    number: bool,
) -> Markup {
    let (current, descending) = match sort.strip_prefix('-') {
        Some(name) => (name == column, true),
        None => (sort == column, false),
    };
    let aria_sort = current.then_some(if descending { "descending" } else { "ascending" });
    // Numbers first ask for the largest, names for A to Z.
    let next = match (current, descending) {
        (true, true) => column.to_owned(),
        (true, false) => format!("-{column}"),
        (false, _) if number => format!("-{column}"),
        (false, _) => column.to_owned(),
    };
    let arrow = match aria_sort {
        Some("descending") => " ▼",
        Some(_) => " ▲",
        None => "",
    };
    html! {
        th scope="col" class=[number.then_some("number")] aria-sort=[aria_sort] {
            a href={ "/monitor/activities?" (links.query(None, Some(&next))) "#list-title" } data-sort=(next) {
                (title) span aria-hidden="true" { (arrow) }
            }
        }
    }
}

/// A download's name in the menu.
fn format_label(format: Format) -> &'static str {
    match format {
        Format::Csv => "CSV",
        Format::Xlsx => "XLSX",
        Format::Json => "JSON",
    }
}

/// A period in words.
fn period_name(period: Period) -> &'static str {
    match period {
        Period::Last90Days => "Last 90 days",
        Period::Last30Days => "Last 30 days",
        Period::Last7Days => "Last 7 days",
        Period::Yesterday => "Yesterday",
    }
}

/// The period before, in words: what a change is against.
fn previous_name(period: Period) -> &'static str {
    match period {
        Period::Last90Days => "the 90 days before",
        Period::Last30Days => "the 30 days before",
        Period::Last7Days => "the 7 days before",
        Period::Yesterday => "the day before",
    }
}

/// Both periods' days, in the zone they are days of.
fn period_sentence(summary: &ActivitiesSummary) -> Markup {
    let days = |span: &DaySpan| {
        if span.first_day == span.last_day {
            span.first_day.to_string()
        } else {
            format!("{} to {}", span.first_day, span.last_day)
        }
    };
    html! {
        p class="monitor-clock" id="period" {
            (period_name(summary.period)) ": "
            strong id="period-days" { (days(&summary.current)) }
            " (days of " span id="period-zone" { (summary.zone.name()) } "), compared with "
            span id="previous-days" { (days(&summary.previous)) } ". "
            "As of " (instant(summary.at)) "; today is not counted, being not over."
        }
    }
}

/// A figure of the period with its change against the period before.
fn comparison_card(
    id: &str,
    title: &str,
    comparison: &Comparison,
    unit: Unit,
    period: Period,
) -> Markup {
    html! {
        div class="monitor-figure" data-figure=(id) {
            h2 { (title) }
            p class="figure" data-value=(comparison.current) { (unit.show(comparison.current)) }
            p class="change-line" { (percent_change(comparison.change_percent, comparison.new, period)) }
            p class="note" { (unit.show(comparison.previous)) " in " (previous_name(period)) }
        }
    }
}

/// A change in percent against the period before, arrow and words.
fn percent_change(change: Option<f64>, new: bool, period: Period) -> Markup {
    let before = previous_name(period);
    html! {
        @match change {
            None if new => span class="change new" { "new: nothing in " (before) },
            None => span class="change none" { "nothing in either period" },
            Some(percent) if percent > 0.0 => span class="change up" {
                span class="arrow" aria-hidden="true" { "▲ " }
                "up " (format!("{percent:.1}")) "% from " (before)
            },
            Some(percent) if percent < 0.0 => span class="change down" {
                span class="arrow" aria-hidden="true" { "▼ " }
                "down " (format!("{:.1}", -percent)) "% from " (before)
            },
            Some(_) => span class="change same" { "no change from " (before) },
        }
    }
}

/// The same change for a table's cell: the arrow and the percentage to the
/// eye, the words to a screen reader.
fn percent_cell(change: Option<f64>, new: bool, period: Period) -> Markup {
    let (class, shown) = match change {
        None if new => ("change new", "new".to_owned()),
        None => ("change none", "–".to_owned()),
        Some(percent) if percent > 0.0 => ("change up", format!("▲ {percent:.1}%")),
        Some(percent) if percent < 0.0 => ("change down", format!("▼ {:.1}%", -percent)),
        Some(_) => ("change same", "0.0%".to_owned()),
    };
    html! {
        span class=(class) data-change=[change] {
            span aria-hidden="true" { (shown) }
            span class="visually-hidden" { (percent_change(change, new, period)) }
        }
    }
}

/// A bar's width class: its share of the largest, in steps of 5%, since the
/// page's styles cannot be inline.
fn bar(value: u64, largest: u64) -> String {
    let step = if largest == 0 { 0 } else { (value * 20).div_ceil(largest).min(20) };
    format!("bar w{}", step * 5)
}

/// A top 5 list, as a table with a bar per row.
fn top_five(id: &str, title: &str, items: &[ActivityItem], period: Period) -> Markup {
    let largest = items.iter().map(|item| item.actions).max().unwrap_or(0);
    html! {
        section class="widget" {
            h2 id={ (id) "-title" } { (title) }
            p class="note" { "The 5 with the most actions in the period." }
            div class="table-wrap" tabindex="0" role="region" aria-label=(title) {
                table id=(id) class="bars monitor-table" {
                    caption class="visually-hidden" { (title) }
                    thead {
                        tr {
                            th scope="col" { @if items.first().is_some_and(|item| item.kind == ItemKind::Activity) { "Activity" } @else { "Module" } }
                            th scope="col" class="number" { "Actions" }
                            th scope="col" { span class="visually-hidden" { "Share of the largest" } }
                            th scope="col" class="number" { "Change" }
                        }
                    }
                    tbody {
                        @for item in items {
                            tr {
                                th scope="row" {
                                    @match &item.activity {
                                        Some(activity) => { (item.module) " / " (activity) },
                                        None => (item.module),
                                    }
                                }
                                td class="number" { (item.actions) }
                                td class="bar-cell" { span class=(bar(item.actions, largest)) {} }
                                td class="number" { (percent_cell(item.change_percent, item.new, period)) }
                            }
                        }
                    }
                }
            }
            @if items.is_empty() { p class="empty" { "No tracked actions in the period." } }
        }
    }
}

/// The period's days, each with its actions and time spent.
fn per_day(summary: &ActivitiesSummary) -> Markup {
    let largest = summary.days.iter().map(|day| day.time_spent_secs).max().unwrap_or(0);
    html! {
        section class="widget wide" {
            h2 id="per-day-title" { "Time spent per day" }
            div class="table-wrap per-day" tabindex="0" role="region" aria-label="Time spent per day" {
                table id="per-day" class="bars monitor-table" {
                    caption class="visually-hidden" { "Time spent and actions per day of the period" }
                    thead {
                        tr {
                            th scope="col" { "Day" }
                            th scope="col" class="number" { "Time spent" }
                            th scope="col" { span class="visually-hidden" { "Share of the longest day" } }
                            th scope="col" class="number" { "Actions" }
                        }
                    }
                    tbody {
                        @for day in &summary.days {
                            tr {
                                th scope="row" { (day.day) }
                                td class="number" data-value=(day.time_spent_secs) { (duration(day.time_spent_secs)) }
                                td class="bar-cell" { span class=(bar(day.time_spent_secs, largest)) {} }
                                td class="number" { (day.actions) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        let check = |secs: u64, expected: &str| assert_eq!(duration(secs), expected);
        check(0, "0 s");
        check(59, "59 s");
        check(300, "5 min");
        // 125 s = 2 min 5 s.
        check(125, "2 min 5 s");
        // 3,725 s = 1 h 2 min 5 s; the seconds are dropped past an hour.
        check(3725, "1 h 2 min");
    }

    #[test]
    fn bars_round_up_to_the_next_step_of_five_percent() {
        let check = |value: u64, largest: u64, expected: &str| {
            assert_eq!(bar(value, largest), expected);
        };
        check(0, 0, "bar w0");
        check(40, 40, "bar w100");
        // 1 of 40 is 2.5%: shown as 5% so that it is seen at all.
        check(1, 40, "bar w5");
        // 21 of 40 is 52.5%: the next step up is 55%.
        check(21, 40, "bar w55");
    }
}
