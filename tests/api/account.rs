//! The end user's account page end to end: account links made by applications, *Sign in
//! with Zoom* through the sandbox Zoom, the page itself, and removing one app's link or the
//! whole Zoom account — with the signed webhooks the applications receive.

use std::time::Duration;

use convene::store::entity::{
    account_session, audit_entry, credential, email, link, webhook_delivery,
};
use convene::vault::{KeyRing, Purpose, SealContext};
use sea_orm::{EntityTrait, PaginatorTrait};
use secrecy::ExposeSecret;
use serde_json::Value;
use url::Url;

use crate::browser::{Browser, HtmlForm, ZoomChoice, html_forms};
use crate::helpers::{
    TestApp, TestTenant, assert_problem, captured_logs, spawn_app, spawn_app_with,
};
use crate::notifications::{Receiver, assert_signed};

const ANA: &str = "ana.novak@sandbox.zoom.test";
const BEN: &str = "ben.okafor@sandbox.zoom.test";

/// A hub whose outbox delivers webhooks quickly.
async fn hub() -> TestApp {
    spawn_app_with(|config| config.tuning.outbox_poll = Duration::from_millis(50)).await
}

impl TestApp {
    /// `POST /v1/end_users/{end_user_id}/account_link` as the tenant.
    pub async fn account_link(&self, tenant: &TestTenant, end_user_id: &str) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/v1/end_users/{end_user_id}/account_link")))
            .bearer_auth(&tenant.api_key)
            .send()
            .await
            .unwrap()
    }

    /// A fresh account-link URL for the tenant's end user.
    pub async fn account_url(&self, tenant: &TestTenant, end_user_id: &str) -> Url {
        let response = self.account_link(tenant, end_user_id).await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        Url::parse(body["url"].as_str().unwrap()).unwrap()
    }

    /// A new browser signed in through an account link of the tenant's end user.
    pub async fn signed_in_from(&self, tenant: &TestTenant, end_user_id: &str) -> Browser {
        let url = self.account_url(tenant, end_user_id).await;
        let browser = Browser::new();
        let response = browser.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 303, "the link signs in");
        assert_eq!(response.headers()["location"], "/account");
        browser
    }

    /// The account page as `browser` sees it.
    pub async fn account_page(&self, browser: &Browser) -> String {
        let response = browser
            .client
            .get(self.url("/account"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        response.text().await.unwrap()
    }

    /// The page a redirect of the hub's leads `browser` to.
    pub async fn follow(&self, browser: &Browser, response: reqwest::Response) -> String {
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let page = browser
            .client
            .get(self.url(&location))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{location}");
        page.text().await.unwrap()
    }

    /// Presses the account page's button labelled `label` (a *Remove* or *Disconnect
    /// Zoom*), then confirms on the page that follows; returns the confirmation's answer.
    pub async fn confirm_on_account_page(
        &self,
        browser: &Browser,
        label: &str,
    ) -> reqwest::Response {
        let page = self.account_page(browser).await;
        let form = form_with_button(&page, label);
        let confirm = browser
            .client
            .get(self.url(&form.action))
            .send()
            .await
            .unwrap();
        assert_eq!(confirm.status(), 200, "the confirmation page");
        let confirm_page = confirm.text().await.unwrap();
        let forms = html_forms(&confirm_page);
        let form = forms
            .iter()
            .find(|f| f.has_field("csrf"))
            .expect("a confirmation form");
        browser
            .client
            .post(self.url(&form.action))
            .form(&form.submission(Vec::new()))
            .send()
            .await
            .unwrap()
    }
}

/// The form holding the button whose label contains `label`.
fn form_with_button(page: &str, label: &str) -> HtmlForm {
    html_forms(page)
        .into_iter()
        .find(|form| form.button(label).is_some())
        .unwrap_or_else(|| panic!("no {label:?} button in:\n{page}"))
}

async fn links_of(app: &TestApp, tenant: &TestTenant, end_user_id: &str) -> Vec<Value> {
    let body: Value = app
        .get_as(&tenant.api_key, &format!("/v1/end_users/{end_user_id}"))
        .await
        .json()
        .await
        .unwrap();
    body["links"].as_array().unwrap().clone()
}

async fn credential_count(app: &TestApp) -> u64 {
    credential::Entity::find()
        .count(app.store.connection())
        .await
        .unwrap()
}

async fn session_count(app: &TestApp) -> u64 {
    account_session::Entity::find()
        .count(app.store.connection())
        .await
        .unwrap()
}

/// The webhooks `receiver` got once there are `count`, each checked against the
/// application's Standard Webhooks secret; their bodies.
async fn signed_webhooks(receiver: &Receiver, secret: &str, count: usize) -> Vec<Value> {
    for _ in 0..200 {
        let requests = receiver.requests();
        if requests.len() >= count {
            return requests
                .iter()
                .map(|received| {
                    assert_signed(secret, received);
                    serde_json::from_str(&received.body).unwrap()
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{count} webhooks did not arrive: {:?}", receiver.requests());
}

/// The plaintext access and refresh tokens of the one stored credential.
async fn stored_tokens(app: &TestApp) -> (String, Vec<String>) {
    let vault = KeyRing::parse(&app.master_keys).unwrap();
    let stored = credential::Entity::find()
        .one(app.store.connection())
        .await
        .unwrap()
        .expect("a credential");
    let open = |purpose, blob: &[u8]| {
        vault
            .open_str(
                blob,
                &SealContext {
                    purpose,
                    row_id: &stored.id,
                },
            )
            .unwrap()
            .expose_secret()
            .to_owned()
    };
    let access = open(Purpose::ZoomAccessToken, &stored.access_token);
    let refresh = open(Purpose::ZoomRefreshToken, &stored.refresh_token);
    (access.clone(), vec![access, refresh])
}

/// What the sandbox Zoom answers `GET /v2/users/me` with this access token.
async fn zoom_me_status(app: &TestApp, access_token: &str) -> u16 {
    app.client
        .get(app.url("/sandbox/zoom/v2/users/me"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn is_html(response: &reqwest::Response) -> bool {
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html")
}

#[tokio::test]
async fn an_account_link_is_single_use_and_lives_fifteen_minutes() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    app.connect_as(&calm, "t-1", ANA).await;

    let response = app.account_link(&calm, "t-1").await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let url = body["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/account/link?token=", app.address)),
        "{url}"
    );
    let expires = time::OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(14) && left <= time::Duration::minutes(15),
        "{left}"
    );

    let browser = Browser::new();
    let first = browser.client.get(url).send().await.unwrap();
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "/account");
    assert!(app.account_page(&browser).await.contains(ANA));

    let stranger = Browser::new();
    let reused = stranger.client.get(url).send().await.unwrap();
    assert_eq!(reused.status(), 410, "a used link gets an error page");
    assert!(is_html(&reused));
    assert!(reused.headers().get("set-cookie").is_none());
    let page = reused.text().await.unwrap();
    assert!(page.contains("expired") && page.contains("Calm"), "{page}");
    assert_eq!(session_count(&app).await, 1, "only the first use signed in");
}

#[tokio::test]
async fn an_expired_account_link_gets_an_error_page_and_signs_nobody_in() {
    let app =
        spawn_app_with(|config| config.tuning.account_link_ttl = Duration::from_millis(300)).await;
    let calm = app.create_tenant("Calm").await;
    app.connect_as(&calm, "t-1", ANA).await;
    let url = app.account_url(&calm, "t-1").await;
    tokio::time::sleep(Duration::from_millis(400)).await;

    let browser = Browser::new();
    let response = browser.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 410);
    assert!(response.text().await.unwrap().contains("expired"));
    assert_eq!(session_count(&app).await, 0);
    let page = app.account_page(&browser).await;
    assert!(page.contains("Sign in with Zoom"), "not signed in");
    assert!(!page.contains(ANA));
}

#[tokio::test]
async fn account_links_are_made_only_for_the_applications_own_end_users() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let ehr = app.create_tenant("EHR").await;
    app.connect_as(&calm, "t-1", ANA).await;

    assert_problem(app.account_link(&calm, "nobody").await, 404, "not_found").await;
    assert_problem(app.account_link(&ehr, "t-1").await, 404, "not_found").await;
    let too_long = "x".repeat(300);
    let problem = assert_problem(
        app.account_link(&calm, &too_long).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "end_user_id");
    let anonymous = app
        .client
        .post(app.url("/v1/end_users/t-1/account_link"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "unauthorized").await;
}

#[tokio::test]
async fn an_unknown_or_incomplete_account_link_gets_an_error_page() {
    let app = spawn_app().await;
    for path in [
        "/account/link",
        "/account/link?token=",
        "/account/link?token=not-a-real-token",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert!(is_html(&response), "{path}");
        assert!(response.headers().get("set-cookie").is_none());
    }
}

#[tokio::test]
async fn the_account_page_shows_the_zoom_account_every_linked_app_and_recent_activity() {
    let app = hub().await;
    let calm = app.create_tenant("Calm Therapy").await;
    let ehr = app.create_tenant("Northside EHR").await;
    app.connect_as(&calm, "t-1", ANA).await;
    app.connect_as(&ehr, "dr-9", ANA).await;
    let event = app.put_standard_session(&calm).await;
    assert_eq!(event["conferencing"]["status"], "ready", "{event}");

    let browser = app.signed_in_from(&ehr, "dr-9").await;
    let page = app.account_page(&browser).await;

    for words in [
        "Ana Novak",
        ANA,
        "Connected",
        "Calm Therapy",
        "Northside EHR",
        "Connected since",
        "Last used never",
        "Last used <time datetime=",
        "Calm Therapy was connected to this Zoom account",
        "Northside EHR was connected to this Zoom account",
        "Disconnect Zoom",
        "You opened this page from Northside EHR.",
    ] {
        assert!(page.contains(words), "page says {words:?}:\n{page}");
    }
    // The meeting's entry is written by meeting sync; the page words whatever it records.
    assert!(
        page.contains(
            "Calm Therapy created the meeting “Therapy session” for 1 Dec 2030, 15:00 UTC"
        ),
        "the meeting in the activity list:\n{page}"
    );
    let forms = html_forms(&page);
    assert!(
        forms
            .iter()
            .any(|f| f.button("Remove Calm Therapy").is_some())
    );
    assert!(
        forms
            .iter()
            .any(|f| f.button("Remove Northside EHR").is_some())
    );
}

#[tokio::test]
async fn removing_one_apps_link_tells_only_that_app_and_the_other_keeps_working() {
    let app = hub().await;
    let calm_hooks = Receiver::start(&[], 200).await;
    let ehr_hooks = Receiver::start(&[], 200).await;
    let calm = app
        .create_tenant_with_webhook("Calm", &calm_hooks.url())
        .await;
    let ehr = app
        .create_tenant_with_webhook("EHR", &ehr_hooks.url())
        .await;
    let calm_link = app.connect_as(&calm, "t-1", ANA).await["link_id"].clone();
    let ehr_link = app.connect_as(&ehr, "dr-9", ANA).await["link_id"].clone();
    signed_webhooks(&calm_hooks, &calm.webhook_secret, 1).await;
    signed_webhooks(&ehr_hooks, &ehr.webhook_secret, 1).await;

    let browser = app.signed_in_from(&calm, "t-1").await;
    let done = app.confirm_on_account_page(&browser, "Remove EHR").await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/account?notice=removed");

    let page = app.follow(&browser, done).await;
    assert!(page.contains("access was removed"), "{page}");
    assert!(page.contains("Calm"));
    assert!(
        html_forms(&page)
            .iter()
            .all(|f| f.button("Remove EHR").is_none()),
        "EHR is gone from the page"
    );
    assert!(page.contains("EHR was removed by you"), "{page}");

    let to_ehr = signed_webhooks(&ehr_hooks, &ehr.webhook_secret, 2).await;
    assert_eq!(to_ehr[1]["type"], "link.removed");
    assert_eq!(to_ehr[1]["data"]["id"], ehr_link.as_str());
    assert_eq!(to_ehr[1]["data"]["end_user_id"], "dr-9");
    assert_eq!(to_ehr[1]["data"]["reason"], "end_user");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(calm_hooks.requests().len(), 1, "Calm is told nothing");

    assert!(links_of(&app, &ehr, "dr-9").await.is_empty());
    let calm_links = links_of(&app, &calm, "t-1").await;
    assert_eq!(calm_links.len(), 1);
    assert_eq!(calm_links[0]["id"], calm_link.as_str());
    assert_eq!(calm_links[0]["status"], "active");
    assert_eq!(credential_count(&app).await, 1, "Calm still uses it");
    let event = app.put_standard_session(&calm).await;
    assert_eq!(event["conferencing"]["status"], "ready", "{event}");
}

#[tokio::test]
async fn disconnect_zoom_removes_every_link_revokes_at_zoom_and_leaves_no_token() {
    let app = hub().await;
    let calm_hooks = Receiver::start(&[], 200).await;
    let ehr_hooks = Receiver::start(&[], 200).await;
    let calm = app
        .create_tenant_with_webhook("Calm", &calm_hooks.url())
        .await;
    let ehr = app
        .create_tenant_with_webhook("EHR", &ehr_hooks.url())
        .await;
    app.connect_as(&calm, "t-1", ANA).await;
    app.connect_as(&ehr, "dr-9", ANA).await;
    let event = app.put_standard_session(&calm).await;
    let join_url = event["conferencing"]["join_url"].clone();
    let (access_token, tokens) = stored_tokens(&app).await;
    assert_eq!(zoom_me_status(&app, &access_token).await, 200);

    let browser = app.signed_in_from(&calm, "t-1").await;
    let done = app
        .confirm_on_account_page(&browser, "Disconnect Zoom")
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/account?notice=disconnected");
    let page = app.follow(&browser, done).await;
    assert!(page.contains("Your Zoom account is disconnected"), "{page}");
    assert!(page.contains("No Zoom account is connected"), "{page}");

    for (hooks, tenant, end_user) in [(&calm_hooks, &calm, "t-1"), (&ehr_hooks, &ehr, "dr-9")] {
        let count = if end_user == "t-1" { 3 } else { 2 };
        let bodies = signed_webhooks(hooks, &tenant.webhook_secret, count).await;
        let removed: Vec<&Value> = bodies
            .iter()
            .filter(|b| b["type"] == "link.removed")
            .collect();
        assert_eq!(removed.len(), 1, "{bodies:?}");
        assert_eq!(removed[0]["data"]["end_user_id"], end_user);
        assert_eq!(removed[0]["data"]["reason"], "end_user");
        assert!(links_of(&app, tenant, end_user).await.is_empty());
    }

    // Zoom was told: the hub's last access token no longer works there.
    assert_eq!(zoom_me_status(&app, &access_token).await, 401);
    // No token is left in the database: no credential row (the only place tokens are
    // sealed), and no plaintext token in anything written along the way.
    assert_eq!(credential_count(&app).await, 0);
    let deliveries = webhook_delivery::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap();
    let emails = email::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap();
    let audit = audit_entry::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap();
    let written = format!("{deliveries:?}{emails:?}{audit:?}");
    for token in &tokens {
        assert!(!written.contains(token.as_str()), "a token was written");
    }
    assert!(
        emails
            .iter()
            .any(|e| e.to_address == ANA && e.subject.contains("disconnected")),
        "the user is emailed"
    );

    // What stays: the event keeps its join URL; new conferencing needs a new connection.
    let kept: Value = app
        .get_as(&calm.api_key, "/v1/events/appt-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept["conferencing"]["join_url"], join_url);
}

#[tokio::test]
async fn an_app_link_session_cannot_see_or_remove_another_end_users_zoom_account() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let ehr = app.create_tenant("EHR").await;
    app.connect_as(&calm, "t-1", ANA).await;
    let bens_link = app.connect_as(&calm, "t-2", BEN).await["link_id"].clone();
    let bens_other_link = app.connect_as(&ehr, "dr-9", BEN).await["link_id"].clone();
    let bens_credential = credential::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.email == BEN)
        .unwrap()
        .id;

    let browser = app.signed_in_from(&calm, "t-1").await;
    let page = app.account_page(&browser).await;
    assert!(page.contains(ANA));
    assert!(!page.contains(BEN), "Ben's account is not shown");
    assert!(!page.contains("EHR"), "nor the apps on it");

    // A form of the page, to borrow its CSRF value for forged posts.
    let csrf = form_with_button(&page, "Sign out").fields[0].1.clone();
    for path in [
        format!("/account/links/{bens_link}/remove"),
        format!("/account/links/{bens_other_link}/remove"),
        "/account/links/lnk_forged/remove".to_owned(),
        format!("/account/zoom/{bens_credential}/disconnect"),
        "/account/zoom/cred_forged/disconnect".to_owned(),
    ] {
        let confirm = browser.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(confirm.status(), 404, "GET {path}");
        assert!(is_html(&confirm));
        assert!(!confirm.text().await.unwrap().contains(BEN));
        let forged = browser
            .client
            .post(app.url(&path))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 404, "POST {path}");
    }
    assert_eq!(
        links_of(&app, &calm, "t-2").await.len(),
        1,
        "nothing removed"
    );
    assert_eq!(links_of(&app, &ehr, "dr-9").await.len(), 1);
    assert_eq!(credential_count(&app).await, 2);
}

