//! Queries over the inbox of Zoom's notifications (`zoom_inbox`): storing each once however
//! often Zoom delivers it, claiming due rows under a lease, and recording how working them went.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::Store;
use super::deliveries::unleased;
use super::entity::zoom_inbox;
use crate::domain::credentials::sha256_hex;
use crate::domain::{Timestamp, new_id};

/// A stored notification.
pub type InboxEntry = zoom_inbox::Model;

/// Inbox status values as stored.
pub mod status {
    /// Not worked yet, or to be tried again.
    pub const PENDING: &str = "pending";
    /// Worked.
    pub const DONE: &str = "done";
    /// Given up after repeated failures; kept for the operator.
    pub const FAILED: &str = "failed";
}

/// What working an entry gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboxOutcome {
    Done,
    /// Try again at this instant, after this error.
    RetryAt(Timestamp, String),
    /// Stop trying, after this error.
    GiveUp(String),
}

impl Store {
    /// Stores a notification unless the same body is already stored (Zoom redelivers the same
    /// bytes). Returns the new entry's id, or `None` for a redelivery.
    pub async fn receive_zoom_notification(
        &self,
        event_type: &str,
        body: &str,
        now: Timestamp,
    ) -> anyhow::Result<Option<String>> {
        let id = new_id("zin");
        let row = zoom_inbox::ActiveModel {
            id: Set(id.clone()),
            event_type: Set(event_type.to_owned()),
            body: Set(body.to_owned()),
            body_hash: Set(sha256_hex(body.as_bytes())),
            status: Set(status::PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(Some(now)),
            lease_until: Set(None),
            last_error: Set(None),
            received_at: Set(now),
            processed_at: Set(None),
        };
        let inserted = zoom_inbox::Entity::insert(row)
            .on_conflict(
                OnConflict::column(zoom_inbox::Column::BodyHash)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(self.connection())
            .await?;
        Ok((inserted == 1).then_some(id))
    }

    /// Takes one entry if it is due and nobody holds it; `None` otherwise.
    pub async fn claim_inbox_entry(
        &self,
        id: &str,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> anyhow::Result<Option<InboxEntry>> {
        let taken = zoom_inbox::Entity::update_many()
            .col_expr(zoom_inbox::Column::LeaseUntil, Expr::value(lease_until.0))
            .filter(zoom_inbox::Column::Id.eq(id))
            .filter(zoom_inbox::Column::Status.eq(status::PENDING))
            .filter(zoom_inbox::Column::NextAttemptAt.lte(now.0))
            .filter(unleased(zoom_inbox::Column::LeaseUntil, now))
            .exec(self.connection())
            .await?;
        if taken.rows_affected != 1 {
            return Ok(None);
        }
        Ok(zoom_inbox::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?)
    }

    /// Ids of up to `limit` entries due now, oldest first.
    pub async fn due_inbox_entries(
        &self,
        now: Timestamp,
        limit: u64,
    ) -> anyhow::Result<Vec<String>> {
        Ok(zoom_inbox::Entity::find()
            .select_only()
            .column(zoom_inbox::Column::Id)
            .filter(zoom_inbox::Column::Status.eq(status::PENDING))
            .filter(zoom_inbox::Column::NextAttemptAt.lte(now.0))
            .filter(unleased(zoom_inbox::Column::LeaseUntil, now))
            .order_by_asc(zoom_inbox::Column::NextAttemptAt)
            .limit(limit)
            .into_tuple()
            .all(self.connection())
            .await?)
    }

    /// Records how working a claimed entry went and releases it.
    pub async fn finish_inbox_entry(
        &self,
        entry: &InboxEntry,
        outcome: InboxOutcome,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let (state, next_attempt_at, error, processed_at) = match outcome {
            InboxOutcome::Done => (status::DONE, None, None, Some(now.0)),
            InboxOutcome::RetryAt(at, error) => (status::PENDING, Some(at.0), Some(error), None),
            InboxOutcome::GiveUp(error) => (status::FAILED, None, Some(error), Some(now.0)),
        };
        zoom_inbox::Entity::update_many()
            .col_expr(zoom_inbox::Column::Status, Expr::value(state))
            .col_expr(
                zoom_inbox::Column::Attempts,
                Expr::col(zoom_inbox::Column::Attempts).add(1),
            )
            .col_expr(
                zoom_inbox::Column::NextAttemptAt,
                Expr::value(next_attempt_at),
            )
            .col_expr(
                zoom_inbox::Column::LeaseUntil,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(zoom_inbox::Column::LastError, Expr::value(error))
            .col_expr(zoom_inbox::Column::ProcessedAt, Expr::value(processed_at))
            .filter(zoom_inbox::Column::Id.eq(entry.id.as_str()))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Forgets worked entries received before `before`: past Zoom's last retry, a redelivery
    /// can no longer come.
    pub async fn forget_worked_inbox_entries(&self, before: Timestamp) -> anyhow::Result<u64> {
        let deleted = zoom_inbox::Entity::delete_many()
            .filter(zoom_inbox::Column::Status.eq(status::DONE))
            .filter(zoom_inbox::Column::ReceivedAt.lt(before.0))
            .exec(self.connection())
            .await?;
        Ok(deleted.rows_affected)
    }

    /// One entry, whatever its state.
    pub async fn find_inbox_entry(&self, id: &str) -> anyhow::Result<Option<InboxEntry>> {
        Ok(zoom_inbox::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?)
    }
}
