//! Read-only queries behind the operator console: counts for the overview and filtered
//! lists across every application.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::Store;
use super::audit::AuditEntry;
use super::deliveries::{Delivery, status as delivery_status};
use super::emails::Email;
use super::entity::{
    application, audit_entry, credential, email, end_user, event, link, webhook_delivery,
    zoom_inbox,
};
use super::zoom_inbox::status as inbox_status;
use crate::domain::Timestamp;

/// How many rows have each value of a status column.
pub type StatusCounts = Vec<(String, i64)>;

/// Where a page of a newest-first list starts: just older than this row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Older {
    /// The instant the list is ordered by: when the row was made (an event's start).
    pub at: Timestamp,
    pub id: String,
}

impl Older {
    /// Reads the form links carry, `{at ms}.{id}`; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('.')?;
        let valid_id = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        Some(Self {
            at: Timestamp(at.parse().ok()?),
            id: id.to_owned(),
        })
        .filter(|_| valid_id)
    }

    /// The form links carry.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at.0, self.id)
    }
}

/// One page of a newest-first list, and where the next (older) page starts, if there is one.
pub struct ListPage<T> {
    pub rows: Vec<T>,
    pub older: Option<Older>,
}

/// A row of a newest-first list, by where it stands in it.
trait Positioned {
    fn position(&self) -> Older;
}

/// Each kind of row stands where its instant column and id put it.
macro_rules! positioned_by {
    ($($row:ty: $at:ident),+ $(,)?) => {$(
        impl Positioned for $row {
            fn position(&self) -> Older {
                Older {
                    at: self.$at,
                    id: self.id.clone(),
                }
            }
        }
    )+};
}

positioned_by!(
    Delivery: created_at,
    AuditEntry: created_at,
    Email: created_at,
    link::Model: created_at,
    event::Model: start_at,
);

/// The page of `query`'s rows just older than `older` (by the instant column `at`, then id),
/// newest first, and where the page after it starts.
async fn newest_page<E>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    (at, id): (E::Column, E::Column),
    older: Option<&Older>,
    size: u64,
) -> anyhow::Result<ListPage<E::Model>>
where
    E: EntityTrait,
    E::Model: Positioned,
{
    let query = match older {
        Some(older) => query.filter(
            Condition::any().add(at.lt(older.at.0)).add(
                Condition::all()
                    .add(at.eq(older.at.0))
                    .add(id.lt(older.id.as_str())),
            ),
        ),
        None => query,
    };
    // One row more than the page tells whether an older page exists.
    let mut rows = query
        .order_by_desc(at)
        .order_by_desc(id)
        .limit(size + 1)
        .all(db)
        .await?;
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let older = (rows.len() > size).then(|| {
        rows.truncate(size);
        rows.last().map(Positioned::position)
    });
    Ok(ListPage {
        rows,
        older: older.flatten(),
    })
}

/// The overview page's numbers.
pub struct Overview {
    pub applications: StatusCounts,
    pub links: StatusCounts,
    /// Live (not deleted) events by conferencing state.
    pub events: StatusCounts,
    pub deliveries: StatusCounts,
    /// Zoom's notifications in the inbox, by status.
    pub zoom_notifications: StatusCounts,
}

/// A Zoom notification the hub gave up working, as the console shows it: never its body,
/// which is Zoom's signed payload.
#[derive(Debug, FromQueryResult)]
pub struct FailedZoomNotification {
    pub id: String,
    /// Zoom's `event`, e.g. `app_deauthorized`.
    pub event_type: String,
    pub received_at: Timestamp,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Which deliveries to list; `None` means any.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    pub application_id: Option<String>,
    pub event_type: Option<String>,
    pub status: Option<String>,
}

/// Which rows of a list to show: one application's, with one status; `None` means any.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub application_id: Option<String>,
    pub status: Option<String>,
}

/// A link as the console lists it: with the app's id for its end user and the Zoom account.
pub struct LinkRow {
    pub link: link::Model,
    /// The application's own id for the end user.
    pub end_user: String,
    pub account_email: String,
    pub account_name: String,
}

/// An event as the console lists it, with the app's id for its host.
pub struct EventRow {
    pub event: event::Model,
    pub host: String,
}

