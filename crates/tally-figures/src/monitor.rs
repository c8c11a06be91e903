//! The usage monitor's Activities (M4-M5): a period of whole days in the
//! viewer's zone, compared with the period of the same length before it,
//! from the store's quarter-hour sums of `activity` events, with only the
//! tracked modules and activities counted. Definitions in docs/monitor.md.
//!
//! ```
//! use tally_figures::monitor::{ActivitiesQuery, Period, Periods};
//!
//! // At 00:00Z on 2026-03-10 it is 05:45 in Kathmandu (+05:45): yesterday
//! // there is 03-09, and the last 7 days are 03-03 to 03-09.
//! let query = ActivitiesQuery {
//!     period: Period::Last7Days,
//!     zone: chrono_tz::Asia::Kathmandu,
//!     at: "2026-03-10T00:00:00Z".parse().unwrap(),
//! };
//! let periods = Periods::of(&query);
//! assert_eq!(periods.current.first_day.to_string(), "2026-03-03");
//! assert_eq!(periods.current.from.to_rfc3339(), "2026-03-02T18:15:00+00:00");
//! assert_eq!(periods.previous.last_day.to_string(), "2026-03-02");
//! ```

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tally_access::MonitorView;
use tally_calendar::{AccountCalendar, local_date, start_of_day};
use tally_report::{Cell, ColumnKind};
use tally_store::{MonitorQuarter, Quarter, Store, StoreError, TrackedActivity};
use utoipa::ToSchema;

use crate::{FigureColumn, FigureTable, optional_text, text};

/// How many activities and modules the summary's top lists hold.
pub const TOP: usize = 5;

/// A period of whole days ending yesterday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The 90 days ending yesterday.
    Last90Days,
    /// The 30 days ending yesterday.
    Last30Days,
    /// The 7 days ending yesterday.
    Last7Days,
    /// Yesterday.
    Yesterday,
}

impl Period {
    /// Every period, longest first.
    pub const ALL: [Period; 4] =
        [Period::Last90Days, Period::Last30Days, Period::Last7Days, Period::Yesterday];

    /// The period's name in the API.
    pub fn name(self) -> &'static str {
        match self {
            Period::Last90Days => "last-90-days",
            Period::Last30Days => "last-30-days",
            Period::Last7Days => "last-7-days",
            Period::Yesterday => "yesterday",
        }
    }

    /// How many days it holds.
    pub fn days(self) -> u64 {
        match self {
            Period::Last90Days => 90,
            Period::Last30Days => 30,
            Period::Last7Days => 7,
            Period::Yesterday => 1,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Period::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not a period: use last-90-days, last-30-days, last-7-days or yesterday")]
pub struct PeriodError {
    /// The name given.
    pub given: String,
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Period, PeriodError> {
        Period::ALL
            .into_iter()
            .find(|period| period.name() == text)
            .ok_or_else(|| PeriodError { given: text.to_owned() })
    }
}

/// Which Activities to compute: a period, in a zone, as of an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivitiesQuery {
    /// The period.
    pub period: Period,
    /// The viewer's zone, whose days the period is made of.
    pub zone: Tz,
    /// The instant "yesterday" is relative to (now, unless told).
    pub at: DateTime<Utc>,
}

/// Whole days of a zone, from the first instant of `first_day` up to (not
/// including) the first instant of the day after `last_day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct DaySpan {
    /// The first day.
    #[schema(value_type = String, format = Date)]
    pub first_day: NaiveDate,
    /// The last day.
    #[schema(value_type = String, format = Date)]
    pub last_day: NaiveDate,
    /// The first instant of the first day.
    pub from: DateTime<Utc>,
    /// The first instant after the last day.
    pub to: DateTime<Utc>,
}

impl DaySpan {
    fn new(zone: Tz, first_day: NaiveDate, last_day: NaiveDate) -> DaySpan {
        let calendar = AccountCalendar { time_zone: zone, ..AccountCalendar::default() };
        DaySpan {
            first_day,
            last_day,
            from: start_of_day(&calendar, first_day),
            to: start_of_day(&calendar, last_day + Days::new(1)),
        }
    }

    fn holds(&self, day: NaiveDate) -> bool {
        (self.first_day..=self.last_day).contains(&day)
    }
}

