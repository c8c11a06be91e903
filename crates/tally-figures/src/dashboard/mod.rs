//! The usage dashboard (D4-D10, D12): five tabs of widgets, each a table with a
//! chart description where the seed draws a graph, computed from the store's
//! dashboard aggregates. Every widget takes the same [`DashboardQuery`]: the
//! instant it is evaluated at, an optional range of days, an organization and
//! a team. Definitions are in docs/dashboard.md; this module is the one place
//! each widget's columns and figures are made.

mod activity;
mod behind;
mod catalog;
mod document;
mod drawn;
mod runs;

pub use behind::{ACTIVITY, ActivityRow, activity_rows};
pub use document::{DashboardFormat, write_widget_json, write_widgets};
pub use drawn::{DrawingError, PDF_ROWS_PER_TABLE, tab_pdf, widget_svg};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use tally_access::AccountUsage;
use tally_calendar::{AccountCalendar, Month, local_date, start_of_day};
use tally_events::{EventKind, Role};
use tally_report::{Cell, Chart, Column, ColumnKind, Table, TableHeader};
use tally_store::{ActivityFilter, Catalog, DayRange, FloorOf, Store, StoreError};

use runs::ActionsBy;

/// Declares the tabs and widgets from one table.
macro_rules! widgets {
    ($(
        $tab:ident => $tab_name:literal, $tab_title:literal {
            $($(#[$meta:meta])* $widget:ident => $name:literal, $title:literal, $period:ident;)+
        }
    )+) => {
        /// A tab of the usage dashboard.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Tab {
            $(#[doc = $tab_title] $tab),+
        }

        impl Tab {
            /// Every tab, in the seed's order.
            pub const ALL: &'static [Tab] = &[$(Tab::$tab),+];

            /// The tab's name in URLs and on the command line.
            pub fn name(self) -> &'static str {
                match self {
                    $(Tab::$tab => $tab_name),+
                }
            }

            /// The tab's title.
            pub fn title(self) -> &'static str {
                match self {
                    $(Tab::$tab => $tab_title),+
                }
            }

            /// The tab's widgets, in the order shown.
            pub fn widgets(self) -> &'static [Widget] {
                match self {
                    $(Tab::$tab => &[$(Widget::$widget),+]),+
                }
            }

            /// The tab named `name`, spelled exactly.
            pub fn parse(name: &str) -> Option<Tab> {
                Tab::ALL.iter().copied().find(|tab| tab.name() == name)
            }
        }

        /// A widget of the usage dashboard.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Widget {
            $($($(#[$meta])* $widget,)+)+
        }

        impl Widget {
            /// Every widget, tab by tab.
            pub const ALL: &'static [Widget] = &[$($(Widget::$widget,)+)+];

            /// The widget's name in URLs, on the command line and in files.
            pub fn name(self) -> &'static str {
                match self {
                    $($(Widget::$widget => $name,)+)+
                }
            }

            /// The widget's title (also the sheet's name in a workbook).
            pub fn title(self) -> &'static str {
                match self {
                    $($(Widget::$widget => $title,)+)+
                }
            }

            /// The tab the widget is on.
            pub fn tab(self) -> Tab {
                match self {
                    $($(Widget::$widget => Tab::$tab,)+)+
                }
            }

            /// The days the widget covers when the query gives none.
            pub fn default_period(self) -> Period {
                match self {
                    $($(Widget::$widget => Period::$period,)+)+
                }
            }

            /// The widget named `name` on `tab`, spelled exactly.
            pub fn parse(tab: Tab, name: &str) -> Option<Widget> {
                tab.widgets().iter().copied().find(|widget| widget.name() == name)
            }
        }
    };
}

