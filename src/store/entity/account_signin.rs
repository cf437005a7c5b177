//! `account_signins`: *Sign in with Zoom* flows on their way through Zoom.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_signins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Hash of the OAuth `state` sent to Zoom; unique.
    #[sea_orm(column_type = "Text")]
    pub oauth_state_hash: String,
    /// PKCE code verifier, sealed by the vault for this row.
    #[sea_orm(column_type = "Blob")]
    pub pkce_verifier: Vec<u8>,
    pub expires_at: Timestamp,
    /// Set once Zoom sent the browser back; a flow is single-use.
    pub consumed_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
