//! Queries over the webhook outbox (`webhook_deliveries`) and its attempt log
//! (`webhook_attempts`): enqueueing inside the caller's transaction, claiming due rows under a
//! lease, and recording what each attempt gave.

use std::collections::HashSet;

use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, IntoIden, LockBehavior, LockType, Order, Query, TableRef, ValueTuple,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult,
    IdenStatic, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::Store;
use super::batch::Batch;
use super::claim;
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
        let mut lease = Query::update();
        lease
            .table(webhook_delivery::Entity)
            .value(webhook_delivery::Column::LeaseUntil, lease_until.0)
            .cond_where(claimable(now))
            .returning_all();
        let taken = claim::take(self, lease, webhook_delivery::Column::Id, due)
            .await?
            .iter()
            .map(|row| Delivery::from_query_result(row, ""))
            .collect::<Result<Vec<_>, _>>()?;
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
    /// its new holder. A pass that attempted nothing writes nothing.
    #[tracing::instrument(skip_all, fields(attempts = attempts.len()))]
    pub async fn record_delivery_attempts(&self, attempts: Vec<Attempted>) -> anyhow::Result<()> {
        if attempts.is_empty() {
            return Ok(());
        }
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

/// Logs the attempts and moves their deliveries on, on `txn`: one `UPDATE … FROM (VALUES …)`
/// for the whole pass and one insert into the attempt log, whatever the pass's size.
async fn record_attempts(
    txn: &DatabaseTransaction,
    attempts: Vec<Attempted>,
) -> anyhow::Result<()> {
    let held = move_on(txn, &attempts).await?;
    let lost: Vec<&str> = attempts
        .iter()
        .map(|attempt| attempt.delivery.id.as_str())
        .filter(|id| !held.contains(*id))
        .collect();
    for id in &lost {
        lease_collision("webhook_delivery");
        tracing::warn!(
            delivery_id = %id,
            "the delivery's lease ran out during its attempt; its new holder decides what follows"
        );
    }
    let gone = missing(txn, &lost).await?;
    let logged: Vec<_> = attempts
        .into_iter()
        .filter(|attempt| !gone.contains(&attempt.delivery.id))
        .map(
            |Attempted {
                 delivery, record, ..
             }| webhook_attempt::ActiveModel {
                id: Set(new_id("wat")),
                delivery_id: Set(delivery.id),
                attempted_at: Set(record.attempted_at),
                response_status: Set(record.response_status.map(i32::from)),
                error: Set(record.error),
                duration_ms: Set(record.duration_ms),
            },
        )
        .collect();
    if !logged.is_empty() {
        webhook_attempt::Entity::insert_many(logged)
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Moves every attempted delivery on (status, next attempt, last outcome; lease released) in
/// one statement, each only while its lease is the one the attempt was made under. Returns
/// the ids it moved: the others' leases were lost.
async fn move_on(
    txn: &DatabaseTransaction,
    attempts: &[Attempted],
) -> anyhow::Result<HashSet<String>> {
    use webhook_delivery::Column;
    // The VALUES list's columns are `column1`, `column2`, … on both databases.
    const OUTCOME: &str = "outcome";
    let outcome = |n: usize| Expr::col((Alias::new(OUTCOME), Alias::new(format!("column{n}"))));
    let rows = attempts
        .iter()
        .map(
            |Attempted {
                 delivery,
                 record,
                 next,
             }| {
                let (status, next_attempt_at, delivered_at) = match *next {
                    NextStep::Delivered => (status::DELIVERED, None, Some(record.attempted_at.0)),
                    NextStep::RetryAt(at) => (status::PENDING, Some(at.0), None),
                    NextStep::GiveUp => (status::FAILED, None, None),
                };
                ValueTuple::Many(vec![
                    delivery.id.clone().into(),
                    delivery.lease_until.0.into(),
                    status.into(),
                    next_attempt_at.into(),
                    record.attempted_at.0.into(),
                    record.response_status.map(i32::from).into(),
                    record.error.clone().into(),
                    delivered_at.into(),
                ])
            },
        )
        .collect();
    let update = Query::update()
        .table(webhook_delivery::Entity)
        .value(Column::Status, outcome(3))
        .value(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .value(Column::NextAttemptAt, outcome(4))
        .value(Column::LeaseUntil, Expr::value(Option::<i64>::None))
        .value(Column::LastAttemptAt, outcome(5))
        .value(Column::LastResponseStatus, outcome(6))
        .value(Column::LastError, outcome(7))
        .value(Column::DeliveredAt, outcome(8))
        .from(TableRef::ValuesList(rows, Alias::new(OUTCOME).into_iden()))
        .and_where(Expr::col((webhook_delivery::Entity, Column::Id)).eq(outcome(1)))
        .and_where(Expr::col((webhook_delivery::Entity, Column::LeaseUntil)).eq(outcome(2)))
        .returning_col(Column::Id)
        .to_owned();
    let backend = txn.get_database_backend();
    let moved = txn.query_all_raw(backend.build(&update)).await?;
    moved
        .iter()
        .map(|row| Ok(row.try_get::<String>("", Column::Id.as_str())?))
        .collect()
}

/// Which of `ids` no longer exist (deleted meanwhile, with their application): their attempts
/// have nothing to be logged against.
async fn missing(txn: &DatabaseTransaction, ids: &[&str]) -> anyhow::Result<HashSet<String>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found: HashSet<String> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(webhook_delivery::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    Ok(ids
        .iter()
        .filter(|id| !found.contains(**id))
        .map(|id| (*id).to_owned())
        .collect())
}
