//! Logins and what people do after them: page visits, activity, AI and MCP calls,
//! plus the sign-in entries of the audit log.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};
use serde_json::{Map, Value};
use tally_events::{
    Activity, AiInvocation, AuditStatus, EventBody, Login, McpCall, OriginType, PageVisit,
};

use crate::audit;
use crate::dice::Dice;
use crate::people::{Habit, Person};
use crate::plan::Plan;
use crate::recorder::Recorder;

const MEMBER_PAGES: &[&str] = &[
    "/home",
    "/home",
    "/self-serve",
    "/self-serve",
    "/catalog/services",
    "/catalog/services",
    "/catalog/deployments",
    "/catalog/environments",
    "/catalog/incidents",
    "/scorecards/production-readiness",
    "/my-runs",
    "/search",
];

const ADMIN_PAGES: &[&str] = &[
    "/home",
    "/builder/blueprints",
    "/builder/data-sources",
    "/builder/automations",
    "/builder/actions",
    "/settings/users",
    "/settings/secrets",
    "/audit-log",
    "/usage-dashboard",
    "/catalog/services",
    "/self-serve",
];

/// Modules of the product with the actions tracked in each.
const MODULES: &[(&str, &[&str])] = &[
    ("Dashboard", &["view", "filter", "export"]),
    ("Catalog", &["search", "view", "edit"]),
    ("Self-service", &["run", "view"]),
    ("Scorecards", &["view", "export"]),
    ("Builder", &["create", "edit"]),
    ("Audit log", &["filter", "export"]),
    ("Reports", &["download"]),
];

const AI_SOURCES: &[&str] = &["AI assistant", "Agent widget", "Slack app"];
const MCP_TOOLS: &[&str] =
    &["list_entities", "get_entity", "run_action", "get_scorecard", "search_docs"];
const MCP_CLIENTS: &[&str] = &["claude-desktop", "cursor", "vscode"];

/// Records every person's logins, their sessions and sign-in audit entries.
pub(crate) fn record(plan: &Plan, recorder: &mut Recorder) {
    let first_login = first_login(plan);
    for person in &plan.people {
        let logins = login_times(plan, person, &mut recorder.dice);
        for at in logins {
            // A session lasts at most an hour; people sign in only while present.
            if !person.present_during(at, at + TimeDelta::hours(2)) {
                continue;
            }
            recorder.push(
                at,
                EventBody::Login(Login {
                    user: person.id.clone(),
                    organization: plan.login_organization(person),
                }),
            );
            if recorder.dice.percent(4) {
                let entry = audit::sign_in(person, OriginType::Ui);
                recorder.push(at, audit::body(entry));
            }
            if person.id == plan.admin().id && at == first_login {
                record_tour(plan, person, at, recorder);
            } else {
                // Four chances of an event, so sessions vary from none to four events.
                let percent = plan.shape.session_events_percent;
                let events = (0..4).map(|_| u32::from(recorder.dice.below(400) < percent)).sum();
                record_session(plan, person, at, events, recorder);
            }
        }
    }
    record_failed_sign_ins(plan, recorder);
}

/// The admin's first login, on the first morning, before setting the account up.
fn first_login(plan: &Plan) -> DateTime<Utc> {
    plan.clock.at(plan.clock.first_day, 9, 45, 0)
}

