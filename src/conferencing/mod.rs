//! Conferencing on behalf of end users: connecting Zoom accounts, the token
//! broker that keeps every connection usable, and keeping events' meetings in step.

mod broker;
mod connections;
mod mapping;
mod meetings;

pub use broker::{BrokerSettings, TokenBroker, UpkeepReport};
pub use connections::{Connections, ZOOM};
pub use mapping::meeting_request;
pub use meetings::{Meetings, SyncSettings, event_view};

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
