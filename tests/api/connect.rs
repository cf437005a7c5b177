//! The hosted connect flow end to end against the in-process sandbox Zoom:
//! connect sessions, the connect page, Zoom's pages, and every way back.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use url::Url;

use crate::browser::{Browser, ZoomChoice, html_forms};
use crate::helpers::{TestApp, TestTenant, assert_problem, spawn_app, spawn_app_with};

const REDIRECT: &str = "https://app.example.com/callback";
const ANA: &str = "ana.novak@sandbox.zoom.test";
const BEN: &str = "ben.okafor@sandbox.zoom.test";

impl TestApp {
    pub async fn connect_session(&self, tenant: &TestTenant, body: Value) -> reqwest::Response {
        self.client
            .post(self.url("/v1/connect_sessions"))
            .bearer_auth(&tenant.api_key)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A session URL for `end_user_id` with the app's `state`.
    pub async fn connect_url(&self, tenant: &TestTenant, end_user_id: &str) -> Url {
        let response = self
            .connect_session(
                tenant,
                json!({"end_user_id": end_user_id, "redirect_uri": REDIRECT, "state": "app-state-1"}),
            )
            .await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        Url::parse(body["url"].as_str().unwrap()).unwrap()
    }

    /// Injects a fault into the in-process sandbox Zoom through its control API.
    pub async fn zoom_fault(&self, fault: Value) {
        let response = self
            .client
            .post(self.url("/sandbox/zoom/_control/faults"))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "fault accepted");
    }

    /// Opens a connect URL and presses one of its buttons; returns the response.
    pub async fn press(
        &self,
        browser: &Browser,
        connect_url: &Url,
        label: &str,
    ) -> reqwest::Response {
        let page = browser
            .client
            .get(connect_url.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        let form = html_forms(&html)
            .into_iter()
            .next()
            .expect("the connect form");
        let button = form
            .button(label)
            .expect("the button")
            .expect("it submits a value");
        browser
            .client
            .post(connect_url.join(&form.action).unwrap())
            .form(&form.submission(vec![button]))
            .send()
            .await
            .unwrap()
    }

    /// Opens a new connect URL for `end_user_id`, presses *Connect Zoom*, and
    /// answers Zoom as `email`; returns the browser and the URL Zoom sent it
    /// to under `return_prefix` (the hub's callback, or the app beyond it).
    pub async fn through_connect(
        &self,
        tenant: &TestTenant,
        end_user_id: &str,
        email: &str,
        choice: ZoomChoice,
        return_prefix: &str,
    ) -> (Browser, Url) {
        let url = self.connect_url(tenant, end_user_id).await;
        let browser = Browser::new();
        let to_zoom = self.press(&browser, &url, "Connect Zoom").await;
        assert_eq!(to_zoom.status(), 303);
        let zoom = url
            .join(to_zoom.headers()["location"].to_str().unwrap())
            .unwrap();
        let back = browser
            .through_zoom(zoom, email, choice, return_prefix)
            .await;
        (browser, back)
    }

    /// The hub's OAuth callback URL prefix.
    pub fn callback_prefix(&self) -> String {
        format!("{}/connect/zoom/callback", self.address)
    }

    /// Connects `email`'s Zoom account for the tenant's `end_user_id`, as a person would.
    pub async fn connect_as(
        &self,
        tenant: &TestTenant,
        end_user_id: &str,
        email: &str,
    ) -> HashMap<String, String> {
        let (_, back) = self
            .through_connect(tenant, end_user_id, email, ZoomChoice::Allow, REDIRECT)
            .await;
        back.query_pairs().into_owned().collect()
    }
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

async fn credential_count(app: &TestApp) -> usize {
    use convene::store::entity::credential;
    use sea_orm::{EntityTrait, PaginatorTrait};
    credential::Entity::find()
        .count(app.store.connection())
        .await
        .unwrap() as usize
}

#[tokio::test]
async fn a_connect_session_gives_a_single_use_url_that_expires_in_thirty_minutes() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let response = app
        .connect_session(
            &tenant,
            json!({"end_user_id": "t-1", "redirect_uri": REDIRECT}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert!(body["id"].as_str().unwrap().starts_with("cs_"));
    assert!(
        body["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/connect/", app.address))
    );
    let expires = time::OffsetDateTime::parse(
        body["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(29) && left <= time::Duration::minutes(30),
        "{left}"
    );
}

#[tokio::test]
async fn an_end_user_connects_zoom_and_the_app_gets_a_link_but_never_a_token() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm Therapy").await;
    let url = app.connect_url(&tenant, "therapist-42").await;
    let browser = Browser::new();
    let page = browser.client.get(url.clone()).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    for words in [
        "Calm Therapy",
        "create, change and delete Zoom meetings",
        "read your Zoom name and email",
        "your Zoom password",
        "Connect Zoom",
        "Skip for now",
    ] {
        assert!(html.contains(words), "page says {words:?}");
    }

    let back = app.connect_as(&tenant, "therapist-42", ANA).await;

    assert_eq!(back["status"], "connected");
    assert_eq!(back["state"], "app-state-1");
    assert_eq!(back["end_user_id"], "therapist-42");
    let links = links_of(&app, &tenant, "therapist-42").await;
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["id"], back["link_id"].as_str());
    assert_eq!(links[0]["status"], "active");
    assert_eq!(links[0]["account"]["email"], ANA);
    assert_eq!(links[0]["account"]["display_name"], "Ana Novak");
    let zoom_user = only_zoom_user_id(&app).await;
    let stored = app
        .store
        .find_credential_by_provider_user("zoom", &zoom_user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "active");
}

/// The Zoom user id of the one stored credential.
async fn only_zoom_user_id(app: &TestApp) -> String {
    use convene::store::entity::credential;
    use sea_orm::EntityTrait;
    credential::Entity::find()
        .one(app.store.connection())
        .await
        .unwrap()
        .unwrap()
        .provider_user_id
}

#[tokio::test]
async fn skip_for_now_returns_to_the_app_with_access_denied_and_uses_the_session() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let url = app.connect_url(&tenant, "t-1").await;
    let browser = Browser::new();
    let response = app.press(&browser, &url, "Skip for now").await;
    assert_eq!(response.status(), 303);
    let back = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(back.as_str().starts_with(REDIRECT));
    let query: HashMap<String, String> = back.query_pairs().into_owned().collect();
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "app-state-1");
    let again = browser.client.get(url).send().await.unwrap();
    assert_eq!(again.status(), 410, "a used session gets an error page");
    assert!(again.text().await.unwrap().contains("Calm"));
}

