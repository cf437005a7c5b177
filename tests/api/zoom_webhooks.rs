//! `POST /webhooks/zoom`: signatures, URL validation, replays, and what each notification the
//! hub handles does — the app removed inside Zoom, meetings deleted or changed there — driven
//! through the in-process sandbox Zoom's own pages and webhooks where it can be.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Statement};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::browser::{submit, zoom_portal};
use crate::helpers::{TestApp, TestTenant, assert_problem, spawn_app_with};
use crate::notifications::{Receiver, assert_signed};
use convene::config::SANDBOX_ZOOM_WEBHOOK_SECRET;
use convene::store::entity::{credential, email, link, zoom_inbox};
use convene::vault::{KeyRing, Purpose, SealContext};

const ANA: &str = "ana.novak@sandbox.zoom.test";
const BEN: &str = "ben.okafor@sandbox.zoom.test";

async fn hub() -> TestApp {
    spawn_app_with(|config| {
        config.tuning.outbox_poll = Duration::from_millis(50);
        config.tuning.meeting_retry_base = Duration::from_millis(100);
    })
    .await
}

/// A tenant with a webhook receiver whose end user `t-1` connected `email`'s Zoom account.
async fn tenant_of(app: &TestApp, name: &str, email: &str) -> (TestTenant, Receiver) {
    let hooks = Receiver::start(&[], 200).await;
    let tenant = app.create_tenant_with_webhook(name, &hooks.url()).await;
    assert_eq!(
        app.connect_as(&tenant, "t-1", email).await["status"],
        "connected"
    );
    (tenant, hooks)
}

