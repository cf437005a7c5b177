//! Schema v5: an index for listing one host's events, oldest start first
//! (`GET /v1/events?end_user_id=…`). Without it, SQLite — which has no statistics until
//! `ANALYZE` — walked the application's whole start-ordered index and filtered by host: with
//! 1,000,000 stored events a page took 100–200 ms (the load harness's `million` run).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_events_application_id_host_end_user_id_start_at_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Events::Table)
                    .col(Events::ApplicationId)
                    .col(Events::HostEndUserId)
                    .col(Events::StartAt)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Events::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    ApplicationId,
    HostEndUserId,
    StartAt,
    Id,
}