#[tokio::test]
async fn account_forms_without_the_pages_csrf_value_or_from_another_site_change_nothing() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let back = app.connect_as(&calm, "t-1", ANA).await;
    let path = format!("/account/links/{}/remove", back["link_id"]);
    let browser = app.signed_in_from(&calm, "t-1").await;
    let page = app.account_page(&browser).await;
    let csrf = form_with_button(&page, "Sign out").fields[0].1.clone();

    let guessed = browser
        .client
        .post(app.url(&path))
        .form(&[("csrf", "guessed")])
        .send()
        .await
        .unwrap();
    assert_eq!(guessed.status(), 403);
    let missing = browser
        .client
        .post(app.url(&path))
        .form(&[("other", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let cross_site = browser
            .client
            .post(app.url(&path))
            .header(header, value)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(cross_site.status(), 403, "{header}: {value}");
    }
    assert_eq!(
        links_of(&app, &calm, "t-1").await.len(),
        1,
        "nothing removed"
    );
}

#[tokio::test]
async fn without_a_session_the_page_offers_sign_in_with_zoom_and_actions_are_refused() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let back = app.connect_as(&calm, "t-1", ANA).await;
    let browser = Browser::new();
    let page = app.account_page(&browser).await;
    assert!(page.contains("Sign in with Zoom"));
    assert!(!page.contains(ANA));
    let csrf = form_with_button(&page, "Sign in with Zoom").fields[0]
        .1
        .clone();

    let path = format!("/account/links/{}/remove", back["link_id"]);
    let confirm = browser.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(confirm.status(), 401);
    assert!(is_html(&confirm));
    let post = browser
        .client
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 401);
    let forged_cookie = app
        .client
        .get(app.url("/account"))
        .header("cookie", "convene_account=forged-session-value")
        .send()
        .await
        .unwrap();
    assert_eq!(forged_cookie.status(), 200);
    assert!(!forged_cookie.text().await.unwrap().contains(ANA));
    assert_eq!(links_of(&app, &calm, "t-1").await.len(), 1);
}

