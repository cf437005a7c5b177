//! Meeting changes made inside Zoom, as its notifications report them: a meeting deleted
//! there takes the event's conferencing to `removed` (and its application is told); a meeting
//! changed there has its stored details (join URL, passcode) refreshed.
//!
//! Zoom also notifies the hub of its own changes. Each notification is applied under the
//! event's sync lease, so it never interleaves with the hub's own sync of that event; by the
//! time it runs, an echo of the hub's delete finds the meeting already forgotten, and an echo
//! of the hub's update finds the meeting exactly as the event describes it.

use jiff::Timestamp as Instant;
use sea_orm::Set;
use serde_json::json;

use super::ConferencingError;
use super::meetings::{Meetings, meeting_body};
use crate::domain::Timestamp;
use crate::notify::AppEvent;
use crate::store::audit::{NewAuditEntry, actor};
use crate::store::events::{Event, changes, conferencing_status as state, forgotten_meeting};
use crate::zoom::notification::MeetingObject;
use crate::zoom::types::MeetingRequest;

/// What a notification did to the hub's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoomChange {
    /// An event was changed to match.
    Applied,
    /// Nothing to do: not a meeting of the hub's, an echo of the hub's own change, or an
    /// occurrence of a recurring meeting.
    Ignored,
    /// A sync holds the event; try again shortly.
    Busy,
}

impl Meetings<'_> {
    /// `meeting.deleted`: the event's conferencing becomes `removed` and its application hears
    /// `event.conferencing.removed`. The deletion of single occurrences is not the meeting's.
    pub async fn deleted_in_zoom(&self, object: &MeetingObject) -> anyhow::Result<ZoomChange> {
        if object.occurrences.as_ref().is_some_and(|o| !o.is_empty()) {
            return Ok(ZoomChange::Ignored);
        }
        self.under_lease(object, |event| async move {
            let Some(application) = self.store.find_application(&event.application_id).await?
            else {
                return Ok(ZoomChange::Ignored);
            };
            let mut removed = forgotten_meeting(&event.id);
            removed.conferencing_status = Set(state::REMOVED.to_owned());
            removed.conferencing_error = Set(None);
            removed.next_sync_at = Set(None);
            removed.sync_attempts = Set(0);
            self.save_telling(&application, &event, removed, AppEvent::ConferencingRemoved)
                .await?;
            self.note_zoom_change(&event, "meeting.removed_in_zoom", object)
                .await?;
            tracing::info!(meeting_id = object.id, "meeting deleted inside Zoom");
            Ok(ZoomChange::Applied)
        })
        .await
    }

    /// `meeting.updated`: unless the meeting is just as the event describes it (the hub's own
    /// update coming back), reads the meeting and keeps its join URL and passcode.
    pub async fn updated_in_zoom(&self, object: &MeetingObject) -> anyhow::Result<ZoomChange> {
        if object.occurrences.as_ref().is_some_and(|o| !o.is_empty()) {
            return Ok(ZoomChange::Ignored);
        }
        self.under_lease(object, |event| async move {
            // A change of the application's is on its way to Zoom and will overwrite this one.
            if event.synced_version != Some(event.version) {
                return Ok(ZoomChange::Ignored);
            }
            let sent = meeting_body(&event)?;
            if is_echo(object, &sent) {
                return Ok(ZoomChange::Ignored);
            }
            let Some(credential_id) = event.meeting_credential_id.clone() else {
                return Ok(ZoomChange::Ignored);
            };
            let api = self.api;
            let meeting_id = object.id;
            let meeting = match self
                .broker
                .with_token(&credential_id, |token| async move {
                    api.get_meeting(&token, meeting_id).await
                })
                .await
            {
                Ok(meeting) => meeting,
                // Gone meanwhile (meeting.deleted follows) or no way to ask: keep what is stored.
                Err(
                    ConferencingError::NoCredential
                    | ConferencingError::NeedsReauth
                    | ConferencingError::Zoom(crate::zoom::ZoomError::MeetingNotFound),
                ) => return Ok(ZoomChange::Ignored),
                Err(error) => return Err(anyhow::Error::from(error)),
            };
            if Some(&meeting.join_url) != event.join_url.as_ref()
                || meeting.password != event.passcode
            {
                let mut refreshed = changes(&event.id);
                refreshed.join_url = Set(Some(meeting.join_url.clone()));
                refreshed.passcode = Set(meeting.password.clone());
                self.store.update_event(refreshed).await?;
            }
            self.note_zoom_change(&event, "meeting.changed_in_zoom", object)
                .await?;
            tracing::info!(meeting_id, "meeting changed inside Zoom");
            Ok(ZoomChange::Applied)
        })
        .await
    }

    /// Runs `apply` on each live event of the notification's meeting, holding its sync lease.
    async fn under_lease<F, Fut>(
        &self,
        object: &MeetingObject,
        apply: F,
    ) -> anyhow::Result<ZoomChange>
    where
        F: Fn(Event) -> Fut,
        Fut: Future<Output = anyhow::Result<ZoomChange>>,
    {
        let meeting_id = object.id.to_string();
        let mut outcome = ZoomChange::Ignored;
        for event_id in self.store.events_with_meeting(&meeting_id).await? {
            let now = Timestamp::now();
            let until = Timestamp(now.0 + super::meetings::millis(self.settings.lease));
            if !self.store.take_sync_lease(&event_id, now, until).await? {
                return Ok(ZoomChange::Busy);
            }
            let applied = async {
                match self.store.find_event_by_id(&event_id).await? {
                    // Read again under the lease: the hub may have moved on meanwhile.
                    Some(event)
                        if event.meeting_id.as_deref() == Some(meeting_id.as_str())
                            && event.deleted_at.is_none() =>
                    {
                        apply(event).await
                    }
                    _ => Ok(ZoomChange::Ignored),
                }
            }
            .await;
            self.store.release_sync_lease(&event_id).await?;
            if applied? == ZoomChange::Applied {
                outcome = ZoomChange::Applied;
            }
        }
        Ok(outcome)
    }

    async fn note_zoom_change(
        &self,
        event: &Event,
        action: &'static str,
        object: &MeetingObject,
    ) -> anyhow::Result<()> {
        let Some(credential_id) = &event.meeting_credential_id else {
            return Ok(());
        };
        let Some(credential) = self.store.find_credential(credential_id).await? else {
            return Ok(());
        };
        let application = self
            .store
            .find_application(&event.application_id)
            .await?
            .map(|application| application.name);
        self.store
            .record_audit(NewAuditEntry::zoom_user(
                &credential.provider_user_id,
                Some(&event.application_id),
                actor::ZOOM,
                action,
                json!({
                    "application": application,
                    "meeting_id": object.id,
                    "topic": object.topic.as_deref().unwrap_or(&event.summary),
                    "start": object.start_time,
                }),
                Timestamp::now(),
            ))
            .await
    }
}

