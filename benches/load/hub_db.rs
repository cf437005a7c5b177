//! The hub's database read directly, to check outcomes the API does not show in bulk:
//! how many rows of a table have each value of a column.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// A read-only look at the hub's database.
pub struct HubDatabase {
    db: DatabaseConnection,
}

impl HubDatabase {
    /// Connects to the database at `url`.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            db: Database::connect(url).await?,
        })
    }

    /// `SELECT column, COUNT(*) FROM table [WHERE condition] GROUP BY column`, as a map.
    /// `table`, `column` and `condition` are the harness's own constants, never input.
    pub async fn count_by(
        &self,
        table: &str,
        column: &str,
        condition: &str,
    ) -> anyhow::Result<BTreeMap<String, i64>> {
        let filter = if condition.is_empty() {
            String::new()
        } else {
            format!("WHERE {condition}")
        };
        let sql = format!(
            "SELECT CAST({column} AS TEXT) AS value, COUNT(*) AS n FROM {table} {filter} GROUP BY {column}"
        );
        let backend = self.db.get_database_backend();
        let rows = self
            .db
            .query_all_raw(Statement::from_string(backend, sql))
            .await?;
        rows.into_iter()
            .map(|row| {
                let value: Option<String> = row.try_get("", "value")?;
                Ok((
                    value.unwrap_or_else(|| "NULL".to_owned()),
                    row.try_get("", "n")?,
                ))
            })
            .collect()
    }

    /// The rows of a two-column query the harness wrote, both read as text.
    pub async fn pairs(&self, sql: &str) -> anyhow::Result<Vec<(String, String)>> {
        let backend = self.db.get_database_backend();
        let rows = self
            .db
            .query_all_raw(Statement::from_string(backend, sql.to_owned()))
            .await?;
        rows.into_iter()
            .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
            .collect()
    }

    /// The connection, for seeding.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}
