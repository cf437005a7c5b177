//! The sandbox demo practice under `/demo`: registered once and kept across restarts, its
//! forms CSRF-checked, its webhook receiver refusing what the hub did not sign, and each
//! therapist seeing only their own appointments. (The whole story in a real browser is
//! tests/browser/demo.test.mjs.)

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::browser::{Browser, ZoomChoice, html_forms};
use crate::helpers::{TestApp, spawn_app, spawn_app_with, spawn_beside_with};
use crate::zoom_fixture::zoom_stops_honouring;
use convene::vault::{KeyRing, Purpose, SealContext};

const PRACTICE_NAME: &str = "Calmly Therapy (sandbox demo)";

async fn spawn_demo(data_dir: &std::path::Path) -> TestApp {
    let data_dir = data_dir.to_owned();
    spawn_app_with(move |config| {
        config.demo = true;
        config.data_dir = data_dir;
    })
    .await
}

/// The demo's file: its application id, API key and records.
fn practice_file(data_dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data_dir.join("convene-demo.json")).unwrap())
        .unwrap()
}

/// Opens `path` and returns its page text.
async fn page(browser: &Browser, app: &TestApp, path: &str) -> (u16, String) {
    let response = browser.client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Posts the form of the page at `path` whose action is `action`, with `fields`, from the page
/// itself (same origin); returns the status and `Location`.
async fn post_form(
    browser: &Browser,
    app: &TestApp,
    path: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let (_, html) = page(browser, app, path).await;
    let form = html_forms(&html)
        .into_iter()
        .find(|form| form.action == action)
        .unwrap_or_else(|| panic!("a form posting to {action} on {path}"));
    let extra = fields
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let response = browser
        .client
        .post(app.url(action))
        .header("origin", &app.address)
        .form(&form.submission(extra))
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (response.status().as_u16(), location)
}

/// Signs up a therapist in a new browser (skipping Zoom); returns the browser and their id.
async fn sign_up(
    app: &TestApp,
    data_dir: &std::path::Path,
    name: &str,
    email: &str,
) -> (Browser, String) {
    let browser = Browser::new();
    let fields = [("name", name), ("email", email)];
    let (status, location) =
        post_form(&browser, app, "/demo/signup", "/demo/signup", &fields).await;
    assert_eq!((status, location.as_str()), (303, "/demo/signup/profile"));
    let therapists = practice_file(data_dir)["therapists"].clone();
    let id = therapists
        .as_array()
        .unwrap()
        .iter()
        .find(|therapist| therapist["email"] == email)
        .expect("the new therapist is kept")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (browser, id)
}

async fn demo_application(app: &TestApp) -> Vec<convene::store::applications::Application> {
    app.store
        .list_applications()
        .await
        .unwrap()
        .into_iter()
        .filter(|application| application.name == PRACTICE_NAME)
        .collect()
}

#[tokio::test]
async fn the_demo_is_off_unless_asked_for() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/demo")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(demo_application(&app).await.is_empty());
}

#[tokio::test]
async fn the_practice_registers_once_and_survives_restarts_a_revoked_key_and_a_new_address() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut first = spawn_demo(data_dir.path()).await;
    let registered = demo_application(&first).await;
    assert_eq!(registered.len(), 1, "one demo application");
    let application = &registered[0];
    assert_eq!(
        convene::tenancy::redirect_uris(application),
        [first.url("/demo/zoom/connected")]
    );
    assert_eq!(
        application.webhook_url.as_deref(),
        Some(first.url("/demo/webhooks").as_str())
    );
    let saved = practice_file(data_dir.path());
    assert_eq!(saved["application_id"], application.id.as_str());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data_dir.path().join("convene-demo.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the file holding the key is private");
    }
    let (_, maja) = sign_up(&first, data_dir.path(), "Maja Kovač", "maja@calmly.example").await;

    // An operator revokes the demo's key while the hub is down.
    let old_key = saved["api_key"].as_str().unwrap().to_owned();
    let keys = first
        .admin(
            reqwest::Method::GET,
            &format!("/admin/api/applications/{}", application.id),
        )
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let key_id = keys["keys"][0]["id"].as_str().unwrap().to_owned();
    let revoked = first
        .admin(
            reqwest::Method::DELETE,
            &format!("/admin/api/applications/{}/keys/{key_id}", application.id),
        )
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success(), "{}", revoked.status());
    first.shut_down().await;

    // Started again on another port: same application, a new key, endpoints moved along.
    let data = data_dir.path().to_owned();
    let second = spawn_beside_with(&first, move |config| {
        config.demo = true;
        config.data_dir = data;
    })
    .await;
    let registered = demo_application(&second).await;
    assert_eq!(registered.len(), 1, "still one demo application");
    assert_eq!(registered[0].id, application.id);
    assert_eq!(
        convene::tenancy::redirect_uris(&registered[0]),
        [second.url("/demo/zoom/connected")]
    );
    let saved = practice_file(data_dir.path());
    assert_ne!(
        saved["api_key"],
        old_key.as_str(),
        "a new key replaced the revoked one"
    );
    assert_eq!(saved["therapists"][0]["id"], maja.as_str());

    // Maja continues where she was, and the practice can reach the hub with its new key.
    let browser = Browser::new();
    let (status, location) = post_form(
        &browser,
        &second,
        "/demo",
        "/demo/sign_in",
        &[("therapist_id", &maja)],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, "/demo/home"));
    let (status, home) = page(&browser, &second, "/demo/home").await;
    assert_eq!(status, 200, "{home}");
    assert!(home.contains("Not connected"), "{home}");
    assert!(!home.contains(saved["api_key"].as_str().unwrap()));
}

