//! Queries behind the end user's account page: the single-use links applications make for
//! it, *Sign in with Zoom* flows on their way through Zoom, signed-in sessions, and the Zoom
//! accounts (with every application linked to them) that a session may see and change.
//!
//! Account sessions name Zoom users: a session signed in with Zoom holds a Zoom user id, and
//! one signed in through an application's link sees the Zoom accounts that end user's links use.

use std::collections::BTreeSet;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, TransactionTrait,
};

use super::Store;
use super::entity::{
    account_link, account_session, account_signin, application, credential, end_user, link,
};
use super::links::{AuthorizedAccount, ConnectError, restore_links, upsert_credential};
use crate::domain::Timestamp;

/// An application's account-page link as stored (its token hashed).
pub type AccountLink = account_link::Model;
/// A *Sign in with Zoom* flow as stored (its PKCE verifier sealed).
pub type AccountSignin = account_signin::Model;
/// A signed-in account-page session as stored (its cookie hashed).
pub type AccountSession = account_session::Model;

/// The provider whose users account sessions name.
const PROVIDER: &str = "zoom";

/// How long used or expired rows are kept (so a late click still reads "expired").
const KEEP_EXPIRED_MS: i64 = 24 * 60 * 60 * 1000;

/// Whose Zoom accounts a session sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountHolder {
    /// Signed in through an application's link: the accounts that end user's links use.
    EndUser {
        application_id: String,
        /// The end user row (not the application's own id for it).
        end_user_id: String,
    },
    /// Signed in with Zoom: that Zoom user's account.
    ZoomUser { zoom_user_id: String },
}

impl AccountHolder {
    /// Who the session is, or `None` for a row that names nobody.
    pub fn of(session: &AccountSession) -> Option<Self> {
        match (
            &session.application_id,
            &session.end_user_id,
            &session.provider_user_id,
        ) {
            (Some(application_id), Some(end_user_id), None) => Some(Self::EndUser {
                application_id: application_id.clone(),
                end_user_id: end_user_id.clone(),
            }),
            (None, None, Some(zoom_user_id)) => Some(Self::ZoomUser {
                zoom_user_id: zoom_user_id.clone(),
            }),
            _ => None,
        }
    }
}

/// What opening an account-page link came to.
pub enum LinkSignIn {
    /// No link has that token.
    Unknown,
    /// The link was already used or is too old; the name of the application that made it.
    UsedOrExpired { application_name: String },
    /// The link is used up and the session stored.
    SignedIn,
}

/// A Zoom account as its owner sees it on the account page: no token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoomAccount {
    pub credential_id: String,
    pub zoom_user_id: String,
    pub email: String,
    pub display_name: String,
    /// `active` or `needs_reauth`.
    pub status: String,
    /// Every application's link to the account, oldest first.
    pub links: Vec<LinkedApplication>,
}

