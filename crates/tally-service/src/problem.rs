//! The one shape of an error answer, for both daemons.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// What every problem's `type` starts with; the stable code follows.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:tally:problem:";

/// An RFC 9457 problem document, as every error of the ingest daemon and the
/// API is answered (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:tally:problem:` and the code.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem, the same for every occurrence.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, in words a person can act on.
    pub detail: String,
    /// The stable machine-readable code (see docs/api.md and docs/events.md).
    pub code: String,
    /// The query parameter at fault, for a bad parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

impl Problem {
    /// A problem answered with `status`, under the stable `code`.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: String,
    ) -> Problem {
        Problem {
            problem_type: format!("{PROBLEM_TYPE_PREFIX}{code}"),
            title,
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            parameter: None,
        }
    }

    /// The same problem, naming the query parameter at fault.
    pub fn with_parameter(self, parameter: String) -> Problem {
        Problem { parameter: Some(parameter), ..self }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).expect("a problem always serialises");
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        // RFC 9110 asks a 401 to name the scheme; both daemons take bearer keys.
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // Busy or unavailable: the client is told to retry, and when.
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(problem: Problem, expected: serde_json::Value) {
        assert_eq!(serde_json::to_value(&problem).unwrap(), expected);
    }

    #[test]
    fn a_problem_names_its_code_in_its_type() {
        check(
            Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "Not found",
                "no endpoint at /x".into(),
            ),
            serde_json::json!({
                "type": "urn:tally:problem:not_found",
                "title": "Not found",
                "status": 404,
                "detail": "no endpoint at /x",
                "code": "not_found",
            }),
        );
        check(
            Problem::new(StatusCode::BAD_REQUEST, "bad_limit", "Bad query parameter", "d".into())
                .with_parameter("limit".into()),
            serde_json::json!({
                "type": "urn:tally:problem:bad_limit",
                "title": "Bad query parameter",
                "status": 400,
                "detail": "d",
                "code": "bad_limit",
                "parameter": "limit",
            }),
        );
    }
}
