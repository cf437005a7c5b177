//! `links`: which credential an application's end user has connected (one per end user).

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub application_id: String,
    /// Unique per application (`uq_links_application_id_end_user_id`).
    #[sea_orm(column_type = "Text")]
    pub end_user_id: String,
    #[sea_orm(column_type = "Text")]
    pub credential_id: String,
    /// `active` or `needs_reauth`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    pub connected_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
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
    #[sea_orm(
        belongs_to = "super::credential::Entity",
        from = "Column::CredentialId",
        to = "super::credential::Column::Id",
        on_delete = "Cascade"
    )]
    Credential,
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

impl Related<super::credential::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Credential.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