widgets! {
    UsersActivity => "users-activity", "Users activity" {
        /// Active seats per month, with the change from the month before.
        MonthlyActiveSeats => "monthly-active-seats", "Monthly active seats", TwelveMonths;
        /// Every user who became an active seat in the term holding `at`.
        ActivatedSeats => "activated-seats", "Activated seats log", AtInstant;
        /// The five teams with the most logins and page visits per member.
        MostEngagedTeams => "most-engaged-teams", "Most engaged teams", CurrentMonth;
        /// The five teams with the fewest logins and page visits per member.
        LeastEngagedTeams => "least-engaged-teams", "Least engaged teams", CurrentMonth;
        /// Every member, the least engaged first.
        LeastEngagedUsers => "least-engaged-users", "Least engaged users", CurrentMonth;
        /// Users who logged in in the last 7 days, the latest first.
        LatestLogins => "latest-logins", "Latest logins", SevenDays;
        /// The ten pages members visited most this month.
        PopularPagesMembers => "popular-pages-members", "Popular pages by member users", CurrentMonth;
        /// The ten pages admins visited most this month.
        PopularPagesAdmins => "popular-pages-admins", "Popular pages by admin users", CurrentMonth;
        /// Members' page visits per day of the month.
        MemberPageVisits => "member-page-visits", "Member page visits during month", CurrentMonth;
        /// Admins' page visits per day of the month.
        AdminPageVisits => "admin-page-visits", "Admin page visits during month", CurrentMonth;
    }
    Entities => "entities", "Entities" {
        /// Entities at the end of each month.
        MonthlyEntities => "monthly-entities", "Total monthly entities", TwelveMonths;
        /// Entities at the end of the period.
        EntitiesTotal => "entities-total", "Total amount of entities", AtInstant;
        /// Entities at the end of the period, by blueprint.
        EntitiesByBlueprint => "entities-by-blueprint", "Entities by blueprint", AtInstant;
        /// Entities by organization and blueprint, with the period's changes.
        EntitiesByOrganization => "entities-by-organization", "Entities log by organization", CurrentMonth;
    }
    ActionsAutomations => "actions-automations", "Actions & automations" {
        /// Action runs started through the API plus automation runs, this year.
        ApiAndAutomationTriggers => "api-and-automation-triggers", "Actions triggered via API + automation triggers", CurrentYear;
        /// Automation runs per month and organization.
        MonthlyAutomationRuns => "monthly-automation-runs", "Total monthly automation runs", TwelveMonths;
        /// Every automation run started in the period.
        AutomationRuns => "automation-runs", "Automation runs log", CurrentMonth;
        /// Action runs per month and organization.
        MonthlyActionRuns => "monthly-action-runs", "Total monthly action runs", TwelveMonths;
        /// The six actions run most this month.
        TopActions => "top-actions", "Top actions", CurrentMonth;
        /// Action runs per organization.
        ActionsByOrganization => "actions-by-organization", "Actions by organization", CurrentYear;
        /// Action runs per user.
        ActionsByUser => "actions-by-user", "Actions by user", CurrentYear;
        /// Action runs per role.
        ActionsByRole => "actions-by-role", "Actions by role", CurrentYear;
        /// Action runs per team.
        ActionsByTeam => "actions-by-team", "Actions by team", CurrentYear;
    }
    DataSources => "data-sources", "Data sources" {
        /// Data sources at the end of each month.
        MonthlyDataSources => "monthly-data-sources", "Total monthly data sources", TwelveMonths;
        /// Data sources at the end of the period.
        DataSourcesTotal => "data-sources-total", "Data sources total amount", AtInstant;
        /// Every data source connected at the end of the period.
        DataSourcesLog => "data-sources", "Data sources log", AtInstant;
    }
    AiMcp => "ai-mcp", "AI & MCP" {
        /// AI invocations per month.
        MonthlyAiInteractions => "monthly-ai-interactions", "Monthly AI interactions", TwelveMonths;
        /// MCP calls per month, with failures.
        MonthlyMcpCalls => "monthly-mcp-calls", "Monthly MCP calls", TwelveMonths;
        /// AI invocations by source, "Other" for those without one.
        AiBySource => "ai-by-source", "AI invocations by source", CurrentMonth;
        /// AI invocations and MCP calls per user.
        AiMcpByUser => "ai-mcp-by-user", "AI & MCP usage per user", CurrentMonth;
        /// MCP calls per tool, with failures and latency percentiles.
        McpTools => "mcp-tools", "MCP calls per tool", CurrentMonth;
    }
}

/// The days a widget covers unless the query gives a range; every period ends
/// with the day holding `at`, in the account's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The day holding `at`: a figure as of then.
    AtInstant,
    /// The 7 days ending with the day holding `at`.
    SevenDays,
    /// From the first of the month holding `at`.
    CurrentMonth,
    /// From the first of the year holding `at`.
    CurrentYear,
    /// From the first of the month eleven months before the one holding `at`:
    /// twelve months.
    TwelveMonths,
}

