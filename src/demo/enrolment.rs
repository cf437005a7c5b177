//! Registering the demo practice with the hub, once: what an operator does for a real client
//! with `convene app create`. Later starts reuse the application kept in the practice's file,
//! issue a new key if an operator revoked the old one, and point its redirect URI and webhook
//! URL at this start's public URL.

use anyhow::Context;
use secrecy::ExposeSecret;
use url::Url;

use super::practice::Records;
use crate::domain::KeyHash;
use crate::notify::signature::SigningKey;
use crate::store::Store;
use crate::store::applications::Application;
use crate::tenancy::{self, Endpoints, NewApplication};
use crate::vault::{KeyRing, Purpose, SealContext};

/// The practice's name, as the hub's connect page and the end user's account page show it.
pub const PRACTICE_NAME: &str = "Calmly Therapy (sandbox demo)";
/// Who the audit log says changed the demo application's endpoints.
const ACTOR: &str = "sandbox demo";

/// The demo's registration: its records (with application and key) and its webhook key.
pub struct Enrolment {
    pub records: Records,
    pub webhook_key: SigningKey,
}

/// Where the hub sends the demo's browsers back after connecting Zoom.
pub fn redirect_uri(public_url: &Url) -> anyhow::Result<Url> {
    Ok(public_url.join("/demo/zoom/connected")?)
}

/// Where the hub sends the demo's webhooks.
fn webhook_url(public_url: &Url) -> anyhow::Result<Url> {
    Ok(public_url.join("/demo/webhooks")?)
}

/// The demo's application as kept in `saved`, or a new one when there is none (or the hub no
/// longer has it: a fresh database starts a fresh practice).
pub async fn enrol(
    store: &Store,
    vault: &KeyRing,
    public_url: &Url,
    saved: Option<Records>,
) -> anyhow::Result<Enrolment> {
    let redirect_uri = redirect_uri(public_url)?.to_string();
    let webhook_url = webhook_url(public_url)?.to_string();
    let known = match saved {
        Some(records) => store
            .find_application(&records.application_id)
            .await?
            .map(|application| (records, application)),
        None => None,
    };
    let (mut records, application) = match known {
        Some(known) => known,
        None => {
            let new = NewApplication::parse(
                PRACTICE_NAME,
                std::slice::from_ref(&redirect_uri),
                Some(&webhook_url),
                None,
            )
            .map_err(|errors| anyhow::anyhow!("the demo application is invalid: {errors:?}"))?;
            let registered = tenancy::register(store, vault, new).await?;
            tracing::info!(application_id = %registered.application.id, "demo practice registered");
            let records = Records {
                application_id: registered.application.id.clone(),
                api_key: registered.api_key.expose().to_owned(),
                ..Records::default()
            };
            (records, registered.application)
        }
    };
    if store
        .find_live_key(KeyHash::of(&records.api_key).as_str())
        .await?
        .is_none()
    {
        let issued = tenancy::issue_key(store, &application.id)
            .await?
            .context("the demo application disappeared while starting")?;
        issued.key.expose().clone_into(&mut records.api_key);
        tracing::info!(key_id = %issued.id, "the demo's key was revoked: issued another");
    }
    let current_endpoints = (
        tenancy::redirect_uris(&application),
        application.webhook_url.clone(),
    );
    if current_endpoints != (vec![redirect_uri.clone()], Some(webhook_url.clone())) {
        let endpoints = Endpoints::parse(&[redirect_uri], &webhook_url)
            .map_err(|errors| anyhow::anyhow!("the demo's endpoints are invalid: {errors:?}"))?;
        tenancy::change_endpoints(store, &application.id, endpoints, ACTOR).await?;
    }
    Ok(Enrolment {
        webhook_key: webhook_key(vault, &application)?,
        records,
    })
}

/// The key the hub signs the demo's webhooks with: the application's current secret.
fn webhook_key(vault: &KeyRing, application: &Application) -> anyhow::Result<SigningKey> {
    let secret = vault
        .open_str(
            &application.webhook_secret,
            &SealContext::new(Purpose::WebhookSecret, &application.id),
        )
        .context("the demo application's webhook secret cannot be opened")?;
    Ok(SigningKey::from_secret(secret.expose_secret())?)
}