/// One application's link to a Zoom account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedApplication {
    pub link_id: String,
    pub application_id: String,
    pub application_name: String,
    /// `active` or `needs_reauth`.
    pub status: String,
    pub connected_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl Store {
    /// Stores a link for the application's end user (`external_id` is the application's own
    /// id for them). `None` when the application has no such end user.
    pub async fn insert_account_link(
        &self,
        application_id: &str,
        external_id: &str,
        new: AccountLink,
    ) -> anyhow::Result<Option<AccountLink>> {
        let Some(end_user) = end_user::Entity::find()
            .filter(end_user::Column::ApplicationId.eq(application_id))
            .filter(end_user::Column::ExternalId.eq(external_id))
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        account_link::Entity::delete_many()
            .filter(account_link::Column::ExpiresAt.lt(new.created_at.0 - KEEP_EXPIRED_MS))
            .exec(self.connection())
            .await?;
        let row = AccountLink {
            application_id: application_id.to_owned(),
            end_user_id: end_user.id,
            ..new
        };
        Ok(Some(
            row.into_active_model().insert(self.connection()).await?,
        ))
    }

    /// Uses up the link whose token has this hash, once, and stores `session` for its end
    /// user — both or neither.
    pub async fn sign_in_with_account_link(
        &self,
        token_hash: &str,
        session: AccountSession,
        now: Timestamp,
    ) -> anyhow::Result<LinkSignIn> {
        let txn = self.begin_write().await?;
        let Some(found) = account_link::Entity::find()
            .filter(account_link::Column::TokenHash.eq(token_hash))
            .find_also_related(application::Entity)
            .one(&txn)
            .await?
        else {
            return Ok(LinkSignIn::Unknown);
        };
        let (account_link, application) = found;
        let used = account_link::Entity::update_many()
            .col_expr(account_link::Column::ConsumedAt, Expr::value(now.0))
            .filter(account_link::Column::Id.eq(account_link.id.as_str()))
            .filter(account_link::Column::ConsumedAt.is_null())
            .filter(account_link::Column::ExpiresAt.gt(now.0))
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Ok(LinkSignIn::UsedOrExpired {
                application_name: application.map(|a| a.name).unwrap_or_default(),
            });
        }
        AccountSession {
            application_id: Some(account_link.application_id),
            end_user_id: Some(account_link.end_user_id),
            provider_user_id: None,
            ..session
        }
        .into_active_model()
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(LinkSignIn::SignedIn)
    }

    /// Stores a *Sign in with Zoom* flow about to leave for Zoom.
    pub async fn insert_account_signin(&self, signin: AccountSignin) -> anyhow::Result<()> {
        account_signin::Entity::delete_many()
            .filter(account_signin::Column::ExpiresAt.lt(signin.created_at.0 - KEEP_EXPIRED_MS))
            .exec(self.connection())
            .await?;
        signin.into_active_model().insert(self.connection()).await?;
        Ok(())
    }

    /// The sign-in flow that sent the browser to Zoom with this state.
    pub async fn find_account_signin_by_oauth_state(
        &self,
        oauth_state_hash: &str,
    ) -> anyhow::Result<Option<AccountSignin>> {
        Ok(account_signin::Entity::find()
            .filter(account_signin::Column::OauthStateHash.eq(oauth_state_hash))
            .one(self.connection())
            .await?)
    }

    /// Uses a sign-in flow up, once, forgetting its PKCE verifier: `false` when it was
    /// already used or has expired.
    pub async fn consume_account_signin(&self, id: &str, now: Timestamp) -> anyhow::Result<bool> {
        let result = account_signin::Entity::update_many()
            .col_expr(account_signin::Column::ConsumedAt, Expr::value(now.0))
            .col_expr(
                account_signin::Column::PkceVerifier,
                Expr::value(Vec::<u8>::new()),
            )
            .filter(account_signin::Column::Id.eq(id))
            .filter(account_signin::Column::ConsumedAt.is_null())
            .filter(account_signin::Column::ExpiresAt.gt(now.0))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Gives the Zoom user's existing credential the tokens of a new authorization (Zoom has
    /// killed the old ones) and makes its links work again. `false`, storing nothing, when
    /// the Zoom user has no credential: no application uses the account.
    pub async fn renew_credential_on_sign_in(
        &self,
        account: AuthorizedAccount,
        now: Timestamp,
    ) -> Result<bool, ConnectError> {
        let txn = self.begin_write().await.map_err(anyhow::Error::from)?;
        let existing = credential::Entity::find()
            .filter(credential::Column::Provider.eq(account.provider.as_str()))
            .filter(credential::Column::ProviderUserId.eq(account.provider_user_id.as_str()))
            .one(&txn)
            .await
            .map_err(anyhow::Error::from)?;
        if existing.is_none() {
            return Ok(false);
        }
        let credential_id = upsert_credential(&txn, account, now).await?;
        restore_links(&txn, &credential_id, now).await?;
        txn.commit().await.map_err(anyhow::Error::from)?;
        Ok(true)
    }

    /// Stores a session signed in with Zoom.
    pub async fn insert_account_session(&self, session: AccountSession) -> anyhow::Result<()> {
        account_session::Entity::delete_many()
            .filter(account_session::Column::ExpiresAt.lt(session.created_at.0))
            .exec(self.connection())
            .await?;
        session
            .into_active_model()
            .insert(self.connection())
            .await?;
        Ok(())
    }

    /// The unexpired session whose cookie has this hash.
    pub async fn find_account_session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> anyhow::Result<Option<AccountSession>> {
        Ok(account_session::Entity::find()
            .filter(account_session::Column::TokenHash.eq(token_hash))
            .filter(account_session::Column::ExpiresAt.gt(now.0))
            .one(self.connection())
            .await?)
    }

    /// Ends the session whose cookie has this hash (signing out).
    pub async fn delete_account_session(&self, token_hash: &str) -> anyhow::Result<()> {
        account_session::Entity::delete_many()
            .filter(account_session::Column::TokenHash.eq(token_hash))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// The Zoom accounts `holder` sees, each with every application linked to it.
    pub async fn zoom_accounts_of(
        &self,
        holder: &AccountHolder,
    ) -> anyhow::Result<Vec<ZoomAccount>> {
        // One snapshot, so an account and its links agree with each other.
        let txn = self.connection().begin().await?;
        let credentials = match holder {
            AccountHolder::EndUser {
                application_id,
                end_user_id,
            } => {
                let ids: BTreeSet<String> = link::Entity::find()
                    .filter(link::Column::ApplicationId.eq(application_id.as_str()))
                    .filter(link::Column::EndUserId.eq(end_user_id.as_str()))
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|row| row.credential_id)
                    .collect();
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                credential::Entity::find()
                    .filter(credential::Column::Id.is_in(ids))
                    .order_by_asc(credential::Column::CreatedAt)
                    .all(&txn)
                    .await?
            }
            AccountHolder::ZoomUser { zoom_user_id } => {
                credential::Entity::find()
                    .filter(
                        Condition::all()
                            .add(credential::Column::Provider.eq(PROVIDER))
                            .add(credential::Column::ProviderUserId.eq(zoom_user_id.as_str())),
                    )
                    .all(&txn)
                    .await?
            }
        };
        let mut accounts = Vec::with_capacity(credentials.len());
        for credential in credentials {
            let links = link::Entity::find()
                .filter(link::Column::CredentialId.eq(credential.id.as_str()))
                .order_by_asc(link::Column::ConnectedAt)
                .order_by_asc(link::Column::Id)
                .find_also_related(application::Entity)
                .all(&txn)
                .await?
                .into_iter()
                .filter_map(|(row, application)| {
                    application.map(|application| LinkedApplication {
                        link_id: row.id,
                        application_id: application.id,
                        application_name: application.name,
                        status: row.status,
                        connected_at: row.connected_at,
                        last_used_at: row.last_used_at,
                    })
                })
                .collect();
            accounts.push(ZoomAccount {
                credential_id: credential.id,
                zoom_user_id: credential.provider_user_id,
                email: credential.email,
                display_name: credential.display_name,
                status: credential.status,
                links,
            });
        }
        txn.commit().await?;
        Ok(accounts)
    }
}
