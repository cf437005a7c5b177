//! Queries over applications (tenants) and their API keys.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::Store;
use super::entity::{api_key, application, webhook_secret_rotation};
use crate::domain::Timestamp;

/// An application as stored (its webhook secret still sealed).
pub type Application = application::Model;
/// An API key as stored (only its hash).
pub type ApiKeyRecord = api_key::Model;

/// An application's previous webhook secret (sealed) and until when it signs too.
pub type WebhookSecretOverlap = webhook_secret_rotation::Model;

/// A new API key's stored form.
pub struct NewApiKey {
    pub id: String,
    pub prefix: String,
    pub key_hash: String,
}

impl Store {
    /// Stores a new application together with its first API key.
    #[tracing::instrument(skip_all, fields(application_id = %application.id))]
    pub async fn insert_application(
        &self,
        application: Application,
        first_key: NewApiKey,
    ) -> anyhow::Result<()> {
        let txn = self.begin_write().await?;
        let created_at = application.created_at;
        let application_id = application.id.clone();
        application::ActiveModel::from(application)
            .insert(&txn)
            .await?;
        api_key_row(&application_id, first_key, created_at)
            .insert(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn find_application(&self, id: &str) -> anyhow::Result<Option<Application>> {
        Ok(application::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?)
    }

    /// Replaces an application's redirect URIs (a JSON array) and webhook URL; `false` when
    /// there is no such application.
    pub async fn update_application_endpoints(
        &self,
        id: &str,
        redirect_uris: String,
        webhook_url: Option<String>,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let updated = application::Entity::update_many()
            .col_expr(
                application::Column::RedirectUris,
                Expr::value(redirect_uris),
            )
            .col_expr(application::Column::WebhookUrl, Expr::value(webhook_url))
            .col_expr(application::Column::UpdatedAt, Expr::value(at.0))
            .filter(application::Column::Id.eq(id))
            .exec(self.connection())
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Sets an application's status (`active` or `suspended`); `false` when there is no such
    /// application.
    pub async fn set_application_status(
        &self,
        id: &str,
        status: &str,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let updated = application::Entity::update_many()
            .col_expr(application::Column::Status, Expr::value(status))
            .col_expr(application::Column::UpdatedAt, Expr::value(at.0))
            .filter(application::Column::Id.eq(id))
            .exec(self.connection())
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Replaces an application's sealed webhook secret with `new_secret`, keeping the one it
    /// replaces as the previous secret until `overlap_until`; `false` when there is no such
    /// application.
    pub async fn rotate_webhook_secret(
        &self,
        id: &str,
        new_secret: Vec<u8>,
        overlap_until: Timestamp,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let txn = self.begin_write().await?;
        let Some(current) = application::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
        else {
            return Ok(false);
        };
        webhook_secret_rotation::Entity::delete_by_id(id.to_owned())
            .exec(&txn)
            .await?;
        webhook_secret_rotation::ActiveModel {
            id: Set(id.to_owned()),
            previous_secret: Set(current.webhook_secret),
            overlap_until: Set(overlap_until),
            rotated_at: Set(at),
        }
        .insert(&txn)
        .await?;
        application::Entity::update_many()
            .col_expr(application::Column::WebhookSecret, Expr::value(new_secret))
            .col_expr(application::Column::UpdatedAt, Expr::value(at.0))
            .filter(application::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The application's previous webhook secret while its overlap lasts.
    pub async fn webhook_secret_overlap(
        &self,
        id: &str,
        now: Timestamp,
    ) -> anyhow::Result<Option<WebhookSecretOverlap>> {
        Ok(webhook_secret_rotation::Entity::find_by_id(id.to_owned())
            .filter(webhook_secret_rotation::Column::OverlapUntil.gt(now.0))
            .one(self.connection())
            .await?)
    }

    /// Every application, oldest first.
    pub async fn list_applications(&self) -> anyhow::Result<Vec<Application>> {
        Ok(application::Entity::find()
            .order_by_asc(application::Column::Id)
            .all(self.connection())
            .await?)
    }

    /// Adds a key to an existing application.
    pub async fn insert_api_key(
        &self,
        application_id: &str,
        key: NewApiKey,
        at: Timestamp,
    ) -> anyhow::Result<ApiKeyRecord> {
        Ok(api_key_row(application_id, key, at)
            .insert(self.connection())
            .await?)
    }

    /// An application's keys, oldest first, revoked ones included.
    pub async fn list_api_keys(&self, application_id: &str) -> anyhow::Result<Vec<ApiKeyRecord>> {
        Ok(api_key::Entity::find()
            .filter(api_key::Column::ApplicationId.eq(application_id))
            .order_by_asc(api_key::Column::Id)
            .all(self.connection())
            .await?)
    }

    /// Revokes one of the application's keys. `false` when the application has
    /// no such key; revoking twice keeps the first revocation time.
    pub async fn revoke_api_key(
        &self,
        application_id: &str,
        key_id: &str,
        at: Timestamp,
    ) -> anyhow::Result<bool> {
        let scope = api_key::Column::Id
            .eq(key_id)
            .and(api_key::Column::ApplicationId.eq(application_id));
        let exists = api_key::Entity::find()
            .filter(scope.clone())
            .one(self.connection())
            .await?
            .is_some();
        if exists {
            api_key::Entity::update_many()
                .col_expr(api_key::Column::RevokedAt, Expr::value(at.0))
                .filter(scope.and(api_key::Column::RevokedAt.is_null()))
                .exec(self.connection())
                .await?;
        }
        Ok(exists)
    }

    /// The live key with this hash and its application, if any. Revoked keys are
    /// never returned, so a revocation takes effect on every instance at once.
    pub async fn find_live_key(
        &self,
        key_hash: &str,
    ) -> anyhow::Result<Option<(ApiKeyRecord, Application)>> {
        let found = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(key_hash))
            .filter(api_key::Column::RevokedAt.is_null())
            .find_also_related(application::Entity)
            .one(self.connection())
            .await?;
        Ok(found.and_then(|(key, application)| application.map(|app| (key, app))))
    }

    /// Moves `last_used_at` forward for each key (never backward).
    pub async fn record_key_usage(&self, usage: &[(String, Timestamp)]) -> anyhow::Result<()> {
        for (key_id, at) in usage {
            api_key::Entity::update_many()
                .col_expr(api_key::Column::LastUsedAt, Expr::value(at.0))
                .filter(api_key::Column::Id.eq(key_id.as_str()))
                .filter(
                    api_key::Column::LastUsedAt
                        .is_null()
                        .or(api_key::Column::LastUsedAt.lt(at.0)),
                )
                .exec(self.connection())
                .await?;
        }
        Ok(())
    }
}

fn api_key_row(application_id: &str, key: NewApiKey, at: Timestamp) -> api_key::ActiveModel {
    api_key::ActiveModel {
        id: Set(key.id),
        application_id: Set(application_id.to_owned()),
        prefix: Set(key.prefix),
        key_hash: Set(key.key_hash),
        created_at: Set(at),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
}
