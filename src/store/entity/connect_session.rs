//! `connect_sessions`: short-lived hosted "connect your Zoom account" flows started by an application.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connect_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub application_id: String,
    #[sea_orm(column_type = "Text")]
    pub end_user_id: String,
    /// Where the browser returns to the application once the flow ends.
    #[sea_orm(column_type = "Text")]
    pub redirect_uri: String,
    /// Opaque state the application asked to get back on its redirect.
    #[sea_orm(column_type = "Text", nullable)]
    pub app_state: Option<String>,
    /// Hash of the session token handed to the application; unique.
    #[sea_orm(column_type = "Text")]
    pub token_hash: String,
    /// Hash of the OAuth `state` sent to the provider, set when the flow reaches the provider; unique.
    #[sea_orm(column_type = "Text", nullable)]
    pub oauth_state_hash: Option<String>,
    /// The session's URL token, sealed, so an idempotent retry can return the same URL.
    #[sea_orm(column_type = "Blob")]
    pub token_sealed: Vec<u8>,
    /// PKCE code verifier, sealed by the vault.
    #[sea_orm(column_type = "Blob", nullable)]
    pub pkce_verifier: Option<Vec<u8>>,
    /// The application's `Idempotency-Key`; unique per application
    /// (`uq_connect_sessions_application_id_idempotency_key`).
    #[sea_orm(column_type = "Text", nullable)]
    pub idempotency_key: Option<String>,
    /// Hash of the creating request, to reject an idempotency key reused with another body.
    #[sea_orm(column_type = "Text", nullable)]
    pub request_hash: Option<String>,
    pub expires_at: Timestamp,
    /// Set once the session has been used; a session is single-use.
    pub consumed_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::application::Entity",
        from = "Column::ApplicationId",
        to = "super::application::Column::Id",
        on_delete = "Cascade"
    )]
    Application,
    #[sea_orm(
        belongs_to = "super::end_user::Entity",
        from = "Column::EndUserId",
        to = "super::end_user::Column::Id",
        on_delete = "Cascade"
    )]
    EndUser,
}

impl Related<super::application::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Application.def()
    }
}

impl Related<super::end_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EndUser.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
