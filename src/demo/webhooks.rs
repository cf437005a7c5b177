//! `POST /demo/webhooks`: the practice's webhook receiver. It checks the Standard Webhooks
//! signature the way any client must (HMAC over `{id}.{timestamp}.{body}`, any one of the
//! header's signatures, timestamp within five minutes), then keeps what it was told as a
//! notification for the therapist it is about.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::Demo;
use super::appointments::AppointmentView;
use super::hub::{Event, Link};
use super::practice::Notification;

/// How far a webhook's timestamp may be from now, either way, in seconds.
const TOLERANCE_SECONDS: i64 = 5 * 60;

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "type")]
    kind: String,
    data: Value,
}

/// Receives one webhook: 204 when kept (or already kept), 401 when not signed by the hub,
/// 400 when it is not a webhook at all.
pub async fn receive(State(demo): State<Demo>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let (Some(id), Some(timestamp), Some(signatures)) = (
        header("webhook-id"),
        header("webhook-timestamp").and_then(|t| t.parse::<i64>().ok()),
        header("webhook-signature"),
    ) else {
        return StatusCode::UNAUTHORIZED;
    };
    let now = jiff::Timestamp::now().as_second();
    let Ok(text) = std::str::from_utf8(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let expected = demo.0.webhook_key.sign(id, timestamp, text);
    let signed = signatures
        .split(' ')
        .any(|signature| bool::from(signature.as_bytes().ct_eq(expected.as_bytes())));
    if !signed || (now - timestamp).abs() > TOLERANCE_SECONDS {
        tracing::warn!(
            webhook_id = id,
            "demo: refused a webhook that is not signed by the hub"
        );
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(message) = serde_json::from_str::<Message>(text) else {
        return StatusCode::BAD_REQUEST;
    };
    let therapist_id = message.data["end_user_id"].as_str().map(str::to_owned);
    let time_zone = match &therapist_id {
        Some(id) => demo.0.practice.therapist(id).await.map(|t| t.time_zone),
        None => None,
    };
    let notification = Notification {
        webhook_id: id.to_owned(),
        received_at: now,
        therapist_id,
        text: describe(&message, time_zone.as_deref().unwrap_or("UTC")),
    };
    match demo.0.practice.notify(notification).await {
        Ok(_) => StatusCode::NO_CONTENT,
        Err(error) => {
            tracing::error!(error = ?error, "demo: could not keep a webhook");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// What the therapist reads about a webhook.
fn describe(message: &Message, time_zone: &str) -> String {
    let link = || serde_json::from_value::<Link>(message.data.clone()).ok();
    let appointment = || {
        serde_json::from_value::<Event>(message.data.clone())
            .ok()
            .map(|event| AppointmentView::of(&event, time_zone))
    };
    match message.kind.as_str() {
        "link.connected" => match link() {
            Some(link) => format!("Zoom connected: {}.", link.account.email),
            None => "Zoom connected.".to_owned(),
        },
        "link.needs_reauth" => {
            "Zoom needs reconnecting: Zoom stopped honouring the connection.".to_owned()
        }
        "link.removed" => {
            let why = match message.data["reason"].as_str() {
                Some("provider_deauthorized") => "the app was removed inside Zoom",
                Some("end_user") => "you removed it on your Convene account page",
                Some("app") => "you disconnected it in Calmly",
                Some("operator") => "the hub's operator removed it",
                _ => "the link was removed",
            };
            format!("Zoom disconnected: {why}.")
        }
        "event.conferencing.ready" => match appointment() {
            Some(view) => format!("Zoom meeting ready for {} on {}.", view.patient, view.when),
            None => "A Zoom meeting is ready.".to_owned(),
        },
        "event.conferencing.failed" => match appointment() {
            Some(view) => format!(
                "No Zoom meeting could be made for {} on {}: {}",
                view.patient,
                view.when,
                view.problem.unwrap_or_default()
            ),
            None => "A Zoom meeting could not be made.".to_owned(),
        },
        "event.conferencing.removed" => match appointment() {
            Some(view) => format!(
                "The Zoom meeting for {} on {} was deleted inside Zoom.",
                view.patient, view.when
            ),
            None => "A Zoom meeting was deleted inside Zoom.".to_owned(),
        },
        other => format!("The hub sent {other}."),
    }
}
