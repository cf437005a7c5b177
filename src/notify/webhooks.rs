//! Webhooks to applications: what each one says ([`AppEvent`]), its outbox row
//! ([`delivery`]), and the worker pass that signs and POSTs due rows
//! ([`Notifier::deliver_due`]).
//!
//! The body is serialized once, when the row is built; every attempt sends exactly those bytes
//! with the same `webhook-id`, a fresh `webhook-timestamp` and a fresh signature. A 2xx answer
//! within the request timeout is success. Anything else — another status (3xx included:
//! redirects are not followed), a network error, a timeout, a refused destination — is retried
//! on the schedule, except `410 Gone`, which Standard Webhooks lets a receiver use to say "stop
//! sending": the delivery is given up at once.

use std::collections::HashMap;
use std::error::Error as _;
use std::time::Instant;

use anyhow::Context as _;
use futures_util::StreamExt as _;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use secrecy::ExposeSecret as _;
use serde::Serialize;
use serde_json::Value;
use url::Url;

use super::destination::{self, Refused};
use super::retry::{later, next_attempt_at};
use super::signature::{SigningKey, SigningKeys};
use super::{Notifier, NotifierSettings, shorten};
use crate::domain::{Link, RemovalReason, Timestamp, new_id};
use crate::store::applications::Application;
use crate::store::deliveries::{AttemptRecord, Attempted, ClaimedDelivery, NewDelivery, NextStep};
use crate::vault::{Purpose, SealContext};

/// Longest error text stored for an attempt.
const MAX_ERROR_CHARS: usize = 300;

/// Something an application is told about.
///
/// More kinds (the `event.conferencing.*` webhooks) join as new variants with their `kind` and
/// `data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppEvent {
    /// An end user connected Zoom: `link.connected`.
    LinkConnected(Link),
    /// The link's Zoom authorization stopped working: `link.needs_reauth`.
    LinkNeedsReauth(Link),
    /// The link is gone, and why: `link.removed`.
    LinkRemoved(Link, RemovalReason),
    /// The event's Zoom meeting exists: `event.conferencing.ready` (the event's JSON).
    ConferencingReady(Value),
    /// The event's Zoom meeting could not be made or kept: `event.conferencing.failed`.
    ConferencingFailed(Value),
    /// The event's Zoom meeting was deleted inside Zoom: `event.conferencing.removed`.
    ConferencingRemoved(Value),
}

impl AppEvent {
    /// The webhook's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            AppEvent::LinkConnected(_) => "link.connected",
            AppEvent::LinkNeedsReauth(_) => "link.needs_reauth",
            AppEvent::LinkRemoved(..) => "link.removed",
            AppEvent::ConferencingReady(_) => "event.conferencing.ready",
            AppEvent::ConferencingFailed(_) => "event.conferencing.failed",
            AppEvent::ConferencingRemoved(_) => "event.conferencing.removed",
        }
    }

    /// The webhook's `data`.
    fn data(&self) -> Value {
        let data = match self {
            AppEvent::LinkConnected(link) | AppEvent::LinkNeedsReauth(link) => {
                serde_json::to_value(link)
            }
            AppEvent::LinkRemoved(link, reason) => serde_json::to_value(RemovedLink {
                link,
                reason: *reason,
            }),
            AppEvent::ConferencingReady(event)
            | AppEvent::ConferencingFailed(event)
            | AppEvent::ConferencingRemoved(event) => Ok(event.clone()),
        };
        // Plain structs of strings and timestamps: serializing them cannot fail.
        data.expect("webhook data serializes to JSON")
    }
}

/// `link.removed` data: the link's fields and `reason`.
#[derive(Serialize)]
struct RemovedLink<'a> {
    #[serde(flatten)]
    link: &'a Link,
    reason: RemovalReason,
}

/// A webhook body: `{type, timestamp, data}`.
#[derive(Serialize)]
struct Body {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: Timestamp,
    data: Value,
}

/// The outbox row telling `application_id` about `event` (pure, no I/O). Insert it with
/// [`insert_deliveries`](crate::store::deliveries::insert_deliveries) in the transaction that
/// makes the change.
///
/// Callers enqueue only for applications that have a webhook URL ([`delivery_for`] checks);
/// a row for one without (its URL removed since) is given up on its first attempt with
/// "application has no webhook URL".
pub fn delivery(application_id: &str, event: &AppEvent, now: Timestamp) -> NewDelivery {
    let body = Body {
        kind: event.kind(),
        timestamp: now,
        data: event.data(),
    };
    NewDelivery {
        id: new_id("msg"),
        application_id: application_id.to_owned(),
        event_type: event.kind().to_owned(),
        // A string key, a timestamp and a JSON value: serializing cannot fail.
        payload: serde_json::to_string(&body).expect("webhook body serializes to JSON"),
        created_at: now,
    }
}

