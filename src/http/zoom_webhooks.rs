//! `POST /webhooks/zoom`: Zoom's event notifications. Every request must carry a fresh
//! `x-zm-signature` over its raw bytes; `endpoint.url_validation` is answered at once; the
//! events the hub handles are stored in the inbox before the 200 (Zoom allows 3 s and drops an
//! event after its retries), then worked in the background.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::problem::ApiError;
use super::state::AppState;
use crate::domain::Timestamp;
use crate::zoom::notification::{
    APP_DEAUTHORIZED, MEETING_DELETED, MEETING_UPDATED, NotificationKey, Rejection, URL_VALIDATION,
    is_plain_token,
};

/// Receives one notification.
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = NotificationKey::new(state.config.zoom.webhook_secret.clone());
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let verified = key.verify(
        header("x-zm-request-timestamp"),
        header("x-zm-signature"),
        &body,
        Timestamp::now().0.div_euclid(1000),
    );
    let notification: Option<Value> = serde_json::from_slice(&body).ok();
    let event = notification
        .as_ref()
        .and_then(|n| n.get("event"))
        .and_then(Value::as_str);
    let plain_token = notification
        .as_ref()
        .and_then(|n| n.pointer("/payload/plainToken"))
        .and_then(Value::as_str);
    match verified {
        Ok(()) => {}
        // Some fakes validate without signing; answer only tokens that cannot forge a signature.
        Err(Rejection::Unsigned)
            if event == Some(URL_VALIDATION) && plain_token.is_some_and(is_plain_token) => {}
        Err(rejection) => {
            tracing::warn!(%rejection, "refused a Zoom notification");
            return Err(ApiError::Unauthorized(match rejection {
                Rejection::Unsigned => {
                    "Zoom notifications must carry x-zm-request-timestamp and x-zm-signature."
                }
                Rejection::BadTimestamp | Rejection::Stale => {
                    "x-zm-request-timestamp is missing, malformed or more than five minutes from now."
                }
                Rejection::BadSignature => "x-zm-signature does not match the body.",
            }));
        }
    }
    let Some(event) = event else {
        return Err(ApiError::InvalidRequest(
            "The body is not a Zoom notification: a JSON object with `event` and `payload`."
                .to_owned(),
        ));
    };
    match event {
        URL_VALIDATION => {
            let token = plain_token.ok_or_else(|| {
                ApiError::InvalidRequest("`payload.plainToken` must be a string.".to_owned())
            })?;
            Ok(Json(key.validation_reply(token)).into_response())
        }
        APP_DEAUTHORIZED | MEETING_DELETED | MEETING_UPDATED => {
            // Valid JSON is valid UTF-8.
            let text = String::from_utf8_lossy(&body);
            let stored = state
                .store
                .receive_zoom_notification(event, &text, Timestamp::now())
                .await?;
            match stored {
                Some(entry_id) => {
                    let state = state.clone();
                    tokio::spawn(async move {
                        if let Err(error) = state.zoom_inbox().work(&entry_id).await {
                            tracing::warn!(error = ?error, "Zoom notification left to the worker");
                        }
                    });
                }
                None => {
                    tracing::info!(event, "Zoom delivered a notification again; already stored")
                }
            }
            Ok(StatusCode::OK.into_response())
        }
        other => {
            tracing::debug!(
                event = other,
                "Zoom notification of a kind the hub does not handle"
            );
            Ok(StatusCode::OK.into_response())
        }
    }
}
