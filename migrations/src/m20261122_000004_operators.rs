//! Schema v4: the operator console — operator accounts (argon2id password hashes), their
//! signed-in sessions, the sign-in throttle that slows password guessing, and the previous
//! webhook secret that keeps signing for a while after the operator rotates an application's.
//!
//! Same conventions as v1: TEXT ids made by the application, BIGINT unix milliseconds for
//! instants, foreign keys inside `CREATE TABLE`, unique indexes named `uq_<table>_<cols>` and
//! plain ones `idx_<table>_<cols>`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, blob, integer, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_operators(manager).await?;
        create_operator_sessions(manager).await?;
        create_signin_throttles(manager).await?;
        create_webhook_secret_rotations(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookSecretRotations::Table.into_iden(),
            SigninThrottles::Table.into_iden(),
            OperatorSessions::Table.into_iden(),
            Operators::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The people who run the hub: a lower-cased email and an argon2id PHC string.
async fn create_operators(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Operators::Table)
                .col(text(Operators::Id).primary_key())
                .col(text(Operators::Email))
                .col(text(Operators::PasswordHash))
                .col(big_integer(Operators::CreatedAt))
                .col(big_integer(Operators::UpdatedAt))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("uq_operators_email")
                .table(Operators::Table)
                .col(Operators::Email)
                .unique()
                .to_owned(),
        )
        .await
}

/// Signed-in console sessions; only a hash of the cookie's value is kept.
async fn create_operator_sessions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(OperatorSessions::Table)
                .col(text(OperatorSessions::Id).primary_key())
                .col(text(OperatorSessions::OperatorId))
                .col(text(OperatorSessions::TokenHash))
                .col(big_integer(OperatorSessions::ExpiresAt))
                .col(big_integer(OperatorSessions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_operator_sessions_operator_id")
                        .from(OperatorSessions::Table, OperatorSessions::OperatorId)
                        .to(Operators::Table, Operators::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("uq_operator_sessions_token_hash")
                .table(OperatorSessions::Table)
                .col(OperatorSessions::TokenHash)
                .unique()
                .to_owned(),
        )
        .await
}

/// Failed sign-ins counted per key (an email at one client address, or a client address),
/// and until when that key is refused.
async fn create_signin_throttles(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SigninThrottles::Table)
                .col(text(SigninThrottles::Key).primary_key())
                .col(integer(SigninThrottles::Failures).default(0))
                .col(big_integer_null(SigninThrottles::LockedUntil))
                .col(big_integer(SigninThrottles::LastFailedAt))
                .to_owned(),
        )
        .await
}

/// An application's previous webhook secret (sealed like the current one, under the
/// application's id) and until when deliveries are signed with it too.
async fn create_webhook_secret_rotations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(WebhookSecretRotations::Table)
                // The application's id.
                .col(text(WebhookSecretRotations::Id).primary_key())
                .col(blob(WebhookSecretRotations::PreviousSecret))
                .col(big_integer(WebhookSecretRotations::OverlapUntil))
                .col(big_integer(WebhookSecretRotations::RotatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_secret_rotations_id")
                        .from(WebhookSecretRotations::Table, WebhookSecretRotations::Id)
                        .to(Applications::Table, Applications::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden)]
enum Applications {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WebhookSecretRotations {
    Table,
    Id,
    PreviousSecret,
    OverlapUntil,
    RotatedAt,
}

#[derive(DeriveIden)]
enum Operators {
    Table,
    Id,
    Email,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OperatorSessions {
    Table,
    Id,
    OperatorId,
    TokenHash,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SigninThrottles {
    Table,
    Key,
    Failures,
    LockedUntil,
    LastFailedAt,
}
