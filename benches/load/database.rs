//! The database of one run: a SQLite file in the run's folder, or a PostgreSQL database
//! created for the run on the server the user named, and dropped afterwards.

use std::path::Path;
use std::time::Duration;

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

/// How often the harness analyzes a PostgreSQL run database when the server's autovacuum is
/// off. Autovacuum would analyze a table once a tenth of it has changed, which at the harness's
/// write rates is every few seconds.
const ANALYZE_EVERY: Duration = Duration::from_secs(5);

/// The harness's stand-in for autovacuum, stopped when dropped.
pub struct Analyzer(tokio::task::JoinHandle<()>);

impl Drop for Analyzer {
    fn drop(&mut self) {
        self.0.abort();
    }
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

    /// On a PostgreSQL server running with `autovacuum = off`, analyzes the run's database
    /// every [`ANALYZE_EVERY`] until the returned [`Analyzer`] is dropped, and says so. The
    /// hub is measured as on a server with PostgreSQL's defaults: without analysis, each
    /// pooled connection keeps the plan it made while the tables were empty (a full scan of
    /// `events` per event write), which measures the server's settings, not the hub.
    /// `None` on SQLite and on a server whose autovacuum is on.
    pub async fn stand_in_for_autovacuum(&self) -> anyhow::Result<Option<Analyzer>> {
        let Self::Postgres { url, .. } = self else {
            return Ok(None);
        };
        let connection = Database::connect(url.as_str()).await?;
        let autovacuum = connection
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                "SELECT current_setting('autovacuum') AS autovacuum",
            ))
            .await?
            .context("current_setting returned no row")?
            .try_get::<String>("", "autovacuum")?;
        if autovacuum == "on" {
            connection.close().await?;
            return Ok(None);
        }
        println!(
            "the PostgreSQL server runs with autovacuum off: the harness analyzes the run's database every {} s, as autovacuum would",
            ANALYZE_EVERY.as_secs()
        );
        Ok(Some(Analyzer(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(ANALYZE_EVERY);
            loop {
                ticks.tick().await;
                if let Err(error) = connection.execute_unprepared("ANALYZE").await {
                    eprintln!("ANALYZE of the run's database failed: {error}");
                }
            }
        }))))
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
