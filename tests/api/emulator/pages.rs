//! The emulator's pages: sign-in, sessions, escaping, the portal pages, and serving under a
//! path prefix inside another router.

use convene::sandbox::{Emulator, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn pages_are_self_contained_html_with_the_sandbox_banner_and_labelled_inputs() {
    let emulator = start().await;

    let response = open_authorize(
        &browser(),
        &emulator,
        &authorize_params("s", &pkce().challenge),
    )
    .await;

    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains("Zoom sandbox"));
    assert!(page.contains("name=\"viewport\""));
    assert!(page.contains("<label for=\"email\">") && page.contains("id=\"email\""));
    assert!(!page.contains("<script") && !page.contains("src=\"http"));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_scoped_to_the_base_path() {
    let emulator = start().await;
    let plain = client();
    let params = authorize_params("s", &pkce().challenge);
    let page = open_authorize(&plain, &emulator, &params)
        .await
        .text()
        .await
        .unwrap();
    let mut form = params.clone();
    form.push(("nonce", hidden_field(&page, "nonce").unwrap()));
    form.push(("email", ANA.to_owned()));
    form.push(("next", "authorize".to_owned()));

    let response = plain
        .post(emulator.url("/signin"))
        .form(&form)
        .send()
        .await
        .unwrap();

    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("zoom_sandbox_session="));
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} has {attribute}");
    }
}

#[tokio::test]
async fn a_sign_in_nonce_works_only_once() {
    let emulator = start().await;
    let params = authorize_params("s", &pkce().challenge);
    let page = open_authorize(&browser(), &emulator, &params)
        .await
        .text()
        .await
        .unwrap();
    let mut form = params.clone();
    form.push(("nonce", hidden_field(&page, "nonce").unwrap()));
    form.push(("email", ANA.to_owned()));
    form.push(("next", "authorize".to_owned()));

    let first = browser()
        .post(emulator.url("/signin"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let second = browser()
        .post(emulator.url("/signin"))
        .form(&form)
        .send()
        .await
        .unwrap();

    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn signing_in_with_a_new_email_makes_a_user_named_after_it() {
    let emulator = start().await;
    let tokens = connect(&emulator, "Jo.Van-Dyke@Example.org").await;

    let user = emulator
        .emulator
        .user_by_email("jo.van-dyke@example.org")
        .unwrap();

    assert_eq!(
        (user.first_name.as_str(), user.last_name.as_str()),
        ("Jo", "Van Dyke")
    );
    assert_eq!(user.id.len(), 22);
    assert_eq!(user.account_id.len(), 22);
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    assert_ne!(user.account_id, ana.account_id);
    let me: Value = rest(
        &emulator,
        reqwest::Method::GET,
        "/v2/users/me",
        &tokens.access_token,
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(me["email"], "jo.van-dyke@example.org");
}

#[tokio::test]
async fn an_implausible_email_shows_the_sign_in_page_again() {
    let emulator = start().await;
    let browser = browser();
    let params = authorize_params("s", &pkce().challenge);
    let page = open_authorize(&browser, &emulator, &params)
        .await
        .text()
        .await
        .unwrap();
    let mut form = params.clone();
    form.push(("nonce", hidden_field(&page, "nonce").unwrap()));
    form.push(("email", "not an email".to_owned()));
    form.push(("next", "authorize".to_owned()));

    let response = browser
        .post(emulator.url("/signin"))
        .form(&form)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let again = response.text().await.unwrap();
    assert!(again.contains("role=\"alert\""));
    assert!(hidden_field(&again, "nonce").is_some());
}

#[tokio::test]
async fn everything_shown_on_pages_is_html_escaped() {
    let emulator = start().await;
    let params = authorize_params("\"><script>alert(1)</script>", &pkce().challenge);

    let page = open_authorize(&browser(), &emulator, &params)
        .await
        .text()
        .await
        .unwrap();

    assert!(!page.contains("<script>alert(1)</script>"));
}

#[tokio::test]
async fn signing_out_from_consent_returns_to_the_sign_in_page() {
    let emulator = start().await;
    let browser = browser();
    let params = authorize_params("s", &pkce().challenge);
    let consent = sign_in_for_consent(&browser, &emulator, ANA, &params).await;
    let mut form = params.clone();
    form.push(("csrf", hidden_field(&consent, "csrf").unwrap()));

    let signed_out = browser
        .post(emulator.url("/signout"))
        .form(&form)
        .send()
        .await
        .unwrap();

    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    let location = signed_out.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.starts_with("/oauth/authorize?"));
    let page = browser
        .get(emulator.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        hidden_field(&page, "nonce").is_some(),
        "the sign-in page again"
    );
}

#[tokio::test]
async fn the_portal_pages_ask_to_sign_in_first_and_come_back() {
    let emulator = start().await;
    let browser = browser();

    let page = browser
        .get(emulator.url("/meetings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let nonce = hidden_field(&page, "nonce").unwrap();
    assert_eq!(hidden_field(&page, "next").as_deref(), Some("meetings"));
    let signed_in = browser
        .post(emulator.url("/signin"))
        .form(&[
            ("nonce", nonce.as_str()),
            ("email", BEN),
            ("next", "meetings"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], "/meetings");
    let meetings = browser
        .get(emulator.url("/meetings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(meetings.contains(BEN) && meetings.contains("No meetings yet."));
}

#[tokio::test]
async fn the_join_url_opens_a_landing_page() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let meeting = create_meeting(
        &emulator,
        &tokens.access_token,
        serde_json::json!({"topic": "Landing"}),
    )
    .await;

    let join = client()
        .get(meeting["join_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let missing = client()
        .get(emulator.url("/j/80000000000"))
        .send()
        .await
        .unwrap();

    assert_eq!(join.status(), StatusCode::OK);
    assert!(join.text().await.unwrap().contains("Landing"));
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn mounted_under_a_prefix_the_emulator_uses_the_prefix_everywhere() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let base = format!("{origin}/sandbox/zoom");
    let config = EmulatorConfig::new(
        base.parse().unwrap(),
        CLIENT_ID,
        CLIENT_SECRET,
        vec![REDIRECT_URI.to_owned()],
        WEBHOOK_SECRET,
    );
    let emulator = Emulator::new(config);
    let app = axum::Router::new().nest("/sandbox/zoom", emulator.router());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let plain = client();
    let params = authorize_params("s", &pkce().challenge);

    let page = plain
        .get(format!("{base}/oauth/authorize"))
        .query(&params)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("action=\"/sandbox/zoom/signin\""));
    let mut form = params.clone();
    form.push(("nonce", hidden_field(&page, "nonce").unwrap()));
    form.push(("email", ANA.to_owned()));
    form.push(("next", "authorize".to_owned()));
    let consent = plain
        .post(format!("{base}/signin"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let cookie = consent.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("Path=/sandbox/zoom;"), "{cookie}");
    assert!(
        consent
            .text()
            .await
            .unwrap()
            .contains("action=\"/sandbox/zoom/oauth/authorize\"")
    );

    let token = plain
        .post(format!("{base}/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "none")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::BAD_REQUEST);
    assert!(
        emulator
            .ledger()
            .iter()
            .any(|entry| entry.path == "/oauth/token")
    );
}
