//! A year of one account's events for the dashboard benchmark: every kind a
//! widget reads, in realistic proportions, spread evenly over the year.

use chrono::{DateTime, SecondsFormat};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// 2026-01-01T00:00:00Z, in milliseconds since the Unix epoch.
const START_MS: i64 = 1_767_225_600_000;
/// A year, in milliseconds.
const YEAR_MS: i64 = 365 * 24 * 3_600 * 1_000;

/// Users of the account; each is added (with a role and teams) before the
/// year's events.
pub const DASHBOARD_USERS: u32 = 5_000;
const ORGANIZATIONS: u32 = 12;
const TEAMS: [&str; 20] = [
    "platform", "payments", "search", "mobile", "web", "data", "ml", "sre", "security", "growth",
    "checkout", "identity", "billing", "infra", "support", "docs", "design", "qa", "ops", "core",
];
const PAGES: [&str; 24] = [
    "/home",
    "/catalog/services",
    "/catalog/environments",
    "/catalog/incidents",
    "/catalog/deployments",
    "/self-serve",
    "/scorecards/production-readiness",
    "/search",
    "/my-runs",
    "/builder/blueprints",
    "/builder/data-sources",
    "/builder/automations",
    "/builder/actions",
    "/settings/users",
    "/settings/secrets",
    "/audit-log",
    "/usage-dashboard",
    "/dashboards/dora",
    "/dashboards/incidents",
    "/dashboards/cost",
    "/catalog/teams",
    "/catalog/apis",
    "/catalog/libraries",
    "/catalog/clusters",
];
const ACTIONS: [&str; 12] = [
    "deploy",
    "rollback",
    "scaffold",
    "scale",
    "restart",
    "grant_access",
    "revoke_access",
    "create_env",
    "delete_env",
    "run_migration",
    "rotate_secret",
    "open_incident",
];
const AUTOMATIONS: [&str; 6] =
    ["notify_on_failure", "nightly_sync", "ttl_cleanup", "auto_assign", "sla_breach", "tagger"];
const TRIGGERS: [&str; 3] = ["ui", "api", "automation"];
const SOURCES: [&str; 4] = ["AI assistant", "Agent widget", "Slack app", "IDE"];
const TOOLS: [&str; 8] = [
    "list_entities",
    "get_entity",
    "run_action",
    "get_scorecard",
    "search_docs",
    "list_runs",
    "get_blueprint",
    "create_entity",
];
const BLUEPRINTS: [&str; 8] =
    ["service", "environment", "deployment", "incident", "team", "api", "library", "cluster"];
const DATA_SOURCE_TYPES: [&str; 5] = ["github", "pagerduty", "kubernetes", "jira", "aws"];

/// A deterministic stream of one account's events over 2026.
#[derive(Debug, Clone)]
pub struct DashboardGenerator {
    rng: ChaCha8Rng,
    events: u64,
    made: u64,
    next_entity: u64,
}

impl DashboardGenerator {
    /// A generator of `events` events (after the users' `user_added`), spread
    /// evenly over the year.
    pub fn new(seed: u64, events: u64) -> DashboardGenerator {
        DashboardGenerator { rng: ChaCha8Rng::seed_from_u64(seed), events, made: 0, next_entity: 0 }
    }

