//! The schema, as a list of migrations. A file's `user_version` says how many have run.
//!
//! Never edit a migration that has shipped: add a new one. `tests/` upgrades a file
//! made by every earlier version (kept in `fixtures/schema/`).

use rusqlite_migration::{M, Migrations};

/// Schema version 1: accounts, their terms, and the event log.
///
/// `events.id_hash` is a 64-bit hash of (account, event id): a narrow integer key
/// instead of the senders' random 36-byte ids. Equal hashes are compared on the
/// ids themselves, so a collision can never merge two events.
const V1: &str = "
CREATE TABLE accounts (
    account_id     INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    time_zone      TEXT NOT NULL,
    week_start     TEXT NOT NULL,
    write_key_hash BLOB NOT NULL UNIQUE,
    created_at     TEXT NOT NULL
) STRICT;

CREATE TABLE subscription_terms (
    account_id INTEGER NOT NULL REFERENCES accounts (account_id),
    start_date TEXT NOT NULL,
    end_date   TEXT NOT NULL,
    PRIMARY KEY (account_id, start_date)
) STRICT;

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    id_hash    INTEGER NOT NULL,
    event_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at_us      INTEGER NOT NULL,
    payload    TEXT NOT NULL
) STRICT;

CREATE INDEX events_by_id_hash ON events (id_hash);
";

/// Schema version 2: account configuration (organizations, teams), the
/// (account, kind, instant) index per-kind figures read, and a new home for the
/// idempotency keys.
///
/// Version 1 indexed `events.id_hash` directly. With random ids every insert lands
/// on a random page of that index; past a few million events each commit dirtied
/// thousands of pages and appends fell to 5% of a plain insert. Version 2 keeps the
/// keys of recent events in memory (rebuilt from `events` on open) and merges them
/// into `event_ids` in key order, in bulk (see `ids.rs`): the events table stays
/// append-only and each merge writes each page of `event_ids` at most once.
/// `store_state.event_ids_through_seq` says how far `event_ids` is complete.
///
/// Events may name an organization or team that was never configured: the sender
/// knows its organizations before Tally does. Configuration adds display names.
const V2: &str = "
CREATE TABLE organizations (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    organization TEXT NOT NULL,
    name         TEXT NOT NULL,
    PRIMARY KEY (account_id, organization)
) STRICT;

CREATE TABLE teams (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    team         TEXT NOT NULL,
    name         TEXT NOT NULL,
    organization TEXT,
    PRIMARY KEY (account_id, team)
) STRICT;

CREATE INDEX events_by_account_kind_at ON events (account_id, kind, at_us);

DROP INDEX events_by_id_hash;

CREATE TABLE event_ids (
    id_hash INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (id_hash, seq)
) STRICT, WITHOUT ROWID;

INSERT INTO event_ids (id_hash, seq) SELECT id_hash, seq FROM events ORDER BY id_hash, seq;

