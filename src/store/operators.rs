//! Queries over operator accounts (`operators`: created, listed, removed, given a new
//! password), their console sessions (`operator_sessions`) and the sign-in throttle
//! (`signin_throttles`).

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::Store;
use super::entity::{operator, operator_session, signin_throttle};
use crate::domain::Timestamp;

/// An operator as stored (with the password's argon2id hash).
pub type OperatorRecord = operator::Model;
/// Failed sign-ins under one throttle key.
pub type SigninThrottle = signin_throttle::Model;

/// What became of a request to remove an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorRemoval {
    /// The operator and their sessions are gone.
    Removed,
    /// No operator has this email.
    Unknown,
    /// They are the only operator, and removing the last one was not allowed.
    LastOperator,
}

impl Store {
    /// Stores a new operator; `false` when the email is taken.
    #[tracing::instrument(skip_all, fields(operator_id = %operator.id))]
    pub async fn insert_operator(&self, operator: OperatorRecord) -> anyhow::Result<bool> {
        let txn = self.begin_write().await?;
        let taken = operator::Entity::find()
            .filter(operator::Column::Email.eq(operator.email.as_str()))
            .one(&txn)
            .await?
            .is_some();
        if taken {
            return Ok(false);
        }
        operator::ActiveModel::from(operator).insert(&txn).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The operator with this (lower-cased) email.
    pub async fn find_operator_by_email(
        &self,
        email: &str,
    ) -> anyhow::Result<Option<OperatorRecord>> {
        Ok(operator::Entity::find()
            .filter(operator::Column::Email.eq(email))
            .one(self.connection())
            .await?)
    }

    /// Every operator, by email.
    pub async fn list_operators(&self) -> anyhow::Result<Vec<OperatorRecord>> {
        Ok(operator::Entity::find()
            .order_by_asc(operator::Column::Email)
            .all(self.connection())
            .await?)
    }

    /// Deletes the operator with this (lower-cased) email and their sessions, unless they are
    /// the only operator and `last_too` is false.
    #[tracing::instrument(skip(self))]
    pub async fn delete_operator(
        &self,
        email: &str,
        last_too: bool,
    ) -> anyhow::Result<OperatorRemoval> {
        let txn = self.begin_write().await?;
        // Locked (on PostgreSQL; SQLite's write transaction is alone anyway) so that two
        // removals at once cannot each see the other's operator and leave none.
        let operators = operator::Entity::find().lock_exclusive().all(&txn).await?;
        let Some(removed) = operators.iter().find(|operator| operator.email == email) else {
            return Ok(OperatorRemoval::Unknown);
        };
        if operators.len() == 1 && !last_too {
            return Ok(OperatorRemoval::LastOperator);
        }
        operator_session::Entity::delete_many()
            .filter(operator_session::Column::OperatorId.eq(removed.id.as_str()))
            .exec(&txn)
            .await?;
        operator::Entity::delete_by_id(removed.id.clone())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(OperatorRemoval::Removed)
    }

    /// Replaces an operator's password hash and ends their sessions but the one with
    /// `kept_session` as token hash, if given; returns how many sessions ended.
    #[tracing::instrument(skip(self, password_hash, kept_session))]
    pub async fn replace_operator_password(
        &self,
        operator_id: &str,
        password_hash: String,
        kept_session: Option<&str>,
        now: Timestamp,
    ) -> anyhow::Result<u64> {
        let txn = self.begin_write().await?;
        operator::Entity::update_many()
            .col_expr(operator::Column::PasswordHash, Expr::value(password_hash))
            .col_expr(operator::Column::UpdatedAt, Expr::value(now.0))
            .filter(operator::Column::Id.eq(operator_id))
            .exec(&txn)
            .await?;
        let mut ended = operator_session::Entity::delete_many()
            .filter(operator_session::Column::OperatorId.eq(operator_id));
        if let Some(kept) = kept_session {
            ended = ended.filter(operator_session::Column::TokenHash.ne(kept));
        }
        let ended = ended.exec(&txn).await?.rows_affected;
        txn.commit().await?;
        Ok(ended)
    }

    /// Opens a console session for an operator, and notes it as their last sign-in.
    pub async fn insert_operator_session(
        &self,
        id: String,
        operator_id: &str,
        token_hash: String,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> anyhow::Result<()> {
        let txn = self.begin_write().await?;
        operator_session::ActiveModel {
            id: Set(id),
            operator_id: Set(operator_id.to_owned()),
            token_hash: Set(token_hash),
            expires_at: Set(expires_at),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        operator::Entity::update_many()
            .col_expr(operator::Column::LastSignedInAt, Expr::value(now.0))
            .filter(operator::Column::Id.eq(operator_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The operator signed in by the session with this token hash, while it lasts.
    pub async fn find_operator_by_session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> anyhow::Result<Option<OperatorRecord>> {
        let found = operator_session::Entity::find()
            .filter(operator_session::Column::TokenHash.eq(token_hash))
            .filter(operator_session::Column::ExpiresAt.gt(now.0))
            .find_also_related(operator::Entity)
            .one(self.connection())
            .await?;
        Ok(found.and_then(|(_, operator)| operator))
    }

    /// Ends the session with this token hash.
    pub async fn delete_operator_session(&self, token_hash: &str) -> anyhow::Result<()> {
        operator_session::Entity::delete_many()
            .filter(operator_session::Column::TokenHash.eq(token_hash))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Deletes the sessions that have run out by `now`; returns how many.
    pub async fn delete_expired_operator_sessions(&self, now: Timestamp) -> anyhow::Result<u64> {
        let deleted = operator_session::Entity::delete_many()
            .filter(operator_session::Column::ExpiresAt.lte(now.0))
            .exec(self.connection())
            .await?;
        Ok(deleted.rows_affected)
    }

    /// The throttle rows of these keys (absent keys have no failures).
    pub async fn find_signin_throttles(
        &self,
        keys: &[String],
    ) -> anyhow::Result<Vec<SigninThrottle>> {
        Ok(signin_throttle::Entity::find()
            .filter(signin_throttle::Column::Key.is_in(keys.iter().map(String::as_str)))
            .all(self.connection())
            .await?)
    }

    /// Counts one more failure under `key` and locks it until `lock_for(failures)` says, if
    /// anything. Returns the new count.
    pub async fn record_signin_failure(
        &self,
        key: &str,
        now: Timestamp,
        lock_until: impl Fn(i32) -> Option<Timestamp>,
    ) -> anyhow::Result<i32> {
        let txn = self.begin_write().await?;
        let failures = signin_throttle::Entity::find_by_id(key.to_owned())
            .one(&txn)
            .await?
            .map_or(0, |row| row.failures)
            .saturating_add(1);
        signin_throttle::Entity::insert(signin_throttle::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(failures),
            locked_until: Set(lock_until(failures)),
            last_failed_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(signin_throttle::Column::Key)
                .update_columns([
                    signin_throttle::Column::Failures,
                    signin_throttle::Column::LockedUntil,
                    signin_throttle::Column::LastFailedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(failures)
    }

    /// Forgets the failures under these keys (after a successful sign-in).
    pub async fn clear_signin_throttles(&self, keys: &[String]) -> anyhow::Result<()> {
        signin_throttle::Entity::delete_many()
            .filter(signin_throttle::Column::Key.is_in(keys.iter().map(String::as_str)))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Deletes the throttle rows whose last failure came before `before`, unless still locked
    /// at `now`; returns how many.
    pub async fn delete_idle_signin_throttles(
        &self,
        before: Timestamp,
        now: Timestamp,
    ) -> anyhow::Result<u64> {
        let deleted = signin_throttle::Entity::delete_many()
            .filter(signin_throttle::Column::LastFailedAt.lt(before.0))
            .filter(
                signin_throttle::Column::LockedUntil
                    .is_null()
                    .or(signin_throttle::Column::LockedUntil.lte(now.0)),
            )
            .exec(self.connection())
            .await?;
        Ok(deleted.rows_affected)
    }
}
