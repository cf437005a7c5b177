//! Queries over the columns that hold vault-sealed blobs, for key rotation.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

use super::Store;

/// A column holding sealed blobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedField {
    ApplicationWebhookSecret,
    CredentialAccessToken,
    CredentialRefreshToken,
    ConnectSessionPkceVerifier,
    ConnectSessionToken,
    /// An application's previous webhook secret during a rotation's overlap.
    PreviousWebhookSecret,
}

impl SealedField {
    /// Every sealed column in the schema.
    pub const ALL: [SealedField; 6] = [
        SealedField::ApplicationWebhookSecret,
        SealedField::CredentialAccessToken,
        SealedField::CredentialRefreshToken,
        SealedField::ConnectSessionPkceVerifier,
        SealedField::ConnectSessionToken,
        SealedField::PreviousWebhookSecret,
    ];

    fn table_and_column(self) -> (&'static str, &'static str) {
        match self {
            SealedField::ApplicationWebhookSecret => ("applications", "webhook_secret"),
            SealedField::CredentialAccessToken => ("credentials", "access_token"),
            SealedField::CredentialRefreshToken => ("credentials", "refresh_token"),
            SealedField::ConnectSessionPkceVerifier => ("connect_sessions", "pkce_verifier"),
            SealedField::ConnectSessionToken => ("connect_sessions", "token_sealed"),
            SealedField::PreviousWebhookSecret => ("webhook_secret_rotations", "previous_secret"),
        }
    }
}

/// One sealed blob and the row it belongs to.
pub struct SealedBlob {
    pub row_id: String,
    pub blob: Vec<u8>,
}

impl Store {
    /// Up to `limit` blobs of `field` in rows after `after_row_id`, in row-id order.
    pub async fn sealed_blobs(
        &self,
        field: SealedField,
        after_row_id: &str,
        limit: u64,
    ) -> anyhow::Result<Vec<SealedBlob>> {
        let (table, column) = field.table_and_column();
        let statement = Query::select()
            .column(Alias::new("id"))
            .column(Alias::new(column))
            .from(Alias::new(table))
            .and_where(Expr::col(Alias::new("id")).gt(after_row_id))
            .and_where(Expr::col(Alias::new(column)).is_not_null())
            .order_by(Alias::new("id"), sea_orm::Order::Asc)
            .limit(limit)
            .to_owned();
        let rows = self.connection().query_all(&statement).await?;
        rows.into_iter()
            .map(|row| {
                Ok(SealedBlob {
                    row_id: row.try_get("", "id")?,
                    blob: row.try_get("", column)?,
                })
            })
            .collect()
    }

    /// Replaces a blob only if it still holds `old` (a concurrent writer wins).
    pub async fn replace_sealed_blob(
        &self,
        field: SealedField,
        row_id: &str,
        old: &[u8],
        new: Vec<u8>,
    ) -> anyhow::Result<bool> {
        let (table, column) = field.table_and_column();
        let statement = Query::update()
            .table(Alias::new(table))
            .value(Alias::new(column), new)
            .and_where(Expr::col(Alias::new("id")).eq(row_id))
            .and_where(Expr::col(Alias::new(column)).eq(old.to_vec()))
            .to_owned();
        let result = self.connection().execute(&statement).await?;
        Ok(result.rows_affected() == 1)
    }
}
