//! The one error type of the API, answered as an RFC 9457 problem document.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tally_access::Denied;
use tally_store::StoreError;

/// The problem document every error is answered with, shared with the ingest
/// daemon so that both answer in one shape.
pub use tally_service::Problem;
/// An error and its causes on one line, for the log.
pub use tally_service::error_chain;

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
        /// `bad_range`, `bad_format` or `whole_table`.
        code: &'static str,
    },
    /// A path segment that cannot be read, such as one that is not UTF-8.
    #[error("the path: {0}")]
    BadPath(String),
    /// A request body that cannot be used.
    #[error("the request body: {0}")]
    BadBody(String),
    /// A request body that stopped arriving (the body-read timeout).
    #[error("the request body stopped arriving: no byte came within the body-read timeout")]
    BodyTimeout,
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
            ApiError::BodyTimeout => {
                (StatusCode::REQUEST_TIMEOUT, "body_timeout", "Request body too slow")
            }
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
        let problem = Problem::new(status, code, title, self.to_string());
        match self {
            ApiError::UnknownParameter { name, .. } | ApiError::BadParameter { name, .. } => {
                problem.with_parameter(name.clone())
            }
            _ => problem,
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> ApiError {
        if tally_service::is_body_timeout(&rejection) {
            ApiError::BodyTimeout
        } else {
            ApiError::BadBody(rejection.body_text())
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.problem().into_response()
    }
}
