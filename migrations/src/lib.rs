//! Database migrations of Convene; the same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_schema;
mod m20261122_000002_notifications;
mod m20261122_000003_removal;
mod m20261122_000004_operators;
mod m20261122_000005_host_event_index;
mod m20261122_000006_operator_sign_ins;

/// Every migration of the hub, in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_schema::Migration),
            Box::new(m20261122_000002_notifications::Migration),
            Box::new(m20261122_000003_removal::Migration),
            Box::new(m20261122_000004_operators::Migration),
            Box::new(m20261122_000005_host_event_index::Migration),
            Box::new(m20261122_000006_operator_sign_ins::Migration),
        ]
    }
}
