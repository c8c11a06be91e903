//! The audit pages (docs/web.md).

use axum::Router;

use crate::state::AppState;

/// The audit log's and a member's runs' pages.
pub fn routes() -> Router<AppState> {
    Router::new()
}
