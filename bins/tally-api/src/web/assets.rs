//! The pages' scripts and styles, built into the binary: nothing to install
//! beside it, nothing fetched from elsewhere.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// Each asset: its name under `/assets/`, media type and content.
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("assets/app.js")),
    ("dashboard.js", "text/javascript; charset=utf-8", include_str!("assets/dashboard.js")),
    ("audit.js", "text/javascript; charset=utf-8", include_str!("assets/audit.js")),
    ("monitor.js", "text/javascript; charset=utf-8", include_str!("assets/monitor.js")),
];

/// The assets' route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{name}", get(asset))
}

async fn asset(Path(name): Path<String>) -> Response {
    let Some((_, media_type, content)) = ASSETS.iter().find(|(known, _, _)| *known == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let mut response = (*content).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    // Assets change only with the binary: a browser asks again after five
    // minutes, so an upgrade shows at once on the next visit after that.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}
