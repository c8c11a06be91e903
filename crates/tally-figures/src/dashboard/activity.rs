//! The widgets counted from activity: users activity (engagement, logins, page
//! visits, and the seat widgets) and AI & MCP.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use tally_events::{EventKind, Role};
use tally_report::{Cell, ChartKind, ColumnKind, Table};
use tally_seats::Month;
use tally_store::{ActivityCount, ActivityFilter, FloorOf, LATENCY_BUCKETS_MS, StoreError, Tally};

use super::{Answer, Computed, chart, count, header, month_cell, share, text};
use crate::MonthRange;
use crate::seats::{ACTIVATED_SEATS, MONTHLY_SEATS, activated_seats, monthly_seats_between};

/// How many teams the engaged-teams widgets show.
const TEAMS_SHOWN: usize = 5;

/// How many pages the popular-pages widgets show.
const PAGES_SHOWN: usize = 10;

/// What AI invocations without a source, and MCP calls without a tool, are
/// shown as.
pub(crate) const OTHER: &str = "Other";

/// The activity `filter` keeps, summed over users (per day when `by_day`,
/// else per month where it can be), or per user and teams under a team filter.
fn sums_of(
    answer: &Answer<'_>,
    filter: &ActivityFilter,
    by_day: bool,
) -> Result<Vec<ActivityCount>, StoreError> {
    let mut rows = Vec::new();
    answer.store.for_each_activity_sum(answer.usage, filter, by_day, |row| rows.push(row))?;
    Ok(rows)
}

/// Events of `kinds` in the widget's days per user (or per team), with the
/// query's organization.
pub(super) fn tallies(
    answer: &Answer<'_>,
    kinds: &[EventKind],
    by_team: bool,
) -> Result<Vec<Tally>, StoreError> {
    answer.store.activity_tallies(
        answer.usage,
        kinds,
        answer.days,
        answer.query.organization.as_deref(),
        by_team,
    )
}

/// Under a team filter, the users in the team at the end of the period, whose
/// activity per-user widgets show (whatever team they did it in).
pub(super) fn team_members(answer: &Answer<'_>) -> Result<Option<HashSet<String>>, StoreError> {
    let Some(team) = &answer.query.team else { return Ok(None) };
    let members = answer.store.dashboard_members(answer.usage, answer.end_instant())?;
    Ok(Some(
        members.into_iter().filter(|member| member.teams.contains(team)).map(|m| m.user).collect(),
    ))
}

pub(super) fn monthly_active_seats(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    if answer.query.team.is_some() {
        answer.notes.push(
            "seats are counted per organization, not per team, so the team filter does not apply"
                .to_owned(),
        );
    }
    let months =
        MonthRange::new(Some(Month::of(answer.days.first)), Some(Month::of(answer.days.last)))
            .expect("a period's first day is not after its last");
    let at = answer.end_instant();
    let rows = monthly_seats_between(
        answer.store,
        answer.usage,
        answer.query.organization.as_deref(),
        months,
        at,
    )?;
    let mut table = MONTHLY_SEATS.to_table(&rows);
    table.header = table.header.with_chart(chart(ChartKind::Line, "month", &["seats"]));
    table.header.title = answer.widget.title().to_owned();
    let drill = vec![None; table.rows.len()];
    Ok((table, drill, None))
}

pub(super) fn activated_seats_log(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let mut rows = activated_seats(answer.store, answer.usage, answer.end_instant())?;
    if let Some(organization) = &answer.query.organization {
        rows.retain(|row| row.organizations.contains(organization));
    }
    if let Some(team) = &answer.query.team {
        rows.retain(|row| row.teams.contains(team));
    }
    let mut table = ACTIVATED_SEATS.to_table(&rows);
    table.header.title = answer.widget.title().to_owned();
    let drill = vec![None; table.rows.len()];
    Ok((table, drill, None))
}

/// Logins and page visits of one user or team over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Engagement {
    logins: u64,
    page_visits: u64,
}

impl Engagement {
    fn add(&mut self, kind: EventKind, events: u64) {
        match kind {
            EventKind::Login => self.logins += events,
            _ => self.page_visits += events,
        }
    }

    fn total(self) -> u64 {
        self.logins + self.page_visits
    }
}