/// Whether a notification's meeting is exactly what the hub last sent: every field Zoom
/// reports equals the request's, and nothing else (passcode, settings…) was reported.
fn is_echo(object: &MeetingObject, sent: &MeetingRequest) -> bool {
    let same = |reported: Option<&str>, ours: Option<&str>| reported.is_none() || reported == ours;
    let same_start = match (&object.start_time, &sent.start_time) {
        (None, _) => true,
        (Some(reported), Some(ours)) => same_instant(reported, ours),
        (Some(_), None) => false,
    };
    let same_duration =
        object.duration.is_none() || object.duration == sent.duration.map(i64::from);
    let only_known_fields = object
        .other
        .keys()
        .all(|field| matches!(field.as_str(), "uuid" | "host_id" | "type" | "id"));
    same(object.topic.as_deref(), sent.topic.as_deref())
        && same(object.timezone.as_deref(), sent.timezone.as_deref())
        && same_start
        && same_duration
        && only_known_fields
}

fn same_instant(a: &str, b: &str) -> bool {
    match (a.parse::<Instant>(), b.parse::<Instant>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: serde_json::Value) -> MeetingObject {
        serde_json::from_value(value).unwrap()
    }

    fn sent() -> MeetingRequest {
        MeetingRequest {
            topic: Some("Therapy session".into()),
            start_time: Some("2026-12-01T15:00:00Z".into()),
            duration: Some(50),
            timezone: Some("Europe/Ljubljana".into()),
            ..MeetingRequest::default()
        }
    }

    #[test]
    fn the_hubs_own_update_coming_back_is_an_echo() {
        let echo = object(json!({"id": 1, "uuid": "u", "host_id": "h", "type": 2,
            "topic": "Therapy session", "start_time": "2026-12-01T15:00:00Z", "duration": 50,
            "timezone": "Europe/Ljubljana"}));
        assert!(is_echo(&echo, &sent()));
        let partial = object(json!({"id": 1, "start_time": "2026-12-01T15:00:00.000Z"}));
        assert!(is_echo(&partial, &sent()));
    }

    #[test]
    fn a_change_made_in_zoom_is_not_an_echo() {
        let moved = object(json!({"id": 1, "start_time": "2026-12-01T16:00:00Z"}));
        assert!(!is_echo(&moved, &sent()));
        let renamed = object(json!({"id": 1, "topic": "Other"}));
        assert!(!is_echo(&renamed, &sent()));
        let new_passcode = object(json!({"id": 1, "password": "x1"}));
        assert!(!is_echo(&new_passcode, &sent()));
        let longer = object(json!({"id": 1, "duration": 60}));
        assert!(!is_echo(&longer, &sent()));
    }
}
