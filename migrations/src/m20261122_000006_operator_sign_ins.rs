//! Schema v6: when each operator last signed in to the console, so operators can be listed
//! with it (`convene admin list`, the console's Operators page). Sessions cannot tell: they are
//! deleted when they end. Empty for an operator who has not signed in since.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Operators::Table)
                    .add_column(big_integer_null(Operators::LastSignedInAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Operators::Table)
                    .drop_column(Operators::LastSignedInAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Operators {
    Table,
    LastSignedInAt,
}