/// A period and the one of the same length just before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// The period asked for, ending yesterday.
    pub current: DaySpan,
    /// The days just before it, as many.
    pub previous: DaySpan,
}

impl Periods {
    /// The days of `query`'s period and of the one before it.
    pub fn of(query: &ActivitiesQuery) -> Periods {
        let days = Days::new(query.period.days());
        let calendar = AccountCalendar { time_zone: query.zone, ..AccountCalendar::default() };
        let today = local_date(&calendar, query.at);
        let last_day = today - Days::new(1);
        let first_day = today - days;
        Periods {
            current: DaySpan::new(query.zone, first_day, last_day),
            previous: DaySpan::new(query.zone, first_day - days, first_day - Days::new(1)),
        }
    }
}

/// The modules and activities the monitor counts: the store's list, where an
/// empty list tracks everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tracking {
    tracked: Vec<TrackedActivity>,
}

impl Tracking {
    /// Tracking by the store's list.
    pub fn new(tracked: Vec<TrackedActivity>) -> Tracking {
        Tracking { tracked }
    }

    /// Whether `action` of `module` is counted.
    pub fn tracks(&self, module: &str, action: &str) -> bool {
        self.tracked.is_empty()
            || self.tracked.iter().any(|item| {
                item.module == module && item.activity.as_deref().is_none_or(|one| one == action)
            })
    }
}

/// A figure in this period and the previous one, and the change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Comparison {
    /// This period's figure.
    pub current: u64,
    /// The previous period's.
    pub previous: u64,
    /// (current − previous) × 100 ÷ previous; null when the previous
    /// period had nothing.
    pub change_percent: Option<f64>,
    /// Whether the previous period had nothing and this one has something.
    pub new: bool,
}

impl Comparison {
    fn of(current: u64, previous: u64) -> Comparison {
        Comparison {
            current,
            previous,
            change_percent: (previous > 0)
                .then(|| (current as f64 - previous as f64) * 100.0 / previous as f64),
            new: previous == 0 && current > 0,
        }
    }
}

/// Whether a listed item is a module or one activity of a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A module: every action in it.
    Module,
    /// One action of a module.
    Activity,
}

impl ItemKind {
    /// The kind's name in the listing.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Module => "module",
            ItemKind::Activity => "activity",
        }
    }
}

/// One tracked module or activity with its actions in either period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActivityItem {
    /// A module, or one activity of a module.
    pub kind: ItemKind,
    /// The module.
    pub module: String,
    /// The activity (the events' `action`); null for a module.
    pub activity: Option<String>,
    /// Actions in this period.
    pub actions: u64,
    /// Actions in the previous period.
    pub previous_actions: u64,
    /// (actions − previous) ÷ previous, in percent; null when new.
    pub change_percent: Option<f64>,
    /// Whether the previous period had no actions of it.
    pub new: bool,
}

/// The listing of tracked modules and activities.
pub static ACTIVITY_ITEMS: FigureTable<ActivityItem> = FigureTable {
    title: "Modules and activities",
    columns: &[
        FigureColumn {
            name: "kind",
            title: "Kind",
            kind: ColumnKind::Text,
            cell: |row| text(row.kind.name()),
        },
        FigureColumn {
            name: "module",
            title: "Module",
            kind: ColumnKind::Text,
            cell: |row| text(&row.module),
        },
        FigureColumn {
            name: "activity",
            title: "Activity",
            kind: ColumnKind::Text,
            cell: |row| optional_text(row.activity.as_deref()),
        },
        FigureColumn {
            name: "actions",
            title: "Actions",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.actions as i64),
        },
        FigureColumn {
            name: "previous_actions",
            title: "Previous period",
            kind: ColumnKind::Integer,
            cell: |row| Cell::Integer(row.previous_actions as i64),
        },
        FigureColumn {
            name: "change_percent",
            title: "Change %",
            kind: ColumnKind::Percentage,
            cell: |row| row.change_percent.map_or(Cell::Empty, Cell::Percentage),
        },
        FigureColumn {
            name: "new",
            title: "New",
            kind: ColumnKind::Text,
            cell: |row| text(if row.new { "yes" } else { "no" }),
        },
    ],
    key: &["kind", "module", "activity"],
    default_sort: "-actions",
};

