//! Queries over end users and their links to Zoom credentials.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

use super::Store;
use super::applications::Application;
use super::credentials::{Credential, SealedTokens, status};
use super::entity::{application, credential, end_user, link};
use super::outbox::Outbox;
use crate::domain::{Link, LinkedAccount, Timestamp, new_id};

impl Store {
    /// The links of one of this application's end users (empty when the end
    /// user is unknown to this application).
    pub async fn end_user_links(
        &self,
        application_id: &str,
        end_user_id: &str,
    ) -> anyhow::Result<Vec<Link>> {
        let Some(end_user) = end_user::Entity::find()
            .filter(end_user::Column::ApplicationId.eq(application_id))
            .filter(end_user::Column::ExternalId.eq(end_user_id))
            .one(self.connection())
            .await?
        else {
            return Ok(Vec::new());
        };
        let rows = link::Entity::find()
            .filter(link::Column::ApplicationId.eq(application_id))
            .filter(link::Column::EndUserId.eq(end_user.id.as_str()))
            .order_by_asc(link::Column::ConnectedAt)
            .find_also_related(credential::Entity)
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(link, credential)| {
                credential.map(|credential| to_link(link, end_user.external_id.clone(), credential))
            })
            .collect())
    }
}

/// A Zoom account just authorized, its tokens sealed for `credential_id`.
pub struct AuthorizedAccount {
    /// The id the tokens were sealed for: the existing credential's, or a new one.
    pub credential_id: String,
    pub provider: String,
    pub provider_user_id: String,
    pub provider_account_id: Option<String>,
    pub email: String,
    pub display_name: String,
    pub tokens: SealedTokens,
}

/// Why connecting could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The Zoom user got a credential under another id meanwhile: seal for that id and try again.
    #[error("the credential of this Zoom user is {0}")]
    CredentialIdChanged(String),
    #[error(transparent)]
    Database(#[from] anyhow::Error),
}

/// What connecting changed.
pub struct Connected {
    pub link: Link,
    /// The credential the link used before, now linked to nothing and deleted:
    /// its tokens are to be revoked at Zoom.
    pub orphaned: Option<Credential>,
}

/// A link, and the application it belongs to.
pub struct AppLink {
    pub application: Application,
    pub link: Link,
}

/// What removing a Zoom account changed: the credential, deleted with its tokens, and every
/// link that used it.
pub struct RemovedAccount {
    pub credential: Credential,
    pub links: Vec<AppLink>,
}

/// What removing a link changed.
pub struct Removed {
    pub link: Link,
    /// The credential, when this was its last link: deleted, to be revoked at Zoom.
    pub orphaned: Option<Credential>,
}

impl Store {
    /// Stores an authorization: the credential of that Zoom user is created or
    /// given the new tokens (Zoom has killed the old ones), every link to it
    /// works again, the end user's link points at it (moved from another
    /// account if need be), an account left with no link is deleted, and the
    /// notifications `outbox` builds from the link are written — all in one
    /// transaction.
    pub async fn connect_account(
        &self,
        application_id: &str,
        end_user_id: &str,
        account: AuthorizedAccount,
        now: Timestamp,
        outbox: impl FnOnce(&Link) -> Outbox,
    ) -> Result<Connected, ConnectError> {
        let txn = self.begin_write().await.map_err(anyhow::Error::from)?;
        let credential_id = upsert_credential(&txn, account, now).await?;
        restore_links(&txn, &credential_id, now).await?;
        let existing = link::Entity::find()
            .filter(link::Column::ApplicationId.eq(application_id))
            .filter(link::Column::EndUserId.eq(end_user_id))
            .one(&txn)
            .await
            .map_err(anyhow::Error::from)?;
        let (link_row, previous_credential) = match existing {
            Some(row) if row.credential_id == credential_id => (row, None),
            Some(row) => {
                let previous = row.credential_id.clone();
                let mut moved = row.into_active_model();
                moved.credential_id = Set(credential_id.clone());
                moved.status = Set(status::ACTIVE.to_owned());
                moved.connected_at = Set(now);
                moved.updated_at = Set(now);
                (
                    moved.update(&txn).await.map_err(anyhow::Error::from)?,
                    Some(previous),
                )
            }
            None => {
                let row = link::Model {
                    id: new_id("lnk"),
                    application_id: application_id.to_owned(),
                    end_user_id: end_user_id.to_owned(),
                    credential_id: credential_id.clone(),
                    status: status::ACTIVE.to_owned(),
                    connected_at: now,
                    last_used_at: None,
                    created_at: now,
                    updated_at: now,
                };
                (
                    row.into_active_model()
                        .insert(&txn)
                        .await
                        .map_err(anyhow::Error::from)?,
                    None,
                )
            }
        };
        let orphaned = match previous_credential {
            Some(previous) => delete_if_orphaned(&txn, &previous).await?,
            None => None,
        };
        let link = link_view(&txn, link_row).await?;
        outbox(&link).write(&txn).await?;
        txn.commit().await.map_err(anyhow::Error::from)?;
        self.deliveries_enqueued();
        Ok(Connected { link, orphaned })
    }