    /// Every user's `user_added`, at the first instant of the year: 10% admins,
    /// each in one or two teams.
    pub fn users(&mut self) -> String {
        let mut body = String::new();
        for number in 0..DASHBOARD_USERS {
            let role = if number % 10 == 0 { "admin" } else { "member" };
            let first = TEAMS[(number as usize) % TEAMS.len()];
            let second = TEAMS[(number as usize * 7 + 3) % TEAMS.len()];
            let mut teams = [first, second];
            teams.sort();
            let teams = if first == second || number % 3 == 0 {
                format!(r#"["{first}"]"#)
            } else {
                format!(r#"["{}","{}"]"#, teams[0], teams[1])
            };
            body.push_str(&format!(
                r#"{{"id":"user-{number}","kind":"user_added","at":"2026-01-01T00:00:00Z","user":"u-{number:05}","organization":"org-{:02}","role":"{role}","teams":{teams}}}"#,
                number % ORGANIZATIONS
            ));
            body.push('\n');
        }
        body
    }

    /// The next batch of at most `size` events as NDJSON, or `None` when all
    /// were made.
    pub fn next_batch(&mut self, size: usize) -> Option<String> {
        if self.made >= self.events {
            return None;
        }
        let mut body = String::with_capacity(size * 220);
        for _ in 0..size {
            if self.made >= self.events {
                break;
            }
            self.push_line(&mut body);
            body.push('\n');
            self.made += 1;
        }
        Some(body)
    }

    fn push_line(&mut self, out: &mut String) {
        let at_ms = START_MS + (self.made as i128 * YEAR_MS as i128 / self.events as i128) as i64;
        let at = DateTime::from_timestamp_millis(at_ms)
            .expect("within chrono's range")
            .to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let id = format!("e-{:012x}-{:08x}", self.made, self.rng.next_u32());
        let user_number = self.skewed_user();
        let user = format!("u-{user_number:05}");
        let organization = format!("org-{:02}", user_number % ORGANIZATIONS);
        let roll = self.rng.random_range(0..1_000);
        let line = match roll {
            0..200 => format!(
                r#"{{"id":"{id}","kind":"login","at":"{at}","user":"{user}","organization":"{organization}"}}"#
            ),
            200..650 => format!(
                r#"{{"id":"{id}","kind":"page_visit","at":"{at}","user":"{user}","organization":"{organization}","page":"{}"}}"#,
                self.pick(&PAGES)
            ),
            650..750 => {
                // About two states per run: a new run half the time, else a
                // later state of a recent one.
                let run = if self.rng.random_bool(0.5) {
                    self.made
                } else {
                    self.made.saturating_sub(self.rng.random_range(1..200))
                };
                format!(
                    r#"{{"id":"{id}","kind":"action_run","at":"{at}","organization":"{organization}","action":"{}","run_id":"r-{run:x}","trigger":"{}","status":"{}","user":"{user}"}}"#,
                    ACTIONS[(run % ACTIONS.len() as u64) as usize],
                    TRIGGERS[(run % 3) as usize],
                    if self.rng.random_bool(0.5) { "in_progress" } else { "success" },
                )
            }
            750..800 => {
                let run = if self.rng.random_bool(0.5) {
                    self.made
                } else {
                    self.made.saturating_sub(self.rng.random_range(1..200))
                };
                format!(
                    r#"{{"id":"{id}","kind":"automation_run","at":"{at}","organization":"{organization}","automation":"{}","run_id":"a-{run:x}","status":"success"}}"#,
                    AUTOMATIONS[(run % AUTOMATIONS.len() as u64) as usize],
                )
            }
            800..880 => {
                let source = if self.rng.random_bool(0.8) {
                    format!(r#","source":"{}""#, self.pick(&SOURCES))
                } else {
                    String::new()
                };
                format!(
                    r#"{{"id":"{id}","kind":"ai_invocation","at":"{at}","user":"{user}","organization":"{organization}"{source}}}"#
                )
            }
            880..950 => {
                let failed = self.rng.random_bool(0.04);
                format!(
                    r#"{{"id":"{id}","kind":"mcp_call","at":"{at}","user":"{user}","organization":"{organization}","tool":"{}","status":"{}","duration_ms":{}}}"#,
                    self.pick(&TOOLS),
                    if failed { "failure" } else { "success" },
                    self.rng.random_range(20..3_000),
                )
            }
            950..999 => {
                // Mostly creations; a tenth deletes an entity made earlier.
                let (entity, operation) = if self.next_entity > 10 && self.rng.random_bool(0.1) {
                    (self.rng.random_range(0..self.next_entity), "delete")
                } else {
                    self.next_entity += 1;
                    (self.next_entity, "create")
                };
                format!(
                    r#"{{"id":"{id}","kind":"entity_change","at":"{at}","organization":"org-{:02}","blueprint":"{}","entity":"ent-{entity}","operation":"{operation}"}}"#,
                    entity % u64::from(ORGANIZATIONS),
                    BLUEPRINTS[(entity % BLUEPRINTS.len() as u64) as usize],
                )
            }
            _ => {
                let source = self.rng.random_range(0..300u32);
                format!(
                    r#"{{"id":"{id}","kind":"data_source_change","at":"{at}","organization":"org-{:02}","data_source":"ds-{source}","data_source_type":"{}","name":"Source {source}","operation":"{}"}}"#,
                    source % ORGANIZATIONS,
                    DATA_SOURCE_TYPES[(source % 5) as usize],
                    if self.rng.random_bool(0.9) { "create" } else { "delete" },
                )
            }
        };
        out.push_str(&line);
    }

    /// A user, a few of them much more active than most (a quarter of the
    /// events come from a twentieth of the users).
    fn skewed_user(&mut self) -> u32 {
        if self.rng.random_bool(0.25) {
            self.rng.random_range(0..DASHBOARD_USERS / 20)
        } else {
            self.rng.random_range(0..DASHBOARD_USERS)
        }
    }

    fn pick(&mut self, choices: &[&'static str]) -> &'static str {
        choices[self.rng.random_range(0..choices.len())]
    }
}

#[cfg(test)]
mod tests {
    use tally_events::EventKind;

    use super::*;
    use crate::checked_events;

    #[test]
    fn every_line_is_valid_and_the_kinds_come_in_their_proportions() {
        let mut generator = DashboardGenerator::new(1, 20_000);
        let users = checked_events(&generator.users());
        assert_eq!(users.len(), DASHBOARD_USERS as usize);
        let mut events = Vec::new();
        while let Some(batch) = generator.next_batch(5_000) {
            events.extend(checked_events(&batch));
        }
        assert_eq!(events.len(), 20_000);
        let share = |kind: EventKind| {
            events.iter().filter(|e| e.event.body.kind() == kind).count() as f64 / 200.0
        };
        // 20%, 45%, 10%, 5%, 8%, 7%, 4.9%: within two points of sampling noise.
        for (kind, percent) in [
            (EventKind::Login, 20.0),
            (EventKind::PageVisit, 45.0),
            (EventKind::ActionRun, 10.0),
            (EventKind::AutomationRun, 5.0),
            (EventKind::AiInvocation, 8.0),
            (EventKind::McpCall, 7.0),
            (EventKind::EntityChange, 4.9),
        ] {
            assert!((share(kind) - percent).abs() < 2.0, "{kind}: {}%", share(kind));
        }
        // The last event is in the last day of the year.
        let last = events.last().unwrap().event.at;
        assert_eq!(last.date_naive().to_string(), "2026-12-31");
    }
}
