//! Schema v3: what removal needs — the inbox of Zoom's event notifications, the end user's
//! account page (single-use sign-in links from applications, *Sign in with Zoom* flows in
//! progress, and signed-in sessions).
//!
//! Same conventions as v1: TEXT ids made by the application, BIGINT unix milliseconds for
//! instants, sealed secrets as binary, foreign keys inside `CREATE TABLE`, unique indexes
//! named `uq_<table>_<cols>` and plain ones `idx_<table>_<cols>`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, blob, integer, text, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_zoom_inbox(manager).await?;
        create_account_links(manager).await?;
        create_account_signins(manager).await?;
        create_account_sessions(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AccountSessions::Table.into_iden(),
            AccountSignins::Table.into_iden(),
            AccountLinks::Table.into_iden(),
            ZoomInbox::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn cascade_fk(
    name: &str,
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from_table, from_col)
        .to(to_table, Alias::new("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn unique_index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name(name)
                .table(table)
                .col(column)
                .unique()
                .to_owned(),
        )
        .await
}

/// Every notification Zoom sent, stored before it is acknowledged and worked afterwards.
async fn create_zoom_inbox(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ZoomInbox::Table)
                .col(text(ZoomInbox::Id).primary_key())
                .col(text(ZoomInbox::EventType))
                // The raw body as Zoom signed it; its hash makes a redelivery a no-op.
                .col(text(ZoomInbox::Body))
                .col(text(ZoomInbox::BodyHash))
                .col(text(ZoomInbox::Status))
                .col(integer(ZoomInbox::Attempts).default(0))
                .col(big_integer_null(ZoomInbox::NextAttemptAt))
                .col(big_integer_null(ZoomInbox::LeaseUntil))
                .col(text_null(ZoomInbox::LastError))
                .col(big_integer(ZoomInbox::ReceivedAt))
                .col(big_integer_null(ZoomInbox::ProcessedAt))
                .to_owned(),
        )
        .await?;
    unique_index(
        manager,
        "uq_zoom_inbox_body_hash",
        ZoomInbox::Table,
        ZoomInbox::BodyHash,
    )
    .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_zoom_inbox_status_next_attempt_at")
                .table(ZoomInbox::Table)
                .col(ZoomInbox::Status)
                .col(ZoomInbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("idx_zoom_inbox_received_at")
                .table(ZoomInbox::Table)
                .col(ZoomInbox::ReceivedAt)
                .to_owned(),
        )
        .await
}

/// Single-use, short-lived sign-in URLs an application makes for one of its end users.
async fn create_account_links(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AccountLinks::Table)
                .col(text(AccountLinks::Id).primary_key())
                .col(text(AccountLinks::ApplicationId))
                .col(text(AccountLinks::EndUserId))
                .col(text(AccountLinks::TokenHash))
                .col(big_integer(AccountLinks::ExpiresAt))
                .col(big_integer_null(AccountLinks::ConsumedAt))
                .col(big_integer(AccountLinks::CreatedAt))
                .foreign_key(&mut cascade_fk(
                    "fk_account_links_application_id",
                    AccountLinks::Table,
                    AccountLinks::ApplicationId,
                    Applications::Table,
                ))
                .foreign_key(&mut cascade_fk(
                    "fk_account_links_end_user_id",
                    AccountLinks::Table,
                    AccountLinks::EndUserId,
                    EndUsers::Table,
                ))
                .to_owned(),
        )
        .await?;
    unique_index(
        manager,
        "uq_account_links_token_hash",
        AccountLinks::Table,
        AccountLinks::TokenHash,
    )
    .await
}

/// *Sign in with Zoom* flows on their way through Zoom: the OAuth state and PKCE verifier.
async fn create_account_signins(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AccountSignins::Table)
                .col(text(AccountSignins::Id).primary_key())
                .col(text(AccountSignins::OauthStateHash))
                .col(blob(AccountSignins::PkceVerifier))
                .col(big_integer(AccountSignins::ExpiresAt))
                .col(big_integer_null(AccountSignins::ConsumedAt))
                .col(big_integer(AccountSignins::CreatedAt))
                .to_owned(),
        )
        .await?;
    unique_index(
        manager,
        "uq_account_signins_oauth_state_hash",
        AccountSignins::Table,
        AccountSignins::OauthStateHash,
    )
    .await
}

/// Signed-in account-page sessions. One signed in through an application's link sees that
/// end user only (`application_id`, `end_user_id`); one signed in with Zoom sees that Zoom
/// user only (`provider_user_id`).
async fn create_account_sessions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AccountSessions::Table)
                .col(text(AccountSessions::Id).primary_key())
                .col(text(AccountSessions::TokenHash))
                .col(text_null(AccountSessions::ApplicationId))
                .col(text_null(AccountSessions::EndUserId))
                .col(text_null(AccountSessions::ProviderUserId))
                .col(big_integer(AccountSessions::ExpiresAt))
                .col(big_integer(AccountSessions::CreatedAt))
                .foreign_key(&mut cascade_fk(
                    "fk_account_sessions_application_id",
                    AccountSessions::Table,
                    AccountSessions::ApplicationId,
                    Applications::Table,
                ))
                .foreign_key(&mut cascade_fk(
                    "fk_account_sessions_end_user_id",
                    AccountSessions::Table,
                    AccountSessions::EndUserId,
                    EndUsers::Table,
                ))
                .to_owned(),
        )
        .await?;
    unique_index(
        manager,
        "uq_account_sessions_token_hash",
        AccountSessions::Table,
        AccountSessions::TokenHash,
    )
    .await
}

#[derive(DeriveIden)]
enum Applications {
    Table,
}

#[derive(DeriveIden)]
enum EndUsers {
    Table,
}

#[derive(DeriveIden)]
enum ZoomInbox {
    Table,
    Id,
    EventType,
    Body,
    BodyHash,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    ReceivedAt,
    ProcessedAt,
}

#[derive(DeriveIden)]
enum AccountLinks {
    Table,
    Id,
    ApplicationId,
    EndUserId,
    TokenHash,
    ExpiresAt,
    ConsumedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccountSignins {
    Table,
    Id,
    OauthStateHash,
    PkceVerifier,
    ExpiresAt,
    ConsumedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AccountSessions {
    Table,
    Id,
    TokenHash,
    ApplicationId,
    EndUserId,
    ProviderUserId,
    ExpiresAt,
    CreatedAt,
}
