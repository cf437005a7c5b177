//! What a state change writes beside itself, in the same transaction: webhooks to
//! applications, emails to end users, and audit entries.

use sea_orm::ConnectionTrait;

use super::audit::{NewAuditEntry, insert_audit_entries};
use super::deliveries::{NewDelivery, insert_deliveries};
use super::emails::{NewEmail, insert_emails};

/// Notifications and audit entries to write with a change.
#[derive(Default)]
pub struct Outbox {
    pub deliveries: Vec<NewDelivery>,
    pub emails: Vec<NewEmail>,
    pub audit: Vec<NewAuditEntry>,
}

impl Outbox {
    /// Writes everything on `db`, the caller's transaction.
    pub(super) async fn write<C: ConnectionTrait>(self, db: &C) -> anyhow::Result<()> {
        insert_deliveries(db, self.deliveries).await?;
        insert_emails(db, self.emails).await?;
        insert_audit_entries(db, self.audit).await
    }
}
