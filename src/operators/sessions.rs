//! Console sessions: a random cookie value, of which only the hash is stored, deleted once
//! signed out or expired.

use std::time::Duration;

use crate::domain::{Timestamp, UrlToken, new_id};
use crate::store::Store;
use crate::store::operators::OperatorRecord;

/// How long a console session lasts: one working day.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// The value of a new session's cookie, shown to the browser only.
pub struct SessionToken(pub UrlToken);

/// Opens a session for `operator`; the token goes into the cookie.
pub(super) async fn open_session(
    store: &Store,
    operator: &OperatorRecord,
    now: Timestamp,
) -> anyhow::Result<SessionToken> {
    let token = UrlToken::generate();
    let lifetime = i64::try_from(SESSION_LIFETIME.as_millis()).unwrap_or(i64::MAX);
    store
        .insert_operator_session(
            new_id("ops"),
            &operator.id,
            token.hash(),
            now,
            Timestamp(now.0.saturating_add(lifetime)),
        )
        .await?;
    Ok(SessionToken(token))
}

/// The operator whose live session the presented cookie value opens.
pub async fn signed_in_operator(
    store: &Store,
    presented: &str,
) -> anyhow::Result<Option<OperatorRecord>> {
    store
        .find_operator_by_session(&UrlToken::hash_of(presented), Timestamp::now())
        .await
}

/// Ends the session the presented cookie value opens.
pub async fn end_session(store: &Store, presented: &str) -> anyhow::Result<()> {
    store
        .delete_operator_session(&UrlToken::hash_of(presented))
        .await
}

/// Deletes the sessions that have run out (their cookies no longer open the console anyway);
/// returns how many.
pub async fn forget_expired_sessions(store: &Store, now: Timestamp) -> anyhow::Result<u64> {
    store.delete_expired_operator_sessions(now).await
}
