//! Creating operator accounts (`convene admin create`).

use crate::domain::{EmailAddress, FieldError, Timestamp, new_id};
use crate::store::Store;
use crate::store::operators::OperatorRecord;

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
    };
    let id = record.id.clone();
    if !store.insert_operator(record).await? {
        return Err(CreateError::EmailTaken);
    }
    tracing::info!(operator_id = %id, "operator created");
    Ok(id)
}
