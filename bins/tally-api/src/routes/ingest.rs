//! How the ingest daemon reads an account's messages: its own event mapping
//! rules for analytics SDKs (docs/ingest-compat.md).

use axum::Json;
use axum::extract::{RawQuery, State};
use tally_compat::MappingRule;

use crate::error::{ApiError, Problem};
use crate::query::{self, NoParameters};
use crate::state::{AppState, Authenticated};

/// The account's event mapping rules.
///
/// The token's account's own rules for the messages analytics SDKs send (a
/// Segment `track` event, a PostHog event, a CloudEvents `type`), by message
/// name in byte order: messages of that name become events of `kind`, each
/// field a constant from `set`, or taken from the message's property `from`
/// names. Set with `tally-ingest account map-event`. For the account's
/// administrators; staff have no account of their own.
#[utoipa::path(
    get,
    path = "/v1/ingest/event-mappings",
    tag = "ingest",
    responses(
        (status = 200, description = "The account's rules, by message name.", body = Vec<MappingRule>),
        (status = 400, description = "A query parameter was given.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an account's administrator.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn event_mappings(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<MappingRule>>, ApiError> {
    let usage = principal.read_own_usage()?;
    query::parse::<NoParameters>(query.as_deref())?;
    let rules = state
        .with_store(move |store| {
            let account = store.account(usage.account())?;
            Ok(store.event_mappings(account.id)?)
        })
        .await?;
    Ok(Json(rules))
}