/// The outbox row telling `application` about `event`, or `None` when the application has no
/// webhook URL and so is not told anything (pure, no I/O).
pub fn delivery_for(
    application: &Application,
    event: &AppEvent,
    now: Timestamp,
) -> Option<NewDelivery> {
    application
        .webhook_url
        .as_ref()
        .map(|_| delivery(&application.id, event, now))
}

/// What one pass of [`Notifier::deliver_due`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Acknowledged with a 2xx.
    pub delivered: u32,
    /// Failed this time, with another attempt scheduled.
    pub retrying: u32,
    /// Given up (schedule used up, `410 Gone`, or no webhook URL).
    pub failed: u32,
    /// Attempted, but the outcome could not be written; the lease runs out and the delivery
    /// is attempted again.
    pub unrecorded: u32,
}

impl DeliveryReport {
    /// Deliveries the pass claimed.
    pub fn claimed(&self) -> u64 {
        u64::from(self.delivered + self.retrying + self.failed + self.unrecorded)
    }
}

/// The HTTP client for application webhooks: no redirects, no proxy, and unless private
/// networks are allowed, only public destinations.
pub(super) fn client(settings: &NotifierSettings) -> anyhow::Result<reqwest::Client> {
    // The process uses ring for TLS; installing it twice is harmless (the first one stays).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("convene-webhooks/", env!("CARGO_PKG_VERSION")));
    if !settings.allow_private_networks {
        builder = builder.dns_resolver(destination::resolver());
    }
    builder
        .build()
        .context("cannot build the HTTP client for application webhooks")
}

/// Where one application's webhooks go, as read at the start of a pass.
enum Target {
    Ready { url: Url, key: Box<SigningKeys> },
    Unusable(Failure),
}

/// Why an attempt got no answer.
#[derive(Clone)]
struct Failure {
    message: String,
    /// Retrying cannot help: give up at once.
    permanent: bool,
}

impl Failure {
    fn retry(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }

    fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

impl Notifier {
    /// One worker pass over the webhook outbox: claims due deliveries, POSTs them
    /// (`concurrency` at once) and records the attempts and what follows each in one unit of
    /// work.
    ///
    /// # Errors
    ///
    /// When the outbox or the applications cannot be read. Claimed rows are then retried once
    /// their lease runs out.
    #[tracing::instrument(skip_all)]
    pub async fn deliver_due(&self) -> anyhow::Result<DeliveryReport> {
        let now = Timestamp::now();
        let lease_until = later(now, self.settings.lease(self.settings.request_timeout));
        let claimed = self
            .store
            .claim_due_deliveries(now, lease_until, self.settings.batch_size)
            .await?;
        let mut targets: HashMap<String, Target> = HashMap::new();
        for delivery in &claimed {
            if !targets.contains_key(&delivery.application_id) {
                let target = self.target(&delivery.application_id).await?;
                targets.insert(delivery.application_id.clone(), target);
            }
        }
        // The futures are made before the stream runs them: a stream mapping a closure over
        // borrowed rows would make this future not `Send` (rustc cannot prove it for every
        // lifetime), and the pass must run on a spawned task.
        let attempts: Vec<_> = claimed
            .iter()
            .map(|delivery| self.attempt(delivery, targets.get(&delivery.application_id)))
            .collect();
        let attempted: Vec<Attempted> = futures_util::stream::iter(attempts)
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut report = DeliveryReport::default();
        for attempt in &attempted {
            match attempt.next {
                NextStep::Delivered => report.delivered += 1,
                NextStep::RetryAt(_) => report.retrying += 1,
                NextStep::GiveUp => report.failed += 1,
            }
        }
        if let Err(error) = self.store.record_delivery_attempts(attempted).await {
            tracing::warn!(error = ?error, "could not record the pass's webhook attempts; they will be made again");
            report = DeliveryReport {
                unrecorded: u32::try_from(report.claimed()).unwrap_or(u32::MAX),
                ..DeliveryReport::default()
            };
        }
        Ok(report)
    }