    /// Removes one of the application's links (and its credential when it was
    /// the last link), writing the notifications `outbox` builds. `None` when
    /// the application has no such link.
    pub async fn remove_link(
        &self,
        application_id: &str,
        link_id: &str,
        outbox: impl FnOnce(&Link, &Credential) -> Outbox,
    ) -> anyhow::Result<Option<Removed>> {
        let txn = self.begin_write().await?;
        let Some(row) = link::Entity::find_by_id(link_id.to_owned())
            .filter(link::Column::ApplicationId.eq(application_id))
            .one(&txn)
            .await?
        else {
            return Ok(None);
        };
        let credential = credential::Entity::find_by_id(row.credential_id.clone())
            .one(&txn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("link {link_id} has no credential"))?;
        let end_user_id = end_user_external_id(&txn, &row.end_user_id).await?;
        let link = to_link(row, end_user_id, credential.clone());
        link::Entity::delete_by_id(link_id.to_owned())
            .exec(&txn)
            .await?;
        let orphaned = delete_if_orphaned(&txn, &credential.id).await?;
        outbox(&link, &credential).write(&txn).await?;
        txn.commit().await?;
        self.deliveries_enqueued();
        Ok(Some(Removed { link, orphaned }))
    }

    /// Removes a Zoom account: every link to the credential, then the credential and its
    /// tokens, writing the notifications `outbox` builds — all in one transaction. `None` when
    /// there is no such credential (already removed).
    pub async fn remove_account(
        &self,
        credential_id: &str,
        outbox: impl FnOnce(&Credential, &[AppLink]) -> Outbox,
    ) -> anyhow::Result<Option<RemovedAccount>> {
        let txn = self.begin_write().await?;
        let Some(credential) = credential::Entity::find_by_id(credential_id.to_owned())
            .one(&txn)
            .await?
        else {
            return Ok(None);
        };
        let links = app_links(&txn, credential_id).await?;
        link::Entity::delete_many()
            .filter(link::Column::CredentialId.eq(credential_id))
            .exec(&txn)
            .await?;
        credential::Entity::delete_by_id(credential_id.to_owned())
            .exec(&txn)
            .await?;
        outbox(&credential, &links).write(&txn).await?;
        txn.commit().await?;
        self.deliveries_enqueued();
        Ok(Some(RemovedAccount { credential, links }))
    }
}

