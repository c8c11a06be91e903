//! The widgets counted from runs: actions and automations. A run counts once,
//! on the day of its earliest state, however many states it reports.
//! Automation runs have no user, so under a team filter there are none.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use tally_events::EventKind;
use tally_report::{Cell, Chart, ChartKind, ColumnKind, Table};
use tally_seats::Month;
use tally_store::{ActivityCount, ActivityFilter, FloorOf, RunFilter, StoreError};

use super::{Answer, Computed, chart, count, header, month_cell, text};

const AUTOMATIONS_HAVE_NO_TEAM: &str =
    "automation runs are started by no user and so belong to no team";

/// How many actions the top-actions widget shows.
const ACTIONS_SHOWN: usize = 6;

fn runs_of(
    answer: &mut Answer<'_>,
    kind: EventKind,
) -> Result<(Vec<ActivityCount>, ActivityFilter), StoreError> {
    let filter = answer.activity_filter(&[kind]);
    if kind == EventKind::AutomationRun && answer.query.team.is_some() {
        answer.note_no_team(AUTOMATIONS_HAVE_NO_TEAM);
        return Ok((Vec::new(), filter));
    }
    let mut rows = Vec::new();
    answer.store.for_each_activity_sum(answer.usage, &filter, false, |row| rows.push(row))?;
    Ok((rows, filter))
}

/// Action runs started through the API plus automation runs, in the period.
pub(super) fn api_and_automation_triggers(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let (actions, mut filter) = runs_of(answer, EventKind::ActionRun)?;
    let (automations, _) = runs_of(answer, EventKind::AutomationRun)?;
    let via_api: u64 = actions
        .iter()
        .filter(|row| row.detail.as_deref() == Some("api"))
        .map(|row| row.events)
        .sum();
    let automation_runs: u64 = automations.iter().map(|row| row.events).sum();
    let header = header(
        answer.widget,
        &[
            ("actions_via_api", "Action runs started through the API", ColumnKind::Integer),
            ("automation_runs", "Automation runs", ColumnKind::Integer),
            ("total", "Total", ColumnKind::Integer),
        ],
    );
    let rows = vec![vec![count(via_api), count(automation_runs), count(via_api + automation_runs)]];
    filter.kinds.push(EventKind::AutomationRun);
    let floor = answer.floor(&[
        FloorOf::Activity(EventKind::ActionRun),
        FloorOf::Activity(EventKind::AutomationRun),
    ])?;
    Ok((Table::new(header, rows), vec![Some(filter)], floor))
}

/// Runs per month and organization (long form: a row per month and
/// organization with runs, charted as bars stacked by organization).
pub(super) fn monthly_runs(
    answer: &mut Answer<'_>,
    kind: EventKind,
) -> Result<Computed, StoreError> {
    let floor = answer.floor(&[FloorOf::Activity(kind)])?;
    let months = answer.months(floor);
    let (rows_behind, filter) = runs_of(answer, kind)?;
    let mut sums: BTreeMap<(Month, String), u64> = BTreeMap::new();
    for row in rows_behind {
        *sums.entry((Month::of(row.day), row.organization.unwrap_or_default())).or_default() +=
            row.events;
    }
    let header = header(
        answer.widget,
        &[
            ("month", "Month", ColumnKind::Text),
            ("organization", "Organization", ColumnKind::Text),
            ("runs", "Runs", ColumnKind::Integer),
        ],
    )
    .with_chart(
        Chart::new(ChartKind::StackedBar, "month", vec!["runs".to_owned()])
            .by_series("organization"),
    );
    let mut drill = Vec::new();
    let mut rows = Vec::new();
    for ((month, organization), runs) in sums {
        if !months.contains(&month) {
            continue;
        }
        let mut behind = filter.clone();
        let last = month.next().first_day().pred_opt().expect("a month has a last day");
        behind.days = tally_store::DayRange {
            first: month.first_day().max(filter.days.first),
            last: last.min(filter.days.last),
        };
        behind.organization = Some(organization.clone());
        drill.push(Some(behind));
        rows.push(vec![month_cell(month), text(organization), count(runs)]);
    }
    Ok((Table::new(header, rows), drill, floor))
}