/// One day of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayFigures {
    /// The day, in the viewer's zone.
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    /// Tracked actions.
    pub actions: u64,
    /// Their time spent, in seconds.
    pub time_spent_secs: u64,
}

/// The Activities summary: both periods, time spent and actions with their
/// change, the top 5 activities and modules, and a series per day.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActivitiesSummary {
    /// The period's name.
    #[schema(value_type = String, example = "last-7-days")]
    #[serde(serialize_with = "crate::display")]
    pub period: Period,
    /// The zone whose days make the periods.
    #[schema(value_type = String, example = "Asia/Kathmandu")]
    #[serde(serialize_with = "crate::display")]
    pub zone: Tz,
    /// The instant the answer is as of: the period ends with the day before
    /// the one holding it, in `zone`.
    pub at: DateTime<Utc>,
    /// The period asked for.
    pub current: DaySpan,
    /// The period before it, as long.
    pub previous: DaySpan,
    /// Time spent, in seconds.
    pub time_spent_secs: Comparison,
    /// Tracked actions.
    pub actions: Comparison,
    /// The 5 activities with the most actions in the period.
    pub top_activities: Vec<ActivityItem>,
    /// The 5 modules with the most actions in the period.
    pub top_modules: Vec<ActivityItem>,
    /// Each day of the period, first to last.
    pub days: Vec<DayFigures>,
}

/// The Activities of a period, counted; [`Activities::summary`] and
/// [`Activities::items`] answer from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Activities {
    query: ActivitiesQuery,
    periods: Periods,
    tracking: Tracking,
    /// (actions, previous actions) per (module, activity), `None` for the
    /// module itself.
    items: BTreeMap<(String, Option<String>), (u64, u64)>,
    /// (actions, time spent) per day of either period.
    days: BTreeMap<NaiveDate, (u64, u64)>,
}

impl Activities {
    /// Nothing counted yet, for `query` under `tracking`.
    pub fn new(query: ActivitiesQuery, tracking: Tracking) -> Activities {
        Activities {
            query,
            periods: Periods::of(&query),
            tracking,
            items: BTreeMap::new(),
            days: BTreeMap::new(),
        }
    }

    /// The periods counted.
    pub fn periods(&self) -> &Periods {
        &self.periods
    }

    /// The quarters the store is read for: both periods.
    pub fn quarters(&self) -> (Quarter, Quarter) {
        (Quarter::of(self.periods.previous.from), Quarter::of(self.periods.current.to))
    }

    /// Counts one quarter's sum, if it is tracked and in either period.
    pub fn add(&mut self, sum: MonitorQuarter) {
        if !self.tracking.tracks(&sum.module, &sum.action) {
            return;
        }
        let calendar = AccountCalendar { time_zone: self.query.zone, ..AccountCalendar::default() };
        // A quarter never straddles two days: every offset is whole quarters.
        let day = local_date(&calendar, sum.quarter.start());
        let current = self.periods.current.holds(day);
        if !current && !self.periods.previous.holds(day) {
            return;
        }
        let day_sum = self.days.entry(day).or_default();
        day_sum.0 += sum.actions;
        day_sum.1 += sum.time_spent_secs;
        for key in [(sum.module.clone(), Some(sum.action)), (sum.module, None)] {
            let counts = self.items.entry(key).or_default();
            if current {
                counts.0 += sum.actions;
            } else {
                counts.1 += sum.actions;
            }
        }
    }

    /// Every tracked module and activity with actions in either period whose
    /// module or activity contains `name` (compared by Unicode's
    /// compatibility caseless match), modules and activities by name.
    pub fn items(&self, name: Option<&str>) -> Vec<ActivityItem> {
        let wanted = name.map(tally_identity::comparison_text);
        self.items
            .iter()
            .filter(|((module, activity), _)| {
                wanted.as_deref().is_none_or(|wanted| {
                    std::iter::once(module)
                        .chain(activity)
                        .any(|name| tally_identity::comparison_text(name).contains(wanted))
                })
            })
            .map(|((module, activity), (actions, previous_actions))| {
                let change = Comparison::of(*actions, *previous_actions);
                ActivityItem {
                    kind: if activity.is_some() { ItemKind::Activity } else { ItemKind::Module },
                    module: module.clone(),
                    activity: activity.clone(),
                    actions: *actions,
                    previous_actions: *previous_actions,
                    change_percent: change.change_percent,
                    new: change.new,
                }
            })
            .collect()
    }

