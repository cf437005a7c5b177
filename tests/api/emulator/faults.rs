//! Switches: latency, injected statuses, 429s with both `Retry-After` forms, connection cuts
//! after processing, and the ledger — through the Rust handle and the HTTP control API.

use std::time::{Duration, Instant};

use convene::sandbox::{Fault, FaultScope, RetryAfter};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

async fn me(emulator: &RunningEmulator, token: &str) -> reqwest::Response {
    rest(emulator, Method::GET, "/v2/users/me", token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn latency_delays_oauth_and_rest_calls_but_not_pages() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let latency = Duration::from_millis(800);
    emulator.emulator.set_latency(latency);

    let started = Instant::now();
    assert_eq!(
        me(&emulator, &tokens.access_token).await.status(),
        StatusCode::OK
    );
    assert!(started.elapsed() >= latency);
    let started = Instant::now();
    assert_eq!(
        refresh(&emulator, &tokens.refresh_token).await.status(),
        StatusCode::OK
    );
    assert!(started.elapsed() >= latency);
    let started = Instant::now();
    browser().get(emulator.url("/apps")).send().await.unwrap();
    assert!(started.elapsed() < latency);
}

#[tokio::test]
async fn a_status_fault_answers_the_next_requests_in_scope_then_stops() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    emulator.emulator.inject(Fault::Status {
        scope: FaultScope::Api,
        status: 503,
        count: 2,
    });
    emulator.emulator.inject(Fault::Status {
        scope: FaultScope::Api,
        status: 500,
        count: 1,
    });

    let first = me(&emulator, &tokens.access_token).await;
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        first.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(first.text().await.unwrap().contains("503"));
    assert_eq!(
        me(&emulator, &tokens.access_token).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let third = me(&emulator, &tokens.access_token).await;
    assert_eq!(third.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(third.json::<Value>().await.unwrap()["code"], 500);
    assert_eq!(
        me(&emulator, &tokens.access_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_fault_scoped_to_oauth_leaves_the_api_alone() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    emulator.emulator.inject(Fault::Status {
        scope: FaultScope::OAuth,
        status: 500,
        count: 1,
    });

    assert_eq!(
        me(&emulator, &tokens.access_token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        refresh(&emulator, &tokens.refresh_token).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let refreshed = refresh(&emulator, &tokens.refresh_token).await;
    assert_eq!(
        refreshed.status(),
        StatusCode::OK,
        "a refused request rotated nothing"
    );
}

#[tokio::test]
async fn rate_limited_faults_send_retry_after_in_seconds() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    emulator.emulator.inject(Fault::RateLimited {
        scope: FaultScope::All,
        count: 1,
        retry_after: RetryAfter::Seconds(2),
    });

    let response = me(&emulator, &tokens.access_token).await;

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(response.headers()["x-ratelimit-type"], "QPS");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 429);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Too many requests")
    );
}

#[tokio::test]
async fn rate_limited_faults_send_retry_after_as_a_date_time() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let at: jiff::Timestamp = "2026-12-02T00:00:00Z".parse().unwrap();
    emulator.emulator.inject(Fault::RateLimited {
        scope: FaultScope::Api,
        count: 1,
        retry_after: RetryAfter::DateTime(at),
    });
    emulator.emulator.inject(Fault::RateLimited {
        scope: FaultScope::Api,
        count: 1,
        retry_after: RetryAfter::HttpDate(at),
    });

    let rfc3339 = me(&emulator, &tokens.access_token).await;
    let http_date = me(&emulator, &tokens.access_token).await;

    assert_eq!(rfc3339.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(rfc3339.headers()["retry-after"], "2026-12-02T00:00:00Z");
    assert_eq!(
        http_date.headers()["retry-after"],
        "Wed, 02 Dec 2026 00:00:00 GMT"
    );
}

#[tokio::test]
async fn a_reset_after_processing_cuts_the_connection_but_the_refresh_token_rotated() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    emulator.emulator.inject(Fault::ResetAfterProcessing {
        scope: FaultScope::OAuth,
        count: 1,
    });

    let cut = client()
        .post(emulator.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens.refresh_token.as_str()),
        ])
        .send()
        .await;

    let error = cut.expect_err("no response reaches the client");
    assert!(error.is_request() && error.status().is_none(), "{error:?}");
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    assert_eq!(
        emulator.emulator.refresh_grants(&ana.id),
        1,
        "the grant was processed"
    );
    let replay = refresh(&emulator, &tokens.refresh_token).await;
    assert_eq!(
        replay.status(),
        StatusCode::BAD_REQUEST,
        "the presented refresh token is dead"
    );
    let entry = emulator
        .emulator
        .ledger()
        .into_iter()
        .rev()
        .find(|entry| entry.reset)
        .unwrap();
    assert_eq!((entry.path.as_str(), entry.status), ("/oauth/token", 200));
}

#[tokio::test]
async fn a_reset_after_processing_a_create_still_creates_the_meeting() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    emulator.emulator.inject(Fault::ResetAfterProcessing {
        scope: FaultScope::Api,
        count: 1,
    });

    let cut = rest(
        &emulator,
        Method::POST,
        "/v2/users/me/meetings",
        &tokens.access_token,
    )
    .json(&json!({"topic": "Created in the dark"}))
    .send()
    .await;

    assert!(cut.is_err());
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    let meetings = emulator.emulator.meetings_of(&ana.id);
    assert_eq!(meetings.len(), 1);
    assert_eq!(meetings[0]["topic"], "Created in the dark");
}

