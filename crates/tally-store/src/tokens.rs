//! API tokens and staff teams: who a presented token acts for.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use tally_access::{ApiToken, Principal, Role, StaffScope, TokenId};

use crate::{Store, StoreError};

/// What a new token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenGrant {
    /// An account's administrator.
    Administrator {
        /// The account's slug.
        account: String,
        /// Read permission on server management (for the usage-reports download).
        server_management_read: bool,
    },
    /// An account's member, who is `user` in the account's events.
    Member {
        /// The account's slug.
        account: String,
        /// The member's user id.
        user: String,
    },
    /// One of the vendor's staff, in a staff team.
    Staff {
        /// The staff team, which must exist.
        team: String,
        /// Whether a staff admin.
        admin: bool,
    },
}

/// What is needed to make a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// What it may do.
    pub grant: TokenGrant,
    /// A note for whoever lists tokens, such as who holds it.
    pub label: String,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token as listed: everything but the secret, which is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Public id.
    pub id: TokenId,
    /// What it may do.
    pub grant: TokenGrant,
    /// The note given when it was made.
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    /// The token's role.
    pub fn role(&self) -> Role {
        match self.grant {
            TokenGrant::Administrator { .. } => Role::Administrator,
            TokenGrant::Member { .. } => Role::Member,
            TokenGrant::Staff { admin: false, .. } => Role::Staff,
            TokenGrant::Staff { admin: true, .. } => Role::StaffAdmin,
        }
    }
}

/// A staff team and the accounts it may look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffTeam {
    /// The team's name.
    pub team: String,
    /// Its accounts.
    pub scope: StaffScope,
}

impl Store {
    /// Makes a token and returns it in clear, the only time it is seen.
    pub fn create_token(&mut self, new: &NewToken) -> Result<(TokenInfo, ApiToken), StoreError> {
        let token = ApiToken::generate();
        let (account_id, user, team, server_management_read) = match &new.grant {
            TokenGrant::Administrator { account, server_management_read } => {
                (Some(self.account(account)?.id.0), None, None, *server_management_read)
            }
            TokenGrant::Member { account, user } => {
                if user.trim().is_empty() {
                    return Err(StoreError::MemberWithoutUser { account: account.clone() });
                }
                (Some(self.account(account)?.id.0), Some(user.as_str()), None, false)
            }
            TokenGrant::Staff { team, .. } => {
                self.staff_team(team)?;
                (None, None, Some(team.as_str()), false)
            }
        };
        let created_at = Utc::now();
        if let Some(expires_at) = new.expires_at
            && expires_at <= created_at
        {
            return Err(StoreError::TokenAlreadyExpired { expires_at, now: created_at });
        }
        let info = TokenInfo {
            id: token.id(),
            grant: new.grant.clone(),
            label: new.label.clone(),
            created_at,
            expires_at: new.expires_at,
            revoked_at: None,
        };
        self.connection
            .execute(
                "INSERT INTO api_tokens (token_id, token_hash, role, account_id, user, staff_team,
                     server_management_read, label, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    info.id.as_str(),
                    token.hash().as_slice(),
                    info.role().as_str(),
                    account_id,
                    user,
                    team,
                    server_management_read,
                    new.label,
                    created_at.to_rfc3339(),
                    new.expires_at.map(|at| at.to_rfc3339()),
                ],
            )
            .map_err(StoreError::sqlite(format!("creating a {} token", info.role())))?;
        Ok((info, token))
    }

    /// Every token, newest first, revoked and expired ones included.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!("{TOKEN_SELECT} ORDER BY t.created_at DESC, t.token_id"))
            .map_err(StoreError::sqlite("listing tokens"))?;
        let rows = statement
            .query_map([], TokenRow::read)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(StoreError::sqlite("listing tokens"))?;
        rows.into_iter().map(TokenRow::into_info).collect()
    }

    /// Revokes a token: it stops working at once. Revoking it again changes nothing.
    pub fn revoke_token(&mut self, id: &TokenId) -> Result<TokenInfo, StoreError> {
        let doing = || format!("revoking token {id}");
        self.connection
            .execute(
                "UPDATE api_tokens SET revoked_at = ?2 WHERE token_id = ?1 AND revoked_at IS NULL",
                params![id.as_str(), Utc::now().to_rfc3339()],
            )
            .map_err(StoreError::sqlite(doing()))?;
        self.token(id)?.ok_or_else(|| StoreError::UnknownToken { id: id.to_string() })
    }

    /// Who `token` acts for at `now`, or `None` when it is unknown, revoked, expired
    /// or wrong: the caller answers all four alike, so a guess learns nothing.
    pub fn authenticate(
        &self,
        token: &ApiToken,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>, StoreError> {
        let id = token.id();
        let doing = || format!("checking token {id}");
        let stored: Option<Vec<u8>> = self
            .connection
            .query_row(
                "SELECT token_hash FROM api_tokens WHERE token_id = ?1",
                [id.as_str()],
                |row| row.get(0),
            )
            .optional()
            .map_err(StoreError::sqlite(doing()))?;
        if !stored.is_some_and(|hash| token.matches(&hash)) {
            return Ok(None);
        }
        let Some(info) = self.token(&id)? else { return Ok(None) };
        if info.revoked_at.is_some() || info.expires_at.is_some_and(|expires| expires <= now) {
            return Ok(None);
        }
        Ok(Some(match info.grant {
            TokenGrant::Administrator { account, server_management_read } => {
                Principal::Administrator { account, server_management_read }
            }
            TokenGrant::Member { account, user } => Principal::Member { account, user },
            TokenGrant::Staff { team, admin } => {
                let scope = self.staff_team(&team)?.scope;
                Principal::Staff { team, scope, admin }
            }
        }))
    }

    /// Creates a staff team or changes its accounts; its tokens see the change at once.
    pub fn set_staff_team(&mut self, team: &StaffTeam) -> Result<(), StoreError> {
        if let StaffScope::Accounts(accounts) = &team.scope {
            for account in accounts {
                self.account(account)?;
            }
        }
        let accounts = match &team.scope {
            StaffScope::AllAccounts => None,
            StaffScope::Accounts(accounts) => {
                Some(serde_json::to_string(accounts).expect("a set of strings serialises to JSON"))
            }
        };
        self.connection
            .execute(
                "INSERT INTO staff_teams (team, accounts) VALUES (?1, ?2)
                 ON CONFLICT (team) DO UPDATE SET accounts = ?2",
                params![team.team, accounts],
            )
            .map_err(StoreError::sqlite(format!("setting staff team {}", team.team)))?;
        Ok(())
    }

    /// The staff team with this name.
    pub fn staff_team(&self, team: &str) -> Result<StaffTeam, StoreError> {
        let accounts: Option<Option<String>> = self
            .connection
            .query_row("SELECT accounts FROM staff_teams WHERE team = ?1", [team], |row| row.get(0))
            .optional()
            .map_err(StoreError::sqlite(format!("reading staff team {team}")))?;
        let Some(accounts) = accounts else {
            return Err(StoreError::UnknownStaffTeam { team: team.to_owned() });
        };
        let scope = match accounts {
            None => StaffScope::AllAccounts,
            Some(text) => {
                StaffScope::Accounts(serde_json::from_str::<BTreeSet<String>>(&text).map_err(
                    |_| StoreError::CorruptValue {
                        table: "staff_teams",
                        column: "accounts",
                        value: text.clone(),
                    },
                )?)
            }
        };
        Ok(StaffTeam { team: team.to_owned(), scope })
    }

    /// The staff teams whose lists of accounts name `slug`, with their lists.
    pub(crate) fn staff_teams_listing(
        &self,
        slug: &str,
    ) -> Result<Vec<(String, BTreeSet<String>)>, StoreError> {
        let teams: Vec<String> = self
            .connection
            .prepare("SELECT team FROM staff_teams WHERE accounts IS NOT NULL ORDER BY team")
            .and_then(|mut statement| {
                statement.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()
            })
            .map_err(StoreError::sqlite("listing staff teams"))?;
        let mut listing = Vec::new();
        for team in teams {
            if let StaffScope::Accounts(accounts) = self.staff_team(&team)?.scope
                && accounts.contains(slug)
            {
                listing.push((team, accounts));
            }
        }
        Ok(listing)
    }

    fn token(&self, id: &TokenId) -> Result<Option<TokenInfo>, StoreError> {
        self.connection
            .query_row(
                &format!("{TOKEN_SELECT} WHERE t.token_id = ?1"),
                [id.as_str()],
                TokenRow::read,
            )
            .optional()
            .map_err(StoreError::sqlite(format!("reading token {id}")))?
            .map(TokenRow::into_info)
            .transpose()
    }
}

