//! Rendering hosted pages, and the error page browsers get instead of problem+json.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::store::outage::is_outage;

/// A page that could not be shown, as the person in the browser should read it.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    title: &'static str,
    message: String,
}

impl PageError {
    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            title,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for PageError {
    fn from(error: anyhow::Error) -> Self {
        if is_outage(&error) {
            tracing::warn!(error = %error, "page failed: the database is not reachable");
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again in a moment",
                "We cannot reach our records just now. Please try again in a minute.",
            );
        }
        tracing::error!(error = ?error, "page failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Something went wrong on our side. Please try again in a moment.",
        )
    }
}

#[derive(Template)]
#[template(path = "hosted/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            title: self.title,
            message: &self.message,
        };
        let mut response = (self.status, render(&page)).into_response();
        no_store(&mut response);
        response
    }
}

/// Renders a template; a template that fails to render is our bug, shown as a plain 500.
pub fn render(template: &impl Template) -> Html<String> {
    match template.render() {
        Ok(html) => Html(html),
        Err(error) => {
            tracing::error!(%error, "template failed to render");
            Html("<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned())
        }
    }
}

/// Hosted pages carry one-time tokens: never cache them.
pub fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