fn login_times(plan: &Plan, person: &Person, dice: &mut Dice) -> Vec<DateTime<Utc>> {
    let clock = &plan.clock;
    let added_day = clock.day_of(person.added_at);
    let later = |day: NaiveDate| day > added_day && clock.covers(day);
    let mut times = Vec::new();
    match person.habit {
        Habit::Daily => {
            if person.id == plan.admin().id {
                times.push(first_login(plan));
                // Either side of a local midnight that also starts a month.
                let month_start = crate::calendar::month_offset(clock.last_day, -3, 1);
                times.push(clock.at(month_start - Days::new(1), 23, 59, 30));
                times.push(clock.at(month_start, 0, 0, 30));
            }
            for week in clock.week_starts() {
                for day in pick_days(week, plan.shape.logins_per_week, dice) {
                    if later(day) {
                        times.push(daily_time(plan, day, dice));
                    }
                }
            }
        }
        Habit::Weekly | Habit::Occasional => {
            let chance = if person.habit == Habit::Weekly { 80 } else { 12 };
            for week in clock.week_starts() {
                let day = pick_days(week, 1, dice)[0];
                if dice.percent(chance) && later(day) {
                    times.push(clock.at(day, dice.between(8, 18), dice.below(60), dice.below(60)));
                }
            }
        }
        Habit::OneOff => {
            let fraction = f64::from(dice.between(5, 95)) / 100.0;
            let day = clock.day_at_fraction(fraction).max(added_day + Days::new(2));
            if later(day) {
                times.push(clock.at(day, 11, 20, dice.below(60)));
            }
        }
        Habit::Threshold => {
            // Weeks B-3, B-1 and B: three account weeks, the last two a minute either
            // side of B's midnight. Cut in UTC instead, that pair falls in one week for
            // every account but the one in UTC.
            let boundary = plan.boundary_week();
            times.push(clock.at(boundary - Days::new(20), 10, 15, 0));
            times.push(clock.at(boundary - Days::new(1), 23, 59, 0));
            times.push(clock.at(boundary, 0, 1, 0));
        }
        Habit::NearMiss => {
            // The first and the last minute of week W, then the last evening of week
            // W+1. Cut in UTC, these are three weeks in every zone but UTC: east of it
            // the first login falls in the UTC week before, west of it the last two
            // fall in the UTC weeks after.
            let week = plan.boundary_week() + Days::new(14);
            times.push(clock.at(week, 0, 1, 0));
            times.push(clock.at(week + Days::new(6), 23, 59, 0));
            times.push(clock.at(week + Days::new(13), 20, 0, 0));
        }
        Habit::OutsideTerm => {
            let term_start = plan.terms[0].start;
            for (day, hour) in [
                (term_start - Days::new(15), 10),
                (term_start - Days::new(8), 10),
                (term_start + Days::new(20), 11),
            ] {
                if later(day) {
                    times.push(clock.at(day, hour, 30, 0));
                }
            }
        }
        Habit::Dormant | Habit::Service => {}
    }
    times
}

/// `count` distinct days of the week starting `week`, working days first.
fn pick_days(week: NaiveDate, count: u32, dice: &mut Dice) -> Vec<NaiveDate> {
    let days = (0..7).map(|offset| week + Days::new(offset));
    let (mut workdays, mut weekend): (Vec<NaiveDate>, Vec<NaiveDate>) =
        days.partition(|day| !matches!(day.weekday(), Weekday::Sat | Weekday::Sun));
    shuffle(&mut workdays, dice);
    shuffle(&mut weekend, dice);
    workdays.into_iter().chain(weekend).take(count as usize).collect()
}

fn shuffle<T>(items: &mut [T], dice: &mut Dice) {
    for last in (1..items.len()).rev() {
        let other = dice.index(last + 1);
        items.swap(last, other);
    }
}

/// A daily user's login time: mostly office hours, sometimes just before or just
/// after local midnight.
fn daily_time(plan: &Plan, day: NaiveDate, dice: &mut Dice) -> DateTime<Utc> {
    let clock = &plan.clock;
    match dice.below(100) {
        0..4 => clock.at(day, 23, dice.between(45, 59), dice.below(60)),
        4..8 => clock.at(day + Days::new(1), 0, dice.below(15), dice.below(60)),
        _ => clock.at(day, dice.between(7, 18), dice.below(60), dice.below(60)),
    }
}

/// Up to `events` things done after a login, a few minutes apart.
fn record_session(
    plan: &Plan,
    person: &Person,
    login_at: DateTime<Utc>,
    events: u32,
    recorder: &mut Recorder,
) {
    let mut at = login_at;
    for _ in 0..events {
        at += TimeDelta::seconds(i64::from(recorder.dice.between(20, 600)));
        let roll = recorder.dice.below(100);
        let body = match roll {
            0..50 => page_visit(plan, person, at, &mut recorder.dice),
            50..80 => activity(person, &mut recorder.dice),
            80..92 => {
                let source = (!recorder.dice.percent(20))
                    .then(|| recorder.dice.pick(AI_SOURCES).to_string());
                ai_invocation(plan, person, source)
            }
            _ => {
                let tool =
                    (!recorder.dice.percent(10)).then(|| recorder.dice.pick(MCP_TOOLS).to_string());
                let client = recorder.dice.pick(MCP_CLIENTS).to_string();
                recorder.push_with_properties(
                    at,
                    mcp_call(plan, person, at, tool),
                    Some(client_properties(client)),
                );
                continue;
            }
        };
        recorder.push(at, body);
    }
}

