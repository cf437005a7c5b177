//! *Sign in with Zoom* on the account page: the end user is whoever Zoom says they are. The
//! authorization it takes is the hub's own Zoom app, so Zoom kills the user's older tokens:
//! the fresh grant must replace the stored one, or every application linked to the account
//! would lose it.

use secrecy::SecretString;

use super::ConferencingError;
use super::connections::{Connections, ZOOM};
use crate::domain::Timestamp;
use crate::store::links::ConnectError;
use crate::zoom::TokenGrant;

/// Who signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedInWithZoom {
    /// A Zoom user the hub holds a credential for, now with the fresh tokens.
    Known { zoom_user_id: String },
    /// A Zoom user no application uses: nothing is stored and the authorization is revoked.
    NoAccount,
}

impl Connections<'_> {
    /// Finishes a sign-in: exchanges the code, asks Zoom who the user is, and gives their
    /// credential the new tokens.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(
        &self,
        code: &str,
        pkce_verifier: &SecretString,
    ) -> Result<SignedInWithZoom, ConferencingError> {
        let grant = self.oauth.exchange_code(code, pkce_verifier).await?;
        let user = match self.api.me(&grant.access_token).await {
            Ok(user) => user,
            Err(error) => {
                self.revoke_unused(&grant).await;
                return Err(error.into());
            }
        };
        let Some(existing) = self
            .store
            .find_credential_by_provider_user(ZOOM, &user.id)
            .await?
        else {
            self.revoke_unused(&grant).await;
            return Ok(SignedInWithZoom::NoAccount);
        };
        let mut credential_id = existing.id;
        let now = Timestamp::now();
        // Sealed for one credential id; a reconnect may have replaced the credential meanwhile.
        for _ in 0..2 {
            let account = self.authorized_account(&credential_id, &user, &grant, now);
            match self.store.renew_credential_on_sign_in(account, now).await {
                Ok(true) => {
                    tracing::info!(%credential_id, "signed in with Zoom; credential renewed");
                    return Ok(SignedInWithZoom::Known {
                        zoom_user_id: user.id,
                    });
                }
                Ok(false) => {
                    self.revoke_unused(&grant).await;
                    return Ok(SignedInWithZoom::NoAccount);
                }
                Err(ConnectError::CredentialIdChanged(id)) => credential_id = id,
                Err(ConnectError::Database(error)) => return Err(error.into()),
            }
        }
        Err(anyhow::anyhow!("the credential of Zoom user kept changing while signing in").into())
    }

    /// Takes back an authorization nothing will use. Best effort: nothing stores it.
    async fn revoke_unused(&self, grant: &TokenGrant) {
        if let Err(error) = self.oauth.revoke(&grant.access_token).await {
            tracing::warn!(error = %error, "could not revoke an unused authorization");
        }
    }
}