fn engagement_floor(answer: &Answer<'_>) -> Result<Option<DateTime<Utc>>, StoreError> {
    answer.floor(&[FloorOf::Activity(EventKind::Login), FloorOf::Activity(EventKind::PageVisit)])
}

/// Teams by logins and page visits per member: the events of users while in
/// the team, over the members the team has at the period's end.
pub(super) fn engaged_teams(answer: &mut Answer<'_>, most: bool) -> Result<Computed, StoreError> {
    let members = answer.store.dashboard_members(answer.usage, answer.end_instant())?;
    let mut teams: BTreeMap<String, (u64, Engagement)> = BTreeMap::new();
    for member in &members {
        for team in &member.teams {
            teams.entry(team.clone()).or_default().0 += 1;
        }
    }
    let filter = answer.activity_filter(&[EventKind::Login, EventKind::PageVisit]);
    for tally in tallies(answer, &filter.kinds, true)? {
        if let Some((_, engagement)) = teams.get_mut(&tally.name) {
            engagement.add(tally.kind, tally.events);
        }
    }
    if let Some(wanted) = &answer.query.team {
        teams.retain(|team, _| team == wanted);
    }
    let mut ranked: Vec<(String, u64, Engagement)> = teams
        .into_iter()
        .map(|(team, (members, engagement))| (team, members, engagement))
        .collect();
    // Per member, compared exactly: a/b against c/d as a*d against c*b.
    ranked.sort_by(|(team_a, members_a, a), (team_b, members_b, b)| {
        let (left, right) = (a.total() * members_b, b.total() * members_a);
        let order = if most { right.cmp(&left) } else { left.cmp(&right) };
        order.then_with(|| team_a.cmp(team_b))
    });
    ranked.truncate(TEAMS_SHOWN);
    let header = header(
        answer.widget,
        &[
            ("team", "Team", ColumnKind::Text),
            ("members", "Members", ColumnKind::Integer),
            ("logins", "Logins", ColumnKind::Integer),
            ("page_visits", "Page visits", ColumnKind::Integer),
            ("engagement", "Logins and page visits per member", ColumnKind::Decimal),
        ],
    )
    .with_chart(chart(ChartKind::Bar, "team", &["engagement"]));
    let mut drill = Vec::new();
    let rows = ranked
        .into_iter()
        .map(|(team, members, engagement)| {
            let mut behind = filter.clone();
            behind.team = Some(team.clone());
            drill.push(Some(behind));
            vec![
                text(team),
                count(members),
                count(engagement.logins),
                count(engagement.page_visits),
                // Two decimals: a figure to compare, not to add up.
                Cell::Decimal((engagement.total() as f64 * 100.0 / members as f64).round() / 100.0),
            ]
        })
        .collect();
    Ok((Table::new(header, rows), drill, engagement_floor(answer)?))
}

/// Every member at the period's end (of the team, when filtered), by logins
/// plus page visits over the period, the least first.
pub(super) fn least_engaged_users(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let mut members = answer.store.dashboard_members(answer.usage, answer.end_instant())?;
    if let Some(team) = &answer.query.team {
        members.retain(|member| member.teams.contains(team));
    }
    let mut engagement: HashMap<String, (Engagement, Option<DateTime<Utc>>)> = HashMap::new();
    let mut filter = answer.activity_filter(&[EventKind::Login, EventKind::PageVisit]);
    // A member's events count whatever team they were in at the time.
    filter.team = None;
    for tally in tallies(answer, &filter.kinds, false)? {
        let (user_engagement, last_login) = engagement.entry(tally.name).or_default();
        user_engagement.add(tally.kind, tally.events);
        if tally.kind == EventKind::Login {
            *last_login = Some(last_login.map_or(tally.last, |held| held.max(tally.last)));
        }
    }
    let mut ranked: Vec<_> = members
        .into_iter()
        .map(|member| {
            let (figures, last_login) = engagement.get(&member.user).copied().unwrap_or_default();
            (member, figures, last_login)
        })
        .collect();
    ranked.sort_by(|(a, figures_a, _), (b, figures_b, _)| {
        figures_a.total().cmp(&figures_b.total()).then_with(|| a.user.cmp(&b.user))
    });
    let header = header(
        answer.widget,
        &[
            ("user", "User", ColumnKind::Text),
            ("display_name", "Name", ColumnKind::Text),
            ("email", "Email", ColumnKind::Text),
            ("role", "Role", ColumnKind::Text),
            ("teams", "Teams", ColumnKind::Text),
            ("logins", "Logins", ColumnKind::Integer),
            ("page_visits", "Page visits", ColumnKind::Integer),
            ("engagement", "Logins and page visits", ColumnKind::Integer),
            ("last_login", "Last login in the period", ColumnKind::DateTime),
        ],
    );
    let mut drill = Vec::new();
    let rows = ranked
        .into_iter()
        .map(|(member, figures, last_login)| {
            let mut behind = filter.clone();
            behind.user = Some(member.user.clone());
            drill.push(Some(behind));
            vec![
                text(member.user),
                member.display_name.map_or(Cell::Empty, text),
                member.email.map_or(Cell::Empty, text),
                text(member.role.as_str()),
                text(member.teams.join("; ")),
                count(figures.logins),
                count(figures.page_visits),
                count(figures.total()),
                last_login.map_or(Cell::Empty, Cell::DateTime),
            ]
        })
        .collect();
    Ok((Table::new(header, rows), drill, engagement_floor(answer)?))
}