    /// The URL and signing key of an application, or why its webhooks cannot be sent.
    #[tracing::instrument(skip(self))]
    async fn target(&self, application_id: &str) -> anyhow::Result<Target> {
        let Some(application) = self.store.find_application(application_id).await? else {
            return Ok(Target::Unusable(Failure::permanent(
                "application no longer exists",
            )));
        };
        let Some(raw_url) = application.webhook_url.as_deref() else {
            return Ok(Target::Unusable(Failure::permanent(
                "application has no webhook URL",
            )));
        };
        let Ok(url) = Url::parse(raw_url) else {
            return Ok(Target::Unusable(Failure::retry(
                "the application's webhook URL is not a valid URL",
            )));
        };
        let context = SealContext::new(Purpose::WebhookSecret, &application.id);
        // A secret that cannot be opened (a key dropped from CONVENE_MASTER_KEYS too early) may
        // open again once the operator restores the key, so those deliveries are retried.
        let key = match self.vault.open_str(&application.webhook_secret, &context) {
            Ok(secret) => SigningKey::from_secret(secret.expose_secret())
                .map_err(|malformed| Failure::retry(malformed.to_string())),
            Err(error) => Err(Failure::retry(format!(
                "the webhook secret cannot be opened: {error}"
            ))),
        };
        let current = match key {
            Ok(key) => key,
            Err(failure) => return Ok(Target::Unusable(failure)),
        };
        let previous = self.previous_key(&application.id, &context).await?;
        Ok(Target::Ready {
            url,
            key: Box::new(SigningKeys { current, previous }),
        })
    }

    /// The application's previous signing key while a secret rotation's overlap lasts. One that
    /// cannot be opened is left out (the current key still signs), and said so in the log.
    async fn previous_key(
        &self,
        application_id: &str,
        context: &SealContext<'_>,
    ) -> anyhow::Result<Option<SigningKey>> {
        let Some(overlap) = self
            .store
            .webhook_secret_overlap(application_id, Timestamp::now())
            .await?
        else {
            return Ok(None);
        };
        let opened = self
            .vault
            .open_str(&overlap.previous_secret, context)
            .map_err(|error| error.to_string())
            .and_then(|secret| {
                SigningKey::from_secret(secret.expose_secret()).map_err(|error| error.to_string())
            });
        Ok(match opened {
            Ok(key) => Some(key),
            Err(error) => {
                tracing::warn!(%error, "the previous webhook secret cannot sign");
                None
            }
        })
    }

    /// Makes one attempt; returns it with what follows, for the pass to record.
    #[tracing::instrument(skip_all, fields(
        delivery_id = %delivery.id,
        application_id = %delivery.application_id,
        event_type = %delivery.event_type,
        attempt = delivery.attempts + 1,
    ))]
    async fn attempt(&self, delivery: &ClaimedDelivery, target: Option<&Target>) -> Attempted {
        let attempted_at = Timestamp::now();
        let started = Instant::now();
        let answer = match target {
            Some(Target::Ready { url, key }) => self.post(delivery, url, key).await,
            Some(Target::Unusable(failure)) => Err(failure.clone()),
            None => Err(Failure::permanent("application no longer exists")),
        };
        let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let failures = u32::try_from(delivery.attempts.saturating_add(1)).unwrap_or(u32::MAX);
        let retry_or_give_up = || {
            next_attempt_at(&self.settings.retry_schedule, failures, Timestamp::now())
                .map_or(NextStep::GiveUp, NextStep::RetryAt)
        };
        let (response_status, error, next) = match answer {
            Ok(status) if (200..300).contains(&status) => (Some(status), None, NextStep::Delivered),
            Ok(410) => (
                Some(410),
                Some("answered 410 Gone: the application wants no more deliveries".to_owned()),
                NextStep::GiveUp,
            ),
            Ok(status) if (300..400).contains(&status) => (
                Some(status),
                Some(format!("answered {status}; redirects are not followed")),
                retry_or_give_up(),
            ),
            Ok(status) => (
                Some(status),
                Some(format!("answered {status}")),
                retry_or_give_up(),
            ),
            Err(failure) if failure.permanent => (None, Some(failure.message), NextStep::GiveUp),
            Err(failure) => (None, Some(failure.message), retry_or_give_up()),
        };
        match (&next, &error) {
            (NextStep::Delivered, _) => tracing::debug!("webhook delivered"),
            (NextStep::RetryAt(at), Some(error)) => {
                tracing::info!(%error, retry_at = %at.to_rfc3339(), "webhook attempt failed");
            }
            (_, error) => tracing::warn!(?error, "webhook delivery given up"),
        }
        Attempted {
            delivery: delivery.clone(),
            record: AttemptRecord {
                attempted_at,
                duration_ms,
                response_status,
                error: error.map(|error| shorten(&error, MAX_ERROR_CHARS)),
            },
            next,
        }
    }

    /// Signs and POSTs the stored body; the answer's status, or why there was none.
    async fn post(
        &self,
        delivery: &ClaimedDelivery,
        url: &Url,
        key: &SigningKeys,
    ) -> Result<u16, Failure> {
        if !self.settings.allow_private_networks {
            destination::check_literal(url)
                .map_err(|refused| Failure::retry(refused.to_string()))?;
        }
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut signature =
            HeaderValue::try_from(key.sign(&delivery.id, timestamp, &delivery.payload))
                .map_err(|_| Failure::retry("the signature is not a valid header value"))?;
        signature.set_sensitive(true);
        let response = self
            .http
            .post(url.clone())
            .header("webhook-id", delivery.id.as_str())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header(CONTENT_TYPE, "application/json")
            .body(delivery.payload.clone())
            .send()
            .await
            .map_err(|error| Failure::retry(describe(&error)))?;
        Ok(response.status().as_u16())
    }
}