pub(super) async fn upsert_credential<C: ConnectionTrait>(
    db: &C,
    account: AuthorizedAccount,
    now: Timestamp,
) -> Result<String, ConnectError> {
    let existing = credential::Entity::find()
        .filter(credential::Column::Provider.eq(account.provider.as_str()))
        .filter(credential::Column::ProviderUserId.eq(account.provider_user_id.as_str()))
        .one(db)
        .await
        .map_err(anyhow::Error::from)?;
    match existing {
        Some(existing) if existing.id != account.credential_id => {
            Err(ConnectError::CredentialIdChanged(existing.id))
        }
        Some(existing) => {
            let version = existing.version;
            let mut renewed = existing.into_active_model();
            renewed.provider_account_id = Set(account.provider_account_id);
            renewed.email = Set(account.email);
            renewed.display_name = Set(account.display_name);
            renewed.access_token = Set(account.tokens.access_token);
            renewed.refresh_token = Set(account.tokens.refresh_token);
            renewed.access_token_expires_at = Set(account.tokens.access_token_expires_at);
            renewed.scopes = Set(account.tokens.scopes);
            renewed.status = Set(status::ACTIVE.to_owned());
            renewed.version = Set(version + 1);
            renewed.refresh_lease_until = Set(None);
            renewed.refresh_lease_holder = Set(None);
            renewed.refresh_failures = Set(0);
            renewed.next_refresh_attempt_at = Set(None);
            renewed.refresh_failing_since = Set(None);
            renewed.last_refreshed_at = Set(now);
            renewed.updated_at = Set(now);
            renewed.update(db).await.map_err(anyhow::Error::from)?;
            Ok(account.credential_id)
        }
        None => {
            Credential {
                id: account.credential_id.clone(),
                provider: account.provider,
                provider_user_id: account.provider_user_id,
                provider_account_id: account.provider_account_id,
                email: account.email,
                display_name: account.display_name,
                access_token: account.tokens.access_token,
                refresh_token: account.tokens.refresh_token,
                access_token_expires_at: account.tokens.access_token_expires_at,
                scopes: account.tokens.scopes,
                status: status::ACTIVE.to_owned(),
                version: 0,
                refresh_lease_until: None,
                refresh_lease_holder: None,
                refresh_failures: 0,
                next_refresh_attempt_at: None,
                refresh_failing_since: None,
                last_refreshed_at: now,
                last_used_at: None,
                created_at: now,
                updated_at: now,
            }
            .into_active_model()
            .insert(db)
            .await
            .map_err(anyhow::Error::from)?;
            Ok(account.credential_id)
        }
    }
}

/// A new authorization makes every link to the credential work again.
pub(super) async fn restore_links<C: ConnectionTrait>(
    db: &C,
    credential_id: &str,
    now: Timestamp,
) -> anyhow::Result<()> {
    link::Entity::update_many()
        .col_expr(link::Column::Status, Expr::value(status::ACTIVE))
        .col_expr(link::Column::UpdatedAt, Expr::value(now.0))
        .filter(link::Column::CredentialId.eq(credential_id))
        .filter(link::Column::Status.ne(status::ACTIVE))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the credential when no link uses it any more, returning it.
async fn delete_if_orphaned<C: ConnectionTrait>(
    db: &C,
    credential_id: &str,
) -> anyhow::Result<Option<Credential>> {
    let still_linked = link::Entity::find()
        .filter(link::Column::CredentialId.eq(credential_id))
        .one(db)
        .await?
        .is_some();
    if still_linked {
        return Ok(None);
    }
    let Some(orphan) = credential::Entity::find_by_id(credential_id.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    credential::Entity::delete_by_id(credential_id.to_owned())
        .exec(db)
        .await?;
    Ok(Some(orphan))
}

/// Every link to a credential, with its application, oldest first.
pub(super) async fn app_links<C: ConnectionTrait>(
    db: &C,
    credential_id: &str,
) -> anyhow::Result<Vec<AppLink>> {
    let rows = link::Entity::find()
        .filter(link::Column::CredentialId.eq(credential_id))
        .order_by_asc(link::Column::ConnectedAt)
        .find_also_related(application::Entity)
        .all(db)
        .await?;
    let mut links = Vec::with_capacity(rows.len());
    for (row, application) in rows {
        let application =
            application.ok_or_else(|| anyhow::anyhow!("link {} has no application", row.id))?;
        let link = link_view(db, row).await?;
        links.push(AppLink { application, link });
    }
    Ok(links)
}

async fn link_view<C: ConnectionTrait>(db: &C, row: link::Model) -> anyhow::Result<Link> {
    let end_user_id = end_user_external_id(db, &row.end_user_id).await?;
    let credential = credential::Entity::find_by_id(row.credential_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("link {} has no credential", row.id))?;
    Ok(to_link(row, end_user_id, credential))
}

/// The application's own id for an end user row.
async fn end_user_external_id<C: ConnectionTrait>(db: &C, id: &str) -> anyhow::Result<String> {
    Ok(end_user::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("end user {id} does not exist"))?
        .external_id)
}

/// The contract's view of a stored link.
fn to_link(row: link::Model, end_user_id: String, credential: Credential) -> Link {
    Link {
        id: row.id,
        end_user_id,
        provider: credential.provider,
        status: row.status,
        account: LinkedAccount {
            email: credential.email,
            display_name: credential.display_name,
        },
        connected_at: row.connected_at,
    }
}