/// Presses *Sign in with Zoom* on the account page and answers Zoom as `email`; returns
/// the hub's answer to Zoom's return.
async fn sign_in_with_zoom(app: &TestApp, browser: &Browser, email: &str) -> reqwest::Response {
    let callback = zoom_return(app, browser, email, ZoomChoice::Allow).await;
    browser.client.get(callback).send().await.unwrap()
}

/// Presses *Sign in with Zoom* on the account page and answers Zoom as `email`; returns
/// the callback URL Zoom sends the browser to.
async fn zoom_return(app: &TestApp, browser: &Browser, email: &str, choice: ZoomChoice) -> Url {
    let page = app.account_page(browser).await;
    let form = form_with_button(&page, "Sign in with Zoom");
    let to_zoom = browser
        .client
        .post(app.url(&form.action))
        .form(&form.submission(Vec::new()))
        .send()
        .await
        .unwrap();
    assert_eq!(to_zoom.status(), 303);
    let zoom = Url::parse(&app.address)
        .unwrap()
        .join(to_zoom.headers()["location"].to_str().unwrap())
        .unwrap();
    browser
        .through_zoom(zoom, email, choice, &app.callback_prefix())
        .await
}

#[tokio::test]
async fn sign_in_with_zoom_shows_that_users_account_and_its_apps_keep_working() {
    let app = hub().await;
    let calm = app.create_tenant("Calm").await;
    app.connect_as(&calm, "t-1", ANA).await;
    app.connect_as(&calm, "t-2", BEN).await;

    let browser = Browser::new();
    let back = sign_in_with_zoom(&app, &browser, ANA).await;
    assert_eq!(back.status(), 303);
    assert_eq!(back.headers()["location"], "/account");
    let page = app.account_page(&browser).await;
    assert!(page.contains(ANA) && page.contains("Calm"), "{page}");
    assert!(page.contains("You signed in with Zoom."));
    assert!(!page.contains(BEN), "only the Zoom user who signed in");

    // Zoom killed the hub's older tokens when Ana signed in: the new ones were stored.
    let event = app.put_standard_session(&calm).await;
    assert_eq!(event["conferencing"]["status"], "ready", "{event}");
    assert_eq!(credential_count(&app).await, 2);
}