/// Every automation run started in the period, earliest first.
pub(super) fn automation_runs(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let header = header(
        answer.widget,
        &[
            ("run_id", "Run", ColumnKind::Text),
            ("automation", "Automation", ColumnKind::Text),
            ("organization", "Organization", ColumnKind::Text),
            ("status", "Status", ColumnKind::Text),
            ("started_at", "Started", ColumnKind::DateTime),
            ("status_at", "Status since", ColumnKind::DateTime),
            ("states", "States reported", ColumnKind::Integer),
        ],
    );
    let floor = answer.floor(&[FloorOf::Activity(EventKind::AutomationRun)])?;
    if answer.query.team.is_some() {
        answer.note_no_team(AUTOMATIONS_HAVE_NO_TEAM);
        return Ok((Table::new(header, Vec::new()), Vec::new(), floor));
    }
    let from = tally_calendar::start_of_day(&answer.calendar, answer.days.first);
    let next = answer.days.last.succ_opt().unwrap_or(answer.days.last);
    let to: DateTime<Utc> = tally_calendar::start_of_day(&answer.calendar, next);
    let runs = answer.store.dashboard_runs(
        answer.usage,
        &RunFilter {
            kind: EventKind::AutomationRun,
            from,
            to,
            organization: answer.query.organization.clone(),
        },
    )?;
    let rows = runs
        .into_iter()
        .map(|run| {
            vec![
                text(run.run_id),
                text(run.name),
                text(run.organization),
                text(run.status),
                Cell::DateTime(run.started),
                Cell::DateTime(run.status_at),
                count(run.states),
            ]
        })
        .collect::<Vec<_>>();
    let drill = vec![None; rows.len()];
    Ok((Table::new(header, rows), drill, floor))
}

/// What the action-run breakdowns group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ActionsBy {
    Action,
    Organization,
    User,
    Role,
    Team,
}

/// Action runs in the period grouped by one thing, the most first; the top
/// actions widget keeps six. A run by a user in two teams counts in each.
pub(super) fn actions_by(answer: &mut Answer<'_>, by: ActionsBy) -> Result<Computed, StoreError> {
    let mut groups: HashMap<String, u64> = HashMap::new();
    let filter = match by {
        ActionsBy::User | ActionsBy::Team => {
            // Per user: all their runs (of the team's users, when filtered);
            // per team: the runs of users while in it.
            let mut filter = answer.activity_filter(&[EventKind::ActionRun]);
            let members = match by {
                ActionsBy::User => super::activity::team_members(answer)?,
                _ => None,
            };
            if by == ActionsBy::User {
                filter.team = None;
            }
            let kinds = [EventKind::ActionRun];
            for tally in super::activity::tallies(answer, &kinds, by == ActionsBy::Team)? {
                let kept = match (by, &answer.query.team, &members) {
                    (ActionsBy::Team, Some(team), _) => tally.name == *team,
                    (ActionsBy::User, _, Some(members)) => members.contains(&tally.name),
                    _ => true,
                };
                if kept {
                    *groups.entry(tally.name).or_default() += tally.events;
                }
            }
            filter
        }
        ActionsBy::Action | ActionsBy::Organization | ActionsBy::Role => {
            let (rows_behind, filter) = runs_of(answer, EventKind::ActionRun)?;
            for row in &rows_behind {
                let key = match by {
                    ActionsBy::Action => row.subject.clone(),
                    ActionsBy::Organization => row.organization.clone(),
                    _ => row.role.map(|role| role.as_str().to_owned()),
                };
                *groups.entry(key.unwrap_or_default()).or_default() += row.events;
            }
            filter
        }
    };
    let mut ranked: Vec<_> = groups.into_iter().collect();
    ranked.sort_by(|(a, runs_a), (b, runs_b)| runs_b.cmp(runs_a).then_with(|| a.cmp(b)));
    if by == ActionsBy::Action {
        ranked.truncate(ACTIONS_SHOWN);
    }
    let (name, title) = match by {
        ActionsBy::Action => ("action", "Action"),
        ActionsBy::Organization => ("organization", "Organization"),
        ActionsBy::User => ("user", "User (empty: no person)"),
        ActionsBy::Role => ("role", "Role (empty: no person)"),
        ActionsBy::Team => ("team", "Team"),
    };
    let mut header = header(
        answer.widget,
        &[(name, title, ColumnKind::Text), ("runs", "Runs", ColumnKind::Integer)],
    );
    if matches!(by, ActionsBy::Action | ActionsBy::Organization) {
        header = header.with_chart(chart(ChartKind::Bar, name, &["runs"]));
    }
    let mut drill = Vec::new();
    let rows = ranked
        .into_iter()
        .map(|(key, runs)| {
            let mut behind = filter.clone();
            match by {
                ActionsBy::Action => behind.subject = Some(key.clone()),
                ActionsBy::Organization => behind.organization = Some(key.clone()),
                ActionsBy::User => behind.user = Some(key.clone()),
                ActionsBy::Role => behind.role = tally_events::Role::parse(&key),
                ActionsBy::Team => behind.team = Some(key.clone()),
            }
            drill.push(Some(behind));
            vec![text(key), count(runs)]
        })
        .collect();
    let floor = answer.floor(&[FloorOf::Activity(EventKind::ActionRun)])?;
    Ok((Table::new(header, rows), drill, floor))
}
