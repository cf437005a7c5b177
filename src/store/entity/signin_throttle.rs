//! `signin_throttles`: failed console sign-ins per key, and until when the key is refused.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signin_throttles")]
pub struct Model {
    /// `account:<email>@<client address>` or `client:<client address>`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub key: String,
    /// Failures since the last successful sign-in.
    pub failures: i32,
    pub locked_until: Option<Timestamp>,
    pub last_failed_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