    /// The summary: time spent and actions with their change, the top 5
    /// activities and modules (most actions first; ties to the smaller module,
    /// then activity, in byte order) and a series per day of the period.
    pub fn summary(&self) -> ActivitiesSummary {
        let Periods { current, previous } = self.periods;
        let sum_of = |span: DaySpan| {
            self.days
                .range(span.first_day..=span.last_day)
                .fold((0, 0), |sum, (_, day)| (sum.0 + day.0, sum.1 + day.1))
        };
        let (now, before) = (sum_of(current), sum_of(previous));
        let items = self.items(None);
        let top = |kind: ItemKind| {
            let mut top: Vec<ActivityItem> = items
                .iter()
                .filter(|item| item.kind == kind && item.actions > 0)
                .cloned()
                .collect();
            // Stable: equal actions keep the items' order, by module then activity.
            top.sort_by_key(|item| std::cmp::Reverse(item.actions));
            top.truncate(TOP);
            top
        };
        let days = current
            .first_day
            .iter_days()
            .take_while(|day| *day <= current.last_day)
            .map(|day| {
                let (actions, time_spent_secs) = self.days.get(&day).copied().unwrap_or_default();
                DayFigures { day, actions, time_spent_secs }
            })
            .collect();
        ActivitiesSummary {
            period: self.query.period,
            zone: self.query.zone,
            at: self.query.at,
            current,
            previous,
            time_spent_secs: Comparison::of(now.1, before.1),
            actions: Comparison::of(now.0, before.0),
            top_activities: top(ItemKind::Activity),
            top_modules: top(ItemKind::Module),
            days,
        }
    }
}

