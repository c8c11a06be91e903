//! The dashboard pages (docs/web.md).

use axum::Router;

use crate::state::AppState;

/// The usage dashboard's pages.
pub fn routes() -> Router<AppState> {
    Router::new()
}