CREATE TABLE store_state (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

INSERT INTO store_state (key, value)
    VALUES ('event_ids_through_seq', (SELECT coalesce(max(seq), 0) FROM events)),
           ('event_ids_rows', (SELECT count(*) FROM event_ids));
";

/// Schema version 3: the idempotency keys as sorted runs, and a narrower event row.
///
/// Version 2 merged the in-memory keys into the one `event_ids` table, which rewrote
/// most of its pages at every merge and paid a row's overhead per key: at 5 million
/// events a merge took over a second. Version 3 writes each flush as a new run, in
/// key order, as blobs of keys in `event_id_blocks`, and merges runs only when four
/// are of a size (see `ids.rs`). `event_id_runs` lists the runs, each with its key
/// count and a Bloom filter (layout in `filter.rs`). The upgrade turns `event_ids`
/// into the first run.
///
/// The event id is dropped from the row: the payload holds it, and it is read only
/// when a 64-bit key matches, which is to say for duplicates and conflicts.
const V3: &str = "
CREATE TABLE event_id_runs (
    run    INTEGER PRIMARY KEY,
    keys   INTEGER NOT NULL,
    filter BLOB NOT NULL
) STRICT;

CREATE TABLE event_id_blocks (
    run        INTEGER NOT NULL,
    first_hash INTEGER NOT NULL,
    keys       BLOB NOT NULL,
    PRIMARY KEY (run, first_hash)
) STRICT;

DELETE FROM store_state WHERE key = 'event_ids_rows';

ALTER TABLE events DROP COLUMN event_id;
";

/// Schema version 4: the persisted seat state (see `seats.rs`).
///
/// `seat_users` keeps, per account and user, what the seat rule needs: login
/// instants inside the terms (little-endian microseconds), lifecycle changes
/// (microseconds and a change code: 0 added, 1 enabled, 2 disabled, 3 removed)
/// and the organizations seen (a JSON array). Raw sign-in events may then be
/// purged without changing a seat. `seat_months` holds the monthly counts per
/// organization (`''` for the whole account), and `seat_progress` how far the
/// state has read the event log and under which terms and rule it was counted.
/// `seat_rules` holds an account's own seat rule; without a row, the seed's.
/// `seat_profiles` holds what the activated seats log shows of a user besides the
/// seat: email and display name (from their latest `user_added`) and teams (from
/// their latest `user_added` or `user_teams_changed`, a JSON array), each with
/// the instant it is as of, so that a late event does not overwrite a newer one.
const V4: &str = "
CREATE TABLE seat_users (
    account_id    INTEGER NOT NULL REFERENCES accounts (account_id),
    user          TEXT NOT NULL,
    logins        BLOB NOT NULL,
    lifecycle     BLOB NOT NULL,
    organizations TEXT NOT NULL,
    PRIMARY KEY (account_id, user)
) STRICT;

CREATE TABLE seat_months (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    organization TEXT NOT NULL,
    month        TEXT NOT NULL,
    seats        INTEGER NOT NULL,
    PRIMARY KEY (account_id, organization, month)
) STRICT, WITHOUT ROWID;

CREATE TABLE seat_progress (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts (account_id),
    through_seq   INTEGER NOT NULL,
    counted_under TEXT NOT NULL
) STRICT;

CREATE TABLE seat_profiles (
    account_id     INTEGER NOT NULL REFERENCES accounts (account_id),
    user           TEXT NOT NULL,
    email          TEXT,
    display_name   TEXT,
    names_as_of_us INTEGER NOT NULL,
    teams          TEXT NOT NULL,
    teams_as_of_us INTEGER NOT NULL,
    PRIMARY KEY (account_id, user)
) STRICT;

CREATE TABLE seat_rules (
    account_id      INTEGER PRIMARY KEY REFERENCES accounts (account_id),
    weeks_needed    INTEGER NOT NULL,
    logins_needed   INTEGER NOT NULL,
    logins_per_week INTEGER NOT NULL
) STRICT;
";

/// Schema version 5: who may read (see `tokens.rs` and `tally-access`).
///
/// `api_tokens` holds API tokens by public id with the SHA-256 hash of the whole
/// token, never the token itself. An account role names its account (and a
/// member their user id); a staff role names its staff team, whose scope is read
/// from `staff_teams` when the token is used, so that changing a team's accounts
/// applies to its tokens at once. `staff_teams.accounts` is a JSON array of
/// slugs, or `null` for every account. `monitor_tracking` lists the modules and
/// activities the usage monitor tracks (`''` as the activity means the whole
/// module); with no row, everything is tracked.
///
/// `usage_months` keeps the events per account, kind and month (`YYYY-MM` of
/// the account's zone), and `usage_progress` how far they reach and in which
/// zone they were counted (see `usage_months.rs`).
const V5: &str = "
CREATE TABLE staff_teams (
    team     TEXT PRIMARY KEY,
    accounts TEXT
) STRICT;

CREATE TABLE api_tokens (
    token_id               TEXT PRIMARY KEY,
    token_hash             BLOB NOT NULL,
    role                   TEXT NOT NULL,
    account_id             INTEGER REFERENCES accounts (account_id),
    user                   TEXT,
    staff_team             TEXT REFERENCES staff_teams (team),
    server_management_read INTEGER NOT NULL,
    label                  TEXT NOT NULL,
    created_at             TEXT NOT NULL,
    expires_at             TEXT,
    revoked_at             TEXT
) STRICT;

CREATE TABLE monitor_tracking (
    module   TEXT NOT NULL,
    activity TEXT NOT NULL,
    PRIMARY KEY (module, activity)
) STRICT, WITHOUT ROWID;

CREATE TABLE usage_months (
    account_id INTEGER NOT NULL REFERENCES accounts (account_id),
    kind       TEXT NOT NULL,
    month      TEXT NOT NULL,
    events     INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind, month)
) STRICT, WITHOUT ROWID;

