//! Queries over events: the applications' events and the state of their Zoom meetings.

use std::time::Duration;

use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, IntoColumnRef, JoinType, LockBehavior, LockType, Order, Query,
    SelectStatement,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, Condition, ConnectionTrait, DerivePartialModel,
    EntityTrait, FromQueryResult, IdenStatic, IntoActiveModel, Iterable, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Set, UpdateMany,
};

use super::Store;
use super::applications::{ApiKeyRecord, Application};
use super::audit::{NewAuditEntry, add_audit_entries};
use super::batch::Batch;
use super::claim;
use super::counts::lease_collision;
use super::credentials::Credential;
use super::deliveries::{NewDelivery, add_deliveries, insert_deliveries};
use super::end_users::{EndUser, EndUserDetails, upsert_end_user};
use super::entity::{api_key, application, credential, end_user, event, link};
use crate::domain::Timestamp;

/// An event as stored.
pub type Event = event::Model;
/// Changes to one event row.
pub type EventChanges = event::ActiveModel;

/// Conferencing status values as stored and shown.
pub mod conferencing_status {
    pub const NONE: &str = "none";
    pub const PENDING: &str = "pending";
    pub const READY: &str = "ready";
    pub const FAILED: &str = "failed";
    pub const REMOVED: &str = "removed";
}

/// The link an end user hosts meetings through.
pub struct HostLink {
    pub credential_id: String,
    /// `active` or `needs_reauth`.
    pub status: String,
    /// When it was last used for a meeting, as read.
    pub last_used_at: Option<Timestamp>,
}

impl From<link::Model> for HostLink {
    fn from(link: link::Model) -> Self {
        Self {
            credential_id: link.credential_id,
            status: link.status,
            last_used_at: link.last_used_at,
        }
    }
}

/// What a write to an event starts from, read in one statement: the event as stored (if
/// any) and the named host with its link and credential (if connected).
#[derive(Debug)]
pub struct EventContext {
    /// The presented key and its application, when the key is live (unknown, revoked and
    /// malformed keys find nothing here, and nor does the rest).
    pub key: Option<(ApiKeyRecord, Application)>,
    pub event: Option<Event>,
    pub host: Option<EndUser>,
    pub link: Option<link::Model>,
    pub credential: Option<Credential>,
}

impl EventContext {
    /// The link the host meets through, if connected.
    pub fn host_link(&self) -> Option<HostLink> {
        self.link.clone().map(HostLink::from)
    }
}

/// A meeting Zoom made for an event, to record with what the creation tells.
pub struct CreatedMeeting {
    pub event_id: String,
    pub application_id: String,
    /// The host, whose link is used now.
    pub host_end_user_id: String,
    /// When the host's link was last used, as read with the event.
    pub link_last_used_at: Option<Timestamp>,
    /// The event's version the meeting reflects; a later version stays due for sync.
    pub version: i64,
    pub meeting_id: String,
    pub credential_id: String,
    pub join_url: String,
    pub passcode: Option<String>,
    pub audit: NewAuditEntry,
    pub deliveries: Vec<NewDelivery>,
}

