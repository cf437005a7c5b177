//! Working Zoom's notifications from the inbox: each is stored before Zoom gets its 200, then
//! worked here — at once by the instance that received it, or by any instance's worker after
//! a crash or a failure — under a lease, once, with retries.

use std::time::Duration;

use super::{Connections, Meetings, ZOOM, ZoomChange};
use crate::domain::{RemovalReason, Timestamp};
use crate::store::Store;
use crate::store::zoom_inbox::{InboxEntry, InboxOutcome};
use crate::zoom::notification::{
    APP_DEAUTHORIZED, Deauthorization, MEETING_DELETED, MEETING_UPDATED, MeetingChange,
    Notification,
};

/// How long one instance may hold an entry.
const LEASE: Duration = Duration::from_secs(60);
/// Attempts before an entry is given up (the waits double from one second to a quarter hour,
/// about three hours in all).
const MAX_ATTEMPTS: i32 = 20;
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// Works inbox entries.
pub struct ZoomInbox<'a> {
    pub store: &'a Store,
    pub connections: Connections<'a>,
    pub meetings: Meetings<'a>,
    /// The hub's Zoom app: deauthorizations of other apps are not the hub's.
    pub client_id: &'a str,
}

impl ZoomInbox<'_> {
    /// Works one entry, unless it is not due or another instance holds it.
    #[tracing::instrument(skip(self))]
    pub async fn work(&self, entry_id: &str) -> anyhow::Result<()> {
        let now = Timestamp::now();
        let lease_until = Timestamp(now.0 + millis(LEASE));
        let Some(entry) = self
            .store
            .claim_inbox_entry(entry_id, now, lease_until)
            .await?
        else {
            return Ok(());
        };
        let outcome = match self.handle(&entry).await {
            Ok(ZoomChange::Busy) => retry(&entry, "the event was being synced".to_owned()),
            Ok(change) => {
                tracing::info!(event = %entry.event_type, ?change, "Zoom notification worked");
                InboxOutcome::Done
            }
            Err(error) => {
                tracing::warn!(event = %entry.event_type, error = ?error, "working a Zoom notification failed");
                retry(&entry, format!("{error:#}"))
            }
        };
        self.store
            .finish_inbox_entry(&entry, outcome, Timestamp::now())
            .await
    }

    async fn handle(&self, entry: &InboxEntry) -> anyhow::Result<ZoomChange> {
        let notification: Notification = serde_json::from_str(&entry.body)?;
        match notification.event.as_str() {
            APP_DEAUTHORIZED => {
                self.deauthorized(serde_json::from_value(notification.payload)?)
                    .await
            }
            MEETING_DELETED => {
                let change: MeetingChange = serde_json::from_value(notification.payload)?;
                self.meetings.deleted_in_zoom(&change.object).await
            }
            MEETING_UPDATED => {
                let change: MeetingChange = serde_json::from_value(notification.payload)?;
                self.meetings.updated_in_zoom(&change.object).await
            }
            _ => Ok(ZoomChange::Ignored),
        }
    }

    /// The user removed the app inside Zoom: their account goes, with every link to it.
    async fn deauthorized(&self, payload: Deauthorization) -> anyhow::Result<ZoomChange> {
        if payload
            .client_id
            .as_deref()
            .is_some_and(|client_id| client_id != self.client_id)
        {
            tracing::warn!("app_deauthorized for another Zoom app; ignored");
            return Ok(ZoomChange::Ignored);
        }
        let Some(credential) = self
            .store
            .find_credential_by_provider_user(ZOOM, &payload.user_id)
            .await?
        else {
            return Ok(ZoomChange::Ignored);
        };
        let removed = self
            .connections
            .remove_account(&credential.id, RemovalReason::ProviderDeauthorized)
            .await
            .map_err(anyhow::Error::from)?;
        Ok(if removed.is_some() {
            ZoomChange::Applied
        } else {
            ZoomChange::Ignored
        })
    }
}

fn retry(entry: &InboxEntry, error: String) -> InboxOutcome {
    let attempts = entry.attempts + 1;
    if attempts >= MAX_ATTEMPTS {
        return InboxOutcome::GiveUp(error);
    }
    let doublings = u32::try_from(entry.attempts).unwrap_or(0).min(20);
    let wait = (Duration::from_secs(1) * 2u32.pow(doublings)).min(MAX_WAIT);
    InboxOutcome::RetryAt(Timestamp(Timestamp::now().0 + millis(wait)), error)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
