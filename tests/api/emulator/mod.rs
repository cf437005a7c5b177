//! Conformance tests of the Zoom emulator (`convene::sandbox`): each test starts its own
//! standalone emulator on loopback and speaks raw HTTP to it, asserting Zoom's wire protocol
//! (status codes, exact bodies and headers) as /work/shared/reference/zoom.md records it.

mod faults;
mod meetings;
mod oauth;
mod pages;
mod validation;
mod webhooks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use convene::sandbox::{EmulatorConfig, RunningEmulator, spawn_standalone};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

pub const CLIENT_ID: &str = "sandbox-client-id";
pub const CLIENT_SECRET: &str = "sandbox-client-secret";
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/connect/zoom/callback";
pub const WEBHOOK_SECRET: &str = "sandbox-webhook-secret-token";
pub const ANA: &str = "ana.novak@sandbox.zoom.test";
pub const BEN: &str = "ben.okafor@sandbox.zoom.test";
pub const CHLOE: &str = "chloe.martin@sandbox.zoom.test";

/// A standalone emulator with test settings: webhook retries after 50 and 100 ms.
pub async fn start() -> RunningEmulator {
    start_with(|_| {}).await
}

/// A standalone emulator whose test settings `customize` may change.
pub async fn start_with(customize: impl FnOnce(&mut EmulatorConfig)) -> RunningEmulator {
    spawn_standalone(|base_url| {
        let mut config = EmulatorConfig::new(
            base_url,
            CLIENT_ID,
            CLIENT_SECRET,
            vec![REDIRECT_URI.to_owned()],
            WEBHOOK_SECRET,
        );
        config.webhook_retry_delays = vec![Duration::from_millis(50), Duration::from_millis(100)];
        customize(&mut config);
        config
    })
    .await
    .expect("the emulator starts")
}

/// A plain HTTP client that never follows redirects.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// A browser: keeps cookies, never follows redirects.
pub fn browser() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a browser")
}

/// The value of the first `<input … name="{name}" value="…">` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let mut random = [0u8; 32];
    rand::fill(&mut random);
    let verifier = URL_SAFE_NO_PAD.encode(random);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// The authorize parameters the hub sends.
pub fn authorize_params(state: &str, challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".to_owned()),
        ("client_id", CLIENT_ID.to_owned()),
        ("redirect_uri", REDIRECT_URI.to_owned()),
        ("state", state.to_owned()),
        ("code_challenge", challenge.to_owned()),
        ("code_challenge_method", "S256".to_owned()),
    ]
}

