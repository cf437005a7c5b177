//! `audit_entries`: the append-only audit trail of who did what to which object.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The application concerned, if any. Deliberately not a foreign key: the trail outlives
    /// what it describes.
    #[sea_orm(column_type = "Text", nullable)]
    pub application_id: Option<String>,
    /// Who acted (an API key, an admin, the system…).
    #[sea_orm(column_type = "Text")]
    pub actor: String,
    /// What was done, e.g. `credential.refreshed`.
    #[sea_orm(column_type = "Text")]
    pub action: String,
    /// Kind of the object acted upon, e.g. `link`.
    #[sea_orm(column_type = "Text")]
    pub subject_type: String,
    /// Id of the object acted upon.
    #[sea_orm(column_type = "Text")]
    pub subject_id: String,
    /// JSON with action-specific details.
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
