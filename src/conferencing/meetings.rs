//! Keeping each event's Zoom meeting in step with the event: create, move,
//! rename, re-host and delete — exactly once.
//!
//! An event row says what the application wants (its `version`) and what Zoom
//! has (meeting id, the version it reflects). [`Meetings::sync`] brings the two
//! together one step at a time under a lease on the row, so two instances never
//! work on one event at once. Before asking Zoom to create a meeting it records
//! the intent; a sync that finds an intent without a meeting (the answer was
//! lost, or the hub died in between) first looks for that meeting in the
//! host's list and adopts it, so a retry never makes a second meeting. Zoom
//! being slow, rate-limited or down leaves the event `pending` with a next
//! attempt; the worker finishes it, and the application hears
//! `event.conferencing.ready` or, after a bounded time, `.failed`.

use std::time::Duration;

use jiff::Timestamp as Instant;
use sea_orm::Set;
use serde_json::{Value, json};

use super::{ConferencingError, TokenBroker, event_view, meeting_request};
use crate::domain::Timestamp;
use crate::domain::event::{EventInput, Patch};
use crate::notify::{self, AppEvent};
use crate::store::Store;
use crate::store::applications::Application;
use crate::store::audit::{NewAuditEntry, actor};
use crate::store::credentials::{Credential, status as link_status};
use crate::store::events::{
    CreatedMeeting, Event, EventChanges, HostLink, SyncedMeeting, changes,
    conferencing_status as state, forgotten_meeting,
};
use crate::zoom::types::{Meeting, MeetingRequest};
use crate::zoom::{ZoomApi, ZoomError};

/// How meeting sync retries.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// How long a sync may hold an event.
    pub lease: Duration,
    /// First wait after a retryable failure; doubles up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Attempts before the event's conferencing is given up as `failed`.
    pub max_attempts: i32,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(3600),
            max_attempts: 32,
        }
    }
}

/// What to do next for an event.
enum Step {
    Done,
    Create { credential_id: String },
    Update,
    Delete { then_drop_row: bool },
    Fail { code: &'static str, message: String },
}

/// What a request read of an event's host with the event.
pub struct KnownHost {
    pub link: Option<HostLink>,
    pub credential: Option<Credential>,
}

/// The connected host of a new event, as read with the request.
pub struct ConnectedHost {
    /// The application's id for the end user.
    pub external_id: String,
    pub link: HostLink,
    pub credential: Credential,
}

/// Brings meetings in step.
pub struct Meetings<'a> {
    pub store: &'a Store,
    pub broker: &'a TokenBroker,
    pub api: &'a ZoomApi,
    pub settings: &'a SyncSettings,
}