/// The admin's first session: one of every usage kind, so each appears at every scale.
fn record_tour(plan: &Plan, person: &Person, login_at: DateTime<Utc>, recorder: &mut Recorder) {
    let minute = |minutes: i64| login_at + TimeDelta::minutes(minutes);
    recorder.push(
        minute(1),
        EventBody::PageVisit(PageVisit {
            user: person.id.clone(),
            organization: plan.login_organization(person),
            page: "/builder/blueprints".to_owned(),
        }),
    );
    recorder.push(
        minute(2),
        EventBody::Activity(Activity {
            user: person.id.clone(),
            module: "Builder".to_owned(),
            action: "create".to_owned(),
            time_spent_secs: 540,
        }),
    );
    recorder.push(minute(3), ai_invocation(plan, person, Some("AI assistant".to_owned())));
    // Some clients send no source; the dashboard shows these as "Other".
    recorder.push(minute(4), ai_invocation(plan, person, None));
    let properties = Some(client_properties("claude-desktop".to_owned()));
    recorder.push_with_properties(
        minute(5),
        mcp_call(plan, person, minute(5), Some("list_entities".to_owned())),
        properties,
    );
    recorder.push(minute(6), mcp_call(plan, person, minute(6), None));
}

fn page_visit(plan: &Plan, person: &Person, at: DateTime<Utc>, dice: &mut Dice) -> EventBody {
    let pages = if person.is_admin_at(at) { ADMIN_PAGES } else { MEMBER_PAGES };
    EventBody::PageVisit(PageVisit {
        user: person.id.clone(),
        organization: plan.login_organization(person),
        page: dice.pick(pages).to_string(),
    })
}

fn activity(person: &Person, dice: &mut Dice) -> EventBody {
    let (module, actions) = *dice.pick(MODULES);
    EventBody::Activity(Activity {
        user: person.id.clone(),
        module: module.to_owned(),
        action: dice.pick(actions).to_string(),
        time_spent_secs: dice.between(5, 900),
    })
}

fn ai_invocation(plan: &Plan, person: &Person, source: Option<String>) -> EventBody {
    EventBody::AiInvocation(AiInvocation {
        user: Some(person.id.clone()),
        organization: plan.login_organization(person),
        source,
    })
}

/// An MCP call whose outcome and duration follow from its instant rather than
/// from the dice, so that adding them left every other generated value as it was:
/// one call in 23 fails, and calls take 40 ms to a little over 2 s.
fn mcp_call(plan: &Plan, person: &Person, at: DateTime<Utc>, tool: Option<String>) -> EventBody {
    let second = at.timestamp().unsigned_abs();
    let failed = second.is_multiple_of(23);
    EventBody::McpCall(McpCall {
        user: Some(person.id.clone()),
        organization: plan.login_organization(person),
        tool,
        status: Some(if failed { AuditStatus::Failure } else { AuditStatus::Success }),
        error: failed.then(|| "tool timed out".to_owned()),
        duration_ms: Some(40 + (second % 97) as u32 * (second % 23) as u32),
    })
}

fn client_properties(client: String) -> Map<String, Value> {
    Map::from_iter([("client".to_owned(), Value::String(client))])
}

/// Two failed sign-ins: a mistyped password just before a successful login, and an
/// expired SSO assertion.
fn record_failed_sign_ins(plan: &Plan, recorder: &mut Recorder) {
    let near_miss =
        plan.people.iter().find(|person| person.habit == Habit::NearMiss).expect("scenario user");
    let first_login = plan.clock.at(plan.boundary_week() + Days::new(14), 0, 1, 0);
    let mistyped = audit::sign_in(near_miss, OriginType::Ui);
    recorder.push(
        first_login - TimeDelta::seconds(40),
        audit::body(audit::failed(mistyped, "Invalid credentials")),
    );

    let admin = plan.admin();
    let expired = audit::sign_in(admin, OriginType::Api);
    let at = plan.at_fraction(0.33, 8, 59);
    recorder.push(at, audit::body(audit::failed(expired, "SSO assertion expired; sign in again")));
}
