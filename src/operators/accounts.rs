//! Operator accounts: creating them (`convene admin create`), removing them (`convene admin
//! remove`) and giving them a new password (`convene admin password`, or the operator's own in
//! the console).

use crate::domain::{EmailAddress, FieldError, Timestamp, UrlToken, new_id};
use crate::store::Store;
use crate::store::operators::{OperatorRecord, OperatorRemoval};

use super::OperatorPassword;

/// An operator's email, lower-cased whole so that sign-in ignores case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorEmail(String);

impl OperatorEmail {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = EmailAddress::parse(raw, "email")?;
        Ok(Self(email.as_str().to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why an operator could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("an operator with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Creates an operator account; returns its id.
#[tracing::instrument(skip_all, fields(email = email.as_str()))]
pub async fn create(
    store: &Store,
    email: &OperatorEmail,
    password: &OperatorPassword,
) -> Result<String, CreateError> {
    let password_hash = password.hash()?;
    let now = Timestamp::now();
    let record = OperatorRecord {
        id: new_id("opr"),
        email: email.as_str().to_owned(),
        password_hash,
        created_at: now,
        updated_at: now,
        last_signed_in_at: None,
    };
    let id = record.id.clone();
    if !store.insert_operator(record).await? {
        return Err(CreateError::EmailTaken);
    }
    tracing::info!(operator_id = %id, "operator created");
    Ok(id)
}

/// Removes the operator with this email and ends their sessions. The only operator is kept
/// unless `last_too`: without one, nobody can sign in to the console until `admin create`.
#[tracing::instrument(skip(store), fields(email = email.as_str()))]
pub async fn remove(
    store: &Store,
    email: &OperatorEmail,
    last_too: bool,
) -> anyhow::Result<OperatorRemoval> {
    let removal = store.delete_operator(email.as_str(), last_too).await?;
    tracing::info!(?removal, "operator removal");
    Ok(removal)
}

/// Gives an operator a new password and ends their sessions, all but the one whose cookie
/// value is `kept_session` (the console session that changed it); returns how many ended.
#[tracing::instrument(skip_all, fields(operator_id = %operator.id))]
pub async fn change_password(
    store: &Store,
    operator: &OperatorRecord,
    password: &OperatorPassword,
    kept_session: Option<&str>,
) -> anyhow::Result<u64> {
    let kept = kept_session.map(UrlToken::hash_of);
    let ended = store
        .replace_operator_password(
            &operator.id,
            password.hash()?,
            kept.as_deref(),
            Timestamp::now(),
        )
        .await?;
    tracing::info!(sessions_ended = ended, "operator password changed");
    Ok(ended)
}
