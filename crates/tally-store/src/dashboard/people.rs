//! Each user's role, teams and membership over time, from the lifecycle events:
//! what an event is attributed to, and who counts as a member at an instant.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use tally_access::AccountUsage;
use tally_events::Role;

use crate::{Account, Store, StoreError};

/// A user who is a member of the account at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The user's id.
    pub user: String,
    /// Their display name, from their latest `user_added`.
    pub display_name: Option<String>,
    /// Their email, likewise.
    pub email: Option<String>,
    /// Admin when they are an admin of any organization at the instant.
    pub role: Role,
    /// Their teams at the instant.
    pub teams: Vec<String>,
}

/// One user's lifecycle, as far as the dashboard reads it.
#[derive(Debug, Clone, Default)]
pub(crate) struct History {
    /// (organization, from, role), in order of `from`; `''` for a role given
    /// without an organization.
    roles: Vec<(String, i64, Role)>,
    /// (from, teams as a JSON array), in order.
    teams: Vec<(i64, String)>,
    /// (from, present), in order.
    presence: Vec<(i64, bool)>,
}

/// What a lifecycle event says about its user, from an instant on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    Role { organization: String, role: Role },
    Teams(String),
    Presence(bool),
}

impl History {
    /// The role an event of this user, in `organization` (when it names one),
    /// is attributed to at `at_us`: their role in that organization then, or
    /// else the role given without an organization; for an event naming no
    /// organization, admin if they were an admin of any organization then.
    /// Otherwise member, the role `user_added` gives when it names none.
    pub(crate) fn role_at(&self, organization: Option<&str>, at_us: i64) -> Role {
        let latest_in = |wanted: &str| {
            self.roles
                .iter()
                .rfind(|(held_in, from, _)| held_in == wanted && *from <= at_us)
                .map(|(_, _, role)| *role)
        };
        match organization {
            Some(organization) => latest_in(organization).or_else(|| latest_in("")),
            None => {
                let mut organizations: Vec<&str> =
                    self.roles.iter().map(|(held_in, _, _)| held_in.as_str()).collect();
                organizations.dedup();
                organizations
                    .into_iter()
                    .filter_map(latest_in)
                    .max_by_key(|role| matches!(role, Role::Admin))
            }
        }
        .unwrap_or(Role::Member)
    }

    /// The user's teams at `at_us`, as a JSON array.
    pub(crate) fn teams_at(&self, at_us: i64) -> &str {
        self.teams.iter().rev().find(|(from, _)| *from <= at_us).map_or("[]", |(_, t)| t.as_str())
    }

    /// Whether the user is a member at `at_us`: their latest presence change by
    /// then says so, or, with none, a role or team was given them by then.
    fn present_at(&self, at_us: i64) -> bool {
        match self.presence.iter().rev().find(|(from, _)| *from <= at_us) {
            Some((_, present)) => *present,
            None => {
                self.roles.iter().any(|(_, from, _)| *from <= at_us)
                    || self.teams.iter().any(|(from, _)| *from <= at_us)
            }
        }
    }

    /// Takes in a change, keeping each list in order of instant; a change at
    /// the same instant as one held replaces it (the later stored wins).
    pub(crate) fn apply(&mut self, at_us: i64, change: &Change) {
        fn place<T>(
            list: &mut Vec<T>,
            at_us: i64,
            same: impl Fn(&T) -> bool,
            from: impl Fn(&T) -> i64,
            item: T,
        ) {
            match list.iter().position(same) {
                Some(index) => list[index] = item,
                None => {
                    let index = list.partition_point(|held| from(held) <= at_us);
                    list.insert(index, item);
                }
            }
        }
        match change {
            Change::Role { organization, role } => place(
                &mut self.roles,
                at_us,
                |(held_in, from, _)| held_in == organization && *from == at_us,
                |(_, from, _)| *from,
                (organization.clone(), at_us, *role),
            ),
            Change::Teams(teams) => place(
                &mut self.teams,
                at_us,
                |(from, _)| *from == at_us,
                |(from, _)| *from,
                (at_us, teams.clone()),
            ),
            Change::Presence(present) => place(
                &mut self.presence,
                at_us,
                |(from, _)| *from == at_us,
                |(from, _)| *from,
                (at_us, *present),
            ),
        }
    }
}

