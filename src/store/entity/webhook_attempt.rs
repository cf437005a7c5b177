//! `webhook_attempts`: one row per try at delivering a webhook, for the console. Response bodies,
//! secrets and signatures are never stored.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub delivery_id: String,
    pub attempted_at: Timestamp,
    /// HTTP status of the answer, if one was received.
    pub response_status: Option<i32>,
    /// A short description of what went wrong, if anything did.
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// How long the attempt took, in milliseconds.
    pub duration_ms: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::webhook_delivery::Entity",
        from = "Column::DeliveryId",
        to = "super::webhook_delivery::Column::Id",
        on_delete = "Cascade"
    )]
    WebhookDelivery,
}

impl Related<super::webhook_delivery::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WebhookDelivery.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
