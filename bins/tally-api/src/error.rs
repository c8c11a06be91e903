//! The one error type of the API, answered as an RFC 9457 problem document.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tally_access::Denied;
use tally_store::StoreError;
use utoipa::ToSchema;

/// An RFC 9457 problem document, as every error is answered
/// (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:tally:problem:` and the code.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the kind of problem, the same for every occurrence.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, in words a person can act on.
    pub detail: String,
    /// The stable machine-readable code (see docs/api.md).
    pub code: String,
    /// The query parameter at fault, for a bad parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or one that is malformed, unknown, expired or revoked.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The token may not do this.
    #[error("this token may not do this: it needs {needs}")]
    Forbidden {
        /// What would be needed.
        needs: &'static str,
    },
    /// No such thing, or one the token may not know of.
    #[error("{0}")]
    NotFound(String),
    /// A query parameter that is not one of the endpoint's.
    #[error("unknown query parameter {name:?}; this endpoint takes: {known}")]
    UnknownParameter {
        /// The name given.
        name: String,
        /// The names it takes, comma-separated.
        known: String,
    },
    /// A query parameter with a value that cannot be used.
    #[error("query parameter {name:?}: {reason}")]
    BadParameter {
        /// The parameter.
        name: String,
        /// What is wrong with its value.
        reason: String,
        /// The stable code: `bad_parameter`, `bad_cursor`, `bad_limit`, `bad_sort`,
        /// `bad_range` or `bad_format`.
        code: &'static str,
    },
    /// A path segment that cannot be read, such as one that is not UTF-8.
    #[error("the path: {0}")]
    BadPath(String),
    /// A request body that cannot be used.
    #[error("the request body: {0}")]
    BadBody(String),
    /// The route exists, but not with this method.
    #[error("this endpoint does not answer {0}")]
    MethodNotAllowed(String),
    /// The database is busy or full: try again.
    #[error("the database is busy; try again shortly")]
    Unavailable,
    /// Anything else: the cause is logged, not shown.
    #[error("an internal error occurred; it has been logged")]
    Internal,
}

impl ApiError {
    /// A bad value of a query parameter.
    pub fn bad_parameter(name: &str, reason: impl Into<String>) -> ApiError {
        ApiError::BadParameter {
            name: name.to_owned(),
            reason: reason.into(),
            code: "bad_parameter",
        }
    }

    /// A bad value of a query parameter, under a more precise code.
    pub fn bad(code: &'static str, name: &str, reason: impl Into<String>) -> ApiError {
        ApiError::BadParameter { name: name.to_owned(), reason: reason.into(), code }
    }

    /// The status, stable code and title of this error.
    fn kind(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::Unauthenticated(_) => {
                (StatusCode::UNAUTHORIZED, "unauthenticated", "Authentication needed")
            }
            ApiError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            ApiError::UnknownParameter { .. } => {
                (StatusCode::BAD_REQUEST, "unknown_parameter", "Unknown query parameter")
            }
            ApiError::BadParameter { code, .. } => {
                (StatusCode::BAD_REQUEST, code, "Bad query parameter")
            }
            ApiError::BadPath(_) => (StatusCode::BAD_REQUEST, "bad_path", "Bad path"),
            ApiError::BadBody(_) => (StatusCode::BAD_REQUEST, "bad_body", "Bad request body"),
            ApiError::MethodNotAllowed(_) => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed")
            }
            ApiError::Unavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Try again shortly")
            }
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }

    /// The problem document this error is answered with.
    pub fn problem(&self) -> Problem {
        let (status, code, title) = self.kind();
        let parameter = match self {
            ApiError::UnknownParameter { name, .. } | ApiError::BadParameter { name, .. } => {
                Some(name.clone())
            }
            _ => None,
        };
        Problem {
            problem_type: format!("urn:tally:problem:{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: code.to_owned(),
            parameter,
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> ApiError {
        match denied {
            Denied::NotFound { .. } => ApiError::NotFound(denied.to_string()),
            Denied::Forbidden { needs } => ApiError::Forbidden { needs },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            // Only reached for an account the token may see but that is gone, or
            // one named by a staff scope: the same answer as any unknown account.
            StoreError::UnknownAccount { slug } => {
                ApiError::NotFound(format!("no account {slug:?} is visible to this token"))
            }
            error if error.is_transient() => {
                tracing::warn!(error = %error_chain(&error), "database busy");
                ApiError::Unavailable
            }
            error => {
                tracing::error!(error = %error_chain(&error), "store error");
                ApiError::Internal
            }
        }
    }
}

/// An error and its causes on one line, for the log.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).expect("a problem always serialises");
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
