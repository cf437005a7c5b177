//! Errors as RFC 9457 problem+json, with the stable codes of the public contract.
//! This is the one place where errors become responses.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::FieldError;
use crate::store::outage::is_outage;

const PROBLEM_JSON: &str = "application/problem+json";

/// Everything a request can fail with.
#[derive(thiserror::Error)]
pub enum ApiError {
    /// The request could not be read (not JSON, wrong content type, bad query).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No usable credentials were presented.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// The caller is known but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// No such resource for this caller.
    #[error("not found: {0}")]
    NotFound(String),
    /// The request conflicts with the state of things (`not_connected`, `needs_reauth`, …).
    #[error("{code}: {detail}")]
    Conflict { code: &'static str, detail: String },
    /// Fields that failed to parse.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Too many requests; try again after the given time.
    #[error("rate limited")]
    RateLimited { retry_after: Duration },
    /// The body is larger than the limit.
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// A dependency (the database) is not answering.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// A status the framework produced outside our handlers (405, 408, …).
    #[error("{status}: {detail}")]
    Framework { status: StatusCode, detail: String },
    /// Something we did not expect; details are logged, never returned.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // anyhow's Debug prints the whole cause chain.
            ApiError::Internal(error) => write!(f, "{error:?}"),
            other => write!(f, "{other}"),
        }
    }
}

impl ApiError {
    /// A single-field validation failure.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Framework { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::InvalidRequest(detail) | ApiError::NotFound(detail) => detail.clone(),
            ApiError::Framework { detail, .. } | ApiError::Conflict { detail, .. } => {
                detail.clone()
            }
            ApiError::Unauthorized(detail) | ApiError::Forbidden(detail) => (*detail).to_owned(),
            ApiError::Unavailable(detail) => (*detail).to_owned(),
            ApiError::Validation(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => format!("{} fields are invalid; see `errors`.", errors.len()),
            },
            ApiError::RateLimited { retry_after } => format!(
                "Too many requests for this API key; retry after {} s.",
                retry_after_seconds(*retry_after)
            ),
            ApiError::PayloadTooLarge { limit } => {
                format!("The request body is larger than {limit} bytes.")
            }
            ApiError::Internal(_) => {
                "Something went wrong on our side; it has been logged.".to_owned()
            }
        }
    }
}

/// The stable `code` and the `title` for a status.
fn code_and_title(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("invalid_request", "Invalid request"),
        401 => ("unauthorized", "Unauthorized"),
        403 => ("forbidden", "Forbidden"),
        404 => ("not_found", "Not found"),
        405 => ("method_not_allowed", "Method not allowed"),
        408 => ("request_timeout", "Request timeout"),
        409 => ("conflict", "Conflict"),
        413 => ("payload_too_large", "Payload too large"),
        415 => ("invalid_request", "Unsupported media type"),
        422 => ("validation_failed", "Validation failed"),
        429 => ("rate_limited", "Rate limited"),
        503 => ("unavailable", "Service unavailable"),
        500..=599 => ("internal", "Internal error"),
        _ => ("invalid_request", "Invalid request"),
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    detail: String,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

/// A problem+json response for `status`.
pub fn problem_response(
    status: StatusCode,
    detail: String,
    errors: Option<&[FieldError]>,
) -> Response {
    problem_with_code(status, code_and_title(status).0, detail, errors)
}

fn problem_with_code(
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Option<&[FieldError]>,
) -> Response {
    let (_, title) = code_and_title(status);
    let problem = Problem {
        kind: format!("urn:convene:problem:{code}"),
        title,
        status: status.as_u16(),
        detail,
        code,
        errors,
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// How long clients are asked to wait when the database cannot be reached.
const OUTAGE_RETRY_AFTER: Duration = Duration::from_secs(5);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(error) = &self {
            if is_outage(error) {
                tracing::warn!(error = %error, "request failed: the database is not reachable");
                return ApiError::Unavailable("The database is not reachable; retry shortly.")
                    .into_response();
            }
            tracing::error!(error = ?error, "request failed");
        }
        let errors = match &self {
            ApiError::Validation(errors) => Some(errors.as_slice()),
            _ => None,
        };
        let code = match &self {
            ApiError::Conflict { code, .. } => code,
            other => code_and_title(other.status()).0,
        };
        let mut response = problem_with_code(self.status(), code, self.detail(), errors);
        let headers = response.headers_mut();
        match &self {
            ApiError::RateLimited { retry_after } => {
                headers.insert(
                    header::RETRY_AFTER,
                    retry_after_seconds(*retry_after).into(),
                );
            }
            ApiError::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::Unavailable(_) => {
                headers.insert(
                    header::RETRY_AFTER,
                    retry_after_seconds(OUTAGE_RETRY_AFTER).into(),
                );
            }
            _ => {}
        }
        response
    }
}

/// Whole seconds to wait, rounded up and at least one: `Retry-After: 0` would invite an
/// immediate retry that the limiter refuses again.
fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Turns the plain-text error responses that axum and tower-http produce
/// (405, 408, 413, path and query rejections) into problem+json, keeping their
/// headers (`Allow`, …). Responses that already chose a content type pass.
pub async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let is_bare = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|value| value.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !is_bare {
        return response;
    }
    let (parts, body) = response.into_parts();
    let detail = if status.is_client_error() {
        let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
        String::from_utf8_lossy(&text).trim().to_owned()
    } else {
        tracing::error!(%status, "request failed outside a handler");
        String::new()
    };
    let detail = if detail.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_owned()
    } else {
        detail
    };
    let mut problem = ApiError::Framework { status, detail }.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().insert(name.clone(), value.clone());
        }
    }
    problem
}

/// The answer for a path no route matches.
pub async fn route_not_found() -> ApiError {
    ApiError::NotFound("No such resource.".to_owned())
}

/// The answer for a panicking handler: a bare 500, with the panic logged.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    tracing::error!(panic = %message, "handler panicked");
    problem_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side; it has been logged.".to_owned(),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_whole_seconds_and_never_zero() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
    }
}
