//! Connecting Zoom accounts to applications' end users, and removing links:
//! the code exchange, who the user is, storing the sealed tokens, telling the
//! application and the end user, and revoking what nobody uses any more.

use secrecy::SecretString;
use serde_json::json;
use url::Url;

use super::ConferencingError;
use crate::domain::{Link, RemovalReason, Timestamp, new_id};
use crate::notify::{self, AppEvent};
use crate::store::Store;
use crate::store::applications::Application;
use crate::store::audit::{NewAuditEntry, actor};
use crate::store::credentials::Credential;
use crate::store::emails::NewEmail;
use crate::store::links::{AppLink, AuthorizedAccount, ConnectError, RemovedAccount};
use crate::store::outbox::Outbox;
use crate::vault::{KeyRing, Purpose, SealContext};
use crate::zoom::types::ZoomUser;
use crate::zoom::{TokenGrant, ZoomApi, ZoomOAuth};

/// The provider name stored with credentials.
pub const ZOOM: &str = "zoom";

/// What connecting and removing need.
pub struct Connections<'a> {
    pub store: &'a Store,
    pub vault: &'a KeyRing,
    pub oauth: &'a ZoomOAuth,
    pub api: &'a ZoomApi,
    /// Where end users manage their connections (named in emails).
    pub account_page: Url,
}

