//! Queries over the email outbox (`emails`): enqueueing inside the caller's transaction,
//! keeping emails when no SMTP server is configured, claiming due rows under a lease, and
//! recording each send.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::Store;
use super::deliveries::unleased;
use super::entity::email;
use crate::domain::Timestamp;

/// An email as stored.
pub type Email = email::Model;

/// Email status values as stored.
pub mod status {
    /// Waiting to be sent.
    pub const PENDING: &str = "pending";
    /// Accepted by the SMTP server.
    pub const SENT: &str = "sent";
    /// Not sent because no SMTP server is configured; shown in the console instead.
    pub const KEPT: &str = "kept";
    /// Given up: refused for good, or the retries were used up.
    pub const FAILED: &str = "failed";
}

/// An email to put in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEmail {
    /// `eml_…`.
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub created_at: Timestamp,
}

/// An email a worker holds, and the lease that proves the claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedEmail {
    pub id: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    /// Attempts made before this one.
    pub attempts: i32,
    pub lease_until: Timestamp,
}

/// What becomes of an email after a send attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendResult {
    /// The SMTP server accepted it.
    Sent,
    /// Try again at this instant.
    RetryAt(Timestamp),
    /// Stop trying.
    GiveUp,
}

/// Inserts outbox emails, due at once, on `db`: the caller's transaction or the pool.
pub async fn insert_emails<C: ConnectionTrait>(db: &C, rows: Vec<NewEmail>) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows = rows.into_iter().map(|row| email::ActiveModel {
        id: Set(row.id),
        to_address: Set(row.to_address),
        subject: Set(row.subject),
        body_text: Set(row.body_text),
        status: Set(status::PENDING.to_owned()),
        attempts: Set(0),
        last_error: Set(None),
        next_attempt_at: Set(Some(row.created_at)),
        lease_until: Set(None),
        created_at: Set(row.created_at),
        sent_at: Set(None),
    });
    email::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

impl Store {
    /// Inserts outbox emails in a transaction of their own.
    #[tracing::instrument(skip_all, fields(count = rows.len()))]
    pub async fn enqueue_emails(&self, rows: Vec<NewEmail>) -> anyhow::Result<()> {
        let txn = self.begin_write().await?;
        insert_emails(&txn, rows).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Marks every pending, unclaimed email `kept` (there is no SMTP server to send it through).
    /// Returns how many were marked.
    #[tracing::instrument(skip(self))]
    pub async fn keep_pending_emails(&self, now: Timestamp) -> anyhow::Result<u64> {
        let kept = email::Entity::update_many()
            .col_expr(email::Column::Status, Expr::value(status::KEPT))
            .col_expr(
                email::Column::NextAttemptAt,
                Expr::value(Option::<i64>::None),
            )
            .filter(email::Column::Status.eq(status::PENDING))
            .filter(unleased(email::Column::LeaseUntil, now))
            .exec(self.connection())
            .await?;
        Ok(kept.rows_affected)
    }

    /// Claims up to `limit` due emails until `lease_until`, as
    /// [`claim_due_deliveries`](Store::claim_due_deliveries) does for webhooks.
    #[tracing::instrument(skip(self))]
    pub async fn claim_due_emails(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> anyhow::Result<Vec<ClaimedEmail>> {
        let candidates = email::Entity::find()
            .filter(email::Column::Status.eq(status::PENDING))
            .filter(email::Column::NextAttemptAt.lte(now.0))
            .filter(unleased(email::Column::LeaseUntil, now))
            .order_by_asc(email::Column::NextAttemptAt)
            .order_by_asc(email::Column::Id)
            .limit(limit)
            .all(self.connection())
            .await?;
        let mut claimed = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            let taken = email::Entity::update_many()
                .col_expr(email::Column::LeaseUntil, Expr::value(lease_until.0))
                .filter(email::Column::Id.eq(candidate.id.as_str()))
                .filter(email::Column::Status.eq(status::PENDING))
                .filter(email::Column::Attempts.eq(candidate.attempts))
                .filter(email::Column::NextAttemptAt.lte(now.0))
                .filter(unleased(email::Column::LeaseUntil, now))
                .exec(self.connection())
                .await?;
            if taken.rows_affected == 1 {
                claimed.push(ClaimedEmail {
                    id: candidate.id,
                    to_address: candidate.to_address,
                    subject: candidate.subject,
                    body_text: candidate.body_text,
                    attempts: candidate.attempts,
                    lease_until,
                });
            }
        }
        Ok(claimed)
    }

    /// Records a send attempt made at `at` and releases the lease. `false` when the lease had
    /// been lost, in which case nothing is changed.
    #[tracing::instrument(skip_all, fields(email_id = %claimed.id, ?result))]
    pub async fn record_email_attempt(
        &self,
        claimed: &ClaimedEmail,
        at: Timestamp,
        error: Option<String>,
        result: SendResult,
    ) -> anyhow::Result<bool> {
        let (status, next_attempt_at, sent_at) = match result {
            SendResult::Sent => (status::SENT, None, Some(at.0)),
            SendResult::RetryAt(next) => (status::PENDING, Some(next.0), None),
            SendResult::GiveUp => (status::FAILED, None, None),
        };
        let updated = email::Entity::update_many()
            .col_expr(email::Column::Status, Expr::value(status))
            .col_expr(
                email::Column::Attempts,
                Expr::col(email::Column::Attempts).add(1),
            )
            .col_expr(email::Column::LastError, Expr::value(error))
            .col_expr(email::Column::NextAttemptAt, Expr::value(next_attempt_at))
            .col_expr(email::Column::LeaseUntil, Expr::value(Option::<i64>::None))
            .col_expr(email::Column::SentAt, Expr::value(sent_at))
            .filter(email::Column::Id.eq(claimed.id.as_str()))
            .filter(email::Column::LeaseUntil.eq(claimed.lease_until.0))
            .exec(self.connection())
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// One email, whatever its state.
    pub async fn find_email(&self, id: &str) -> anyhow::Result<Option<Email>> {
        Ok(email::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?)
    }
}