#[tokio::test]
async fn clearing_faults_disarms_them() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    emulator.emulator.inject(Fault::Status {
        scope: FaultScope::All,
        status: 503,
        count: 10,
    });
    emulator.emulator.clear_faults();

    assert_eq!(
        me(&emulator, &tokens.access_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_ledger_records_method_path_status_and_user_without_query_or_tokens() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    rest(
        &emulator,
        Method::GET,
        "/v2/users/me/meetings",
        &tokens.access_token,
    )
    .query(&[("page_size", "5")])
    .send()
    .await
    .unwrap();
    me(&emulator, "bogus").await;

    let ledger = emulator.emulator.ledger();

    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    let token = ledger
        .iter()
        .find(|entry| entry.path == "/oauth/token")
        .unwrap();
    assert_eq!((token.method.as_str(), token.status), ("POST", 200));
    assert_eq!(token.user_id.as_deref(), Some(ana.id.as_str()));
    let list = ledger
        .iter()
        .find(|entry| entry.path == "/v2/users/me/meetings")
        .unwrap();
    assert_eq!((list.method.as_str(), list.status), ("GET", 200));
    assert_eq!(list.user_id.as_deref(), Some(ana.id.as_str()));
    let refused = ledger
        .iter()
        .rev()
        .find(|entry| entry.path == "/v2/users/me")
        .unwrap();
    assert_eq!((refused.status, refused.user_id.as_deref()), (401, None));
    assert_eq!(
        ledger
            .iter()
            .filter(|entry| entry.path.starts_with("/v2/"))
            .count(),
        2
    );
    assert!(
        ledger
            .iter()
            .all(|entry| entry.at > 0 && !entry.path.contains('?'))
    );
    let printed = format!("{ledger:?}");
    assert!(!printed.contains(&tokens.access_token) && !printed.contains(&tokens.refresh_token));
}

#[tokio::test]
async fn the_http_control_api_offers_the_same_switches() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let control = |path: &str| client().post(emulator.url(path));

    let fault = json!({"kind": "status", "scope": "api", "status": 503, "count": 1});
    assert_eq!(
        control("/_control/faults")
            .json(&fault)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        me(&emulator, &tokens.access_token).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    let limited = json!({"kind": "rate_limited", "scope": "api", "count": 1, "retry_after_date": "2026-12-02T00:00:00Z"});
    control("/_control/faults")
        .json(&limited)
        .send()
        .await
        .unwrap();
    let response = me(&emulator, &tokens.access_token).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "2026-12-02T00:00:00Z");

    let reset = json!({"kind": "reset", "scope": "oauth", "count": 1});
    control("/_control/faults")
        .json(&reset)
        .send()
        .await
        .unwrap();
    assert!(
        client()
            .post(emulator.url("/oauth/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens.refresh_token.as_str())
            ])
            .send()
            .await
            .is_err()
    );
    let grants: Value = client()
        .get(emulator.url(&format!("/_control/users/{ANA}/refresh_grants")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(grants, json!({"count": 1}));

    control("/_control/faults")
        .json(&json!({"kind": "status", "scope": "all", "status": 500, "count": 5}))
        .send()
        .await
        .unwrap();
    client()
        .delete(emulator.url("/_control/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        me(&emulator, &tokens.access_token).await.status(),
        StatusCode::OK
    );

    control("/_control/expire_access_tokens")
        .send()
        .await
        .unwrap();
    let expired = me(&emulator, &tokens.access_token).await;
    assert_eq!(
        expired.json::<Value>().await.unwrap()["message"],
        "Access token is expired."
    );

    control("/_control/latency")
        .json(&json!({"ms": 200}))
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    me(&emulator, &tokens.access_token).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    control("/_control/latency")
        .json(&json!({"ms": 0}))
        .send()
        .await
        .unwrap();

    let ledger: Value = client()
        .get(emulator.url("/_control/ledger"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let requests = ledger["requests"].as_array().unwrap();
    assert!(
        requests
            .iter()
            .any(|entry| entry["path"] == "/v2/users/me" && entry["status"] == 503)
    );
    assert!(
        requests
            .iter()
            .all(|entry| !entry["path"].as_str().unwrap().starts_with("/_control"))
    );

    let bad = control("/_control/faults")
        .json(&json!({"kind": "status", "scope": "api", "status": 200}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn killing_a_refresh_token_through_the_control_api_makes_refresh_fail() {
    let emulator = start().await;
    let tokens = connect(&emulator, BEN).await;

    let killed = client()
        .post(emulator.url(&format!("/_control/users/{BEN}/kill_refresh_token")))
        .send()
        .await
        .unwrap();

    assert_eq!(killed.status(), StatusCode::OK);
    assert_eq!(
        refresh(&emulator, &tokens.refresh_token)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!({"reason": "Invalid Token!", "error": "invalid_grant"})
    );
}

#[tokio::test]
async fn two_hundred_concurrent_requests_are_all_answered() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    emulator.emulator.set_latency(Duration::from_millis(50));

    let calls = (0..200).map(|i| {
        let request = if i % 2 == 0 {
            rest(&emulator, Method::GET, "/v2/users/me", &tokens.access_token)
        } else {
            rest(
                &emulator,
                Method::POST,
                "/v2/users/me/meetings",
                &tokens.access_token,
            )
            .json(&json!({"topic": format!("m{i}")}))
        };
        request.send()
    });
    let responses = futures_util::future::join_all(calls).await;

    let statuses: Vec<u16> = responses
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 100);
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 100);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 0);
}
