//! Writes a unit of work sends together, when none needs the answer of another and no two
//! touch the same row: one statement sent to the database instead of one each. On SQLite
//! (where every statement is a hop to the connection's own thread and back) they are one
//! multi-statement execute; on PostgreSQL (where each is a network round trip) the ones
//! before the last become data-modifying `WITH` clauses of the last, which PostgreSQL runs
//! in full whether or not the last reads them.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryTrait, Statement, Values};

/// Marks where each statement of a batch begins (an SQL comment), so that the store's
/// statement counter counts them one by one.
pub(super) const MARK: &str = "/*+*/";

/// Write statements to run in order, their results unread.
pub(super) struct Batch {
    backend: DatabaseBackend,
    statements: Vec<Statement>,
}

impl Batch {
    /// An empty batch for `db`'s database.
    pub(super) fn new<C: ConnectionTrait>(db: &C) -> Self {
        Self {
            backend: db.get_database_backend(),
            statements: Vec::new(),
        }
    }

    /// Adds a statement (an insert, update or delete of sea-orm's).
    pub(super) fn add<Q: QueryTrait>(&mut self, query: Q) {
        self.statements.push(query.build(self.backend));
    }

    /// Runs the statements; when one fails, none has effect (within the caller's
    /// transaction, which the failure rolls back).
    pub(super) async fn run<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        if let Some(joined) = self.joined() {
            db.execute_raw(joined).await?;
        } else {
            for statement in self.statements {
                db.execute_raw(statement).await?;
            }
        }
        Ok(())
    }

    /// The batch as one statement, when it has several and the database can take them so.
    fn joined(&self) -> Option<Statement> {
        if self.statements.len() < 2 {
            return None;
        }
        let mut sql = String::new();
        let mut values = Vec::new();
        let last = self.statements.len() - 1;
        for (i, statement) in self.statements.iter().enumerate() {
            match self.backend {
                // SQLite binds each statement's `?` parameters from where the last one's ended.
                DatabaseBackend::Sqlite => {
                    if i > 0 {
                        sql.push(';');
                    }
                    sql.push_str(MARK);
                    sql.push_str(&statement.sql);
                }
                DatabaseBackend::Postgres => {
                    sql.push_str(match i {
                        0 => "WITH ",
                        _ if i == last => " ",
                        _ => ", ",
                    });
                    if i < last {
                        sql.push_str(&format!("b{i} AS ("));
                    }
                    sql.push_str(MARK);
                    renumbered(&statement.sql, values.len(), &mut sql);
                    if i < last {
                        sql.push(')');
                    }
                }
                _ => return None,
            }
            values.extend(
                statement
                    .values
                    .iter()
                    .flat_map(|Values(values)| values)
                    .cloned(),
            );
        }
        Some(Statement::from_sql_and_values(self.backend, sql, values))
    }
}

/// Appends `sql` to `out` with each PostgreSQL parameter `$n` as `$(n + offset)`. The
/// statements come from sea-query, which passes every value as a parameter, so a `$` and
/// digits can only be a parameter.
fn renumbered(sql: &str, offset: usize, out: &mut String) {
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::renumbered;

    #[test]
    fn parameters_are_renumbered_past_the_statements_before() {
        let mut out = String::new();
        renumbered(
            r#"UPDATE "t" SET "a" = $1, "b" = $2 WHERE "id" = $10"#,
            3,
            &mut out,
        );
        assert_eq!(out, r#"UPDATE "t" SET "a" = $4, "b" = $5 WHERE "id" = $13"#);
    }
}