/// The Activities of `query` over the accounts in the view's scope, counting
/// only what the store's tracking list tracks at the time of reading.
pub fn activities(
    store: &Store,
    view: &MonitorView,
    query: ActivitiesQuery,
) -> Result<Activities, StoreError> {
    let tracking = Tracking::new(store.monitor_tracking(view)?);
    let mut activities = Activities::new(query, tracking);
    let (from, to) = activities.quarters();
    store.monitor_activity(view, from, to, |sum| activities.add(sum))?;
    Ok(activities)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn sum(at: &str, module: &str, action: &str, actions: u64, secs: u64) -> MonitorQuarter {
        MonitorQuarter {
            account: "acme".into(),
            quarter: Quarter::of(instant(at)),
            module: module.into(),
            action: action.into(),
            actions,
            time_spent_secs: secs,
        }
    }

    fn tracked(module: &str, activity: Option<&str>) -> TrackedActivity {
        TrackedActivity { module: module.into(), activity: activity.map(str::to_owned) }
    }

    /// The Activities of `period` in Kathmandu (+05:45) at 2026-03-10T00:00Z
    /// (05:45 on 03-10 there), from `sums`.
    fn check(period: Period, tracking: Tracking, sums: Vec<MonitorQuarter>) -> Activities {
        let query = ActivitiesQuery {
            period,
            zone: chrono_tz::Asia::Kathmandu,
            at: instant("2026-03-10T00:00:00Z"),
        };
        let mut activities = Activities::new(query, tracking);
        for sum in sums {
            activities.add(sum);
        }
        activities
    }

    /// (kind, module, activity, actions, previous, change %, new) of each item.
    type Line = (&'static str, String, Option<String>, u64, u64, Option<f64>, bool);

    fn lines(items: &[ActivityItem]) -> Vec<Line> {
        items
            .iter()
            .map(|item| {
                (
                    item.kind.name(),
                    item.module.clone(),
                    item.activity.clone(),
                    item.actions,
                    item.previous_actions,
                    item.change_percent,
                    item.new,
                )
            })
            .collect()
    }

    fn line(
        kind: &'static str,
        module: &str,
        activity: Option<&str>,
        counts: (u64, u64),
        change_percent: Option<f64>,
        new: bool,
    ) -> Line {
        (kind, module.into(), activity.map(str::to_owned), counts.0, counts.1, change_percent, new)
    }

    #[test]
    fn periods_are_whole_days_of_the_zone_ending_yesterday() {
        let periods = |period, zone, at: &str| {
            let periods = Periods::of(&ActivitiesQuery { period, zone, at: instant(at) });
            let show = |span: DaySpan| {
                (
                    span.first_day.to_string(),
                    span.last_day.to_string(),
                    span.from.to_rfc3339(),
                    span.to.to_rfc3339(),
                )
            };
            (show(periods.current), show(periods.previous))
        };
        let owned = |first: &str, last: &str, from: &str, to: &str| {
            (first.to_owned(), last.to_owned(), from.to_owned(), to.to_owned())
        };
        // 00:00Z on 03-10 is 05:45 on 03-10 in Kathmandu: yesterday is 03-09,
        // from 03-08T18:15Z (00:00 local) to 03-09T18:15Z.
        assert_eq!(
            periods(Period::Yesterday, chrono_tz::Asia::Kathmandu, "2026-03-10T00:00:00Z"),
            (
                owned(
                    "2026-03-09",
                    "2026-03-09",
                    "2026-03-08T18:15:00+00:00",
                    "2026-03-09T18:15:00+00:00"
                ),
                owned(
                    "2026-03-08",
                    "2026-03-08",
                    "2026-03-07T18:15:00+00:00",
                    "2026-03-08T18:15:00+00:00"
                ),
            )
        );
        // In Chatham, +13:45 in March (daylight time), 10:14:59Z on 03-09 is
        // 23:59:59 on 03-09 and 10:15Z is 00:00 on 03-10.
        let before =
            periods(Period::Last7Days, chrono_tz::Pacific::Chatham, "2026-03-09T10:14:59Z");
        let after = periods(Period::Last7Days, chrono_tz::Pacific::Chatham, "2026-03-09T10:15:00Z");
        // 7 days ending 03-08: 03-02..03-08; the 7 before: 02-23..03-01.
        assert_eq!(
            before,
            (
                owned(
                    "2026-03-02",
                    "2026-03-08",
                    "2026-03-01T10:15:00+00:00",
                    "2026-03-08T10:15:00+00:00"
                ),
                owned(
                    "2026-02-23",
                    "2026-03-01",
                    "2026-02-22T10:15:00+00:00",
                    "2026-03-01T10:15:00+00:00"
                ),
            )
        );
        assert_eq!(after.0.0, "2026-03-03");
        assert_eq!(after.0.1, "2026-03-09");
        // 90 days ending 03-09: 03-09 − 89 days = 2025-12-10; the 90 before
        // end on 12-09 and start 89 days earlier, 2025-09-11.
        let long = periods(Period::Last90Days, chrono_tz::UTC, "2026-03-10T12:00:00Z");
        assert_eq!((long.0.0.as_str(), long.0.1.as_str()), ("2025-12-10", "2026-03-09"));
        assert_eq!((long.1.0.as_str(), long.1.1.as_str()), ("2025-09-11", "2025-12-09"));
    }

    #[test]
    fn a_quarter_counts_on_the_day_of_the_zone_it_starts() {
        // Yesterday in Kathmandu is 03-09 from 03-08T18:15Z to 03-09T18:15Z.
        let activities = check(
            Period::Yesterday,
            Tracking::default(),
            vec![
                // The day's first quarter: in.
                sum("2026-03-08T18:15:00Z", "Dashboard", "export", 1, 10),
                // The quarter before, 23:45 on 03-08: the previous day.
                sum("2026-03-08T18:14:59.999999Z", "Dashboard", "export", 2, 20),
                // The last quarter of 03-09: in; the next, today: out.
                sum("2026-03-09T18:14:59.999999Z", "Dashboard", "export", 4, 40),
                sum("2026-03-09T18:15:00Z", "Dashboard", "export", 8, 80),
                // 03-07 local: before the previous day, out.
                sum("2026-03-07T18:14:59Z", "Dashboard", "export", 16, 160),
            ],
        );
        let summary = activities.summary();
        // In: 1 + 4 = 5 actions, 10 + 40 = 50 s; before: 2 actions, 20 s.
        assert_eq!(summary.actions.current, 5);
        assert_eq!(summary.actions.previous, 2);
        assert_eq!(summary.time_spent_secs.current, 50);
        assert_eq!(summary.time_spent_secs.previous, 20);
        // (50 − 20) ÷ 20 = 150 %.
        assert_eq!(summary.time_spent_secs.change_percent, Some(150.0));
        assert_eq!(
            summary.days,
            vec![DayFigures { day: day("2026-03-09"), actions: 5, time_spent_secs: 50 }]
        );
    }

    #[test]
    fn changes_are_percentages_of_the_previous_period_or_new() {
        // The last 7 days in Kathmandu: 03-03..03-09; before: 02-24..03-02.
        let activities = check(
            Period::Last7Days,
            Tracking::default(),
            vec![
                sum("2026-03-05T06:00:00Z", "Dashboard", "export", 5, 50),
                sum("2026-03-01T06:00:00Z", "Dashboard", "export", 4, 40),
                sum("2026-03-05T06:00:00Z", "Dashboard", "view", 2, 20),
                sum("2026-02-25T06:00:00Z", "Dashboard", "view", 3, 30),
                sum("2026-03-06T06:00:00Z", "Reports", "run", 2, 200),
                sum("2026-02-26T06:00:00Z", "Admin", "invite", 1, 5),
            ],
        );
        assert_eq!(
            lines(&activities.items(None)),
            vec![
                // Only before: −100 %.
                line("module", "Admin", None, (0, 1), Some(-100.0), false),
                line("activity", "Admin", Some("invite"), (0, 1), Some(-100.0), false),
                // 5 + 2 = 7 after 4 + 3 = 7: 0 %.
                line("module", "Dashboard", None, (7, 7), Some(0.0), false),
                // (5 − 4) ÷ 4 = 25 %.
                line("activity", "Dashboard", Some("export"), (5, 4), Some(25.0), false),
                // (2 − 3) ÷ 3 = −33.33… %.
                line("activity", "Dashboard", Some("view"), (2, 3), Some(-100.0 / 3.0), false),
                // Nothing before: new, no percentage.
                line("module", "Reports", None, (2, 0), None, true),
                line("activity", "Reports", Some("run"), (2, 0), None, true),
            ]
        );
        let summary = activities.summary();
        // Time spent 50 + 20 + 200 = 270 s after 40 + 30 + 5 = 75 s:
        // (270 − 75) ÷ 75 = 260 %.
        assert_eq!(summary.time_spent_secs.current, 270);
        assert_eq!(summary.time_spent_secs.previous, 75);
        assert_eq!(summary.time_spent_secs.change_percent, Some(260.0));
        // Seven days, 03-03 to 03-09; 03-05 local holds 06:00Z's quarters.
        let days: Vec<(String, u64, u64)> = summary
            .days
            .iter()
            .map(|day| (day.day.to_string(), day.actions, day.time_spent_secs))
            .collect();
        assert_eq!(
            days,
            vec![
                ("2026-03-03".into(), 0, 0),
                ("2026-03-04".into(), 0, 0),
                ("2026-03-05".into(), 7, 70),
                ("2026-03-06".into(), 2, 200),
                ("2026-03-07".into(), 0, 0),
                ("2026-03-08".into(), 0, 0),
                ("2026-03-09".into(), 0, 0),
            ]
        );
    }

    #[test]
    fn an_empty_previous_period_makes_everything_new_and_no_percentage() {
        let activities = check(
            Period::Yesterday,
            Tracking::default(),
            vec![sum("2026-03-09T06:00:00Z", "Dashboard", "export", 3, 30)],
        );
        let summary = activities.summary();
        assert_eq!(
            summary.time_spent_secs,
            Comparison { current: 30, previous: 0, change_percent: None, new: true }
        );
        assert!(summary.top_modules.iter().all(|item| item.new && item.change_percent.is_none()));
        // Nothing at all: no change and not new.
        let empty = check(Period::Yesterday, Tracking::default(), vec![]).summary();
        assert_eq!(
            empty.actions,
            Comparison { current: 0, previous: 0, change_percent: None, new: false }
        );
    }

    #[test]
    fn the_top_five_break_ties_by_module_then_activity() {
        // Seven activities; B/x and A/z tie with 3 actions, five tie with 2.
        let mut sums = vec![
            sum("2026-03-09T06:00:00Z", "B", "x", 3, 1),
            sum("2026-03-09T06:00:00Z", "A", "z", 3, 1),
        ];
        for (module, action) in [("C", "a"), ("A", "y"), ("B", "a"), ("A", "b"), ("D", "a")] {
            sums.push(sum("2026-03-09T06:00:00Z", module, action, 2, 1));
        }
        let summary = check(Period::Yesterday, Tracking::default(), sums).summary();
        let top: Vec<(String, String, u64)> = summary
            .top_activities
            .iter()
            .map(|item| (item.module.clone(), item.activity.clone().unwrap(), item.actions))
            .collect();
        // 3s by module: A/z, B/x; then the 2s by module and activity: A/b, A/y, B/a.
        let expected: Vec<(String, String, u64)> =
            [("A", "z", 3), ("B", "x", 3), ("A", "b", 2), ("A", "y", 2), ("B", "a", 2)]
                .into_iter()
                .map(|(module, action, actions)| (module.into(), action.into(), actions))
                .collect();
        assert_eq!(top, expected);
        // Modules: A 3 + 2 + 2 = 7, B 3 + 2 = 5, C 2, D 2 (tie to C).
        let modules: Vec<(String, u64)> =
            summary.top_modules.iter().map(|item| (item.module.clone(), item.actions)).collect();
        assert_eq!(
            modules,
            vec![("A".into(), 7), ("B".into(), 5), ("C".into(), 2), ("D".into(), 2)]
        );
    }

    #[test]
    fn untracked_modules_and_activities_are_never_counted() {
        let tracking =
            Tracking::new(vec![tracked("Dashboard", None), tracked("Reports", Some("run"))]);
        let activities = check(
            Period::Yesterday,
            tracking,
            vec![
                sum("2026-03-09T06:00:00Z", "Dashboard", "export", 1, 10),
                sum("2026-03-09T06:00:00Z", "Dashboard", "view", 2, 20),
                sum("2026-03-09T06:00:00Z", "Reports", "run", 4, 40),
                sum("2026-03-09T06:00:00Z", "Reports", "schedule", 8, 80),
                sum("2026-03-09T06:00:00Z", "Admin", "invite", 16, 160),
            ],
        );
        let summary = activities.summary();
        // Dashboard's two activities and Reports / run: 1 + 2 + 4 = 7 actions,
        // 10 + 20 + 40 = 70 s.
        assert_eq!((summary.actions.current, summary.time_spent_secs.current), (7, 70));
        let names: Vec<(String, Option<String>)> =
            activities.items(None).into_iter().map(|item| (item.module, item.activity)).collect();
        assert_eq!(
            names,
            vec![
                ("Dashboard".into(), None),
                ("Dashboard".into(), Some("export".into())),
                ("Dashboard".into(), Some("view".into())),
                ("Reports".into(), None),
                ("Reports".into(), Some("run".into())),
            ]
        );
    }

    #[test]
    fn a_name_filter_ignores_case_by_unicode_case_folding() {
        let activities = check(
            Period::Yesterday,
            Tracking::default(),
            vec![
                sum("2026-03-09T06:00:00Z", "Straße", "öffnen", 1, 10),
                sum("2026-03-09T06:00:00Z", "Dashboard", "EXPORT", 2, 20),
            ],
        );
        let names = |filter: &str| -> Vec<(String, Option<String>)> {
            activities
                .items(Some(filter))
                .into_iter()
                .map(|item| (item.module, item.activity))
                .collect()
        };
        // ß folds to ss: STRASSE finds the module and its activity.
        assert_eq!(
            names("STRASSE"),
            vec![("Straße".into(), None), ("Straße".into(), Some("öffnen".into()))]
        );
        // Ö folds to ö: only the activity's name holds it.
        assert_eq!(names("ÖFF"), vec![("Straße".into(), Some("öffnen".into()))]);
        assert_eq!(names("port"), vec![("Dashboard".into(), Some("EXPORT".into()))]);
        assert_eq!(names("nothing"), vec![]);
    }

    #[test]
    fn periods_read_back_from_their_names() {
        for period in Period::ALL {
            assert_eq!(period.name().parse::<Period>(), Ok(period));
        }
        assert_eq!(
            "last-8-days".parse::<Period>().unwrap_err().to_string(),
            "\"last-8-days\" is not a period: use last-90-days, last-30-days, last-7-days or yesterday"
        );
    }
}
