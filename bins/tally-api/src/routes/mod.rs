//! The endpoints, one module per area.

pub mod activities;
pub mod audit;
pub mod dashboard;
pub mod ingest;
pub mod live;
pub mod meta;
pub mod monitor;
pub mod reports;
pub mod runs;
pub mod seats;
pub mod usage;

use std::collections::BTreeMap;

use utoipa::IntoResponses;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

/// The problems an endpoint of one account's figures answers with, documented
/// once for all of them: a bad query parameter, no valid token, a role that may
/// not read it, and an account out of the token's reach.
pub struct AccountProblems;

impl IntoResponses for AccountProblems {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        [
            (400, "A bad query parameter."),
            (401, "No valid token."),
            (403, "The token's role may not read this."),
            (404, "No such account visible to the token."),
        ]
        .into_iter()
        .map(|(status, description)| {
            let problem = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem")));
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", problem.build())
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
    }
}
