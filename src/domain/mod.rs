//! Plain types and rules of the hub's domain. No I/O happens here: values are
//! parsed once at the edge and trusted everywhere after.

pub mod application;
pub mod credentials;
pub mod email;
pub mod end_user;
pub mod event;
pub mod id;
pub mod link;
pub mod timestamp;

pub use application::{ApplicationName, RateLimit, RedirectUri, WebhookUrl};
pub use credentials::{ApiKey, KeyHash, UrlToken, WebhookSigningSecret};
pub use email::EmailAddress;
pub use end_user::EndUserId;
pub use id::new_id;
pub use link::{Link, LinkedAccount, RemovalReason};
pub use timestamp::Timestamp;

/// A field that failed to parse, with a message for the caller.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