#[tokio::test]
async fn denying_at_zoom_returns_access_denied() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let (_, back) = app
        .through_connect(&tenant, "t-1", ANA, ZoomChoice::Deny, REDIRECT)
        .await;
    let query: HashMap<String, String> = back.query_pairs().into_owned().collect();
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "app-state-1");
    assert!(links_of(&app, &tenant, "t-1").await.is_empty());
}

#[tokio::test]
async fn a_callback_replayed_after_use_gets_an_error_page() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let (browser, callback) = app
        .through_connect(
            &tenant,
            "t-1",
            ANA,
            ZoomChoice::Allow,
            &app.callback_prefix(),
        )
        .await;
    let first = browser.client.get(callback.clone()).send().await.unwrap();
    assert_eq!(first.status(), 303);
    let replay = browser.client.get(callback).send().await.unwrap();
    assert_eq!(replay.status(), 400);
    assert!(
        replay.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn a_forged_or_missing_state_gets_an_error_page_not_a_redirect() {
    let app = spawn_app().await;
    for query in [
        "",
        "?code=abc",
        "?code=abc&state=forged-state-value",
        "?error=access_denied&state=forged",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/connect/zoom/callback{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        assert!(response.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn a_callback_arriving_in_another_browser_is_refused() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let (_, callback) = app
        .through_connect(
            &tenant,
            "t-1",
            ANA,
            ZoomChoice::Allow,
            &app.callback_prefix(),
        )
        .await;
    let stranger = Browser::new();
    let response = stranger.client.get(callback).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(links_of(&app, &tenant, "t-1").await.is_empty());
}

#[tokio::test]
async fn an_expired_session_gets_an_error_page() {
    let app =
        spawn_app_with(|config| config.tuning.connect_session_ttl = Duration::from_millis(300))
            .await;
    let tenant = app.create_tenant("Calm").await;
    let url = app.connect_url(&tenant, "t-1").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let response = Browser::new().client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 410);
    assert!(response.text().await.unwrap().contains("expired"));
}

#[tokio::test]
async fn sessions_expired_over_a_day_ago_are_forgotten_and_recent_ones_still_read_expired() {
    let app =
        spawn_app_with(|config| config.tuning.forget_sweep = Duration::from_millis(100)).await;
    let tenant = app.create_tenant("Calm").await;
    let old = app.connect_url(&tenant, "t-old").await;
    let recent = app.connect_url(&tenant, "t-recent").await;
    let live = app.connect_url(&tenant, "t-live").await;
    use convene::store::entity::{connect_session, end_user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let now = convene::domain::Timestamp::now().0;
    for (end_user, expired_ms_ago) in [("t-old", 25 * 3600 * 1000), ("t-recent", 3600 * 1000)] {
        let id = end_user::Entity::find()
            .filter(end_user::Column::ExternalId.eq(end_user))
            .one(app.store.connection())
            .await
            .unwrap()
            .expect("the end user")
            .id;
        connect_session::Entity::update_many()
            .col_expr(
                connect_session::Column::ExpiresAt,
                Expr::value(now - expired_ms_ago),
            )
            .filter(connect_session::Column::EndUserId.eq(id))
            .exec(app.store.connection())
            .await
            .unwrap();
    }
    let mut remaining = u64::MAX;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        remaining = connect_session::Entity::find()
            .all(app.store.connection())
            .await
            .unwrap()
            .len() as u64;
        if remaining == 2 {
            break;
        }
    }
    assert_eq!(
        remaining, 2,
        "only the session expired over a day ago is forgotten"
    );
    let browser = Browser::new();
    let status = |url: Url| {
        let client = browser.client.clone();
        async move { client.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(old).await, 404, "forgotten: an unknown link");
    assert_eq!(
        status(recent).await,
        410,
        "recently expired: still says expired"
    );
    assert_eq!(status(live).await, 200);
}

#[tokio::test]
async fn an_unknown_connect_url_gets_an_error_page() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/connect/not-a-real-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn a_post_without_the_pages_csrf_value_is_refused() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let url = app.connect_url(&tenant, "t-1").await;
    let browser = Browser::new();
    browser.client.get(url.clone()).send().await.unwrap();
    let forged = browser
        .client
        .post(url.clone())
        .form(&[("csrf", "guessed"), ("choice", "connect")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let cross_site = browser
        .client
        .post(url)
        .header("origin", "https://evil.example")
        .form(&[("csrf", "x"), ("choice", "skip")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
}

#[tokio::test]
async fn a_failed_code_exchange_returns_provider_error_and_stores_nothing() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    app.zoom_fault(json!({"kind": "status", "scope": "oauth", "status": 503, "count": 5}))
        .await;
    let back = app.connect_as(&tenant, "t-1", ANA).await;
    assert_eq!(back["error"], "provider_error");
    assert_eq!(back["state"], "app-state-1");
    assert_eq!(credential_count(&app).await, 0);
}

#[tokio::test]
async fn a_failed_users_me_returns_provider_error_and_stores_nothing() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    app.zoom_fault(json!({"kind": "status", "scope": "api", "status": 500, "count": 5}))
        .await;
    let back = app.connect_as(&tenant, "t-1", ANA).await;
    assert_eq!(back["error"], "provider_error");
    assert_eq!(credential_count(&app).await, 0);
    assert!(links_of(&app, &tenant, "t-1").await.is_empty());
}

#[tokio::test]
async fn redirect_uris_must_match_exactly() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    for redirect in [
        "https://app.example.com/callback/extra",
        "https://app.example.com/callback?next=https://evil.example",
        "http://app.example.com/callback",
        "https://app.example.com/callback/",
        "https://app.example.com/call",
        "https://evil.example/callback",
        "//evil.example/callback",
    ] {
        let response = app
            .connect_session(
                &tenant,
                json!({"end_user_id": "t-1", "redirect_uri": redirect}),
            )
            .await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "redirect_uri", "{redirect}");
    }
}

#[tokio::test]
async fn bad_connect_session_bodies_name_their_fields() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let cases = [
        (json!({"redirect_uri": REDIRECT}), "end_user_id"),
        (
            json!({"end_user_id": "", "redirect_uri": REDIRECT}),
            "end_user_id",
        ),
        (
            json!({"end_user_id": "a", "redirect_uri": REDIRECT, "provider": "teams"}),
            "provider",
        ),
        (
            json!({"end_user_id": "a", "redirect_uri": REDIRECT, "end_user_email": "nope"}),
            "end_user_email",
        ),
        (
            json!({"end_user_id": "a", "redirect_uri": REDIRECT, "state": "s".repeat(3000)}),
            "state",
        ),
        (
            json!({"end_user_id": 5, "redirect_uri": REDIRECT}),
            "end_user_id",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(
            app.connect_session(&tenant, body.clone()).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn an_idempotency_key_returns_the_same_session_and_refuses_a_different_body() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let send = |body: Value| {
        app.client
            .post(app.url("/v1/connect_sessions"))
            .bearer_auth(&tenant.api_key)
            .header("idempotency-key", "signup-t-1")
            .json(&body)
            .send()
    };
    let body = json!({"end_user_id": "t-1", "redirect_uri": REDIRECT, "state": "s1"});
    let first: Value = send(body.clone()).await.unwrap().json().await.unwrap();
    let second: Value = send(body).await.unwrap().json().await.unwrap();
    assert_eq!(first, second);
    let different = send(json!({"end_user_id": "t-2", "redirect_uri": REDIRECT}))
        .await
        .unwrap();
    let problem = assert_problem(different, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
}

#[tokio::test]
async fn another_applications_session_is_not_found() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let ehr = app.create_tenant("EHR").await;
    let created: Value = app
        .connect_session(
            &calm,
            json!({"end_user_id": "t-1", "redirect_uri": REDIRECT}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let own = app
        .get_as(&calm.api_key, &format!("/v1/connect_sessions/{id}"))
        .await;
    assert_eq!(own.status(), 200);
    let theirs = app
        .get_as(&ehr.api_key, &format!("/v1/connect_sessions/{id}"))
        .await;
    assert_problem(theirs, 404, "not_found").await;
}

#[tokio::test]
async fn two_applications_linking_one_zoom_user_share_one_credential() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let ehr = app.create_tenant("EHR").await;
    assert_eq!(
        app.connect_as(&calm, "t-1", ANA).await["status"],
        "connected"
    );
    assert_eq!(
        app.connect_as(&ehr, "dr-9", ANA).await["status"],
        "connected"
    );
    assert_eq!(credential_count(&app).await, 1);
    assert_eq!(links_of(&app, &calm, "t-1").await.len(), 1);
    assert_eq!(links_of(&app, &ehr, "dr-9").await.len(), 1);
}

#[tokio::test]
async fn connecting_another_zoom_account_moves_the_link_and_drops_the_orphan() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let first = app.connect_as(&calm, "t-1", ANA).await;
    let second = app.connect_as(&calm, "t-1", BEN).await;
    assert_eq!(first["link_id"], second["link_id"], "the same link, moved");
    let links = links_of(&app, &calm, "t-1").await;
    assert_eq!(links[0]["account"]["email"], BEN);
    assert_eq!(
        credential_count(&app).await,
        1,
        "Ana's credential is deleted"
    );
}

#[tokio::test]
async fn a_link_needing_reauth_is_restored_by_connecting_again() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    app.connect_as(&calm, "t-1", ANA).await;
    crate::zoom_fixture::zoom_stops_honouring(&app.store).await;
    assert_eq!(
        links_of(&app, &calm, "t-1").await[0]["status"],
        "needs_reauth"
    );
    app.connect_as(&calm, "t-1", ANA).await;
    assert_eq!(links_of(&app, &calm, "t-1").await[0]["status"], "active");
}

#[tokio::test]
async fn deleting_the_last_link_deletes_the_credential_and_other_apps_cannot_delete_it() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let ehr = app.create_tenant("EHR").await;
    let back = app.connect_as(&calm, "t-1", ANA).await;
    let link_id = &back["link_id"];
    let path = format!("/v1/links/{link_id}");
    let theirs = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&ehr.api_key)
        .send()
        .await
        .unwrap();
    assert_problem(theirs, 404, "not_found").await;
    let ours = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&calm.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(ours.status(), 204);
    assert!(links_of(&app, &calm, "t-1").await.is_empty());
    assert_eq!(credential_count(&app).await, 0);
    let again = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&calm.api_key)
        .send()
        .await
        .unwrap();
    assert_problem(again, 404, "not_found").await;
}

#[tokio::test]
async fn deleting_one_of_two_links_keeps_the_shared_credential() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let ehr = app.create_tenant("EHR").await;
    let back = app.connect_as(&calm, "t-1", ANA).await;
    app.connect_as(&ehr, "dr-9", ANA).await;
    let removed = app
        .client
        .delete(app.url(&format!("/v1/links/{}", back["link_id"])))
        .bearer_auth(&calm.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(credential_count(&app).await, 1);
    assert_eq!(links_of(&app, &ehr, "dr-9").await[0]["status"], "active");
}

#[tokio::test]
async fn the_app_is_told_link_connected_and_link_removed_and_the_user_is_emailed() {
    use convene::store::entity::email;
    use sea_orm::EntityTrait;

    let app = spawn_app_with(|config| config.tuning.outbox_poll = Duration::from_millis(50)).await;
    let hooks = crate::notifications::Receiver::start(&[], 200).await;
    let tenant = app.create_tenant_with_webhook("Calm", &hooks.url()).await;
    let back = app.connect_as(&tenant, "t-1", ANA).await;
    let removed = app
        .client
        .delete(app.url(&format!("/v1/links/{}", back["link_id"])))
        .bearer_auth(&tenant.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);

    let mut bodies: Vec<Value> = Vec::new();
    for _ in 0..100 {
        bodies = hooks
            .requests()
            .iter()
            .map(|r| serde_json::from_str(&r.body).unwrap())
            .collect();
        if bodies.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kinds: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["link.connected", "link.removed"]);
    assert_eq!(bodies[0]["data"]["id"], back["link_id"].as_str());
    assert_eq!(bodies[0]["data"]["end_user_id"], "t-1");
    assert_eq!(bodies[0]["data"]["account"]["email"], ANA);
    assert_eq!(bodies[1]["data"]["reason"], "app");

    let emails = email::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].to_address, ANA);
    assert!(emails[0].subject.contains("Calm"));
    assert!(
        emails[0].body_text.contains("/account"),
        "says how to remove it"
    );
}

#[tokio::test]
async fn concurrent_first_sessions_for_one_end_user_all_succeed() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let body = json!({"end_user_id": "new-user", "redirect_uri": REDIRECT});
    let requests = (0..10).map(|_| app.connect_session(&tenant, body.clone()));
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.status(), 201);
    }
}

#[tokio::test]
async fn many_end_users_connecting_at_once_all_connect_while_the_outbox_runs() {
    let app = spawn_app_with(|config| config.tuning.outbox_poll = Duration::from_millis(5)).await;
    let hooks = crate::notifications::Receiver::start(&[], 200).await;
    let tenant = app.create_tenant_with_webhook("Calm", &hooks.url()).await;
    let flows = (0..8).map(|i| {
        let app = &app;
        let tenant = &tenant;
        async move {
            app.connect_as(tenant, &format!("t-{i}"), &format!("user{i}@example.org"))
                .await
        }
    });
    for back in futures_util::future::join_all(flows).await {
        assert_eq!(
            back.get("status").map(String::as_str),
            Some("connected"),
            "{back:?}"
        );
    }
}
