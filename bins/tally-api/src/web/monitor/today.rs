//! Today: the live figures, the top 10 lists and the activity stream.

use axum::extract::{RawQuery, State};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use tally_monitor::{AsOf, Figure, OptionalFigure, StreamItem};
use utoipa::IntoParams;

use crate::query;
use crate::routes::live::{LiveItem, stream_answer, today_answer, top_answer};
use crate::state::AppState;
use crate::web::WebError;
use crate::web::layout::{Section, page};
use crate::web::session::Viewer;

use super::{STREAM_ITEMS, Unit, duration, encode, monitor_tabs};

/// Today's query: the activity stream's page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TodayParameters {
    /// The previous page's next cursor of the activity stream.
    cursor: Option<String>,
}

/// Today: the figures, the four top 10 lists and the activity stream.
pub(super) async fn today(
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