CREATE TABLE usage_progress (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts (account_id),
    through_seq INTEGER NOT NULL,
    counted_in  TEXT NOT NULL
) STRICT;
";

/// Schema version 6: what the usage dashboard's widgets read (see `dashboard.rs`
/// and docs/dashboard.md), kept current from the event log so that a widget
/// reads a few rows rather than scanning events, and so that the figures outlive
/// the events they came from.
///
/// Days are the account's local dates (`YYYY-MM-DD`, which sort as text);
/// `dashboard_progress.counted_in` names the zone they were placed in, and a
/// change of zone counts everything again; `counted_until_us` is the latest
/// instant of an event counted, which tells a late lifecycle event. Teams are JSON arrays of team ids,
/// sorted, as the events send them. `organization`, `subject`, `detail`, `user`
/// and `role` are `''` when the event has none, so that every key is non-null.
///
/// - `dashboard_roles`, `dashboard_teams`, `dashboard_presence`: each user's
///   role per organization, teams, and whether they are a member (added or
///   enabled: 1; removed or disabled: 0), each from an instant on, so that an
///   event is attributed to the role and teams its user had at its instant.
/// - `dashboard_days`: per day, kind, organization, subject (page, action,
///   automation, AI source, MCP tool), detail (a run's trigger), user, role and
///   teams: events, failures and the first and last instant. Action and
///   automation runs count once, on the day of their earliest event;
///   `dashboard_runs` holds each run. It answers a drill-down and a team
///   filter; the widgets otherwise read the sums below.
/// - Sums of it, each per `period`, a day (`YYYY-MM-DD`) or a month
///   (`YYYY-MM`), so that a range of whole months reads one row per month:
///   `dashboard_totals` without the user and teams, `dashboard_team_totals`
///   per team (an event counts in each team of its user), `dashboard_user_totals`
///   per user, and `dashboard_latency`, MCP calls with a duration per tool and
///   latency bucket.
/// - `dashboard_items`: each entity (by organization, blueprint and id) and
///   data source (by organization and id, `blueprint` `''`), with its creations
///   and deletions (`changes`, a JSON array of `[instant, 1 or -1]` in order),
///   and `dashboard_item_days` the creations and deletions per day, so that a
///   month's total is a sum over days. `dashboard_item_floors` holds each
///   catalog's earliest change, its data floor, so that a widget does not read
///   every item to find it.
const V6: &str = "
CREATE TABLE dashboard_progress (
    account_id       INTEGER PRIMARY KEY REFERENCES accounts (account_id),
    through_seq      INTEGER NOT NULL,
    counted_in       TEXT NOT NULL,
    counted_until_us INTEGER
) STRICT;

CREATE TABLE dashboard_roles (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    user         TEXT NOT NULL,
    organization TEXT NOT NULL,
    from_us      INTEGER NOT NULL,
    role         TEXT NOT NULL,
    PRIMARY KEY (account_id, user, organization, from_us)
) STRICT, WITHOUT ROWID;

CREATE TABLE dashboard_teams (
    account_id INTEGER NOT NULL REFERENCES accounts (account_id),
    user       TEXT NOT NULL,
    from_us    INTEGER NOT NULL,
    teams      TEXT NOT NULL,
    PRIMARY KEY (account_id, user, from_us)
) STRICT, WITHOUT ROWID;

CREATE TABLE dashboard_presence (
    account_id INTEGER NOT NULL REFERENCES accounts (account_id),
    user       TEXT NOT NULL,
    from_us    INTEGER NOT NULL,
    present    INTEGER NOT NULL,
    PRIMARY KEY (account_id, user, from_us)
) STRICT, WITHOUT ROWID;

CREATE TABLE dashboard_days (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    kind         TEXT NOT NULL,
    day          TEXT NOT NULL,
    organization TEXT NOT NULL,
    subject      TEXT NOT NULL,
    detail       TEXT NOT NULL,
    user         TEXT NOT NULL,
    role         TEXT NOT NULL,
    teams        TEXT NOT NULL,
    events       INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    first_us     INTEGER NOT NULL,
    last_us      INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind, day, organization, subject, detail, user, role, teams)
) STRICT, WITHOUT ROWID;

