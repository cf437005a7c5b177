//! What the hub asks of its database, counted by the store itself: data statements (SELECT,
//! INSERT, UPDATE, DELETE) and write transactions (a unit of work committed, alone or in a
//! group, or a write statement committed on its own). Tests bound the cost of each request
//! with these numbers; `/metrics` exports them as `convene_db_statements_total` and
//! `convene_db_write_transactions_total`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::batch::MARK;

/// Totals since the store was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counted {
    pub statements: u64,
    pub write_transactions: u64,
}

impl Counted {
    /// What was counted between `earlier` and `self`.
    pub fn since(self, earlier: Counted) -> Counted {
        Counted {
            statements: self.statements - earlier.statements,
            write_transactions: self.write_transactions - earlier.write_transactions,
        }
    }
}

/// The running totals of one store; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Counts(Arc<Totals>);

#[derive(Debug, Default)]
struct Totals {
    statements: AtomicU64,
    write_transactions: AtomicU64,
}

/// What a statement is, by its first keyword.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Read,
    Write,
    /// Transaction control, savepoints, pragmas: not data statements.
    Other,
}

impl Kind {
    pub(super) fn of(sql: &str) -> Kind {
        let keyword = sql
            .trim_start()
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or_default();
        if keyword.eq_ignore_ascii_case("select") || keyword.eq_ignore_ascii_case("with") {
            Kind::Read
        } else if ["insert", "update", "delete"]
            .iter()
            .any(|write| keyword.eq_ignore_ascii_case(write))
        {
            Kind::Write
        } else {
            Kind::Other
        }
    }
}

impl Counts {
    /// The totals now.
    pub fn now(&self) -> Counted {
        Counted {
            statements: self.0.statements.load(Ordering::Relaxed),
            write_transactions: self.0.write_transactions.load(Ordering::Relaxed),
        }
    }

    /// Counts a statement; `autocommit` says it runs outside any transaction, so a write
    /// commits on its own. The statements of a batch ([`super::batch`]) are counted one by
    /// one.
    pub(super) fn statement(&self, sql: &str, autocommit: bool) {
        // In a batch each statement follows a mark, and what comes before the first is none.
        let before_first = usize::from(sql.contains(MARK));
        for statement in sql.split(MARK).skip(before_first) {
            let kind = Kind::of(statement);
            if kind == Kind::Other {
                continue;
            }
            self.0.statements.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("convene_db_statements_total").increment(1);
            if autocommit && kind == Kind::Write {
                self.write_transaction();
            }
        }
    }

    /// Counts a committed write transaction (a unit of work).
    pub(super) fn write_transaction(&self) {
        self.0.write_transactions.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("convene_db_write_transactions_total").increment(1);
    }
}

/// Counts a lease found held by another worker (of this instance or another) when this one
/// wanted it, or lost while this one worked under it: `convene_lease_collisions_total`, by
/// `lease`. Instances sharing a database should rarely see one; a steady rate says they
/// are working the same rows.
pub(super) fn lease_collision(lease: &'static str) {
    metrics::counter!("convene_lease_collisions_total", "lease" => lease).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_told_by_their_first_keyword() {
        assert_eq!(Kind::of("SELECT 1"), Kind::Read);
        assert_eq!(
            Kind::of("  with x AS (SELECT 1) SELECT * FROM x"),
            Kind::Read
        );
        assert_eq!(Kind::of("INSERT INTO \"events\" VALUES (1)"), Kind::Write);
        assert_eq!(Kind::of("update t SET a = 1"), Kind::Write);
        assert_eq!(Kind::of("DELETE FROM t"), Kind::Write);
        assert_eq!(Kind::of("SAVEPOINT sp1"), Kind::Other);
        assert_eq!(Kind::of("BEGIN IMMEDIATE"), Kind::Other);
    }

    #[test]
    fn a_write_outside_a_transaction_commits_on_its_own_and_a_batch_counts_each_statement() {
        let counts = Counts::default();
        counts.statement("SELECT 1", true);
        counts.statement("UPDATE t SET a = 1", true);
        counts.statement("UPDATE t SET a = 2", false);
        counts.statement("RELEASE SAVEPOINT sp1", false);
        counts.statement(
            "/*+*/UPDATE t SET a = 3;/*+*/INSERT INTO t VALUES (4)",
            false,
        );
        counts.statement(
            "WITH b0 AS (/*+*/UPDATE t SET a = 5) /*+*/INSERT INTO t VALUES (6)",
            false,
        );
        assert_eq!(
            counts.now(),
            Counted {
                statements: 7,
                write_transactions: 1
            }
        );
    }
}
