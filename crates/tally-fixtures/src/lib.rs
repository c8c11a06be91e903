//! Deterministic demo data for Tally.
//!
//! [`generate`] builds four customer accounts, each with its calendar (time zone and
//! first day of the week), subscription terms, organizations, teams, and a year of
//! events ending at a fixed instant: logins by daily, weekly and one-off users, page
//! visits, activity, AI and MCP calls, catalog changes, action and automation runs,
//! data-source changes, user lifecycle changes, observations of users in integrated
//! systems, entity syncs and audit entries of every resource kind and operation.
//!
//! The same [`FixtureConfig`] always gives byte-identical output: all randomness comes
//! from a ChaCha8 stream seeded with [`FixtureConfig::seed`], and the clock is
//! [`FixtureConfig::end`], never the system's.
//!
//! Every scale holds the edge cases that calendar and seat rules get wrong:
//! - logins a minute before and after a local week boundary (Sunday 23:59 and
//!   Monday 00:01 for a Monday-start account), and around local midnights;
//! - a user with exactly three logins in three local weeks, two of them that
//!   boundary pair, and one with three logins in two local weeks;
//! - logins before the first subscription term, terms that start mid-month, and a
//!   renewal whose second term starts the day the first ends;
//! - a user disabled and enabled again, one removed and re-added under the same id,
//!   role and team changes;
//! - the same person seen in integrated systems by an email in other letter case,
//!   by a private email with the same local part, by display name or username only,
//!   and service accounts such as `jira-bot` and `noreply@github.com`.
//!
//! [`write_fixture_set`] writes a generated set to a directory: one NDJSON file
//! per account and `accounts.json`, its index ([`FixtureIndexEntry`]).
//!
//! User ids look like `u-0007`; the first user of each account is its admin. Event ids
//! are random version 4 UUIDs, unique within an account.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use tally_events::{Limits, check_batch};
//! use tally_fixtures::{FixtureConfig, Scale, generate, write_ndjson};
//!
//! let config = FixtureConfig {
//!     seed: 42,
//!     scale: Scale::Small,
//!     end: Utc.with_ymd_and_hms(2026, 6, 30, 12, 0, 0).unwrap(),
//! };
//! let accounts = generate(&config);
//! let berlin = accounts.iter().find(|account| account.slug == "acme-robotics").unwrap();
//! assert_eq!(berlin.calendar.time_zone, chrono_tz::Europe::Berlin);
//! assert_eq!(berlin.terms[0].to_string(), "2025-09-15..2026-09-15");
//! assert!(berlin.events.iter().all(|event| event.at <= config.end));
//!
//! // Each account's events are one NDJSON batch that Tally's checker accepts whole.
//! let mut ndjson = Vec::new();
//! write_ndjson(&berlin.events, &mut ndjson).unwrap();
//! let limits = Limits { max_events_per_batch: berlin.events.len(), ..Limits::default() };
//! let batch = check_batch(&ndjson, &limits).unwrap();
//! assert!(batch.rejections.is_empty());
//! assert_eq!(batch.events.len(), berlin.events.len());
//!
//! // Same config, same bytes.
//! let mut again = Vec::new();
//! write_ndjson(&generate(&config)[0].events, &mut again).unwrap();
//! assert_eq!(ndjson, again);
//! ```

#![deny(missing_docs)]

mod accounts;
mod audit;
mod calendar;
mod catalog;
mod dice;
mod index;
mod lifecycle;
mod people;
mod plan;
mod recorder;
mod scale;
mod sync;
mod usage;

use std::io::Write;

use chrono::{DateTime, Datelike, Utc};
use tally_calendar::{AccountCalendar, SubscriptionTerm};
use tally_events::Event;

pub use index::{FixtureIndexEntry, FixtureSetError, INDEX_FILE, WrittenFile, write_fixture_set};
pub use scale::Scale;

use crate::dice::Dice;
use crate::plan::Plan;
use crate::recorder::Recorder;

/// What to generate: the seed, the size, and the fixed clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixtureConfig {
    /// Selects the random stream; any value is valid.
    pub seed: u64,
    /// How many users and how much activity.
    pub scale: Scale,
    /// The fixed clock: the last instant generated. The year before it is filled with
    /// events; nothing happens after it. Must lie in the years 2001 to 2099, so that
    /// every instant is one Tally accepts.
    pub end: DateTime<Utc>,
}

/// One generated customer account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountFixture {
    /// A short, stable identifier such as `acme-robotics`.
    pub slug: String,
    /// The customer's name.
    pub name: String,
    /// The zone and week start every calendar rule of the account uses.
    pub calendar: AccountCalendar,
    /// Subscription terms in order; consecutive terms share a boundary day.
    pub terms: Vec<SubscriptionTerm>,
    /// The account's organizations; events name these.
    pub organizations: Vec<String>,
    /// The account's teams; users belong to these.
    pub teams: Vec<String>,
    /// A year of events, sorted by instant and then id.
    pub events: Vec<Event>,
}

/// Generates the accounts of the demo data set, in a fixed order.
///
/// # Panics
///
/// If `config.end` is outside the years 2001 to 2099.
pub fn generate(config: &FixtureConfig) -> Vec<AccountFixture> {
    let year = config.end.year();
    assert!(
        (2001..=2099).contains(&year),
        "FixtureConfig::end {} is outside the years 2001 to 2099",
        config.end
    );
    accounts::ACCOUNTS
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            let mut dice = Dice::for_account(config.seed, index as u64);
            let plan = Plan::new(spec, config.scale.shape(), config.end, &mut dice);
            let mut recorder = Recorder::new(dice, config.end);
            lifecycle::record(&plan.people, &plan.clock, &mut recorder);
            usage::record(&plan, &mut recorder);
            catalog::record(&plan, &mut recorder);
            sync::record(&plan, &mut recorder);
            AccountFixture {
                slug: spec.slug.to_owned(),
                name: spec.name.to_owned(),
                calendar: plan.clock.calendar.clone(),
                terms: plan.terms.clone(),
                organizations: spec.organizations.iter().map(|name| name.to_string()).collect(),
                teams: spec.teams.iter().map(|name| name.to_string()).collect(),
                events: recorder.into_sorted_events(),
            }
        })
        .collect()
}

/// Writes events as NDJSON: each event's canonical JSON on its own line, in order.
pub fn write_ndjson(events: &[Event], mut out: impl Write) -> std::io::Result<()> {
    for event in events {
        out.write_all(event.canonical_json().as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
