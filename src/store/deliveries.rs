//! Queries over the webhook outbox (`webhook_deliveries`) and its attempt log
//! (`webhook_attempts`): enqueueing inside the caller's transaction, claiming due rows under a
//! lease, and recording what each attempt gave.

use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::Store;
use super::batch::Batch;
use super::counts::lease_collision;
use super::entity::{webhook_attempt, webhook_delivery};
use crate::domain::{Timestamp, new_id};

/// A delivery as stored.
pub type Delivery = webhook_delivery::Model;
/// One recorded attempt at a delivery.
pub type DeliveryAttempt = webhook_attempt::Model;

/// Delivery status values as stored.
pub mod status {
    /// Waiting for its next attempt.
    pub const PENDING: &str = "pending";
    /// A 2xx answer was received.
    pub const DELIVERED: &str = "delivered";
    /// Given up: the retry schedule was used up, or the delivery cannot succeed.
    pub const FAILED: &str = "failed";
}

/// A webhook to put in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDelivery {
    /// `msg_…`, sent as `webhook-id` on every attempt.
    pub id: String,
    pub application_id: String,
    /// The webhook's type, e.g. `link.connected`.
    pub event_type: String,
    /// The exact body bytes to send (and sign), on every attempt.
    pub payload: String,
    pub created_at: Timestamp,
}

/// A delivery a worker holds: what to send, and the lease that proves the claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub id: String,
    pub application_id: String,
    pub event_type: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i32,
    /// The claim holds until then; recording an attempt requires it to be unchanged.
    pub lease_until: Timestamp,
}

/// What one attempt gave, for the attempt log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    pub attempted_at: Timestamp,
    pub duration_ms: i32,
    /// HTTP status of the answer, if one was received.
    pub response_status: Option<u16>,
    /// A short description of the failure; never a secret, a signature or a response body.
    pub error: Option<String>,
}

/// What becomes of a delivery after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// The application acknowledged it.
    Delivered,
    /// Try again at this instant.
    RetryAt(Timestamp),
    /// Stop trying: the delivery stays visible as `failed`.
    GiveUp,
}

/// One attempt at a claimed delivery, to be recorded.
#[derive(Debug)]
pub struct Attempted {
    pub delivery: ClaimedDelivery,
    pub record: AttemptRecord,
    pub next: NextStep,
}

/// Inserts outbox rows, due at once, on `db`: the caller's transaction (so a state change
/// and its notifications commit together) or the pool.
pub async fn insert_deliveries<C: ConnectionTrait>(
    db: &C,
    rows: Vec<NewDelivery>,
) -> anyhow::Result<()> {
    let mut batch = Batch::new(db);
    add_deliveries(&mut batch, rows);
    Ok(batch.run(db).await?)
}

/// Adds the insert of outbox rows (if any) to `batch`.
pub(super) fn add_deliveries(batch: &mut Batch, rows: Vec<NewDelivery>) {
    if rows.is_empty() {
        return;
    }
    let rows = rows.into_iter().map(|row| webhook_delivery::ActiveModel {
        id: Set(row.id),
        application_id: Set(row.application_id),
        event_type: Set(row.event_type),
        payload: Set(row.payload),
        status: Set(status::PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(Some(row.created_at)),
        lease_until: Set(None),
        last_attempt_at: Set(None),
        last_response_status: Set(None),
        last_error: Set(None),
        created_at: Set(row.created_at),
        delivered_at: Set(None),
    });
    batch.add(webhook_delivery::Entity::insert_many(rows));
}

impl Store {
    /// Inserts outbox rows in a transaction of their own.
    #[tracing::instrument(skip_all, fields(count = rows.len()))]
    pub async fn enqueue_deliveries(&self, rows: Vec<NewDelivery>) -> anyhow::Result<()> {
        let txn = self.begin_write().await?;
        insert_deliveries(&txn, rows).await?;
        txn.commit().await?;
        self.deliveries_enqueued();
        Ok(())
    }

    /// Claims up to `limit` due deliveries until `lease_until`, oldest due first, in one
    /// `UPDATE … RETURNING`. The rows are chosen and taken in the same statement (on
    /// PostgreSQL skipping rows another instance is taking), and the update re-checks that each
    /// is still pending, due and unleased, so two workers never hold the same delivery.
    #[tracing::instrument(skip(self))]
    pub async fn claim_due_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> anyhow::Result<Vec<ClaimedDelivery>> {
        let due = Query::select()
            .column(webhook_delivery::Column::Id)
            .from(webhook_delivery::Entity)
            .cond_where(claimable(now))
            .order_by(webhook_delivery::Column::NextAttemptAt, Order::Asc)
            .order_by(webhook_delivery::Column::Id, Order::Asc)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .to_owned();
        let taken = self
            .write(move |txn| {
                Box::pin(async move {
                    Ok(webhook_delivery::Entity::update_many()
                        .col_expr(
                            webhook_delivery::Column::LeaseUntil,
                            Expr::value(lease_until.0),
                        )
                        .filter(webhook_delivery::Column::Id.in_subquery(due))
                        .filter(claimable(now))
                        .exec_with_returning(txn)
                        .await?)
                })
            })
            .await?;
        let mut claimed: Vec<ClaimedDelivery> = taken
            .into_iter()
            .map(|row| ClaimedDelivery {
                id: row.id,
                application_id: row.application_id,
                event_type: row.event_type,
                payload: row.payload,
                attempts: row.attempts,
                lease_until,
            })
            .collect();
        // RETURNING keeps no order: oldest first, as chosen (ids are time-ordered).
        claimed.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(claimed)
    }

    /// Logs a pass's attempts and moves each delivery on (delivered, retry at, or failed),
    /// releasing its lease, all in one unit of work. A delivery whose lease had been lost (it
    /// expired and another worker took the row) still has its attempt logged, but is left to
    /// its new holder.
    #[tracing::instrument(skip_all, fields(attempts = attempts.len()))]
    pub async fn record_delivery_attempts(&self, attempts: Vec<Attempted>) -> anyhow::Result<()> {
        self.write(move |txn| Box::pin(record_attempts(txn, attempts)))
            .await
    }

    /// One delivery, whatever its state.
    pub async fn find_delivery(&self, id: &str) -> anyhow::Result<Option<Delivery>> {
        Ok(webhook_delivery::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?)
    }

    /// Puts a delivery back in the queue, due now, with a fresh retry schedule: its id (and so
    /// its `webhook-id`, which receivers deduplicate on) and its attempt log are kept. `false`
    /// when there is no such delivery or a worker is sending it at this moment.
    pub async fn replay_delivery(&self, id: &str, now: Timestamp) -> anyhow::Result<bool> {
        let updated = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(status::PENDING),
            )
            .col_expr(webhook_delivery::Column::Attempts, Expr::value(0))
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now.0))
            .col_expr(
                webhook_delivery::Column::DeliveredAt,
                Expr::value(Option::<i64>::None),
            )
            .filter(webhook_delivery::Column::Id.eq(id))
            .filter(unleased(webhook_delivery::Column::LeaseUntil, now))
            .exec(self.connection())
            .await?;
        let replayed = updated.rows_affected == 1;
        if replayed {
            self.deliveries_enqueued();
        }
        Ok(replayed)
    }

    /// The attempts made at one delivery, oldest first.
    pub async fn list_delivery_attempts(
        &self,
        delivery_id: &str,
    ) -> anyhow::Result<Vec<DeliveryAttempt>> {
        Ok(webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::DeliveryId.eq(delivery_id))
            .order_by_asc(webhook_attempt::Column::AttemptedAt)
            .order_by_asc(webhook_attempt::Column::Id)
            .all(self.connection())
            .await?)
    }
}