/// What every widget is asked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardQuery {
    /// The instant the widget is evaluated at: "now", "this month" and "the
    /// last 7 days" are those of this instant in the account's zone.
    pub at: DateTime<Utc>,
    /// The first day, instead of the widget's default period's.
    pub from: Option<NaiveDate>,
    /// The last day (included), instead of the day holding `at`.
    pub to: Option<NaiveDate>,
    /// Only this organization's figures.
    pub organization: Option<String>,
    /// Only figures of users while they were in this team.
    pub team: Option<String>,
}

/// A query the dashboard cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A range whose first day is after its last.
    #[error("from ({from}) is after to ({to})")]
    BackwardsRange {
        /// The first day asked for.
        from: NaiveDate,
        /// The last day asked for.
        to: NaiveDate,
    },
}

impl DashboardQuery {
    /// A query at `at`, refusing a range that ends before it starts.
    pub fn new(
        at: DateTime<Utc>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        organization: Option<String>,
        team: Option<String>,
    ) -> Result<DashboardQuery, QueryError> {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(QueryError::BackwardsRange { from, to });
        }
        Ok(DashboardQuery { at, from, to, organization, team })
    }
}

/// A widget's answer: its table and what it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct WidgetTable {
    /// The widget.
    pub widget: Widget,
    /// The days covered, both included.
    pub days: DayRange,
    /// The first instant the widget's figures have data for; figures before it
    /// are unknown, not zero, and are left out. `None` when there is no data
    /// at all, or when the widget needs no floor (seats come from terms).
    pub available_from: Option<DateTime<Utc>>,
    /// What a reader must know to read the figures (a filter that does not
    /// apply, data missing before a day).
    pub notes: Vec<String>,
    /// The rows.
    pub table: Table,
    /// For each row, the activity behind it, when it comes from activity.
    pub drill: Vec<Option<ActivityFilter>>,
}

/// Computes one widget.
pub fn widget_table(
    store: &Store,
    usage: &AccountUsage,
    widget: Widget,
    query: &DashboardQuery,
) -> Result<WidgetTable, StoreError> {
    let calendar = store.account(usage.account())?.calendar;
    let days = period(&calendar, query, widget.default_period());
    let mut answer = Answer { store, usage, calendar, query, widget, days, notes: Vec::new() };
    let a = &mut answer;
    let (table, drill, available_from) = match widget {
        Widget::MonthlyActiveSeats => activity::monthly_active_seats(a)?,
        Widget::ActivatedSeats => activity::activated_seats_log(a)?,
        Widget::MostEngagedTeams => activity::engaged_teams(a, true)?,
        Widget::LeastEngagedTeams => activity::engaged_teams(a, false)?,
        Widget::LeastEngagedUsers => activity::least_engaged_users(a)?,
        Widget::LatestLogins => activity::latest_logins(a)?,
        Widget::PopularPagesMembers => activity::popular_pages(a, Role::Member)?,
        Widget::PopularPagesAdmins => activity::popular_pages(a, Role::Admin)?,
        Widget::MemberPageVisits => activity::page_visits_per_day(a, Role::Member)?,
        Widget::AdminPageVisits => activity::page_visits_per_day(a, Role::Admin)?,
        Widget::MonthlyEntities => catalog::monthly_totals(a, Catalog::Entities)?,
        Widget::EntitiesTotal => catalog::total(a, Catalog::Entities)?,
        Widget::EntitiesByBlueprint => catalog::entities_by_blueprint(a)?,
        Widget::EntitiesByOrganization => catalog::entities_by_organization(a)?,
        Widget::ApiAndAutomationTriggers => runs::api_and_automation_triggers(a)?,
        Widget::MonthlyAutomationRuns => runs::monthly_runs(a, EventKind::AutomationRun)?,
        Widget::AutomationRuns => runs::automation_runs(a)?,
        Widget::MonthlyActionRuns => runs::monthly_runs(a, EventKind::ActionRun)?,
        Widget::TopActions => runs::actions_by(a, ActionsBy::Action)?,
        Widget::ActionsByOrganization => runs::actions_by(a, ActionsBy::Organization)?,
        Widget::ActionsByUser => runs::actions_by(a, ActionsBy::User)?,
        Widget::ActionsByRole => runs::actions_by(a, ActionsBy::Role)?,
        Widget::ActionsByTeam => runs::actions_by(a, ActionsBy::Team)?,
        Widget::MonthlyDataSources => catalog::monthly_totals(a, Catalog::DataSources)?,
        Widget::DataSourcesTotal => catalog::total(a, Catalog::DataSources)?,
        Widget::DataSourcesLog => catalog::data_sources_log(a)?,
        Widget::MonthlyAiInteractions => activity::monthly_ai_interactions(a)?,
        Widget::MonthlyMcpCalls => activity::monthly_mcp_calls(a)?,
        Widget::AiBySource => activity::ai_by_source(a)?,
        Widget::AiMcpByUser => activity::ai_mcp_by_user(a)?,
        Widget::McpTools => activity::mcp_tools(a)?,
    };
    debug_assert_eq!(drill.len(), table.rows.len());
    Ok(WidgetTable { widget, days, available_from, notes: answer.notes, table, drill })
}

