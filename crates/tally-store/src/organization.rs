//! Organizations and teams: display names for the ids events carry.

use rusqlite::params;

use crate::{Store, StoreError};

/// A configured organization of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// The id events use.
    pub organization: String,
    /// Display name.
    pub name: String,
}

/// A configured team of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// The id events use.
    pub team: String,
    /// Display name.
    pub name: String,
    /// The organization the team belongs to, if it belongs to one.
    pub organization: Option<String>,
}

impl Store {
    /// Adds or renames an organization of an account.
    pub fn set_organization(
        &mut self,
        slug: &str,
        organization: &Organization,
    ) -> Result<(), StoreError> {
        let account = self.account(slug)?;
        self.connection
            .execute(
                "INSERT INTO organizations (account_id, organization, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account_id, organization) DO UPDATE SET name = excluded.name",
                params![account.id.0, organization.organization, organization.name],
            )
            .map_err(StoreError::sqlite(format!(
                "setting organization {} of account {slug}",
                organization.organization
            )))?;
        Ok(())
    }

    /// Adds or changes a team of an account.
    pub fn set_team(&mut self, slug: &str, team: &Team) -> Result<(), StoreError> {
        let account = self.account(slug)?;
        self.connection
            .execute(
                "INSERT INTO teams (account_id, team, name, organization) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account_id, team)
                 DO UPDATE SET name = excluded.name, organization = excluded.organization",
                params![account.id.0, team.team, team.name, team.organization],
            )
            .map_err(StoreError::sqlite(format!("setting team {} of account {slug}", team.team)))?;
        Ok(())
    }

    /// An account's configured organizations, by id.
    pub fn organizations(&self, slug: &str) -> Result<Vec<Organization>, StoreError> {
        let account = self.account(slug)?;
        self.collect_rows(
            "SELECT organization, name FROM organizations WHERE account_id = ?1 ORDER BY organization",
            [account.id.0],
            &format!("listing organizations of account {slug}"),
            |row| Ok(Organization { organization: row.get(0)?, name: row.get(1)? }),
        )
    }

    /// An account's configured teams, by id.
    pub fn teams(&self, slug: &str) -> Result<Vec<Team>, StoreError> {
        let account = self.account(slug)?;
        self.collect_rows(
            "SELECT team, name, organization FROM teams WHERE account_id = ?1 ORDER BY team",
            [account.id.0],
            &format!("listing teams of account {slug}"),
            |row| Ok(Team { team: row.get(0)?, name: row.get(1)?, organization: row.get(2)? }),
        )
    }
}