#[tokio::test]
async fn forms_posted_from_elsewhere_or_without_their_token_change_nothing() {
    let data_dir = tempfile::tempdir().unwrap();
    let app = spawn_demo(data_dir.path()).await;
    let browser = Browser::new();
    page(&browser, &app, "/demo/signup").await;
    for (origin, csrf) in [
        ("https://evil.example", None),
        (app.address.as_str(), Some("guessed")),
        (app.address.as_str(), None),
    ] {
        let mut fields = vec![("name", "Mallory"), ("email", "m@evil.example")];
        if let Some(csrf) = csrf {
            fields.push(("csrf", csrf));
        }
        let response = browser
            .client
            .post(app.url("/demo/signup"))
            .header("origin", origin)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "from {origin} with {csrf:?}");
    }
    // With its token but without the fields: the form again, saying what is missing.
    let (status, _) = post_form(&browser, &app, "/demo/signup", "/demo/signup", &[]).await;
    assert_eq!(status, 422);
    assert!(
        practice_file(data_dir.path())["therapists"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Signed out, the practice's pages send the browser to the start page.
    let stranger = Browser::new();
    for path in ["/demo/home", "/demo/settings", "/demo/appointments/new"] {
        let response = stranger.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers()["location"], "/demo");
    }
    // A return from the connect page this browser did not start is refused.
    let (browser, _) = sign_up(&app, data_dir.path(), "Maja Kovač", "maja@calmly.example").await;
    let (status, text) = page(
        &browser,
        &app,
        "/demo/zoom/connected?status=connected&state=forged&link_id=l&end_user_id=x",
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("not the connection you started"), "{text}");
}