/// Computes every widget of a tab, in order.
pub fn tab_tables(
    store: &Store,
    usage: &AccountUsage,
    tab: Tab,
    query: &DashboardQuery,
) -> Result<Vec<WidgetTable>, StoreError> {
    tab.widgets().iter().map(|widget| widget_table(store, usage, *widget, query)).collect()
}

/// The days a widget covers under `query`.
pub fn period(calendar: &AccountCalendar, query: &DashboardQuery, default: Period) -> DayRange {
    let today = local_date(calendar, query.at);
    let last = query.to.unwrap_or(today);
    let first = query.from.unwrap_or_else(|| match default {
        Period::AtInstant => last,
        Period::SevenDays => last - Days::new(6),
        Period::CurrentMonth => last.with_day(1).expect("every month has a first"),
        Period::CurrentYear => {
            NaiveDate::from_ymd_opt(last.year(), 1, 1).expect("every year has a first")
        }
        Period::TwelveMonths => {
            let first_of_month = last.with_day(1).expect("every month has a first");
            first_of_month.checked_sub_months(chrono::Months::new(11)).unwrap_or(first_of_month)
        }
    });
    DayRange { first, last }
}

/// What a widget's computation needs, and the notes it leaves.
struct Answer<'a> {
    store: &'a Store,
    usage: &'a AccountUsage,
    calendar: AccountCalendar,
    query: &'a DashboardQuery,
    widget: Widget,
    days: DayRange,
    notes: Vec<String>,
}

/// A widget's rows, what lies behind each, and its data floor.
type Computed = (Table, Vec<Option<ActivityFilter>>, Option<DateTime<Utc>>);

impl Answer<'_> {
    /// The activity of `kinds` in the widget's days, under the query's
    /// organization and team.
    fn activity_filter(&self, kinds: &[EventKind]) -> ActivityFilter {
        ActivityFilter {
            kinds: kinds.to_vec(),
            days: self.days,
            organization: self.query.organization.clone(),
            team: self.query.team.clone(),
            role: None,
            subject: None,
            user: None,
        }
    }

    /// The earliest first instant of data of any of `of`.
    fn floor(&self, of: &[FloorOf]) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut first = None;
        for of in of {
            if let Some(at) = self.store.dashboard_floor(self.usage, *of)? {
                first = Some(first.map_or(at, |held: DateTime<Utc>| held.min(at)));
            }
        }
        Ok(first)
    }

    /// The months of the widget's days that hold data: those from the floor's
    /// on, noting the months left out.
    fn months(&mut self, floor: Option<DateTime<Utc>>) -> Vec<Month> {
        let Some(floor) = floor else {
            self.notes.push("no data yet".to_owned());
            return Vec::new();
        };
        let floor_day = local_date(&self.calendar, floor);
        let mut months = Vec::new();
        let mut month = Month::of(self.days.first);
        let last = Month::of(self.days.last);
        while month <= last {
            months.push(month);
            month = month.next();
        }
        let before = months.len();
        months.retain(|month| *month >= Month::of(floor_day));
        if months.len() < before {
            self.notes.push(format!("no data before {floor_day}"));
        }
        months
    }

    /// The instant the widget's last day ends, or `at` when it ends later:
    /// membership and totals are as of then.
    fn end_instant(&self) -> DateTime<Utc> {
        let next = self.days.last.succ_opt().unwrap_or(self.days.last);
        let end = start_of_day(&self.calendar, next) - chrono::TimeDelta::microseconds(1);
        end.min(self.query.at.max(start_of_day(&self.calendar, self.days.last)))
    }

    fn note_no_team(&mut self, what: &str) {
        if let Some(team) = &self.query.team {
            self.notes.push(format!("{what}, so the team filter ({team}) leaves none"));
        }
    }
}

