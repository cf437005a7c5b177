//! `events`: calendar events an application schedules for its end users, with their meeting state.

use sea_orm::entity::prelude::*;

use crate::domain::Timestamp;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    #[sea_orm(column_type = "Text")]
    pub application_id: String,
    /// The application's `event_id`; unique per application (`uq_events_application_id_external_id`).
    #[sea_orm(column_type = "Text")]
    pub external_id: String,
    /// The end user whose linked account hosts the meeting.
    #[sea_orm(column_type = "Text")]
    pub host_end_user_id: String,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    /// IANA time zone of the event, e.g. `Europe/Paris`.
    #[sea_orm(column_type = "Text")]
    pub tzid: String,
    /// JSON array of attendees.
    #[sea_orm(column_type = "Text")]
    pub attendees: String,
    /// JSON recurrence rule, if the event repeats.
    #[sea_orm(column_type = "Text", nullable)]
    pub recurrence: Option<String>,
    /// JSON of the conferencing the application requested.
    #[sea_orm(column_type = "Text", nullable)]
    pub conferencing: Option<String>,
    /// `none`, `pending`, `ready`, `failed` or `removed`.
    #[sea_orm(column_type = "Text")]
    pub conferencing_status: String,
    /// The provider's meeting id, once created.
    #[sea_orm(column_type = "Text", nullable)]
    pub meeting_id: Option<String>,
    /// The credential the meeting was created with. Deliberately not a foreign key: the
    /// credential may be deleted while the join URL stays valid.
    #[sea_orm(column_type = "Text", nullable)]
    pub meeting_credential_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub join_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub passcode: Option<String>,
    /// JSON describing the last conferencing failure.
    #[sea_orm(column_type = "Text", nullable)]
    pub conferencing_error: Option<String>,
    /// Attempts made to sync the meeting with the provider (default 0).
    pub sync_attempts: i32,
    /// When the sync worker should next look at this event; `None` when nothing is due.
    pub next_sync_at: Option<Timestamp>,
    /// While in the future, a sync worker holds this event.
    pub sync_lease_until: Option<Timestamp>,
    /// Set just before asking Zoom to create the meeting, cleared once its id is stored:
    /// while set without a meeting id, a create may have happened whose answer was lost.
    pub meeting_create_started_at: Option<Timestamp>,
    /// The event version the Zoom meeting reflects.
    pub synced_version: Option<i64>,
    /// When the application deleted the event; the row stays until its meeting is gone.
    pub deleted_at: Option<Timestamp>,
    /// Optimistic-concurrency counter, bumped on every update (default 0).
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::application::Entity",
        from = "Column::ApplicationId",
        to = "super::application::Column::Id",
        on_delete = "Cascade"
    )]
    Application,
    #[sea_orm(
        belongs_to = "super::end_user::Entity",
        from = "Column::HostEndUserId",
        to = "super::end_user::Column::Id",
        on_delete = "Cascade"
    )]
    HostEndUser,
}

impl Related<super::application::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Application.def()
    }
}

impl Related<super::end_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::HostEndUser.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
