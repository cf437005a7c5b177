//! `account_links`: single-use, short-lived sign-in URLs to the account page, made by an
//! application for one of its end users.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub application_id: String,
    /// The end user row (not the application's own id for it).
    #[sea_orm(column_type = "Text")]
    pub end_user_id: String,
    /// Hash of the URL token; unique.
    #[sea_orm(column_type = "Text")]
    pub token_hash: String,
    pub expires_at: Timestamp,
    /// Set once the link has been used; a link is single-use.
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