impl Connections<'_> {
    /// Finishes an authorization for `application`'s end user (`end_user_id`
    /// is the stored end user's row id): exchanges the code, asks Zoom who
    /// the user is, and stores everything at once.
    #[tracing::instrument(skip_all, fields(application_id = %application.id))]
    pub async fn connect(
        &self,
        application: &Application,
        end_user_id: &str,
        code: &str,
        pkce_verifier: &SecretString,
    ) -> Result<Link, ConferencingError> {
        let grant = self.oauth.exchange_code(code, pkce_verifier).await?;
        let user = match self.api.me(&grant.access_token).await {
            Ok(user) => user,
            Err(error) => {
                // Nothing will use this authorization: take it back at Zoom.
                if let Err(revoke) = self.oauth.revoke(&grant.access_token).await {
                    tracing::warn!(error = %revoke, "could not revoke an unused authorization");
                }
                return Err(error.into());
            }
        };
        let mut credential_id = self
            .store
            .find_credential_by_provider_user(ZOOM, &user.id)
            .await?
            .map_or_else(|| new_id("cred"), |existing| existing.id);
        let now = Timestamp::now();
        // Sealed for one credential id; if another connect created the
        // credential meanwhile, seal again for its id (once is enough).
        for _ in 0..2 {
            let account = self.authorized_account(&credential_id, &user, &grant, now);
            let outbox = |link: &Link| self.connected_outbox(application, link, &user, now);
            match self
                .store
                .connect_account(&application.id, end_user_id, account, now, outbox)
                .await
            {
                Ok(connected) => {
                    if let Some(orphan) = connected.orphaned {
                        self.revoke(&orphan).await;
                    }
                    tracing::info!(link_id = %connected.link.id, "Zoom account connected");
                    return Ok(connected.link);
                }
                Err(ConnectError::CredentialIdChanged(id)) => credential_id = id,
                Err(ConnectError::Database(error)) => return Err(error.into()),
            }
        }
        Err(anyhow::anyhow!("the credential of Zoom user kept changing while connecting").into())
    }

    /// Removes one of the application's links, telling the application why;
    /// a credential left with no link is revoked at Zoom and deleted. `None`
    /// when the application has no such link.
    #[tracing::instrument(skip_all, fields(application_id = %application.id, link_id))]
    pub async fn remove_link(
        &self,
        application: &Application,
        link_id: &str,
        reason: RemovalReason,
    ) -> Result<Option<Link>, ConferencingError> {
        let now = Timestamp::now();
        let outbox = |link: &Link, credential: &Credential| Outbox {
            deliveries: notify::delivery_for(
                application,
                &AppEvent::LinkRemoved(link.clone(), reason),
                now,
            )
            .into_iter()
            .collect(),
            emails: Vec::new(),
            audit: vec![link_removed_entry(credential, application, reason, now)],
        };
        let Some(removed) = self
            .store
            .remove_link(&application.id, link_id, outbox)
            .await?
        else {
            return Ok(None);
        };
        if let Some(orphan) = removed.orphaned {
            self.revoke(&orphan).await;
        }
        tracing::info!(?reason, "link removed");
        Ok(Some(removed.link))
    }

    /// Removes a whole Zoom account: every link to it (each application is told, with
    /// `reason`), the credential and its tokens, and tells the end user by email. The
    /// authorization is revoked at Zoom unless Zoom itself removed it. `None` when the
    /// account is already gone.
    #[tracing::instrument(skip_all, fields(credential_id))]
    pub async fn remove_account(
        &self,
        credential_id: &str,
        reason: RemovalReason,
    ) -> Result<Option<RemovedAccount>, ConferencingError> {
        let now = Timestamp::now();
        let outbox = |credential: &Credential, links: &[AppLink]| Outbox {
            deliveries: links
                .iter()
                .filter_map(|removed| {
                    notify::delivery_for(
                        &removed.application,
                        &AppEvent::LinkRemoved(removed.link.clone(), reason),
                        now,
                    )
                })
                .collect(),
            emails: vec![self.disconnected_email(credential, links, reason, now)],
            audit: links
                .iter()
                .map(|removed| link_removed_entry(credential, &removed.application, reason, now))
                .collect(),
        };
        let Some(removed) = self.store.remove_account(credential_id, outbox).await? else {
            return Ok(None);
        };
        // Zoom has already killed the tokens of an app the user removed there.
        if reason != RemovalReason::ProviderDeauthorized {
            self.revoke(&removed.credential).await;
        }
        tracing::info!(?reason, links = removed.links.len(), "Zoom account removed");
        Ok(Some(removed))
    }

    fn disconnected_email(
        &self,
        credential: &Credential,
        links: &[AppLink],
        reason: RemovalReason,
        now: Timestamp,
    ) -> NewEmail {
        let apps = if links.is_empty() {
            "No app was using it.".to_owned()
        } else {
            let names: Vec<&str> = links.iter().map(|l| l.application.name.as_str()).collect();
            format!(
                "These apps can no longer create or change Zoom meetings for you: {}.",
                names.join(", ")
            )
        };
        let how = match reason {
            RemovalReason::ProviderDeauthorized => "You removed Convene from your Zoom account",
            RemovalReason::Operator => "The Convene operator disconnected your Zoom account",
            RemovalReason::EndUser | RemovalReason::App => "Your Zoom account was disconnected",
        };
        let body = format!(
            "Hello {name},\n\n{how} ({email}), so Convene has deleted its access to it.\n\n{apps}\n\n\
             Meetings already scheduled stay in Zoom, and their join links keep working.\n\n\
             To connect again, use the app's Connect Zoom button. Your account page: {account}\n",
            name = credential.display_name,
            email = credential.email,
            account = self.account_page,
        );
        notify::email(
            &credential.email,
            "Your Zoom account is disconnected",
            &body,
            now,
        )
    }

    fn connected_outbox(
        &self,
        application: &Application,
        link: &Link,
        user: &ZoomUser,
        now: Timestamp,
    ) -> Outbox {
        let body = format!(
            "Hello {name},\n\n{app} is now connected to your Zoom account {email}.\n\n\
             It can create, change and delete Zoom meetings in your account, and read your Zoom name and email. \
             It never sees your Zoom password or tokens.\n\n\
             To remove its access, visit {account} or remove the app in Zoom's App Marketplace (Manage → Added apps).\n",
            name = link.account.display_name,
            app = application.name,
            email = user.email,
            account = self.account_page,
        );
        Outbox {
            deliveries: notify::delivery_for(
                application,
                &AppEvent::LinkConnected(link.clone()),
                now,
            )
            .into_iter()
            .collect(),
            emails: vec![notify::email(
                &user.email,
                &format!("{} is connected to your Zoom account", application.name),
                &body,
                now,
            )],
            audit: vec![NewAuditEntry::zoom_user(
                &user.id,
                Some(&application.id),
                actor::APPLICATION,
                "link.connected",
                json!({"application": application.name, "link_id": link.id}),
                now,
            )],
        }
    }

    /// `user`'s new authorization, its tokens sealed for the credential `credential_id`.
    pub(super) fn authorized_account(
        &self,
        credential_id: &str,
        user: &ZoomUser,
        grant: &TokenGrant,
        now: Timestamp,
    ) -> AuthorizedAccount {
        AuthorizedAccount {
            credential_id: credential_id.to_owned(),
            provider: ZOOM.to_owned(),
            provider_user_id: user.id.clone(),
            provider_account_id: user.account_id.clone(),
            email: user.email.clone(),
            display_name: user.name(),
            tokens: super::seal_grant(self.vault, credential_id, grant, now),
        }
    }

    /// Takes back a deleted credential's authorization at Zoom. Best effort:
    /// the tokens are already gone from the hub either way.
    async fn revoke(&self, credential: &Credential) {
        let context = SealContext {
            purpose: Purpose::ZoomAccessToken,
            row_id: &credential.id,
        };
        let outcome = match self.vault.open_str(&credential.access_token, &context) {
            Ok(token) => self.oauth.revoke(&token).await.map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match outcome {
            Ok(()) => tracing::info!(credential_id = %credential.id, "Zoom authorization revoked"),
            Err(error) => {
                tracing::warn!(credential_id = %credential.id, %error, "could not revoke at Zoom; the tokens are deleted anyway")
            }
        }
    }
}

/// The audit entry of a link removed from the Zoom account of `credential`.
fn link_removed_entry(
    credential: &Credential,
    application: &Application,
    reason: RemovalReason,
    now: Timestamp,
) -> NewAuditEntry {
    let who = match reason {
        RemovalReason::EndUser => actor::END_USER,
        RemovalReason::App => actor::APPLICATION,
        RemovalReason::ProviderDeauthorized => actor::ZOOM,
        RemovalReason::Operator => actor::OPERATOR,
    };
    NewAuditEntry::zoom_user(
        &credential.provider_user_id,
        Some(&application.id),
        who,
        "link.removed",
        json!({"application": application.name, "reason": reason}),
        now,
    )
}
