//! Conferencing on behalf of end users: connecting Zoom accounts, the token
//! broker that keeps every connection usable, and keeping events' meetings in step.

mod broker;
mod connections;
mod mapping;
mod meetings;
mod sign_in;
mod view;
mod zoom_changes;
mod zoom_inbox;

pub use broker::{BrokerSettings, TokenBroker, UpkeepReport};
pub use connections::{Connections, ZOOM};
pub use mapping::meeting_request;
pub use meetings::{ConnectedHost, KnownHost, Meetings, SyncSettings};
pub use sign_in::SignedInWithZoom;
pub use view::{EventView, event_view};
pub use zoom_changes::ZoomChange;
pub use zoom_inbox::ZoomInbox;

use secrecy::{ExposeSecret, SecretString};

use crate::domain::Timestamp;
use crate::store::credentials::SealedTokens;
use crate::vault::{KeyRing, Purpose, SealContext};
use crate::zoom::TokenGrant;

/// Why a conferencing action could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ConferencingError {
    /// The credential is gone (the link was removed meanwhile).
    #[error("no such credential")]
    NoCredential,
    /// Zoom no longer honours the user's authorization: they must reconnect.
    #[error("the Zoom connection needs the user to reconnect")]
    NeedsReauth,
    /// Zoom failed or refused; see [`crate::zoom::ZoomError::is_retryable`].
    #[error(transparent)]
    Zoom(#[from] crate::zoom::ZoomError),
    /// Something of ours failed (database, a sealed blob that does not open).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A grant's tokens sealed for one credential row, with the access token's expiry.
fn seal_grant(
    vault: &KeyRing,
    credential_id: &str,
    grant: &TokenGrant,
    now: Timestamp,
) -> SealedTokens {
    let seal = |purpose, token: &SecretString| {
        vault.seal_str(
            token.expose_secret(),
            &SealContext {
                purpose,
                row_id: credential_id,
            },
        )
    };
    let expires_in = i64::try_from(grant.expires_in.as_millis()).unwrap_or(i64::MAX);
    SealedTokens {
        access_token: seal(Purpose::ZoomAccessToken, &grant.access_token),
        refresh_token: seal(Purpose::ZoomRefreshToken, &grant.refresh_token),
        access_token_expires_at: Timestamp(now.0.saturating_add(expires_in)),
        scopes: grant.scope.clone(),
    }
}
