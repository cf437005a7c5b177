//! Recognising the application behind a presented API key.

use crate::domain::KeyHash;
use crate::store::Store;
use crate::store::applications::{ApiKeyRecord, Application};

/// The application making a request, and the key it used.
#[derive(Clone, Debug)]
pub struct Caller {
    pub application: Application,
    pub key_id: String,
}

/// Why a presented key does not admit its bearer.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Malformed, unknown or revoked: deliberately not told apart.
    UnknownKey,
    /// The key is live but its application is suspended.
    Suspended,
}

/// Finds the live key matching `presented` and its (active) application.
pub async fn authenticate(
    store: &Store,
    presented: &KeyHash,
) -> anyhow::Result<Result<Caller, Rejection>> {
    Ok(admit(store.find_live_key(presented.as_str()).await?))
}

/// Whether the live key found for a presented one (and its application) admits its
/// bearer; `None` when no live key matched.
pub fn admit(found: Option<(ApiKeyRecord, Application)>) -> Result<Caller, Rejection> {
    let Some((key, application)) = found else {
        return Err(Rejection::UnknownKey);
    };
    if application.status != super::status::ACTIVE {
        return Err(Rejection::Suspended);
    }
    Ok(Caller {
        application,
        key_id: key.id,
    })
}