const TOKEN_SELECT: &str = "
    SELECT t.token_id, t.role, a.slug, t.user, t.staff_team, t.server_management_read,
           t.label, t.created_at, t.expires_at, t.revoked_at
    FROM api_tokens t LEFT JOIN accounts a ON a.account_id = t.account_id";

/// A row of `TOKEN_SELECT`, before its values are checked.
struct TokenRow {
    id: String,
    role: String,
    account: Option<String>,
    user: Option<String>,
    team: Option<String>,
    server_management_read: bool,
    label: String,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
}

impl TokenRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
        Ok(TokenRow {
            id: row.get(0)?,
            role: row.get(1)?,
            account: row.get(2)?,
            user: row.get(3)?,
            team: row.get(4)?,
            server_management_read: row.get(5)?,
            label: row.get(6)?,
            created_at: row.get(7)?,
            expires_at: row.get(8)?,
            revoked_at: row.get(9)?,
        })
    }

    fn into_info(self) -> Result<TokenInfo, StoreError> {
        let corrupt = |column: &'static str, value: &str| StoreError::CorruptValue {
            table: "api_tokens",
            column,
            value: value.to_owned(),
        };
        let instant = |column: &'static str, text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| corrupt(column, text))
        };
        let role: Role = self.role.parse().map_err(|_| corrupt("role", &self.role))?;
        let grant = match (role, self.account, self.user, self.team) {
            (Role::Administrator, Some(account), _, _) => TokenGrant::Administrator {
                account,
                server_management_read: self.server_management_read,
            },
            (Role::Member, Some(account), Some(user), _) => TokenGrant::Member { account, user },
            (Role::Staff | Role::StaffAdmin, _, _, Some(team)) => {
                TokenGrant::Staff { team, admin: role == Role::StaffAdmin }
            }
            _ => return Err(corrupt("role", &self.role)),
        };
        Ok(TokenInfo {
            id: TokenId::parse(&self.id).map_err(|_| corrupt("token_id", &self.id))?,
            grant,
            label: self.label,
            created_at: instant("created_at", &self.created_at)?,
            expires_at: self
                .expires_at
                .as_deref()
                .map(|at| instant("expires_at", at))
                .transpose()?,
            revoked_at: self
                .revoked_at
                .as_deref()
                .map(|at| instant("revoked_at", at))
                .transpose()?,
        })
    }
}