#[tokio::test]
async fn a_link_needing_reauth_works_again_after_sign_in_with_zoom() {
    let app = hub().await;
    let calm = app.create_tenant("Calm").await;
    app.connect_as(&calm, "t-1", ANA).await;
    // Zoom stops honouring the hub's tokens; the next meeting finds out.
    for control in [
        "expire_access_tokens".to_owned(),
        format!("users/{ANA}/kill_refresh_token"),
    ] {
        let response = app
            .client
            .post(app.url(&format!("/sandbox/zoom/_control/{control}")))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{control}");
    }
    let failed = app.put_standard_session(&calm).await;
    assert_eq!(failed["conferencing"]["error"]["code"], "needs_reauth");
    let before = app.signed_in_from(&calm, "t-1").await;
    assert!(
        app.account_page(&before)
            .await
            .contains("Needs reconnecting")
    );

    let browser = Browser::new();
    assert_eq!(sign_in_with_zoom(&app, &browser, ANA).await.status(), 303);
    assert_eq!(links_of(&app, &calm, "t-1").await[0]["status"], "active");
    assert!(
        !app.account_page(&browser)
            .await
            .contains("Needs reconnecting")
    );
    let event = app
        .put_event(
            &calm,
            "appt-2",
            &serde_json::json!({
                "end_user_id": "t-1", "summary": "Follow-up",
                "start": "2030-12-08T15:00:00Z", "end": "2030-12-08T15:50:00Z",
                "tzid": "Europe/Ljubljana", "conferencing": {"provider": "zoom"},
            }),
        )
        .await;
    let event: Value = event.json().await.unwrap();
    assert_eq!(event["conferencing"]["status"], "ready", "{event}");
}

