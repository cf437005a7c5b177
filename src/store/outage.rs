//! Telling a database that cannot be reached from a statement that went wrong: the first is
//! worth retrying shortly (503 with `Retry-After`), the second is our bug (500).

use sea_orm::sqlx::Error as SqlxError;
use sea_orm::{DbErr, RuntimeErr};

/// SQLSTATEs of a PostgreSQL server that cannot serve now: connection exceptions (class 08),
/// too many connections, and shutdown or start-up in progress (admin, crash, cannot connect
/// now). SQLite's "busy" and "locked" (5, 6) mean another writer holds the file too long.
const UNAVAILABLE_CODES: &[&str] = &[
    "08000", "08001", "08003", "08004", "08006", "53300", "57P01", "57P02", "57P03", "5", "6",
];

/// Whether `error` comes from the database being unreachable or overloaded (no connection
/// could be made or taken from the pool, the connection broke, the server is restarting)
/// rather than from the statement itself.
pub fn is_outage(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        if let Some(error) = cause.downcast_ref::<DbErr>() {
            return matches!(error, DbErr::ConnectionAcquire(_) | DbErr::Conn(_))
                || matches!(
                    error,
                    DbErr::Exec(RuntimeErr::SqlxError(sqlx))
                        | DbErr::Query(RuntimeErr::SqlxError(sqlx))
                        if is_unreachable(sqlx)
                );
        }
        cause
            .downcast_ref::<SqlxError>()
            .is_some_and(is_unreachable)
    })
}

fn is_unreachable(error: &SqlxError) -> bool {
    match error {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        SqlxError::Database(database) => database
            .code()
            .is_some_and(|code| UNAVAILABLE_CODES.contains(&code.as_ref())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn broken_connections_are_outages_and_wrong_statements_are_not() {
        let wrapped = |sqlx: SqlxError| {
            anyhow::Error::from(DbErr::Query(RuntimeErr::SqlxError(Arc::new(sqlx))))
        };
        assert!(is_outage(&wrapped(SqlxError::PoolTimedOut)));
        assert!(is_outage(&wrapped(SqlxError::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset
        )))));
        assert!(is_outage(
            &anyhow::Error::from(SqlxError::PoolClosed).context("listing events")
        ));
        assert!(!is_outage(&wrapped(SqlxError::RowNotFound)));
        assert!(!is_outage(&anyhow::Error::from(DbErr::RecordNotFound(
            "event".into()
        ))));
        assert!(!is_outage(&anyhow::anyhow!("a bug")));
    }
}
