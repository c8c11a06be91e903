//! One widget on a tab's page: its title and period, the figure it leads
//! with, its chart (the SVG the PDF embeds), its notes, its table, and the
//! menu that downloads it whole.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tally_figures::dashboard::{Widget, WidgetTable};
use tally_report::{Cell, ChartKind, Table};

use crate::routes::dashboard::activity_query;
use crate::web::layout;

/// The most rows a widget's table shows on its page, which keeps a tab's page
/// far below 1 MB whatever the account's size; the download holds them all.
pub const ROWS_SHOWN: usize = 100;

/// The formats a widget downloads in: label, and `format` in the API.
pub const DOWNLOADS: [(&str, &str); 3] = [("CSV", "csv"), ("XLSX", "xlsx"), ("JSON", "json")];

/// What a path segment keeps unescaped: the characters of slugs and ids.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// `text` escaped for one segment of a path.
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).collect()
}

/// A widget as a tab's page shows it.
pub struct WidgetView<'a> {
    /// The account's slug.
    pub account: &'a str,
    /// The widget's answer.
    pub answer: &'a WidgetTable,
    /// The query string (without `?`) that asks for the same figures: the
    /// page's filters with its instant pinned.
    pub same_figures: &'a str,
    /// The instant the figures are as of.
    pub at: DateTime<Utc>,
    /// The account's time zone, which dates and days are in.
    pub zone: Tz,
}