/// What the API shows of an event (the columns of its JSON), with its host's id as the
/// application knows it: all a page of the list reads.
#[derive(Clone, Debug, PartialEq, Eq, DerivePartialModel)]
#[sea_orm(entity = "event::Entity")]
pub struct ShownEvent {
    /// The keyset cursor's tie-break; not shown.
    pub id: String,
    pub external_id: String,
    #[sea_orm(from_expr = "Expr::col((end_user::Entity, end_user::Column::ExternalId))")]
    pub host_external_id: String,
    pub summary: String,
    pub description: Option<String>,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub tzid: String,
    pub attendees: String,
    pub recurrence: Option<String>,
    pub conferencing: Option<String>,
    pub conferencing_status: String,
    pub meeting_id: Option<String>,
    pub join_url: Option<String>,
    pub passcode: Option<String>,
    pub conferencing_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ShownEvent {
    /// What the API shows of `event`, hosted by `host` (the application's id for the end user).
    pub fn of(event: &Event, host: &str) -> Self {
        Self {
            id: event.id.clone(),
            external_id: event.external_id.clone(),
            host_external_id: host.to_owned(),
            summary: event.summary.clone(),
            description: event.description.clone(),
            start_at: event.start_at,
            end_at: event.end_at,
            tzid: event.tzid.clone(),
            attendees: event.attendees.clone(),
            recurrence: event.recurrence.clone(),
            conferencing: event.conferencing.clone(),
            conferencing_status: event.conferencing_status.clone(),
            meeting_id: event.meeting_id.clone(),
            join_url: event.join_url.clone(),
            passcode: event.passcode.clone(),
            conferencing_error: event.conferencing_error.clone(),
            created_at: event.created_at,
            updated_at: event.updated_at,
        }
    }
}

/// A meeting change Zoom took, to record.
pub struct SyncedMeeting {
    pub event_id: String,
    pub application_id: String,
    /// The host, whose link is used now.
    pub host_end_user_id: String,
    /// When the host's link was last used, as read with the event.
    pub link_last_used_at: Option<Timestamp>,
    /// The event's version the meeting now reflects.
    pub version: i64,
    pub audit: NewAuditEntry,
}

/// The most events a page of [`Store::list_events`] may ask for.
pub const MAX_PAGE_SIZE: u64 = 200;

/// Which events to list, oldest start first.
pub struct EventQuery<'a> {
    pub application_id: &'a str,
    /// Only this host's (the application's id for the end user).
    pub host_external_id: Option<&'a str>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Continue after this (start, id).
    pub after: Option<(Timestamp, String)>,
    /// At most [`MAX_PAGE_SIZE`] + 1 (the extra row says whether another page follows).
    pub limit: u64,
}

impl Store {
    /// The event `event_external_id` and its host-to-be `host_external_id` (with the host's
    /// link and credential) of the application whose live API key hashes to `key_hash`,
    /// with that key and application; one statement, so checking the key costs the request
    /// no read of its own.
    pub async fn event_context(
        &self,
        key_hash: &str,
        event_external_id: &str,
        host_external_id: &str,
    ) -> anyhow::Result<EventContext> {
        let mut query = from_live_key(key_hash);
        query.join(
            JoinType::LeftJoin,
            end_user::Entity,
            Condition::all()
                .add(key_application_is((
                    end_user::Entity,
                    end_user::Column::ApplicationId,
                )))
                .add(
                    Expr::col((end_user::Entity, end_user::Column::ExternalId))
                        .eq(host_external_id),
                ),
        );
        join_link_and_credential(&mut query);
        query.join(
            JoinType::LeftJoin,
            event::Entity,
            Condition::all()
                .add(key_application_is((
                    event::Entity,
                    event::Column::ApplicationId,
                )))
                .add(Expr::col((event::Entity, event::Column::ExternalId)).eq(event_external_id)),
        );
        self.query_context(query).await
    }

    /// The live event `event_external_id` (with its host, the host's link and credential)
    /// of the application whose live API key hashes to `key_hash`, with that key and
    /// application; one statement.
    pub async fn live_event_context(
        &self,
        key_hash: &str,
        event_external_id: &str,
    ) -> anyhow::Result<EventContext> {
        let mut query = from_live_key(key_hash);
        query
            .join(
                JoinType::LeftJoin,
                event::Entity,
                Condition::all()
                    .add(key_application_is((
                        event::Entity,
                        event::Column::ApplicationId,
                    )))
                    .add(
                        Expr::col((event::Entity, event::Column::ExternalId)).eq(event_external_id),
                    )
                    .add(Expr::col((event::Entity, event::Column::DeletedAt)).is_null()),
            )
            .join(
                JoinType::LeftJoin,
                end_user::Entity,
                Expr::col((end_user::Entity, end_user::Column::Id))
                    .equals((event::Entity, event::Column::HostEndUserId)),
            );
        join_link_and_credential(&mut query);
        self.query_context(query).await
    }