/// Users who logged in during the period, the latest login first.
pub(super) fn latest_logins(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let mut filter = answer.activity_filter(&[EventKind::Login]);
    filter.team = None;
    let members = team_members(answer)?;
    let mut ranked: Vec<(String, (u64, DateTime<Utc>))> = tallies(answer, &filter.kinds, false)?
        .into_iter()
        .filter(|tally| members.as_ref().is_none_or(|members| members.contains(&tally.name)))
        .map(|tally| (tally.name, (tally.events, tally.last)))
        .collect();
    ranked.sort_by(|(a, (_, last_a)), (b, (_, last_b))| last_b.cmp(last_a).then_with(|| a.cmp(b)));
    let header = header(
        answer.widget,
        &[
            ("user", "User", ColumnKind::Text),
            ("last_login", "Last login", ColumnKind::DateTime),
            ("logins", "Logins", ColumnKind::Integer),
        ],
    );
    let mut drill = Vec::new();
    let rows = ranked
        .into_iter()
        .map(|(user, (logins, last))| {
            let mut behind = filter.clone();
            behind.user = Some(user.clone());
            drill.push(Some(behind));
            vec![text(user), Cell::DateTime(last), count(logins)]
        })
        .collect();
    let floor = answer.floor(&[FloorOf::Activity(EventKind::Login)])?;
    Ok((Table::new(header, rows), drill, floor))
}

/// The pages visited most by users in `role` (at the visit).
pub(super) fn popular_pages(answer: &mut Answer<'_>, role: Role) -> Result<Computed, StoreError> {
    let mut filter = answer.activity_filter(&[EventKind::PageVisit]);
    filter.role = Some(role);
    let mut pages: HashMap<String, u64> = HashMap::new();
    for row in sums_of(answer, &filter, false)? {
        *pages.entry(row.subject.unwrap_or_default()).or_default() += row.events;
    }
    let mut ranked: Vec<_> = pages.into_iter().collect();
    ranked.sort_by(|(a, visits_a), (b, visits_b)| visits_b.cmp(visits_a).then_with(|| a.cmp(b)));
    ranked.truncate(PAGES_SHOWN);
    let header = header(
        answer.widget,
        &[("page", "Page", ColumnKind::Text), ("visits", "Visits", ColumnKind::Integer)],
    )
    .with_chart(chart(ChartKind::Bar, "page", &["visits"]));
    let mut drill = Vec::new();
    let rows = ranked
        .into_iter()
        .map(|(page, visits)| {
            let mut behind = filter.clone();
            behind.subject = Some(page.clone());
            drill.push(Some(behind));
            vec![text(page), count(visits)]
        })
        .collect();
    let floor = answer.floor(&[FloorOf::Activity(EventKind::PageVisit)])?;
    Ok((Table::new(header, rows), drill, floor))
}