#[tokio::test]
async fn sign_in_with_zoom_for_a_user_no_app_uses_stores_nothing_and_revokes_at_zoom() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let back = sign_in_with_zoom(&app, &browser, BEN).await;
    assert_eq!(back.status(), 200);
    assert!(
        back.headers()
            .get("set-cookie")
            .is_some_and(|c| c.to_str().unwrap().starts_with("convene_oauth_state=;"))
    );
    assert!(
        back.text()
            .await
            .unwrap()
            .contains("No app uses this Zoom account")
    );
    assert_eq!(credential_count(&app).await, 0);
    assert_eq!(session_count(&app).await, 0);
    let ledger: Value = app
        .client
        .get(app.url("/sandbox/zoom/_control/ledger"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let revoked = ledger["requests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["path"].as_str().unwrap().ends_with("/oauth/revoke") && r["status"] == 200);
    assert!(revoked, "the unused authorization is revoked: {ledger}");
}

#[tokio::test]
async fn a_sign_in_return_replayed_or_in_another_browser_is_refused() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    app.connect_as(&calm, "t-1", ANA).await;
    let browser = Browser::new();
    let callback = zoom_return(&app, &browser, ANA, ZoomChoice::Allow).await;

    let stranger = Browser::new();
    let elsewhere = stranger.client.get(callback.clone()).send().await.unwrap();
    assert_eq!(elsewhere.status(), 400);
    assert!(is_html(&elsewhere));
    assert!(
        app.account_page(&stranger)
            .await
            .contains("Sign in with Zoom")
    );

    assert_eq!(
        browser
            .client
            .get(callback.clone())
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let replay = browser.client.get(callback).send().await.unwrap();
    assert_eq!(replay.status(), 400);
    assert_eq!(session_count(&app).await, 1);
}

#[tokio::test]
async fn denying_sign_in_at_zoom_returns_to_the_page_signed_out() {
    let app = spawn_app().await;
    let browser = Browser::new();
    let callback = zoom_return(&app, &browser, ANA, ZoomChoice::Deny).await;
    let back = browser.client.get(callback).send().await.unwrap();
    assert_eq!(back.status(), 303);
    assert_eq!(
        back.headers()["location"],
        "/account?notice=signin_cancelled"
    );
    let page = app.follow(&browser, back).await;
    assert!(page.contains("cancelled") && page.contains("Sign in with Zoom"));
    assert_eq!(session_count(&app).await, 0);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    app.connect_as(&calm, "t-1", ANA).await;
    let browser = app.signed_in_from(&calm, "t-1").await;
    let page = app.account_page(&browser).await;
    let form = form_with_button(&page, "Sign out");
    let out = browser
        .client
        .post(app.url(&form.action))
        .form(&form.submission(Vec::new()))
        .send()
        .await
        .unwrap();
    assert_eq!(session_count(&app).await, 0);
    let page = app.follow(&browser, out).await;
    assert!(page.contains("signed out") && !page.contains(ANA));
}

#[tokio::test]
async fn an_expired_session_shows_the_sign_in_page() {
    let app = spawn_app_with(|config| {
        config.tuning.account_session_ttl = Duration::from_millis(1500);
    })
    .await;
    let calm = app.create_tenant("Calm").await;
    app.connect_as(&calm, "t-1", ANA).await;
    let cookie = format!("convene_account={}", session_cookie_of(&app, &calm).await);
    let page_with = |cookie: String| async {
        app.client
            .get(app.url("/account"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(page_with(cookie.clone()).await.contains(ANA));
    tokio::time::sleep(Duration::from_millis(1600)).await;
    // A browser may still send the cookie; the hub no longer honours it.
    let page = page_with(cookie).await;
    assert!(page.contains("Sign in with Zoom") && !page.contains(ANA));
}

/// Signs in through a new link without a cookie jar and returns the session cookie's value.
async fn session_cookie_of(app: &TestApp, tenant: &TestTenant) -> String {
    let url = app.account_url(tenant, "t-1").await;
    let response = app.client.get(url).send().await.unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    cookie
        .strip_prefix("convene_account=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_secure_behind_https() {
    let app = spawn_app_with(|config| {
        config.public_url = Some(Url::parse("https://hub.example.com").unwrap());
    })
    .await;
    let calm = app.create_tenant("Calm").await;
    app.connect_session(
        &calm,
        serde_json::json!({"end_user_id": "t-1", "redirect_uri": "https://app.example.com/callback"}),
    )
    .await;
    let url = app.account_url(&calm, "t-1").await;
    assert!(
        url.as_str()
            .starts_with("https://hub.example.com/account/link?token=")
    );
    let local = app.url(&format!("{}?{}", url.path(), url.query().unwrap()));
    let response = app.client.get(local).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("convene_account="), "{cookie}");
    for attribute in [
        "Path=/account",
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
        "Max-Age=3600",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
}

#[tokio::test]
async fn an_end_user_without_a_link_sees_that_no_zoom_account_is_connected() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    app.connect_session(
        &calm,
        serde_json::json!({"end_user_id": "t-1", "redirect_uri": "https://app.example.com/callback"}),
    )
    .await;
    let browser = app.signed_in_from(&calm, "t-1").await;
    let page = app.account_page(&browser).await;
    assert!(page.contains("No Zoom account is connected"), "{page}");
}

#[tokio::test]
async fn no_token_appears_on_account_pages_or_in_logs() {
    let app = hub().await;
    let calm = app.create_tenant("Calm").await;
    app.connect_as(&calm, "t-1", ANA).await;
    app.put_standard_session(&calm).await;
    let url = app.account_url(&calm, "t-1").await;
    let link_token = url
        .query_pairs()
        .find(|(name, _)| name == "token")
        .unwrap()
        .1
        .into_owned();
    let browser = Browser::new();
    browser.client.get(url).send().await.unwrap();
    let page = app.account_page(&browser).await;
    let credential_id = credential::Entity::find()
        .one(app.store.connection())
        .await
        .unwrap()
        .unwrap()
        .id;
    let link_id = link::Entity::find()
        .one(app.store.connection())
        .await
        .unwrap()
        .unwrap()
        .id;
    let confirm_remove = browser
        .client
        .get(app.url(&format!("/account/links/{link_id}/remove")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let confirm_disconnect = browser
        .client
        .get(app.url(&format!("/account/zoom/{credential_id}/disconnect")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, tokens) = stored_tokens(&app).await;
    let start_url: Value = app
        .client
        .post(app.url("/v1/events/appt-1/start_url"))
        .bearer_auth(&calm.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let start_url = start_url["start_url"].as_str().unwrap().to_owned();

    let logs = captured_logs();
    assert!(
        !logs.contains(&link_token),
        "the account link's token is not logged"
    );
    for text in [&page, &confirm_remove, &confirm_disconnect] {
        assert!(!text.contains(&start_url), "no start URL on a page");
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "no Zoom token on a page");
            assert!(!logs.contains(token.as_str()), "no Zoom token in the logs");
        }
    }
}
