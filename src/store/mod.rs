//! The database: connecting, migrating, and every query the hub runs. Nothing
//! outside this module names a table or writes SQL.

pub mod account;
pub mod applications;
pub mod audit;
pub mod connect_sessions;
pub mod console;
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
pub mod zoom_inbox;

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use secrecy::{ExposeSecret, SecretString};

/// How long a SQLite writer waits for another before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A handle on the hub's database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects with a pool of `max_connections`. SQLite runs in WAL mode with a
    /// busy timeout, so concurrent requests queue instead of failing with
    /// "database is locked".
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &SecretString, max_connections: u32) -> anyhow::Result<Self> {
        let mut options = ConnectOptions::new(url.expose_secret().to_owned());
        options
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
            });
        let db = Database::connect(options)
            .await
            .context("cannot connect to the database named by CONVENE_DATABASE_URL")?;
        Ok(Self { db })
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

    /// Starts a transaction that will write. On SQLite it takes the write lock
    /// at once (`BEGIN IMMEDIATE`): a deferred transaction that reads first
    /// cannot upgrade once another writer has committed (SQLITE_BUSY_SNAPSHOT,
    /// which no busy timeout waits out). PostgreSQL ignores the mode.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        self.db
            .begin_with_options(TransactionOptions {
                isolation_level: None,
                access_mode: None,
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            })
            .await
    }

    /// The underlying connection, for the query modules.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Closes the pool, letting in-flight statements finish.
    pub async fn close(self) -> anyhow::Result<()> {
        self.db.close().await.context("closing the database pool")
    }
}
