//! Event notifications to the subscribed endpoint: signing (`x-zm-signature`), delivery with
//! Zoom's retry rule, endpoint URL validation, and the record of every attempt.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::meetings::Meeting;
use super::state::World;
use super::{Emulator, random};

/// Zoom counts a delivery as failed when no 2xx arrives within 3 seconds.
pub(crate) const DELIVERY_TIMEOUT: Duration = Duration::from_secs(3);
const URL_VALIDATION: &str = "endpoint.url_validation";
/// How many attempts are remembered (the oldest go first).
const ATTEMPTS_CAPACITY: usize = 10_000;

/// One attempt to deliver a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookAttempt {
    /// Event name, e.g. "app_deauthorized" or "endpoint.url_validation".
    pub event: String,
    /// 1 for the first try, 2 for the first retry, …
    pub attempt: u32,
    /// Where it went.
    pub url: String,
    /// The endpoint's status, when it answered in time.
    pub status: Option<u16>,
    /// Why there was no status (timeout, connection refused…), or why a validation reply was wrong.
    pub error: Option<String>,
    /// When the attempt finished, unix milliseconds on the emulator's clock.
    pub at: i64,
}

/// The event subscription: where notifications go, whether the endpoint passed validation,
/// and every attempt so far.
pub(crate) struct Subscription {
    pub(crate) url: Option<String>,
    /// None until a validation finished.
    pub(crate) validated: Option<bool>,
    attempts: VecDeque<WebhookAttempt>,
}

impl Subscription {
    pub(crate) fn new(url: Option<String>) -> Self {
        Self {
            url,
            validated: None,
            attempts: VecDeque::new(),
        }
    }

    /// Every attempt remembered, oldest first.
    pub(crate) fn attempts(&self) -> Vec<WebhookAttempt> {
        self.attempts.iter().cloned().collect()
    }

    fn record(&mut self, attempt: WebhookAttempt) {
        if self.attempts.len() == ATTEMPTS_CAPACITY {
            self.attempts.pop_front();
        }
        self.attempts.push_back(attempt);
    }
}

/// `v0=` + hex HMAC-SHA256(secret, "v0:{timestamp}:{body}").
pub(crate) fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    format!(
        "v0={}",
        hmac_hex(secret, format!("v0:{timestamp}:{body}").as_bytes())
    )
}

/// Hex HMAC-SHA256 of `message` keyed with `secret`.
pub(crate) fn hmac_hex(secret: &str, message: &[u8]) -> String {
    // HMAC accepts keys of any length, so this never fails.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// `meeting.updated`'s payload for `before` becoming `after` at `operator_id`'s hands; none
/// when nothing Zoom reports changed.
pub(crate) fn meeting_updated(
    world: &World,
    before: &Meeting,
    after: &Meeting,
    operator_id: &str,
) -> Option<Value> {
    let old_object = changed_fields(&before.event_object(), &after.event_object())?;
    let mut payload = operation(world, &after.host_id, operator_id);
    payload["object"] = Value::Object(after.event_object());
    payload["old_object"] = Value::Object(old_object);
    payload["time_stamp"] = json!(Timestamp::now().as_millisecond());
    Some(payload)
}

/// `meeting.deleted`'s payload for `deleted`, removed by `operator_id`.
pub(crate) fn meeting_deleted(world: &World, deleted: &Meeting, operator_id: &str) -> Value {
    let mut payload = operation(world, &deleted.host_id, operator_id);
    payload["object"] = Value::Object(deleted.event_object());
    payload
}

/// Who did it, in whose account: the common part of meeting notifications.
fn operation(world: &World, host_id: &str, operator_id: &str) -> Value {
    json!({
        "account_id": world.users.get(host_id).map(|host| host.account_id.clone()),
        "operator": world.users.get(operator_id).map(|user| user.email.clone()),
        "operator_id": operator_id,
    })
}

/// `{id, uuid}` plus the previous value of every field that changed; none when nothing did.
fn changed_fields(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Option<Map<String, Value>> {
    let mut old = Map::new();
    for (field, value) in before {
        if after.get(field) != Some(value) {
            old.insert(field.clone(), value.clone());
        }
    }
    if old.is_empty() {
        return None;
    }
    for field in ["id", "uuid"] {
        if let Some(value) = before.get(field) {
            old.insert(field.into(), value.clone());
        }
    }
    Some(old)
}

/// Sends `event` to the subscribed URL, if any, in the background, retrying per the
/// configured delays on 5xx, timeouts and network failures; a 4xx is final.
pub(crate) fn notify(emulator: &Emulator, event: &str, payload: Value) {
    let Some(url) = emulator.world().subscription.url.clone() else {
        return;
    };
    let body = json!({
        "event": event,
        "event_ts": Timestamp::now().as_millisecond(),
        "payload": payload,
    })
    .to_string();
    let work = deliver(emulator.clone(), url.clone(), event.to_owned(), body);
    spawn(emulator, event, &url, work);
}

/// Sends `endpoint.url_validation` to `url` in the background and records whether the
/// endpoint answered with the right `encryptedToken`.
pub(crate) fn validate(emulator: &Emulator, url: String) {
    let work = check_endpoint(emulator.clone(), url.clone());
    spawn(emulator, URL_VALIDATION, &url, work);
}

fn spawn(
    emulator: &Emulator,
    event: &str,
    url: &str,
    work: impl Future<Output = ()> + Send + 'static,
) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(work);
        }
        Err(_) => record(
            emulator,
            event,
            1,
            url,
            Err("no async runtime to deliver from".to_owned()),
        ),
    }
}

