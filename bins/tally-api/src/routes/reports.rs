//! The Usage Reports download (R1-R5), where the seed puts it.

use std::io::{BufWriter, Seek};

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use tally_figures::usage_reports::{ZIP_NAME, write_usage_reports};
use tally_identity::{Matcher, MatcherConfig};
use tokio_util::io::ReaderStream;

use crate::error::{ApiError, Problem};
use crate::query::{self, AsOf};
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
    params(AsOf),
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
    let params = query::parse::<AsOf>(query.as_deref())?;
    let end = params.at.unwrap_or_else(Utc::now);
    // The zip goes to a temporary file, then to the client from there: its
    // size is not held in memory.
    let zip = state
        .with_store(move |store| {
            let failed = |error: &dyn std::error::Error| {
                tracing::error!(error = %crate::error::error_chain(error), "writing usage reports");
                ApiError::Internal
            };
            let matcher =
                Matcher::new(&MatcherConfig::default()).map_err(|error| failed(&error))?;
            let file = tempfile::tempfile().map_err(|error| failed(&error))?;
            let file =
                write_usage_reports(store, &reports, end, &matcher, |_| {}, BufWriter::new(file))
                    .map_err(|error| failed(&error))?;
            let mut file = file.into_inner().map_err(|error| failed(error.error()))?;
            file.rewind().map_err(|error| failed(&error))?;
            Ok(file)
        })
        .await?;
    let zip = ReaderStream::new(tokio::fs::File::from_std(zip));
    let mut response = Body::from_stream(zip).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{ZIP_NAME}\""))
            .expect("the file name is a valid header value"),
    );
    Ok(response)
}
