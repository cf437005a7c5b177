//! `account_sessions`: signed-in account-page sessions. A session signed in through an
//! application's link sees that end user only; one signed in with Zoom sees that Zoom user only.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Hash of the session cookie's value; unique.
    #[sea_orm(column_type = "Text")]
    pub token_hash: String,
    /// Set with `end_user_id` for a session opened by an application's account link.
    #[sea_orm(column_type = "Text", nullable)]
    pub application_id: Option<String>,
    /// The end user row the application's link named.
    #[sea_orm(column_type = "Text", nullable)]
    pub end_user_id: Option<String>,
    /// The Zoom user id, for a session opened with *Sign in with Zoom*.
    #[sea_orm(column_type = "Text", nullable)]
    pub provider_user_id: Option<String>,
    pub expires_at: Timestamp,
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
