//! Injected faults: what can be armed (an error status, a 429 with `Retry-After`, a connection
//! cut after the work is done), which requests each applies to, and the responses they produce.

use std::collections::VecDeque;
use std::io;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::json;

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultScope {
    /// `POST /oauth/token` and `POST /oauth/revoke`.
    OAuth,
    /// Every REST call under `/v2`.
    Api,
    /// Both of the above (never pages or the control API).
    All,
}

/// How a rate-limited answer says when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 2`.
    Seconds(u64),
    /// `Retry-After: 2026-12-02T00:00:00Z`, the RFC 3339 form Zoom uses.
    DateTime(Timestamp),
    /// `Retry-After: Wed, 02 Dec 2026 00:00:00 GMT`, the HTTP-date form of RFC 9110.
    HttpDate(Timestamp),
}

impl RetryAfter {
    /// The header value.
    pub(crate) fn header_value(self) -> String {
        match self {
            RetryAfter::Seconds(seconds) => seconds.to_string(),
            RetryAfter::DateTime(at) => super::times::zoom_time(at),
            RetryAfter::HttpDate(at) => at.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        }
    }
}

/// A fault to arm; each answers the next `count` requests in its scope, in the order armed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (500, 503, …) and a body like Zoom's edge gives: JSON for 500,
    /// an HTML gateway page for 502, 503 and 504.
    Status {
        /// Which requests it hits.
        scope: FaultScope,
        /// The status to answer.
        status: u16,
        /// How many requests it hits.
        count: u32,
    },
    /// Answer 429 `{"code":429,"message":"Too many requests. …"}` with `Retry-After` and
    /// `X-RateLimit-Type: QPS`.
    RateLimited {
        /// Which requests it hits.
        scope: FaultScope,
        /// How many requests it hits.
        count: u32,
        /// What `Retry-After` says.
        retry_after: RetryAfter,
    },
    /// Process the request fully (tokens rotate, meetings are created…), then drop the
    /// connection before any byte of the response is written.
    ResetAfterProcessing {
        /// Which requests it hits.
        scope: FaultScope,
        /// How many requests it hits.
        count: u32,
    },
}

impl Fault {
    fn scope(&self) -> FaultScope {
        match self {
            Fault::Status { scope, .. }
            | Fault::RateLimited { scope, .. }
            | Fault::ResetAfterProcessing { scope, .. } => *scope,
        }
    }

    fn count_mut(&mut self) -> &mut u32 {
        match self {
            Fault::Status { count, .. }
            | Fault::RateLimited { count, .. }
            | Fault::ResetAfterProcessing { count, .. } => count,
        }
    }
}

/// The kind of request a fault can hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    OAuth,
    Api,
}

impl Area {
    /// The area of a path relative to the emulator's base, if faults apply to it at all.
    pub(crate) fn of(path: &str) -> Option<Area> {
        match path {
            "/oauth/token" | "/oauth/revoke" => Some(Area::OAuth),
            _ if path.starts_with("/v2/") => Some(Area::Api),
            _ => None,
        }
    }

    fn within(self, scope: FaultScope) -> bool {
        matches!(
            (scope, self),
            (FaultScope::All, _) | (FaultScope::OAuth, Area::OAuth) | (FaultScope::Api, Area::Api)
        )
    }
}

/// What the gate does with one request a fault hit.
pub(crate) enum Effect {
    /// Answer at once with this response.
    Answer(Response),
    /// Process, then cut the connection.
    Reset,
}

/// Armed faults, oldest first.
#[derive(Default)]
pub(crate) struct FaultQueue {
    armed: VecDeque<Fault>,
}

impl FaultQueue {
    pub(crate) fn arm(&mut self, mut fault: Fault) {
        if *fault.count_mut() > 0 {
            self.armed.push_back(fault);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.armed.clear();
    }

    /// Uses up one request of the oldest fault covering `area`.
    pub(crate) fn take(&mut self, area: Area) -> Option<Fault> {
        let index = self
            .armed
            .iter()
            .position(|fault| area.within(fault.scope()))?;
        let fault = self.armed.get_mut(index)?;
        *fault.count_mut() -= 1;
        let taken = fault.clone();
        if *fault.count_mut() == 0 {
            self.armed.remove(index);
        }
        Some(taken)
    }
}

/// What a fault does to a request.
pub(crate) fn effect(fault: &Fault) -> Effect {
    match fault {
        Fault::Status { status, .. } => Effect::Answer(status_response(*status)),
        Fault::RateLimited { retry_after, .. } => Effect::Answer(rate_limited(*retry_after)),
        Fault::ResetAfterProcessing { .. } => Effect::Reset,
    }
}

fn status_response(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or("Error");
    if matches!(status.as_u16(), 502..=504) {
        let page = format!(
            "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n</body>\r\n</html>\r\n",
            code = status.as_u16()
        );
        let content_type = HeaderValue::from_static("text/html");
        (status, [(header::CONTENT_TYPE, content_type)], page).into_response()
    } else {
        let body = json!({"code": status.as_u16(), "message": reason});
        (status, axum::Json(body)).into_response()
    }
}

fn rate_limited(retry_after: RetryAfter) -> Response {
    let body = json!({
        "code": 429,
        "message": "Too many requests. Please try again later.",
    });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-category", HeaderValue::from_static("Light"));
    headers.insert("x-ratelimit-type", HeaderValue::from_static("QPS"));
    if let Ok(value) = HeaderValue::from_str(&retry_after.header_value()) {
        headers.insert(header::RETRY_AFTER, value);
    }
    response
}

/// A response whose body fails on its first poll. Hyper has only buffered the head at that
/// point, so it drops the connection without writing a byte: the client sees the connection
/// close before any response.
pub(crate) fn cut_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "connection reset by the emulator's fault injection",
        ))
    });
    Response::new(Body::from_stream(failing))
}
