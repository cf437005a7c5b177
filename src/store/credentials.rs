//! Queries over credentials: the sealed Zoom tokens of one Zoom user, shared by
//! every link to that user, and the row lease that makes refresh single-flight
//! across hub instances.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::Store;
use super::entity::{credential, link};
use super::links::{AppLink, app_links};
use super::outbox::Outbox;
use crate::domain::Timestamp;

/// A credential as stored (tokens sealed).
pub type Credential = credential::Model;

/// Credential status values as stored (links mirror them).
pub mod status {
    pub const ACTIVE: &str = "active";
    pub const NEEDS_REAUTH: &str = "needs_reauth";
}

/// Freshly sealed tokens to store.
pub struct SealedTokens {
    pub access_token: Vec<u8>,
    pub refresh_token: Vec<u8>,
    pub access_token_expires_at: Timestamp,
    pub scopes: String,
}

/// A credential the keeper should refresh, as it was when chosen.
#[derive(Debug)]
pub struct DueCredential {
    pub id: String,
    pub version: i64,
}

impl Store {
    pub async fn find_credential(&self, id: &str) -> anyhow::Result<Option<Credential>> {
        Ok(credential::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?)
    }

    pub async fn find_credential_by_provider_user(
        &self,
        provider: &str,
        provider_user_id: &str,
    ) -> anyhow::Result<Option<Credential>> {
        Ok(credential::Entity::find()
            .filter(credential::Column::Provider.eq(provider))
            .filter(credential::Column::ProviderUserId.eq(provider_user_id))
            .one(self.connection())
            .await?)
    }

    pub async fn insert_credential(&self, credential: Credential) -> anyhow::Result<()> {
        credential
            .into_active_model()
            .insert(self.connection())
            .await?;
        Ok(())
    }

