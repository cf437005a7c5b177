//! `webhook_secret_rotations`: an application's previous webhook secret, which also signs its
//! deliveries until the overlap ends.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_secret_rotations")]
pub struct Model {
    /// The application's id.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Sealed like `applications.webhook_secret`, under the application's id.
    pub previous_secret: Vec<u8>,
    pub overlap_until: Timestamp,
    pub rotated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::application::Entity",
        from = "Column::Id",
        to = "super::application::Column::Id",
        on_delete = "Cascade"
    )]
    Application,
}

impl Related<super::application::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Application.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
