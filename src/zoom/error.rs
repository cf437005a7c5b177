//! Zoom failures, classified by what the hub must do about each.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

/// A field Zoom refused, with Zoom's own message.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ZoomFieldError {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub message: String,
}

/// What went wrong talking to Zoom. Messages never contain tokens.
#[derive(Debug, thiserror::Error)]
pub enum ZoomError {
    /// 401 code 124: the access token is expired or revoked: refresh once, retry.
    #[error("Zoom refused the access token: {0}")]
    AccessTokenRejected(String),
    /// The refresh token is dead (`invalid_grant`, or "Invalid Token!" in
    /// either field): only a new authorization by the user helps.
    #[error("Zoom refused the refresh token: {0}")]
    RefreshTokenDead(String),
    /// 404 code 3001: the meeting is not there (already deleted or expired).
    #[error("Zoom has no such meeting")]
    MeetingNotFound,
    /// 429: try again after the given time (seconds or a date-time in `Retry-After`).
    #[error("Zoom rate limit reached")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, resets: Zoom may be fine in a moment.
    #[error("Zoom is unavailable: {0}")]
    Unavailable(String),
    /// Zoom refused the request as the caller's fault (validation, permissions).
    #[error("Zoom refused the request ({status}, code {code:?}): {message}")]
    Rejected {
        status: u16,
        code: Option<i64>,
        message: String,
        errors: Vec<ZoomFieldError>,
    },
    /// An OAuth refusal other than a dead refresh token (bad client, bad code…).
    #[error("Zoom OAuth error {error}: {reason}")]
    OAuth { error: String, reason: String },
    /// Zoom answered something that does not follow its protocol.
    #[error("unexpected answer from Zoom: {0}")]
    Protocol(String),
}

impl ZoomError {
    /// Whether the same call may succeed later without anything changing.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ZoomError::RateLimited { .. } | ZoomError::Unavailable(_)
        )
    }

    /// A network error, described without its URL (which can carry a code or token).
    pub(crate) fn network(error: &reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "connection failed"
        } else if error.is_body() || error.is_decode() {
            "response cut short"
        } else {
            "request failed"
        };
        ZoomError::Unavailable(kind.to_owned())
    }

    /// Classifies a non-success REST answer from Zoom's status, body and headers.
    pub(crate) fn from_rest(status: u16, headers: &HeaderMap, body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Body {
            code: Option<i64>,
            #[serde(default)]
            message: String,
            #[serde(default)]
            errors: Vec<ZoomFieldError>,
        }
        let parsed: Option<Body> = serde_json::from_slice(body).ok();
        let code = parsed.as_ref().and_then(|body| body.code);
        let message = parsed
            .as_ref()
            .map(|body| body.message.clone())
            .unwrap_or_default();
        match (status, code) {
            (429, _) => ZoomError::RateLimited {
                retry_after: retry_after(headers),
            },
            (500..=599, _) => ZoomError::Unavailable(format!("status {status}")),
            (401, _) => ZoomError::AccessTokenRejected(message),
            (404, Some(3001)) => ZoomError::MeetingNotFound,
            _ => ZoomError::Rejected {
                status,
                code,
                message,
                errors: parsed.map(|body| body.errors).unwrap_or_default(),
            },
        }
    }
}

/// Reads `Retry-After` as seconds or as a date-time (HTTP date or RFC 3339).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .or_else(|_| {
            time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822)
        })
        .or_else(|_| parse_http_date(value))
        .ok()?;
    let wait = at - time::OffsetDateTime::now_utc();
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(value: &str) -> Result<time::OffsetDateTime, time::error::Parse> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(value, format).map(time::PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(retry_after).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_date_times() {
        assert_eq!(retry_after(&headers("7")), Some(Duration::from_secs(7)));
        let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(120);
        let rfc3339 = soon
            .replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let wait = retry_after(&headers(&rfc3339)).unwrap();
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        let http_date = soon
            .format(time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            ))
            .unwrap();
        assert!(retry_after(&headers(&http_date)).unwrap() > Duration::from_secs(100));
        assert_eq!(
            retry_after(&headers("2001-01-01T00:00:00Z")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon")), None);
    }

    #[test]
    fn rest_answers_are_classified_by_what_to_do() {
        let none = HeaderMap::new();
        assert!(matches!(
            ZoomError::from_rest(401, &none, br#"{"code":124,"message":"Access token is expired."}"#),
            ZoomError::AccessTokenRejected(m) if m == "Access token is expired."
        ));
        assert!(matches!(
            ZoomError::from_rest(
                404,
                &none,
                br#"{"code":3001,"message":"Meeting 1 is not found or has expired."}"#
            ),
            ZoomError::MeetingNotFound
        ));
        assert!(ZoomError::from_rest(503, &none, b"<html>").is_retryable());
        assert!(matches!(
            ZoomError::from_rest(429, &headers("3"), b"{}"),
            ZoomError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(3)
        ));
        match ZoomError::from_rest(
            400,
            &none,
            br#"{"code":300,"message":"Validation Failed.","errors":[{"field":"topic","message":"too long"}]}"#,
        ) {
            ZoomError::Rejected { status, code, errors, .. } => {
                assert_eq!((status, code), (400, Some(300)));
                assert_eq!(errors[0].field, "topic");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ZoomError::from_rest(
                404,
                &none,
                br#"{"code":1001,"message":"User does not exist"}"#
            ),
            ZoomError::Rejected {
                code: Some(1001),
                ..
            }
        ));
    }
}
