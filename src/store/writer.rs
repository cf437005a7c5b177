//! SQLite's single writer: one task owns the write connection and commits the queued units
//! of work in groups — one `BEGIN IMMEDIATE` transaction, a savepoint per unit after the
//! first, each caller answered once its group has committed. SQLite admits one writer at a
//! time; queueing here instead of in SQLite's busy handler (which sleeps) keeps writes back
//! to back, and a group shares one commit. A unit that fails is rolled back alone and leaves
//! the rest of its group be.

use std::any::Any;

use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, RuntimeErr};
use tokio::sync::{mpsc, oneshot};

use super::begin_immediate;
use super::counts::Counts;

/// Units of work committed together at most.
const MAX_GROUP: usize = 64;
/// Opens a unit's savepoint; every unit's has the same name.
const OPEN_SAVEPOINT: &str = "SAVEPOINT unit";
/// Keeps the previous unit's writes and opens the next unit's savepoint, in one round trip.
/// Releasing lets SQLite empty its statement journal, which otherwise holds a copy of every
/// page each unit of the group touched and, past 64 KiB, spills to a temporary file.
const RELEASE_AND_OPEN_SAVEPOINT: &str = "RELEASE unit; SAVEPOINT unit";
/// Undoes the most recent unit's writes, back to its savepoint.
const ROLL_BACK_UNIT: &str = "ROLLBACK TO unit";
/// Units waiting for the writer before callers wait to queue.
const QUEUE: usize = 1024;

/// What a unit of work leaves for its caller.
type Outcome = anyhow::Result<Box<dyn Any + Send>>;
/// The work of a unit, run inside its savepoint.
type Work = Box<dyn for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Outcome> + Send>;

/// A queued unit of work and where its answer goes.
struct Unit {
    work: Work,
    answer: oneshot::Sender<Outcome>,
}

/// The queue to the writer task; cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct Writer {
    queue: mpsc::Sender<Unit>,
}

impl Writer {
    /// Starts the writer task on `db`, a pool of one connection. It stops when the last
    /// `Writer` is dropped, after committing what was queued.
    pub(super) fn start(db: DatabaseConnection, counts: Counts) -> Self {
        let (queue, units) = mpsc::channel(QUEUE);
        tokio::spawn(write_groups(db, units, counts));
        Self { queue }
    }

    /// Runs `work` in the next group and answers once that group has committed.
    pub(super) async fn write<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, anyhow::Result<T>>
            + Send
            + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let work: Work = Box::new(move |txn| {
            Box::pin(async move {
                let value = work(txn).await?;
                Ok(Box::new(value) as Box<dyn Any + Send>)
            })
        });
        self.queue
            .send(Unit { work, answer })
            .await
            .map_err(|_| stopped())?;
        let value = answered.await.map_err(|_| stopped())??;
        value
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|_| anyhow::anyhow!("a unit of work answered with another type"))
    }
}

async fn write_groups(db: DatabaseConnection, mut units: mpsc::Receiver<Unit>, counts: Counts) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while units.recv_many(&mut group, MAX_GROUP).await > 0 {
        commit_group(&db, &mut group, &counts).await;
    }
}

/// Runs the queued units in one transaction and answers them all once it has committed (or
/// failed to). The transaction's first unit runs in it bare: should it fail, the transaction
/// is rolled back and the rest begin another. Every later unit runs in a savepoint.
async fn commit_group(db: &DatabaseConnection, group: &mut Vec<Unit>, counts: &Counts) {
    let mut units = group.drain(..);
    let mut txn: Option<DatabaseTransaction> = None;
    // Whether a unit's savepoint is open (the transaction's first unit has none).
    let mut savepoint_open = false;
    let mut done = Vec::with_capacity(units.len());
    while let Some(unit) = units.next() {
        let Some(open) = &txn else {
            match begin_immediate(db).await {
                Ok(begun) => {
                    // The first unit of a transaction needs no savepoint of its own.
                    let outcome = (unit.work)(&begun).await;
                    if outcome.is_ok() {
                        txn = Some(begun);
                        done.push((unit.answer, outcome));
                    } else {
                        if let Err(error) = begun.rollback().await {
                            tracing::warn!(%error, "the database writer cannot roll back");
                        }
                        let _ = unit.answer.send(outcome);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "the database writer cannot begin a transaction");
                    for unit in std::iter::once(unit).chain(units.by_ref()) {
                        let _ = unit.answer.send(Err(unreachable(&error)));
                    }
                }
            }
            continue;
        };
        let outcome = run_in_savepoint(open, unit.work, savepoint_open).await;
        savepoint_open = true;
        done.push((unit.answer, outcome));
    }
    let Some(txn) = txn else {
        return;
    };
    // The commit releases the savepoint still open.
    match txn.commit().await {
        Ok(()) => {
            for (answer, outcome) in done {
                if outcome.is_ok() {
                    counts.write_transaction();
                }
                let _ = answer.send(outcome);
            }
        }
        Err(error) => {
            tracing::warn!(%error, "a group of writes did not commit");
            for (answer, outcome) in done {
                let _ = answer.send(outcome.and(Err(unreachable(&error))));
            }
        }
    }
}

