//! How the emulator's HTML pages are answered: rendering askama templates with safe headers,
//! redirects within the emulator, and the error page.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Emulator;

/// A rendered page with `no-store` and anti-framing headers.
pub(crate) fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let headers = [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
                (header::X_FRAME_OPTIONS, "DENY"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                ),
            ];
            (status, headers, body).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "a Zoom sandbox page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be rendered.",
            )
                .into_response()
        }
    }
}

/// `303 See Other` to a path under the emulator's base.
pub(crate) fn see_other(emulator: &Emulator, path: &str) -> Response {
    let location = format!("{}{path}", emulator.base_path());
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Template)]
#[template(path = "sandbox/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

/// A request a page cannot serve, answered with the error page.
pub(crate) struct PageError {
    status: StatusCode,
    title: &'static str,
    message: String,
}

impl PageError {
    pub(crate) fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
        }
    }

    pub(crate) fn bad_request(title: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, title, message)
    }

    /// A form whose CSRF token or nonce is missing, wrong or used.
    pub(crate) fn stale_form() -> Self {
        Self::bad_request(
            "This form has expired",
            "The form was already used or does not belong to your session. Go back, reload and try again.",
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            title: self.title,
            message: &self.message,
        };
        html(self.status, &page)
    }
}
