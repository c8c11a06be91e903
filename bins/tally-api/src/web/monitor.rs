//! The monitor pages (docs/web.md).

use axum::Router;

use crate::state::AppState;

/// The usage monitor's pages.
pub fn routes() -> Router<AppState> {
    Router::new()
}
