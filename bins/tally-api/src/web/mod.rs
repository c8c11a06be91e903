//! The web dashboard: HTML pages over the same figures the API serves, for a
//! person signed in with an API token (docs/web.md).
//!
//! Pages are rendered on the server with maud, which escapes every value it
//! writes, and run under a Content-Security-Policy without `unsafe-inline`:
//! scripts and styles come only from [`assets`], built into the binary. Each
//! page asks `tally-access` what the viewer may see exactly as the API does,
//! through the [`session::Viewer`] the cookie names.

pub mod assets;
pub mod audit;
pub mod chain;
pub mod dashboard;
pub mod layout;
pub mod monitor;
pub mod session;
pub mod sign_in;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tally_access::Denied;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;
use crate::state::AppState;

/// Where each page's scripts, styles, images and requests may come from: this
/// server only, never inline, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The web pages' routes, with the headers every page is answered with.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .merge(sign_in::routes())
        .merge(dashboard::routes())
        .merge(audit::routes())
        .merge(monitor::routes())
        .merge(assets::routes())
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// The viewer's first page: what their token is for.
async fn home(viewer: session::Viewer) -> Redirect {
    Redirect::to(viewer.home())
}

/// Everything a page can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Nobody is signed in, or the cookie's token no longer works: the sign-in
    /// page, then back to `next`.
    #[error("sign in to see {next}")]
    SignIn {
        /// The page asked for, path and query.
        next: String,
    },
    /// A state-changing request without the page's CSRF token, or sent from
    /// another site.
    #[error("the form is stale or was sent from another site: reload the page and try again")]
    Csrf,
    /// What the API would have answered.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<Denied> for WebError {
    fn from(denied: Denied) -> WebError {
        WebError::Api(ApiError::from(denied))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next } => {
                let query =
                    serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                Redirect::to(&format!("/sign-in?{query}")).into_response()
            }
            WebError::Csrf => {
                let message = WebError::Csrf.to_string();
                (StatusCode::FORBIDDEN, layout::error_page(StatusCode::FORBIDDEN, &message))
                    .into_response()
            }
            WebError::Api(error) => {
                let message = error.to_string();
                let status = error.into_response().status();
                (status, layout::error_page(status, &message)).into_response()
            }
        }
    }
}