CREATE TABLE dashboard_totals (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    kind         TEXT NOT NULL,
    period       TEXT NOT NULL,
    organization TEXT NOT NULL,
    subject      TEXT NOT NULL,
    detail       TEXT NOT NULL,
    role         TEXT NOT NULL,
    events       INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    first_us     INTEGER NOT NULL,
    last_us      INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind, period, organization, subject, detail, role)
) STRICT, WITHOUT ROWID;

CREATE TABLE dashboard_team_totals (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    kind         TEXT NOT NULL,
    period       TEXT NOT NULL,
    organization TEXT NOT NULL,
    team         TEXT NOT NULL,
    events       INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind, period, organization, team)
) STRICT, WITHOUT ROWID;

CREATE TABLE dashboard_user_totals (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    kind         TEXT NOT NULL,
    period       TEXT NOT NULL,
    organization TEXT NOT NULL,
    user         TEXT NOT NULL,
    events       INTEGER NOT NULL,
    last_us      INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind, period, organization, user)
) STRICT, WITHOUT ROWID;

CREATE TABLE dashboard_latency (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    period       TEXT NOT NULL,
    organization TEXT NOT NULL,
    tool         TEXT NOT NULL,
    bucket       INTEGER NOT NULL,
    calls        INTEGER NOT NULL,
    PRIMARY KEY (account_id, period, organization, tool, bucket)
) STRICT, WITHOUT ROWID;

CREATE TABLE dashboard_runs (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    kind         TEXT NOT NULL,
    organization TEXT NOT NULL,
    run_id       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    detail       TEXT NOT NULL,
    user         TEXT NOT NULL,
    role         TEXT NOT NULL,
    teams        TEXT NOT NULL,
    started_us   INTEGER NOT NULL,
    status       TEXT NOT NULL,
    status_us    INTEGER NOT NULL,
    states       INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind, organization, run_id)
) STRICT, WITHOUT ROWID;

