//! Recognising the application behind a presented API key.

use crate::domain::KeyHash;
use crate::store::Store;
use crate::store::applications::Application;

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
    presented: &str,
) -> anyhow::Result<Result<Caller, Rejection>> {
    if !KeyHash::is_key_shaped(presented) {
        return Ok(Err(Rejection::UnknownKey));
    }
    let Some((key, application)) = store.find_live_key(KeyHash::of(presented).as_str()).await?
    else {
        return Ok(Err(Rejection::UnknownKey));
    };
    if application.status != super::status::ACTIVE {
        return Ok(Err(Rejection::Suspended));
    }
    Ok(Ok(Caller {
        application,
        key_id: key.id,
    }))
}
