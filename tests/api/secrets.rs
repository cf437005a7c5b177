//! Secrets stay secret: no Zoom token, API key or webhook secret in any
//! response, page, log line or metric produced while they are in use.

use convene::store::entity::credential;
use convene::vault::{KeyRing, Purpose, SealContext};
use sea_orm::EntityTrait;
use secrecy::ExposeSecret;

use crate::helpers::{captured_logs, spawn_app};

#[tokio::test]
async fn no_token_key_or_secret_appears_in_responses_pages_logs_or_metrics() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let back = app
        .connect_as(&tenant, "t-1", "ana.novak@sandbox.zoom.test")
        .await;
    assert_eq!(back["status"], "connected");
    let vault = KeyRing::parse(&app.master_keys).unwrap();
    let stored = credential::Entity::find()
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
                    row_id: &stored.id,
                },
            )
            .unwrap()
            .expose_secret()
            .to_owned()
    };
    let secrets = [
        open(Purpose::ZoomAccessToken, &stored.access_token),
        open(Purpose::ZoomRefreshToken, &stored.refresh_token),
        tenant.api_key.clone(),
        tenant.webhook_secret.clone(),
    ];

    let mut seen = Vec::new();
    seen.push(
        app.get_as(&tenant.api_key, "/v1/end_users/t-1")
            .await
            .text()
            .await
            .unwrap(),
    );
    seen.push(app.metrics().await);
    seen.push(format!("{back:?}"));
    let detail = app.application_detail(&tenant.id).await;
    seen.push(detail.to_string());
    seen.push(captured_logs());

    for secret in &secrets {
        assert!(secret.len() >= 20, "a real secret");
        for (i, text) in seen.iter().enumerate() {
            assert!(
                !text.contains(secret.as_str()),
                "a secret leaked into output #{i}"
            );
        }
    }
}

#[tokio::test]
async fn a_connect_urls_token_never_reaches_the_logs() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let url = app.connect_url(&tenant, "t-1").await;
    let token = url.path().trim_start_matches("/connect/").to_owned();
    assert!(token.len() >= 40, "a real token: {token}");

    let page = app.client.get(url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200);

    let logs = captured_logs();
    assert!(logs.contains("/connect/{token}"), "the request is logged");
    assert!(
        !logs.contains(&token),
        "the connect token leaked into the logs"
    );
}