/// Reads one user's history.
pub(crate) fn read_history(
    connection: &Connection,
    account: &Account,
    user: &str,
) -> rusqlite::Result<History> {
    let mut history = History::default();
    let mut roles = connection.prepare_cached(
        "SELECT organization, from_us, role FROM dashboard_roles
         WHERE account_id = ?1 AND user = ?2 ORDER BY from_us, organization",
    )?;
    let mut rows = roles.query(params![account.id.0, user])?;
    while let Some(row) = rows.next()? {
        let role: String = row.get(2)?;
        history.roles.push((row.get(0)?, row.get(1)?, Role::parse(&role).unwrap_or(Role::Member)));
    }
    let mut teams = connection.prepare_cached(
        "SELECT from_us, teams FROM dashboard_teams WHERE account_id = ?1 AND user = ?2
         ORDER BY from_us",
    )?;
    history.teams = teams
        .query_map(params![account.id.0, user], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut presence = connection.prepare_cached(
        "SELECT from_us, present FROM dashboard_presence WHERE account_id = ?1 AND user = ?2
         ORDER BY from_us",
    )?;
    history.presence = presence
        .query_map(params![account.id.0, user], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(history)
}

/// Stores one change of a user's history.
pub(crate) fn write_change(
    connection: &Connection,
    account: &Account,
    user: &str,
    at_us: i64,
    change: &Change,
) -> rusqlite::Result<()> {
    match change {
        Change::Role { organization, role } => connection
            .prepare_cached(
                "INSERT OR REPLACE INTO dashboard_roles (account_id, user, organization, from_us, role)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![account.id.0, user, organization, at_us, role.as_str()])?,
        Change::Teams(teams) => connection
            .prepare_cached(
                "INSERT OR REPLACE INTO dashboard_teams (account_id, user, from_us, teams)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![account.id.0, user, at_us, teams])?,
        Change::Presence(present) => connection
            .prepare_cached(
                "INSERT OR REPLACE INTO dashboard_presence (account_id, user, from_us, present)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![account.id.0, user, at_us, present])?,
    };
    Ok(())
}

impl Store {
    /// The account's members at `at`, by user id: everyone added (or given a
    /// role or team) by then and not removed or disabled since.
    pub fn dashboard_members(
        &self,
        usage: &AccountUsage,
        at: DateTime<Utc>,
    ) -> Result<Vec<Member>, StoreError> {
        let account = self.account(usage.account())?;
        let doing = || format!("reading the members of account {}", account.slug);
        let sqlite = |error| StoreError::sqlite(doing())(error);
        let at_us = at.timestamp_micros();
        let mut histories: HashMap<String, History> = HashMap::new();
        let mut roles = self
            .connection
            .prepare_cached(
                "SELECT user, organization, from_us, role FROM dashboard_roles
                 WHERE account_id = ?1 AND from_us <= ?2 ORDER BY user, from_us, organization",
            )
            .map_err(sqlite)?;
        let mut rows = roles.query(params![account.id.0, at_us]).map_err(sqlite)?;
        while let Some(row) = rows.next().map_err(sqlite)? {
            let role: String = row.get(3).map_err(sqlite)?;
            histories.entry(row.get(0).map_err(sqlite)?).or_default().roles.push((
                row.get(1).map_err(sqlite)?,
                row.get(2).map_err(sqlite)?,
                Role::parse(&role).unwrap_or(Role::Member),
            ));
        }
        let mut teams = self
            .connection
            .prepare_cached(
                "SELECT user, from_us, teams FROM dashboard_teams
                 WHERE account_id = ?1 AND from_us <= ?2 ORDER BY user, from_us",
            )
            .map_err(sqlite)?;
        let mut rows = teams.query(params![account.id.0, at_us]).map_err(sqlite)?;
        while let Some(row) = rows.next().map_err(sqlite)? {
            histories
                .entry(row.get(0).map_err(sqlite)?)
                .or_default()
                .teams
                .push((row.get(1).map_err(sqlite)?, row.get(2).map_err(sqlite)?));
        }
        let mut presence = self
            .connection
            .prepare_cached(
                "SELECT user, from_us, present FROM dashboard_presence
                 WHERE account_id = ?1 AND from_us <= ?2 ORDER BY user, from_us",
            )
            .map_err(sqlite)?;
        let mut rows = presence.query(params![account.id.0, at_us]).map_err(sqlite)?;
        while let Some(row) = rows.next().map_err(sqlite)? {
            histories
                .entry(row.get(0).map_err(sqlite)?)
                .or_default()
                .presence
                .push((row.get(1).map_err(sqlite)?, row.get(2).map_err(sqlite)?));
        }
        let mut names = self
            .connection
            .prepare_cached(
                "SELECT email, display_name FROM seat_profiles WHERE account_id = ?1 AND user = ?2",
            )
            .map_err(sqlite)?;
        let mut members = Vec::new();
        for (user, history) in histories {
            if !history.present_at(at_us) {
                continue;
            }
            let (email, display_name) = names
                .query_row(params![account.id.0, user], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap_or((None, None));
            members.push(Member {
                role: history.role_at(None, at_us),
                teams: serde_json::from_str(history.teams_at(at_us)).unwrap_or_default(),
                user,
                display_name,
                email,
            });
        }
        members.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(members)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(changes: &[(i64, Change)]) -> History {
        let mut history = History::default();
        for (at, change) in changes {
            history.apply(*at, change);
        }
        history
    }

    fn role(organization: &str, role: Role) -> Change {
        Change::Role { organization: organization.into(), role }
    }

    #[test]
    fn an_event_takes_the_role_its_user_had_in_its_organization_at_its_instant() {
        // Sent out of order: the promotion at 20 arrives before the joining at 10.
        let user = history(&[(20, role("o1", Role::Admin)), (10, role("o1", Role::Member))]);
        assert_eq!(user.role_at(Some("o1"), 9), Role::Member, "before anything: the default");
        assert_eq!(user.role_at(Some("o1"), 19), Role::Member);
        assert_eq!(user.role_at(Some("o1"), 20), Role::Admin, "from the change's own instant");
        assert_eq!(user.role_at(Some("o2"), 25), Role::Member, "no role in o2");
        assert_eq!(user.role_at(None, 25), Role::Admin, "admin somewhere is admin");
        assert_eq!(user.role_at(None, 15), Role::Member);
    }

    #[test]
    fn a_role_without_an_organization_stands_for_every_organization_without_one() {
        let user = history(&[(10, role("", Role::Admin)), (30, role("o1", Role::Member))]);
        assert_eq!(user.role_at(Some("o1"), 20), Role::Admin);
        assert_eq!(user.role_at(Some("o1"), 30), Role::Member);
        assert_eq!(user.role_at(Some("o2"), 30), Role::Admin);
    }

    #[test]
    fn a_removed_user_is_no_member_until_enabled_or_added_again() {
        let user = history(&[
            (10, Change::Presence(true)),
            (20, Change::Presence(false)),
            (30, Change::Presence(true)),
        ]);
        assert!(!user.present_at(9));
        assert!(user.present_at(10));
        assert!(!user.present_at(20));
        assert!(user.present_at(30));
        // Given a team without being added: present from then on.
        let implicit = history(&[(5, Change::Teams("[\"sre\"]".into()))]);
        assert!(!implicit.present_at(4));
        assert!(implicit.present_at(5));
        assert_eq!(implicit.teams_at(5), "[\"sre\"]");
        assert_eq!(implicit.teams_at(4), "[]");
    }
}
