//! `credentials`: one provider (Zoom) account's sealed OAuth tokens and their refresh bookkeeping.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The conferencing provider, e.g. `zoom`.
    #[sea_orm(column_type = "Text")]
    pub provider: String,
    /// The provider's id for the account's user; unique per provider
    /// (`uq_credentials_provider_provider_user_id`), so one account is stored once however
    /// many applications link it.
    #[sea_orm(column_type = "Text")]
    pub provider_user_id: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub provider_account_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub email: String,
    #[sea_orm(column_type = "Text")]
    pub display_name: String,
    /// OAuth access token, sealed by the vault.
    #[sea_orm(column_type = "Blob")]
    pub access_token: Vec<u8>,
    /// OAuth refresh token, sealed by the vault.
    #[sea_orm(column_type = "Blob")]
    pub refresh_token: Vec<u8>,
    pub access_token_expires_at: Timestamp,
    /// Granted scopes, as the provider returned them.
    #[sea_orm(column_type = "Text")]
    pub scopes: String,
    /// `active` or `needs_reauth`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    /// Optimistic-concurrency counter, bumped on every write of the tokens (default 0).
    pub version: i64,
    /// While in the future, the refresh lease is held by `refresh_lease_holder` and nobody else
    /// may refresh the tokens.
    pub refresh_lease_until: Option<Timestamp>,
    /// Identifies the process holding the refresh lease.
    #[sea_orm(column_type = "Text", nullable)]
    pub refresh_lease_holder: Option<String>,
    /// Consecutive failed refresh attempts (default 0), reset on success.
    pub refresh_failures: i32,
    /// Earliest instant of the next refresh attempt after a failure (backoff).
    pub next_refresh_attempt_at: Option<Timestamp>,
    /// When refreshing started failing (transiently); cleared by the next success.
    pub refresh_failing_since: Option<Timestamp>,
    pub last_refreshed_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::link::Entity")]
    Link,
}

impl Related<super::link::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Link.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