fn hex_hmac(secret: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn now_seconds() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// POSTs `body` with Zoom's headers signed by `secret` at `timestamp`.
async fn post_signed(app: &TestApp, body: &str, secret: &str, timestamp: i64) -> reqwest::Response {
    let signature = format!("v0={}", hex_hmac(secret, &format!("v0:{timestamp}:{body}")));
    app.client
        .post(app.url("/webhooks/zoom"))
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", timestamp.to_string())
        .header("x-zm-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn post_from_zoom(app: &TestApp, body: &str) -> reqwest::Response {
    post_signed(app, body, SANDBOX_ZOOM_WEBHOOK_SECRET, now_seconds()).await
}

impl TestApp {
    /// What the sandbox Zoom's control API answers at `path` (under `/_control`).
    async fn zoom_state(&self, path: &str) -> Value {
        self.client
            .get(self.url(&format!("/sandbox/zoom/_control/{path}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// The sandbox Zoom user id of `email`.
async fn zoom_user_id(app: &TestApp, email: &str) -> String {
    app.zoom_state("users").await["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["email"] == email)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn deauthorization(user_id: &str) -> String {
    json!({
        "event": "app_deauthorized",
        "event_ts": time::OffsetDateTime::now_utc().unix_timestamp() * 1000,
        "payload": {
            "account_id": "acc",
            "user_id": user_id,
            "client_id": "convene-sandbox",
            "deauthorization_time": "2026-11-22T06:55:26.209Z",
            "signature": "0f",
            "user_data_retention": "false",
        },
    })
    .to_string()
}

async fn row_count<E>(app: &TestApp, _entity: E) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    E::find().count(app.store.connection()).await.unwrap()
}

/// Waits until every stored notification has been worked.
async fn inbox_worked(app: &TestApp) {
    for _ in 0..200 {
        let pending = zoom_inbox::Entity::find()
            .all(app.store.connection())
            .await
            .unwrap()
            .into_iter()
            .filter(|entry| entry.status == "pending")
            .count();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("Zoom notifications stayed pending");
}

/// Waits until the sandbox Zoom delivered `count` notifications of `event` with a 200.
async fn zoom_delivered(app: &TestApp, event: &str, count: usize) {
    for _ in 0..200 {
        let delivered = app.zoom_state("webhooks").await["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["event"] == event && a["status"] == 200)
            .count();
        if delivered >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("Zoom did not deliver {count} {event}");
}

/// The app's webhooks of `kind`, each checked against its Standard Webhooks signature.
async fn signed_hooks(
    hooks: &Receiver,
    tenant: &TestTenant,
    kind: &str,
    count: usize,
) -> Vec<Value> {
    for _ in 0..200 {
        let found: Vec<_> = hooks
            .requests()
            .into_iter()
            .filter(|r| serde_json::from_str::<Value>(&r.body).unwrap()["type"] == kind)
            .collect();
        if found.len() >= count {
            return found
                .iter()
                .map(|received| {
                    assert_signed(&tenant.webhook_secret, received);
                    serde_json::from_str(&received.body).unwrap()
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {count} {kind} webhook(s)");
}

#[tokio::test]
async fn url_validation_is_answered_with_the_hmac_of_the_plain_token() {
    let app = hub().await;
    let body = r#"{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1749365726209}"#;

    let response = post_from_zoom(&app, body).await;

    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(reply["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
    assert_eq!(
        reply["encryptedToken"],
        hex_hmac(SANDBOX_ZOOM_WEBHOOK_SECRET, "qgg8vlvZRS6UYooatFL8Aw")
    );
}

#[tokio::test]
async fn the_sandbox_zoom_validates_the_hubs_endpoint() {
    let app = hub().await;
    let response = app
        .client
        .post(app.url("/sandbox/zoom/_control/webhook"))
        .json(&json!({"url": app.url("/webhooks/zoom"), "validate": true}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    for _ in 0..100 {
        let state = app.zoom_state("webhooks").await;
        if state["validated"] == true {
            return;
        }
        assert_ne!(state["validated"], false, "validation failed: {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the endpoint was never validated");
}

#[tokio::test]
async fn an_unsigned_url_validation_is_answered_only_for_a_token_that_cannot_forge_a_signature() {
    let app = hub().await;
    let unsigned = |token: &str| {
        app.client
            .post(app.url("/webhooks/zoom"))
            .json(&json!({"event": "endpoint.url_validation", "payload": {"plainToken": token}}))
            .send()
    };

    let plain = unsigned("abcDEF123_-").await.unwrap();
    assert_eq!(plain.status(), 200);
    let reply: Value = plain.json().await.unwrap();
    assert_eq!(
        reply["encryptedToken"],
        hex_hmac(SANDBOX_ZOOM_WEBHOOK_SECRET, "abcDEF123_-")
    );

    // Its HMAC would be a valid x-zm-signature for a forged deauthorization.
    let forged_body = deauthorization("someone");
    let oracle = format!("v0:{}:{forged_body}", now_seconds());
    assert_problem(unsigned(&oracle).await.unwrap(), 401, "unauthorized").await;
}

#[tokio::test]
async fn forged_stale_tampered_unsigned_and_malformed_notifications_change_nothing() {
    let app = hub().await;
    let (tenant, _hooks) = tenant_of(&app, "Calm", ANA).await;
    let body = deauthorization(&zoom_user_id(&app, ANA).await);
    let now = now_seconds();

    let forged = post_signed(&app, &body, "not-the-secret", now).await;
    assert_problem(forged, 401, "unauthorized").await;
    let stale = post_signed(&app, &body, SANDBOX_ZOOM_WEBHOOK_SECRET, now - 301).await;
    assert_problem(stale, 401, "unauthorized").await;
    let future = post_signed(&app, &body, SANDBOX_ZOOM_WEBHOOK_SECRET, now + 301).await;
    assert_problem(future, 401, "unauthorized").await;
    // Signed, then changed on the way: another user id.
    let signature = format!(
        "v0={}",
        hex_hmac(SANDBOX_ZOOM_WEBHOOK_SECRET, &format!("v0:{now}:{body}"))
    );
    let tampered = app
        .client
        .post(app.url("/webhooks/zoom"))
        .header("x-zm-request-timestamp", now.to_string())
        .header("x-zm-signature", signature)
        .body(body.replace("\"user_id\":\"", "\"user_id\":\"x"))
        .send()
        .await
        .unwrap();
    assert_problem(tampered, 401, "unauthorized").await;
    let unsigned = app
        .client
        .post(app.url("/webhooks/zoom"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_problem(unsigned, 401, "unauthorized").await;
    let malformed = post_from_zoom(&app, "{\"event\": \"app_deauth").await;
    assert_problem(malformed, 400, "invalid_request").await;
    let not_a_notification = post_from_zoom(&app, "[1, 2]").await;
    assert_problem(not_a_notification, 400, "invalid_request").await;

    assert_eq!(row_count(&app, zoom_inbox::Entity).await, 0);
    let links: Value = app
        .get_as(&tenant.api_key, "/v1/end_users/t-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(links["links"][0]["status"], "active");
}

#[tokio::test]
async fn an_oversized_notification_is_413_problem() {
    let app = hub().await;
    let body = format!(
        "{{\"event\":\"meeting.updated\",\"payload\":{{\"pad\":\"{}\"}}}}",
        "x".repeat(300 * 1024)
    );
    let response = post_from_zoom(&app, &body).await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn a_notification_zoom_delivers_twice_is_worked_once() {
    let app = hub().await;
    let (tenant, hooks) = tenant_of(&app, "Calm", ANA).await;
    let body = deauthorization(&zoom_user_id(&app, ANA).await);

    assert_eq!(post_from_zoom(&app, &body).await.status(), 200);
    signed_hooks(&hooks, &tenant, "link.removed", 1).await;
    // Zoom's retry of the same notification (its first answer got lost, say).
    assert_eq!(post_from_zoom(&app, &body).await.status(), 200);
    inbox_worked(&app).await;
    // Meanwhile the user connects again: the replay must not remove the new link.
    assert_eq!(
        app.connect_as(&tenant, "t-1", ANA).await["status"],
        "connected"
    );
    assert_eq!(post_from_zoom(&app, &body).await.status(), 200);
    inbox_worked(&app).await;

    assert_eq!(row_count(&app, zoom_inbox::Entity).await, 1);
    assert_eq!(row_count(&app, link::Entity).await, 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        signed_hooks(&hooks, &tenant, "link.removed", 1).await.len(),
        1
    );
}

#[tokio::test]
async fn a_deauthorization_of_an_unknown_user_or_another_app_is_a_no_op_200() {
    let app = hub().await;
    let (tenant, _hooks) = tenant_of(&app, "Calm", ANA).await;

    let unknown = post_from_zoom(&app, &deauthorization("nobody-we-know")).await;
    assert_eq!(unknown.status(), 200);
    let other_app = deauthorization(&zoom_user_id(&app, ANA).await)
        .replace("convene-sandbox", "someone-elses-app");
    assert_eq!(post_from_zoom(&app, &other_app).await.status(), 200);
    let unhandled = json!({"event": "meeting.started", "payload": {"object": {"id": 1}}});
    assert_eq!(
        post_from_zoom(&app, &unhandled.to_string()).await.status(),
        200
    );
    inbox_worked(&app).await;

    let links: Value = app
        .get_as(&tenant.api_key, "/v1/end_users/t-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(links["links"][0]["status"], "active");
    assert_eq!(row_count(&app, credential::Entity).await, 1);
}

/// The tokens stored for the only credential, opened: what must not outlive its removal.
async fn stored_tokens(app: &TestApp) -> Vec<String> {
    let vault = KeyRing::parse(&app.master_keys).unwrap();
    let credential = credential::Entity::find()
        .one(app.store.connection())
        .await
        .unwrap()
        .unwrap();
    let open = |purpose, blob: &[u8]| {
        vault
            .open_str(
                blob,
                &SealContext {
                    purpose,
                    row_id: &credential.id,
                },
            )
            .unwrap()
            .expose_secret()
            .to_owned()
    };
    vec![
        open(Purpose::ZoomAccessToken, &credential.access_token),
        open(Purpose::ZoomRefreshToken, &credential.refresh_token),
    ]
}

/// Every text the database holds in the tables that could carry a token, as one string.
async fn database_text(app: &TestApp) -> String {
    let db = app.store.connection();
    let mut text = String::new();
    for (table, columns) in [
        ("audit_entries", "detail"),
        ("webhook_deliveries", "payload"),
        ("webhook_attempts", "error"),
        ("emails", "body_text"),
        ("zoom_inbox", "body"),
        ("events", "join_url"),
        ("connect_sessions", "redirect_uri"),
    ] {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT {columns} FROM {table}"),
            ))
            .await
            .unwrap();
        for row in rows {
            if let Ok(Some(value)) = row.try_get_by_index::<Option<String>>(0) {
                text.push_str(&value);
                text.push('\n');
            }
        }
    }
    text
}

#[tokio::test]
async fn removing_the_app_in_zoom_removes_every_link_tells_each_app_and_keeps_the_meetings() {
    let app = hub().await;
    let (calm, calm_hooks) = tenant_of(&app, "Calm Therapy", ANA).await;
    let (ehr, ehr_hooks) = tenant_of(&app, "Clinic EHR", ANA).await;
    let event = app.put_standard_session(&calm).await;
    assert_eq!(event["conferencing"]["status"], "ready");
    let join_url = event["conferencing"]["join_url"].clone();
    let tokens = stored_tokens(&app).await;

    // Ana removes the app on Zoom's "Manage apps" page; Zoom tells the hub.
    let (browser, apps, html) = zoom_portal(&app, "/apps", ANA).await;
    submit(&browser, &apps, &html, "/apps/remove", Vec::new()).await;

    for (tenant, hooks) in [(&calm, &calm_hooks), (&ehr, &ehr_hooks)] {
        let removed = signed_hooks(hooks, tenant, "link.removed", 1).await;
        assert_eq!(removed[0]["data"]["reason"], "provider_deauthorized");
        assert_eq!(removed[0]["data"]["end_user_id"], "t-1");
        assert_eq!(removed[0]["data"]["account"]["email"], ANA);
        let links: Value = app
            .get_as(&tenant.api_key, "/v1/end_users/t-1")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(links["links"], json!([]));
    }
    assert_eq!(row_count(&app, credential::Entity).await, 0);
    let emails = email::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap();
    let notice = emails
        .iter()
        .find(|e| e.subject == "Your Zoom account is disconnected")
        .expect("the end user is told");
    assert_eq!(notice.to_address, ANA);
    assert!(notice.body_text.contains("Calm Therapy") && notice.body_text.contains("Clinic EHR"));
    let text = database_text(&app).await;
    for token in &tokens {
        assert!(
            !text.contains(token.as_str()),
            "a Zoom token outlived the removal"
        );
    }

    // What stays: the event keeps its meeting; new conferencing cannot be had.
    let kept: Value = app
        .get_as(&calm.api_key, "/v1/events/appt-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept["conferencing"]["status"], "ready");
    assert_eq!(kept["conferencing"]["join_url"], join_url);
    let refused = app
        .put_event(
            &calm,
            "appt-2",
            &json!({"end_user_id": "t-1", "summary": "Next", "start": "2030-12-08T15:00:00Z",
                    "end": "2030-12-08T15:50:00Z", "tzid": "Europe/Ljubljana",
                    "conferencing": {"provider": "zoom"}}),
        )
        .await;
    assert_problem(refused, 409, "not_connected").await;
}

#[tokio::test]
async fn a_meeting_deleted_inside_zoom_marks_the_event_removed_and_tells_the_app() {
    let app = hub().await;
    let (tenant, hooks) = tenant_of(&app, "Calm", ANA).await;
    let event = app.put_standard_session(&tenant).await;
    let meeting_id = event["conferencing"]["meeting_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (browser, meetings, html) = zoom_portal(&app, "/meetings", ANA).await;
    submit(
        &browser,
        &meetings,
        &html,
        &format!("{meeting_id}/delete"),
        Vec::new(),
    )
    .await;

    let told = signed_hooks(&hooks, &tenant, "event.conferencing.removed", 1).await;
    assert_eq!(told[0]["data"]["event_id"], "appt-1");
    assert_eq!(told[0]["data"]["conferencing"]["status"], "removed");
    let stored: Value = app
        .get_as(&tenant.api_key, "/v1/events/appt-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["conferencing"]["status"], "removed");
    assert_eq!(stored["conferencing"]["join_url"], Value::Null);
    // The hub does not put back a meeting the host deleted…
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(app.zoom_meetings(ANA).await.is_empty());
    // …until the application asks again with a changed event.
    let body = json!({"end_user_id": "t-1", "summary": "Therapy session",
        "start": "2030-12-01T16:00:00Z", "end": "2030-12-01T16:50:00Z", "tzid": "Europe/Ljubljana",
        "conferencing": {"provider": "zoom"}});
    let again: Value = app
        .put_event(&tenant, "appt-1", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["conferencing"]["status"], "ready");
    assert_eq!(app.zoom_meetings(ANA).await.len(), 1);
}

/// How many times the sandbox Zoom was asked for one meeting.
async fn meeting_reads(app: &TestApp, meeting_id: &str) -> usize {
    app.zoom_state("ledger").await["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"].as_str().unwrap().ends_with(meeting_id))
        .count()
}

async fn activity(app: &TestApp) -> Vec<String> {
    use convene::store::entity::audit_entry;
    audit_entry::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect()
}

#[tokio::test]
async fn the_hubs_own_changes_coming_back_from_zoom_are_not_taken_for_changes() {
    let app = hub().await;
    let (tenant, hooks) = tenant_of(&app, "Calm", ANA).await;
    let event = app.put_standard_session(&tenant).await;
    let meeting_id = event["conferencing"]["meeting_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"end_user_id": "t-1", "summary": "Therapy session (moved)",
        "start": "2030-12-02T15:00:00Z", "end": "2030-12-02T15:50:00Z", "tzid": "Europe/Ljubljana",
        "conferencing": {"provider": "zoom"}});
    let moved: Value = app
        .put_event(&tenant, "appt-1", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["conferencing"]["status"], "ready");

    zoom_delivered(&app, "meeting.updated", 1).await;
    inbox_worked(&app).await;

    let stored: Value = app
        .get_as(&tenant.api_key, "/v1/events/appt-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["updated_at"], moved["updated_at"]);
    assert_eq!(stored["conferencing"], moved["conferencing"]);
    assert_eq!(
        meeting_reads(&app, &meeting_id).await,
        0,
        "an echo costs no Zoom call"
    );
    assert!(
        !activity(&app)
            .await
            .contains(&"meeting.changed_in_zoom".to_owned())
    );

    // The hub's own delete coming back tells the app nothing.
    assert_eq!(app.delete_event(&tenant, "appt-1").await.status(), 204);
    zoom_delivered(&app, "meeting.deleted", 1).await;
    inbox_worked(&app).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kinds: Vec<Value> = hooks
        .requests()
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["type"].clone())
        .collect();
    assert!(
        !kinds.contains(&json!("event.conferencing.removed")),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn a_meeting_changed_inside_zoom_is_read_again_and_recorded() {
    let app = hub().await;
    let (tenant, _hooks) = tenant_of(&app, "Calm", ANA).await;
    let event = app.put_standard_session(&tenant).await;
    let meeting_id = event["conferencing"]["meeting_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (browser, meetings, html) = zoom_portal(&app, "/meetings", ANA).await;
    submit(
        &browser,
        &meetings,
        &html,
        &format!("/meetings/{meeting_id}"),
        vec![("topic".to_owned(), "Renamed in Zoom".to_owned())],
    )
    .await;
    zoom_delivered(&app, "meeting.updated", 1).await;
    inbox_worked(&app).await;

    assert_eq!(meeting_reads(&app, &meeting_id).await, 1);
    assert!(
        activity(&app)
            .await
            .contains(&"meeting.changed_in_zoom".to_owned())
    );
    let stored: Value = app
        .get_as(&tenant.api_key, "/v1/events/appt-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["conferencing"]["status"], "ready");
    assert_eq!(
        stored["conferencing"]["join_url"],
        event["conferencing"]["join_url"]
    );
}

#[tokio::test]
async fn a_notification_that_cannot_be_worked_now_is_retried_by_the_worker() {
    let app = hub().await;
    let (tenant, hooks) = tenant_of(&app, "Calm", BEN).await;
    let body = deauthorization(&zoom_user_id(&app, BEN).await);
    // Stored as if this instance died right after acknowledging it.
    app.store
        .receive_zoom_notification("app_deauthorized", &body, convene::domain::Timestamp::now())
        .await
        .unwrap();

    let removed = signed_hooks(&hooks, &tenant, "link.removed", 1).await;
    assert_eq!(removed[0]["data"]["reason"], "provider_deauthorized");
    inbox_worked(&app).await;
}
