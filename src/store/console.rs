//! Read-only queries behind the operator console: counts for the overview and filtered
//! lists across every application.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use super::Store;
use super::deliveries::{Delivery, status as delivery_status};
use super::entity::{application, event, link, webhook_delivery};

/// How many rows have each value of a status column.
pub type StatusCounts = Vec<(String, i64)>;

/// The overview page's numbers.
pub struct Overview {
    pub applications: StatusCounts,
    pub links: StatusCounts,
    /// Live (not deleted) events by conferencing state.
    pub events: StatusCounts,
    pub deliveries: StatusCounts,
}

/// Which deliveries to list; `None` means any.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    pub application_id: Option<String>,
    pub event_type: Option<String>,
    pub status: Option<String>,
}

impl Store {
    /// Counts by status of applications, links, live events and deliveries.
    pub async fn console_overview(&self) -> anyhow::Result<Overview> {
        Ok(Overview {
            applications: self
                .count_by(application::Entity::find(), application::Column::Status)
                .await?,
            links: self
                .count_by(link::Entity::find(), link::Column::Status)
                .await?,
            events: self
                .count_by(
                    event::Entity::find().filter(event::Column::DeletedAt.is_null()),
                    event::Column::ConferencingStatus,
                )
                .await?,
            deliveries: self
                .count_by(
                    webhook_delivery::Entity::find(),
                    webhook_delivery::Column::Status,
                )
                .await?,
        })
    }

    /// The latest `limit` deliveries that failed or whose last attempt failed, newest first.
    pub async fn recent_delivery_errors(&self, limit: u64) -> anyhow::Result<Vec<Delivery>> {
        Ok(webhook_delivery::Entity::find()
            .filter(
                webhook_delivery::Column::Status
                    .eq(delivery_status::FAILED)
                    .or(webhook_delivery::Column::LastError
                        .is_not_null()
                        .and(webhook_delivery::Column::Status.eq(delivery_status::PENDING))),
            )
            .order_by_desc(webhook_delivery::Column::LastAttemptAt)
            .order_by_desc(webhook_delivery::Column::Id)
            .limit(limit)
            .all(self.connection())
            .await?)
    }

    /// The latest `limit` deliveries matching `filter`, newest first.
    pub async fn list_deliveries(
        &self,
        filter: &DeliveryFilter,
        limit: u64,
    ) -> anyhow::Result<Vec<Delivery>> {
        let mut query = webhook_delivery::Entity::find();
        if let Some(application_id) = &filter.application_id {
            query = query.filter(webhook_delivery::Column::ApplicationId.eq(application_id));
        }
        if let Some(event_type) = &filter.event_type {
            query = query.filter(webhook_delivery::Column::EventType.eq(event_type));
        }
        if let Some(status) = &filter.status {
            query = query.filter(webhook_delivery::Column::Status.eq(status));
        }
        Ok(query
            .order_by_desc(webhook_delivery::Column::CreatedAt)
            .order_by_desc(webhook_delivery::Column::Id)
            .limit(limit)
            .all(self.connection())
            .await?)
    }

    /// The webhook types deliveries have had, for the filter's choices.
    pub async fn delivery_event_types(&self) -> anyhow::Result<Vec<String>> {
        Ok(webhook_delivery::Entity::find()
            .select_only()
            .column(webhook_delivery::Column::EventType)
            .distinct()
            .order_by_asc(webhook_delivery::Column::EventType)
            .into_tuple()
            .all(self.connection())
            .await?)
    }

    async fn count_by<E: EntityTrait>(
        &self,
        query: Select<E>,
        column: E::Column,
    ) -> anyhow::Result<StatusCounts> {
        Ok(query
            .select_only()
            .column(column)
            .column_as(Expr::col(column).count(), "count")
            .group_by(column)
            .order_by_asc(column)
            .into_tuple()
            .all(self.connection())
            .await?)
    }
}
