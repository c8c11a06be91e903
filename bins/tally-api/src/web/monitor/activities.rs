//! Activities: the period picker, the top 5 and the sortable, filterable list.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;
use tally_figures::monitor::{
    ACTIVITY_ITEMS, ActivitiesSummary, ActivityItem, Comparison, DaySpan, ItemKind, Period,
};
use tally_report::Format;

use crate::error::ApiError;
use crate::list::{self, CursorScope, ListParameters, ListRequest};
use crate::query;
use crate::routes::activities::{ActivitiesParameters, NameParameter};
use crate::state::AppState;
use crate::web::WebError;
use crate::web::layout::{Section, download_menu, instant, page, tabs};
use crate::web::session::Viewer;

use super::{LIST_ROWS, Unit, duration, encode, monitor_tabs};

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
pub(super) async fn activities(
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
