//! Claiming due rows for a worker in one statement: an `UPDATE … RETURNING` of the rows that
//! a locking, limited select picks, where the select runs exactly once.
//!
//! Written as `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`, PostgreSQL may
//! plan the subquery as the inner side of a nested-loop semi join (the plan it caches for a
//! table that was empty when the statement was first prepared) and run it again for every
//! candidate row. Each run skips the rows the update has already changed, so the limit moves
//! along and the claim takes every due row, under a lease sized for `n`. A materialized
//! common table expression is computed once, whatever the plan.

use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, ExprTrait, IntoColumnRef, Query, SelectStatement,
    UpdateStatement, WithClause, WithQuery,
};
use sea_orm::{ConnectionTrait, QueryResult};

use super::Store;

/// Runs `update` on the rows `due` picks, as one unit of work, and returns what `update`
/// returns: `due` selects the rows' `id` column (locking and limited as the claim needs);
/// `update` sets the lease and says what to return.
pub(super) async fn take<C: IntoColumnRef + Copy>(
    store: &Store,
    update: UpdateStatement,
    id: C,
    due: SelectStatement,
) -> anyhow::Result<Vec<QueryResult>> {
    let claim = picked_by(update, id, due);
    store
        .write(move |txn| {
            Box::pin(async move {
                let backend = txn.get_database_backend();
                Ok(txn.query_all_raw(backend.build(&claim)).await?)
            })
        })
        .await
}

/// `update`, applied only to the rows `due` picks, which are chosen once.
fn picked_by<C: IntoColumnRef + Copy>(
    mut update: UpdateStatement,
    id: C,
    due: SelectStatement,
) -> WithQuery {
    let picked = Alias::new("picked");
    update.and_where(
        Expr::col(id).in_subquery(Query::select().column(id).from(picked.clone()).to_owned()),
    );
    let cte = CommonTableExpression::new()
        .query(due)
        .table_name(picked)
        .materialized(true)
        .to_owned();
    update.with(WithClause::new().cte(cte).to_owned())
}
