//! The database of one run: a SQLite file in the run's folder, or a PostgreSQL database
//! created for the run on the server the user named, and dropped afterwards.

use std::path::Path;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};
use url::Url;

/// Totals from PostgreSQL's own statistics.
#[derive(Clone, Copy, Debug)]
pub struct ServerCounts {
    /// Transactions committed (a statement outside a transaction is one).
    pub commits: i64,
    /// Rows inserted, updated and deleted.
    pub rows_written: i64,
}

/// A database made for this run.
pub enum RunDatabase {
    Sqlite {
        url: String,
    },
    Postgres {
        server: Url,
        name: String,
        url: String,
    },
}

impl RunDatabase {
    /// A fresh SQLite file in `run_dir`, or, given a PostgreSQL URL, a fresh database named
    /// `convene_bench_<pid>_<label>` on that server.
    pub async fn create(
        postgres: Option<&Url>,
        run_dir: &Path,
        label: &str,
    ) -> anyhow::Result<Self> {
        let Some(server) = postgres else {
            let file = run_dir.join(format!("{label}.db"));
            return Ok(Self::Sqlite {
                url: format!("sqlite://{}?mode=rwc", file.display()),
            });
        };
        let name = format!("convene_bench_{}_{label}", std::process::id());
        let admin = Database::connect(server.as_str())
            .await
            .context("cannot reach the PostgreSQL server given with --postgres")?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        admin.close().await?;
        let mut url = server.clone();
        url.set_path(&format!("/{name}"));
        Ok(Self::Postgres {
            server: server.clone(),
            url: url.to_string(),
            name,
        })
    }

    /// The URL the hub is given.
    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite { url } | Self::Postgres { url, .. } => url,
        }
    }

    /// "SQLite" or "PostgreSQL", for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Sqlite { .. } => "SQLite",
            Self::Postgres { .. } => "PostgreSQL",
        }
    }

    /// What PostgreSQL's `pg_stat_database` has counted for this run's database so far
    /// (`None` on SQLite). The server publishes a backend's counts within about a second.
    pub async fn server_counts(&self) -> anyhow::Result<Option<ServerCounts>> {
        let Self::Postgres { server, name, .. } = self else {
            return Ok(None);
        };
        let admin = Database::connect(server.as_str()).await?;
        let row = admin
            .query_one_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT xact_commit::BIGINT AS commits, \
                 (tup_inserted + tup_updated + tup_deleted)::BIGINT AS written \
                 FROM pg_stat_database WHERE datname = $1",
                [name.clone().into()],
            ))
            .await?
            .context("pg_stat_database has no row for the run's database")?;
        let counts = ServerCounts {
            commits: row.try_get::<i64>("", "commits")?,
            rows_written: row.try_get::<i64>("", "written")?,
        };
        admin.close().await?;
        Ok(Some(counts))
    }

    /// Drops a PostgreSQL database (the SQLite file goes with the run's folder).
    pub async fn drop_database(self) -> anyhow::Result<()> {
        if let Self::Postgres { server, name, .. } = self {
            let admin = Database::connect(server.as_str()).await?;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
            admin.close().await?;
        }
        Ok(())
    }
}