/// No lease, or one that ran out before `now`.
pub(super) fn unleased(lease_until: impl ColumnTrait, now: Timestamp) -> Condition {
    Condition::any()
        .add(lease_until.is_null())
        .add(lease_until.lt(now.0))
}

/// Pending, due at `now` and held by no worker.
fn claimable(now: Timestamp) -> Condition {
    Condition::all()
        .add(webhook_delivery::Column::Status.eq(status::PENDING))
        .add(webhook_delivery::Column::NextAttemptAt.lte(now.0))
        .add(unleased(webhook_delivery::Column::LeaseUntil, now))
}

/// Logs the attempts and moves their deliveries on, on `txn`.
async fn record_attempts(
    txn: &DatabaseTransaction,
    attempts: Vec<Attempted>,
) -> anyhow::Result<()> {
    let mut logged = Vec::with_capacity(attempts.len());
    for Attempted {
        delivery,
        record,
        next,
    } in attempts
    {
        let (held, exists) = move_on(txn, &delivery, &record, next).await?;
        if !held {
            lease_collision("webhook_delivery");
            tracing::warn!(
                delivery_id = %delivery.id,
                "the delivery's lease ran out during its attempt; its new holder decides what follows"
            );
        }
        if exists {
            logged.push(webhook_attempt::ActiveModel {
                id: Set(new_id("wat")),
                delivery_id: Set(delivery.id),
                attempted_at: Set(record.attempted_at),
                response_status: Set(record.response_status.map(i32::from)),
                error: Set(record.error),
                duration_ms: Set(record.duration_ms),
            });
        }
    }
    if !logged.is_empty() {
        webhook_attempt::Entity::insert_many(logged)
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Moves one delivery on after an attempt: whether its lease was still held, and whether it
/// still exists (one deleted meanwhile, with its application, has nothing to log against).
async fn move_on(
    txn: &DatabaseTransaction,
    delivery: &ClaimedDelivery,
    attempt: &AttemptRecord,
    next: NextStep,
) -> anyhow::Result<(bool, bool)> {
    let (status, next_attempt_at, delivered_at) = match next {
        NextStep::Delivered => (status::DELIVERED, None, Some(attempt.attempted_at.0)),
        NextStep::RetryAt(at) => (status::PENDING, Some(at.0), None),
        NextStep::GiveUp => (status::FAILED, None, None),
    };
    let updated = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(status))
        .col_expr(
            webhook_delivery::Column::Attempts,
            Expr::col(webhook_delivery::Column::Attempts).add(1),
        )
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::value(next_attempt_at),
        )
        .col_expr(
            webhook_delivery::Column::LeaseUntil,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            webhook_delivery::Column::LastAttemptAt,
            Expr::value(attempt.attempted_at.0),
        )
        .col_expr(
            webhook_delivery::Column::LastResponseStatus,
            Expr::value(attempt.response_status.map(i32::from)),
        )
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value(attempt.error.clone()),
        )
        .col_expr(
            webhook_delivery::Column::DeliveredAt,
            Expr::value(delivered_at),
        )
        .filter(webhook_delivery::Column::Id.eq(delivery.id.as_str()))
        .filter(webhook_delivery::Column::LeaseUntil.eq(delivery.lease_until.0))
        .exec(txn)
        .await?;
    let held = updated.rows_affected == 1;
    let exists = held
        || webhook_delivery::Entity::find_by_id(delivery.id.clone())
            .one(txn)
            .await?
            .is_some();
    Ok((held, exists))
}
