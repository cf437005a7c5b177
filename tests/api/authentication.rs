//! API keys on `/v1`: missing, malformed, unknown, revoked, suspended, rate limited.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with, spawn_beside};

#[tokio::test]
async fn v1_without_a_key_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/v1/end_users/u1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_problem(response, 401, "unauthorized").await;
}

#[tokio::test]
async fn malformed_and_unknown_keys_are_401() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let unknown = format!("cvk_{}", "A".repeat(43));
    let truncated = &tenant.api_key[..tenant.api_key.len() - 1];
    for header in [
        "Basic dXNlcjpwYXNz".to_owned(),
        "Bearer".to_owned(),
        "Bearer    ".to_owned(),
        format!("Bearer {unknown}"),
        format!("Bearer {truncated}"),
        format!("Bearer {}x", tenant.api_key),
        format!("Token {}", tenant.api_key),
    ] {
        let response = app
            .client
            .get(app.url("/v1/end_users/u1"))
            .header("authorization", &header)
            .send()
            .await
            .unwrap();
        assert_problem(response, 401, "unauthorized").await;
    }
}

#[tokio::test]
async fn a_valid_key_is_accepted_whatever_the_scheme_case() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let response = app
        .client
        .get(app.url("/v1/end_users/u1"))
        .header("authorization", format!("bearer {}", tenant.api_key))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_revoked_key_fails_at_once_on_every_instance_while_others_keep_working() {
    let first = spawn_app().await;
    let second = spawn_beside(&first).await;
    let tenant = first.create_tenant("Calm").await;
    let created = first
        .admin(
            Method::POST,
            &format!("/admin/api/applications/{}/keys", tenant.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let spare: Value = created.json().await.unwrap();
    let spare_key = spare["key"].as_str().unwrap();
    assert!(spare_key.starts_with(spare["prefix"].as_str().unwrap()));

    // Warm both instances with the key about to be revoked.
    for app in [&first, &second] {
        assert_eq!(
            app.get_as(&tenant.api_key, "/v1/end_users/u1")
                .await
                .status(),
            200
        );
    }
    let first_key_id = first_key_id(&first, &tenant.id).await;
    let revoked = first
        .admin(
            Method::DELETE,
            &format!("/admin/api/applications/{}/keys/{first_key_id}", tenant.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    for app in [&first, &second] {
        let response = app.get_as(&tenant.api_key, "/v1/end_users/u1").await;
        assert_problem(response, 401, "unauthorized").await;
        assert_eq!(
            app.get_as(spare_key, "/v1/end_users/u1").await.status(),
            200
        );
    }
}

#[tokio::test]
async fn last_used_at_is_recorded_without_a_write_per_request() {
    let app =
        spawn_app_with(|config| config.tuning.key_usage_flush = Duration::from_millis(100)).await;
    let tenant = app.create_tenant("Calm").await;
    let before = key_detail(&app, &tenant.id).await;
    assert!(before[0]["last_used_at"].is_null());
    for _ in 0..5 {
        assert_eq!(
            app.get_as(&tenant.api_key, "/v1/end_users/u1")
                .await
                .status(),
            200
        );
    }
    let mut last_used = Value::Null;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        last_used = key_detail(&app, &tenant.id).await[0]["last_used_at"].clone();
        if !last_used.is_null() {
            break;
        }
    }
    let at = time::OffsetDateTime::parse(
        last_used.as_str().expect("last_used_at recorded"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!((time::OffsetDateTime::now_utc() - at).abs() < time::Duration::seconds(30));
}

#[tokio::test]
async fn a_burst_past_the_limit_is_429_with_retry_after() {
    let app = spawn_app_with(|config| config.rate_limit_per_second = 5.try_into().unwrap()).await;
    let tenant = app.create_tenant("Calm").await;
    let mut limited = None;
    for _ in 0..20 {
        let response = app.get_as(&tenant.api_key, "/v1/end_users/u1").await;
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), 200);
    }
    let response = limited.expect("a burst of 20 at 5/s is limited");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=1).contains(&retry_after), "{retry_after}");
    assert_problem(response, 429, "rate_limited").await;
}

#[tokio::test]
async fn an_application_can_have_its_own_rate_limit() {
    let app = spawn_app_with(|config| config.rate_limit_per_second = 2.try_into().unwrap()).await;
    let response = app
        .admin(Method::POST, "/admin/api/applications")
        .json(&serde_json::json!({
            "name": "Busy EHR",
            "redirect_uris": ["https://ehr.example/cb"],
            "rate_limit_per_second": 100,
        }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["rate_limit_per_second"], 100);
    let key = body["api_key"].as_str().unwrap();
    for _ in 0..20 {
        assert_eq!(app.get_as(key, "/v1/end_users/u1").await.status(), 200);
    }
}

async fn key_detail(app: &crate::helpers::TestApp, application_id: &str) -> Vec<Value> {
    app.application_detail(application_id).await["keys"]
        .as_array()
        .unwrap()
        .clone()
}

async fn first_key_id(app: &crate::helpers::TestApp, application_id: &str) -> String {
    key_detail(app, application_id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn key_usage_still_pending_is_written_at_shutdown() {
    let mut app =
        spawn_app_with(|config| config.tuning.key_usage_flush = Duration::from_secs(3600)).await;
    let tenant = app.create_tenant("Calm").await;
    assert_eq!(
        app.get_as(&tenant.api_key, "/v1/end_users/u1")
            .await
            .status(),
        200
    );
    let keys = app.store.list_api_keys(&tenant.id).await.unwrap();
    assert!(keys[0].last_used_at.is_none(), "not written per request");
    app.shut_down().await;
    let keys = app.store.list_api_keys(&tenant.id).await.unwrap();
    assert!(keys[0].last_used_at.is_some(), "flushed on the way out");
}

/// `GET`, `PUT` and `DELETE /v1/events/{id}` and `POST /v1/events/{id}/start_url` find the key
/// in the read that finds the event: a key that admits no one is still refused first, whatever
/// the body or the event id.
#[tokio::test]
async fn event_reads_and_writes_refuse_a_bad_key_before_anything_else() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let other = app.create_tenant("Other").await;
    let session = json!({
        "end_user_id": "t-1",
        "summary": "Therapy session",
        "start": "2030-12-01T15:00:00Z",
        "end": "2030-12-01T15:50:00Z",
        "tzid": "Europe/Ljubljana",
    });
    let wrong_types = json!({"end_user_id": 7});
    let long_id = "e".repeat(256);
    let put = |key: String, id: String, body: Value| {
        let request = app
            .client
            .put(app.url(&format!("/v1/events/{id}")))
            .bearer_auth(key)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let bodiless = |method: reqwest::Method, key: String, id: &str| {
        let request = app
            .client
            .request(method, app.url(&format!("/v1/events/{id}")))
            .bearer_auth(key);
        async move { request.send().await.unwrap() }
    };
    let delete = |key: String, id: &str| bodiless(reqwest::Method::DELETE, key, id);
    let get = |key: String, id: &str| bodiless(reqwest::Method::GET, key, id);
    let start_url =
        |key: String, id: &str| bodiless(reqwest::Method::POST, key, &format!("{id}/start_url"));
    let key = tenant.api_key.clone();
    assert_eq!(
        put(key.clone(), "appt-1".into(), session.clone())
            .await
            .status(),
        201
    );

    let unknown = format!("cvk_{}", "A".repeat(43));
    for refused in [unknown, format!("{}x", tenant.api_key)] {
        for response in [
            put(refused.clone(), "appt-2".into(), session.clone()).await,
            put(refused.clone(), "appt-1".into(), wrong_types.clone()).await,
            put(refused.clone(), long_id.clone(), session.clone()).await,
            delete(refused.clone(), "appt-1").await,
            get(refused.clone(), "appt-1").await,
            start_url(refused.clone(), "appt-1").await,
        ] {
            assert_problem(response, 401, "unauthorized").await;
        }
    }

    // The key admits its caller: the request's own faults are answered.
    let response = put(key.clone(), "appt-1".into(), wrong_types.clone()).await;
    assert_problem(response, 422, "validation_failed").await;
    let response = put(key.clone(), long_id.clone(), session.clone()).await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "event_id");
    assert_problem(delete(key.clone(), "appt-9").await, 404, "not_found").await;
    assert_problem(get(key.clone(), "appt-9").await, 404, "not_found").await;
    assert_problem(start_url(key.clone(), "appt-9").await, 404, "not_found").await;
    // The host never connected Zoom: the event has no meeting to start.
    assert_problem(start_url(key.clone(), "appt-1").await, 409, "no_meeting").await;
    let shown: Value = get(key.clone(), "appt-1").await.json().await.unwrap();
    assert_eq!(
        (&shown["event_id"], &shown["end_user_id"]),
        (&json!("appt-1"), &json!("t-1"))
    );
    // Another application's key finds nothing of this one's.
    assert_problem(
        delete(other.api_key.clone(), "appt-1").await,
        404,
        "not_found",
    )
    .await;
    assert_problem(get(other.api_key.clone(), "appt-1").await, 404, "not_found").await;
    assert_problem(
        start_url(other.api_key.clone(), "appt-1").await,
        404,
        "not_found",
    )
    .await;

    convene::tenancy::set_suspended(&app.store, &tenant.id, true, "test")
        .await
        .unwrap();
    for response in [
        put(key.clone(), "appt-2".into(), session.clone()).await,
        put(key.clone(), "appt-1".into(), wrong_types.clone()).await,
        delete(key.clone(), "appt-1").await,
        get(key.clone(), "appt-1").await,
        start_url(key.clone(), "appt-1").await,
    ] {
        assert_problem(response, 403, "forbidden").await;
    }

    convene::tenancy::set_suspended(&app.store, &tenant.id, false, "test")
        .await
        .unwrap();
    assert_eq!(app.get_as(&key, "/v1/events/appt-1").await.status(), 200);
    assert_eq!(delete(key, "appt-1").await.status(), 204);
}