-- Covers the runs log (with the key's organization and run id), so that a
-- month's tens of thousands of runs are read from the index alone.
CREATE INDEX dashboard_runs_by_start
    ON dashboard_runs (account_id, kind, started_us, organization, run_id, subject, detail, status,
        status_us, states);

CREATE TABLE dashboard_items (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    catalog      TEXT NOT NULL,
    organization TEXT NOT NULL,
    blueprint    TEXT NOT NULL,
    item         TEXT NOT NULL,
    category     TEXT NOT NULL,
    name         TEXT NOT NULL,
    named_us     INTEGER NOT NULL,
    changes      TEXT NOT NULL,
    PRIMARY KEY (account_id, catalog, organization, blueprint, item)
) STRICT, WITHOUT ROWID;

CREATE TABLE dashboard_item_days (
    account_id   INTEGER NOT NULL REFERENCES accounts (account_id),
    catalog      TEXT NOT NULL,
    day          TEXT NOT NULL,
    organization TEXT NOT NULL,
    category     TEXT NOT NULL,
    created      INTEGER NOT NULL,
    deleted      INTEGER NOT NULL,
    PRIMARY KEY (account_id, catalog, day, organization, category)
) STRICT, WITHOUT ROWID;

CREATE TABLE dashboard_item_floors (
    account_id INTEGER NOT NULL REFERENCES accounts (account_id),
    catalog    TEXT NOT NULL,
    first_us   INTEGER NOT NULL,
    PRIMARY KEY (account_id, catalog)
) STRICT, WITHOUT ROWID;
";

/// Schema version 7: what the seat state reads in typed columns and rows,
/// not rebuilt from JSON or from every user's history (see `seats.rs`).
///
/// `events.login_user` and `events.login_organization` hold a login's user
/// and organization, written at append (`NULL` for other kinds, which keep
/// them in the payload only): the seat update reads millions of logins, and
/// taking each user out of the JSON cost more than the seat rule. The upgrade
/// fills them from the payloads.
///
/// `seat_activations` keeps each user's activations (one row per term, by its
/// start date, and membership): the instant, the counted logins and qualifying
/// weeks of that term and membership, and what the activated seats log needs
/// to read the user rather than rebuild them: the user's organizations (a JSON
/// array) and lifecycle changes (as in `seat_users`), the counted logins per
/// week of the term (unsigned LEB128 varints from the week holding the term's
/// first day up to the last week with any) and the instants of those
/// in the last week (little-endian microseconds). `late_logins` holds logins
/// counted into the row after the activation that `seat_users.logins` does
/// not hold yet: the user's history is `seat_users.logins` with the late
/// logins of all their rows, and a login after the activation is taken in by
/// rewriting this small row instead of the history. The upgrade fills the
/// table from `seat_users` (`seats::keep_every_activation`).
const V7: &str = "
ALTER TABLE events ADD COLUMN login_user TEXT;
ALTER TABLE events ADD COLUMN login_organization TEXT;

UPDATE events
SET login_user = payload ->> '$.user', login_organization = payload ->> '$.organization'
WHERE kind = 'login';

CREATE TABLE seat_activations (
    account_id       INTEGER NOT NULL REFERENCES accounts (account_id),
    user             TEXT NOT NULL,
    term_start       TEXT NOT NULL,
    membership       INTEGER NOT NULL,
    activated_us     INTEGER NOT NULL,
    logins           INTEGER NOT NULL,
    weeks            INTEGER NOT NULL,
    organizations    TEXT NOT NULL,
    lifecycle        BLOB NOT NULL,
    last_week_logins BLOB NOT NULL,
    logins_per_week  BLOB NOT NULL,
    late_logins      BLOB NOT NULL,
    PRIMARY KEY (account_id, user, term_start, membership)
) STRICT, WITHOUT ROWID;
";

/// Schema version 8: what the usage monitor's Activities read (see `monitor.rs`
/// and docs/monitor.md).
///
/// `monitor_quarters` keeps, per account, quarter of an hour of UTC (`quarter`,
/// quarters since 1970-01-01T00:00Z), module and action, the `activity` events
/// (`actions`) and their `time_spent_secs`. Every zone's offset from UTC is a
/// whole number of quarters, so a day of any zone is a range of quarters and
/// the rows serve every viewer's zone; nothing is counted again when a zone
/// changes. `monitor_progress` says how far the event log was read. Tracking
/// is applied when figures are read, so every activity is kept.
const V8: &str = "
CREATE TABLE monitor_quarters (
    account_id      INTEGER NOT NULL REFERENCES accounts (account_id),
    quarter         INTEGER NOT NULL,
    module          TEXT NOT NULL,
    action          TEXT NOT NULL,
    actions         INTEGER NOT NULL,
    time_spent_secs INTEGER NOT NULL,
    PRIMARY KEY (account_id, quarter, module, action)
) STRICT, WITHOUT ROWID;

CREATE TABLE monitor_progress (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts (account_id),
    through_seq INTEGER NOT NULL
) STRICT;
";

/// Schema version 9: an account's own rules for mapping the messages of
/// analytics SDKs (Segment, PostHog, CloudEvents) to event kinds (see
/// `event_mappings.rs` and docs/ingest-compat.md).
///
/// One row per (account, message name), the account first so that a store
/// sharded by account keeps an account's rules together. `kind` is the wire
/// name, as in `events`; `constants` (field to JSON value) and `properties`
/// (field to property name) are small JSON objects, read back through
/// `tally_compat::MappingRule::new`, so a row that no longer makes a rule is
/// an error rather than a rule applied half. `set_at` is when the rule was set.
const V9: &str = "
CREATE TABLE event_mappings (
    account_id INTEGER NOT NULL REFERENCES accounts (account_id),
    event      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    constants  TEXT NOT NULL,
    properties TEXT NOT NULL,
    set_at     TEXT NOT NULL,
    PRIMARY KEY (account_id, event)
) STRICT, WITHOUT ROWID;
";

/// All migrations, oldest first.
pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1),
        M::up(V2),
        M::up_with_hook(V3, |transaction: &rusqlite::Transaction<'_>| {
            Ok(crate::ids::upgrade_version_2_keys(transaction)?)
        }),
        M::up(V4),
        M::up(V5),
        M::up(V6),
        M::up_with_hook(V7, |transaction: &rusqlite::Transaction<'_>| {
            crate::seats::keep_every_activation(transaction)
                .map_err(|error| rusqlite_migration::HookError::Hook(error.to_string()))
        }),
        M::up(V8),
        M::up(V9),
    ])
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = 9;

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
        assert_eq!(
            super::migrations()
                .pending_migrations(&rusqlite::Connection::open_in_memory().unwrap())
                .unwrap(),
            super::SCHEMA_VERSION as i32
        );
    }
}
