//! Webhooks to applications and emails to end users, worked from their outboxes by a
//! `Notifier` built over the test hub's database (the hub's own worker is slowed to an hour so
//! that only the test's passes run).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use convene::config::Config;
use convene::domain::{Link, LinkedAccount, RemovalReason, Timestamp};
use convene::notify::{self, AppEvent, DeliveryReport, Notifier, NotifierSettings, SmtpRelay};
use convene::store::Store;
use convene::store::deliveries::{self, Delivery, DeliveryAttempt};
use convene::vault::KeyRing;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ConnectionTrait, TransactionTrait};
use secrecy::SecretString;
use serde_json::Value;
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{TestApp, spawn_app_with};

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub content_type: String,
    pub body: String,
}

/// What the receiver answers: the scripted statuses in order, then `then`.
struct Script {
    statuses: VecDeque<u16>,
    then: u16,
    delay: Duration,
    requests: Vec<Received>,
}

/// An application's webhook endpoint on 127.0.0.1 that records requests.
pub struct Receiver {
    port: u16,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    pub async fn start(statuses: &[u16], then: u16) -> Self {
        Self::start_slow(statuses, then, Duration::ZERO).await
    }

    async fn start_slow(statuses: &[u16], then: u16, delay: Duration) -> Self {
        let script = Arc::new(Mutex::new(Script {
            statuses: statuses.iter().copied().collect(),
            then,
            delay,
            requests: Vec::new(),
        }));
        let router = Router::new()
            .route("/hook", post(receive))
            .with_state(script.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { port, script }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn requests(&self) -> Vec<Received> {
        self.script.lock().unwrap().requests.clone()
    }
}

async fn receive(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (status, delay) = {
        let mut script = script.lock().unwrap();
        script.requests.push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            content_type: header("content-type"),
            body,
        });
        let status = script.statuses.pop_front().unwrap_or(script.then);
        (status, script.delay)
    };
    tokio::time::sleep(delay).await;
    StatusCode::from_u16(status).unwrap()
}

/// The hub, with its own outbox worker kept out of the way.
async fn spawn_hub() -> TestApp {
    spawn_app_with(|config| config.tuning.outbox_poll = Duration::from_secs(3600)).await
}

/// Settings for tests: a retry schedule in milliseconds, private networks allowed.
fn settings(schedule_ms: &[u64]) -> NotifierSettings {
    NotifierSettings {
        retry_schedule: schedule_ms
            .iter()
            .copied()
            .map(Duration::from_millis)
            .collect(),
        allow_private_networks: true,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        ..NotifierSettings::default()
    }
}

fn notifier(app: &TestApp, settings: NotifierSettings) -> Notifier {
    notifier_on(app.store.clone(), app, settings)
}

fn notifier_on(store: Store, app: &TestApp, settings: NotifierSettings) -> Notifier {
    let vault = KeyRing::parse(&app.master_keys).unwrap();
    Notifier::new(store, vault, settings, None).unwrap()
}

fn link() -> Link {
    Link {
        id: "lnk_0193aaaabbbbccccddddeeeeffff0000".to_owned(),
        end_user_id: "therapist-42".to_owned(),
        provider: "zoom".to_owned(),
        status: "active".to_owned(),
        account: LinkedAccount {
            email: "pat@example.org".to_owned(),
            display_name: "Pat Doe".to_owned(),
        },
        connected_at: Timestamp::now(),
    }
}

/// Puts one `link.connected` for the application in the outbox; returns its id.
pub async fn enqueue_link_connected(app: &TestApp, application_id: &str) -> String {
    let row = notify::delivery(
        application_id,
        &AppEvent::LinkConnected(link()),
        Timestamp::now(),
    );
    let id = row.id.clone();
    app.store.enqueue_deliveries(vec![row]).await.unwrap();
    id
}

async fn delivery(app: &TestApp, id: &str) -> Delivery {
    app.store.find_delivery(id).await.unwrap().unwrap()
}

async fn attempts(app: &TestApp, id: &str) -> Vec<DeliveryAttempt> {
    app.store.list_delivery_attempts(id).await.unwrap()
}