    async fn query_context(&self, mut query: SelectStatement) -> anyhow::Result<EventContext> {
        select_prefixed::<api_key::Entity>(&mut query, "k_");
        select_prefixed::<application::Entity>(&mut query, "a_");
        select_prefixed::<end_user::Entity>(&mut query, "u_");
        select_prefixed::<link::Entity>(&mut query, "l_");
        select_prefixed::<credential::Entity>(&mut query, "c_");
        select_prefixed::<event::Entity>(&mut query, "e_");
        let row = self
            .connection()
            .query_one(&query)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the event context query returned no row"))?;
        let key = Option::<ApiKeyRecord>::from_query_result(&row, "k_")?;
        let application = Option::<Application>::from_query_result(&row, "a_")?;
        Ok(EventContext {
            key: key.zip(application),
            event: Option::<Event>::from_query_result(&row, "e_")?,
            host: Option::<EndUser>::from_query_result(&row, "u_")?,
            link: Option::<link::Model>::from_query_result(&row, "l_")?,
            credential: Option::<Credential>::from_query_result(&row, "c_")?,
        })
    }

    /// Records the meeting a create made, the audit entry, the host's link as used and the
    /// application's webhook, and lets go of the sync lease; one unit of work, sent as one
    /// batch. The event stays due when the application changed it meanwhile.
    pub async fn record_created_meeting(&self, created: CreatedMeeting) -> anyhow::Result<()> {
        self.write(move |txn| {
            Box::pin(async move {
                let mut batch = Batch::new(txn);
                batch.add(
                    synced_at(&created.event_id, created.version)
                        .col_expr(event::Column::MeetingId, Expr::value(created.meeting_id))
                        .col_expr(
                            event::Column::MeetingCredentialId,
                            Expr::value(created.credential_id),
                        )
                        .col_expr(event::Column::JoinUrl, Expr::value(created.join_url))
                        .col_expr(event::Column::Passcode, Expr::value(created.passcode))
                        .col_expr(
                            event::Column::MeetingCreateStartedAt,
                            Expr::value(Option::<i64>::None),
                        )
                        .col_expr(
                            event::Column::ConferencingStatus,
                            Expr::value(conferencing_status::READY),
                        )
                        .col_expr(
                            event::Column::ConferencingError,
                            Expr::value(Option::<String>::None),
                        ),
                );
                add_meeting_activity(
                    &mut batch,
                    &created.application_id,
                    &created.host_end_user_id,
                    created.link_last_used_at,
                    created.audit,
                );
                add_deliveries(&mut batch, created.deliveries);
                Ok(batch.run(txn).await?)
            })
        })
        .await?;
        self.deliveries_enqueued();
        Ok(())
    }

    /// Applies changes to an event and takes its sync lease for the caller, unless another
    /// sync holds it (then the changes alone); one unit of work. The event as changed, and
    /// whether the caller holds the lease.
    pub async fn update_event_taking_lease(
        &self,
        changes: EventChanges,
        now: Timestamp,
        until: Timestamp,
    ) -> anyhow::Result<(Event, bool)> {
        let id = row_id(&changes)?;
        self.write(move |txn| {
            Box::pin(async move {
                let mut leased = changes.clone();
                leased.sync_lease_until = Set(Some(until));
                let taken = event::Entity::update_many()
                    .set(leased)
                    .filter(event::Column::Id.eq(id))
                    .filter(sync_lease_free(now))
                    .exec_with_returning(txn)
                    .await?;
                match taken.into_iter().next() {
                    Some(event) => Ok((event, true)),
                    None => {
                        lease_collision(EVENT_SYNC_LEASE);
                        Ok((changes.update(txn).await?, false))
                    }
                }
            })
        })
        .await
    }