/// Opens the authorize URL with `params` in `browser`.
pub async fn open_authorize(
    browser: &reqwest::Client,
    emulator: &RunningEmulator,
    params: &[(&'static str, String)],
) -> reqwest::Response {
    browser
        .get(emulator.url("/oauth/authorize"))
        .query(params)
        .send()
        .await
        .expect("authorize answers")
}

/// Signs in from the sign-in page of an authorization; answers the consent page.
pub async fn sign_in_for_consent(
    browser: &reqwest::Client,
    emulator: &RunningEmulator,
    email: &str,
    params: &[(&'static str, String)],
) -> String {
    let page = open_authorize(browser, emulator, params)
        .await
        .text()
        .await
        .expect("a page");
    let nonce = hidden_field(&page, "nonce").expect("the sign-in form has a nonce");
    let mut form = params.to_vec();
    form.push(("nonce", nonce));
    form.push(("email", email.to_owned()));
    form.push(("next", "authorize".to_owned()));
    let consent = browser
        .post(emulator.url("/signin"))
        .form(&form)
        .send()
        .await
        .expect("sign-in answers");
    assert_eq!(consent.status(), StatusCode::OK);
    consent.text().await.expect("the consent page")
}

/// Submits the consent page's decision ("allow" or "deny").
pub async fn decide(
    browser: &reqwest::Client,
    emulator: &RunningEmulator,
    consent_page: &str,
    params: &[(&'static str, String)],
    decision: &str,
) -> reqwest::Response {
    let csrf = hidden_field(consent_page, "csrf").expect("the consent form has a CSRF token");
    let mut form = params.to_vec();
    form.push(("csrf", csrf));
    form.push(("decision", decision.to_owned()));
    browser
        .post(emulator.url("/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .expect("the decision answers")
}

/// A query parameter of a redirect's `Location`.
pub fn location_param(response: &reqwest::Response, name: &str) -> Option<String> {
    let location = response.headers().get("location")?.to_str().ok()?;
    let url = url::Url::parse(location).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Runs the browser side for `email` with PKCE in a fresh browser and answers the code.
pub async fn authorization_code(emulator: &RunningEmulator, email: &str, pkce: &Pkce) -> String {
    authorization_code_in(&browser(), emulator, email, pkce).await
}

/// Runs the browser side for `email` with PKCE in `browser` and answers the code.
pub async fn authorization_code_in(
    browser: &reqwest::Client,
    emulator: &RunningEmulator,
    email: &str,
    pkce: &Pkce,
) -> String {
    let params = authorize_params("state-1", &pkce.challenge);
    let consent = sign_in_for_consent(browser, emulator, email, &params).await;
    let redirect = decide(browser, emulator, &consent, &params, "allow").await;
    assert_eq!(redirect.status(), StatusCode::FOUND);
    location_param(&redirect, "code").expect("the redirect carries a code")
}

/// `POST /oauth/token` with Basic client auth and the given form.
pub async fn token_request(emulator: &RunningEmulator, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(emulator.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .expect("the token endpoint answers")
}

/// Exchanges a code as the hub does.
pub async fn exchange(emulator: &RunningEmulator, code: &str, verifier: &str) -> reqwest::Response {
    token_request(
        emulator,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// Tokens of a connected user.
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
}

impl Tokens {
    fn from_body(body: &Value) -> Self {
        Tokens {
            access_token: body["access_token"]
                .as_str()
                .expect("an access token")
                .to_owned(),
            refresh_token: body["refresh_token"]
                .as_str()
                .expect("a refresh token")
                .to_owned(),
        }
    }
}

/// The whole connect flow for `email` in a fresh browser: sign in, allow, exchange the code.
pub async fn connect(emulator: &RunningEmulator, email: &str) -> Tokens {
    connect_in(&browser(), emulator, email).await
}

/// The whole connect flow for `email` in `browser`, which stays signed in.
pub async fn connect_in(
    browser: &reqwest::Client,
    emulator: &RunningEmulator,
    email: &str,
) -> Tokens {
    let pkce = pkce();
    let code = authorization_code_in(browser, emulator, email, &pkce).await;
    let response = exchange(emulator, &code, &pkce.verifier).await;
    assert_eq!(response.status(), StatusCode::OK);
    Tokens::from_body(&response.json().await.expect("a token body"))
}

/// A refresh_token grant.
pub async fn refresh(emulator: &RunningEmulator, refresh_token: &str) -> reqwest::Response {
    token_request(
        emulator,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// A REST call with a bearer token.
pub fn rest(
    emulator: &RunningEmulator,
    method: reqwest::Method,
    path: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(method, emulator.url(path))
        .bearer_auth(token)
}

/// Creates a meeting for the token's user and answers its JSON.
pub async fn create_meeting(emulator: &RunningEmulator, token: &str, body: Value) -> Value {
    let response = rest(
        emulator,
        reqwest::Method::POST,
        "/v2/users/me/meetings",
        token,
    )
    .json(&body)
    .send()
    .await
    .expect("create answers");
    assert_eq!(response.status(), StatusCode::CREATED, "create failed");
    response.json().await.expect("a meeting")
}

/// Waits until `check` holds, for up to ten seconds.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// One request a webhook receiver got.
#[derive(Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON notification")
    }
}

type Reply = dyn Fn(&Received, usize) -> (StatusCode, String) + Send + Sync;

/// A webhook endpoint on loopback that records what arrives and answers with `reply`
/// (given the request and how many came before it).
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    _stop: oneshot::Sender<()>,
}

impl Receiver {
    pub async fn start(
        reply: impl Fn(&Received, usize) -> (StatusCode, String) + Send + Sync + 'static,
    ) -> Receiver {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let reply: Arc<Reply> = Arc::new(reply);
        let log = received.clone();
        let app = axum::Router::new().route(
            "/zoom",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let log = log.clone();
                let reply = reply.clone();
                async move {
                    let request = Received {
                        headers,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    };
                    let earlier = {
                        let mut log = log.lock().expect("the log");
                        log.push(request.clone());
                        log.len() - 1
                    };
                    reply(&request, earlier)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let url = format!("http://{}/zoom", listener.local_addr().expect("an address"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Receiver {
            url,
            received,
            _stop: stop,
        }
    }

    /// A receiver that acknowledges everything with 200 and answers URL validations correctly.
    pub async fn acknowledging() -> Receiver {
        Receiver::start(|request, _| (StatusCode::OK, validation_reply(request))).await
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("the log").clone()
    }

    /// Notifications other than URL validations.
    pub fn events(&self) -> Vec<Value> {
        self.received()
            .iter()
            .map(Received::json)
            .filter(|event| event["event"] != "endpoint.url_validation")
            .collect()
    }
}

/// The correct answer to `endpoint.url_validation` (empty for other events).
pub fn validation_reply(request: &Received) -> String {
    let event = request.json();
    if event["event"] != "endpoint.url_validation" {
        return String::new();
    }
    let plain = event["payload"]["plainToken"].as_str().unwrap_or_default();
    serde_json::json!({"plainToken": plain, "encryptedToken": hmac_hex(WEBHOOK_SECRET, plain)})
        .to_string()
}

/// Hex HMAC-SHA256, computed independently of the emulator.
pub fn hmac_hex(secret: &str, message: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}
