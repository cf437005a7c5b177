//! Queries over the audit trail (`audit_entries`): appending inside the caller's transaction,
//! and reading what happened in one Zoom account for its owner's account page.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::Store;
use super::batch::Batch;
use super::entity::audit_entry;
use crate::domain::{Timestamp, new_id};

/// An audit entry as stored.
pub type AuditEntry = audit_entry::Model;

/// The kind of subject entries about a Zoom account use: its id is the Zoom user id, which
/// outlives any one credential (a reconnect after *Disconnect* keeps the history).
pub const ZOOM_USER: &str = "zoom_user";

/// Who acted, as entries record it.
pub mod actor {
    /// The hub itself, for an application (meeting sync, the application's API calls).
    pub const APPLICATION: &str = "application";
    /// The end user, on the account page.
    pub const END_USER: &str = "end_user";
    /// Zoom, through an event notification.
    pub const ZOOM: &str = "zoom";
    /// The hub's operator.
    pub const OPERATOR: &str = "operator";
}

/// An entry to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub application_id: Option<String>,
    pub actor: &'static str,
    /// What was done, e.g. `meeting.created`.
    pub action: &'static str,
    pub subject_type: &'static str,
    pub subject_id: String,
    /// JSON with action-specific details; never a token, a secret or a start URL.
    pub detail: Option<String>,
    pub created_at: Timestamp,
}

impl NewAuditEntry {
    /// An entry about the Zoom account of `zoom_user_id`.
    pub fn zoom_user(
        zoom_user_id: &str,
        application_id: Option<&str>,
        actor: &'static str,
        action: &'static str,
        detail: serde_json::Value,
        now: Timestamp,
    ) -> Self {
        Self {
            application_id: application_id.map(str::to_owned),
            actor,
            action,
            subject_type: ZOOM_USER,
            subject_id: zoom_user_id.to_owned(),
            detail: Some(detail.to_string()),
            created_at: now,
        }
    }
}

/// Appends entries on `db`: the caller's transaction, or the pool.
pub async fn insert_audit_entries<C: ConnectionTrait>(
    db: &C,
    entries: Vec<NewAuditEntry>,
) -> anyhow::Result<()> {
    let mut batch = Batch::new(db);
    add_audit_entries(&mut batch, entries);
    Ok(batch.run(db).await?)
}

/// Adds the insert of `entries` (if any) to `batch`.
pub(super) fn add_audit_entries(batch: &mut Batch, entries: Vec<NewAuditEntry>) {
    if entries.is_empty() {
        return;
    }
    let rows = entries.into_iter().map(|entry| audit_entry::ActiveModel {
        id: Set(new_id("aud")),
        application_id: Set(entry.application_id),
        actor: Set(entry.actor.to_owned()),
        action: Set(entry.action.to_owned()),
        subject_type: Set(entry.subject_type.to_owned()),
        subject_id: Set(entry.subject_id),
        detail: Set(entry.detail),
        created_at: Set(entry.created_at),
    });
    batch.add(audit_entry::Entity::insert_many(rows));
}

impl Store {
    /// Appends one entry on its own.
    pub async fn record_audit(&self, entry: NewAuditEntry) -> anyhow::Result<()> {
        insert_audit_entries(self.connection(), vec![entry]).await
    }

    /// The latest `limit` entries about the Zoom account of `zoom_user_id`, newest first.
    pub async fn zoom_user_activity(
        &self,
        zoom_user_id: &str,
        limit: u64,
    ) -> anyhow::Result<Vec<AuditEntry>> {
        Ok(audit_entry::Entity::find()
            .filter(audit_entry::Column::SubjectType.eq(ZOOM_USER))
            .filter(audit_entry::Column::SubjectId.eq(zoom_user_id))
            .order_by_desc(audit_entry::Column::CreatedAt)
            .order_by_desc(audit_entry::Column::Id)
            .limit(limit)
            .all(self.connection())
            .await?)
    }
}
