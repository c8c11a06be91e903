//! The Usage Reports download (R1-R5), where the seed puts it.

use std::io::Cursor;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use tally_figures::usage_reports::{ZIP_NAME, write_usage_reports};
use tally_identity::{Matcher, MatcherConfig};

use crate::error::{ApiError, Problem};
use crate::query::QueryParams;
use crate::state::{AppState, Authenticated};

/// Usage Reports.zip.
///
/// The token's account's usage reports: `Usage Report (Last 6 Months).xlsx` and
/// `Usage Report (Last 1 Year).xlsx`, periods ending at `at` in the account's time
/// zone. For administrators with read permission on server management.
#[utoipa::path(
    get,
    path = "/export/usage-reports",
    tag = "reports",
    params(
        ("at" = Option<String>, Query, description = "The instant both periods end at (RFC 3339); default now.", format = DateTime),
    ),
    responses(
        (status = 200, description = "The zip.", content_type = "application/zip", body = Vec<u8>,
            headers(("content-disposition" = String, description = "attachment; filename=\"Usage Reports.zip\""))),
        (status = 400, description = "A bad query parameter.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator with read permission on server management.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn usage_reports(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let reports = principal.download_own_usage_reports()?;
    let params = QueryParams::parse::<__path_usage_reports>(query.as_deref())?;
    let end = params.instant("at")?.unwrap_or_else(Utc::now);
    let zip = state
        .with_store(move |store| {
            let matcher =
                Matcher::new(&MatcherConfig::default()).map_err(|_| ApiError::Internal)?;
            let out = write_usage_reports(store, &reports, end, &matcher, |_| {}, Cursor::new(Vec::new()))
                .map_err(|error| {
                    tracing::error!(error = %crate::error::error_chain(&error), "writing usage reports");
                    ApiError::Internal
                })?;
            Ok(out.into_inner())
        })
        .await?;
    let mut response = zip.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{ZIP_NAME}\""))
            .expect("the file name is a valid header value"),
    );
    Ok(response)
}
