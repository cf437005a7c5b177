//! `zoom_inbox`: Zoom's event notifications, stored before they are acknowledged and worked
//! afterwards, once each.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "zoom_inbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Zoom's `event`, e.g. `app_deauthorized`.
    #[sea_orm(column_type = "Text")]
    pub event_type: String,
    /// The raw body as Zoom signed it.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// SHA-256 of the body; unique, so a redelivered notification is stored once.
    #[sea_orm(column_type = "Text")]
    pub body_hash: String,
    /// `pending`, `done` or `failed`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    pub attempts: i32,
    /// When the next attempt is due; `None` once worked.
    pub next_attempt_at: Option<Timestamp>,
    /// While in the future, a worker holds this row.
    pub lease_until: Option<Timestamp>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub received_at: Timestamp,
    pub processed_at: Option<Timestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
