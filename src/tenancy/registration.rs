//! Registering applications and issuing and revoking their API keys.

use crate::domain::{
    ApiKey, ApplicationName, FieldError, RateLimit, RedirectUri, Timestamp, WebhookSigningSecret,
    WebhookUrl, application::parse_redirect_uris, new_id,
};
use crate::store::Store;
use crate::store::applications::{Application, NewApiKey};
use crate::vault::{KeyRing, Purpose, SealContext};

/// A valid request to register an application.
pub struct NewApplication {
    pub name: ApplicationName,
    pub redirect_uris: Vec<RedirectUri>,
    pub webhook_url: Option<WebhookUrl>,
    /// The application's own request rate per API key, instead of the hub's default.
    pub rate_limit_per_second: Option<RateLimit>,
}

impl NewApplication {
    /// Parses raw input, reporting every bad field at once.
    pub fn parse(
        name: &str,
        redirect_uris: &[String],
        webhook_url: Option<&str>,
        rate_limit_per_second: Option<i64>,
    ) -> Result<Self, Vec<FieldError>> {
        let name = ApplicationName::parse(name);
        let redirect_uris = parse_redirect_uris(redirect_uris);
        let webhook_url = webhook_url
            .map(|url| WebhookUrl::parse(url, "webhook_url"))
            .transpose();
        let rate_limit = rate_limit_per_second.map(RateLimit::parse).transpose();
        match (name, redirect_uris, webhook_url, rate_limit) {
            (Ok(name), Ok(redirect_uris), Ok(webhook_url), Ok(rate_limit_per_second)) => Ok(Self {
                name,
                redirect_uris,
                webhook_url,
                rate_limit_per_second,
            }),
            (name, redirect_uris, webhook_url, rate_limit) => Err([
                name.err(),
                redirect_uris.err(),
                webhook_url.err(),
                rate_limit.err(),
            ]
            .into_iter()
            .flatten()
            .collect()),
        }
    }
}

/// A just-registered application with the secrets that are shown only now.
pub struct RegisteredApplication {
    pub application: Application,
    pub webhook_secret: WebhookSigningSecret,
    pub api_key: ApiKey,
}

/// A just-issued key, shown only now.
pub struct IssuedKey {
    pub id: String,
    pub key: ApiKey,
}

/// Registers an application with a fresh webhook secret (sealed at rest) and a first API key.
#[tracing::instrument(skip_all, fields(name = new.name.as_str()))]
pub async fn register(
    store: &Store,
    vault: &KeyRing,
    new: NewApplication,
) -> anyhow::Result<RegisteredApplication> {
    let id = new_id("app");
    let now = Timestamp::now();
    let webhook_secret = WebhookSigningSecret::generate();
    let sealed_secret = vault.seal_str(
        webhook_secret.expose(),
        &SealContext {
            purpose: Purpose::WebhookSecret,
            row_id: &id,
        },
    );
    let redirect_uris: Vec<&str> = new.redirect_uris.iter().map(RedirectUri::as_str).collect();
    let application = Application {
        id,
        name: new.name.as_str().to_owned(),
        redirect_uris: serde_json::to_string(&redirect_uris)?,
        webhook_url: new.webhook_url.map(|url| url.as_str().to_owned()),
        webhook_secret: sealed_secret,
        status: super::status::ACTIVE.to_owned(),
        rate_limit_per_second: new.rate_limit_per_second.map(RateLimit::get),
        created_at: now,
        updated_at: now,
    };
    let api_key = ApiKey::generate();
    store
        .insert_application(application.clone(), stored_form(&api_key))
        .await?;
    tracing::info!(application_id = %application.id, "application registered");
    Ok(RegisteredApplication {
        application,
        webhook_secret,
        api_key,
    })
}

/// Issues another key for an application; `None` when there is no such application.
#[tracing::instrument(skip(store))]
pub async fn issue_key(store: &Store, application_id: &str) -> anyhow::Result<Option<IssuedKey>> {
    if store.find_application(application_id).await?.is_none() {
        return Ok(None);
    }
    let key = ApiKey::generate();
    let record = store
        .insert_api_key(application_id, stored_form(&key), Timestamp::now())
        .await?;
    tracing::info!(key_id = %record.id, "api key issued");
    Ok(Some(IssuedKey { id: record.id, key }))
}

/// Revokes one of an application's keys; `false` when it has no such key.
#[tracing::instrument(skip(store))]
pub async fn revoke_key(store: &Store, application_id: &str, key_id: &str) -> anyhow::Result<bool> {
    let revoked = store
        .revoke_api_key(application_id, key_id, Timestamp::now())
        .await?;
    if revoked {
        tracing::info!("api key revoked");
    }
    Ok(revoked)
}

fn stored_form(key: &ApiKey) -> NewApiKey {
    NewApiKey {
        id: new_id("key"),
        prefix: key.visible_prefix(),
        key_hash: key.hash().as_str().to_owned(),
    }
}