impl Store {
    /// Counts by status of applications, links, live events, deliveries and Zoom notifications.
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
            zoom_notifications: self
                .count_by(zoom_inbox::Entity::find(), zoom_inbox::Column::Status)
                .await?,
        })
    }

    /// The latest `limit` Zoom notifications given up, newest first.
    pub async fn recent_failed_zoom_notifications(
        &self,
        limit: u64,
    ) -> anyhow::Result<Vec<FailedZoomNotification>> {
        Ok(zoom_inbox::Entity::find()
            .select_only()
            .columns([
                zoom_inbox::Column::Id,
                zoom_inbox::Column::EventType,
                zoom_inbox::Column::ReceivedAt,
                zoom_inbox::Column::Attempts,
                zoom_inbox::Column::LastError,
            ])
            .filter(zoom_inbox::Column::Status.eq(inbox_status::FAILED))
            .order_by_desc(zoom_inbox::Column::ReceivedAt)
            .order_by_desc(zoom_inbox::Column::Id)
            .limit(limit)
            .into_model()
            .all(self.connection())
            .await?)
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

    /// A page of the deliveries matching `filter`, newest first, from just older than `older`.
    pub async fn list_deliveries(
        &self,
        filter: &DeliveryFilter,
        older: Option<&Older>,
        size: u64,
    ) -> anyhow::Result<ListPage<Delivery>> {
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
        let columns = (
            webhook_delivery::Column::CreatedAt,
            webhook_delivery::Column::Id,
        );
        newest_page(self.connection(), query, columns, older, size).await
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

    /// A page of the links matching `filter`, newest first, from just older than `older`.
    pub async fn console_links(
        &self,
        filter: &ListFilter,
        older: Option<&Older>,
        size: u64,
    ) -> anyhow::Result<ListPage<LinkRow>> {
        let mut query = link::Entity::find();
        if let Some(application_id) = &filter.application_id {
            query = query.filter(link::Column::ApplicationId.eq(application_id));
        }
        if let Some(status) = &filter.status {
            query = query.filter(link::Column::Status.eq(status));
        }
        let columns = (link::Column::CreatedAt, link::Column::Id);
        let links = newest_page(self.connection(), query, columns, older, size).await?;
        Ok(ListPage {
            rows: self.link_rows(links.rows).await?,
            older: links.older,
        })
    }

    /// One link as the console lists it, whichever application it is of.
    pub async fn console_link(&self, link_id: &str) -> anyhow::Result<Option<LinkRow>> {
        let links = link::Entity::find_by_id(link_id.to_owned())
            .all(self.connection())
            .await?;
        Ok(self.link_rows(links).await?.pop())
    }

    /// How many links use the credential (one Zoom account).
    pub async fn count_links_to_credential(&self, credential_id: &str) -> anyhow::Result<u64> {
        Ok(link::Entity::find()
            .filter(link::Column::CredentialId.eq(credential_id))
            .count(self.connection())
            .await?)
    }

    /// The links with their end users' ids and Zoom accounts, in the same order.
    async fn link_rows(&self, links: Vec<link::Model>) -> anyhow::Result<Vec<LinkRow>> {
        let end_users = self
            .end_user_ids(links.iter().map(|link| link.end_user_id.clone()))
            .await?;
        let accounts: HashMap<String, (String, String)> = credential::Entity::find()
            .select_only()
            .column(credential::Column::Id)
            .column(credential::Column::Email)
            .column(credential::Column::DisplayName)
            .filter(credential::Column::Id.is_in(links.iter().map(|l| l.credential_id.clone())))
            .into_tuple::<(String, String, String)>()
            .all(self.connection())
            .await?
            .into_iter()
            .map(|(id, email, name)| (id, (email, name)))
            .collect();
        Ok(links
            .into_iter()
            .map(|link| {
                let (account_email, account_name) = accounts
                    .get(&link.credential_id)
                    .cloned()
                    .unwrap_or_default();
                LinkRow {
                    end_user: end_users
                        .get(&link.end_user_id)
                        .cloned()
                        .unwrap_or_default(),
                    account_email,
                    account_name,
                    link,
                }
            })
            .collect())
    }

    /// The application of the link with this id, whichever application it is.
    pub async fn link_application(&self, link_id: &str) -> anyhow::Result<Option<String>> {
        Ok(link::Entity::find_by_id(link_id.to_owned())
            .select_only()
            .column(link::Column::ApplicationId)
            .into_tuple()
            .one(self.connection())
            .await?)
    }

    /// A page of the live events matching `filter` (status: conferencing state), latest start
    /// first, from just before `older`.
    pub async fn console_events(
        &self,
        filter: &ListFilter,
        older: Option<&Older>,
        size: u64,
    ) -> anyhow::Result<ListPage<EventRow>> {
        let mut query = event::Entity::find().filter(event::Column::DeletedAt.is_null());
        if let Some(application_id) = &filter.application_id {
            query = query.filter(event::Column::ApplicationId.eq(application_id));
        }
        if let Some(status) = &filter.status {
            query = query.filter(event::Column::ConferencingStatus.eq(status));
        }
        let columns = (event::Column::StartAt, event::Column::Id);
        let events = newest_page(self.connection(), query, columns, older, size).await?;
        let hosts = self
            .end_user_ids(
                events
                    .rows
                    .iter()
                    .map(|event| event.host_end_user_id.clone()),
            )
            .await?;
        Ok(ListPage {
            rows: events
                .rows
                .into_iter()
                .map(|event| EventRow {
                    host: hosts
                        .get(&event.host_end_user_id)
                        .cloned()
                        .unwrap_or_default(),
                    event,
                })
                .collect(),
            older: events.older,
        })
    }

    /// A page of the audit entries (of one application when given), newest first, from just
    /// older than `older`.
    pub async fn list_audit_entries(
        &self,
        application_id: Option<&str>,
        older: Option<&Older>,
        size: u64,
    ) -> anyhow::Result<ListPage<AuditEntry>> {
        let mut query = audit_entry::Entity::find();
        if let Some(application_id) = application_id {
            query = query.filter(audit_entry::Column::ApplicationId.eq(application_id));
        }
        let columns = (audit_entry::Column::CreatedAt, audit_entry::Column::Id);
        newest_page(self.connection(), query, columns, older, size).await
    }

    /// A page of the emails to end users (kept, sent or not), newest first, from just older
    /// than `older`.
    pub async fn list_emails(
        &self,
        older: Option<&Older>,
        size: u64,
    ) -> anyhow::Result<ListPage<Email>> {
        let columns = (email::Column::CreatedAt, email::Column::Id);
        newest_page(
            self.connection(),
            email::Entity::find(),
            columns,
            older,
            size,
        )
        .await
    }

    /// The applications' own ids of these end user rows, by row id.
    async fn end_user_ids(
        &self,
        row_ids: impl Iterator<Item = String>,
    ) -> anyhow::Result<HashMap<String, String>> {
        Ok(end_user::Entity::find()
            .select_only()
            .column(end_user::Column::Id)
            .column(end_user::Column::ExternalId)
            .filter(end_user::Column::Id.is_in(row_ids))
            .into_tuple::<(String, String)>()
            .all(self.connection())
            .await?
            .into_iter()
            .collect())
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
