//! Queries over connect sessions: the single-use tickets end users connect Zoom with.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};

use super::Store;
use super::end_users::{EndUserDetails, upsert_end_user};
use super::entity::connect_session;
use crate::domain::Timestamp;

/// A connect session as stored (URL token hashed and sealed, PKCE verifier sealed).
pub type ConnectSession = connect_session::Model;

/// A connect session to create, with its end user.
pub struct NewConnectSession {
    pub session: ConnectSession,
    pub end_user: EndUserDetails,
}

impl Store {
    /// Stores a new session for an end user (created or updated with the
    /// details given). With an idempotency key already used by this
    /// application, stores nothing and returns the existing session instead.
    pub async fn insert_connect_session(
        &self,
        new: NewConnectSession,
    ) -> anyhow::Result<ConnectSession> {
        let txn = self.begin_write().await?;
        if let Some(key) = &new.session.idempotency_key
            && let Some(existing) = connect_session::Entity::find()
                .filter(
                    connect_session::Column::ApplicationId.eq(new.session.application_id.as_str()),
                )
                .filter(connect_session::Column::IdempotencyKey.eq(key.as_str()))
                .one(&txn)
                .await?
        {
            return Ok(existing);
        }
        let end_user = upsert_end_user(
            &txn,
            &new.session.application_id,
            new.end_user,
            new.session.created_at,
        )
        .await?;
        let mut session = new.session;
        session.end_user_id = end_user.id;
        let stored = session.into_active_model().insert(&txn).await?;
        txn.commit().await?;
        Ok(stored)
    }

    /// Deletes the sessions that expired before `before`, used or not; returns how many.
    pub async fn forget_connect_sessions_expired_before(
        &self,
        before: Timestamp,
    ) -> anyhow::Result<u64> {
        let deleted = connect_session::Entity::delete_many()
            .filter(connect_session::Column::ExpiresAt.lt(before.0))
            .exec(self.connection())
            .await?;
        Ok(deleted.rows_affected)
    }

    /// One of this application's sessions.
    pub async fn find_connect_session(
        &self,
        application_id: &str,
        id: &str,
    ) -> anyhow::Result<Option<ConnectSession>> {
        Ok(connect_session::Entity::find_by_id(id.to_owned())
            .filter(connect_session::Column::ApplicationId.eq(application_id))
            .one(self.connection())
            .await?)
    }

    /// The session whose URL token has this hash.
    pub async fn find_connect_session_by_token(
        &self,
        token_hash: &str,
    ) -> anyhow::Result<Option<ConnectSession>> {
        self.find_connect_session_where(connect_session::Column::TokenHash, token_hash)
            .await
    }

    /// The session that sent the browser to Zoom with this state.
    pub async fn find_connect_session_by_oauth_state(
        &self,
        oauth_state_hash: &str,
    ) -> anyhow::Result<Option<ConnectSession>> {
        self.find_connect_session_where(connect_session::Column::OauthStateHash, oauth_state_hash)
            .await
    }

    async fn find_connect_session_where(
        &self,
        column: connect_session::Column,
        hash: &str,
    ) -> anyhow::Result<Option<ConnectSession>> {
        Ok(connect_session::Entity::find()
            .filter(column.eq(hash))
            .one(self.connection())
            .await?)
    }

    /// Records a trip to Zoom (a new one replaces an earlier one) on a session
    /// that is still open.
    pub async fn start_connect_authorization(
        &self,
        id: &str,
        oauth_state_hash: &str,
        sealed_pkce_verifier: Vec<u8>,
        now: Timestamp,
    ) -> anyhow::Result<bool> {
        let result = connect_session::Entity::update_many()
            .col_expr(
                connect_session::Column::OauthStateHash,
                Expr::value(oauth_state_hash),
            )
            .col_expr(
                connect_session::Column::PkceVerifier,
                Expr::value(sealed_pkce_verifier),
            )
            .filter(connect_session::Column::Id.eq(id))
            .filter(connect_session::Column::ConsumedAt.is_null())
            .filter(connect_session::Column::ExpiresAt.gt(now.0))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Uses a session up, once: `false` when it was already used or has expired.
    pub async fn consume_connect_session(&self, id: &str, now: Timestamp) -> anyhow::Result<bool> {
        let result = connect_session::Entity::update_many()
            .col_expr(connect_session::Column::ConsumedAt, Expr::value(now.0))
            .col_expr(
                connect_session::Column::PkceVerifier,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .filter(connect_session::Column::Id.eq(id))
            .filter(connect_session::Column::ConsumedAt.is_null())
            .filter(connect_session::Column::ExpiresAt.gt(now.0))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected == 1)
    }
}