async fn deliver(emulator: Emulator, url: String, event: String, body: String) {
    let delays = emulator.config().webhook_retry_delays.clone();
    let mut attempt = 1;
    loop {
        let outcome = post(&emulator, &url, &body).await.map(|(status, _)| status);
        let retry = outcome.as_ref().map_or(true, StatusCode::is_server_error);
        record(
            &emulator,
            &event,
            attempt,
            &url,
            outcome.map(|status| status.as_u16()),
        );
        let delay = delays.get(usize::try_from(attempt - 1).unwrap_or(usize::MAX));
        match delay {
            Some(delay) if retry => tokio::time::sleep(*delay).await,
            _ => return,
        }
        attempt += 1;
    }
}

async fn check_endpoint(emulator: Emulator, url: String) {
    let plain_token = random::zoom_id();
    let body = json!({
        "event": URL_VALIDATION,
        "event_ts": Timestamp::now().as_millisecond(),
        "payload": {"plainToken": plain_token},
    })
    .to_string();
    let outcome = post(&emulator, &url, &body).await;
    let expected = hmac_hex(&emulator.config().webhook_secret, plain_token.as_bytes());
    let verdict = match &outcome {
        Ok((status, reply)) if status.is_success() => {
            let reply: Value = serde_json::from_slice(reply).unwrap_or_default();
            let echoed = reply["plainToken"] == json!(plain_token);
            let encrypted = reply["encryptedToken"] == json!(expected);
            if echoed && encrypted {
                Ok(())
            } else {
                Err("the reply did not carry the plainToken and its encryptedToken".to_owned())
            }
        }
        Ok(_) => Err("the endpoint did not answer 2xx".to_owned()),
        Err(error) => Err(error.clone()),
    };
    let status = outcome.as_ref().ok().map(|(status, _)| status.as_u16());
    let attempt = WebhookAttempt {
        event: URL_VALIDATION.to_owned(),
        attempt: 1,
        url: url.clone(),
        status,
        error: verdict.as_ref().err().cloned(),
        at: emulator.world().now().as_millisecond(),
    };
    let mut world = emulator.world();
    world.subscription.record(attempt);
    if world.subscription.url.as_deref() == Some(url.as_str()) {
        world.subscription.validated = Some(verdict.is_ok());
    }
}

/// One signed POST; the status and body, or why there is none.
async fn post(emulator: &Emulator, url: &str, body: &str) -> Result<(StatusCode, Bytes), String> {
    let client = emulator.http().ok_or("no HTTP client could be built")?;
    let timestamp = Timestamp::now().as_second();
    let signature = signature(&emulator.config().webhook_secret, timestamp, body);
    let response = client
        .post(url)
        .timeout(DELIVERY_TIMEOUT)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("x-zm-request-timestamp", timestamp.to_string())
        .header("x-zm-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    let reply = response.bytes().await.map_err(|error| error.to_string())?;
    Ok((status, reply))
}

fn record(emulator: &Emulator, event: &str, attempt: u32, url: &str, outcome: Result<u16, String>) {
    let mut world = emulator.world();
    let at = world.now().as_millisecond();
    let (status, error) = match outcome {
        Ok(status) => (Some(status), None),
        Err(error) => (None, Some(error)),
    };
    world.subscription.record(WebhookAttempt {
        event: event.to_owned(),
        attempt,
        url: url.to_owned(),
        status,
        error,
        at,
    });
}
