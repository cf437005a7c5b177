//! The database: connecting, migrating, and every query the hub runs. Nothing
//! outside this module names a table or writes SQL.

pub mod account;
pub mod applications;
pub mod audit;
mod batch;
mod claim;
pub mod connect_sessions;
pub mod console;
pub mod counts;
pub mod credentials;
pub mod deliveries;
pub mod emails;
pub mod end_users;
pub mod entity;
pub mod events;
pub mod links;
pub mod operators;
pub mod outage;
pub mod outbox;
pub mod sealed;
mod writer;
pub mod zoom_inbox;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::future::BoxFuture;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, SqliteTransactionMode, SqlxPostgresConnector, SqlxSqliteConnector,
    TransactionOptions, TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Notify;

use self::counts::{Counted, Counts};
use self::writer::Writer;

/// How long a SQLite writer waits for another before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of the SQLite file each connection maps into memory.
const SQLITE_MMAP_BYTES: u64 = 256 * 1024 * 1024;
/// Rows a SQLite connection's thread hands over before it waits for the reader: a whole page
/// of events at the largest size (with the row that says another page follows) and the
/// statement's result, so a page's rows cross in one go. (sqlx's default, 50, stops the
/// thread in the middle of a default page of 50 + 1 until the request's task has read some.)
const SQLITE_ROW_BUFFER: usize = events::MAX_PAGE_SIZE as usize + 2;
/// Longest a PostgreSQL statement may run before the server cancels it.
const POSTGRES_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// A handle on the hub's database; cheap to clone.
///
/// Writes come in units: [`Store::write`] runs one unit of work in a transaction of its own
/// (on PostgreSQL a pooled connection for the unit; on SQLite the single writer, which
/// commits queued units in groups). Nothing above the store can tell which database it runs
/// on. Reads take a pooled connection per statement, so the hot paths read what they need
/// in one statement each.
#[derive(Clone, Debug)]
pub struct Store {
    /// The pool; a statement run on it alone commits on its own.
    db: DatabaseConnection,
    /// The same pool, for transactions (their statements commit together).
    transactions: DatabaseConnection,
    /// SQLite's single writer.
    writer: Option<Writer>,
    counts: Counts,
    /// Told when webhook deliveries have been committed, so the outbox worker need not
    /// wait for its next tick.
    enqueued: Arc<Notify>,
}

impl Store {
    /// Connects with a pool of `max_connections` (on SQLite, at most one per core). SQLite runs in WAL mode with a busy
    /// timeout (so the CLI and other processes on the same file queue instead of failing
    /// with "database is locked") and one writer connection besides the pool; PostgreSQL
    /// cancels statements that run past a timeout. A connection is not pinged on checkout:
    /// one that broke fails its statement, which is answered as an outage.
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &SecretString, max_connections: u32) -> anyhow::Result<Self> {
        let counts = Counts::default();
        let mut db = open_pool(url, read_connections(url, max_connections)).await?;
        let backend = db.get_database_backend();
        let mut transactions = match backend {
            DatabaseBackend::Sqlite => {
                SqlxSqliteConnector::from_sqlx_sqlite_pool(db.get_sqlite_connection_pool().clone())
            }
            _ => SqlxPostgresConnector::from_sqlx_postgres_pool(
                db.get_postgres_connection_pool().clone(),
            ),
        };
        count_statements(&mut db, &counts, true);
        count_statements(&mut transactions, &counts, false);
        let writer = match backend {
            DatabaseBackend::Sqlite => {
                let mut writer = open_pool(url, 1).await?;
                count_statements(&mut writer, &counts, false);
                Some(Writer::start(writer, counts.clone()))
            }
            _ => None,
        };
        Ok(Self {
            db,
            transactions,
            writer,
            counts,
            enqueued: Arc::default(),
        })
    }

    /// Applies every migration not yet applied.
    #[tracing::instrument(skip_all)]
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.db, None)
            .await
            .context("database migration failed")
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.db
            .execute_unprepared("SELECT 1")
            .await
            .context("database did not answer")?;
        Ok(())
    }

    /// Runs `work` as one unit of writes: everything it does commits together, or nothing
    /// does when it fails. Answers once the unit has committed.
    pub async fn write<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, anyhow::Result<T>>
            + Send
            + 'static,
    {
        if let Some(writer) = &self.writer {
            return writer.write(work).await;
        }
        let txn = self.transactions.begin().await?;
        let value = work(&txn).await?;
        txn.commit().await?;
        self.counts.write_transaction();
        Ok(value)
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock
    /// at once (`BEGIN IMMEDIATE`): a deferred transaction that reads first
    /// cannot upgrade once another writer has committed (SQLITE_BUSY_SNAPSHOT,
    /// which no busy timeout waits out). PostgreSQL ignores the mode.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        let txn = begin_immediate(&self.transactions).await?;
        self.counts.write_transaction();
        Ok(txn)
    }

    /// The underlying connection, for the query modules.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Says that webhook deliveries were committed (by this instance).
    pub fn deliveries_enqueued(&self) {
        self.enqueued.notify_one();
    }

    /// Waits until [`Store::deliveries_enqueued`] is said (at once if it was said since the
    /// last wait).
    pub async fn deliveries_waiting(&self) {
        self.enqueued.notified().await;
    }

    /// What this store has asked of the database so far.
    pub fn counted(&self) -> Counted {
        self.counts.now()
    }

    /// Closes the pool, letting in-flight statements finish.
    pub async fn close(self) -> anyhow::Result<()> {
        self.db.close().await.context("closing the database pool")
    }
}

/// Begins a transaction on `db` that takes SQLite's write lock at once (`BEGIN IMMEDIATE`;
/// PostgreSQL ignores the mode).
async fn begin_immediate(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
    })
    .await
}

async fn open_pool(url: &SecretString, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.expose_secret().to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .statement_timeout(POSTGRES_STATEMENT_TIMEOUT)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .row_buffer_size(SQLITE_ROW_BUFFER)
                // Each connection's page cache starts over after another connection commits;
                // mapped pages are read from memory instead of a pread per page.
                .pragma("mmap_size", SQLITE_MMAP_BYTES.to_string())
                // Statement journals (a savepoint's copy of the pages it changed) and sorts
                // stay in memory instead of temporary files made and deleted per transaction.
                .pragma("temp_store", "memory")
        });
    Database::connect(options)
        .await
        .context("cannot connect to the database named by CONVENE_DATABASE_URL")
}

/// The pool size for `url`. A SQLite connection is a thread of its own that every statement
/// hops to and back; in WAL mode reads never wait for a lock, so connections beyond the
/// cores only add threads switching on the same cores.
fn read_connections(url: &SecretString, max_connections: u32) -> u32 {
    if !url.expose_secret().starts_with("sqlite:") {
        return max_connections;
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    max_connections.min(u32::try_from(cores).unwrap_or(u32::MAX).max(2))
}

/// Counts every statement run on `db`; `autocommit` when its statements commit one by one.
fn count_statements(db: &mut DatabaseConnection, counts: &Counts, autocommit: bool) {
    let counts = counts.clone();
    db.set_metric_callback(move |info| counts.statement(&info.statement.sql, autocommit));
}