#[tokio::test]
async fn a_therapist_sees_and_deletes_only_their_own_appointments() {
    let data_dir = tempfile::tempdir().unwrap();
    let app = spawn_demo(data_dir.path()).await;
    let (maja_browser, _) =
        sign_up(&app, data_dir.path(), "Maja Kovač", "maja@calmly.example").await;
    let (_, tom) = sign_up(&app, data_dir.path(), "Tom Reyes", "tom@calmly.example").await;
    // Tom's appointment, made through the practice's own key (no Zoom meeting needed here).
    let key = practice_file(data_dir.path())["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = app
        .client
        .put(app.url("/v1/events/appt_tom_1"))
        .bearer_auth(&key)
        .json(&json!({
            "end_user_id": tom, "summary": "Therapy session",
            "start": "2099-01-05T10:00:00Z", "end": "2099-01-05T10:50:00Z", "tzid": "UTC",
            "attendees": [{"email": "riley@example.org", "name": "Riley Park"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let (_, home) = page(&maja_browser, &app, "/demo/home").await;
    assert!(
        !home.contains("Riley Park"),
        "Maja does not see Tom's patient"
    );
    for path in [
        "/demo/appointments/appt_tom_1/delete",
        "/demo/appointments/no_such_appt/delete",
    ] {
        let (status, text) = page(&maja_browser, &app, path).await;
        assert_eq!(status, 404, "{path}: {text}");
    }
    let deleted = maja_browser
        .client
        .post(app.url("/demo/appointments/appt_tom_1/delete"))
        .header("origin", &app.address)
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 403, "no token: refused before anything");
    let still = app.get_as(&key, "/v1/events/appt_tom_1").await;
    assert_eq!(still.status(), 200, "Tom's appointment is still there");
}

#[tokio::test]
async fn webhooks_the_hub_did_not_sign_are_refused_and_signed_ones_reach_the_therapist() {
    let data_dir = tempfile::tempdir().unwrap();
    let app = spawn_demo(data_dir.path()).await;
    let (browser, maja) = sign_up(&app, data_dir.path(), "Maja Kovač", "maja@calmly.example").await;
    let application = &demo_application(&app).await[0];
    let secret = KeyRing::parse(&app.master_keys)
        .unwrap()
        .open_str(
            &application.webhook_secret,
            &SealContext::new(Purpose::WebhookSecret, &application.id),
        )
        .unwrap();
    let key = STANDARD
        .decode(secret.expose_secret().strip_prefix("whsec_").unwrap())
        .unwrap();
    let body = json!({
        "type": "link.removed",
        "timestamp": "2026-11-22T10:00:00Z",
        "data": {
            "id": "link_1", "end_user_id": maja, "provider": "zoom", "status": "active",
            "account": {"email": "maja@sandbox.zoom.test", "display_name": "Maja"},
            "connected_at": "2026-11-22T09:00:00Z", "reason": "operator"
        }
    })
    .to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let sign = |id: &str, timestamp: i64, body: &str| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    };
    let deliver = |id: &str, timestamp: i64, signature: String, body: String| {
        app.client
            .post(app.url("/demo/webhooks"))
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let tampered = body.replace("operator", "end_user");
    for (what, response) in [
        (
            "unsigned",
            app.client
                .post(app.url("/demo/webhooks"))
                .body(body.clone())
                .send()
                .await
                .unwrap(),
        ),
        (
            "tampered",
            deliver("msg_1", now, sign("msg_1", now, &body), tampered)
                .await
                .unwrap(),
        ),
        (
            "stale",
            deliver(
                "msg_1",
                now - 600,
                sign("msg_1", now - 600, &body),
                body.clone(),
            )
            .await
            .unwrap(),
        ),
    ] {
        assert_eq!(response.status(), 401, "{what}");
    }
    let (_, home) = page(&browser, &app, "/demo/home").await;
    assert!(!home.contains("Zoom disconnected"), "nothing kept yet");

    // Signed (with an unknown second signature beside it, as during a secret rotation), twice.
    for _ in 0..2 {
        let signature = format!("v1,bm90IG91cnM= {}", sign("msg_1", now, &body));
        let response = deliver("msg_1", now, signature, body.clone())
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
    let (_, home) = page(&browser, &app, "/demo/home").await;
    assert_eq!(
        home.matches("operator removed it.").count(),
        1,
        "kept once: {home}"
    );
}

/// Connects the signed-in therapist's Zoom from the home page, as the browser would: the
/// hub's connect page, the sandbox Zoom as `email`, and back to the practice.
async fn connect_zoom(app: &TestApp, browser: &Browser, email: &str) {
    let (status, connect_url) =
        post_form(browser, app, "/demo/home", "/demo/zoom/connect", &[]).await;
    assert_eq!(status, 303);
    let connect_url = url::Url::parse(&connect_url).unwrap();
    let to_zoom = app.press(browser, &connect_url, "Connect Zoom").await;
    let zoom = connect_url
        .join(to_zoom.headers()["location"].to_str().unwrap())
        .unwrap();
    let back = browser
        .through_zoom(
            zoom,
            email,
            ZoomChoice::Allow,
            &app.url("/demo/zoom/connected"),
        )
        .await;
    let home = browser.client.get(back).send().await.unwrap();
    assert_eq!(home.headers()["location"], "/demo/home");
}

#[tokio::test]
async fn a_connection_zoom_stops_honouring_is_shown_and_reconnected_from_the_home_page() {
    let data_dir = tempfile::tempdir().unwrap();
    let app = spawn_demo(data_dir.path()).await;
    let (browser, _) = sign_up(&app, data_dir.path(), "Maja Kovač", "maja@calmly.example").await;
    connect_zoom(&app, &browser, "maja@sandbox.zoom.test").await;
    let (_, home) = page(&browser, &app, "/demo/home").await;
    assert!(home.contains("Connected</span>"), "{home}");
    assert!(
        home.contains("Zoom is connected."),
        "the return is acknowledged once"
    );
    let (status, _) = page(&browser, &app, "/demo/appointments/new").await;
    assert_eq!(status, 200);

    // Zoom stops honouring the connection: the hub marks it and tells the practice.
    zoom_stops_honouring(&app.store).await;
    let (_, home) = page(&browser, &app, "/demo/home").await;
    assert!(home.contains("Needs reconnecting"), "{home}");
    assert!(home.contains("Reconnect Zoom"));
    assert!(home.contains("disabled"), "scheduling is off");
    let response = browser
        .client
        .get(app.url("/demo/appointments/new"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/demo/home");

    // Reconnecting from the home page makes it work again.
    connect_zoom(&app, &browser, "maja@sandbox.zoom.test").await;
    let (_, home) = page(&browser, &app, "/demo/home").await;
    assert!(home.contains("Connected</span>"), "{home}");
    assert!(!home.contains("Needs reconnecting"));
}