    /// Takes the refresh lease of an active credential unless someone holds
    /// it or the credential changed since it was read at `seen_version` (the
    /// refresh token read then may already be rotated away).
    pub async fn take_refresh_lease(
        &self,
        id: &str,
        seen_version: i64,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> anyhow::Result<bool> {
        let result = credential::Entity::update_many()
            .col_expr(credential::Column::RefreshLeaseUntil, Expr::value(until.0))
            .col_expr(credential::Column::RefreshLeaseHolder, Expr::value(holder))
            .filter(credential::Column::Id.eq(id))
            .filter(credential::Column::Version.eq(seen_version))
            .filter(credential::Column::Status.eq(status::ACTIVE))
            .filter(lease_free(now))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Stores refreshed tokens if `holder` still holds the lease, releasing it
    /// and forgetting past failures. `false` when the lease was lost.
    pub async fn store_refreshed_tokens(
        &self,
        id: &str,
        holder: &str,
        tokens: SealedTokens,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let result = credential::Entity::update_many()
            .col_expr(
                credential::Column::AccessToken,
                Expr::value(tokens.access_token),
            )
            .col_expr(
                credential::Column::RefreshToken,
                Expr::value(tokens.refresh_token),
            )
            .col_expr(
                credential::Column::AccessTokenExpiresAt,
                Expr::value(tokens.access_token_expires_at.0),
            )
            .col_expr(credential::Column::Scopes, Expr::value(tokens.scopes))
            .col_expr(
                credential::Column::Version,
                Expr::col(credential::Column::Version).add(1),
            )
            .col_expr(
                credential::Column::RefreshLeaseUntil,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(
                credential::Column::RefreshLeaseHolder,
                Expr::value(Option::<String>::None),
            )
            .col_expr(credential::Column::RefreshFailures, Expr::value(0))
            .col_expr(
                credential::Column::NextRefreshAttemptAt,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(
                credential::Column::RefreshFailingSince,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(credential::Column::LastRefreshedAt, Expr::value(now.0))
            .col_expr(credential::Column::UpdatedAt, Expr::value(now.0))
            .filter(credential::Column::Id.eq(id))
            .filter(credential::Column::RefreshLeaseHolder.eq(holder))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Gives the lease back after a failed refresh that may work later, and
    /// records the failure so the keeper backs off and eventually gives up.
    pub async fn release_refresh_lease_after_failure(
        &self,
        id: &str,
        holder: &str,
        now: Timestamp,
        next_attempt_at: Timestamp,
    ) -> anyhow::Result<()> {
        credential::Entity::update_many()
            .col_expr(
                credential::Column::RefreshLeaseUntil,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(
                credential::Column::RefreshLeaseHolder,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                credential::Column::RefreshFailures,
                Expr::col(credential::Column::RefreshFailures).add(1),
            )
            .col_expr(
                credential::Column::NextRefreshAttemptAt,
                Expr::value(next_attempt_at.0),
            )
            .col_expr(
                credential::Column::RefreshFailingSince,
                Expr::col(credential::Column::RefreshFailingSince).if_null(now.0),
            )
            .col_expr(credential::Column::UpdatedAt, Expr::value(now.0))
            .filter(credential::Column::Id.eq(id))
            .filter(credential::Column::RefreshLeaseHolder.eq(holder))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Marks a credential and its links as needing the user to reconnect, and
    /// releases any lease — unless the credential changed since it was read at
    /// `seen_version` (a new authorization arrived meanwhile). Writes the
    /// notifications `outbox` builds from the credential and the links that
    /// changed, in the same transaction; returns those links.
    pub async fn mark_credential_needs_reauth(
        &self,
        id: &str,
        seen_version: i64,
        now: Timestamp,
        outbox: impl FnOnce(&Credential, &[AppLink]) -> Outbox,
    ) -> anyhow::Result<Vec<AppLink>> {
        let txn = self.begin_write().await?;
        let marked = credential::Entity::update_many()
            .col_expr(
                credential::Column::Status,
                Expr::value(status::NEEDS_REAUTH),
            )
            .col_expr(
                credential::Column::RefreshLeaseUntil,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(
                credential::Column::RefreshLeaseHolder,
                Expr::value(Option::<String>::None),
            )
            .col_expr(credential::Column::UpdatedAt, Expr::value(now.0))
            .filter(credential::Column::Id.eq(id))
            .filter(credential::Column::Version.eq(seen_version))
            .exec(&txn)
            .await?;
        if marked.rows_affected == 0 {
            return Ok(Vec::new());
        }
        let changed: Vec<String> = link::Entity::find()
            .select_only()
            .column(link::Column::Id)
            .filter(link::Column::CredentialId.eq(id))
            .filter(link::Column::Status.ne(status::NEEDS_REAUTH))
            .into_tuple()
            .all(&txn)
            .await?;
        link::Entity::update_many()
            .col_expr(link::Column::Status, Expr::value(status::NEEDS_REAUTH))
            .col_expr(link::Column::UpdatedAt, Expr::value(now.0))
            .filter(link::Column::CredentialId.eq(id))
            .exec(&txn)
            .await?;
        let links: Vec<AppLink> = app_links(&txn, id)
            .await?
            .into_iter()
            .filter(|app_link| changed.contains(&app_link.link.id))
            .collect();
        if !links.is_empty() {
            let credential = credential::Entity::find_by_id(id.to_owned())
                .one(&txn)
                .await?
                .ok_or_else(|| anyhow::anyhow!("credential {id} vanished while marked"))?;
            outbox(&credential, &links).write(&txn).await?;
        }
        txn.commit().await?;
        self.deliveries_enqueued();
        Ok(links)
    }

    /// Active credentials to refresh now: idle since before `idle_before`, or
    /// failing with their backoff over. Oldest first.
    pub async fn credentials_due_for_upkeep(
        &self,
        idle_before: Timestamp,
        now: Timestamp,
        limit: u64,
    ) -> anyhow::Result<Vec<DueCredential>> {
        let idle = Condition::all()
            .add(credential::Column::RefreshFailures.eq(0))
            .add(credential::Column::LastRefreshedAt.lt(idle_before.0));
        let retry = Condition::all()
            .add(credential::Column::RefreshFailures.gt(0))
            .add(credential::Column::NextRefreshAttemptAt.lte(now.0));
        let rows: Vec<(String, i64)> = credential::Entity::find()
            .select_only()
            .column(credential::Column::Id)
            .column(credential::Column::Version)
            .filter(credential::Column::Status.eq(status::ACTIVE))
            .filter(lease_free(now))
            .filter(Condition::any().add(idle).add(retry))
            .order_by_asc(credential::Column::LastRefreshedAt)
            .limit(limit)
            .into_tuple()
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, version)| DueCredential { id, version })
            .collect())
    }
}

/// No instance holds the credential's refresh lease at `now`.
fn lease_free(now: Timestamp) -> Condition {
    Condition::any()
        .add(credential::Column::RefreshLeaseUntil.is_null())
        .add(credential::Column::RefreshLeaseUntil.lt(now.0))
}
