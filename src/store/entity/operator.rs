//! `operators`: the people who run the hub and sign in to the console.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operators")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Lower-cased; unique.
    #[sea_orm(column_type = "Text")]
    pub email: String,
    /// An argon2id PHC string.
    #[sea_orm(column_type = "Text")]
    pub password_hash: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the operator last signed in to the console; `None` if not since it was recorded.
    pub last_signed_in_at: Option<Timestamp>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
