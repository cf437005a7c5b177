//! Bulk seeding straight into the hub's database: end users and their stored events, in
//! multi-row inserts inside large transactions. It is set-up, not a measured path, so it
//! takes the fastest road rather than the API.

use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

use crate::hub_db::HubDatabase;

/// Rows per INSERT statement.
const ROWS_PER_INSERT: usize = 500;
/// INSERT statements per transaction.
const INSERTS_PER_TRANSACTION: usize = 40;

/// What to seed for one application.
pub struct Seed<'a> {
    pub application_id: &'a str,
    pub end_users: usize,
    pub events_per_end_user: usize,
}

impl Seed<'_> {
    /// Inserts end users `seeded-{n}` and their events (ready, with a Zoom meeting on record),
    /// an hour apart from 2031 on, with the hosts' events interleaved in time.
    pub async fn insert(&self, database: &HubDatabase) -> anyhow::Result<()> {
        let now = jiff::Timestamp::now().as_millisecond();
        let end_users: Vec<String> = (0..self.end_users)
            .map(|n| {
                format!(
                    "('eu_seeded_{n}', '{app}', 'seeded-{n}', NULL, NULL, {now}, {now})",
                    app = self.application_id
                )
            })
            .collect();
        insert_rows(
            database,
            "end_users (id, application_id, external_id, email, name, created_at, updated_at)",
            &end_users,
        )
        .await?;
        let total = self.end_users * self.events_per_end_user;
        let events = (0..total).map(|n| {
            let host = n % self.end_users.max(1);
            let start = crate::workload::FIRST_START_MS + i64::try_from(n).unwrap_or(0) * 60_000;
            format!(
                "('evt_seeded_{n}', '{app}', 'seeded-event-{n}', 'eu_seeded_{host}', 'Seeded session {n}', NULL, \
                 {start}, {end}, 'Europe/Ljubljana', '[]', NULL, '{{\"provider\":\"zoom\"}}', 'ready', \
                 '{meeting}', NULL, 'https://zoom.example/j/{meeting}', NULL, NULL, 0, NULL, NULL, NULL, 0, NULL, 0, {now}, {now})",
                app = self.application_id,
                end = start + 50 * 60_000,
                meeting = 70_000_000_000_u64 + n as u64,
            )
        });
        let columns = "events (id, application_id, external_id, host_end_user_id, summary, description, \
             start_at, end_at, tzid, attendees, recurrence, conferencing, conferencing_status, \
             meeting_id, meeting_credential_id, join_url, passcode, conferencing_error, sync_attempts, \
             next_sync_at, sync_lease_until, meeting_create_started_at, synced_version, deleted_at, \
             version, created_at, updated_at)";
        let chunk = ROWS_PER_INSERT * INSERTS_PER_TRANSACTION;
        let mut batch = Vec::with_capacity(chunk);
        for row in events {
            batch.push(row);
            if batch.len() == chunk {
                insert_rows(database, columns, &batch).await?;
                batch.clear();
            }
        }
        insert_rows(database, columns, &batch).await?;
        // PostgreSQL's autovacuum analyzes tables this size by itself; do it now rather than
        // race it. SQLite has no such thing, and the hub runs no ANALYZE: left as it is.
        if database.connection().get_database_backend() == DbBackend::Postgres {
            database
                .connection()
                .execute_unprepared("ANALYZE end_users, events")
                .await?;
        }
        Ok(())
    }
}

/// Inserts `rows` (each a parenthesised tuple of SQL literals) in one transaction.
async fn insert_rows(
    database: &HubDatabase,
    table_and_columns: &str,
    rows: &[String],
) -> anyhow::Result<()> {
    let transaction = database.connection().begin().await?;
    for statement in rows.chunks(ROWS_PER_INSERT) {
        transaction
            .execute_unprepared(&format!(
                "INSERT INTO {table_and_columns} VALUES {}",
                statement.join(", ")
            ))
            .await?;
    }
    transaction.commit().await?;
    Ok(())
}
