//! A deterministic stream of realistic events, as NDJSON.

use chrono::{DateTime, SecondsFormat, Utc};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tally_events::{CheckedEvent, Limits, check_batch};

/// Events in one batch: the daemon's default `max_events_per_batch`, and the size
/// of the raw loop's transactions.
pub const BATCH_EVENTS: usize = 10_000;

/// Generates events from a seed: about 30% logins, 60% page visits and 10% action
/// runs by 5,000 users in 60 organizations, 200 to 300 bytes each, with instants
/// moving forward by up to 40 ms per event.
///
/// Ids are UUIDv4 made from the generator's own bytes: as random as an SDK's, yet
/// the same seed always gives the same events. Lines are written in canonical form
/// (see `docs/events.md`), so the body sent over HTTP and the payload stored are the
/// same bytes.
#[derive(Debug, Clone)]
pub struct EventGenerator {
    rng: ChaCha8Rng,
    at_ms: i64,
}

/// Checks an NDJSON body the way the daemon does and returns its events, panicking
/// if any line is rejected: a generated batch is always valid.
pub fn checked_events(ndjson: &str) -> Vec<CheckedEvent> {
    let batch = check_batch(ndjson.as_bytes(), &Limits::default()).expect("a generated batch");
    assert!(batch.rejections.is_empty(), "generated lines rejected: {:?}", batch.rejections);
    batch.events
}

/// 2026-01-05T00:00:00Z, in milliseconds since the Unix epoch.
const START_MS: i64 = 1_767_571_200_000;
const USERS: u32 = 5_000;
const ORGANIZATIONS: u32 = 60;

const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "tally-sdk-go/1.4.2 (linux; amd64)",
];
const LOGIN_METHODS: [&str; 3] = ["password", "sso", "token"];
const PAGES: [&str; 8] = [
    "/catalog/services",
    "/catalog/services/payments-api",
    "/catalog/environments",
    "/dashboards/dora-metrics",
    "/dashboards/incidents",
    "/self-serve",
    "/scorecards/production-readiness",
    "/settings/members",
];
const REFERRERS: [&str; 4] = ["direct", "search", "navigation", "notification"];
const VIEWPORTS: [&str; 3] = ["1440x900", "1920x1080", "2560x1440"];
const ACTIONS: [&str; 5] =
    ["deploy_service", "scaffold_service", "create_environment", "rollback", "grant_access"];
const TRIGGERS: [&str; 3] = ["ui", "api", "automation"];
const STATUSES: [&str; 4] = ["in_progress", "success", "failure", "cancelled"];

impl EventGenerator {
    /// A generator at the start of the stream for `seed`.
    pub fn new(seed: u64) -> EventGenerator {
        EventGenerator { rng: ChaCha8Rng::seed_from_u64(seed), at_ms: START_MS }
    }

    /// The next `events` events as an NDJSON body, each line ending in `\n`.
    pub fn ndjson_batch(&mut self, events: usize) -> String {
        let mut body = String::with_capacity(events * 300);
        for _ in 0..events {
            self.push_line(&mut body);
            body.push('\n');
        }
        body
    }

