//! Webhooks: URL validation, signatures, Zoom's retry rule, and the notifications that user
//! actions on the emulator's pages cause (`app_deauthorized`, `meeting.updated`,
//! `meeting.deleted`) and that API calls cause alike.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

/// Subscribes `url` without validating it.
async fn subscribe(emulator: &RunningEmulator, url: &str) {
    let response = client()
        .post(emulator.url("/_control/webhook"))
        .json(&json!({"url": url, "validate": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn deauthorize(emulator: &RunningEmulator, email: &str) -> reqwest::Response {
    client()
        .post(emulator.url(&format!("/_control/users/{email}/deauthorize")))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn url_validation_passes_when_the_endpoint_answers_the_encrypted_token() {
    let emulator = start().await;
    let receiver = Receiver::acknowledging().await;

    emulator
        .emulator
        .set_webhook_url(Some(receiver.url.clone()));

    eventually("the validation", || {
        emulator.emulator.webhook_validated().is_some()
    })
    .await;
    assert_eq!(emulator.emulator.webhook_validated(), Some(true));
    let request = &receiver.received()[0];
    let body = request.json();
    assert_eq!(body["event"], "endpoint.url_validation");
    assert!(
        body["payload"]["plainToken"]
            .as_str()
            .is_some_and(|token| !token.is_empty())
    );
    assert!(body["event_ts"].as_i64().is_some());
    let timestamp = request.headers["x-zm-request-timestamp"].to_str().unwrap();
    let expected = format!(
        "v0={}",
        hmac_hex(WEBHOOK_SECRET, &format!("v0:{timestamp}:{}", request.body))
    );
    assert_eq!(request.headers["x-zm-signature"], expected.as_str());
    let status: Value = client()
        .get(emulator.url("/_control/webhooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["validated"], true);
    assert_eq!(status["url"], receiver.url.as_str());
}

#[tokio::test]
async fn url_validation_fails_when_the_endpoint_answers_wrong() {
    let emulator = start().await;
    let receiver = Receiver::start(|request, _| {
        let plain = request.json()["payload"]["plainToken"].clone();
        (
            StatusCode::OK,
            json!({"plainToken": plain, "encryptedToken": "wrong"}).to_string(),
        )
    })
    .await;

    let response = client()
        .post(emulator.url("/_control/webhook"))
        .json(&json!({"url": receiver.url, "validate": true}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    eventually("the validation", || {
        emulator.emulator.webhook_validated().is_some()
    })
    .await;
    assert_eq!(emulator.emulator.webhook_validated(), Some(false));
}

#[tokio::test]
async fn notifications_are_signed_with_hmac_over_v0_timestamp_and_body() {
    let emulator = start().await;
    let receiver = Receiver::acknowledging().await;
    subscribe(&emulator, &receiver.url).await;
    connect(&emulator, ANA).await;

    assert_eq!(deauthorize(&emulator, ANA).await.status(), StatusCode::OK);

    eventually("the notification", || receiver.received().len() == 1).await;
    let request = &receiver.received()[0];
    assert_eq!(request.headers["content-type"], "application/json");
    let timestamp: i64 = request.headers["x-zm-request-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (jiff::Timestamp::now().as_second() - timestamp).abs() < 60,
        "unix seconds"
    );
    let expected = format!(
        "v0={}",
        hmac_hex(WEBHOOK_SECRET, &format!("v0:{timestamp}:{}", request.body))
    );
    assert_eq!(request.headers["x-zm-signature"], expected.as_str());
    let body = request.json();
    let event_ts = body["event_ts"].as_i64().unwrap();
    assert!(
        (event_ts / 1000 - timestamp).abs() < 60,
        "event_ts is in milliseconds"
    );
}

#[tokio::test]
async fn deliveries_are_retried_on_5xx_then_dropped() {
    let emulator = start().await;
    let receiver = Receiver::start(|_, _| (StatusCode::INTERNAL_SERVER_ERROR, String::new())).await;
    subscribe(&emulator, &receiver.url).await;
    connect(&emulator, ANA).await;

    deauthorize(&emulator, ANA).await;

    eventually("three attempts", || receiver.received().len() == 3).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        receiver.received().len(),
        3,
        "one try and two retries, then the event is dropped"
    );
    let attempts = emulator.emulator.webhook_attempts();
    let numbers: Vec<(u32, Option<u16>)> = attempts.iter().map(|a| (a.attempt, a.status)).collect();
    assert_eq!(numbers, [(1, Some(500)), (2, Some(500)), (3, Some(500))]);
    assert!(attempts.iter().all(|a| a.event == "app_deauthorized"));
    let bodies: Vec<String> = receiver.received().iter().map(|r| r.body.clone()).collect();
    assert!(
        bodies.iter().all(|body| *body == bodies[0]),
        "retries resend the same event"
    );
}

#[tokio::test]
async fn a_success_after_a_5xx_ends_the_retries() {
    let emulator = start().await;
    let receiver = Receiver::start(|_, earlier| match earlier {
        0 => (StatusCode::SERVICE_UNAVAILABLE, String::new()),
        _ => (StatusCode::NO_CONTENT, String::new()),
    })
    .await;
    subscribe(&emulator, &receiver.url).await;
    connect(&emulator, ANA).await;

    deauthorize(&emulator, ANA).await;

    eventually("two attempts", || receiver.received().len() == 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test]
async fn a_4xx_is_not_retried() {
    let emulator = start().await;
    let receiver = Receiver::start(|_, _| (StatusCode::BAD_REQUEST, String::new())).await;
    subscribe(&emulator, &receiver.url).await;
    connect(&emulator, ANA).await;

    deauthorize(&emulator, ANA).await;

    eventually("one attempt", || receiver.received().len() == 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1);
    let attempts = emulator.emulator.webhook_attempts();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, Some(400));
}

#[tokio::test]
async fn an_unreachable_endpoint_is_retried_and_each_failure_recorded() {
    let emulator = start().await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/zoom", closed.local_addr().unwrap());
    drop(closed);
    subscribe(&emulator, &url).await;
    connect(&emulator, ANA).await;

    deauthorize(&emulator, ANA).await;

    eventually("three failed attempts", || {
        emulator.emulator.webhook_attempts().len() == 3
    })
    .await;
    let attempts: Value = client()
        .get(emulator.url("/_control/webhooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for attempt in attempts["attempts"].as_array().unwrap() {
        assert_eq!(attempt["status"], Value::Null);
        assert!(
            attempt["error"]
                .as_str()
                .is_some_and(|error| !error.is_empty())
        );
    }
}

#[tokio::test]
async fn removing_the_app_on_the_manage_apps_page_deauthorizes_and_notifies() {
    let emulator = start().await;
    let receiver = Receiver::acknowledging().await;
    subscribe(&emulator, &receiver.url).await;
    let browser = browser();
    let tokens = connect_in(&browser, &emulator, ANA).await;

    let apps = browser
        .get(emulator.url("/apps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(apps.contains(CLIENT_ID) && apps.contains("Remove"));
    let csrf = hidden_field(&apps, "csrf").unwrap();
    let removed = browser
        .post(emulator.url("/apps/remove"))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();

    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert_eq!(removed.headers()["location"], "/apps");
    eventually("app_deauthorized", || receiver.events().len() == 1).await;
    let event = &receiver.events()[0];
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    assert_eq!(event["event"], "app_deauthorized");
    let payload = &event["payload"];
    assert_eq!(payload["user_id"], ana.id.as_str());
    assert_eq!(payload["account_id"], ana.account_id.as_str());
    assert_eq!(payload["client_id"], CLIENT_ID);
    assert_eq!(payload["user_data_retention"], "false");
    let time = payload["deauthorization_time"].as_str().unwrap();
    assert!(
        time.parse::<jiff::Timestamp>().is_ok() && time.ends_with('Z') && time.contains('.'),
        "{time}"
    );
    assert!(payload["signature"].as_str().is_some_and(|s| s.len() == 64));
    assert_eq!(
        refresh(&emulator, &tokens.refresh_token).await.status(),
        StatusCode::BAD_REQUEST
    );
    let me = rest(&emulator, Method::GET, "/v2/users/me", &tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    let after = browser
        .get(emulator.url("/apps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!after.contains("Remove"));
}

#[tokio::test]
async fn the_deauthorize_control_route_needs_an_authorized_user() {
    let emulator = start().await;

    let unknown = deauthorize(&emulator, "nobody@example.org").await;
    let not_authorized = deauthorize(&emulator, CHLOE).await;

    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(not_authorized.status(), StatusCode::CONFLICT);
}

/// A signed-in browser on the meetings page with one meeting made through the API.
async fn meetings_page_with_a_meeting(
    emulator: &RunningEmulator,
) -> (reqwest::Client, Value, String) {
    let browser = browser();
    let tokens = connect_in(&browser, emulator, ANA).await;
    let meeting = create_meeting(
        emulator,
        &tokens.access_token,
        json!({"topic": "Weekly review", "type": 2, "start_time": "2026-12-01T15:00:00Z", "duration": 50, "timezone": "Europe/Ljubljana"}),
    )
    .await;
    let page = browser
        .get(emulator.url("/meetings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Weekly review"));
    assert!(
        page.contains("value=\"2026-12-01T16:00\""),
        "the start in the meeting's zone"
    );
    let csrf = hidden_field(&page, "csrf").unwrap();
    (browser, meeting, csrf)
}

#[tokio::test]
async fn editing_a_meeting_on_the_meetings_page_sends_meeting_updated_with_the_old_values() {
    let emulator = start().await;
    let receiver = Receiver::acknowledging().await;
    subscribe(&emulator, &receiver.url).await;
    let (browser, meeting, csrf) = meetings_page_with_a_meeting(&emulator).await;

    let saved = browser
        .post(emulator.url(&format!("/meetings/{}", meeting["id"])))
        .form(&[
            ("csrf", csrf.as_str()),
            ("topic", "Monthly review"),
            ("start_time", "2026-12-01T17:30"),
            ("duration", "50"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    eventually("meeting.updated", || receiver.events().len() == 1).await;
    let event = &receiver.events()[0];
    assert_eq!(event["event"], "meeting.updated");
    let payload = &event["payload"];
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    assert_eq!(payload["account_id"], ana.account_id.as_str());
    assert_eq!(payload["operator"], ANA);
    assert_eq!(payload["operator_id"], ana.id.as_str());
    assert!(payload["time_stamp"].as_i64().is_some());
    let object = &payload["object"];
    assert_eq!(object["id"], meeting["id"]);
    assert_eq!(object["uuid"], meeting["uuid"]);
    assert_eq!(object["host_id"], ana.id.as_str());
    assert_eq!(object["topic"], "Monthly review");
    assert_eq!(object["start_time"], "2026-12-01T16:30:00Z");
    assert_eq!(object["duration"], 50);
    assert_eq!(object["timezone"], "Europe/Ljubljana");
    assert_eq!(object["type"], 2);
    assert_eq!(
        payload["old_object"],
        json!({"id": meeting["id"], "uuid": meeting["uuid"], "topic": "Weekly review", "start_time": "2026-12-01T15:00:00Z"})
    );
}

#[tokio::test]
async fn deleting_a_meeting_on_the_meetings_page_sends_meeting_deleted() {
    let emulator = start().await;
    let receiver = Receiver::acknowledging().await;
    subscribe(&emulator, &receiver.url).await;
    let (browser, meeting, csrf) = meetings_page_with_a_meeting(&emulator).await;

    let deleted = browser
        .post(emulator.url(&format!("/meetings/{}/delete", meeting["id"])))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    eventually("meeting.deleted", || receiver.events().len() == 1).await;
    let event = &receiver.events()[0];
    assert_eq!(event["event"], "meeting.deleted");
    let object = &event["payload"]["object"];
    assert_eq!(object["id"], meeting["id"]);
    assert_eq!(object["uuid"], meeting["uuid"]);
    assert_eq!(object["topic"], "Weekly review");
    assert_eq!(object["start_time"], "2026-12-01T15:00:00Z");
    assert!(
        emulator
            .emulator
            .meetings_of(&emulator.emulator.user_by_email(ANA).unwrap().id)
            .is_empty()
    );
}

#[tokio::test]
async fn changes_through_the_api_are_notified_too() {
    // Zoom notifies a meeting's changes whoever made them, the subscribed app included: an
    // app must recognise its own changes coming back.
    let emulator = start().await;
    let receiver = Receiver::acknowledging().await;
    subscribe(&emulator, &receiver.url).await;
    let tokens = connect(&emulator, ANA).await;
    let meeting = create_meeting(&emulator, &tokens.access_token, json!({"topic": "API"})).await;
    let path = format!("/v2/meetings/{}", meeting["id"]);

    rest(&emulator, Method::PATCH, &path, &tokens.access_token)
        .json(&json!({"topic": "API 2"}))
        .send()
        .await
        .unwrap();
    eventually("meeting.updated", || receiver.events().len() == 1).await;
    rest(&emulator, Method::DELETE, &path, &tokens.access_token)
        .send()
        .await
        .unwrap();
    eventually("meeting.deleted", || receiver.events().len() == 2).await;

    let events = receiver.events();
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    assert_eq!(events[0]["event"], "meeting.updated");
    assert_eq!(events[0]["payload"]["operator_id"], ana.id.as_str());
    assert_eq!(events[0]["payload"]["object"]["topic"], "API 2");
    assert_eq!(events[0]["payload"]["old_object"]["topic"], "API");
    assert_eq!(events[1]["event"], "meeting.deleted");
    assert_eq!(events[1]["payload"]["object"]["id"], meeting["id"]);
}