/// Page visits by users in `role` per day of the period, from the first day
/// with data on.
pub(super) fn page_visits_per_day(
    answer: &mut Answer<'_>,
    role: Role,
) -> Result<Computed, StoreError> {
    let mut filter = answer.activity_filter(&[EventKind::PageVisit]);
    filter.role = Some(role);
    let mut days: BTreeMap<chrono::NaiveDate, u64> = BTreeMap::new();
    for row in sums_of(answer, &filter, true)? {
        *days.entry(row.day).or_default() += row.events;
    }
    let floor = answer.floor(&[FloorOf::Activity(EventKind::PageVisit)])?;
    let first = match floor {
        Some(floor) => answer.days.first.max(tally_calendar::local_date(&answer.calendar, floor)),
        None => {
            answer.notes.push("no data yet".to_owned());
            answer.days.last.succ_opt().unwrap_or(answer.days.last)
        }
    };
    if first > answer.days.first && floor.is_some() {
        answer.notes.push(format!("no data before {first}"));
    }
    let header = header(
        answer.widget,
        &[("day", "Day", ColumnKind::Date), ("visits", "Visits", ColumnKind::Integer)],
    )
    .with_chart(chart(ChartKind::Bar, "day", &["visits"]));
    let mut drill = Vec::new();
    let mut rows = Vec::new();
    let mut day = first;
    while day <= answer.days.last {
        let visits = days.remove(&day).unwrap_or_default();
        let mut behind = filter.clone();
        behind.days = tally_store::DayRange { first: day, last: day };
        drill.push(Some(behind));
        rows.push(vec![Cell::Date(day), count(visits)]);
        day = day.succ_opt().expect("days before the year 262143");
    }
    Ok((Table::new(header, rows), drill, floor))
}

/// Events and failures per month, the activity summed, and the data floor.
type PerMonth = (Vec<(Month, u64, u64)>, ActivityFilter, Option<DateTime<Utc>>);

/// Sums `kind`'s events (and failures) per month of the widget's days.
fn per_month(answer: &mut Answer<'_>, kind: EventKind) -> Result<PerMonth, StoreError> {
    let floor = answer.floor(&[FloorOf::Activity(kind)])?;
    let months = answer.months(floor);
    let filter = answer.activity_filter(&[kind]);
    let mut sums: HashMap<Month, (u64, u64)> = HashMap::new();
    for row in sums_of(answer, &filter, false)? {
        let (events, failures) = sums.entry(Month::of(row.day)).or_default();
        *events += row.events;
        *failures += row.failures;
    }
    let rows = months
        .into_iter()
        .map(|month| {
            let (events, failures) = sums.get(&month).copied().unwrap_or_default();
            (month, events, failures)
        })
        .collect();
    Ok((rows, filter, floor))
}

/// The filter narrowed to one month (within the widget's days).
fn in_month(filter: &ActivityFilter, month: Month) -> ActivityFilter {
    let mut behind = filter.clone();
    let last = month.next().first_day().pred_opt().expect("a month has a last day");
    behind.days = tally_store::DayRange {
        first: month.first_day().max(filter.days.first),
        last: last.min(filter.days.last),
    };
    behind
}

pub(super) fn monthly_ai_interactions(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let (months, filter, floor) = per_month(answer, EventKind::AiInvocation)?;
    let header = header(
        answer.widget,
        &[
            ("month", "Month", ColumnKind::Text),
            ("interactions", "AI interactions", ColumnKind::Integer),
        ],
    )
    .with_chart(chart(ChartKind::Line, "month", &["interactions"]));
    let drill = months.iter().map(|(month, _, _)| Some(in_month(&filter, *month))).collect();
    let rows = months
        .into_iter()
        .map(|(month, events, _)| vec![month_cell(month), count(events)])
        .collect();
    Ok((Table::new(header, rows), drill, floor))
}

pub(super) fn monthly_mcp_calls(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let (months, filter, floor) = per_month(answer, EventKind::McpCall)?;
    let header = header(
        answer.widget,
        &[
            ("month", "Month", ColumnKind::Text),
            ("calls", "MCP calls", ColumnKind::Integer),
            ("failures", "Failed calls", ColumnKind::Integer),
        ],
    )
    .with_chart(chart(ChartKind::Line, "month", &["calls", "failures"]));
    let drill = months.iter().map(|(month, _, _)| Some(in_month(&filter, *month))).collect();
    let rows = months
        .into_iter()
        .map(|(month, events, failures)| vec![month_cell(month), count(events), count(failures)])
        .collect();
    Ok((Table::new(header, rows), drill, floor))
}

