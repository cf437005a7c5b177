//! A standalone Zoom emulator with the hub's Zoom client pointed at it, and an
//! end user connected through the emulator's real sign-in and consent pages.

use std::sync::Arc;

use convene::conferencing::{BrokerSettings, TokenBroker};
use convene::domain::{Timestamp, new_id};
use convene::sandbox::{EmulatorConfig, RunningEmulator, spawn_standalone};
use convene::store::Store;
use convene::store::credentials::{Credential, status};
use convene::store::entity::credential;
use convene::vault::{KeyRing, Purpose, SealContext};
use convene::zoom::{ZoomApi, ZoomEndpoints, ZoomOAuth, http_client};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::browser::{Browser, ZoomChoice};
use crate::helpers::TestApp;

pub const CLIENT_ID: &str = "hub-test-client";
pub const CLIENT_SECRET: &str = "hub-test-secret";
pub const REDIRECT_URI: &str = "http://hub.test/connect/zoom/callback";
pub const WEBHOOK_SECRET: &str = "zoom-webhook-secret-token";

/// The emulator, and the hub's Zoom client configured for it.
pub struct ZoomFixture {
    pub zoom: RunningEmulator,
    pub oauth: ZoomOAuth,
    pub api: ZoomApi,
}

pub async fn zoom_fixture() -> ZoomFixture {
    let zoom = spawn_standalone(|base: Url| {
        let mut config = EmulatorConfig::new(
            base,
            CLIENT_ID,
            CLIENT_SECRET,
            vec![REDIRECT_URI.to_owned()],
            WEBHOOK_SECRET,
        );
        config.webhook_retry_delays = vec![std::time::Duration::from_millis(20); 3];
        config
    })
    .await
    .expect("emulator starts");
    let base = zoom.base_url.as_str().trim_end_matches('/').to_owned();
    let endpoints = ZoomEndpoints {
        oauth_base: Url::parse(&base).unwrap(),
        api_base: Url::parse(&format!("{base}/v2")).unwrap(),
        client_id: CLIENT_ID.to_owned(),
        client_secret: SecretString::from(CLIENT_SECRET),
        redirect_uri: Url::parse(REDIRECT_URI).unwrap(),
    };
    let http = http_client().unwrap();
    ZoomFixture {
        oauth: ZoomOAuth::new(&endpoints, http.clone()).unwrap(),
        api: ZoomApi::new(&endpoints.api_base, http),
        zoom,
    }
}

impl ZoomFixture {
    /// Walks Zoom's authorize pages as `email` would in a browser (sign in,
    /// Allow) and returns the authorization code for the hub's callback.
    pub async fn authorize(&self, email: &str) -> (String, SecretString) {
        let start = self.oauth.start_authorization();
        let browser = Browser::new();
        let back = browser
            .through_zoom(start.url.clone(), email, ZoomChoice::Allow, REDIRECT_URI)
            .await;
        let query: std::collections::HashMap<String, String> =
            back.query_pairs().into_owned().collect();
        assert_eq!(
            query.get("state").map(String::as_str),
            Some(start.state.expose_secret()),
            "state comes back unchanged"
        );
        let code = query.get("code").expect("a code on Allow").clone();
        (code, start.pkce_verifier)
    }

    /// Connects `email` and stores its credential as the connect flow would.
    pub async fn connect(&self, app: &TestApp, email: &str) -> Credential {
        let (code, verifier) = self.authorize(email).await;
        let grant = self
            .oauth
            .exchange_code(&code, &verifier)
            .await
            .expect("code exchange");
        let user = self.api.me(&grant.access_token).await.expect("users/me");
        let vault = KeyRing::parse(&app.master_keys).unwrap();
        let id = new_id("cred");
        let seal = |purpose, token: &SecretString| {
            vault.seal_str(
                token.expose_secret(),
                &SealContext {
                    purpose,
                    row_id: &id,
                },
            )
        };
        let now = Timestamp::now();
        let credential = Credential {
            id: id.clone(),
            provider: "zoom".to_owned(),
            provider_user_id: user.id.clone(),
            provider_account_id: user.account_id.clone(),
            email: user.email.clone(),
            display_name: user.name(),
            access_token: seal(Purpose::ZoomAccessToken, &grant.access_token),
            refresh_token: seal(Purpose::ZoomRefreshToken, &grant.refresh_token),
            access_token_expires_at: Timestamp(now.0 + grant.expires_in.as_millis() as i64),
            scopes: grant.scope.clone(),
            status: status::ACTIVE.to_owned(),
            version: 0,
            refresh_lease_until: None,
            refresh_lease_holder: None,
            refresh_failures: 0,
            next_refresh_attempt_at: None,
            refresh_failing_since: None,
            last_refreshed_at: now,
            last_used_at: None,
            created_at: now,
            updated_at: now,
        };
        app.store
            .insert_credential(credential.clone())
            .await
            .unwrap();
        credential
    }

    /// A broker as one hub instance has it.
    pub fn broker(&self, app: &TestApp, settings: BrokerSettings) -> Arc<TokenBroker> {
        Arc::new(TokenBroker::new(
            app.store.clone(),
            KeyRing::parse(&app.master_keys).unwrap(),
            self.oauth.clone(),
            settings,
        ))
    }
}

/// Makes the stored access token look expired to the hub (as an hour passing would).
pub async fn expire_stored_token(store: &Store, credential_id: &str) {
    credential::ActiveModel {
        id: Set(credential_id.to_owned()),
        access_token_expires_at: Set(Timestamp(Timestamp::now().0 - 1_000)),
        ..Default::default()
    }
    .update(store.connection())
    .await
    .unwrap();
}

/// Changes one credential row directly, for situations time would produce.
pub async fn update_credential(store: &Store, change: credential::ActiveModel) {
    change.update(store.connection()).await.unwrap();
}

/// Marks the one stored credential as no longer honoured by Zoom (it needs reconnecting), as
/// a refused refresh would, without telling anyone.
pub async fn zoom_stops_honouring(store: &Store) {
    let stored = credential::Entity::find()
        .one(store.connection())
        .await
        .unwrap()
        .expect("a stored credential");
    store
        .mark_credential_needs_reauth(&stored.id, stored.version, Timestamp::now(), |_, _| {
            convene::store::outbox::Outbox::default()
        })
        .await
        .unwrap();
}
