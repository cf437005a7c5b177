//! `emails`: the outbox of emails to end users, with their sending state.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "emails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub to_address: String,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    /// `pending`, `sent`, `kept` (no SMTP server configured) or `failed`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    /// Sending attempts made so far (default 0).
    pub attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// When the next send is due; `None` once the email left the outbox.
    pub next_attempt_at: Option<Timestamp>,
    /// While in the future, a worker holds this row.
    pub lease_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