impl Meetings<'_> {
    /// Brings one event's meeting in step. `false` when another sync holds the
    /// event (that one converges, and anything it misses stays due for the worker).
    #[tracing::instrument(skip(self))]
    pub async fn sync(&self, event_id: &str) -> anyhow::Result<bool> {
        let now = Timestamp::now();
        let until = Timestamp(now.0 + millis(self.settings.lease));
        if !self.store.take_sync_lease(event_id, now, until).await? {
            return Ok(false);
        }
        self.sync_claimed(event_id).await.map(|()| true)
    }

    /// Brings in step the due events this instance has claimed (holding their sync leases,
    /// as [`Store::claim_events_due_for_sync`] leaves them), several at once, letting go of
    /// each lease when its event is done.
    pub async fn sync_due(&self, limit: u64) -> anyhow::Result<()> {
        let now = Timestamp::now();
        let claimed = self
            .store
            .claim_events_due_for_sync(now, now.plus(self.settings.lease), limit)
            .await?;
        let passes = claimed.iter().map(|id| self.sync_claimed(id));
        for outcome in futures_util::future::join_all(passes).await {
            if let Err(error) = outcome {
                tracing::warn!(error = ?error, "meeting sync failed; will retry");
            }
        }
        Ok(())
    }

    /// Brings one event's meeting in step while holding its sync lease, then lets it go.
    #[tracing::instrument(skip(self))]
    async fn sync_claimed(&self, event_id: &str) -> anyhow::Result<()> {
        let outcome = self.converge(event_id).await;
        self.store.release_sync_lease(event_id).await?;
        outcome
    }

    /// Makes the meeting of `event`, just stored holding its sync lease and the intent to
    /// create (so a lost answer is recovered as in [`Meetings::sync`]), for the host `host`
    /// whose `credential` was read with it. Answers with the event as it now is; when Zoom
    /// fails, the event is left due for the worker as any sync leaves it.
    pub async fn create_for_new_event(
        &self,
        application: &Application,
        event: Event,
        host: &ConnectedHost,
        request: &MeetingRequest,
    ) -> anyhow::Result<Event> {
        match self
            .create_recorded(application, &event, host, request)
            .await
        {
            Ok(ready) => Ok(ready),
            Err(error) => {
                self.after_failure(application, &event, error).await?;
                self.store.release_sync_lease(&event.id).await?;
                Ok(self
                    .store
                    .find_event_by_id(&event.id)
                    .await?
                    .unwrap_or(event))
            }
        }
    }

    async fn create_recorded(
        &self,
        application: &Application,
        event: &Event,
        host: &ConnectedHost,
        request: &MeetingRequest,
    ) -> Result<Event, ConferencingError> {
        let credential = &host.credential;
        let api = self.api;
        let meeting = self
            .broker
            .with_token_of(credential, |token| async move {
                api.create_meeting(&token, request).await
            })
            .await?;
        tracing::info!(meeting_id = meeting.id, "Zoom meeting created");
        let now = Timestamp::now();
        let ready = Event {
            meeting_id: Some(meeting.id.to_string()),
            meeting_credential_id: Some(credential.id.clone()),
            join_url: Some(meeting.join_url.clone()),
            passcode: meeting.password.clone(),
            meeting_create_started_at: None,
            synced_version: Some(event.version),
            conferencing_status: state::READY.to_owned(),
            conferencing_error: None,
            sync_attempts: 0,
            sync_lease_until: None,
            next_sync_at: None,
            ..event.clone()
        };
        let ready_event = AppEvent::ConferencingReady(event_view(&ready, &host.external_id));
        self.store
            .record_created_meeting(CreatedMeeting {
                event_id: ready.id.clone(),
                application_id: ready.application_id.clone(),
                host_end_user_id: ready.host_end_user_id.clone(),
                link_last_used_at: host.link.last_used_at,
                version: ready.version,
                meeting_id: meeting.id.to_string(),
                credential_id: credential.id.clone(),
                join_url: meeting.join_url,
                passcode: meeting.password,
                audit: meeting_activity(
                    application,
                    event,
                    &credential.provider_user_id,
                    "meeting.created",
                    meeting.id,
                    now,
                ),
                deliveries: notify::delivery_for(application, &ready_event, now)
                    .into_iter()
                    .collect(),
            })
            .await?;
        Ok(ready)
    }

    /// Brings `event` in step for the request that has just changed it and holds its sync
    /// lease, with its `host` as read with it. A move, rename or delete of a meeting in the
    /// host's own account is one Zoom call and one write; anything else takes
    /// [`Meetings::sync`]'s steps. Answers with the event as it now is (`None` once deleted).
    pub async fn sync_changed(
        &self,
        application: &Application,
        event: Event,
        host: KnownHost,
        request: Option<MeetingRequest>,
    ) -> anyhow::Result<Option<Event>> {
        let own_credential = host
            .credential
            .filter(|credential| event.meeting_credential_id.as_ref() == Some(&credential.id));
        let link_last_used_at = host.link.as_ref().and_then(|link| link.last_used_at);
        let step = next_step(&event, host.link);
        let outcome = match (step, own_credential) {
            (Step::Done, _) => {
                self.store
                    .settle_leased_event(&event.id, event.version)
                    .await?;
                return Ok(Some(Event {
                    sync_lease_until: None,
                    next_sync_at: None,
                    ..event
                }));
            }
            (Step::Update, Some(credential)) => {
                self.update_recorded(application, &event, &credential, link_last_used_at, request)
                    .await
            }
            // No meeting, and none being made: the row goes at once.
            (
                Step::Delete {
                    then_drop_row: true,
                },
                _,
            ) if event.meeting_id.is_none() && event.meeting_create_started_at.is_none() => {
                self.store.delete_event_row(&event.id).await?;
                return Ok(None);
            }
            (
                Step::Delete {
                    then_drop_row: true,
                },
                Some(credential),
            ) if event.meeting_create_started_at.is_none() => self
                .delete_recorded(application, &event, &credential, link_last_used_at)
                .await
                .map(|()| Some(None)),
            _ => Ok(None),
        };
        match outcome {
            Ok(Some(done)) => Ok(done),
            Ok(None) => {
                self.converge(&event.id).await?;
                self.store.release_sync_lease(&event.id).await?;
                Ok(self.store.find_event_by_id(&event.id).await?)
            }
            Err(error) => {
                self.after_failure(application, &event, error).await?;
                self.store.release_sync_lease(&event.id).await?;
                Ok(self.store.find_event_by_id(&event.id).await?)
            }
        }
    }

    /// Moves or renames the meeting in the account that has it. `None` when Zoom no longer
    /// has it (the steps make a new one).
    async fn update_recorded(
        &self,
        application: &Application,
        event: &Event,
        credential: &Credential,
        link_last_used_at: Option<Timestamp>,
        request: Option<MeetingRequest>,
    ) -> Result<Option<Option<Event>>, ConferencingError> {
        let Some(meeting_id) = meeting_id(event) else {
            return Ok(None);
        };
        let mut request = match request {
            Some(request) => request,
            None => meeting_body(event)?,
        };
        // schedule_for only applies when creating.
        request.schedule_for = None;
        let api = self.api;
        let request = &request;
        match self
            .broker
            .with_token_of(credential, |token| async move {
                api.update_meeting(&token, meeting_id, request).await
            })
            .await
        {
            Ok(()) => {}
            Err(ConferencingError::Zoom(ZoomError::MeetingNotFound)) => return Ok(None),
            Err(error) => return Err(error),
        }
        let audit = meeting_activity(
            application,
            event,
            &credential.provider_user_id,
            "meeting.updated",
            meeting_id,
            Timestamp::now(),
        );
        self.store
            .record_meeting_updated(synced(event, link_last_used_at, audit))
            .await?;
        Ok(Some(Some(Event {
            synced_version: Some(event.version),
            sync_attempts: 0,
            sync_lease_until: None,
            next_sync_at: None,
            ..event.clone()
        })))
    }

    /// Deletes the meeting of a deleted event, then the event.
    async fn delete_recorded(
        &self,
        application: &Application,
        event: &Event,
        credential: &Credential,
        link_last_used_at: Option<Timestamp>,
    ) -> Result<(), ConferencingError> {
        let Some(meeting_id) = meeting_id(event) else {
            return Ok(());
        };
        let api = self.api;
        match self
            .broker
            .with_token_of(credential, |token| async move {
                api.delete_meeting(&token, meeting_id).await
            })
            .await
        {
            Ok(()) | Err(ConferencingError::Zoom(ZoomError::MeetingNotFound)) => {}
            Err(error) => return Err(error),
        }
        let audit = meeting_activity(
            application,
            event,
            &credential.provider_user_id,
            "meeting.deleted",
            meeting_id,
            Timestamp::now(),
        );
        self.store
            .record_meeting_deleted(synced(event, link_last_used_at, audit))
            .await?;
        Ok(())
    }

    async fn converge(&self, event_id: &str) -> anyhow::Result<()> {
        // Each step changes what the next one sees; a handful always suffices.
        for _ in 0..6 {
            let Some(event) = self.store.find_event_by_id(event_id).await? else {
                return Ok(());
            };
            let Some(application) = self.store.find_application(&event.application_id).await?
            else {
                return Ok(());
            };
            let host = self
                .store
                .host_link(&event.application_id, &event.host_end_user_id)
                .await?;
            let step = next_step(&event, host);
            let outcome = match step {
                Step::Done => {
                    self.settle(&event).await?;
                    return Ok(());
                }
                Step::Create { credential_id } => {
                    self.create(&application, &event, &credential_id).await
                }
                Step::Update => self.update(&application, &event).await,
                Step::Delete { then_drop_row } => {
                    self.delete(&application, &event, then_drop_row).await
                }
                Step::Fail { code, message } => {
                    self.give_up(&application, &event, code, &message).await?;
                    return Ok(());
                }
            };
            if let Err(error) = outcome {
                self.after_failure(&application, &event, error).await?;
                return Ok(());
            }
        }
        Ok(())
    }

    async fn create(
        &self,
        application: &Application,
        event: &Event,
        credential_id: &str,
    ) -> Result<(), ConferencingError> {
        let request = meeting_body(event)?;
        let meeting = match event.meeting_create_started_at {
            Some(_) => self.find_created(credential_id, &request).await?,
            None => None,
        };
        let meeting = match meeting {
            Some(meeting) => meeting,
            None => {
                let mut intent = changes(&event.id);
                intent.meeting_create_started_at = Set(Some(Timestamp::now()));
                intent.meeting_credential_id = Set(Some(credential_id.to_owned()));
                self.store.update_event(intent).await?;
                let api = self.api;
                let request = &request;
                self.broker
                    .with_token(credential_id, |token| async move {
                        api.create_meeting(&token, request).await
                    })
                    .await?
            }
        };
        let mut ready = changes(&event.id);
        ready.meeting_id = Set(Some(meeting.id.to_string()));
        ready.meeting_credential_id = Set(Some(credential_id.to_owned()));
        ready.join_url = Set(Some(meeting.join_url.clone()));
        ready.passcode = Set(meeting.password.clone());
        ready.meeting_create_started_at = Set(None);
        ready.synced_version = Set(Some(event.version));
        ready.conferencing_status = Set(state::READY.to_owned());
        ready.conferencing_error = Set(None);
        ready.sync_attempts = Set(0);
        self.save_telling(application, event, ready, AppEvent::ConferencingReady)
            .await?;
        tracing::info!(meeting_id = meeting.id, "Zoom meeting created");
        self.record(
            application,
            event,
            credential_id,
            "meeting.created",
            meeting.id,
        )
        .await;
        Ok(())
    }

    /// After a create whose answer was lost: the meeting made then, if Zoom has it.
    async fn find_created(
        &self,
        credential_id: &str,
        request: &MeetingRequest,
    ) -> Result<Option<Meeting>, ConferencingError> {
        let api = self.api;
        let mut page_token: Option<String> = None;
        for _ in 0..20 {
            let token_arg = page_token.clone();
            let page = self
                .broker
                .with_token(credential_id, |token| {
                    let token_arg = token_arg.clone();
                    async move { api.list_meetings(&token, 300, token_arg.as_deref()).await }
                })
                .await?;
            if let Some(found) = page
                .meetings
                .iter()
                .find(|m| m.topic == request.topic && m.start_time == request.start_time)
            {
                let id = found.id;
                let meeting = self
                    .broker
                    .with_token(credential_id, |token| async move {
                        api.get_meeting(&token, id).await
                    })
                    .await?;
                tracing::info!(meeting_id = id, "adopted the meeting a lost create made");
                return Ok(Some(meeting));
            }
            page_token = page.next_page_token.filter(|t| !t.is_empty());
            if page_token.is_none() {
                break;
            }
        }
        Ok(None)
    }

    async fn update(
        &self,
        application: &Application,
        event: &Event,
    ) -> Result<(), ConferencingError> {
        let (Some(meeting_id), Some(credential_id)) =
            (meeting_id(event), &event.meeting_credential_id)
        else {
            return Ok(());
        };
        let mut request = meeting_body(event)?;
        // schedule_for only applies when creating.
        request.schedule_for = None;
        let api = self.api;
        let request = &request;
        match self
            .broker
            .with_token(credential_id, |token| async move {
                api.update_meeting(&token, meeting_id, request).await
            })
            .await
        {
            Ok(()) => {
                let mut synced = changes(&event.id);
                synced.synced_version = Set(Some(event.version));
                synced.sync_attempts = Set(0);
                self.store.update_event(synced).await?;
                self.record(
                    application,
                    event,
                    credential_id,
                    "meeting.updated",
                    meeting_id,
                )
                .await;
                Ok(())
            }
            // Deleted inside Zoom meanwhile: make a new one on the next step.
            Err(ConferencingError::Zoom(ZoomError::MeetingNotFound)) => {
                self.store
                    .update_event(forgotten_meeting(&event.id))
                    .await?;
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    async fn delete(
        &self,
        application: &Application,
        event: &Event,
        then_drop_row: bool,
    ) -> Result<(), ConferencingError> {
        // A create whose answer was lost may have made a meeting: find it, to delete it too.
        let lost_create = match (
            &event.meeting_create_started_at,
            &event.meeting_credential_id,
        ) {
            (Some(_), Some(credential_id)) if event.meeting_id.is_none() => {
                let request = meeting_body(event)?;
                match self.find_created(credential_id, &request).await {
                    Ok(found) => found.map(|meeting| meeting.id),
                    Err(ConferencingError::NoCredential) => None,
                    Err(error) => return Err(error),
                }
            }
            _ => None,
        };
        if let (Some(meeting_id), Some(credential_id)) = (
            meeting_id(event).or(lost_create),
            &event.meeting_credential_id,
        ) {
            let api = self.api;
            match self
                .broker
                .with_token(credential_id, |token| async move {
                    api.delete_meeting(&token, meeting_id).await
                })
                .await
            {
                Ok(()) => {
                    self.record(
                        application,
                        event,
                        credential_id,
                        "meeting.deleted",
                        meeting_id,
                    )
                    .await;
                }
                Err(ConferencingError::Zoom(ZoomError::MeetingNotFound)) => {}
                // The credential is gone (link removed): the meeting stays in Zoom, as promised.
                Err(ConferencingError::NoCredential) => {}
                Err(error) => return Err(error),
            }
        }
        if then_drop_row {
            self.store.delete_event_row(&event.id).await?;
        } else {
            self.store
                .update_event(forgotten_meeting(&event.id))
                .await?;
        }
        Ok(())
    }

    /// Records what was done to the meeting in the host's Zoom account (the account page
    /// shows it) and that the host's link was used. Best effort: the meeting change is made.
    async fn record(
        &self,
        application: &Application,
        event: &Event,
        credential_id: &str,
        action: &'static str,
        meeting_id: i64,
    ) {
        let recorded = async {
            let Some(credential) = self.store.find_credential(credential_id).await? else {
                return Ok(());
            };
            let entry = meeting_activity(
                application,
                event,
                &credential.provider_user_id,
                action,
                meeting_id,
                Timestamp::now(),
            );
            self.store.record_meeting_activity(event, entry).await
        };
        if let Err(error) = recorded.await {
            tracing::warn!(error = ?error, action, "could not record meeting activity");
        }
    }

    /// Done for now: nothing due unless the event changed meanwhile.
    async fn settle(&self, event: &Event) -> anyhow::Result<()> {
        if event.next_sync_at.is_some() {
            let mut settled = changes(&event.id);
            settled.next_sync_at = Set(None);
            settled.sync_attempts = Set(0);
            self.store.settle_event(settled, event.version).await?;
        }
        Ok(())
    }

    async fn after_failure(
        &self,
        application: &Application,
        event: &Event,
        error: ConferencingError,
    ) -> anyhow::Result<()> {
        let (code, message) = match &error {
            ConferencingError::NeedsReauth => (
                "needs_reauth",
                "The host's Zoom connection needs reconnecting.".to_owned(),
            ),
            ConferencingError::NoCredential => (
                "not_connected",
                "The host has no Zoom connection.".to_owned(),
            ),
            ConferencingError::Zoom(zoom) if zoom.is_retryable() => {
                return self.retry_later(application, event, zoom).await;
            }
            ConferencingError::Zoom(ZoomError::Rejected { message, .. }) => {
                ("zoom_rejected", message.clone())
            }
            ConferencingError::Zoom(other) => ("zoom_error", other.to_string()),
            ConferencingError::Internal(internal) => {
                tracing::error!(error = ?internal, "meeting sync failed");
                return self
                    .retry_later(
                        application,
                        event,
                        &ZoomError::Unavailable("internal error".to_owned()),
                    )
                    .await;
            }
        };
        self.give_up(application, event, code, &message).await
    }

    async fn retry_later(
        &self,
        application: &Application,
        event: &Event,
        error: &ZoomError,
    ) -> anyhow::Result<()> {
        let attempts = event.sync_attempts + 1;
        if attempts >= self.settings.max_attempts {
            return self
                .give_up(application, event, "zoom_unavailable", &error.to_string())
                .await;
        }
        let wait = match error {
            ZoomError::RateLimited {
                retry_after: Some(wait),
            } => *wait,
            _ => backoff(self.settings, attempts),
        };
        let mut later = changes(&event.id);
        later.sync_attempts = Set(attempts);
        later.next_sync_at = Set(Some(Timestamp(Timestamp::now().0 + millis(wait))));
        if event.meeting_id.is_none() {
            later.conferencing_status = Set(state::PENDING.to_owned());
        }
        later.conferencing_error = Set(Some(
            json!({"code": "zoom_unavailable", "message": error.to_string()}).to_string(),
        ));
        self.store.update_event(later).await?;
        tracing::info!(attempts, ?wait, "Zoom unavailable; meeting sync will retry");
        Ok(())
    }

    async fn give_up(
        &self,
        application: &Application,
        event: &Event,
        code: &str,
        message: &str,
    ) -> anyhow::Result<()> {
        let mut failed = changes(&event.id);
        failed.conferencing_status = Set(state::FAILED.to_owned());
        failed.conferencing_error =
            Set(Some(json!({"code": code, "message": message}).to_string()));
        failed.next_sync_at = Set(None);
        failed.sync_attempts = Set(0);
        self.save_telling(application, event, failed, AppEvent::ConferencingFailed)
            .await?;
        tracing::warn!(code, %message, "conferencing failed");
        Ok(())
    }

    /// Saves changes and tells the application, in one transaction.
    pub(super) async fn save_telling(
        &self,
        application: &Application,
        event: &Event,
        changes: EventChanges,
        kind: fn(Value) -> AppEvent,
    ) -> anyhow::Result<()> {
        let host = self
            .store
            .end_user_external_id(&event.host_end_user_id)
            .await?
            .unwrap_or_default();
        self.store
            .update_event_telling(changes, |updated| {
                notify::delivery_for(
                    application,
                    &kind(event_view(updated, &host)),
                    Timestamp::now(),
                )
                .into_iter()
                .collect()
            })
            .await?;
        Ok(())
    }
}

/// A meeting change of `event` to record with `audit`.
fn synced(
    event: &Event,
    link_last_used_at: Option<Timestamp>,
    audit: NewAuditEntry,
) -> SyncedMeeting {
    SyncedMeeting {
        event_id: event.id.clone(),
        application_id: event.application_id.clone(),
        host_end_user_id: event.host_end_user_id.clone(),
        link_last_used_at,
        version: event.version,
        audit,
    }
}

/// What to do next for `event`, whose host links through `host` (if connected).
fn next_step(event: &Event, host: Option<HostLink>) -> Step {
    let wanted = event.deleted_at.is_none() && event.conferencing.is_some();
    if let Some(meeting_credential) = &event.meeting_credential_id
        && event.meeting_id.is_some()
    {
        if !wanted {
            return Step::Delete {
                then_drop_row: event.deleted_at.is_some(),
            };
        }
        return match host {
            Some(host) if host.credential_id != *meeting_credential => Step::Delete {
                then_drop_row: false,
            },
            Some(host) if host.status != link_status::ACTIVE => Step::Fail {
                code: "needs_reauth",
                message: "The host's Zoom connection needs reconnecting.".to_owned(),
            },
            Some(_) if event.synced_version != Some(event.version) => Step::Update,
            Some(_) => Step::Done,
            None if event.synced_version != Some(event.version) => Step::Fail {
                code: "not_connected",
                message: "The host has no Zoom connection; the meeting cannot be changed."
                    .to_owned(),
            },
            None => Step::Done,
        };
    }
    if event.deleted_at.is_some() {
        return Step::Delete {
            then_drop_row: true,
        };
    }
    // Failed, or deleted inside Zoom: nothing more until the application changes the event.
    if !wanted
        || event.conferencing_status == state::FAILED
        || event.conferencing_status == state::REMOVED
    {
        return Step::Done;
    }
    match host {
        None => Step::Fail {
            code: "not_connected",
            message: "The host has no Zoom connection.".to_owned(),
        },
        Some(host) if host.status != link_status::ACTIVE => Step::Fail {
            code: "needs_reauth",
            message: "The host's Zoom connection needs reconnecting.".to_owned(),
        },
        Some(host) => Step::Create {
            credential_id: host.credential_id,
        },
    }
}

/// The audit entry of something done to an event's meeting in the host's Zoom account.
fn meeting_activity(
    application: &Application,
    event: &Event,
    zoom_user_id: &str,
    action: &'static str,
    meeting_id: i64,
    now: Timestamp,
) -> NewAuditEntry {
    NewAuditEntry::zoom_user(
        zoom_user_id,
        Some(&application.id),
        actor::APPLICATION,
        action,
        json!({
            "application": application.name,
            "meeting_id": meeting_id,
            "topic": event.summary,
            "start": event.start_at,
        }),
        now,
    )
}

/// Zoom's meeting body for the stored event.
pub(super) fn meeting_body(event: &Event) -> Result<MeetingRequest, ConferencingError> {
    let input = stored_input(event)?;
    // Parsed as of its start: an event that has begun can still be kept in step.
    let as_of = Instant::from_millisecond(event.start_at.0).map_err(anyhow::Error::from)?;
    let spec = input.parse(as_of).map_err(|errors| {
        anyhow::anyhow!("stored event {} no longer parses: {errors:?}", event.id)
    })?;
    match &spec.conferencing {
        Patch::Set(conferencing) => Ok(meeting_request(&spec, conferencing)),
        _ => Err(anyhow::anyhow!("event {} has no conferencing to map", event.id).into()),
    }
}

/// The stored event as the application last wrote it.
fn stored_input(event: &Event) -> anyhow::Result<EventInput> {
    let parse = |text: &Option<String>| -> anyhow::Result<Option<Value>> {
        Ok(text.as_deref().map(serde_json::from_str).transpose()?)
    };
    let body = json!({
        "end_user_id": "stored",
        "summary": event.summary,
        "description": event.description,
        "start": event.start_at,
        "end": event.end_at,
        "tzid": event.tzid,
        "attendees": serde_json::from_str::<Value>(&event.attendees)?,
        "recurrence": parse(&event.recurrence)?,
        "conferencing": parse(&event.conferencing)?,
    });
    Ok(serde_json::from_value(body)?)
}

fn meeting_id(event: &Event) -> Option<i64> {
    event.meeting_id.as_deref().and_then(|id| id.parse().ok())
}

fn backoff(settings: &SyncSettings, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    (settings.backoff_base * 2u32.pow(doublings)).min(settings.backoff_max)
}

pub(super) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
