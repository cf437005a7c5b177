//! Schema v2: what notifications need beside the webhook outbox of v1 — a record of every
//! webhook delivery attempt, and the outbox of emails to end users.
//!
//! Same conventions as v1: TEXT ids made by the application, BIGINT unix milliseconds for
//! instants, foreign keys inside `CREATE TABLE`, indexes named `idx_<table>_<cols>`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, integer, integer_null, text, text_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_webhook_attempts(manager).await?;
        create_emails(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Emails::Table.into_iden(),
            WebhookAttempts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_webhook_attempts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(WebhookAttempts::Table)
                .col(text(WebhookAttempts::Id).primary_key())
                .col(text(WebhookAttempts::DeliveryId))
                .col(big_integer(WebhookAttempts::AttemptedAt))
                .col(integer_null(WebhookAttempts::ResponseStatus))
                .col(text_null(WebhookAttempts::Error))
                .col(integer(WebhookAttempts::DurationMs))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_attempts_delivery_id")
                        .from(WebhookAttempts::Table, WebhookAttempts::DeliveryId)
                        .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_webhook_attempts_delivery_id")
                .table(WebhookAttempts::Table)
                .col(WebhookAttempts::DeliveryId)
                .to_owned(),
        )
        .await
}

async fn create_emails(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Emails::Table)
                .col(text(Emails::Id).primary_key())
                .col(text(Emails::ToAddress))
                .col(text(Emails::Subject))
                .col(text(Emails::BodyText))
                .col(text(Emails::Status))
                .col(integer(Emails::Attempts).default(0))
                .col(text_null(Emails::LastError))
                // When the next send is due and which worker holds the row: the email outbox is
                // worked like the webhook outbox, so two instances never send the same email at once.
                .col(big_integer_null(Emails::NextAttemptAt))
                .col(big_integer_null(Emails::LeaseUntil))
                .col(big_integer(Emails::CreatedAt))
                .col(big_integer_null(Emails::SentAt))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_emails_status_created_at")
                .table(Emails::Table)
                .col(Emails::Status)
                .col(Emails::CreatedAt)
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    AttemptedAt,
    ResponseStatus,
    Error,
    DurationMs,
}

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    ToAddress,
    Subject,
    BodyText,
    Status,
    Attempts,
    LastError,
    NextAttemptAt,
    LeaseUntil,
    CreatedAt,
    SentAt,
}
