//! OAuth: the authorize pages, code exchange with PKCE, client authentication, refresh
//! rotation, re-authorization and revocation.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn authorize_without_a_session_shows_the_sign_in_page_with_the_demo_users() {
    let emulator = start().await;
    let response = open_authorize(
        &browser(),
        &emulator,
        &authorize_params("s", &pkce().challenge),
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Zoom sandbox"));
    assert!(hidden_field(&page, "nonce").is_some());
    for email in [ANA, BEN, CHLOE] {
        assert!(page.contains(email), "the sign-in page lists {email}");
    }
}

#[tokio::test]
async fn allowing_redirects_back_with_a_code_and_the_state() {
    let emulator = start().await;
    let browser = browser();
    let params = authorize_params("opaque-state-42", &pkce().challenge);
    let consent = sign_in_for_consent(&browser, &emulator, ANA, &params).await;
    assert!(consent.contains("Allow") && consent.contains("Deny"));
    assert!(
        consent.contains("meeting:read")
            && consent.contains("meeting:write")
            && consent.contains("user:read")
    );

    let redirect = decide(&browser, &emulator, &consent, &params, "allow").await;

    assert_eq!(redirect.status(), StatusCode::FOUND);
    let location = redirect.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{REDIRECT_URI}?code=")),
        "{location}"
    );
    assert_eq!(
        location_param(&redirect, "state").as_deref(),
        Some("opaque-state-42")
    );
    assert!(location_param(&redirect, "code").unwrap().len() >= 32);
}