    /// Appends the next event's line, without a line end.
    fn push_line(&mut self, out: &mut String) {
        let mut id_bytes = [0u8; 16];
        self.rng.fill_bytes(&mut id_bytes);
        let id = uuid::Builder::from_random_bytes(id_bytes).into_uuid();
        self.at_ms += self.rng.random_range(0..=40);
        let at = DateTime::from_timestamp_millis(self.at_ms)
            .expect("within chrono's range")
            .to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let user_number = self.rng.random_range(0..USERS);
        let user = format!("u-{user_number:05}");
        let organization = format!("org-{:03}", user_number % ORGANIZATIONS);
        let roll = self.rng.random_range(0..100);
        let line = if roll < 30 {
            self.login_line(id, &at, &user, &organization)
        } else if roll < 90 {
            format!(
                r#"{{"id":"{id}","at":"{at}","kind":"page_visit","user":"{user}","organization":"{organization}","page":"{}","properties":{{"duration_ms":{},"referrer":"{}","session":"s-{:08x}","viewport":"{}"}}}}"#,
                self.pick(&PAGES),
                self.rng.random_range(50..120_000),
                self.pick(&REFERRERS),
                self.rng.random::<u32>(),
                self.pick(&VIEWPORTS),
            )
        } else {
            format!(
                r#"{{"id":"{id}","at":"{at}","kind":"action_run","organization":"{organization}","action":"{}","run_id":"r_{:012x}","trigger":"{}","status":"{}","user":"{user}","properties":{{"blueprint":"service","duration_ms":{},"entity":"svc-{:04}"}}}}"#,
                self.pick(&ACTIONS),
                self.rng.random::<u64>() >> 16,
                self.pick(&TRIGGERS),
                self.pick(&STATUSES),
                self.rng.random_range(200..900_000),
                self.rng.random_range(0..2_000),
            )
        };
        out.push_str(&line);
    }

    /// Appends a login of `user` to `organization` at `at`, with a new id,
    /// and a line end: the same line as the stream's logins, for callers that
    /// choose the user and the instant.
    pub fn push_login(
        &mut self,
        out: &mut String,
        at: DateTime<Utc>,
        user: &str,
        organization: &str,
    ) {
        let mut id_bytes = [0u8; 16];
        self.rng.fill_bytes(&mut id_bytes);
        let id = uuid::Builder::from_random_bytes(id_bytes).into_uuid();
        let at = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        out.push_str(&self.login_line(id, &at, user, organization));
        out.push('\n');
    }

    fn login_line(&mut self, id: uuid::Uuid, at: &str, user: &str, organization: &str) -> String {
        format!(
            r#"{{"id":"{id}","at":"{at}","kind":"login","user":"{user}","organization":"{organization}","properties":{{"client":"web","ip":"198.51.100.{}","method":"{}","user_agent":"{}"}}}}"#,
            self.rng.random_range(1..255),
            self.pick(&LOGIN_METHODS),
            self.pick(&USER_AGENTS),
        )
    }

    fn pick(&mut self, choices: &[&'static str]) -> &'static str {
        choices[self.rng.random_range(0..choices.len())]
    }
}

#[cfg(test)]
mod tests {
    use tally_events::EventKind;

    use super::*;

    #[test]
    fn lines_are_canonical_valid_and_sized_like_real_events() {
        let body = EventGenerator::new(1).ndjson_batch(BATCH_EVENTS);
        let events = checked_events(&body);
        assert_eq!(events.len(), BATCH_EVENTS);
        for (line, event) in body.lines().zip(&events) {
            assert_eq!(line, event.canonical_json);
            assert!((150..=320).contains(&line.len()), "{} bytes: {line}", line.len());
            assert_eq!(event.event.id.len(), 36);
            assert_eq!(&event.event.id[14..15], "4", "a UUIDv4: {}", event.event.id);
        }
        let average = body.len() / BATCH_EVENTS;
        assert!((200..=300).contains(&average), "{average} bytes per line on average");
    }

    #[test]
    fn mixes_mostly_logins_and_page_visits() {
        let events = checked_events(&EventGenerator::new(2).ndjson_batch(BATCH_EVENTS));
        let count = |kind: EventKind| events.iter().filter(|e| e.event.body.kind() == kind).count();
        // Expected 30% / 60% / 10% of 10,000; allow a few percent of sampling noise.
        assert!((2_700..=3_300).contains(&count(EventKind::Login)));
        assert!((5_700..=6_300).contains(&count(EventKind::PageVisit)));
        assert!((800..=1_200).contains(&count(EventKind::ActionRun)));
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes_and_ids_do_not_repeat() {
        let first = EventGenerator::new(3).ndjson_batch(1_000);
        assert_eq!(first, EventGenerator::new(3).ndjson_batch(1_000));
        let mut ids: Vec<String> =
            checked_events(&first).into_iter().map(|checked| checked.event.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 1_000);
    }
}
