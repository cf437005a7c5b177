//! What an operator changes on a registered application: where it is reached (redirect URIs,
//! webhook URL), whether it may call the API at all, and its webhook signing secret. Each
//! change goes into the audit log.

use std::time::Duration;

use crate::domain::{
    FieldError, RedirectUri, Timestamp, WebhookSigningSecret, WebhookUrl,
    application::parse_redirect_uris,
};
use crate::store::Store;
use crate::store::audit::{NewAuditEntry, actor};
use crate::vault::{KeyRing, Purpose, SealContext};

/// The audit subject type of entries about an application.
const APPLICATION: &str = "application";

/// An application's new redirect URIs and webhook URL, parsed.
pub struct Endpoints {
    pub redirect_uris: Vec<RedirectUri>,
    pub webhook_url: Option<WebhookUrl>,
}

impl Endpoints {
    /// Parses the URIs and the webhook URL (empty: none), reporting every bad field at once.
    pub fn parse(redirect_uris: &[String], webhook_url: &str) -> Result<Self, Vec<FieldError>> {
        let redirect_uris = parse_redirect_uris(redirect_uris);
        let webhook_url = Some(webhook_url.trim())
            .filter(|url| !url.is_empty())
            .map(|url| WebhookUrl::parse(url, "webhook_url"))
            .transpose();
        match (redirect_uris, webhook_url) {
            (Ok(redirect_uris), Ok(webhook_url)) => Ok(Self {
                redirect_uris,
                webhook_url,
            }),
            (redirect_uris, webhook_url) => Err([redirect_uris.err(), webhook_url.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// Replaces an application's endpoints; `false` when there is no such application.
#[tracing::instrument(skip(store, endpoints))]
pub async fn change_endpoints(
    store: &Store,
    application_id: &str,
    endpoints: Endpoints,
    operator: &str,
) -> anyhow::Result<bool> {
    let now = Timestamp::now();
    let uris: Vec<&str> = endpoints
        .redirect_uris
        .iter()
        .map(RedirectUri::as_str)
        .collect();
    let changed = store
        .update_application_endpoints(
            application_id,
            serde_json::to_string(&uris)?,
            endpoints.webhook_url.map(|url| url.as_str().to_owned()),
            now,
        )
        .await?;
    let action = "application.endpoints_changed";
    audited(changed, store, application_id, action, operator).await
}

/// Suspends (its keys get 403 at once, on every instance) or resumes an application;
/// `false` when there is no such application.
#[tracing::instrument(skip(store))]
pub async fn set_suspended(
    store: &Store,
    application_id: &str,
    suspended: bool,
    operator: &str,
) -> anyhow::Result<bool> {
    let now = Timestamp::now();
    let (status, action) = if suspended {
        (super::status::SUSPENDED, "application.suspended")
    } else {
        (super::status::ACTIVE, "application.resumed")
    };
    let changed = store
        .set_application_status(application_id, status, now)
        .await?;
    audited(changed, store, application_id, action, operator).await
}

/// Gives an application a new webhook secret; the one it replaces keeps signing deliveries
/// beside it for `overlap`, so the application can switch without losing a webhook. `None` when
/// there is no such application.
#[tracing::instrument(skip(store, vault))]
pub async fn rotate_webhook_secret(
    store: &Store,
    vault: &KeyRing,
    application_id: &str,
    overlap: Duration,
    operator: &str,
) -> anyhow::Result<Option<WebhookSigningSecret>> {
    let now = Timestamp::now();
    let secret = WebhookSigningSecret::generate();
    let sealed = vault.seal_str(
        secret.expose(),
        &SealContext {
            purpose: Purpose::WebhookSecret,
            row_id: application_id,
        },
    );
    let overlap_ms = i64::try_from(overlap.as_millis()).unwrap_or(i64::MAX);
    let overlap_until = Timestamp(now.0.saturating_add(overlap_ms));
    let rotated = store
        .rotate_webhook_secret(application_id, sealed, overlap_until, now)
        .await?;
    let action = "application.webhook_secret_rotated";
    Ok(audited(rotated, store, application_id, action, operator)
        .await?
        .then_some(secret))
}

/// Notes `action` in the audit log when the application was `changed`; passes `changed` on.
async fn audited(
    changed: bool,
    store: &Store,
    application_id: &str,
    action: &'static str,
    operator: &str,
) -> anyhow::Result<bool> {
    if changed {
        let detail = serde_json::json!({});
        audit(store, application_id, action, operator, detail).await?;
    }
    Ok(changed)
}

/// Notes in the audit log that `operator` did `action` to the application or one of its
/// things (named in `detail`, a JSON object).
pub async fn audit(
    store: &Store,
    application_id: &str,
    action: &'static str,
    operator: &str,
    mut detail: serde_json::Value,
) -> anyhow::Result<()> {
    detail["operator"] = operator.into();
    store
        .record_audit(NewAuditEntry {
            application_id: Some(application_id.to_owned()),
            actor: actor::OPERATOR,
            action,
            subject_type: APPLICATION,
            subject_id: application_id.to_owned(),
            detail: Some(detail.to_string()),
            created_at: Timestamp::now(),
        })
        .await
}
