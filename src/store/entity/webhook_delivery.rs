//! `webhook_deliveries`: the outbox of webhooks to an application, with their retry state.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub application_id: String,
    /// The webhook's type, e.g. `link.created`.
    #[sea_orm(column_type = "Text")]
    pub event_type: String,
    /// The JSON body, exactly as it is (re)sent.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    /// Delivery attempts made so far (default 0).
    pub attempts: i32,
    /// When the next attempt is due; `None` once no attempt remains.
    pub next_attempt_at: Option<Timestamp>,
    /// While in the future, a delivery worker holds this row.
    pub lease_until: Option<Timestamp>,
    pub last_attempt_at: Option<Timestamp>,
    /// HTTP status of the last response, if one was received.
    pub last_response_status: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
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
}

impl Related<super::application::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Application.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