#[tokio::test]
async fn denying_redirects_back_with_access_denied_and_the_state() {
    let emulator = start().await;
    let browser = browser();
    let params = authorize_params("deny-state", &pkce().challenge);
    let consent = sign_in_for_consent(&browser, &emulator, BEN, &params).await;

    let redirect = decide(&browser, &emulator, &consent, &params, "deny").await;

    assert_eq!(redirect.status(), StatusCode::FOUND);
    assert_eq!(
        location_param(&redirect, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        location_param(&redirect, "state").as_deref(),
        Some("deny-state")
    );
    assert_eq!(location_param(&redirect, "code"), None);
}

#[tokio::test]
async fn a_signed_in_browser_goes_straight_to_consent() {
    let emulator = start().await;
    let browser = browser();
    let params = authorize_params("first", &pkce().challenge);
    sign_in_for_consent(&browser, &emulator, ANA, &params).await;

    let again = open_authorize(
        &browser,
        &emulator,
        &authorize_params("second", &pkce().challenge),
    )
    .await;

    assert_eq!(again.status(), StatusCode::OK);
    let page = again.text().await.unwrap();
    assert!(
        hidden_field(&page, "csrf").is_some(),
        "the consent page, not the sign-in page"
    );
    assert!(page.contains(ANA));
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_an_error_page_and_no_redirect() {
    let emulator = start().await;
    let mut params = authorize_params("s", &pkce().challenge);
    params[2].1 = "https://attacker.example/callback".to_owned();

    let response = open_authorize(&browser(), &emulator, &params).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    assert!(response.text().await.unwrap().contains("4709"));
}

#[tokio::test]
async fn a_redirect_uri_differing_only_by_a_trailing_slash_is_not_registered() {
    let emulator = start().await;
    let mut params = authorize_params("s", &pkce().challenge);
    params[2].1 = format!("{REDIRECT_URI}/");

    let response = open_authorize(&browser(), &emulator, &params).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn an_unknown_client_id_gets_an_error_page_and_no_redirect() {
    let emulator = start().await;
    let mut params = authorize_params("s", &pkce().challenge);
    params[1].1 = "someone-else".to_owned();

    let response = open_authorize(&browser(), &emulator, &params).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn a_consent_decision_without_the_sessions_csrf_token_is_refused() {
    let emulator = start().await;
    let browser = browser();
    let params = authorize_params("s", &pkce().challenge);
    sign_in_for_consent(&browser, &emulator, ANA, &params).await;
    let mut form = params.clone();
    form.push(("csrf", "forged".to_owned()));
    form.push(("decision", "allow".to_owned()));

    let response = browser
        .post(emulator.url("/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn the_code_exchange_answers_zooms_exact_token_shape() {
    let emulator = start().await;
    let pkce = pkce();
    let code = authorization_code(&emulator, ANA, &pkce).await;

    let response = exchange(&emulator, &code, &pkce.verifier).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_token",
            "api_url",
            "expires_in",
            "refresh_token",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["scope"], "meeting:read meeting:write user:read");
    assert_eq!(body["api_url"], emulator.url(""));
    assert!(body["access_token"].as_str().unwrap().len() >= 43);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);
}

#[tokio::test]
async fn a_code_works_only_once() {
    let emulator = start().await;
    let pkce = pkce();
    let code = authorization_code(&emulator, ANA, &pkce).await;
    assert_eq!(
        exchange(&emulator, &code, &pkce.verifier).await.status(),
        StatusCode::OK
    );

    let again = exchange(&emulator, &code, &pkce.verifier).await;

    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let body: Value = again.json().await.unwrap();
    assert_eq!(
        body,
        json!({"reason": format!("Invalid authorization code {code}"), "error": "invalid_request"})
    );
}

#[tokio::test]
async fn a_code_expires_after_five_minutes() {
    let emulator = start().await;
    let pkce = pkce();
    let code = authorization_code(&emulator, ANA, &pkce).await;
    emulator
        .emulator
        .advance_clock(Duration::from_secs(5 * 60 + 1));

    let response = exchange(&emulator, &code, &pkce.verifier).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let reason = body["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("Invalid authorization code {code}"))
            && reason.contains("4733")
    );
}

#[tokio::test]
async fn a_code_is_still_good_just_before_five_minutes() {
    let emulator = start().await;
    let pkce = pkce();
    let code = authorization_code(&emulator, ANA, &pkce).await;
    emulator
        .emulator
        .advance_clock(Duration::from_secs(5 * 60 - 5));

    assert_eq!(
        exchange(&emulator, &code, &pkce.verifier).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_code_exchanged_with_another_redirect_uri_is_refused() {
    let emulator = start().await;
    let pkce = pkce();
    let code = authorization_code(&emulator, ANA, &pkce).await;

    let response = token_request(
        &emulator,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/elsewhere"),
            ("code_verifier", &pkce.verifier),
        ],
    )
    .await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("redirect")
    );
}

#[tokio::test]
async fn pkce_s256_refuses_a_wrong_verifier_and_accepts_the_right_one() {
    let emulator = start().await;
    let pkce = pkce();
    let code = authorization_code(&emulator, ANA, &pkce).await;

    let wrong = exchange(
        &emulator,
        &code,
        "not-the-verifier-not-the-verifier-not-the-verifier",
    )
    .await;

    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.json::<Value>().await.unwrap(),
        json!({"reason": "Invalid code_verifier", "error": "invalid_request"})
    );
    let code = authorization_code(&emulator, ANA, &pkce).await;
    assert_eq!(
        exchange(&emulator, &code, &pkce.verifier).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn pkce_without_a_method_is_plain_as_zoom_defaults() {
    let emulator = start().await;
    let browser = browser();
    let mut params = authorize_params("s", "plain-challenge-value-plain-challenge-value-123");
    params.retain(|(name, _)| *name != "code_challenge_method");
    let consent = sign_in_for_consent(&browser, &emulator, ANA, &params).await;
    let redirect = decide(&browser, &emulator, &consent, &params, "allow").await;
    let code = location_param(&redirect, "code").unwrap();

    let response = exchange(
        &emulator,
        &code,
        "plain-challenge-value-plain-challenge-value-123",
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn token_requests_without_the_apps_basic_credentials_are_invalid_client() {
    let emulator = start().await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x")];
    let expected =
        json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"});

    let missing = client()
        .post(emulator.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let wrong_secret = client()
        .post(emulator.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let wrong_client = client()
        .post(emulator.url("/oauth/token"))
        .basic_auth("wrong", Some(CLIENT_SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();

    for response in [missing, wrong_secret, wrong_client] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.json::<Value>().await.unwrap(), expected);
    }
}

#[tokio::test]
async fn an_unsupported_grant_type_is_refused() {
    let emulator = start().await;

    let response = token_request(&emulator, &[("grant_type", "password")]).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"reason": "Unsupported grant type", "error": "unsupported_grant_type"})
    );
}

#[tokio::test]
async fn a_refresh_rotates_and_the_previous_refresh_token_dies_at_once() {
    let emulator = start().await;
    let first = connect(&emulator, ANA).await;

    let rotated = refresh(&emulator, &first.refresh_token).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.unwrap();
    assert_ne!(rotated["refresh_token"], first.refresh_token.as_str());
    assert_eq!(rotated["expires_in"], 3599);

    let replay = refresh(&emulator, &first.refresh_token).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        replay.json::<Value>().await.unwrap(),
        json!({"reason": "Invalid Token!", "error": "invalid_grant"})
    );
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    assert_eq!(emulator.emulator.refresh_grants(&ana.id), 1);
    let old_access = rest(
        &emulator,
        reqwest::Method::GET,
        "/v2/users/me",
        &first.access_token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        old_access.status(),
        StatusCode::OK,
        "earlier access tokens live until they expire"
    );
}

#[tokio::test]
async fn a_killed_refresh_token_answers_invalid_grant() {
    let emulator = start().await;
    let tokens = connect(&emulator, BEN).await;
    let ben = emulator.emulator.user_by_email(BEN).unwrap();
    emulator.emulator.kill_refresh_token(&ben.id);

    let response = refresh(&emulator, &tokens.refresh_token).await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"reason": "Invalid Token!", "error": "invalid_grant"})
    );
}

#[tokio::test]
async fn a_new_authorization_kills_the_users_older_tokens() {
    let emulator = start().await;
    let older = connect(&emulator, ANA).await;

    let newer = connect(&emulator, ANA).await;

    let old_refresh = refresh(&emulator, &older.refresh_token).await;
    assert_eq!(old_refresh.status(), StatusCode::BAD_REQUEST);
    let old_access = rest(
        &emulator,
        reqwest::Method::GET,
        "/v2/users/me",
        &older.access_token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(old_access.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        old_access.json::<Value>().await.unwrap(),
        json!({"code": 124, "message": "Invalid access token."})
    );
    let new_access = rest(
        &emulator,
        reqwest::Method::GET,
        "/v2/users/me",
        &newer.access_token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(new_access.status(), StatusCode::OK);
}

#[tokio::test]
async fn revoke_ends_the_authorization_and_refuses_unknown_tokens() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let revoke = |token: String| {
        client()
            .post(emulator.url("/oauth/revoke"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[("token", token)])
            .send()
    };

    let revoked = revoke(tokens.access_token.clone()).await.unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(
        revoked.json::<Value>().await.unwrap(),
        json!({"status": "success"})
    );

    let me = rest(
        &emulator,
        reqwest::Method::GET,
        "/v2/users/me",
        &tokens.access_token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refresh(&emulator, &tokens.refresh_token).await.status(),
        StatusCode::BAD_REQUEST
    );
    let unknown = revoke(tokens.access_token).await.unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        json!({"reason": "Invalid Token!", "error": "invalid_request"})
    );
}

#[tokio::test]
async fn revoke_requires_the_apps_basic_credentials() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    let response = client()
        .post(emulator.url("/oauth/revoke"))
        .form(&[("token", tokens.access_token.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
