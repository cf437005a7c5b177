//! `applications`: the tenants of the hub, each with its redirect URIs and webhook settings.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// JSON array of the allowed OAuth redirect URIs (strings).
    #[sea_orm(column_type = "Text")]
    pub redirect_uris: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub webhook_url: Option<String>,
    /// Webhook signing secret, sealed by the vault.
    #[sea_orm(column_type = "Blob")]
    pub webhook_secret: Vec<u8>,
    /// `active` or `suspended`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    /// Per-application request rate limit; `None` means the server default.
    pub rate_limit_per_second: Option<i32>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::api_key::Entity")]
    ApiKey,
    #[sea_orm(has_many = "super::end_user::Entity")]
    EndUser,
    #[sea_orm(has_many = "super::link::Entity")]
    Link,
    #[sea_orm(has_many = "super::connect_session::Entity")]
    ConnectSession,
    #[sea_orm(has_many = "super::event::Entity")]
    Event,
    #[sea_orm(has_many = "super::webhook_delivery::Entity")]
    WebhookDelivery,
}

impl Related<super::api_key::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ApiKey.def()
    }
}

impl Related<super::end_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EndUser.def()
    }
}

impl Related<super::link::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Link.def()
    }
}

impl Related<super::connect_session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ConnectSession.def()
    }
}

impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl Related<super::webhook_delivery::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::WebhookDelivery.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