pub(super) fn ai_by_source(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let filter = answer.activity_filter(&[EventKind::AiInvocation]);
    let mut sources: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for row in sums_of(answer, &filter, false)? {
        *sources.entry(row.subject).or_default() += row.events;
    }
    let total: u64 = sources.values().sum();
    let mut ranked: Vec<_> = sources.into_iter().collect();
    // "Other" last, whatever its size: it is what could not be placed.
    ranked.sort_by(|(a, count_a), (b, count_b)| {
        a.is_none().cmp(&b.is_none()).then(count_b.cmp(count_a)).then_with(|| a.cmp(b))
    });
    let header = header(
        answer.widget,
        &[
            ("source", "Source", ColumnKind::Text),
            ("invocations", "Invocations", ColumnKind::Integer),
            ("share", "Share", ColumnKind::Percentage),
        ],
    )
    .with_chart(chart(ChartKind::Pie, "source", &["invocations"]));
    let mut drill = Vec::new();
    let rows = ranked
        .into_iter()
        .map(|(source, invocations)| {
            let mut behind = filter.clone();
            // The store's subject is empty for invocations without a source.
            behind.subject = Some(source.clone().unwrap_or_default());
            drill.push(Some(behind));
            vec![
                text(source.unwrap_or_else(|| OTHER.to_owned())),
                count(invocations),
                share(invocations, total),
            ]
        })
        .collect();
    let floor = answer.floor(&[FloorOf::Activity(EventKind::AiInvocation)])?;
    Ok((Table::new(header, rows), drill, floor))
}

pub(super) fn ai_mcp_by_user(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let mut filter = answer.activity_filter(&[EventKind::AiInvocation, EventKind::McpCall]);
    filter.team = None;
    let members = team_members(answer)?;
    let mut users: BTreeMap<String, (u64, u64, DateTime<Utc>)> = BTreeMap::new();
    for tally in tallies(answer, &filter.kinds, false)? {
        if members.as_ref().is_some_and(|members| !members.contains(&tally.name)) {
            continue;
        }
        let (ai, mcp, last) = users.entry(tally.name).or_insert((0, 0, tally.last));
        match tally.kind {
            EventKind::AiInvocation => *ai += tally.events,
            _ => *mcp += tally.events,
        }
        *last = (*last).max(tally.last);
    }
    let mut ranked: Vec<_> = users.into_iter().collect();
    ranked.sort_by(|(a, (ai_a, mcp_a, _)), (b, (ai_b, mcp_b, _))| {
        (ai_b + mcp_b).cmp(&(ai_a + mcp_a)).then_with(|| a.cmp(b))
    });
    let header = header(
        answer.widget,
        &[
            ("user", "User", ColumnKind::Text),
            ("ai_invocations", "AI invocations", ColumnKind::Integer),
            ("mcp_calls", "MCP calls", ColumnKind::Integer),
            ("last_used", "Last used", ColumnKind::DateTime),
        ],
    );
    let mut drill = Vec::new();
    let rows = ranked
        .into_iter()
        .map(|(user, (ai, mcp, last))| {
            let mut behind = filter.clone();
            behind.user = Some(user.clone());
            drill.push(Some(behind));
            vec![text(user), count(ai), count(mcp), Cell::DateTime(last)]
        })
        .collect();
    let floor = answer.floor(&[
        FloorOf::Activity(EventKind::AiInvocation),
        FloorOf::Activity(EventKind::McpCall),
    ])?;
    Ok((Table::new(header, rows), drill, floor))
}

/// Calls per latency bucket, for percentiles.
#[derive(Debug, Clone, Default)]
struct ToolFigures {
    calls: u64,
    failures: u64,
    timed: Vec<u64>,
}

/// The latency at `percentile` (0-100) of calls counted per bucket: the bound
/// of the bucket holding the call of nearest rank (the ceiling of `percentile`
/// percent of the calls, counting from 1). `None` without calls.
pub(crate) fn percentile_ms(timed: &[u64], percentile: u64) -> Option<u32> {
    let calls: u64 = timed.iter().sum();
    if calls == 0 {
        return None;
    }
    let rank = (calls * percentile).div_ceil(100).max(1);
    let mut seen = 0;
    for (bucket, in_bucket) in timed.iter().enumerate() {
        seen += in_bucket;
        if seen >= rank {
            return Some(LATENCY_BUCKETS_MS[bucket]);
        }
    }
    unreachable!("the rank is at most the number of calls")
}

