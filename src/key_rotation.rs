//! `convene keys rotate`: re-seals every stored secret under the active key.
//!
//! Safe while instances serve: each blob is replaced only if it still holds
//! what was read (a concurrent writer, who seals with the active key anyway,
//! wins). Resumable: blobs already under the active key are skipped, so an
//! interrupted run is finished by running it again.

use anyhow::Context;

use crate::store::Store;
use crate::store::sealed::SealedField;
use crate::vault::{KeyRing, Purpose, SealContext, sealed_key_id};

/// Rows read per query.
const PAGE: u64 = 200;

/// What a rotation run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Blobs re-sealed under the active key.
    pub resealed: u64,
    /// Blobs that already were under the active key.
    pub current: u64,
    /// Blobs changed by someone else between read and write (already current).
    pub raced: u64,
}

/// Re-seals every blob not under the active key.
#[tracing::instrument(skip_all, fields(active_key = vault.active_key_id()))]
pub async fn reseal_all(store: &Store, vault: &KeyRing) -> anyhow::Result<RotationReport> {
    let mut report = RotationReport::default();
    for field in SealedField::ALL {
        let purpose = purpose_of(field);
        let mut after = String::new();
        loop {
            let page = store.sealed_blobs(field, &after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.row_id.clone();
            for sealed in page {
                let context = SealContext {
                    purpose,
                    row_id: &sealed.row_id,
                };
                let resealed = vault.reseal(&sealed.blob, &context).with_context(|| {
                    let key = sealed_key_id(&sealed.blob).unwrap_or("?");
                    format!(
                        "cannot open {field:?} of row {} (sealed with key '{key}'): keep every old key in CONVENE_MASTER_KEYS until rotation has finished",
                        sealed.row_id
                    )
                })?;
                match resealed {
                    None => report.current += 1,
                    Some(blob) => {
                        if store
                            .replace_sealed_blob(field, &sealed.row_id, &sealed.blob, blob)
                            .await?
                        {
                            report.resealed += 1;
                        } else {
                            report.raced += 1;
                        }
                    }
                }
            }
        }
    }
    tracing::info!(?report, "key rotation finished");
    Ok(report)
}

fn purpose_of(field: SealedField) -> Purpose {
    match field {
        SealedField::ApplicationWebhookSecret | SealedField::PreviousWebhookSecret => {
            Purpose::WebhookSecret
        }
        SealedField::CredentialAccessToken => Purpose::ZoomAccessToken,
        SealedField::CredentialRefreshToken => Purpose::ZoomRefreshToken,
        SealedField::ConnectSessionPkceVerifier => Purpose::PkceVerifier,
        SealedField::ConnectSessionToken => Purpose::ConnectSessionToken,
    }
}