impl WidgetView<'_> {
    /// The widget's section of the page.
    pub fn render(&self) -> Markup {
        let widget = self.answer.widget;
        let table = &self.answer.table;
        let id = widget.name();
        let heading = format!("{id}-title");
        let wide = table.header.columns.len() > 4;
        html! {
            section class={ "widget dashboard-widget" @if wide { " wide" } } id=(id)
                aria-labelledby=(heading) data-widget=(id) {
                header {
                    h2 id=(heading) { (widget.title()) }
                    (layout::download_menu(
                        &format!("Download {}", widget.title()),
                        DOWNLOADS.map(|(label, format)| (label, self.api_link(format))),
                    ))
                }
                p class="note period" {
                    (self.answer.days.first) " to " (self.answer.days.last)
                    @if let Some(from) = self.available_from() {
                        " · data from " (layout::instant(from))
                    }
                }
                @if let Some(headline) = headline(widget) {
                    (self.headline(&headline))
                }
                @if let Some(alt) = chart_description(table) {
                    img class="chart" src=(self.chart_link()) alt=(alt) width="640" height="320";
                }
                @if !self.answer.notes.is_empty() {
                    ul class="note notes" {
                        @for note in &self.answer.notes { li { (note) } }
                    }
                }
                (self.table())
            }
        }
    }

    /// The data floor, when it cuts into the widget's days.
    fn available_from(&self) -> Option<DateTime<Utc>> {
        let from = self.answer.available_from?;
        (from.with_timezone(&self.zone).date_naive() > self.answer.days.first).then_some(from)
    }

    /// The API's answer for this widget in `format`.
    fn api_link(&self, format: &str) -> String {
        let widget = self.answer.widget;
        format!(
            "/v1/accounts/{}/dashboard/{}/{}?{}&format={format}",
            segment(self.account),
            widget.tab().name(),
            widget.name(),
            self.same_figures
        )
    }

    fn chart_link(&self) -> String {
        let widget = self.answer.widget;
        format!(
            "/dashboard/{}/{}/chart.svg?{}",
            widget.tab().name(),
            widget.name(),
            self.same_figures
        )
    }

    fn headline(&self, headline: &Headline) -> Markup {
        let table = &self.answer.table;
        let Some(last) = table.rows.last() else {
            return html! { p class="figure dashboard-headline" { "no figure yet" } };
        };
        let cell =
            |name: &str| table.header.column_index(name).and_then(|index| last.get(index)).cloned();
        let figure = cell(headline.figure).unwrap_or(Cell::Empty);
        let of = headline.of.and_then(cell);
        let change = headline.change.map(|(count, percent)| (cell(count), cell(percent)));
        html! {
            p class="dashboard-headline" {
                span class="figure" data-headline=(headline.figure) { (figure.shown(self.zone)) }
                @if let Some(of) = of {
                    " " span class="hint" { (headline.of_words) " " (of.shown(self.zone)) }
                }
            }
            @if let Some((Some(Cell::Integer(count)), percent)) = change {
                p class={ "dashboard-change" @if count > 0 { " up" } @else if count < 0 { " down" } }
                    data-change=(count) {
                    @if count > 0 { span aria-hidden="true" { "▲ " } "+" }
                    @if count < 0 { span aria-hidden="true" { "▼ " } }
                    (count)
                    @if let Some(Cell::Percentage(percent)) = percent {
                        " (" @if percent > 0.0 { "+" } (Cell::Percentage(percent).shown(self.zone)) ")"
                    }
                    " from the month before"
                }
            }
        }
    }

    /// The table, its first [`ROWS_SHOWN`] rows, each figure that is summed
    /// from activity a link to that activity.
    fn table(&self) -> Markup {
        let widget = self.answer.widget;
        let table = &self.answer.table;
        let shown = table.rows.len().min(ROWS_SHOWN);
        let seat_user = seat_user_column(widget, table);
        html! {
            div class="table-wrap" tabindex="0" role="region"
                aria-label={ (widget.title()) ", table" } {
                table {
                    caption {
                        (widget.title())
                        @if shown < table.rows.len() {
                            ", the first " (shown) " of " (table.rows.len()) " rows"
                        } @else {
                            ", " (table.rows.len()) @if table.rows.len() == 1 { " row" } @else { " rows" }
                        }
                    }
                    thead {
                        tr {
                            @for column in &table.header.columns {
                                th scope="col" class=[column.kind.is_numeric().then_some("number")]
                                    data-column=(column.name) { (column.title) }
                            }
                        }
                    }
                    tbody {
                        @if table.rows.is_empty() {
                            tr { td colspan=(table.header.columns.len()) class="hint" { "No rows for these filters." } }
                        }
                        @for (row, drill) in table.rows.iter().zip(&self.answer.drill).take(shown) {
                            @let behind = drill.as_ref().map(|filter| format!("/dashboard/activity?{}", activity_query(filter)));
                            tr {
                                @for (index, (column, cell)) in table.header.columns.iter().zip(row).enumerate() {
                                    @let content = html! {
                                        @if seat_user == Some(index) && let Cell::Text(user) = cell {
                                            a href=(self.seat_link(user)) title="Why this person is billed" { (user) }
                                        } @else if let (Some(behind), true) = (&behind, column.kind.is_numeric() && *cell != Cell::Empty) {
                                            a href=(behind) title="The activity behind this figure" { (cell_markup(cell, self.zone)) }
                                        } @else {
                                            (cell_markup(cell, self.zone))
                                        }
                                    };
                                    // A row without a name (runs with no role) has no header to read.
                                    @if index == 0 && !matches!(cell, Cell::Empty) && *cell != Cell::Text(String::new()) {
                                        th scope="row" class=[column.kind.is_numeric().then_some("number")] { (content) }
                                    } @else {
                                        td class=[column.kind.is_numeric().then_some("number")] { (content) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if shown < table.rows.len() {
                p class="hint" {
                    (table.rows.len() - shown) " more rows are in the download: "
                    a href=(self.api_link("csv")) download { "CSV" } ", "
                    a href=(self.api_link("xlsx")) download { "XLSX" } " or "
                    a href=(self.api_link("json")) download { "JSON" } "."
                }
            }
        }
    }

    /// The explanation of `user`'s seat at the page's instant.
    fn seat_link(&self, user: &str) -> String {
        let at = self.at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let query = form_urlencoded::Serializer::new(String::new()).append_pair("at", &at).finish();
        format!("/dashboard/seats/{}?{query}", segment(user))
    }
}

/// The figure a widget leads with, read from its table's last row.
struct Headline {
    /// The column holding it.
    figure: &'static str,
    /// The column saying what it is of, if any (a month, a day).
    of: Option<&'static str>,
    /// The words before that value.
    of_words: &'static str,
    /// The columns of its change from the row before: the count, and the
    /// change in percent.
    change: Option<(&'static str, &'static str)>,
}

/// The figure `widget` leads with, if the seed shows one.
fn headline(widget: Widget) -> Option<Headline> {
    let figure = |figure, of, of_words| Some(Headline { figure, of, of_words, change: None });
    match widget {
        Widget::MonthlyActiveSeats => Some(Headline {
            figure: "seats",
            of: Some("month"),
            of_words: "active seats in",
            change: Some(("change", "change_percent")),
        }),
        Widget::EntitiesTotal => figure("entities", Some("as_of"), "entities on"),
        Widget::DataSourcesTotal => figure("data_sources", Some("as_of"), "data sources on"),
        Widget::ApiAndAutomationTriggers => figure("total", None, ""),
        Widget::MonthlyAiInteractions => figure("interactions", Some("month"), "interactions in"),
        Widget::MonthlyMcpCalls => figure("calls", Some("month"), "MCP calls in"),
        Widget::ActivatedSeats
        | Widget::MostEngagedTeams
        | Widget::LeastEngagedTeams
        | Widget::LeastEngagedUsers
        | Widget::LatestLogins
        | Widget::PopularPagesMembers
        | Widget::PopularPagesAdmins
        | Widget::MemberPageVisits
        | Widget::AdminPageVisits
        | Widget::MonthlyEntities
        | Widget::EntitiesByBlueprint
        | Widget::EntitiesByOrganization
        | Widget::MonthlyAutomationRuns
        | Widget::AutomationRuns
        | Widget::MonthlyActionRuns
        | Widget::TopActions
        | Widget::ActionsByOrganization
        | Widget::ActionsByUser
        | Widget::ActionsByRole
        | Widget::ActionsByTeam
        | Widget::MonthlyDataSources
        | Widget::DataSourcesLog
        | Widget::AiBySource
        | Widget::AiMcpByUser
        | Widget::McpTools => None,
    }
}

/// The column of a seat widget's rows naming the user whose seat it is.
fn seat_user_column(widget: Widget, table: &Table) -> Option<usize> {
    match widget {
        Widget::ActivatedSeats => table.header.column_index("user"),
        _ => None,
    }
}

/// The chart's text alternative: what it plots; the figures are in the table
/// beside it.
fn chart_description(table: &Table) -> Option<String> {
    let chart = table.header.chart.as_ref()?;
    let title = |name: &str| {
        table
            .header
            .column_index(name)
            .map_or_else(|| name.to_owned(), |index| table.header.columns[index].title.clone())
    };
    let kind = match chart.kind {
        ChartKind::Line => "Line chart",
        ChartKind::Bar => "Bar chart",
        ChartKind::StackedBar => "Stacked bar chart",
        ChartKind::Pie => "Pie chart",
    };
    let values: Vec<String> = chart.values.iter().map(|value| title(value)).collect();
    let by = match &chart.series {
        Some(series) => format!("{} and {}", title(&chart.category), title(series)),
        None => title(&chart.category),
    };
    Some(format!(
        "{kind} of {} by {by} ({}); the table below holds its figures.",
        values.join(" and "),
        table.header.title
    ))
}

/// A cell as the page shows it: an instant in the viewer's own time zone
/// (named), everything else as the exports write it.
pub fn cell_markup(cell: &Cell, zone: Tz) -> Markup {
    match cell {
        Cell::DateTime(at) => layout::instant(*at),
        other => html! { (other.shown(zone)) },
    }
}