pub(super) fn mcp_tools(answer: &mut Answer<'_>) -> Result<Computed, StoreError> {
    let filter = answer.activity_filter(&[EventKind::McpCall]);
    let mut tools: BTreeMap<Option<String>, ToolFigures> = BTreeMap::new();
    for row in sums_of(answer, &filter, false)? {
        let figures = tools.entry(row.subject).or_default();
        figures.calls += row.events;
        figures.failures += row.failures;
    }
    if answer.query.team.is_some() {
        answer.notes.push(
            "latencies are kept per tool, not per team, so none are shown under a team filter"
                .to_owned(),
        );
    } else {
        let latencies = answer.store.latency_tallies(
            answer.usage,
            answer.days,
            answer.query.organization.as_deref(),
        )?;
        for (tool, bucket, calls) in latencies {
            let figures = tools.entry(tool).or_default();
            if figures.timed.len() <= bucket {
                figures.timed.resize(bucket + 1, 0);
            }
            figures.timed[bucket] += calls;
        }
    }
    let mut ranked: Vec<_> = tools.into_iter().collect();
    ranked.sort_by(|(a, figures_a), (b, figures_b)| {
        a.is_none()
            .cmp(&b.is_none())
            .then(figures_b.calls.cmp(&figures_a.calls))
            .then_with(|| a.cmp(b))
    });
    let header = header(
        answer.widget,
        &[
            ("tool", "Tool", ColumnKind::Text),
            ("calls", "Calls", ColumnKind::Integer),
            ("failures", "Failed calls", ColumnKind::Integer),
            ("failure_rate", "Failure rate", ColumnKind::Percentage),
            ("timed_calls", "Calls with a duration", ColumnKind::Integer),
            ("p50_ms", "Median (ms)", ColumnKind::Integer),
            ("p90_ms", "90th percentile (ms)", ColumnKind::Integer),
            ("p99_ms", "99th percentile (ms)", ColumnKind::Integer),
        ],
    )
    .with_chart(chart(ChartKind::Bar, "tool", &["calls", "failures"]));
    let mut drill = Vec::new();
    let rows = ranked
        .into_iter()
        .map(|(tool, figures)| {
            let mut behind = filter.clone();
            behind.subject = Some(tool.clone().unwrap_or_default());
            drill.push(Some(behind));
            let latency = |percentile| {
                percentile_ms(&figures.timed, percentile)
                    .map_or(Cell::Empty, |ms| Cell::Integer(i64::from(ms)))
            };
            vec![
                text(tool.unwrap_or_else(|| OTHER.to_owned())),
                count(figures.calls),
                count(figures.failures),
                share(figures.failures, figures.calls),
                count(figures.timed.iter().sum()),
                latency(50),
                latency(90),
                latency(99),
            ]
        })
        .collect();
    let floor = answer.floor(&[FloorOf::Activity(EventKind::McpCall)])?;
    Ok((Table::new(header, rows), drill, floor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_store::latency_bucket;

    #[test]
    fn a_percentile_is_the_bound_of_the_bucket_holding_the_nearest_rank() {
        assert_eq!(percentile_ms(&[], 50), None);
        // Ten calls: 1 ms x4, 5 ms x5, 1000 ms x1.
        let mut timed = vec![0; LATENCY_BUCKETS_MS.len()];
        timed[latency_bucket(1)] += 4;
        timed[latency_bucket(5)] += 5;
        timed[latency_bucket(1000)] += 1;
        // p50: rank ceil(10 * 0.5) = 5, the first 5 ms call.
        assert_eq!(percentile_ms(&timed, 50), Some(5));
        // p40: rank 4, the last 1 ms call.
        assert_eq!(percentile_ms(&timed, 40), Some(1));
        // p90: rank 9, still 5 ms; p91..p100: rank 10, the 1000 ms call, whose
        // bucket's bound is the first bound at or above 1000.
        assert_eq!(percentile_ms(&timed, 90), Some(5));
        let bound = LATENCY_BUCKETS_MS[latency_bucket(1000)];
        assert!((1000..=1190).contains(&bound), "{bound}");
        assert_eq!(percentile_ms(&timed, 99), Some(bound));
    }
}