/// Runs one unit in a savepoint of the group's transaction, releasing the previous unit's
/// (`release`) in the same statement. A unit leaves its savepoint open (the next unit's
/// statement releases it, the commit the last), so a unit costs one statement more than its
/// own; one that fails is rolled back to its savepoint, the units before it untouched.
async fn run_in_savepoint(txn: &DatabaseTransaction, work: Work, release: bool) -> Outcome {
    let open = if release {
        RELEASE_AND_OPEN_SAVEPOINT
    } else {
        OPEN_SAVEPOINT
    };
    txn.execute_unprepared(open).await?;
    let outcome = work(txn).await;
    if outcome.is_err() {
        txn.execute_unprepared(ROLL_BACK_UNIT).await?;
    }
    outcome
}

/// The database could not take the group: each caller hears it as an outage (503).
fn unreachable(error: &DbErr) -> anyhow::Error {
    DbErr::Conn(RuntimeErr::Internal(error.to_string())).into()
}

fn stopped() -> anyhow::Error {
    DbErr::Conn(RuntimeErr::Internal(
        "the database writer has stopped".to_owned(),
    ))
    .into()
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};
    use secrecy::SecretString;

    use crate::store::Store;

    async fn rows(store: &Store) -> Vec<i64> {
        let db = store.connection();
        db.query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT x FROM t ORDER BY x",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<i64>("", "x").unwrap())
        .collect()
    }

    /// Units queued together commit together; the one that fails leaves nothing behind and
    /// the others keep their writes.
    #[tokio::test]
    async fn a_failing_unit_leaves_the_rest_of_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("w.db").display());
        let store = Store::connect(&SecretString::from(url), 2).await.unwrap();
        store
            .connection()
            .execute_unprepared("CREATE TABLE t (x INTEGER NOT NULL)")
            .await
            .unwrap();
        let insert = |x: i64, then_fail: bool| {
            let store = store.clone();
            async move {
                store
                    .write(move |txn| {
                        Box::pin(async move {
                            txn.execute_unprepared(&format!("INSERT INTO t VALUES ({x})"))
                                .await?;
                            anyhow::ensure!(!then_fail, "unit {x} fails");
                            Ok(x)
                        })
                    })
                    .await
            }
        };
        let (first, second, third, fourth) = tokio::join!(
            insert(1, false),
            insert(2, true),
            insert(3, false),
            insert(4, true)
        );
        assert_eq!(first.unwrap(), 1);
        assert!(second.unwrap_err().to_string().contains("unit 2 fails"));
        assert_eq!(third.unwrap(), 3);
        assert!(fourth.is_err());
        assert_eq!(rows(&store).await, [1, 3]);
        assert_eq!(
            store.counted().write_transactions,
            2,
            "one per unit that committed"
        );

        // The first unit of a group runs without a savepoint: its failure rolls back the
        // transaction, and the units after it commit in another.
        let (fifth, sixth, seventh) =
            tokio::join!(insert(5, true), insert(6, false), insert(7, false));
        assert!(fifth.unwrap_err().to_string().contains("unit 5 fails"));
        assert_eq!((sixth.unwrap(), seventh.unwrap()), (6, 7));
        assert_eq!(rows(&store).await, [1, 3, 6, 7]);
        assert_eq!(store.counted().write_transactions, 4);
    }
}
