//! The service itself: health, and who a token acts for.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Serialize;
use tally_access::{Principal, StaffScope};
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::query::{self, NoParameters};
use crate::state::{AppState, Authenticated};

/// The service's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    /// The database's schema version.
    pub schema_version: u32,
}

/// Health check.
///
/// Answers when the service runs and its database can be read. No token needed.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    responses(
        (status = 200, description = "The service and its database answer.", body = Health),
        (status = 400, description = "A query parameter was given.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is busy.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn healthz(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Health>, ApiError> {
    query::parse::<NoParameters>(query.as_deref())?;
    state.with_store(|store| Ok(store.accounts().map(|_| ())?)).await?;
    Ok(Json(Health { status: "ok".into(), schema_version: tally_store::SCHEMA_VERSION as u32 }))
}

/// Who a token acts for.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `administrator`, `member`, `staff` or `staff-admin`.
    pub role: String,
    /// The account, for account roles.
    pub account: Option<String>,
    /// The member's user id, for members.
    pub user: Option<String>,
    /// Whether an administrator also has read permission on server management.
    pub server_management_read: bool,
    /// The staff team, for staff roles.
    pub staff_team: Option<String>,
    /// The accounts in the staff team's scope; null for every account or for
    /// account roles.
    pub staff_accounts: Option<Vec<String>>,
}

/// The token's principal.
///
/// What the presented token may do: its role, and its account or staff scope.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "service",
    responses(
        (status = 200, description = "The token's principal.", body = Me),
        (status = 400, description = "A query parameter was given.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn me(
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Json<Me>, ApiError> {
    query::parse::<NoParameters>(query.as_deref())?;
    let role = principal.role().as_str().to_owned();
    Ok(Json(match principal {
        Principal::Administrator { account, server_management_read } => Me {
            role,
            account: Some(account),
            user: None,
            server_management_read,
            staff_team: None,
            staff_accounts: None,
        },
        Principal::Member { account, user } => Me {
            role,
            account: Some(account),
            user: Some(user),
            server_management_read: false,
            staff_team: None,
            staff_accounts: None,
        },
        Principal::Staff { team, scope, .. } => Me {
            role,
            account: None,
            user: None,
            server_management_read: false,
            staff_team: Some(team),
            staff_accounts: match scope {
                StaffScope::AllAccounts => None,
                StaffScope::Accounts(accounts) => Some(accounts.into_iter().collect()),
            },
        },
    }))
}