    /// Records that the event's meeting now reflects `version`, the host's link as used and
    /// the audit entry, and lets go of the sync lease; one unit of work.
    pub async fn record_meeting_updated(&self, synced: SyncedMeeting) -> anyhow::Result<()> {
        self.write(move |txn| {
            Box::pin(async move {
                let mut batch = Batch::new(txn);
                batch.add(synced_at(&synced.event_id, synced.version));
                add_meeting_activity(
                    &mut batch,
                    &synced.application_id,
                    &synced.host_end_user_id,
                    synced.link_last_used_at,
                    synced.audit,
                );
                Ok(batch.run(txn).await?)
            })
        })
        .await
    }

    /// After the meeting of a deleted event is gone: drops the row (unless the application
    /// put the event again meanwhile: then it forgets the meeting and stays due), records
    /// the host's link as used and the audit entry; one unit of work.
    pub async fn record_meeting_deleted(&self, deleted: SyncedMeeting) -> anyhow::Result<()> {
        self.write(move |txn| {
            Box::pin(async move {
                let dropped = event::Entity::delete_many()
                    .filter(event::Column::Id.eq(deleted.event_id.as_str()))
                    .filter(event::Column::Version.eq(deleted.version))
                    .exec(txn)
                    .await?;
                let mut batch = Batch::new(txn);
                if dropped.rows_affected == 0 {
                    let mut forgotten = forgotten_meeting(&deleted.event_id);
                    forgotten.sync_lease_until = Set(None);
                    batch.add(
                        event::Entity::update_many()
                            .set(forgotten)
                            .filter(event::Column::Id.eq(deleted.event_id)),
                    );
                }
                add_meeting_activity(
                    &mut batch,
                    &deleted.application_id,
                    &deleted.host_end_user_id,
                    deleted.link_last_used_at,
                    deleted.audit,
                );
                Ok(batch.run(txn).await?)
            })
        })
        .await
    }