/// A short account of a failed request, without its URL (which may carry a token of the
/// application's).
fn describe(error: &reqwest::Error) -> String {
    let mut innermost = None;
    let mut cause = error.source();
    while let Some(current) = cause {
        // A refused destination says so plainly, wherever reqwest wrapped it.
        if let Some(refused) = current.downcast_ref::<Refused>() {
            return refused.to_string();
        }
        innermost = Some(current);
        cause = current.source();
    }
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    match innermost {
        Some(cause) => format!("{what}: {cause}"),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LinkedAccount;

    fn link() -> Link {
        Link {
            id: "lnk_1".to_owned(),
            end_user_id: "therapist-42".to_owned(),
            provider: "zoom".to_owned(),
            status: "active".to_owned(),
            account: LinkedAccount {
                email: "pat@example.org".to_owned(),
                display_name: "Pat Doe".to_owned(),
            },
            connected_at: Timestamp(1_795_000_000_000),
        }
    }

    #[test]
    fn a_delivery_carries_type_timestamp_and_data_in_order() {
        let now = Timestamp(1_795_000_123_000);
        let row = delivery("app_1", &AppEvent::LinkConnected(link()), now);
        assert!(row.id.starts_with("msg_"), "{}", row.id);
        assert_eq!(row.application_id, "app_1");
        assert_eq!(row.event_type, "link.connected");
        assert_eq!(row.created_at, now);
        assert!(
            row.payload
                .starts_with(r#"{"type":"link.connected","timestamp":""#),
            "{}",
            row.payload
        );
        let body: Value = serde_json::from_str(&row.payload).unwrap();
        assert_eq!(body["timestamp"], now.to_rfc3339());
        assert_eq!(body["data"]["id"], "lnk_1");
        assert_eq!(body["data"]["account"]["email"], "pat@example.org");
        assert!(body["data"].get("reason").is_none());
    }

    #[test]
    fn each_event_has_its_type_and_removal_carries_a_reason() {
        let now = Timestamp(0);
        let needs = delivery("app_1", &AppEvent::LinkNeedsReauth(link()), now);
        assert_eq!(needs.event_type, "link.needs_reauth");
        let removed = delivery(
            "app_1",
            &AppEvent::LinkRemoved(link(), RemovalReason::ProviderDeauthorized),
            now,
        );
        assert_eq!(removed.event_type, "link.removed");
        let body: Value = serde_json::from_str(&removed.payload).unwrap();
        assert_eq!(body["type"], "link.removed");
        assert_eq!(body["data"]["reason"], "provider_deauthorized");
        assert_eq!(body["data"]["end_user_id"], "therapist-42");
    }

    #[test]
    fn every_delivery_gets_its_own_message_id() {
        let event = AppEvent::LinkConnected(link());
        let now = Timestamp(0);
        assert_ne!(
            delivery("app_1", &event, now).id,
            delivery("app_1", &event, now).id
        );
    }
}
