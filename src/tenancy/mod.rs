//! Applications (tenants) and their API keys: registering an application,
//! issuing and revoking keys, the operator's changes to them, and recognising the
//! application behind a key.

mod administration;
mod authentication;
mod key_usage;
mod registration;

pub use administration::{
    Endpoints, audit, change_endpoints, rotate_webhook_secret, set_suspended,
};
pub use authentication::{Caller, Rejection, admit, authenticate};
pub use key_usage::KeyUsage;
pub use registration::{
    IssuedKey, NewApplication, RegisteredApplication, issue_key, register, revoke_key,
};

/// Application status values as stored.
pub mod status {
    pub const ACTIVE: &str = "active";
    pub const SUSPENDED: &str = "suspended";
}

/// The redirect URIs of a stored application.
pub fn redirect_uris(application: &crate::store::applications::Application) -> Vec<String> {
    serde_json::from_str(&application.redirect_uris).unwrap_or_default()
}