/// A header of `widget` with `columns` (name, kind).
fn header(widget: Widget, columns: &[(&str, &str, ColumnKind)]) -> TableHeader {
    TableHeader::new(
        widget.title(),
        columns.iter().map(|(name, title, kind)| Column::new(*name, *title, *kind)).collect(),
    )
}

fn chart(kind: tally_report::ChartKind, category: &str, values: &[&str]) -> Chart {
    Chart::new(kind, category, values.iter().map(|value| (*value).to_owned()).collect())
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn count(value: u64) -> Cell {
    Cell::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

/// `part` of `whole` in percent, empty when there is no whole.
fn share(part: u64, whole: u64) -> Cell {
    if whole == 0 { Cell::Empty } else { Cell::Percentage(part as f64 * 100.0 / whole as f64) }
}

fn month_cell(month: Month) -> Cell {
    text(month.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(at: &str) -> DashboardQuery {
        DashboardQuery::new(at.parse().unwrap(), None, None, None, None).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn periods_end_with_the_day_holding_at_in_the_accounts_zone() {
        // 2026-03-31T23:30Z is already April 1 in Berlin (UTC+2 from March 29).
        let berlin = AccountCalendar {
            time_zone: chrono_tz::Europe::Berlin,
            week_start: chrono::Weekday::Mon,
        };
        let at = query("2026-03-31T23:30:00Z");
        let range = |period| period_of(&berlin, &at, period);
        assert_eq!(range(Period::AtInstant), (day("2026-04-01"), day("2026-04-01")));
        assert_eq!(range(Period::SevenDays), (day("2026-03-26"), day("2026-04-01")));
        assert_eq!(range(Period::CurrentMonth), (day("2026-04-01"), day("2026-04-01")));
        assert_eq!(range(Period::CurrentYear), (day("2026-01-01"), day("2026-04-01")));
        assert_eq!(range(Period::TwelveMonths), (day("2025-05-01"), day("2026-04-01")));
        // The same instant in UTC is still March.
        let utc = AccountCalendar { time_zone: chrono_tz::UTC, week_start: chrono::Weekday::Mon };
        assert_eq!(
            period_of(&utc, &at, Period::CurrentMonth),
            (day("2026-03-01"), day("2026-03-31"))
        );
    }

    #[test]
    fn a_range_given_replaces_the_default_and_must_not_run_backwards() {
        let utc = AccountCalendar { time_zone: chrono_tz::UTC, week_start: chrono::Weekday::Mon };
        let mut given = query("2026-06-15T12:00:00Z");
        given.from = Some(day("2026-02-10"));
        assert_eq!(
            period_of(&utc, &given, Period::SevenDays),
            (day("2026-02-10"), day("2026-06-15"))
        );
        given.to = Some(day("2026-02-20"));
        assert_eq!(
            period_of(&utc, &given, Period::SevenDays),
            (day("2026-02-10"), day("2026-02-20"))
        );
        let backwards = DashboardQuery::new(
            given.at,
            Some(day("2026-02-21")),
            Some(day("2026-02-20")),
            None,
            None,
        );
        assert_eq!(
            backwards,
            Err(QueryError::BackwardsRange { from: day("2026-02-21"), to: day("2026-02-20") })
        );
    }

    fn period_of(
        calendar: &AccountCalendar,
        query: &DashboardQuery,
        default: Period,
    ) -> (NaiveDate, NaiveDate) {
        let days = period(calendar, query, default);
        (days.first, days.last)
    }

    #[test]
    fn every_widget_is_on_its_tab_and_named_once() {
        let mut names: Vec<(&str, &str)> =
            Widget::ALL.iter().map(|widget| (widget.tab().name(), widget.name())).collect();
        assert_eq!(names.len(), 31);
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 31);
        for tab in Tab::ALL {
            for widget in tab.widgets() {
                assert_eq!(widget.tab(), *tab);
                assert_eq!(Widget::parse(*tab, widget.name()), Some(*widget));
            }
        }
        assert_eq!(Tab::parse("ai-mcp"), Some(Tab::AiMcp));
        assert_eq!(Tab::parse("AI-MCP"), None);
    }
}