    /// Nothing more is due for the event at `version`: lets go of the sync lease (and,
    /// unless the event changed since, of its next attempt); one statement.
    pub async fn settle_leased_event(&self, id: &str, version: i64) -> anyhow::Result<()> {
        event::Entity::update_many()
            .col_expr(
                event::Column::SyncLeaseUntil,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(event::Column::NextSyncAt, settled_unless_changed(version))
            .filter(event::Column::Id.eq(id))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// The application's end user row for `external_id`, created if new.
    pub async fn end_user_row(
        &self,
        application_id: &str,
        external_id: &str,
        now: Timestamp,
    ) -> anyhow::Result<super::end_users::EndUser> {
        let details = EndUserDetails {
            external_id: external_id.to_owned(),
            email: None,
            name: None,
        };
        upsert_end_user(self.connection(), application_id, details, now).await
    }

    /// The link of an application's end user (by the end user row id).
    pub async fn host_link(
        &self,
        application_id: &str,
        end_user_row_id: &str,
    ) -> anyhow::Result<Option<HostLink>> {
        Ok(link::Entity::find()
            .filter(link::Column::ApplicationId.eq(application_id))
            .filter(link::Column::EndUserId.eq(end_user_row_id))
            .one(self.connection())
            .await?
            .map(HostLink::from))
    }

    pub async fn find_event_by_id(&self, id: &str) -> anyhow::Result<Option<Event>> {
        Ok(event::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?)
    }

    /// Stores a new event, as given (with its sync lease and meeting intent, if any).
    pub async fn insert_event(&self, event: Event) -> anyhow::Result<Event> {
        self.write(move |txn| {
            Box::pin(async move {
                event::Entity::insert(event.clone().into_active_model())
                    .exec_without_returning(txn)
                    .await?;
                Ok(event)
            })
        })
        .await
    }

    /// Applies changes to an event.
    pub async fn update_event(&self, changes: EventChanges) -> anyhow::Result<Event> {
        Ok(changes.update(self.connection()).await?)
    }

    /// Applies changes to an event and writes the notifications `outbox`
    /// builds from the changed event, in one transaction.
    pub async fn update_event_telling(
        &self,
        changes: EventChanges,
        outbox: impl FnOnce(&Event) -> Vec<NewDelivery>,
    ) -> anyhow::Result<Event> {
        let txn = self.begin_write().await?;
        let updated = changes.update(&txn).await?;
        insert_deliveries(&txn, outbox(&updated)).await?;
        txn.commit().await?;
        self.deliveries_enqueued();
        Ok(updated)
    }

    /// Applies changes only if the event is still at `version`.
    pub async fn settle_event(&self, changes: EventChanges, version: i64) -> anyhow::Result<()> {
        let id = row_id(&changes)?;
        event::Entity::update_many()
            .set(changes)
            .filter(event::Column::Id.eq(id))
            .filter(event::Column::Version.eq(version))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// The application's own id for an end user row.
    pub async fn end_user_external_id(
        &self,
        end_user_row_id: &str,
    ) -> anyhow::Result<Option<String>> {
        use super::entity::end_user;
        Ok(end_user::Entity::find_by_id(end_user_row_id.to_owned())
            .one(self.connection())
            .await?
            .map(|end_user| end_user.external_id))
    }

    /// Removes an event row for good (its meeting is gone).
    pub async fn delete_event_row(&self, id: &str) -> anyhow::Result<()> {
        event::Entity::delete_by_id(id.to_owned())
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Ids of the events whose Zoom meeting is `meeting_id` (one, unless two applications
    /// share a meeting somehow).
    pub async fn events_with_meeting(&self, meeting_id: &str) -> anyhow::Result<Vec<String>> {
        Ok(event::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .filter(event::Column::MeetingId.eq(meeting_id))
            .into_tuple()
            .all(self.connection())
            .await?)
    }

    /// Records something done to a meeting in the host's Zoom account: the audit entry, and
    /// the host's link as last used now.
    pub async fn record_meeting_activity(
        &self,
        event: &Event,
        entry: NewAuditEntry,
    ) -> anyhow::Result<()> {
        let application_id = event.application_id.clone();
        let host_end_user_id = event.host_end_user_id.clone();
        self.write(move |txn| {
            Box::pin(async move {
                let mut batch = Batch::new(txn);
                add_meeting_activity(&mut batch, &application_id, &host_end_user_id, None, entry);
                Ok(batch.run(txn).await?)
            })
        })
        .await
    }

    /// Takes the right to bring an event's meeting in step, unless someone has it.
    pub async fn take_sync_lease(
        &self,
        id: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> anyhow::Result<bool> {
        let result = event::Entity::update_many()
            .col_expr(event::Column::SyncLeaseUntil, Expr::value(until.0))
            .filter(event::Column::Id.eq(id))
            .filter(sync_lease_free(now))
            .exec(self.connection())
            .await?;
        let taken = result.rows_affected == 1;
        if !taken {
            lease_collision(EVENT_SYNC_LEASE);
        }
        Ok(taken)
    }

    pub async fn release_sync_lease(&self, id: &str) -> anyhow::Result<()> {
        event::Entity::update_many()
            .col_expr(
                event::Column::SyncLeaseUntil,
                Expr::value(Option::<i64>::None),
            )
            .filter(event::Column::Id.eq(id))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Claims up to `limit` events whose meeting is due another attempt (the longest due, in
    /// no order: they are worked at once), holding each one's sync lease until `lease_until`;
    /// one statement. Instances claiming at once get different events (on PostgreSQL rows
    /// another claim has locked are skipped, on SQLite the writer runs one claim at a time),
    /// so none loses a lease to another.
    pub async fn claim_events_due_for_sync(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> anyhow::Result<Vec<String>> {
        let due = Query::select()
            .column(event::Column::Id)
            .from(event::Entity)
            .and_where(event::Column::NextSyncAt.lte(now.0))
            .cond_where(sync_lease_free(now))
            .order_by(event::Column::NextSyncAt, Order::Asc)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .to_owned();
        let mut lease = Query::update();
        lease
            .table(event::Entity)
            .value(event::Column::SyncLeaseUntil, lease_until.0)
            .cond_where(sync_lease_free(now))
            .returning_col(event::Column::Id);
        claim::take(self, lease, event::Column::Id, due)
            .await?
            .iter()
            .map(|row| Ok(row.try_get::<String>("", event::Column::Id.as_str())?))
            .collect()
    }

    /// A page of the application's live events, by start then id, as the API shows them; one
    /// statement that seeks to the page's first row and reads only the shown columns.
    pub async fn list_events(&self, query: EventQuery<'_>) -> anyhow::Result<Vec<ShownEvent>> {
        // A left join keeps events the driving table (every event has its host), so the
        // planner follows the start-ordered index instead of sorting.
        let mut select = event::Entity::find()
            .join(JoinType::LeftJoin, event::Relation::HostEndUser.def())
            .filter(event::Column::ApplicationId.eq(query.application_id))
            .filter(event::Column::DeletedAt.is_null());
        if let Some(host) = query.host_external_id {
            // `=` a scalar subquery, not `IN`: with an equality the planner seeks the host's
            // index in start order (with `IN` SQLite walks the application's whole index).
            let host_row = Query::select()
                .column(end_user::Column::Id)
                .from(end_user::Entity)
                .and_where(end_user::Column::ApplicationId.eq(query.application_id))
                .and_where(end_user::Column::ExternalId.eq(host))
                .to_owned();
            select = select.filter(
                Expr::col((event::Entity, event::Column::HostEndUserId))
                    .eq(Expr::SubQuery(None, Box::new(host_row.into()))),
            );
        }
        if let Some(from) = query.from {
            select = select.filter(event::Column::StartAt.gte(from.0));
        }
        if let Some((start, id)) = query.after {
            select = select.filter(
                Expr::tuple([
                    Expr::col((event::Entity, event::Column::StartAt)),
                    Expr::col((event::Entity, event::Column::Id)),
                ])
                .gt(Expr::tuple([Expr::val(start.0), Expr::val(id)])),
            );
        }
        if let Some(to) = query.to {
            select = select.filter(event::Column::StartAt.lt(to.0));
        }
        Ok(select
            .order_by_asc(event::Column::StartAt)
            .order_by_asc(event::Column::Id)
            .limit(query.limit)
            .into_partial_model::<ShownEvent>()
            .all(self.connection())
            .await?)
    }
}

/// One row holding the live API key hashing to `key_hash` and its application (both null
/// when there is no such key), for the request's other reads to join.
fn from_live_key(key_hash: &str) -> SelectStatement {
    let mut query = Query::select();
    query
        .from_subquery(
            Query::select().expr(Expr::val(1)).to_owned(),
            Alias::new("one"),
        )
        .join(
            JoinType::LeftJoin,
            api_key::Entity,
            Condition::all()
                .add(Expr::col((api_key::Entity, api_key::Column::KeyHash)).eq(key_hash))
                .add(Expr::col((api_key::Entity, api_key::Column::RevokedAt)).is_null()),
        )
        .join(
            JoinType::LeftJoin,
            application::Entity,
            Expr::col((application::Entity, application::Column::Id))
                .equals((api_key::Entity, api_key::Column::ApplicationId)),
        );
    query
}

/// `column` names the key's application.
fn key_application_is<C: IntoColumnRef>(column: C) -> Expr {
    Expr::col(column).equals((api_key::Entity, api_key::Column::ApplicationId))
}

/// Joins the end user's link (in the end user's application) and its credential.
fn join_link_and_credential(query: &mut SelectStatement) {
    query
        .join(
            JoinType::LeftJoin,
            link::Entity,
            Condition::all()
                .add(
                    Expr::col((link::Entity, link::Column::ApplicationId))
                        .equals((end_user::Entity, end_user::Column::ApplicationId)),
                )
                .add(
                    Expr::col((link::Entity, link::Column::EndUserId))
                        .equals((end_user::Entity, end_user::Column::Id)),
                ),
        )
        .join(
            JoinType::LeftJoin,
            credential::Entity,
            Expr::col((credential::Entity, credential::Column::Id))
                .equals((link::Entity, link::Column::CredentialId)),
        );
}

/// Selects every column of `E` as `{prefix}{column}`, as `FromQueryResult` reads them.
fn select_prefixed<E: EntityTrait>(query: &mut SelectStatement, prefix: &str) {
    for column in E::Column::iter() {
        query.expr_as(
            Expr::col((E::default(), column)),
            Alias::new(format!("{prefix}{}", column.as_str())),
        );
    }
}

/// `next_sync_at` once a sync of `version` is done: none, unless the event changed since.
fn settled_unless_changed(version: i64) -> Expr {
    Expr::case(
        Expr::col(event::Column::Version).eq(version),
        Expr::value(Option::<i64>::None),
    )
    .finally(Expr::col(event::Column::NextSyncAt))
    .into()
}

/// Adds to `batch` what records something done to a meeting in the host's Zoom account: the
/// audit entry, and the host's link (of `application_id`'s end user `end_user_id`) as used then,
/// unless `last_used_at` (as read, `None` when never used or not known) is less than
/// [`LINK_USE_RESOLUTION`] before: the account page shows a link's last use to the minute,
/// and a busy host's every meeting need not rewrite it.
fn add_meeting_activity(
    batch: &mut Batch,
    application_id: &str,
    end_user_id: &str,
    last_used_at: Option<Timestamp>,
    entry: NewAuditEntry,
) {
    let recently_used = last_used_at.is_some_and(|last| {
        last <= entry.created_at && entry.created_at < last.plus(LINK_USE_RESOLUTION)
    });
    if !recently_used {
        batch.add(
            link::Entity::update_many()
                .col_expr(link::Column::LastUsedAt, Expr::value(entry.created_at.0))
                .filter(link::Column::ApplicationId.eq(application_id))
                .filter(link::Column::EndUserId.eq(end_user_id)),
        );
    }
    add_audit_entries(batch, vec![entry]);
}

/// The event sync lease, as [`lease_collision`] names it.
const EVENT_SYNC_LEASE: &str = "event_sync";

/// How finely a link's last use is kept.
pub const LINK_USE_RESOLUTION: Duration = Duration::from_secs(60);

/// Changes that forget the event's meeting.
pub fn forgotten_meeting(id: &str) -> EventChanges {
    let mut cleared = changes(id);
    cleared.meeting_id = Set(None);
    cleared.meeting_credential_id = Set(None);
    cleared.join_url = Set(None);
    cleared.passcode = Set(None);
    cleared.synced_version = Set(None);
    cleared.meeting_create_started_at = Set(None);
    cleared.conferencing_status = Set(conferencing_status::NONE.to_owned());
    cleared
}

/// The row `changes` are for.
fn row_id(changes: &EventChanges) -> anyhow::Result<String> {
    match &changes.id {
        ActiveValue::Set(id) | ActiveValue::Unchanged(id) => Ok(id.clone()),
        // Without the id an update would write every event.
        ActiveValue::NotSet => anyhow::bail!("changing an event needs its id"),
    }
}

/// The update saying event `id`'s meeting reflects `version`, letting go of its sync lease
/// (and, unless the event changed since, of its next attempt).
fn synced_at(id: &str, version: i64) -> UpdateMany<event::Entity> {
    event::Entity::update_many()
        .col_expr(event::Column::SyncedVersion, Expr::value(version))
        .col_expr(event::Column::SyncAttempts, Expr::value(0))
        .col_expr(
            event::Column::SyncLeaseUntil,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(event::Column::NextSyncAt, settled_unless_changed(version))
        .filter(event::Column::Id.eq(id))
}

/// No sync holds the event's lease at `now`.
fn sync_lease_free(now: Timestamp) -> Condition {
    Condition::any()
        .add(event::Column::SyncLeaseUntil.is_null())
        .add(event::Column::SyncLeaseUntil.lt(now.0))
}

/// Changes that only say which row.
pub fn changes(id: &str) -> EventChanges {
    EventChanges {
        id: Set(id.to_owned()),
        ..Default::default()
    }
}