/// Checks the signature with its own HMAC, as an application would.
pub fn assert_signed(secret: &str, received: &Received) {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .unwrap();
    let signature = received
        .signature
        .strip_prefix("v1,")
        .expect("v1, signature");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", received.id, received.timestamp, received.body).as_bytes());
    mac.verify_slice(&STANDARD.decode(signature).unwrap())
        .expect("signature verifies");
    let sent_at: i64 = received.timestamp.parse().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        (now - sent_at).abs() < 60,
        "timestamp {sent_at} vs now {now}"
    );
}

/// Checks that a delivery carries one signature by each of `secrets`, in that order (as during
/// a webhook secret rotation's overlap: the current secret's first).
pub fn assert_signed_by_each(secrets: &[&str], received: &Received) {
    let signatures: Vec<&str> = received.signature.split(' ').collect();
    assert_eq!(signatures.len(), secrets.len(), "{}", received.signature);
    for (signature, secret) in signatures.into_iter().zip(secrets) {
        let one = Received {
            signature: signature.to_owned(),
            ..received.clone()
        };
        assert_signed(secret, &one);
    }
}

/// Runs passes until the delivery leaves `pending` (waiting for each retry to fall due).
async fn deliver_until_settled(
    app: &TestApp,
    notifier: &Notifier,
    id: &str,
) -> Vec<DeliveryReport> {
    let mut reports = Vec::new();
    for _ in 0..50 {
        let report = notifier.deliver_due().await.unwrap();
        if report != DeliveryReport::default() {
            reports.push(report);
        }
        if delivery(app, id).await.status != deliveries::status::PENDING {
            return reports;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    panic!("delivery {id} still pending after {reports:?}");
}

#[tokio::test]
async fn a_webhook_is_signed_as_standard_webhooks_and_carries_the_link() {
    let app = spawn_hub().await;
    let receiver = Receiver::start(&[], 200).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let id = enqueue_link_connected(&app, &tenant.id).await;

    let report = notifier(&app, settings(&[50])).deliver_due().await.unwrap();

    assert_eq!(
        report,
        DeliveryReport {
            delivered: 1,
            ..DeliveryReport::default()
        }
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let received = &requests[0];
    assert_eq!(received.id, id);
    assert!(id.starts_with("msg_"), "{id}");
    assert_eq!(received.content_type, "application/json");
    assert_signed(&tenant.webhook_secret, received);
    let body: Value = serde_json::from_str(&received.body).unwrap();
    assert_eq!(body["type"], "link.connected");
    assert!(
        time::OffsetDateTime::parse(
            body["timestamp"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok(),
        "{body}"
    );
    let data = &body["data"];
    assert_eq!(data["id"], "lnk_0193aaaabbbbccccddddeeeeffff0000");
    assert_eq!(data["end_user_id"], "therapist-42");
    assert_eq!(data["provider"], "zoom");
    assert_eq!(data["status"], "active");
    assert_eq!(data["account"]["email"], "pat@example.org");
    assert_eq!(data["account"]["display_name"], "Pat Doe");
    assert!(data["connected_at"].is_string(), "{data}");

    let stored = delivery(&app, &id).await;
    assert_eq!(stored.status, "delivered");
    assert_eq!(stored.attempts, 1);
    assert_eq!(
        stored.payload, received.body,
        "the stored bytes are the bytes sent"
    );
    assert!(stored.delivered_at.is_some());
    assert_eq!(stored.next_attempt_at, None);
    assert_eq!(stored.lease_until, None);
    let logged = attempts(&app, &id).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].response_status, Some(200));
    assert_eq!(logged[0].error, None);
}

#[tokio::test]
async fn a_link_removed_webhook_says_why() {
    let app = spawn_hub().await;
    let receiver = Receiver::start(&[], 204).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let row = notify::delivery(
        &tenant.id,
        &AppEvent::LinkRemoved(link(), RemovalReason::EndUser),
        Timestamp::now(),
    );
    app.store.enqueue_deliveries(vec![row]).await.unwrap();

    notifier(&app, settings(&[50])).deliver_due().await.unwrap();

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_signed(&tenant.webhook_secret, &requests[0]);
    let body: Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(body["type"], "link.removed");
    assert_eq!(body["data"]["reason"], "end_user");
    assert_eq!(body["data"]["id"], "lnk_0193aaaabbbbccccddddeeeeffff0000");
}

#[tokio::test]
async fn a_webhook_answered_500_is_retried_on_schedule_with_the_same_id_and_body() {
    let app = spawn_hub().await;
    let receiver = Receiver::start(&[500, 500], 200).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let id = enqueue_link_connected(&app, &tenant.id).await;
    let notifier = notifier(&app, settings(&[300, 300, 300]));

    let first = notifier.deliver_due().await.unwrap();
    assert_eq!(
        first,
        DeliveryReport {
            retrying: 1,
            ..DeliveryReport::default()
        }
    );
    let waiting = delivery(&app, &id).await;
    assert_eq!(waiting.status, "pending");
    assert_eq!(waiting.attempts, 1);
    assert_eq!(waiting.last_response_status, Some(500));
    assert_eq!(waiting.lease_until, None);
    let due = waiting.next_attempt_at.unwrap().0 - waiting.last_attempt_at.unwrap().0;
    assert!((200..=400).contains(&due), "retry due after {due} ms");
    let early = notifier.deliver_due().await.unwrap();
    assert_eq!(
        early,
        DeliveryReport::default(),
        "not retried before it is due"
    );

    deliver_until_settled(&app, &notifier, &id).await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    for received in &requests {
        assert_eq!(received.id, id, "the same webhook-id on every attempt");
        assert_eq!(
            received.body, requests[0].body,
            "the same body on every attempt"
        );
        assert_signed(&tenant.webhook_secret, received);
    }
    let stored = delivery(&app, &id).await;
    assert_eq!(stored.status, "delivered");
    assert_eq!(stored.attempts, 3);
    let statuses: Vec<_> = attempts(&app, &id)
        .await
        .iter()
        .map(|attempt| attempt.response_status)
        .collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_given_up_when_the_schedule_is_used_up() {
    let app = spawn_hub().await;
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let tenant = app.create_tenant_with_webhook("Calm", &url).await;
    let id = enqueue_link_connected(&app, &tenant.id).await;

    let reports = deliver_until_settled(&app, &notifier(&app, settings(&[50, 50])), &id).await;

    assert_eq!(reports.len(), 3, "{reports:?}");
    assert_eq!(
        reports[2],
        DeliveryReport {
            failed: 1,
            ..DeliveryReport::default()
        }
    );
    let stored = delivery(&app, &id).await;
    assert_eq!(stored.status, "failed");
    assert_eq!(stored.attempts, 3);
    assert_eq!(stored.next_attempt_at, None);
    assert_eq!(stored.last_response_status, None);
    let logged = attempts(&app, &id).await;
    assert_eq!(logged.len(), 3);
    for attempt in &logged {
        assert_eq!(attempt.response_status, None);
        let error = attempt.error.as_deref().unwrap();
        assert!(error.starts_with("could not connect"), "{error}");
        assert!(!error.contains(&url), "no URL in errors: {error}");
    }
    assert_eq!(stored.last_error, logged[2].error);
}

#[tokio::test]
async fn a_webhook_that_keeps_failing_is_given_up_with_every_attempt_recorded() {
    let app = spawn_hub().await;
    let receiver = Receiver::start(&[], 503).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let id = enqueue_link_connected(&app, &tenant.id).await;

    deliver_until_settled(&app, &notifier(&app, settings(&[30, 30, 30])), &id).await;

    assert_eq!(receiver.requests().len(), 4);
    let stored = delivery(&app, &id).await;
    assert_eq!(stored.status, "failed");
    assert_eq!(stored.attempts, 4);
    assert_eq!(stored.last_error.as_deref(), Some("answered 503"));
    let logged = attempts(&app, &id).await;
    assert_eq!(logged.len(), 4);
    assert!(
        logged
            .iter()
            .all(|attempt| attempt.response_status == Some(503))
    );
    assert!(
        logged
            .windows(2)
            .all(|pair| pair[0].attempted_at <= pair[1].attempted_at)
    );
}

#[tokio::test]
async fn a_410_gone_stops_deliveries_at_once() {
    let app = spawn_hub().await;
    let receiver = Receiver::start(&[], 410).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let id = enqueue_link_connected(&app, &tenant.id).await;

    let report = notifier(&app, settings(&[30, 30]))
        .deliver_due()
        .await
        .unwrap();

    assert_eq!(
        report,
        DeliveryReport {
            failed: 1,
            ..DeliveryReport::default()
        }
    );
    let stored = delivery(&app, &id).await;
    assert_eq!(stored.status, "failed");
    assert_eq!(stored.attempts, 1);
    assert_eq!(stored.last_response_status, Some(410));
}

#[tokio::test]
async fn a_redirect_is_a_failure_and_is_not_followed() {
    let app = spawn_hub().await;
    let receiver = Receiver::start(&[307], 200).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let id = enqueue_link_connected(&app, &tenant.id).await;

    let report = notifier(&app, settings(&[60_000]))
        .deliver_due()
        .await
        .unwrap();

    assert_eq!(
        report,
        DeliveryReport {
            retrying: 1,
            ..DeliveryReport::default()
        }
    );
    assert_eq!(receiver.requests().len(), 1);
    let stored = delivery(&app, &id).await;
    assert_eq!(stored.last_response_status, Some(307));
    assert!(
        stored
            .last_error
            .unwrap()
            .contains("redirects are not followed")
    );
}

#[tokio::test]
async fn stored_deliveries_and_attempts_hold_no_secret_or_signature() {
    let app = spawn_hub().await;
    let receiver = Receiver::start(&[500], 200).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let id = enqueue_link_connected(&app, &tenant.id).await;

    deliver_until_settled(&app, &notifier(&app, settings(&[30])), &id).await;

    let stored = format!(
        "{:?} {:?}",
        delivery(&app, &id).await,
        attempts(&app, &id).await
    );
    let key = tenant.webhook_secret.strip_prefix("whsec_").unwrap();
    let mut forbidden = vec![tenant.webhook_secret.clone(), key.to_owned()];
    for received in receiver.requests() {
        forbidden.push(received.signature.clone());
        forbidden.push(received.signature.trim_start_matches("v1,").to_owned());
    }
    assert_eq!(forbidden.len(), 6);
    for secret in forbidden {
        assert!(!stored.contains(&secret), "stored rows contain {secret}");
    }
}

#[tokio::test]
async fn two_notifiers_working_at_once_deliver_each_webhook_once() {
    let app = spawn_hub().await;
    let receiver = Receiver::start_slow(&[], 200, Duration::from_millis(20)).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let mut ids = Vec::new();
    for _ in 0..30 {
        ids.push(enqueue_link_connected(&app, &tenant.id).await);
    }
    let other_store = convene::startup::open_store(
        &Config::from_vars([("CONVENE_DATABASE_URL".to_owned(), app.database_url.clone())])
            .unwrap(),
    )
    .await
    .unwrap();
    let narrow = || NotifierSettings {
        batch_size: 8,
        concurrency: 4,
        ..settings(&[60_000])
    };
    let first = Arc::new(notifier(&app, narrow()));
    let second = Arc::new(notifier_on(other_store, &app, narrow()));

    let work = |notifier: Arc<Notifier>| {
        tokio::spawn(async move {
            let mut delivered = 0;
            for _ in 0..20 {
                delivered += notifier.deliver_due().await.unwrap().delivered;
            }
            delivered
        })
    };
    let (a, b) = tokio::join!(work(first), work(second));
    let (a, b) = (a.unwrap(), b.unwrap());

    assert_eq!(a + b, 30, "first delivered {a}, second {b}");
    let mut counts: HashMap<String, usize> = HashMap::new();
    for received in receiver.requests() {
        *counts.entry(received.id).or_default() += 1;
    }
    assert_eq!(counts.len(), 30);
    for id in &ids {
        assert_eq!(
            counts.get(id),
            Some(&1),
            "{id} delivered {:?} times",
            counts.get(id)
        );
        assert_eq!(delivery(&app, id).await.attempts, 1);
    }
}

/// Passes over an empty outbox leave PostgreSQL a plan made for an empty table; a later claim
/// still takes no more than the batch its lease was sized for.
#[tokio::test]
async fn a_claim_planned_on_an_empty_outbox_still_takes_no_more_than_its_limit() {
    let app = spawn_hub().await;
    let tenant = app
        .create_tenant_with_webhook("Calm", "https://hooks.example.org/convene")
        .await;
    let now = Timestamp::now();
    let lease_until = now.plus(Duration::from_secs(30));
    for _ in 0..10 {
        let claimed = app.store.claim_due_deliveries(now, lease_until, 3).await;
        assert!(claimed.unwrap().is_empty());
    }
    for _ in 0..8 {
        enqueue_link_connected(&app, &tenant.id).await;
    }

    let now = Timestamp::now();
    let lease_until = now.plus(Duration::from_secs(30));
    let claimed = app.store.claim_due_deliveries(now, lease_until, 3).await;
    assert_eq!(claimed.unwrap().len(), 3);
    let rest = app.store.claim_due_deliveries(now, lease_until, 10).await;
    assert_eq!(rest.unwrap().len(), 5, "the others were left unclaimed");
}

#[tokio::test]
async fn a_pass_records_each_outcome_and_leaves_a_lost_lease_to_its_new_holder() {
    let app = spawn_hub().await;
    let tenant = app
        .create_tenant_with_webhook("Calm", "https://hooks.example.org/convene")
        .await;
    for _ in 0..4 {
        enqueue_link_connected(&app, &tenant.id).await;
    }
    let now = Timestamp::now();
    let lease_until = now.plus(Duration::from_secs(30));
    let claimed = app
        .store
        .claim_due_deliveries(now, lease_until, 10)
        .await
        .unwrap();
    let [delivered, retried, lost, deleted] = <[_; 4]>::try_from(claimed).unwrap();
    // Another worker took one after its lease ran out; one was deleted meanwhile.
    let new_lease = lease_until.plus(Duration::from_secs(60));
    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE webhook_deliveries SET lease_until = {} WHERE id = '{}'",
            new_lease.0, lost.id
        ))
        .await
        .unwrap();
    app.store
        .connection()
        .execute_unprepared(&format!(
            "DELETE FROM webhook_deliveries WHERE id = '{}'",
            deleted.id
        ))
        .await
        .unwrap();
    let lost_due = delivery(&app, &lost.id).await.next_attempt_at;
    let retry_at = now.plus(Duration::from_secs(5));
    let attempted =
        |delivery: &deliveries::ClaimedDelivery, status: u16, next| deliveries::Attempted {
            delivery: delivery.clone(),
            record: deliveries::AttemptRecord {
                attempted_at: now,
                duration_ms: 7,
                response_status: Some(status),
                error: (status != 204).then(|| format!("answered {status}")),
            },
            next,
        };

    app.store
        .record_delivery_attempts(vec![
            attempted(&delivered, 204, deliveries::NextStep::Delivered),
            attempted(&retried, 503, deliveries::NextStep::RetryAt(retry_at)),
            attempted(&lost, 503, deliveries::NextStep::GiveUp),
            attempted(&deleted, 204, deliveries::NextStep::Delivered),
        ])
        .await
        .unwrap();

    // (status, attempts, next attempt, lease, delivered at)
    let state = |row: &Delivery| {
        (
            row.status.clone(),
            row.attempts,
            row.next_attempt_at,
            row.lease_until,
            row.delivered_at,
        )
    };
    let pending = deliveries::status::PENDING.to_owned();
    assert_eq!(
        state(&delivery(&app, &delivered.id).await),
        (
            deliveries::status::DELIVERED.to_owned(),
            1,
            None,
            None,
            Some(now)
        ),
    );
    let row = delivery(&app, &retried.id).await;
    assert_eq!(
        state(&row),
        (pending.clone(), 1, Some(retry_at), None, None)
    );
    assert_eq!(
        (row.last_response_status, row.last_error.as_deref()),
        (Some(503), Some("answered 503"))
    );
    assert_eq!(
        state(&delivery(&app, &lost.id).await),
        (pending, 0, lost_due, Some(new_lease), None),
        "a lost lease's delivery is its new holder's to move on"
    );
    for id in [&delivered.id, &retried.id, &lost.id] {
        let logged = attempts(&app, id).await;
        assert_eq!(logged.len(), 1, "{id}: {logged:?}");
        assert_eq!(logged[0].duration_ms, 7);
    }
    assert!(
        app.store
            .find_delivery(&deleted.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(attempts(&app, &deleted.id).await.is_empty());
}

#[tokio::test]
async fn a_pass_with_nothing_due_only_claims() {
    let app = spawn_hub().await;
    let notifier = notifier(&app, settings(&[60_000]));
    let before = app.store.counted();

    let report = notifier.deliver_due().await.unwrap();

    assert_eq!(report, DeliveryReport::default());
    let spent = app.store.counted().since(before);
    assert_eq!(
        (spent.statements, spent.write_transactions),
        (1, 1),
        "the claim, and no transaction to record nothing"
    );
}

#[tokio::test]
async fn webhooks_to_non_public_addresses_are_refused_without_connecting() {
    let app = spawn_hub().await;
    let receiver = Receiver::start(&[], 200).await;
    let port = receiver.port;
    let mut ids = Vec::new();
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        format!("http://[::1]:{port}/hook"),
        "http://10.0.0.1/hook".to_owned(),
    ] {
        let tenant = app.create_tenant_with_webhook("Calm", &url).await;
        ids.push((url, enqueue_link_connected(&app, &tenant.id).await));
    }
    let guarded = NotifierSettings {
        allow_private_networks: false,
        connect_timeout: Duration::from_secs(5),
        ..settings(&[60_000])
    };

    let started = Instant::now();
    let report = notifier(&app, guarded).deliver_due().await.unwrap();

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no connection was tried (took {:?})",
        started.elapsed()
    );
    assert_eq!(
        report,
        DeliveryReport {
            retrying: 5,
            ..DeliveryReport::default()
        }
    );
    assert!(receiver.requests().is_empty());
    for (url, id) in ids {
        let logged = attempts(&app, &id).await;
        assert_eq!(logged.len(), 1, "{url}");
        assert_eq!(logged[0].response_status, None, "{url}");
        let error = logged[0].error.as_deref().unwrap();
        assert!(error.starts_with("destination refused:"), "{url}: {error}");
        assert!(
            error.contains("not a public address") || error.contains("non-public"),
            "{url}: {error}"
        );
    }
}

#[tokio::test]
async fn webhooks_to_private_addresses_are_delivered_when_allowed() {
    let app = spawn_hub().await;
    let receiver = Receiver::start(&[], 200).await;
    for url in [
        receiver.url(),
        format!("http://localhost:{}/hook", receiver.port),
    ] {
        let tenant = app.create_tenant_with_webhook("Calm", &url).await;
        enqueue_link_connected(&app, &tenant.id).await;
    }

    let report = notifier(&app, settings(&[50])).deliver_due().await.unwrap();

    assert_eq!(
        report,
        DeliveryReport {
            delivered: 2,
            ..DeliveryReport::default()
        }
    );
    assert_eq!(receiver.requests().len(), 2);
}

#[tokio::test]
async fn an_application_without_a_webhook_url_gets_no_delivery_and_a_stray_one_fails() {
    let app = spawn_hub().await;
    let tenant = app.create_tenant("Quiet").await;
    let application = app
        .store
        .find_application(&tenant.id)
        .await
        .unwrap()
        .unwrap();
    let event = AppEvent::LinkConnected(link());
    assert_eq!(
        notify::delivery_for(&application, &event, Timestamp::now()),
        None
    );
    let id = enqueue_link_connected(&app, &tenant.id).await;

    let report = notifier(&app, settings(&[50])).deliver_due().await.unwrap();

    assert_eq!(
        report,
        DeliveryReport {
            failed: 1,
            ..DeliveryReport::default()
        }
    );
    let stored = delivery(&app, &id).await;
    assert_eq!(stored.status, "failed");
    assert_eq!(
        stored.last_error.as_deref(),
        Some("application has no webhook URL")
    );
}

#[tokio::test]
async fn notifications_of_a_rolled_back_transaction_are_never_sent() {
    let app = spawn_hub().await;
    let receiver = Receiver::start(&[], 200).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let row = notify::delivery(
        &tenant.id,
        &AppEvent::LinkConnected(link()),
        Timestamp::now(),
    );
    let id = row.id.clone();
    let email = notify::email("pat@example.org", "Connected", "Hello", Timestamp::now());
    let email_id = email.id.clone();

    let txn = app.store.connection().begin().await.unwrap();
    deliveries::insert_deliveries(&txn, vec![row])
        .await
        .unwrap();
    convene::store::emails::insert_emails(&txn, vec![email])
        .await
        .unwrap();
    txn.rollback().await.unwrap();

    let notifier = notifier(&app, settings(&[50]));
    assert_eq!(
        notifier.deliver_due().await.unwrap(),
        DeliveryReport::default()
    );
    assert_eq!(notifier.send_due_emails().await.unwrap(), 0);
    assert!(receiver.requests().is_empty());
    assert!(app.store.find_delivery(&id).await.unwrap().is_none());
    assert!(app.store.find_email(&email_id).await.unwrap().is_none());
}

#[tokio::test]
async fn emails_are_kept_in_the_database_without_an_smtp_server() {
    let app = spawn_hub().await;
    let row = notify::email(
        "pat@example.org",
        "Calm is connected to your Zoom account",
        "Hello Pat",
        Timestamp::now(),
    );
    let id = row.id.clone();
    app.store.enqueue_emails(vec![row]).await.unwrap();

    let handled = notifier(&app, settings(&[50]))
        .send_due_emails()
        .await
        .unwrap();

    assert_eq!(handled, 1);
    let stored = app.store.find_email(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, "kept");
    assert_eq!(stored.subject, "Calm is connected to your Zoom account");
    assert_eq!(stored.body_text, "Hello Pat");
    assert_eq!(stored.sent_at, None);
}

#[tokio::test]
async fn emails_are_sent_through_the_smtp_server() {
    let app = spawn_hub().await;
    let (port, transcript) = smtp_sink().await;
    let relay = SmtpRelay::new(
        &SecretString::from(format!("smtp://127.0.0.1:{port}")),
        "Convene <no-reply@hub.example.com>",
    )
    .unwrap();
    let notifier = Arc::new(
        Notifier::new(
            app.store.clone(),
            KeyRing::parse(&app.master_keys).unwrap(),
            settings(&[50]),
            Some(relay),
        )
        .unwrap(),
    );
    let row = notify::email(
        "pat@example.org",
        "Calm is connected to your Zoom account",
        "Hello Pat",
        Timestamp::now(),
    );
    let id = row.id.clone();
    app.store.enqueue_emails(vec![row]).await.unwrap();

    // On a spawned task, as the hub's worker runs it.
    let worker = notifier.clone();
    let sent = tokio::spawn(async move { worker.send_due_emails().await })
        .await
        .unwrap()
        .unwrap();

    assert_eq!(sent, 1);
    let stored = app.store.find_email(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, "sent");
    assert_eq!(stored.attempts, 1);
    assert!(stored.sent_at.is_some());
    let transcript = transcript.lock().unwrap().clone();
    assert!(
        transcript.contains("MAIL FROM:<no-reply@hub.example.com>"),
        "{transcript}"
    );
    assert!(
        transcript.contains("RCPT TO:<pat@example.org>"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Subject: Calm is connected to your Zoom account"),
        "{transcript}"
    );
    assert!(transcript.contains("Hello Pat"), "{transcript}");
}

/// A TCP listener speaking just enough SMTP to accept mail; returns its port and what it heard.
async fn smtp_sink() -> (u16, Arc<Mutex<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let transcript = Arc::new(Mutex::new(String::new()));
    let heard = transcript.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(smtp_session(socket, heard.clone()));
        }
    });
    (port, transcript)
}

async fn smtp_session(socket: TcpStream, transcript: Arc<Mutex<String>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    if write.write_all(b"220 sink.test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut in_data = false;
    while let Ok(Some(line)) = lines.next_line().await {
        transcript.lock().unwrap().push_str(&format!("{line}\n"));
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if in_data {
            if line != "." {
                continue;
            }
            in_data = false;
            b"250 2.0.0 queued\r\n"
        } else if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if command.starts_with("DATA") {
            in_data = true;
            b"354 end with <CRLF>.<CRLF>\r\n"
        } else if command.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 OK\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
