//! An account's own rules mapping the messages analytics SDKs send (a Segment
//! `track` event, a PostHog event, a CloudEvents `type`) to event kinds: kept
//! here, applied by `tally-compat`.

use std::collections::BTreeMap;

use chrono::Utc;
use rusqlite::params;
use tally_compat::MappingRule;
use tally_events::EventKind;

use crate::error::EventMappingProblem;
use crate::{AccountId, Store, StoreError};

impl Store {
    /// Sets the account's rule for the messages named `rule.event()`, replacing
    /// the one it had. Events already stored keep the kind and fields they were
    /// stored with.
    pub fn set_event_mapping(
        &mut self,
        account: AccountId,
        rule: &MappingRule,
    ) -> Result<(), StoreError> {
        let constants =
            serde_json::to_string(rule.set()).expect("a map of JSON values serialises to JSON");
        let properties =
            serde_json::to_string(rule.from()).expect("a map of strings serialises to JSON");
        self.connection
            .execute(
                "INSERT INTO event_mappings (account_id, event, kind, constants, properties, set_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id, event) DO UPDATE SET kind = excluded.kind,
                     constants = excluded.constants, properties = excluded.properties,
                     set_at = excluded.set_at",
                params![
                    account.0,
                    rule.event(),
                    rule.kind().wire_name(),
                    constants,
                    properties,
                    Utc::now().to_rfc3339(),
                ],
            )
            .map_err(StoreError::sqlite(format!(
                "setting the event mapping of account {} for {:?}",
                account.0,
                rule.event()
            )))?;
        Ok(())
    }

    /// Removes the account's rule for the messages named `event`; whether it had one.
    pub fn remove_event_mapping(
        &mut self,
        account: AccountId,
        event: &str,
    ) -> Result<bool, StoreError> {
        let removed = self
            .connection
            .execute(
                "DELETE FROM event_mappings WHERE account_id = ?1 AND event = ?2",
                params![account.0, event],
            )
            .map_err(StoreError::sqlite(format!(
                "removing the event mapping of account {} for {event:?}",
                account.0
            )))?;
        Ok(removed > 0)
    }

    /// The account's rules, by message name in byte order.
    ///
    /// A rule that no longer makes one under this build (its kind renamed, or a
    /// field it names removed from the kind) is an
    /// [`StoreError::InvalidEventMapping`] naming the account and the message.
    pub fn event_mappings(&self, account: AccountId) -> Result<Vec<MappingRule>, StoreError> {
        // SQLite compares TEXT by memcmp under its default collation: the
        // primary key's order is the byte order of the names' UTF-8.
        let rows: Vec<StoredRule> = self.collect_rows(
            "SELECT a.slug, m.event, m.kind, m.constants, m.properties
             FROM event_mappings m JOIN accounts a ON a.account_id = m.account_id
             WHERE m.account_id = ?1 ORDER BY m.event",
            [account.0],
            &format!("reading the event mappings of account {}", account.0),
            |row| {
                Ok(StoredRule {
                    account: row.get(0)?,
                    event: row.get(1)?,
                    kind: row.get(2)?,
                    constants: row.get(3)?,
                    properties: row.get(4)?,
                })
            },
        )?;
        rows.into_iter().map(StoredRule::into_rule).collect()
    }
}

/// A row of `event_mappings`, as text.
struct StoredRule {
    account: String,
    event: String,
    kind: String,
    constants: String,
    properties: String,
}

impl StoredRule {
    fn into_rule(self) -> Result<MappingRule, StoreError> {
        let StoredRule { account, event, kind, constants, properties } = self;
        let rule = read_rule(&event, kind, constants, properties);
        rule.map_err(|problem| StoreError::InvalidEventMapping { account, event, problem })
    }
}

fn read_rule(
    event: &str,
    kind: String,
    constants: String,
    properties: String,
) -> Result<MappingRule, EventMappingProblem> {
    let kind = EventKind::parse(&kind).ok_or(EventMappingProblem::UnknownKind { kind })?;
    let set: BTreeMap<String, serde_json::Value> = serde_json::from_str(&constants)
        .map_err(|_| EventMappingProblem::NotAnObject { column: "constants", value: constants })?;
    let from: BTreeMap<String, String> = serde_json::from_str(&properties).map_err(|_| {
        EventMappingProblem::NotAnObject { column: "properties", value: properties }
    })?;
    Ok(MappingRule::new(event, kind, set, from)?)
}
